package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuSmokeTest {
    @Test
    void realModeMovAndHlt() {
        try (CpuFixture f = new CpuFixture()) {
            // mov ax, 0x1234 ; mov [0x500], ax ; hlt
            f.load(0x7C00, 0xB8, 0x34, 0x12, 0xA3, 0x00, 0x05, 0xF4).real(0, 0x7C00);
            assertEquals(Cpu.Exit.HALT, f.run(100));
            assertEquals(0x1234, f.cpu.reg(Cpu.EAX, 2));
            assertEquals(0x1234, f.mem.read16(0x500));
            assertEquals(0x7C07, f.cpu.rip);
            assertEquals(3, f.cpu.instructionCount());
        }
    }

    @Test
    void flat32MovAndResetVector() {
        try (CpuFixture f = new CpuFixture()) {
            // mov eax, 0xCAFEBABE ; mov [ebx], eax ; hlt
            f.load(0x10000, 0xB8, 0xBE, 0xBA, 0xFE, 0xCA, 0x89, 0x03, 0xF4).flat32(0x10000);
            f.cpu.r[Cpu.EBX] = 0x3000;
            assertEquals(Cpu.Exit.HALT, f.run(100));
            assertEquals(0xCAFEBABEL, f.mem.read32(0x3000) & 0xFFFFFFFFL);
            assertTrue(f.cpu.protectedMode());
        }
    }

    @Test
    void selfModifyingCodeIsRedecoded() {
        try (CpuFixture f = new CpuFixture()) {
            // 0x7C00: mov byte [0x7C0A], 0xF4 (overwrite the NOP at 7C0A with HLT) ; nop x3 ; jmp back? keep linear:
            // c6 06 0a 7c f4 = mov byte [0x7c0a], 0xf4 ; 90 90 90 90 90 ; 90 -> replaced by f4
            f.load(0x7C00, 0xC6, 0x06, 0x0A, 0x7C, 0xF4, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xF4).real(0, 0x7C00);
            // Decode the page once first so the NOP at 0x7C0A is cached.
            f.cpu.rip = 0x7C0A;
            f.cpu.step();
            f.cpu.rip = 0x7C00;
            assertEquals(Cpu.Exit.HALT, f.run(100));
            assertEquals(0x7C0B, f.cpu.rip);
        }
    }

    @Test
    void invalidOpcodeRaisesUdThroughTheIvt() {
        try (CpuFixture f = new CpuFixture()) {
            // 0F 0A is no instruction: #UD (vector 6) -> IVT[6] = 0000:9000, which halts.
            f.load(0x7C00, 0x0F, 0x0A).load(0x9000, 0xF4).load(6 * 4, 0x00, 0x90, 0x00, 0x00).real(0, 0x7C00);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x9001, f.cpu.rip);
            assertEquals(1, f.cpu.invalidCount());
            // The frame holds the address of the faulting instruction (a fault, not a trap).
            long sp = f.cpu.reg(Cpu.ESP, 2);
            assertEquals(CpuFixture.STACK_TOP - 6, sp);
            assertEquals(0x7C00, f.mem.read16(sp));
            assertEquals(0, f.mem.read16(sp + 2));
        }
    }

    @Test
    void a20GateWrapsAtOneMegabyte() {
        try (CpuFixture f = new CpuFixture()) {
            // mov ax, ffff ; mov es, ax ; mov al, [es:0x10] ; hlt  -- reads linear 0x100000
            f.load(0x7C00, 0xB8, 0xFF, 0xFF, 0x8E, 0xC0, 0x26, 0xA0, 0x10, 0x00, 0xF4).real(0, 0x7C00);
            f.mem.write8(0x100000, 0x11);
            f.mem.write8(0x000000, 0x22);
            f.cpu.setA20(false);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x22, f.cpu.reg(Cpu.EAX, 1), "A20 off: FFFF:0010 wraps to 0");
            f.cpu.setA20(true);
            f.cpu.rip = 0x7C00;
            f.cpu.halted = false;
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x11, f.cpu.reg(Cpu.EAX, 1), "A20 on: FFFF:0010 is 0x100000");
        }
    }

    @Test
    void aStopRequestMadeBetweenRunsIsNotLost() {
        try (CpuFixture f = new CpuFixture()) {
            f.load(0x7C00, 0xEB, 0xFE).real(0, 0x7C00);      // jmp $
            f.cpu.requestStop();
            assertEquals(Cpu.Exit.STOPPED, f.run(1000), "the request waits for the next run");
            assertEquals(0, f.cpu.instructionCount());
            assertEquals(Cpu.Exit.LIMIT, f.run(1000), "and is consumed by it");
            assertEquals(1000, f.cpu.instructionCount());
        }
    }
}

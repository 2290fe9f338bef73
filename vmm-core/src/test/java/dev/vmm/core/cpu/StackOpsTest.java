package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class StackOpsTest {
    private static final long CODE = 0x10000;

    /** Executes one instruction like {@link Cpu#step()}, but returns a fault instead of delivering it. */
    static CpuFault tryStep(Cpu c) {
        c.startRip = c.rip;
        try {
            Insn i = c.code.fetch();
            c.current = i;
            c.rip = (c.rip + i.len) & (i.mode == 16 ? 0xFFFF : 0xFFFF_FFFFL);
            i.handler.exec(c, i);
            return null;
        } catch (CpuFault f) {
            c.rip = c.startRip;
            return f;
        }
    }

    private static CpuFixture flat(int... code) {
        CpuFixture f = new CpuFixture();
        f.load(CODE, code).flat32(CODE);
        return f;
    }

    private static CpuFixture real(int... code) {
        CpuFixture f = new CpuFixture();
        f.load(0x7C00, code).real(0, 0x7C00);
        return f;
    }

    /** Flat 32-bit code at ring 3 (CS 0x2B, SS/DS/ES 0x33). */
    private static CpuFixture ring3(int... code) {
        CpuFixture f = flat(code);
        f.loadSeg(Cpu.CS, 0x2B);
        for (int s : new int[] {Cpu.SS, Cpu.DS, Cpu.ES}) {
            f.loadSeg(s, 0x33);
        }
        return f;
    }

    /** Virtual-8086 mode, CS:IP = 1000:0000 (linear 0x10000), SS:SP = 0000:9000, with {@code flags}. */
    private static CpuFixture v86(int flags, int... code) {
        CpuFixture f = flat(code);
        Cpu c = f.cpu;
        c.flags.set(flags | Flags.VM);
        for (int s = 0; s < 6; s++) {
            int sel = s == Cpu.CS ? 0x1000 : 0;
            c.seg[s].set(sel, (long) sel << 4, 0xFFFF, Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_ACCESSED | 0x60);
        }
        c.cpl = 3;
        c.rip = 0;
        return f;
    }

    // ---- PUSH / POP ---------------------------------------------------------------------------

    @Test
    void pushAndPopRegisters32() {
        // push eax ; pop ebx
        try (CpuFixture f = flat(0x50, 0x5B)) {
            f.cpu.r[Cpu.EAX] = 0xDEADBEEFL;
            f.cpu.step();
            assertEquals(0x8FFC, f.cpu.r[Cpu.ESP]);
            assertEquals(0xDEADBEEF, f.mem.read32(0x8FFC));
            f.cpu.step();
            assertEquals(0xDEADBEEFL, f.cpu.r[Cpu.EBX]);
            assertEquals(0x9000, f.cpu.r[Cpu.ESP]);
            assertEquals(CODE + 2, f.cpu.rip);
        }
    }

    @Test
    void pushEspPushesTheOldValueAndPopEspLoadsThePoppedValue() {
        // push esp ; pop esp
        try (CpuFixture f = flat(0x54, 0x5C)) {
            f.cpu.step();
            assertEquals(0x9000, f.mem.read32(0x8FFC));
            assertEquals(0x8FFC, f.cpu.r[Cpu.ESP]);
            f.mem.write32(0x8FFC, 0x7000);
            f.cpu.step();
            assertEquals(0x7000, f.cpu.r[Cpu.ESP]);
        }
    }

    @Test
    void pushImmediates() {
        // push 0x12345678 ; push -1 (6A FF) ; push word -128 (66 6A 80) ; push word 0x1234 (66 68 34 12)
        try (CpuFixture f = flat(0x68, 0x78, 0x56, 0x34, 0x12, 0x6A, 0xFF, 0x66, 0x6A, 0x80, 0x66, 0x68, 0x34, 0x12)) {
            f.cpu.step();
            assertEquals(0x12345678, f.mem.read32(0x8FFC));
            f.cpu.step();
            assertEquals(0xFFFFFFFF, f.mem.read32(0x8FF8));
            assertEquals(0x8FF8, f.cpu.r[Cpu.ESP]);
            f.cpu.step();
            assertEquals(0xFF80, f.mem.read16(0x8FF6));
            assertEquals(0x8FF6, f.cpu.r[Cpu.ESP]);
            f.cpu.step();
            assertEquals(0x1234, f.mem.read16(0x8FF4));
            assertEquals(0x8FF4, f.cpu.r[Cpu.ESP]);
        }
    }

    @Test
    void pushMemoryOperand() {
        // push dword [0x3000] ; push word [0x3000] (66 FF 35 ...)
        try (CpuFixture f = flat(0xFF, 0x35, 0x00, 0x30, 0x00, 0x00, 0x66, 0xFF, 0x35, 0x00, 0x30, 0x00, 0x00)) {
            f.mem.write32(0x3000, 0xCAFEF00D);
            f.cpu.step();
            assertEquals(0xCAFEF00D, f.mem.read32(0x8FFC));
            f.cpu.step();
            assertEquals(0xF00D, f.mem.read16(0x8FFA));
            assertEquals(0x8FFA, f.cpu.r[Cpu.ESP]);
        }
    }

    @Test
    void pushSegmentRegister32WritesOnlyTheLow16Bits() {
        // push ds ; push fs (0F A0) ; push word es (66 06)
        try (CpuFixture f = flat(0x1E, 0x0F, 0xA0, 0x66, 0x06)) {
            f.mem.write32(0x8FFC, 0xAAAAAAAA);
            f.mem.write32(0x8FF8, 0xBBBBBBBB);
            f.cpu.step();
            assertEquals(0xAAAA0010, f.mem.read32(0x8FFC));
            assertEquals(0x8FFC, f.cpu.r[Cpu.ESP]);
            f.cpu.step();
            assertEquals(0xBBBB0010, f.mem.read32(0x8FF8));
            assertEquals(0x8FF8, f.cpu.r[Cpu.ESP]);
            f.cpu.step();
            assertEquals(0x0010, f.mem.read16(0x8FF6));
            assertEquals(0x8FF6, f.cpu.r[Cpu.ESP]);
        }
    }

    @Test
    void pushCsAndPopSegmentsInRealMode() {
        // push cs ; pop ds ; pop ss
        try (CpuFixture f = new CpuFixture()) {
            f.load(0x17C00, 0x0E, 0x1F, 0x17).real(0x1000, 0x7C00);
            f.cpu.step();
            assertEquals(0x1000, f.mem.read16(0x8FFE));
            assertEquals(0x8FFE, f.cpu.r[Cpu.ESP]);
            f.cpu.step();
            assertEquals(0x1000, f.cpu.seg[Cpu.DS].selector);
            assertEquals(0x10000, f.cpu.seg[Cpu.DS].base);
            assertEquals(0x9000, f.cpu.r[Cpu.ESP]);
            assertEquals(0, f.cpu.inhibit);
            f.mem.write16(0x9000, 0x2000);
            f.cpu.step();
            assertEquals(0x2000, f.cpu.seg[Cpu.SS].selector);
            assertEquals(0x20000, f.cpu.seg[Cpu.SS].base);
            assertEquals(0x9002, f.cpu.r[Cpu.ESP]);
            assertEquals(1, f.cpu.inhibit, "POP SS inhibits interrupts for one instruction");
        }
    }

    @Test
    void popSegmentProtectedModeChecksAndIncrementsByOperandSize() {
        // pop ds ; pop ss
        try (CpuFixture f = flat(0x1F, 0x17)) {
            f.cpu.r[Cpu.ESP] = 0x8FF8;
            f.mem.write32(0x8FF8, 0xFFFF0033);  // ring-3 data: fine for DS at CPL 0 (DPL 3 >= RPL, CPL)
            f.mem.write32(0x8FFC, 0x00000033);  // ... but not for SS at CPL 0
            assertNull(tryStep(f.cpu));
            assertEquals(0x33, f.cpu.seg[Cpu.DS].selector);
            assertEquals(3, f.cpu.seg[Cpu.DS].dpl());
            assertEquals(0x8FFC, f.cpu.r[Cpu.ESP]);
            CpuFault fault = tryStep(f.cpu);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            assertEquals(0x30, fault.errorCode());
            assertEquals(0x8FFC, f.cpu.r[Cpu.ESP], "a faulting POP SS leaves ESP alone");
            assertEquals(0x10, f.cpu.seg[Cpu.SS].selector);
            assertEquals(CODE + 1, f.cpu.rip);
            assertEquals(0, f.cpu.inhibit);
        }
    }

    @Test
    void popMemoryWithEspBaseUsesTheIncrementedEsp() {
        // pop dword [esp+4] ; pop dword [esp]
        try (CpuFixture f = flat(0x8F, 0x44, 0x24, 0x04, 0x8F, 0x04, 0x24)) {
            f.cpu.r[Cpu.ESP] = 0x8FF0;
            f.mem.write32(0x8FF0, 0x11223344);
            f.mem.write32(0x8FF4, 0x55667788);
            f.cpu.step();
            assertEquals(0x8FF4, f.cpu.r[Cpu.ESP]);
            assertEquals(0x11223344, f.mem.read32(0x8FF8), "address = new ESP + 4");
            assertEquals(0x55667788, f.mem.read32(0x8FF4));
            f.cpu.step();
            assertEquals(0x8FF8, f.cpu.r[Cpu.ESP]);
            assertEquals(0x55667788, f.mem.read32(0x8FF8), "POP [ESP] stores at the new ESP");
        }
    }

    @Test
    void popMemoryFaultLeavesEspUnchanged() {
        // pop dword [0x1000] with DS limited to 0xFFF (an expand-up 32-bit data segment)
        try (CpuFixture f = flat(0x8F, 0x05, 0x00, 0x10, 0x00, 0x00)) {
            f.cpu.seg[Cpu.DS].set(0x10, 0, 0xFFF, Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_ACCESSED | Segment.A_DB);
            f.cpu.r[Cpu.ESP] = 0x8FF0;
            CpuFault fault = tryStep(f.cpu);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            assertEquals(0, fault.errorCode());
            assertEquals(0x8FF0, f.cpu.r[Cpu.ESP]);
            assertEquals(CODE, f.cpu.rip);
        }
    }

    @Test
    void popRegisterForm() {
        // pop ecx (8F C1) ; pop word dx (66 8F C2)
        try (CpuFixture f = flat(0x8F, 0xC1, 0x66, 0x8F, 0xC2)) {
            f.cpu.r[Cpu.ESP] = 0x8FF0;
            f.cpu.r[Cpu.EDX] = 0xAAAA_AAAAL;
            f.mem.write32(0x8FF0, 0x01020304);
            f.mem.write16(0x8FF4, 0xBEEF);
            f.cpu.step();
            f.cpu.step();
            assertEquals(0x01020304, f.cpu.r[Cpu.ECX]);
            assertEquals(0xAAAA_BEEFL, f.cpu.r[Cpu.EDX]);
            assertEquals(0x8FF6, f.cpu.r[Cpu.ESP]);
        }
    }

    // ---- PUSHA / POPA -------------------------------------------------------------------------

    @Test
    void pushadAndPopad() {
        try (CpuFixture f = flat(0x60, 0x61)) {
            Cpu c = f.cpu;
            for (int k = 0; k < 8; k++) {
                if (k != Cpu.ESP) {
                    c.r[k] = 0x1000_0000L * (k + 1) + k;
                }
            }
            c.step();
            assertEquals(0x8FE0, c.r[Cpu.ESP]);
            assertEquals(0x1000_0000 + 0, f.mem.read32(0x8FFC));          // EAX
            assertEquals(0x2000_0001, f.mem.read32(0x8FF8));              // ECX
            assertEquals(0x3000_0002, f.mem.read32(0x8FF4));              // EDX
            assertEquals(0x4000_0003, f.mem.read32(0x8FF0));              // EBX
            assertEquals(0x9000, f.mem.read32(0x8FEC));                   // original ESP
            assertEquals(0x6000_0005, f.mem.read32(0x8FE8));              // EBP
            assertEquals(0x7000_0006, f.mem.read32(0x8FE4));              // ESI
            assertEquals(0x8000_0007, f.mem.read32(0x8FE0));              // EDI
            for (int k = 0; k < 8; k++) {
                if (k != Cpu.ESP) {
                    c.r[k] = 0;
                }
            }
            f.mem.write32(0x8FEC, 0x1234);  // the saved ESP is skipped by POPAD
            c.step();
            assertEquals(0x9000, c.r[Cpu.ESP]);
            assertEquals(0x1000_0000L, c.r[Cpu.EAX]);
            assertEquals(0x2000_0001L, c.r[Cpu.ECX]);
            assertEquals(0x3000_0002L, c.r[Cpu.EDX]);
            assertEquals(0x4000_0003L, c.r[Cpu.EBX]);
            assertEquals(0x6000_0005L, c.r[Cpu.EBP]);
            assertEquals(0x7000_0006L, c.r[Cpu.ESI]);
            assertEquals(0x8000_0007L, c.r[Cpu.EDI]);
        }
    }

    @Test
    void pushaAndPopa16InRealMode() {
        try (CpuFixture f = real(0x60, 0x61)) {
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0xFFFF_0001L;
            c.r[Cpu.ECX] = 2;
            c.r[Cpu.EDX] = 3;
            c.r[Cpu.EBX] = 4;
            c.r[Cpu.EBP] = 6;
            c.r[Cpu.ESI] = 7;
            c.r[Cpu.EDI] = 8;
            c.step();
            assertEquals(0x8FF0, c.r[Cpu.ESP]);
            assertEquals(1, f.mem.read16(0x8FFE));
            assertEquals(2, f.mem.read16(0x8FFC));
            assertEquals(3, f.mem.read16(0x8FFA));
            assertEquals(4, f.mem.read16(0x8FF8));
            assertEquals(0x9000, f.mem.read16(0x8FF6));
            assertEquals(6, f.mem.read16(0x8FF4));
            assertEquals(7, f.mem.read16(0x8FF2));
            assertEquals(8, f.mem.read16(0x8FF0));
            f.mem.write16(0x8FFE, 0x00AA);
            f.mem.write16(0x8FF6, 0x5555);
            c.step();
            assertEquals(0x9000, c.r[Cpu.ESP]);
            assertEquals(0xFFFF_00AAL, c.r[Cpu.EAX], "16-bit POPA keeps the upper halves");
            assertEquals(8, c.r[Cpu.EDI]);
        }
    }

    @Test
    void pushadStackFaultIsPrecise() {
        // An expand-down stack segment whose lowest valid offset is 0x8FF1: the 8th slot (0x8FE0) is outside.
        try (CpuFixture f = flat(0x60)) {
            f.cpu.seg[Cpu.SS].set(0x10, 0, 0x8FF0, Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_DC
                    | Segment.A_ACCESSED | Segment.A_DB);
            f.cpu.r[Cpu.EAX] = 0x1111;
            CpuFault fault = tryStep(f.cpu);
            assertNotNull(fault);
            assertEquals(Exceptions.SS, fault.vector());
            assertEquals(0, fault.errorCode());
            assertEquals(0, f.mem.read32(0x8FFC), "nothing written");
            assertEquals(0x9000, f.cpu.r[Cpu.ESP]);
        }
    }

    // ---- PUSHF / POPF -------------------------------------------------------------------------

    @Test
    void pushfdClearsRfAndVmInTheImage() {
        try (CpuFixture f = flat(0x9C, 0x66, 0x9C)) {
            f.cpu.flags.set(Flags.RF | Flags.IF | Flags.CF | Flags.AC | 2);
            f.cpu.step();
            assertEquals(Flags.IF | Flags.CF | Flags.AC | 2, f.mem.read32(0x8FFC));
            f.cpu.step();
            assertEquals(Flags.IF | Flags.CF | 2, f.mem.read16(0x8FFA));
            assertEquals(0x8FFA, f.cpu.r[Cpu.ESP]);
        }
    }

    @Test
    void popfdAtCpl3WithIopl0KeepsIfAndIopl() {
        try (CpuFixture f = ring3(0x9D)) {
            Cpu c = f.cpu;
            c.flags.set(Flags.IF | 2);
            c.r[Cpu.ESP] = 0x8000;
            f.mem.write32(0x8000, Flags.CF | Flags.DF | Flags.IOPL | Flags.NT | Flags.AC | Flags.RF | Flags.VM
                    | Flags.VIF | Flags.VIP | Flags.ID);
            assertNull(tryStep(c));
            assertEquals(Flags.CF | 2 | Flags.IF | Flags.DF | Flags.NT | Flags.AC | Flags.ID, c.eflags());
            assertEquals(0x8004, c.r[Cpu.ESP]);
        }
    }

    @Test
    void popfdAtCpl3WithIopl3ChangesIfButNotIopl() {
        try (CpuFixture f = ring3(0x9D)) {
            Cpu c = f.cpu;
            c.flags.set(Flags.IF | Flags.IOPL | 2);
            c.r[Cpu.ESP] = 0x8000;
            f.mem.write32(0x8000, Flags.ZF);
            assertNull(tryStep(c));
            assertEquals(Flags.ZF | Flags.IOPL | 2, c.eflags());
        }
    }

    @Test
    void popfAtCpl3Word() {
        // 16-bit POPF at CPL 3, IOPL 0: IF and IOPL stay, AC (bit 18) is not touched
        try (CpuFixture f = ring3(0x66, 0x9D)) {
            Cpu c = f.cpu;
            c.flags.set(Flags.IF | Flags.AC | 2);
            c.r[Cpu.ESP] = 0x8000;
            f.mem.write16(0x8000, 0xFFFF);
            assertNull(tryStep(c));
            assertEquals(Flags.ARITH | Flags.TF | Flags.IF | Flags.DF | Flags.NT | Flags.AC | 2, c.eflags());
            assertEquals(0x8002, c.r[Cpu.ESP]);
        }
    }

    @Test
    void popfdAtCpl0ChangesIoplButNeverVmVifVip() {
        try (CpuFixture f = flat(0x9D)) {
            Cpu c = f.cpu;
            c.flags.set(Flags.IF | Flags.VIF | Flags.RF | 2);
            c.r[Cpu.ESP] = 0x8000;
            f.mem.write32(0x8000, Flags.IOPL | Flags.VM | Flags.VIP);
            assertNull(tryStep(c));
            assertEquals(Flags.IOPL | Flags.VIF | 2, c.eflags(), "IF cleared, IOPL set, VIF kept, VM/VIP not set, RF cleared");
        }
    }

    @Test
    void popfInRealModeWritesIoplAndNt() {
        // popfd ; popf
        try (CpuFixture f = real(0x66, 0x9D, 0x9D)) {
            Cpu c = f.cpu;
            c.flags.set(Flags.AC | 2);
            c.r[Cpu.ESP] = 0x8000;
            f.mem.write32(0x8000, Flags.IOPL | Flags.NT | Flags.VM | Flags.CF | Flags.AC);
            f.mem.write16(0x8004, 0x0000);
            c.step();
            assertEquals(Flags.IOPL | Flags.NT | Flags.CF | Flags.AC | 2, c.eflags());
            c.step();
            assertEquals(Flags.AC | 2, c.eflags(), "a 16-bit POPF leaves the upper half alone");
            assertEquals(0x8006, c.r[Cpu.ESP]);
        }
    }

    @Test
    void pushfAndPopfInV86WithIopl3() {
        // pushf ; pushfd ; popf
        try (CpuFixture f = v86(Flags.IOPL | Flags.IF | Flags.CF | 2, 0x9C, 0x66, 0x9C, 0x9D)) {
            Cpu c = f.cpu;
            c.step();
            assertEquals(0x3203, f.mem.read16(0x8FFE));
            c.step();
            assertEquals(0x3203, f.mem.read32(0x8FFA), "VM is cleared in the image");
            assertEquals(0x8FFA, c.r[Cpu.ESP]);
            f.mem.write16(0x8FFA, 0x0000);
            c.step();
            assertEquals(Flags.IOPL | Flags.VM | 2, c.eflags(), "IF cleared, IOPL kept");
        }
    }

    @Test
    void pushfAndPopfInV86WithIoplBelow3Fault() {
        try (CpuFixture f = v86(Flags.IF | 2, 0x9C, 0x9D)) {
            Cpu c = f.cpu;
            CpuFault fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            assertEquals(0, fault.errorCode());
            assertEquals(0x9000, c.r[Cpu.ESP]);
            c.rip = 1;
            fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            assertEquals(0x9000, c.r[Cpu.ESP]);
            assertEquals(Flags.IF | Flags.VM | 2, c.eflags());
        }
    }

    @Test
    void virtualModeExtensionsVirtualizeIf() {
        // pushf ; popf ; popf
        try (CpuFixture f = v86(Flags.VIF | 2, 0x9C, 0x9D, 0x9D)) {
            Cpu c = f.cpu;
            c.cr4 |= Cpu.CR4_VME;
            assertNull(tryStep(c));
            assertEquals(Flags.IOPL | Flags.IF | 2, f.mem.read16(0x8FFE), "IF shows VIF, IOPL shows 3");
            f.mem.write16(0x8FFE, Flags.CF);
            f.mem.write16(0x9000, Flags.TF);
            assertNull(tryStep(c));
            assertEquals(Flags.CF | Flags.VM | 2, c.eflags(), "VIF taken from the image's IF (clear)");
            CpuFault fault = tryStep(c);
            assertNotNull(fault, "TF set in the image");
            assertEquals(Exceptions.GP, fault.vector());
        }
    }

    // ---- ENTER / LEAVE ------------------------------------------------------------------------

    @Test
    void enterLevel3Flat32() {
        // enter 8, 3
        try (CpuFixture f = flat(0xC8, 0x08, 0x00, 0x03)) {
            Cpu c = f.cpu;
            c.r[Cpu.ESP] = 0x8000;
            c.r[Cpu.EBP] = 0x8100;
            f.mem.write32(0x80FC, 0x11111111);
            f.mem.write32(0x80F8, 0x22222222);
            c.step();
            assertEquals(0x8100, f.mem.read32(0x7FFC));
            assertEquals(0x11111111, f.mem.read32(0x7FF8));
            assertEquals(0x22222222, f.mem.read32(0x7FF4));
            assertEquals(0x7FFC, f.mem.read32(0x7FF0));
            assertEquals(0x7FFC, c.r[Cpu.EBP]);
            assertEquals(0x7FE8, c.r[Cpu.ESP]);
        }
    }

    @Test
    void enterLevel3RealMode() {
        // enter 4, 3
        try (CpuFixture f = real(0xC8, 0x04, 0x00, 0x03)) {
            Cpu c = f.cpu;
            c.r[Cpu.EBP] = 0xABCD_9100L;
            f.mem.write16(0x90FE, 0x1111);
            f.mem.write16(0x90FC, 0x2222);
            c.step();
            assertEquals(0x9100, f.mem.read16(0x8FFE));
            assertEquals(0x1111, f.mem.read16(0x8FFC));
            assertEquals(0x2222, f.mem.read16(0x8FFA));
            assertEquals(0x8FFE, f.mem.read16(0x8FF8));
            assertEquals(0xABCD_8FFEL, c.r[Cpu.EBP]);
            assertEquals(0x8FF4, c.r[Cpu.ESP]);
        }
    }

    @Test
    void enterLevelIsTakenModulo32() {
        // enter 0x10, 33 (= level 1): push ebp, push frame pointer
        try (CpuFixture f = flat(0xC8, 0x10, 0x00, 0x21)) {
            Cpu c = f.cpu;
            c.r[Cpu.EBP] = 0x5555;
            c.step();
            assertEquals(0x5555, f.mem.read32(0x8FFC));
            assertEquals(0x8FFC, f.mem.read32(0x8FF8));
            assertEquals(0x8FFC, c.r[Cpu.EBP]);
            assertEquals(0x8FF8 - 0x10, c.r[Cpu.ESP]);
        }
    }

    @Test
    void enterLevel0() {
        // enter 0x20, 0 ; leave
        try (CpuFixture f = flat(0xC8, 0x20, 0x00, 0x00, 0xC9)) {
            Cpu c = f.cpu;
            c.r[Cpu.EBP] = 0x4444;
            c.step();
            assertEquals(0x4444, f.mem.read32(0x8FFC));
            assertEquals(0x8FFC, c.r[Cpu.EBP]);
            assertEquals(0x8FDC, c.r[Cpu.ESP]);
            c.step();
            assertEquals(0x4444, c.r[Cpu.EBP]);
            assertEquals(0x9000, c.r[Cpu.ESP]);
        }
    }

    private static void expandDownStack(CpuFixture f, long limit) {
        f.cpu.seg[Cpu.SS].set(0x10, 0, limit, Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_DC
                | Segment.A_ACCESSED | Segment.A_DB);
    }

    @Test
    void enterFaultInTheMiddleHasNoEffect() {
        // enter 0x10, 3 with the stack ending at 0x7FF1: the 4th slot (0x7FF0) is outside
        try (CpuFixture f = flat(0xC8, 0x10, 0x00, 0x03)) {
            Cpu c = f.cpu;
            expandDownStack(f, 0x7FF0);
            c.r[Cpu.ESP] = 0x8000;
            c.r[Cpu.EBP] = 0x8100;
            f.mem.write32(0x80FC, 0x11111111);
            CpuFault fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.SS, fault.vector());
            assertEquals(0, fault.errorCode());
            assertEquals(0, f.mem.read32(0x7FFC));
            assertEquals(0, f.mem.read32(0x7FF8));
            assertEquals(0x8000, c.r[Cpu.ESP]);
            assertEquals(0x8100, c.r[Cpu.EBP]);
            assertEquals(CODE, c.rip);
        }
    }

    @Test
    void enterChecksTheFinalStackPointer() {
        // enter 0x20, 0: the pushed EBP fits, the new ESP (0x7FDC) is below the segment
        try (CpuFixture f = flat(0xC8, 0x20, 0x00, 0x00)) {
            Cpu c = f.cpu;
            expandDownStack(f, 0x7FF0);
            c.r[Cpu.ESP] = 0x8000;
            c.r[Cpu.EBP] = 0x8100;
            CpuFault fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.SS, fault.vector());
            assertEquals(0, f.mem.read32(0x7FFC));
            assertEquals(0x8000, c.r[Cpu.ESP]);
            assertEquals(0x8100, c.r[Cpu.EBP]);
        }
    }

    @Test
    void leave16InRealMode() {
        try (CpuFixture f = real(0xC9)) {
            Cpu c = f.cpu;
            c.r[Cpu.EBP] = 0x1234_8000L;
            c.r[Cpu.ESP] = 0x5678_0000L;
            f.mem.write16(0x8000, 0xBEEF);
            c.step();
            assertEquals(0x1234_BEEFL, c.r[Cpu.EBP]);
            assertEquals(0x5678_8002L, c.r[Cpu.ESP]);
        }
    }

    // ---- BOUND --------------------------------------------------------------------------------

    @Test
    void boundComparesSigned() {
        // bound eax, [0x3000]
        int[] code = {0x62, 0x05, 0x00, 0x30, 0x00, 0x00};
        long[][] cases = {{-1, 0}, {-5, 0}, {5, 0}, {6, 1}, {-6, 1}, {0x8000_0000L, 1}, {0x7FFF_FFFFL, 1}};
        for (long[] k : cases) {
            try (CpuFixture f = flat(code)) {
                f.mem.write32(0x3000, -5);
                f.mem.write32(0x3004, 5);
                f.cpu.r[Cpu.EAX] = k[0] & 0xFFFF_FFFFL;
                CpuFault fault = tryStep(f.cpu);
                if (k[1] == 0) {
                    assertNull(fault, "index " + k[0]);
                    assertEquals(CODE + 6, f.cpu.rip);
                } else {
                    assertNotNull(fault, "index " + k[0]);
                    assertEquals(Exceptions.BR, fault.vector());
                    assertEquals(-1, fault.errorCode());
                    assertEquals(CODE, f.cpu.rip);
                }
            }
        }
    }

    @Test
    void bound16DeliversBrInRealMode() {
        // bound ax, [0x500] ; vector 5 -> 0000:0600 (hlt)
        try (CpuFixture f = real(0x62, 0x06, 0x00, 0x05)) {
            f.load(0x600, 0xF4).load(5 * 4, 0x00, 0x06, 0x00, 0x00);
            f.mem.write16(0x500, 0x8000);
            f.mem.write16(0x502, 0xFFFE);
            f.cpu.r[Cpu.EAX] = 0xFFFF;
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x601, f.cpu.rip);
            assertEquals(0x7C00, f.mem.read16(0x8FFA), "#BR is a fault: IP of the BOUND");
        }
    }
}

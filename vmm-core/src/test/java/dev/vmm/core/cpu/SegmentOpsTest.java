package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vmm.core.irq.InterruptSource;
import org.junit.jupiter.api.Test;

class SegmentOpsTest {
    private static final long CODE = 0x10000;

    private static CpuFault tryStep(Cpu c) {
        return StackOpsTest.tryStep(c);
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

    private static void assertFault(CpuFault fault, int vector, int err) {
        assertNotNull(fault);
        assertEquals(vector, fault.vector());
        assertEquals(err, fault.errorCode());
    }

    // ---- MOV Sreg, Ew -------------------------------------------------------------------------

    @Test
    void movToSregInRealMode() {
        // mov ds, ax ; mov ss, ax
        try (CpuFixture f = real(0x8E, 0xD8, 0x8E, 0xD0)) {
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0xFFFF_1234L;
            c.step();
            assertEquals(0x1234, c.seg[Cpu.DS].selector);
            assertEquals(0x12340, c.seg[Cpu.DS].base);
            assertEquals(0, c.inhibit);
            c.step();
            assertEquals(0x1234, c.seg[Cpu.SS].selector);
            assertEquals(1, c.inhibit, "MOV SS inhibits interrupts for one instruction");
        }
    }

    @Test
    void movSsDelaysAPendingInterruptByOneInstruction() {
        // mov ss, ax ; mov sp, 0x9000 ; nop ; vector 0x20 -> 0000:0600 (hlt)
        try (CpuFixture f = real(0x8E, 0xD0, 0xBC, 0x00, 0x90, 0x90)) {
            Cpu c = f.cpu;
            f.load(0x600, 0xF4).load(0x20 * 4, 0x00, 0x06, 0x00, 0x00);
            boolean[] pending = {false};
            c.setInterruptSource(new InterruptSource() {
                @Override
                public boolean intrPending() {
                    return pending[0];
                }

                @Override
                public int acknowledge() {
                    pending[0] = false;
                    return 0x20;
                }
            });
            c.flags.setBit(Flags.IF, true);
            c.step();
            pending[0] = true;
            c.step();
            assertEquals(0x7C05, c.rip, "the instruction after MOV SS ran first");
            assertEquals(0x9000, c.r[Cpu.ESP] & 0xFFFF);
            c.step();
            assertFalse(pending[0], "then the interrupt was taken");
            assertEquals(0x600, c.rip);
            assertEquals(0x7C05, f.mem.read16(0x9000 - 6));
        }
    }

    @Test
    void movToCsOrAnUndefinedSregIsUd() {
        // mov cs, ax ; mov <sreg 6>, ax
        try (CpuFixture f = real(0x8E, 0xC8, 0x8E, 0xF0)) {
            Cpu c = f.cpu;
            assertFault(tryStep(c), Exceptions.UD, -1);
            assertEquals(0x7C00, c.rip);
            assertEquals(0, c.seg[Cpu.CS].selector);
            c.rip = 0x7C02;
            assertFault(tryStep(c), Exceptions.UD, -1);
        }
    }

    @Test
    void movToSregProtectedModeChecks() {
        // mov ds, ax ; mov ss, ax ; mov es, ax
        try (CpuFixture f = flat(0x8E, 0xD8, 0x8E, 0xD0, 0x8E, 0xC0)) {
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0x33;
            assertNull(tryStep(c));
            assertEquals(0x33, c.seg[Cpu.DS].selector);
            assertFault(tryStep(c), Exceptions.GP, 0x30);
            assertEquals(0x10, c.seg[Cpu.SS].selector);
            assertEquals(0, c.inhibit);
            c.r[Cpu.EAX] = 0;
            assertFault(tryStep(c), Exceptions.GP, 0);
            c.rip = CODE + 4;
            assertNull(tryStep(c), "a null selector is fine for ES");
            assertEquals(0, c.seg[Cpu.ES].selector);
            assertFalse(c.seg[Cpu.ES].usable);
            c.r[Cpu.EAX] = 0x48;
            c.rip = CODE;
            assertFault(tryStep(c), Exceptions.GP, 0x48);
            assertEquals(0x33, c.seg[Cpu.DS].selector);
        }
    }

    @Test
    void movToSregFromMemoryReadsAWord() {
        // mov ds, [0x3000]
        try (CpuFixture f = flat(0x8E, 0x1D, 0x00, 0x30, 0x00, 0x00)) {
            f.mem.write32(0x3000, 0xFFFF_0033);
            f.cpu.step();
            assertEquals(0x33, f.cpu.seg[Cpu.DS].selector);
        }
    }

    // ---- MOV Ev, Sreg -------------------------------------------------------------------------

    @Test
    void movFromSregRegisterAndMemory() {
        // mov eax, ds ; mov cx, fs (66 8C E1) ; mov [0x3000], ds (with o32 too) ; mov eax, <sreg 6>
        try (CpuFixture f = flat(0x8C, 0xD8, 0x66, 0x8C, 0xE1, 0x8C, 0x1D, 0x00, 0x30, 0x00, 0x00,
                0x66, 0x8C, 0x1D, 0x04, 0x30, 0x00, 0x00, 0x8C, 0xF0)) {
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0xFFFF_FFFFL;
            c.r[Cpu.ECX] = 0xFFFF_FFFFL;
            f.mem.write32(0x3000, 0xAAAAAAAA);
            f.mem.write32(0x3004, 0xBBBBBBBB);
            c.step();
            assertEquals(0x10, c.r[Cpu.EAX], "32-bit register destination is zero-extended");
            c.step();
            assertEquals(0xFFFF_0010L, c.r[Cpu.ECX], "16-bit register destination keeps the upper half");
            c.step();
            assertEquals(0xAAAA0010, f.mem.read32(0x3000), "memory destination: always 16 bits");
            c.step();
            assertEquals(0xBBBB0010, f.mem.read32(0x3004));
            assertFault(tryStep(c), Exceptions.UD, -1);
        }
    }

    // ---- LES / LDS / LSS / LFS / LGS ----------------------------------------------------------

    @Test
    void loadFarPointers32() {
        // lds esi,[0x3000] ; les ebx,[0x3000] ; lfs eax,[0x3000] ; lgs ecx,[0x3000] ; lss esp,[0x3008]
        try (CpuFixture f = flat(0xC5, 0x35, 0x00, 0x30, 0x00, 0x00,
                0xC4, 0x1D, 0x00, 0x30, 0x00, 0x00,
                0x0F, 0xB4, 0x05, 0x00, 0x30, 0x00, 0x00,
                0x0F, 0xB5, 0x0D, 0x00, 0x30, 0x00, 0x00,
                0x0F, 0xB2, 0x25, 0x08, 0x30, 0x00, 0x00)) {
            Cpu c = f.cpu;
            f.mem.write32(0x3000, 0x12345678);
            f.mem.write16(0x3004, 0x33);
            f.mem.write32(0x3008, 0x7000);
            f.mem.write16(0x300C, 0x10);
            for (int k = 0; k < 5; k++) {
                assertNull(tryStep(c));
            }
            assertEquals(0x33, c.seg[Cpu.DS].selector);
            assertEquals(0x12345678L, c.r[Cpu.ESI]);
            assertEquals(0x33, c.seg[Cpu.ES].selector);
            assertEquals(0x12345678L, c.r[Cpu.EBX]);
            assertEquals(0x33, c.seg[Cpu.FS].selector);
            assertEquals(0x12345678L, c.r[Cpu.EAX]);
            assertEquals(0x33, c.seg[Cpu.GS].selector);
            assertEquals(0x12345678L, c.r[Cpu.ECX]);
            assertEquals(0x10, c.seg[Cpu.SS].selector);
            assertEquals(0x7000, c.r[Cpu.ESP]);
            assertEquals(0, c.inhibit, "LSS does not inhibit interrupts");
        }
    }

    @Test
    void lesInRealMode() {
        // les bx, [0x500]
        try (CpuFixture f = real(0xC4, 0x1E, 0x00, 0x05)) {
            Cpu c = f.cpu;
            c.r[Cpu.EBX] = 0xABCD_0000L;
            f.mem.write16(0x500, 0x1234);
            f.mem.write16(0x502, 0x5000);
            c.step();
            assertEquals(0x5000, c.seg[Cpu.ES].selector);
            assertEquals(0x50000, c.seg[Cpu.ES].base);
            assertEquals(0xABCD_1234L, c.r[Cpu.EBX]);
        }
    }

    @Test
    void loadFarFaultsBeforeWritingTheRegister() {
        // lds esi,[0x3000] with a selector past the GDT ; lss esp,[0x3008] with a null selector
        try (CpuFixture f = flat(0xC5, 0x35, 0x00, 0x30, 0x00, 0x00, 0x0F, 0xB2, 0x25, 0x08, 0x30, 0x00, 0x00)) {
            Cpu c = f.cpu;
            f.mem.write32(0x3000, 0x12345678);
            f.mem.write16(0x3004, 0x48);
            f.mem.write32(0x3008, 0x7000);
            f.mem.write16(0x300C, 0);
            c.r[Cpu.ESI] = 0x55;
            assertFault(tryStep(c), Exceptions.GP, 0x48);
            assertEquals(0x55, c.r[Cpu.ESI]);
            assertEquals(0x10, c.seg[Cpu.DS].selector);
            c.rip = CODE + 6;
            assertFault(tryStep(c), Exceptions.GP, 0);
            assertEquals(0x9000, c.r[Cpu.ESP]);
            assertEquals(0x10, c.seg[Cpu.SS].selector);
        }
    }
}

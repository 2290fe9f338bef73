package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.FarTransferTest.TOP;
import static dev.vmm.core.cpu.FarTransferTest.assertFault;
import static dev.vmm.core.cpu.FarTransferTest.fault;
import static dev.vmm.core.cpu.FarTransferTest.ring3;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** INT n / INT3 / INTO and IRET in real, protected and virtual-8086 mode; #DF and triple faults. */
class InterruptDeliveryTest {
    private static final int V86_FLAGS = Flags.VM | Flags.IF | 2;

    private static void ivt(CpuFixture f, int vector, int cs, int ip) {
        f.mem.write16(vector * 4L, ip);
        f.mem.write16(vector * 4L + 2, cs);
    }

    // ---- real mode ------------------------------------------------------------------------------

    @Test
    void realIntAndIret() {
        try (CpuFixture f = new CpuFixture()) {
            ivt(f, 0x21, 0x3000, 0x0010);
            f.load(0x7C00, 0xCD, 0x21, 0xF4);
            f.load(0x30010, 0xCF);
            f.real(0, 0x7C00);
            Cpu c = f.cpu;
            c.flags.set(Flags.IF | Flags.CF | 2);
            c.step();
            assertEquals(0x3000, c.seg[Cpu.CS].selector);
            assertEquals(0x30000, c.seg[Cpu.CS].base);
            assertEquals(0x10, c.rip);
            assertEquals(TOP - 6, c.r[Cpu.ESP]);
            assertEquals(0x7C02, f.mem.read16(TOP - 6));
            assertEquals(0x0000, f.mem.read16(TOP - 4));
            assertEquals(0x0203, f.mem.read16(TOP - 2));
            assertEquals(0x0003, c.eflags());
            c.step();
            assertEquals(0, c.seg[Cpu.CS].selector);
            assertEquals(0x7C02, c.rip);
            assertEquals(TOP, c.r[Cpu.ESP]);
            assertEquals(0x0203, c.eflags());
            assertEquals(Cpu.Exit.HALT, f.run(10));
        }
    }

    @Test
    void intWithTrapFlagDoesNotSingleStepIntoTheHandler() {
        try (CpuFixture f = new CpuFixture()) {
            ivt(f, 0x21, 0x0000, 0x0600);
            ivt(f, Exceptions.DB, 0x0000, 0x0700);
            f.load(0x7C00, 0xCD, 0x21);
            f.load(0x600, 0xF4);
            f.load(0x700, 0xF4);
            f.real(0, 0x7C00);
            f.cpu.flags.set(Flags.TF | 2);
            f.cpu.step();
            assertEquals(0x600, f.cpu.rip);
            assertEquals(TOP - 6, f.cpu.r[Cpu.ESP]);
            assertEquals(Flags.TF | 2, f.mem.read16(TOP - 2));
            assertEquals(2, f.cpu.eflags());
        }
    }

    @Test
    void realIretFlagMasks() {
        try (CpuFixture f = new CpuFixture()) {
            f.real(0, 0x7C00);
            Cpu c = f.cpu;
            // o32 iret: EFLAGS = (image & 257FD5) | (old & 1A0000)
            f.load(0x7C00, 0x66, 0xCF);
            c.flags.set(Flags.VIP | 2);
            c.r[Cpu.ESP] = 0x8000;
            f.mem.write32(0x8000, 0x7C40);
            f.mem.write32(0x8004, 0x0000);
            f.mem.write32(0x8008, 0x003F_7FD7);
            c.step();
            assertEquals(0x357FD7, c.eflags());
            assertEquals(0x7C40, c.rip);
            assertEquals(0x800C, c.r[Cpu.ESP]);
            // iret (16-bit): only FLAGS[15:0] change; AC above stays.
            f.load(0x7C40, 0xCF);
            c.flags.set(Flags.AC | 2);
            f.mem.write16(0x800C, 0x7C50);
            f.mem.write16(0x800E, 0x0000);
            f.mem.write16(0x8010, 0xFFFF);
            c.step();
            assertEquals(Flags.AC | 0x7FD7, c.eflags());
            assertEquals(0x7C50, c.rip);
            assertEquals(0x8012, c.r[Cpu.ESP]);
        }
    }

    @Test
    void realInt3AndInto() {
        try (CpuFixture f = new CpuFixture()) {
            ivt(f, 3, 0x0000, 0x0600);
            ivt(f, 4, 0x0000, 0x0700);
            f.load(0x7C00, 0xCC);
            f.load(0x7C10, 0xCE);
            f.real(0, 0x7C00);
            Cpu c = f.cpu;
            c.step();
            assertEquals(0x600, c.rip);
            assertEquals(0x7C01, f.mem.read16(TOP - 6));
            // INTO with OF clear: nothing happens.
            c.rip = 0x7C10;
            c.r[Cpu.ESP] = TOP;
            c.flags.set(2);
            c.step();
            assertEquals(0x7C11, c.rip);
            assertEquals(TOP, c.r[Cpu.ESP]);
            c.rip = 0x7C10;
            c.flags.set(Flags.OF | 2);
            c.step();
            assertEquals(0x700, c.rip);
            assertEquals(0x7C11, f.mem.read16(TOP - 6));
            assertEquals(Flags.OF | 2, f.mem.read16(TOP - 2));
        }
    }

    // ---- protected mode -------------------------------------------------------------------------

    @Test
    void interruptGateFromRing3SwitchesToTheTssStack() {
        try (CpuFixture f = FarTransferTest.pm(0x10000)) {
            Cpu c = f.cpu;
            f.setGate(0x80, 0x08, 0x20000, 0xE, 3);
            ring3(f, 0x10000, 0x7000);
            f.load(0x10000, 0xCD, 0x80, 0xF4);
            f.load(0x20000, 0xCF); // iretd
            c.flags.set(Flags.IF | Flags.CF | 2);
            c.step();
            assertEquals(0, c.cpl);
            assertEquals(0x08, c.seg[Cpu.CS].selector);
            assertEquals(0x20000, c.rip);
            assertEquals(0x10, c.seg[Cpu.SS].selector);
            long sp = TOP - 20;
            assertEquals(sp, c.r[Cpu.ESP]);
            assertEquals(0x10002, f.mem.read32(sp));
            assertEquals(0x2B, f.mem.read32(sp + 4));
            assertEquals(0x203, f.mem.read32(sp + 8));
            assertEquals(0x7000, f.mem.read32(sp + 12));
            assertEquals(0x33, f.mem.read32(sp + 16));
            assertEquals(Flags.CF | 2, c.eflags()); // IF cleared by the interrupt gate
            // The handler loads ring-0 data into DS and returns with IRETD to ring 3.
            f.loadSeg(Cpu.DS, 0x10);
            c.step();
            assertEquals(3, c.cpl);
            assertEquals(0x2B, c.seg[Cpu.CS].selector);
            assertEquals(0x10002, c.rip);
            assertEquals(0x33, c.seg[Cpu.SS].selector);
            assertEquals(0x7000, c.r[Cpu.ESP]);
            assertEquals(0x203, c.eflags());
            assertEquals(0, c.seg[Cpu.DS].selector);
            assertFalse(c.seg[Cpu.DS].usable);
            assertEquals(0x33, c.seg[Cpu.ES].selector);
        }
    }

    @Test
    void iretAtRing3KeepsIfAndIopl() {
        try (CpuFixture f = FarTransferTest.pm(0x10000)) {
            Cpu c = f.cpu;
            ring3(f, 0x10000, 0x7000);
            f.load(0x10000, 0xCF);
            c.flags.set(Flags.IF | 2);
            f.mem.write32(0x7000, 0x10100);
            f.mem.write32(0x7004, 0x2B);
            f.mem.write32(0x7008, Flags.IOPL | Flags.CF | Flags.AC | 2); // IF clear, IOPL 3 in the image
            c.step();
            assertEquals(Flags.IF | Flags.CF | Flags.AC | 2, c.eflags());
            assertEquals(0x10100, c.rip);
            assertEquals(0x700C, c.r[Cpu.ESP]);
            assertEquals(3, c.cpl);
        }
    }

    @Test
    void intThroughDpl0GateFromRing3IsGpWithTheInstructionAddress() {
        try (CpuFixture f = FarTransferTest.pm(0x10000)) {
            Cpu c = f.cpu;
            f.setGate(0x81, 0x08, 0x20000, 0xE, 0);
            f.setGate(13, 0x08, 0x600, 0xE, 0);
            f.load(0x600, 0xF4);
            ring3(f, 0x10000, 0x7000);
            f.load(0x10000, 0xCD, 0x81);
            c.flags.set(Flags.IF | 2);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x601, c.rip);
            long sp = TOP - 24;
            assertEquals(sp, c.r[Cpu.ESP]);
            assertEquals(0x81 * 8 + 2, f.mem.read32(sp));
            assertEquals(0x10000, f.mem.read32(sp + 4)); // the INT instruction itself
            assertEquals(0x2B, f.mem.read32(sp + 8));
            assertEquals(Flags.RF | 0x202, f.mem.read32(sp + 12)); // a fault of the INT: RF = 1
            assertEquals(0x7000, f.mem.read32(sp + 16));
            assertEquals(0x33, f.mem.read32(sp + 20));
        }
    }

    @Test
    void faultDuringDeliveryBecomesDoubleFault() {
        try (CpuFixture f = FarTransferTest.pm(0x10000)) {
            Cpu c = f.cpu;
            // #GP from jmp 0000:0; the #GP gate is not present (#NP while delivering #GP) -> #DF(0).
            f.setGate(8, 0x08, 0x600, 0xE, 0);
            f.load(0x600, 0xF4);
            f.load(0x10000, 0xEA, 0, 0, 0, 0, 0, 0);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x601, c.rip);
            long sp = TOP - 16;
            assertEquals(sp, c.r[Cpu.ESP]);
            assertEquals(0, f.mem.read32(sp));
            assertEquals(0x10000, f.mem.read32(sp + 4));
            assertEquals(0x08, f.mem.read32(sp + 8));
            assertEquals(Flags.RF | 2, f.mem.read32(sp + 12));
        }
    }

    @Test
    void tripleFaultShutsDown() {
        try (CpuFixture f = FarTransferTest.pm(0x10000)) {
            // No gates at all: #GP -> #NP -> #DF -> #NP -> shutdown.
            f.load(0x10000, 0xEA, 0, 0, 0, 0, 0, 0);
            assertEquals(Cpu.Exit.SHUTDOWN, f.run(10));
            assertTrue(f.cpu.isShutdown());
        }
    }

    // ---- virtual-8086 mode ----------------------------------------------------------------------

    /** Ring 0 at 0x10000 with an IRETD frame at 0x8000 that enters v86 at 2000:0100, SS:SP 3000:0FF0. */
    private static CpuFixture enterV86(int eflags) {
        CpuFixture f = FarTransferTest.pm(0x10000);
        f.load(0x10000, 0xCF);
        f.cpu.r[Cpu.ESP] = 0x8000;
        int[] frame = {0x0100, 0x2000, eflags, 0x0FF0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
        for (int k = 0; k < frame.length; k++) {
            f.mem.write32(0x8000 + 4L * k, frame[k]);
        }
        f.cpu.step();
        return f;
    }

    @Test
    void iretToV86AndIntBackToRing0() {
        try (CpuFixture f = enterV86(V86_FLAGS | Flags.IOPL)) {
            Cpu c = f.cpu;
            assertTrue(c.v86());
            assertEquals(3, c.cpl);
            assertEquals(V86_FLAGS | Flags.IOPL, c.eflags());
            assertEquals(0x100, c.rip);
            assertEquals(0x0FF0, c.r[Cpu.ESP]);
            int[] sel = {0x4000, 0x2000, 0x3000, 0x5000, 0x6000, 0x7000};
            for (int s = 0; s < 6; s++) {
                assertEquals(sel[s], c.seg[s].selector);
                assertEquals((long) sel[s] << 4, c.seg[s].base);
                assertEquals(0xFFFF, c.seg[s].limit);
                assertEquals(3, c.seg[s].dpl());
            }
            assertEquals(16, c.codeSize());
            // In v86: int 21h through a DPL-3 32-bit interrupt gate to ring 0.
            f.setGate(0x21, 0x08, 0x80000, 0xE, 3);
            f.load(0x20100, 0xCD, 0x21);
            f.load(0x80000, 0xCF);
            c.step();
            assertFalse(c.v86());
            assertEquals(0, c.cpl);
            assertEquals(0x08, c.seg[Cpu.CS].selector);
            assertEquals(0x80000, c.rip);
            assertEquals(0x10, c.seg[Cpu.SS].selector);
            long sp = TOP - 36;
            assertEquals(sp, c.r[Cpu.ESP]);
            long[] expect = {0x0102, 0x2000, V86_FLAGS | Flags.IOPL, 0x0FF0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
            for (int k = 0; k < expect.length; k++) {
                assertEquals(expect[k], f.mem.read32(sp + 4L * k) & 0xFFFF_FFFFL, "frame dword " + k);
            }
            for (int s : new int[] {Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS}) {
                assertEquals(0, c.seg[s].selector);
                assertFalse(c.seg[s].usable);
            }
            assertEquals(Flags.IOPL | 2, c.eflags()); // VM, IF cleared
            // IRETD from the handler returns to v86 with every segment restored.
            c.step();
            assertTrue(c.v86());
            assertEquals(3, c.cpl);
            assertEquals(0x102, c.rip);
            assertEquals(0x0FF0, c.r[Cpu.ESP]);
            for (int s = 0; s < 6; s++) {
                assertEquals(sel[s], c.seg[s].selector);
            }
        }
    }

    @Test
    void intInV86WithIoplBelow3IsGp() {
        try (CpuFixture f = enterV86(V86_FLAGS)) {
            Cpu c = f.cpu;
            f.setGate(0x21, 0x08, 0x80000, 0xE, 3);
            f.setGate(13, 0x08, 0x600, 0xE, 0);
            f.load(0x600, 0xF4);
            f.load(0x20100, 0xCD, 0x21);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x601, c.rip);
            long sp = TOP - 40;
            assertEquals(sp, c.r[Cpu.ESP]);
            long[] expect = {0, 0x0100, 0x2000, V86_FLAGS | Flags.RF, 0x0FF0, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
            for (int k = 0; k < expect.length; k++) {
                assertEquals(expect[k], f.mem.read32(sp + 4L * k) & 0xFFFF_FFFFL, "frame dword " + k);
            }
        }
    }

    @Test
    void iretInV86() {
        try (CpuFixture f = enterV86(V86_FLAGS)) {
            // IOPL 0: IRET faults with #GP(0) and changes nothing.
            assertFault(Exceptions.GP, 0, fault(f, 0xCF));
        }
        try (CpuFixture f = enterV86(V86_FLAGS | Flags.IOPL)) {
            Cpu c = f.cpu;
            // IOPL 3: 16-bit IRET pops IP, CS, FLAGS; IOPL and VM stay.
            f.load(0x20100, 0xCF);
            f.mem.write16(0x30FF0, 0x0200);
            f.mem.write16(0x30FF2, 0x2100);
            f.mem.write16(0x30FF4, Flags.CF | Flags.DF | 2); // IF clear, IOPL 0 in the image
            c.step();
            assertEquals(0x2100, c.seg[Cpu.CS].selector);
            assertEquals(0x21000, c.seg[Cpu.CS].base);
            assertEquals(0x200, c.rip);
            assertEquals(0x0FF6, c.r[Cpu.ESP]);
            assertEquals(Flags.VM | Flags.IOPL | Flags.CF | Flags.DF | 2, c.eflags());
            assertEquals(3, c.cpl);
        }
    }

    @Test
    void farTransfersInV86LoadCsRealStyle() {
        try (CpuFixture f = enterV86(V86_FLAGS)) {
            Cpu c = f.cpu;
            // call 2200:0010 ; there: retf
            f.load(0x20100, 0x9A, 0x10, 0x00, 0x00, 0x22);
            f.load(0x22010, 0xCB);
            c.step();
            assertEquals(0x2200, c.seg[Cpu.CS].selector);
            assertEquals(0x22000, c.seg[Cpu.CS].base);
            assertEquals(3, c.seg[Cpu.CS].dpl());
            assertEquals(0x10, c.rip);
            assertEquals(0x0FEC, c.r[Cpu.ESP]);
            assertEquals(0x0105, f.mem.read16(0x30FEC));
            assertEquals(0x2000, f.mem.read16(0x30FEE));
            c.step();
            assertEquals(0x2000, c.seg[Cpu.CS].selector);
            assertEquals(0x105, c.rip);
            assertEquals(0x0FF0, c.r[Cpu.ESP]);
            assertTrue(c.v86());
            assertEquals(3, c.cpl);
        }
    }
}

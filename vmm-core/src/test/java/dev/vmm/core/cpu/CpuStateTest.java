package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.snapshot.TestGuest;
import org.junit.jupiter.api.Test;

/** {@link Cpu#save()} / {@link Cpu#restore(CpuState)}: every register, and derived state rebuilt. */
class CpuStateTest {

    /** A state with every field away from its reset value. */
    private static void scribble(Cpu c) {
        for (int k = 0; k < 16; k++) {
            c.r[k] = 0x1111_1111_1111_1111L * (k + 1);
        }
        c.rip = 0x1234;
        c.flags.set(Flags.CF | Flags.ZF | Flags.IF | Flags.AC);
        c.seg[Cpu.GS].set(0x1B, 0xABC000, 0xFFF, Segment.A_P | Segment.A_S | Segment.A_RW);
        c.seg[Cpu.ES].usable = false;
        c.ldtr.set(0x40, 0x5000, 0x17, Segment.A_P | 2);
        c.cr2 = 0xDEAD_B000L;
        c.cr8 = 3;
        c.efer = Cpu.EFER_NXE;
        c.dr[0] = 0x4000;
        c.dr[6] = 0xFFFF_0FF1L;
        c.msrs.sysenterCs = 8;
        c.msrs.sysenterEsp = 0x9000;
        c.msrs.sysenterEip = 0x2000;
        c.msrs.pat = 0x0007_0106_0007_0406L;
        c.msrs.miscEnable = 0x81;
        c.msrs.tscOffset = -77;
        c.inhibit = 1;
        c.halted = true;
        c.icount = 4242;
        c.setA20(false);
    }

    @Test
    void saveThenRestoreIntoAFreshCpuGivesTheSameState() {
        try (CpuFixture a = new CpuFixture(); CpuFixture b = new CpuFixture()) {
            a.flat32(0x10000);
            scribble(a.cpu);
            CpuState s = a.cpu.save();
            assertNotEquals(s, b.cpu.save());
            b.cpu.restore(s);
            assertEquals(s, b.cpu.save());
            assertEquals(s.hashCode(), b.cpu.save().hashCode());
            assertFalse(b.cpu.a20());
            assertFalse(b.cpu.seg[Cpu.ES].readable, "derived segment access rights rebuilt");
            assertEquals(4242 - 77, b.cpu.readTsc(), "TSC = icount + offset");
        }
    }

    @Test
    void lazyFlagsAreSavedMaterialized() {
        try (CpuFixture f = new CpuFixture()) {
            f.flat32(0x10000);
            // mov eax,0xFFFFFFFF ; add eax,1 ; hlt  -> CF ZF PF AF set lazily
            f.load(0x10000, 0xB8, 0xFF, 0xFF, 0xFF, 0xFF, 0x83, 0xC0, 0x01, 0xF4);
            f.run(100);
            assertNotEquals(Flags.NONE, f.cpu.flags.kind, "flags still lazy");
            int eflags = f.cpu.save().eflags();
            assertEquals(f.cpu.flags.get(), eflags);
            assertEquals(Flags.CF | Flags.ZF | Flags.PF | Flags.AF, eflags & Flags.ARITH);
        }
    }

    @Test
    void stateIsImmutableAndComparesByContent() {
        try (CpuFixture f = new CpuFixture()) {
            CpuState s = f.cpu.save();
            long[] r = s.r();
            r[0] = 99;
            assertNotEquals(99, s.r()[0]);
            f.cpu.r[0] = 5;
            assertNotEquals(5, s.r()[0], "a saved state does not follow the CPU");
            assertArrayEquals(f.cpu.dr, s.dr());
        }
    }

    @Test
    void restoreRebuildsTlbPdptesAndDebugMasks() {
        try (CpuFixture a = TestGuest.create(); CpuFixture b = new CpuFixture()) {
            a.run(20); // paging on, into the loop
            assertTrue((a.cpu.cr0 & Cpu.CR0_PG) != 0 && (a.cpu.cr4 & Cpu.CR4_PAE) != 0);
            a.cpu.dr[7] = 0x401; // L0: instruction breakpoint at DR0
            a.cpu.dr[0] = 0x7_0000;
            CpuState s = a.cpu.save();
            // b has a stale translation of page 0x50000 cached (paging off, identity), and stale code.
            b.cpu.readLinear32(0x50000);
            TestGuest.copyRam(a, b);
            b.mem.write64(0x101000, 0x20_0083L); // b's PD maps linear 0 to physical 2 MiB
            b.mem.write32(0x25_0000L, 0xCAFE);
            b.cpu.restore(s);
            assertEquals(0xCAFE, b.cpu.readLinear32(0x50000), "TLB flushed, PDPTEs and PD walked afresh");
            assertTrue(b.cpu.debugActive, "DR7 breakpoint re-armed");
        }
    }

    @Test
    void aRestoredCpuRunsInLockstepWithTheOriginal() {
        try (CpuFixture a = TestGuest.create(); CpuFixture b = TestGuest.blank()) {
            assertEquals(Cpu.Exit.LIMIT, a.run(1000));
            TestGuest.copyRam(a, b);
            b.cpu.restore(a.cpu.save());
            int steps = TestGuest.lockstep(a, b, 100_000);
            assertTrue(a.cpu.halted && steps > 1000, "ran to HLT: " + steps);
            assertEquals(0, a.cpu.r[Cpu.ECX]);
        }
    }
}

package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PortIoDevice;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StringOpsTest {
    private static final long CODE = 0x10000;
    private static final long HANDLER = 0x11000;
    private static final long PD = 0x30000;
    private static final long PT = 0x31000;

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

    /** A port that reads 0x10, 0x11, ... and records every write. */
    static final class Recorder implements PortIoDevice {
        int next = 0x10;
        int reads;
        final List<String> writes = new ArrayList<>();

        @Override
        public int ioRead(int port, int size) {
            reads++;
            return next++;
        }

        @Override
        public void ioWrite(int port, int size, int value) {
            writes.add(Integer.toHexString(port) + "/" + size + "=" + Integer.toHexString(value));
        }
    }

    // ---- MOVS ---------------------------------------------------------------------------------

    @Test
    void movsForwardAndBackward() {
        // movsd ; std-like: DF set before the second movsb
        try (CpuFixture f = flat(0xA5, 0xA4)) {
            Cpu c = f.cpu;
            f.mem.write32(0x3000, 0x11223344);
            c.r[Cpu.ESI] = 0x3000;
            c.r[Cpu.EDI] = 0x4000;
            c.step();
            assertEquals(0x11223344, f.mem.read32(0x4000));
            assertEquals(0x3004, c.r[Cpu.ESI]);
            assertEquals(0x4004, c.r[Cpu.EDI]);
            c.flags.setBit(Flags.DF, true);
            f.mem.write8(0x3004, 0x99);
            c.step();
            assertEquals(0x99, f.mem.read8(0x4004));
            assertEquals(0x3003, c.r[Cpu.ESI]);
            assertEquals(0x4003, c.r[Cpu.EDI]);
        }
    }

    @Test
    void repMovsbCopiesAndCountsDown() {
        // rep movsb ; hlt
        try (CpuFixture f = flat(0xF3, 0xA4, 0xF4)) {
            Cpu c = f.cpu;
            for (int k = 0; k < 10; k++) {
                f.mem.write8(0x3000 + k, 0xA0 + k);
            }
            c.r[Cpu.ESI] = 0x3000;
            c.r[Cpu.EDI] = 0x4000;
            c.r[Cpu.ECX] = 10;
            assertEquals(Cpu.Exit.HALT, f.run(10));
            for (int k = 0; k < 10; k++) {
                assertEquals(0xA0 + k, f.mem.read8(0x4000 + k));
            }
            assertEquals(0, f.mem.read8(0x400A));
            assertEquals(0, c.r[Cpu.ECX]);
            assertEquals(0x300A, c.r[Cpu.ESI]);
            assertEquals(0x400A, c.r[Cpu.EDI]);
            assertEquals(2, c.instructionCount());
        }
    }

    @Test
    void repWithZeroCountDoesNothing() {
        try (CpuFixture f = flat(0xF3, 0xA5)) {
            Cpu c = f.cpu;
            f.mem.write32(0x3000, 0x55);
            c.r[Cpu.ESI] = 0x3000;
            c.r[Cpu.EDI] = 0x4000;
            c.step();
            assertEquals(0, f.mem.read32(0x4000));
            assertEquals(0x3000, c.r[Cpu.ESI]);
            assertEquals(CODE + 2, c.rip);
        }
    }

    @Test
    void repneOnMovsAlsoRepeats() {
        try (CpuFixture f = flat(0xF2, 0xA4)) {
            Cpu c = f.cpu;
            f.mem.write32(0x3000, 0x00332211);
            c.r[Cpu.ESI] = 0x3000;
            c.r[Cpu.EDI] = 0x4000;
            c.r[Cpu.ECX] = 3;
            c.step();
            assertEquals(0x00332211, f.mem.read32(0x4000));
            assertEquals(0, c.r[Cpu.ECX]);
        }
    }

    @Test
    void movsRespectsTheSourceOverrideButWritesToEs() {
        // es: movsb (26 A4) with DS=0100, ES=0200 in real mode
        try (CpuFixture f = real(0x26, 0xA4)) {
            Cpu c = f.cpu;
            c.seg[Cpu.DS].loadReal(0x100);
            c.seg[Cpu.ES].loadReal(0x200);
            f.mem.write8(0x1010, 0xCD);
            f.mem.write8(0x2010, 0xAB);
            c.r[Cpu.ESI] = 0x10;
            c.r[Cpu.EDI] = 0x20;
            c.step();
            assertEquals(0xAB, f.mem.read8(0x2020));
            assertEquals(0, f.mem.read8(0x1020));
        }
    }

    @Test
    void sixteenBitAddressingUsesAndWrapsSiDiCx() {
        // a16 rep movsb in 32-bit code (67 F3 A4)
        try (CpuFixture f = flat(0x67, 0xF3, 0xA4)) {
            Cpu c = f.cpu;
            f.mem.write16(0x3000, 0xBBAA);
            c.r[Cpu.ESI] = 0xABCD_3000L;
            c.r[Cpu.EDI] = 0xABCD_4000L;
            c.r[Cpu.ECX] = 0xFFFF_0002L;
            c.step();
            assertEquals(0xBBAA, f.mem.read16(0x4000));
            assertEquals(0xFFFF_0000L, c.r[Cpu.ECX]);
            assertEquals(0xABCD_3002L, c.r[Cpu.ESI]);
            assertEquals(0xABCD_4002L, c.r[Cpu.EDI]);
        }
        // real mode: SI wraps from FFFF to 0000, the upper half of ESI is kept
        try (CpuFixture f = real(0xA4)) {
            Cpu c = f.cpu;
            f.mem.write8(0xFFFF, 0x77);
            c.r[Cpu.ESI] = 0x1234_FFFFL;
            c.r[Cpu.EDI] = 0x100;
            c.step();
            assertEquals(0x77, f.mem.read8(0x100));
            assertEquals(0x1234_0000L, c.r[Cpu.ESI]);
        }
    }

    @Test
    void longRepIsSplitIntoChunksThatRestartTheInstruction() {
        try (CpuFixture f = flat(0xF3, 0xA4)) {
            Cpu c = f.cpu;
            c.r[Cpu.ESI] = 0x20000;
            c.r[Cpu.EDI] = 0x40000;
            c.r[Cpu.ECX] = 3000;
            f.mem.write8(0x20000 + 2999, 0x5A);
            c.step();
            assertEquals(3000 - StringOps.CHUNK, c.r[Cpu.ECX]);
            assertEquals(0x20000 + StringOps.CHUNK, c.r[Cpu.ESI]);
            assertEquals(CODE, c.rip, "more remain: rip back at the instruction");
            c.step();
            assertEquals(3000 - 2 * StringOps.CHUNK, c.r[Cpu.ECX]);
            assertEquals(CODE, c.rip);
            c.step();
            assertEquals(0, c.r[Cpu.ECX]);
            assertEquals(CODE + 2, c.rip);
            assertEquals(0x5A, f.mem.read8(0x40000 + 2999));
        }
    }

    @Test
    void trapFlagMakesEachElementOneStep() {
        try (CpuFixture f = flat(0xF3, 0xA4)) {
            Cpu c = f.cpu;
            c.flags.setBit(Flags.TF, true);
            c.r[Cpu.ESI] = 0x3000;
            c.r[Cpu.EDI] = 0x4000;
            c.r[Cpu.ECX] = 3;
            assertNull(tryStep(c));
            assertEquals(2, c.r[Cpu.ECX]);
            assertEquals(CODE, c.rip);
        }
    }

    /** Identity-maps the first 4 MiB with 4 KiB pages, except the page at {@code hole}, and turns paging on. */
    static void pagingWithHole(CpuFixture f, long hole) {
        f.mem.write32(PD, (int) (PT | 7));
        for (int k = 0; k < 1024; k++) {
            long pa = (long) k << 12;
            f.mem.write32(PT + k * 4L, pa == hole ? 0 : (int) (pa | 7));
        }
        f.cpu.cr3 = PD;
        f.cpu.cr0 |= Cpu.CR0_PG;
        f.cpu.mmu.flushAll();
    }

    @Test
    void repMovsbFaultsMidStringOnANotPresentPageAndResumes() {
        // rep movsb ; hlt  — the destination runs from 0x4FFF0 into the not-present page 0x50000
        try (CpuFixture f = flat(0xF3, 0xA4, 0xF4)) {
            Cpu c = f.cpu;
            f.load(HANDLER + 14, 0xF4);
            f.setGate(14, 0x08, HANDLER + 14, 0xE, 0);
            for (int k = 0; k < 0x40; k++) {
                f.mem.write8(0x40000 + k, k + 1);
            }
            pagingWithHole(f, 0x50000);
            c.r[Cpu.ESI] = 0x40000;
            c.r[Cpu.EDI] = 0x4FFF0;
            c.r[Cpu.ECX] = 0x40;

            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(HANDLER + 15, c.rip, "#PF handler ran");
            assertEquals(0x50000, c.cr2);
            assertEquals(0x30, c.r[Cpu.ECX], "16 elements were done");
            assertEquals(0x40010, c.r[Cpu.ESI]);
            assertEquals(0x50000, c.r[Cpu.EDI]);
            for (int k = 0; k < 16; k++) {
                assertEquals(k + 1, f.mem.read8(0x4FFF0 + k));
            }
            // Frame: error code (write, not present, supervisor), EIP of the REP MOVSB, CS, EFLAGS.
            assertEquals(0x8FF0, c.r[Cpu.ESP]);
            assertEquals(2, f.mem.read32(0x8FF0));
            assertEquals(CODE, f.mem.read32(0x8FF4));
            assertEquals(0x08, f.mem.read32(0x8FF8));

            // Map the page and restart at the faulting instruction: the string completes.
            f.mem.write32(PT + 0x50 * 4, 0x50007);
            c.mmu.invalidate(0x50000);
            c.rip = CODE;
            c.r[Cpu.ESP] = 0x9000;
            c.halted = false;
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(CODE + 3, c.rip);
            assertEquals(0, c.r[Cpu.ECX]);
            assertEquals(0x40040, c.r[Cpu.ESI]);
            assertEquals(0x50030, c.r[Cpu.EDI]);
            for (int k = 16; k < 0x40; k++) {
                assertEquals(k + 1, f.mem.read8(0x4FFF0 + k));
            }
        }
    }

    @Test
    void repMovsdBackwardFaultOnTheSourceLeavesTheInstructionRestartable() {
        // std-direction rep movsd reading downward from 0x51008 into the not-present page 0x50000
        try (CpuFixture f = flat(0xF3, 0xA5)) {
            Cpu c = f.cpu;
            pagingWithHole(f, 0x50000);
            c.flags.setBit(Flags.DF, true);
            f.mem.write32(0x51008, 0x11111111);
            f.mem.write32(0x51004, 0x22222222);
            f.mem.write32(0x51000, 0x33333333);
            c.r[Cpu.ESI] = 0x51008;
            c.r[Cpu.EDI] = 0x60008;
            c.r[Cpu.ECX] = 5;
            CpuFault fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.PF, fault.vector());
            assertEquals(0, fault.errorCode(), "read, not present, supervisor");
            assertEquals(0x50FFC, c.cr2);
            assertEquals(CODE, c.rip);
            assertEquals(2, c.r[Cpu.ECX]);
            assertEquals(0x50FFC, c.r[Cpu.ESI]);
            assertEquals(0x5FFFC, c.r[Cpu.EDI]);
            assertEquals(0x33333333, f.mem.read32(0x60000));
            assertEquals(0x11111111, f.mem.read32(0x60008));
        }
    }

    // ---- CMPS / SCAS --------------------------------------------------------------------------

    private static void putString(CpuFixture f, long pa, String s) {
        for (int k = 0; k < s.length(); k++) {
            f.mem.write8(pa + k, s.charAt(k));
        }
    }

    @Test
    void repeCmpsbStopsAtTheFirstDifference() {
        try (CpuFixture f = flat(0xF3, 0xA6)) {
            Cpu c = f.cpu;
            putString(f, 0x3000, "ABCDxF");
            putString(f, 0x4000, "ABCDyF");
            c.r[Cpu.ESI] = 0x3000;
            c.r[Cpu.EDI] = 0x4000;
            c.r[Cpu.ECX] = 6;
            c.step();
            assertEquals(1, c.r[Cpu.ECX]);
            assertEquals(0x3005, c.r[Cpu.ESI]);
            assertEquals(0x4005, c.r[Cpu.EDI]);
            assertFalse(c.flags.zf());
            assertEquals(1, c.flags.cf(), "'x' - 'y' borrows");
            assertTrue(c.flags.sf());
            assertEquals(CODE + 2, c.rip);
        }
    }

    @Test
    void repeCmpsEndingExactlyAtTheChunkBoundaryCompletes() {
        try (CpuFixture f = flat(0xF3, 0xA6)) {
            Cpu c = f.cpu;
            f.mem.write8(0x20000 + StringOps.CHUNK - 1, 1);
            c.r[Cpu.ESI] = 0x20000;
            c.r[Cpu.EDI] = 0x40000;
            c.r[Cpu.ECX] = 2000;
            c.step();
            assertEquals(2000 - StringOps.CHUNK, c.r[Cpu.ECX]);
            assertFalse(c.flags.zf());
            assertEquals(CODE + 2, c.rip, "the mismatch ended the instruction");
        }
    }

    @Test
    void cmpswWithoutRepSetsFlags() {
        try (CpuFixture f = flat(0x66, 0xA7)) {
            Cpu c = f.cpu;
            f.mem.write16(0x3000, 0x8000);
            f.mem.write16(0x4000, 0x0001);
            c.r[Cpu.ESI] = 0x3000;
            c.r[Cpu.EDI] = 0x4000;
            c.r[Cpu.ECX] = 0;
            c.step();
            assertEquals(0x3002, c.r[Cpu.ESI]);
            assertEquals(0x4002, c.r[Cpu.EDI]);
            // 0x8000 - 0x0001 = 0x7FFF: OF set, no borrow, SF clear
            assertTrue(c.flags.of());
            assertEquals(0, c.flags.cf());
            assertFalse(c.flags.sf());
        }
    }

    @Test
    void repneScasbFindsTheTerminator() {
        try (CpuFixture f = flat(0xF2, 0xAE)) {
            Cpu c = f.cpu;
            putString(f, 0x3000, "abc\0def");
            c.r[Cpu.EAX] = 0xFFFF_FF00L;
            c.r[Cpu.EDI] = 0x3000;
            c.r[Cpu.ECX] = 100;
            c.step();
            assertEquals(96, c.r[Cpu.ECX]);
            assertEquals(0x3004, c.r[Cpu.EDI]);
            assertTrue(c.flags.zf());
        }
    }

    @Test
    void repeScasdRunsOutOfCount() {
        try (CpuFixture f = flat(0xF3, 0xAF)) {
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0;
            c.r[Cpu.EDI] = 0x3000;
            c.r[Cpu.ECX] = 4;
            c.step();
            assertEquals(0, c.r[Cpu.ECX]);
            assertEquals(0x3010, c.r[Cpu.EDI]);
            assertTrue(c.flags.zf());
        }
    }

    // ---- STOS / LODS --------------------------------------------------------------------------

    @Test
    void repStosdAndBackwardStosw() {
        // rep stosd ; std ; rep stosw — DF set by hand between the steps
        try (CpuFixture f = flat(0xF3, 0xAB, 0x66, 0xF3, 0xAB)) {
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0x11223344L;
            c.r[Cpu.EDI] = 0x5000;
            c.r[Cpu.ECX] = 4;
            c.step();
            for (int k = 0; k < 4; k++) {
                assertEquals(0x11223344, f.mem.read32(0x5000 + 4 * k));
            }
            assertEquals(0x5010, c.r[Cpu.EDI]);
            c.flags.setBit(Flags.DF, true);
            c.r[Cpu.EAX] = 0xBEEF;
            c.r[Cpu.EDI] = 0x5100;
            c.r[Cpu.ECX] = 3;
            c.step();
            assertEquals(0xBEEF, f.mem.read16(0x5100));
            assertEquals(0xBEEF, f.mem.read16(0x50FE));
            assertEquals(0xBEEF, f.mem.read16(0x50FC));
            assertEquals(0, f.mem.read16(0x50FA));
            assertEquals(0x50FA, c.r[Cpu.EDI]);
        }
    }

    @Test
    void lodsLoadsTheAccumulator() {
        // lodsb ; rep lodsw ; fs: lodsd (64 AD)
        try (CpuFixture f = flat(0xAC, 0x66, 0xF3, 0xAD, 0x64, 0xAD)) {
            Cpu c = f.cpu;
            f.mem.write8(0x3000, 0x5A);
            f.mem.write16(0x3001, 0x1111);
            f.mem.write16(0x3003, 0x2222);
            f.mem.write16(0x3005, 0x3333);
            c.r[Cpu.EAX] = 0xAAAA_AAAAL;
            c.r[Cpu.ESI] = 0x3000;
            c.step();
            assertEquals(0xAAAA_AA5AL, c.r[Cpu.EAX]);
            assertEquals(0x3001, c.r[Cpu.ESI]);
            c.r[Cpu.ECX] = 3;
            c.step();
            assertEquals(0xAAAA_3333L, c.r[Cpu.EAX]);
            assertEquals(0x3007, c.r[Cpu.ESI]);
            assertEquals(0, c.r[Cpu.ECX]);
            c.seg[Cpu.FS].set(0x10, 0x100, 0xFFFF_FFFFL, Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_DB);
            f.mem.write32(0x3107, 0xFEEDFACE);
            c.step();
            assertEquals(0xFEEDFACEL, c.r[Cpu.EAX]);
        }
    }

    // ---- INS / OUTS ---------------------------------------------------------------------------

    @Test
    void repInsbAndRepOutsw() {
        // rep insb ; rep outsw
        try (CpuFixture f = flat(0xF3, 0x6C, 0x66, 0xF3, 0x6F)) {
            Cpu c = f.cpu;
            Recorder dev = new Recorder();
            f.io.register(0x300, 2, "recorder", dev);
            c.r[Cpu.EDX] = 0x300;
            c.r[Cpu.EDI] = 0x5000;
            c.r[Cpu.ECX] = 4;
            c.step();
            assertEquals(0x13121110, f.mem.read32(0x5000));
            assertEquals(0x5004, c.r[Cpu.EDI]);
            assertEquals(0, c.r[Cpu.ECX]);
            f.mem.write16(0x3000, 0x1122);
            f.mem.write16(0x3002, 0x3344);
            c.r[Cpu.ESI] = 0x3000;
            c.r[Cpu.ECX] = 2;
            c.step();
            assertEquals(List.of("300/2=1122", "300/2=3344"), dev.writes);
            assertEquals(0x3004, c.r[Cpu.ESI]);
        }
    }

    @Test
    void insChecksTheDestinationBeforeReadingThePort() {
        try (CpuFixture f = flat(0x6C)) {
            Cpu c = f.cpu;
            Recorder dev = new Recorder();
            f.io.register(0x300, 1, "recorder", dev);
            c.seg[Cpu.ES].set(0x10, 0, 0xFFF, Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_DB);
            c.r[Cpu.EDX] = 0x300;
            c.r[Cpu.EDI] = 0x1000;
            CpuFault fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            assertEquals(0, dev.reads, "no port read for a faulting INS");
        }
    }

    @Test
    void insAtCpl3DeniedByTheIoBitmap() {
        try (CpuFixture f = flat(0xF3, 0x6C)) {
            Cpu c = f.cpu;
            Recorder dev = new Recorder();
            f.io.register(0x300, 1, "recorder", dev);
            f.loadSeg(Cpu.CS, 0x2B);
            f.loadSeg(Cpu.SS, 0x33);
            f.loadSeg(Cpu.ES, 0x33);
            f.mem.write8(CpuFixture.TSS + 0x68 + (0x300 >>> 3), 0x01);
            c.r[Cpu.EDX] = 0x300;
            c.r[Cpu.EDI] = 0x5000;
            c.r[Cpu.ECX] = 4;
            CpuFault fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            assertEquals(0, fault.errorCode());
            assertEquals(4, c.r[Cpu.ECX]);
            assertEquals(0, dev.reads);
            // Port 0x301 is allowed.
            c.r[Cpu.EDX] = 0x301;
            c.r[Cpu.ECX] = 1;
            assertNull(tryStep(c));
            assertEquals(0xFF, f.mem.read8(0x5000), "an unclaimed port reads all ones");
        }
    }
}

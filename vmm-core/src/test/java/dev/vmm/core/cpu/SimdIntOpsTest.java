package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.ArithTestSupport.DATA;
import static dev.vmm.core.cpu.ArithTestSupport.flat32;
import static dev.vmm.core.cpu.ArithTestSupport.real;
import static dev.vmm.core.cpu.ArithTestSupport.runToEnd;
import static dev.vmm.core.cpu.ArithTestSupport.runToFault;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.irq.IrqLine;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * What the host CPU cannot show about the MMX and SSE/SSE2 integer and move instructions (the
 * differential test {@code SimdIntDiffTest} covers their results): #UD and #NM by CR0.EM/TS and
 * CR4.OSFXSR (SDM vol. 3 table 13-1 and 13.1.4: the SSE additions on MMX registers, the cacheability
 * instructions and MOVNTI are exempt from OSFXSR), pending x87 exceptions (#MF or FERR#), 16-byte
 * alignment #GP of the aligned forms, faults leaving state unchanged, the MMX-state transitions,
 * CLFLUSH faulting, CPUID, and the 16-bit forms.
 */
class SimdIntOpsTest {
    private static final HexFormat HEX = HexFormat.of();

    /** A flat 32-bit fixture with CR0.MP/NE and CR4.OSFXSR/OSXMMEXCPT (what an SSE-aware OS sets). */
    private static CpuFixture sse(String hex) {
        CpuFixture f = flat32(code(hex));
        f.cpu.cr0 |= Cpu.CR0_MP | Cpu.CR0_NE;
        f.cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
        f.cpu.r[Cpu.EBX] = DATA;
        return f;
    }

    private static int[] code(String hex) {
        byte[] b = HEX.parseHex(hex.replace(" ", ""));
        int[] out = new int[b.length];
        for (int k = 0; k < b.length; k++) {
            out[k] = b[k] & 0xFF;
        }
        return out;
    }

    private static int length(String hex) {
        return hex.replace(" ", "").length() / 2;
    }

    /**
     * Runs {@code hex} followed by HLT in {@code f} (re-used: fixtures are costly) from CODE with a fresh stack,
     * DS flat, CR0.MP/NE, CR4.OSFXSR/OSXMMEXCPT and EBX = DATA, after {@code setup}; returns the vector of the
     * exception taken, or -1 if the code ran to its end.
     */
    private static int exec(CpuFixture f, String hex, java.util.function.Consumer<Cpu> setup) {
        int[] c = code(hex);
        f.load(ArithTestSupport.CODE, c).load(ArithTestSupport.CODE + c.length, 0xF4);
        Cpu cpu = f.cpu;
        cpu.rip = ArithTestSupport.CODE;
        cpu.r[Cpu.ESP] = CpuFixture.STACK_TOP;
        cpu.r[Cpu.EBX] = DATA;
        cpu.halted = false;
        cpu.cr0 = cpu.cr0 & ~(Cpu.CR0_EM | Cpu.CR0_TS) | Cpu.CR0_MP | Cpu.CR0_NE;
        cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
        f.loadSeg(Cpu.DS, 0x10);
        setup.accept(cpu);
        assertEquals(Cpu.Exit.HALT, f.run(100), hex);
        long at = cpu.rip + cpu.seg[Cpu.CS].base - 1;
        if (at == ArithTestSupport.CODE + c.length) {
            return -1;
        }
        long v = (at - ArithTestSupport.HANDLERS) / 0x10;
        assertEquals(ArithTestSupport.HANDLERS + 0x10 * v, at, hex + ": stopped at " + Long.toHexString(at));
        return (int) v;
    }

    /** The error code the CPU pushed for the fault just taken (ring 0: no stack switch). */
    private static long errorCode(CpuFixture f) {
        return f.mem.read32(f.cpu.r[Cpu.ESP]) & 0xFFFF_FFFFL;
    }

    /** A distinctive x87/MMX state: TOP = 5, R0-R3 empty, recognizable exponents and registers. */
    private static void x87State(Fpu fpu) {
        fpu.top = 5;
        fpu.emptyMask = 0x0F;
        for (int n = 0; n < 8; n++) {
            fpu.se[n] = 0x1230 + n;
            fpu.sig[n] = 0x0101_0101_0101_0101L * (n + 1);
            fpu.setXmm(n, 0x1111_1111_1111_1111L * n, ~(0x1111_1111_1111_1111L * n));
        }
    }

    private static void assertX87StateUnchanged(Fpu fpu) {
        assertEquals(5, fpu.top, "TOP");
        assertEquals(0x0F, fpu.emptyMask, "tags");
        for (int n = 0; n < 8; n++) {
            assertEquals(0x1230 + n, fpu.se[n], "exponent of R" + n);
            assertEquals(0x0101_0101_0101_0101L * (n + 1), fpu.sig[n], "R" + n);
            assertEquals(0x1111_1111_1111_1111L * n, fpu.xmmLo(n), "XMM" + n);
        }
    }

    // ---- #UD, #NM ----------------------------------------------------------------------------

    /** MMX forms, SSE forms on MMX registers, SSE/SSE2 forms, EMMS and the MMX-XMM moves. */
    private static final String[] SIMD = {"0F FC C1", "0F E0 C1", "0F 70 C1 1B", "0F 6E C0", "0F 77", "0F D4 C1",
        "66 0F FC C1", "0F 28 C1", "0F 57 C0", "66 0F 73 F8 03", "F3 0F D6 C1", "F2 0F D6 C1", "0F F7 C1",
        "66 0F F7 C1", "0F C5 C1 00"};

    @Test
    void crEmRaisesUdAndCrTsRaisesNm() {
        try (CpuFixture f = sse("")) {
            for (String hex : SIMD) {
                assertEquals(Exceptions.UD, exec(f, hex, c -> {
                    x87State(c.fpu);
                    c.cr0 |= Cpu.CR0_EM | Cpu.CR0_TS;
                }), hex);
                assertX87StateUnchanged(f.cpu.fpu);
                assertEquals(Exceptions.NM, exec(f, hex, c -> {
                    x87State(c.fpu);
                    c.cr0 |= Cpu.CR0_TS;
                }), hex);
                assertX87StateUnchanged(f.cpu.fpu);
            }
        }
    }

    @Test
    void sseFormsNeedOsfxsrTheMmxFormsOfSseAdditionsDoNot() {
        // The XMM forms and MOVQ2DQ/MOVDQ2Q: #UD without CR4.OSFXSR.
        try (CpuFixture f = sse("")) {
            for (String hex : new String[] {"66 0F FC C1", "0F 28 C1", "0F 57 C0", "66 0F 70 C1 00", "F3 0F D6 C1",
                "F2 0F D6 C1", "66 0F F7 C1", "66 0F D7 C1", "0F 50 C1"}) {
                assertEquals(Exceptions.UD, exec(f, hex, c -> {
                    x87State(c.fpu);
                    c.cr4 &= ~Cpu.CR4_OSFXSR;
                }), hex);
                assertX87StateUnchanged(f.cpu.fpu);
            }
        }
        // MMX and the SSE/SSE2 instructions on MMX registers (PAVGB, PSHUFW, PMINUB, PSADBW, PEXTRW, PINSRW,
        // PMOVMSKB, MOVNTQ, MASKMOVQ, PADDQ, PMULUDQ) follow the MMX rules: no OSFXSR check.
        String mmx = "0F E0 C1 0F 70 C1 1B 0F DA C1 0F F6 C1 0F C5 C1 00 0F C4 C0 01 0F D7 C1 0F E7 03 0F F7 C1"
                + " 0F D4 C1 0F F4 C1 0F FC C1";
        try (CpuFixture f = sse(mmx)) {
            f.cpu.cr4 &= ~Cpu.CR4_OSFXSR;
            f.cpu.r[Cpu.EDI] = DATA + 0x40;
            runToEnd(f, length(mmx));
        }
    }

    @Test
    void cacheabilityInstructionsAndMovntiIgnoreEmTsAndOsfxsr() {
        // prefetchnta/t0/t1/t2 [ebx] ; lfence ; mfence ; sfence ; clflush [ebx] ; movnti [ebx+4], ecx
        String hex = "0F 18 03 0F 18 0B 0F 18 13 0F 18 1B 0F AE E8 0F AE F0 0F AE F8 0F AE 3B 0F C3 4B 04";
        try (CpuFixture f = sse(hex)) {
            f.cpu.cr0 |= Cpu.CR0_EM | Cpu.CR0_TS;
            f.cpu.cr4 &= ~Cpu.CR4_OSFXSR;
            f.cpu.r[Cpu.ECX] = 0xCAFE_BABEL;
            x87State(f.cpu.fpu);
            runToEnd(f, length(hex));
            assertEquals(0xCAFE_BABE, f.mem.read32(DATA + 4));
            assertX87StateUnchanged(f.cpu.fpu);
        }
    }

    // ---- pending x87 exceptions --------------------------------------------------------------

    /** An unmasked invalid-operation exception pending: IE, ES and B set, IM clear. */
    private static void pendingX87Exception(Fpu fpu) {
        fpu.fcw = 0x037E;
        fpu.fsw = Fpu.SW_IE | Fpu.SW_ES | Fpu.SW_B;
    }

    @Test
    void aPendingX87ExceptionRaisesMfOnMmxInstructionsOnly() {
        for (String hex : new String[] {"0F FC C1", "0F 77", "0F E0 C1", "F3 0F D6 C1", "F2 0F D6 C1", "0F 7E C0"}) {
            try (CpuFixture f = sse(hex)) {
                x87State(f.cpu.fpu);
                pendingX87Exception(f.cpu.fpu);
                runToFault(f, Exceptions.MF);
                assertX87StateUnchanged(f.cpu.fpu);
            }
        }
        // SSE instructions on XMM registers and the cacheability instructions do not look at the x87 state.
        String hex = "66 0F FC C1 0F 28 D1 0F 18 03 0F AE F8";
        try (CpuFixture f = sse(hex)) {
            x87State(f.cpu.fpu);
            pendingX87Exception(f.cpu.fpu);
            runToEnd(f, length(hex));
            assertEquals(5, f.cpu.fpu.top);
        }
    }

    @Test
    void withoutCr0NeAPendingX87ExceptionAssertsFerrAndTheMmxInstructionRuns() {
        try (CpuFixture f = sse("0F FC C1")) {
            boolean[] ferr = new boolean[1];
            f.cpu.setFerr(new IrqLine() {
                @Override
                public void set(boolean level) {
                    ferr[0] |= level;
                }
            });
            f.cpu.cr0 &= ~Cpu.CR0_NE;
            x87State(f.cpu.fpu);
            pendingX87Exception(f.cpu.fpu);
            runToEnd(f, 3);
            assertTrue(ferr[0], "FERR# asserted");
            assertEquals(0, f.cpu.fpu.top, "MMX state entered");
            assertEquals(0x0101_0101_0101_0101L + 0x0202_0202_0202_0202L, f.cpu.fpu.mm(0));
        }
    }

    // ---- MMX state ---------------------------------------------------------------------------

    @Test
    void mmxInstructionsSetTopToZeroTagAllValidAndMarkOnlyWrittenRegisters() {
        // paddb mm2, mm3 ; pextrw eax, mm4, 1 ; movd [ebx], mm5
        try (CpuFixture f = sse("0F FC D3 0F C5 C4 01 0F 7E 2B")) {
            Fpu fpu = f.cpu.fpu;
            x87State(fpu);
            runToEnd(f, 10);
            assertEquals(0, fpu.top);
            assertEquals(0, fpu.emptyMask, "all tags valid");
            assertEquals(0x0707_0707_0707_0707L, fpu.mm(2));
            assertEquals(0xFFFF, fpu.se[2], "the written register's sign and exponent are all ones");
            for (int n : new int[] {0, 1, 3, 4, 5, 6, 7}) {
                assertEquals(0x1230 + n, fpu.se[n], "R" + n + " only read (or not used): exponent unchanged");
            }
            assertEquals(0x0505, f.cpu.r[Cpu.EAX]);
            assertEquals(0x0606_0606, f.mem.read32(DATA));
        }
    }

    @Test
    void emmsEmptiesEveryRegisterAndSetsTopToZero() {
        try (CpuFixture f = sse("0F 77")) {
            Fpu fpu = f.cpu.fpu;
            x87State(fpu);
            runToEnd(f, 2);
            assertEquals(0, fpu.top, "TOP (SDM vol. 3 12.2: every MMX instruction sets it to 0)");
            assertEquals(0xFF, fpu.emptyMask);
            assertEquals(0xFFFF, fpu.tagWord());
            for (int n = 0; n < 8; n++) {
                assertEquals(0x1230 + n, fpu.se[n]);
                assertEquals(0x0101_0101_0101_0101L * (n + 1), fpu.sig[n]);
            }
        }
    }

    // ---- alignment ---------------------------------------------------------------------------

    /** Forms with a 16-byte memory operand that must be 16-byte aligned (operand [ebx]). */
    private static final String[] ALIGNED = {"0F 28 03", "0F 29 03", "66 0F 28 03", "66 0F 29 03", "66 0F 6F 03",
        "66 0F 7F 03", "0F 2B 03", "66 0F 2B 03", "66 0F E7 03", "66 0F FC 03", "66 0F 70 03 00", "F3 0F 70 03 00",
        "0F C6 03 00", "66 0F C6 03 01", "0F 54 03", "66 0F 57 03", "66 0F 60 03", "66 0F 6C 03", "66 0F F1 03",
        "66 0F E2 03", "66 0F 63 03", "0F 14 03", "66 0F 15 03", "66 0F F6 03", "66 0F D4 03", "66 0F F4 03"};

    @Test
    void alignedFormsRaiseGpOnAMisalignedLinearAddress() {
        try (CpuFixture f = sse("")) {
            f.setGdt(8, CpuFixture.descriptor(8, 0xFFFF_FFFFL, 0x93, 0x4));
            f.cpu.gdtLimit = 9 * 8 - 1;
            for (String hex : ALIGNED) {
                for (int mis : new int[] {1, 4, 8, 15}) {
                    assertEquals(Exceptions.GP, exec(f, hex, c -> {
                        x87State(c.fpu);
                        c.r[Cpu.EBX] = DATA + mis;
                        f.mem.write64(DATA + 0x10, 0x5A5A_5A5A_5A5A_5A5AL);
                    }), hex);
                    assertEquals(0, errorCode(f), hex);
                    assertX87StateUnchanged(f.cpu.fpu);
                    assertEquals(0x5A5A_5A5A_5A5A_5A5AL, f.mem.read64(DATA + 0x10), hex + ": memory unchanged");
                }
                assertEquals(-1, exec(f, hex, c -> { }), hex);
                // The linear address counts: a segment base of 8 misaligns offset DATA and aligns DATA + 8.
                assertEquals(Exceptions.GP, exec(f, hex, c -> f.loadSeg(Cpu.DS, 0x40)), hex);
                assertEquals(-1, exec(f, hex, c -> {
                    f.loadSeg(Cpu.DS, 0x40);
                    c.r[Cpu.EBX] = DATA + 8;
                }), hex);
            }
        }
    }

    @Test
    void unalignedAndNarrowFormsAcceptAnyAddress() {
        String[] forms = {"0F 10 03", "0F 11 03", "66 0F 10 03", "66 0F 11 03", "F3 0F 6F 03", "F3 0F 7F 03",
            "F3 0F 7E 03", "66 0F D6 03", "F2 0F 10 03", "F2 0F 11 03", "F3 0F 10 03", "F3 0F 11 03", "0F 12 03",
            "0F 13 03", "66 0F 16 03", "66 0F 17 03", "0F FC 03", "0F 6F 03", "0F 7F 03", "0F E7 03", "0F 60 03",
            "0F C4 03 01", "66 0F C4 03 05", "66 0F 6E 03", "66 0F 7E 03"};
        try (CpuFixture f = sse("")) {
            for (String hex : forms) {
                assertEquals(-1, exec(f, hex, c -> c.r[Cpu.EBX] = DATA + 3), hex);
            }
        }
        // movdqu xmm1, [ebx+3] ; movdqu [ebx+0x23], xmm1
        try (CpuFixture f = sse("F3 0F 6F 4B 03 F3 0F 7F 4B 23")) {
            for (int k = 0; k < 16; k++) {
                f.mem.write8(DATA + 3 + k, 0x10 + k);
            }
            runToEnd(f, 10);
            assertEquals(0x1716_1514_1312_1110L, f.cpu.fpu.xmmLo(1));
            assertEquals(0x1F1E_1D1C_1B1A_1918L, f.cpu.fpu.xmmHi(1));
            assertEquals(0x1716_1514_1312_1110L, f.mem.read64(DATA + 0x23));
            assertEquals(0x1F1E_1D1C_1B1A_1918L, f.mem.read64(DATA + 0x2B));
        }
    }

    // ---- faults leave no trace ---------------------------------------------------------------

    /** DS limited to offset DATA + 0x1F. */
    private static void limitDs(CpuFixture f) {
        f.setGdt(8, CpuFixture.descriptor(0, DATA + 0x1F, 0x93, 0x4));
        f.cpu.gdtLimit = 9 * 8 - 1;
        f.loadSeg(Cpu.DS, 0x40);
    }

    @Test
    void aSixteenByteStoreThatCrossesTheSegmentLimitWritesNothing() {
        // movdqu [ebx+0x18], xmm0 (bytes 0x18..0x27; the limit is 0x1F) ; the same with maskmovdqu at [edi]
        for (String hex : new String[] {"F3 0F 7F 43 18", "66 0F F7 C1"}) {
            try (CpuFixture f = sse(hex)) {
                limitDs(f);
                f.cpu.r[Cpu.EDI] = DATA + 0x18;
                f.cpu.fpu.setXmm(0, -1L, -1L);
                f.cpu.fpu.setXmm(1, -1L, -1L);
                runToFault(f, Exceptions.GP);
                assertEquals(0, f.mem.read64(DATA + 0x18), hex + ": nothing written below the limit");
            }
        }
    }

    @Test
    void anMmxLoadThatFaultsLeavesTheX87StateAlone() {
        try (CpuFixture f = sse("0F 6F 43 1C")) {      // movq mm0, [ebx+0x1C]: beyond the limit
            limitDs(f);
            x87State(f.cpu.fpu);
            runToFault(f, Exceptions.GP);
            assertX87StateUnchanged(f.cpu.fpu);
        }
        try (CpuFixture f = sse("0F 7F 43 1C")) {      // movq [ebx+0x1C], mm0
            limitDs(f);
            x87State(f.cpu.fpu);
            runToFault(f, Exceptions.GP);
            assertX87StateUnchanged(f.cpu.fpu);
        }
    }

    /** Identity paging of 0-4 MiB with the page at {@code hole} not present. */
    private static void pagedWithHole(CpuFixture f, long hole) {
        long pd = 0x100000;
        long pt = 0x101000;
        for (int k = 0; k < 1024; k++) {
            long page = k * 0x1000L;
            f.mem.write32(pt + 4L * k, (int) (page == hole ? 0 : page | 7));
        }
        f.mem.write32(pd, (int) (pt | 7));
        f.cpu.cr3 = pd;
        f.cpu.cr0 |= Cpu.CR0_PG;
        f.cpu.mmu.flushAll();
    }

    @Test
    void pageFaultsAreRaisedBeforeAnythingIsWritten() {
        long hole = DATA + 0x1000;
        // movups [ebx+0xFF8], xmm0 crosses into the hole: #PF, the first 8 bytes stay unwritten.
        try (CpuFixture f = sse("0F 11 83 F8 0F 00 00")) {
            pagedWithHole(f, hole);
            f.cpu.fpu.setXmm(0, -1L, -1L);
            runToFault(f, Exceptions.PF);
            assertEquals(hole, f.cpu.cr2 & ~0xFFFL, "the fault is in the second page");
            assertEquals(0, f.mem.read64(DATA + 0xFF8));
        }
        // maskmovq: the mask selects only the first byte, the 8-byte area reaches into the hole.
        try (CpuFixture f = sse("0F F7 C1")) {
            pagedWithHole(f, hole);
            f.cpu.r[Cpu.EDI] = hole - 4;
            f.cpu.fpu.sig[0] = -1L;
            f.cpu.fpu.sig[1] = 0x80;
            runToFault(f, Exceptions.PF);
            assertEquals(0, f.mem.read32(hole - 4));
        }
    }

    // ---- CLFLUSH, PREFETCH -------------------------------------------------------------------

    @Test
    void clflushFaultsLikeAByteLoadButPrefetchNeverFaults() {
        try (CpuFixture f = sse("0F AE 7B 20")) {      // clflush [ebx+0x20]: beyond DS limit
            limitDs(f);
            runToFault(f, Exceptions.GP);
            assertEquals(0, errorCode(f));
        }
        try (CpuFixture f = sse("0F AE 7B 1F")) {      // the last byte below the limit
            limitDs(f);
            runToEnd(f, 4);
        }
        try (CpuFixture f = sse("0F AE 7D 00")) {      // clflush [ebp]: SS-relative beyond the SS limit
            f.setGdt(8, CpuFixture.descriptor(0, 0xFFFF, 0x93, 0x4));
            f.cpu.gdtLimit = 9 * 8 - 1;
            f.loadSeg(Cpu.SS, 0x40);
            f.cpu.r[Cpu.EBP] = 0x10000;
            runToFault(f, Exceptions.SS);
            assertEquals(0, errorCode(f));
        }
        try (CpuFixture f = sse("0F AE 3B")) {         // not-present page
            pagedWithHole(f, DATA);
            runToFault(f, Exceptions.PF);
            assertEquals(DATA, f.cpu.cr2);
        }
        try (CpuFixture f = sse("26 0F AE 3B")) {      // es: an execute-only code segment is allowed
            f.setGdt(8, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x99, 0x4));
            f.cpu.gdtLimit = 9 * 8 - 1;
            f.loadSeg(Cpu.ES, 0x40);
            runToEnd(f, 4);
        }
        // prefetcht0 beyond the segment limit, and on a not-present page: hints never fault.
        try (CpuFixture f = sse("0F 18 4B 40")) {
            limitDs(f);
            runToEnd(f, 4);
        }
        try (CpuFixture f = sse("0F 18 8B 00 10 00 00")) {
            pagedWithHole(f, DATA + 0x1000);
            runToEnd(f, 7);
        }
    }

    @Test
    void cpuidReportsClflushWithA64ByteLine() {
        int[] v = Cpuid.query(1);
        assertTrue((v[3] & 1 << 19) != 0, "CPUID.1:EDX.CLFSH");
        assertEquals(8, v[1] >>> 8 & 0xFF, "CLFLUSH line size in 8-byte units");
        assertTrue((v[3] & 1 << 23) != 0 && (v[3] & 1 << 25) != 0 && (v[3] & 1 << 26) != 0, "MMX SSE SSE2");
    }

    // ---- 16-bit forms ------------------------------------------------------------------------

    @Test
    void realModeFormsUse16BitAddressingAndKeepTheirOperandSizes() {
        // movd mm0, [bx] ; pinsrw mm0, eax, 3 ; 66 0F 6E 0F = movd xmm1, [bx] (66 selects the row, not the size) ;
        // es: maskmovq mm0, mm2 (stores at ES:DI) ; pextrw ecx, mm0, 3
        String hex = "0F 6E 07 0F C4 C0 03 66 0F 6E 0F 26 0F F7 C2 0F C5 C8 03";
        try (CpuFixture f = real(code(hex))) {
            f.cpu.cr4 |= Cpu.CR4_OSFXSR;
            f.cpu.r[Cpu.EBX] = 0x0100;
            f.mem.write32(0x0100, 0x8877_6655);
            f.cpu.r[Cpu.EAX] = 0xFFFF_BEEFL;
            f.cpu.r[Cpu.EDI] = 0x0200;
            f.cpu.seg[Cpu.ES].loadReal(0x1000);
            f.cpu.fpu.sig[2] = 0x8000_0000_0000_8080L;   // mask: bytes 0, 1 and 7
            runToEnd(f, length(hex));
            assertEquals(0xBEEF_0000_8877_6655L, f.cpu.fpu.mm(0));
            assertEquals(0x8877_6655L, f.cpu.fpu.xmmLo(1));
            assertEquals(0, f.cpu.fpu.xmmHi(1));
            byte[] stored = new byte[8];
            for (int k = 0; k < 8; k++) {
                stored[k] = (byte) f.mem.read8(0x10200 + k);
            }
            assertArrayEquals(new byte[] {0x55, 0x66, 0, 0, 0, 0, 0, (byte) 0xBE}, stored);
            assertEquals(0xBEEF, f.cpu.r[Cpu.ECX]);
            assertFalse(f.cpu.protectedMode());
        }
    }

    @Test
    void theDisassemblerPrintsTheSimdOperands() {
        assertEquals("pinsrw mm1, ebp, 0xa5", Disassembler.disassemble(HEX.parseHex("0FC4CDA5"), 16, 0));
        assertEquals("pinsrw xmm1, word ptr [eax], 0xa5", Disassembler.disassemble(HEX.parseHex("660FC408A5"), 32, 0));
        assertEquals("movq xmm1, qword ptr [eax]", Disassembler.disassemble(HEX.parseHex("F30F7E08"), 32, 0));
        assertEquals("movdqa xmmword ptr [esi], xmm2", Disassembler.disassemble(HEX.parseHex("660F7F16"), 32, 0));
        assertEquals("punpcklbw mm1, dword ptr [eax]", Disassembler.disassemble(HEX.parseHex("0F6008"), 32, 0));
        assertEquals("maskmovq mm2, mm3", Disassembler.disassemble(HEX.parseHex("0FF7D3"), 32, 0));
        assertEquals("lfence", Disassembler.disassemble(HEX.parseHex("0FAEEB"), 32, 0));
    }
}

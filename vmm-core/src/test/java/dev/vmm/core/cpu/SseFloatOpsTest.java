package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.assertFault;
import static dev.vmm.core.cpu.SysTestSupport.assertNoFault;
import static dev.vmm.core.cpu.SysTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * What the host cannot show for the SSE/SSE2 floating-point instructions (a native fault would end the
 * JVM): unmasked SIMD exceptions (#XM with CR4.OSXMMEXCPT, #UD without), the order in which their flags
 * reach MXCSR (pre-computation before post-computation, SDM vol. 1, 11.5.3), unmasked overflow and
 * underflow judged with unbounded exponent, the destination left unchanged, alignment #GP, LDMXCSR #GP,
 * #NM and #UD from CR0/CR4, and the pending-x87-exception check and MMX transition of the MMX forms.
 * Expected values are the SDM's; vector numbers: #UD 6, #NM 7, #GP 13, #MF 16, #XM 19.
 */
class SseFloatOpsTest {
    private static final long DATA = 0x20000;
    /** MXCSR with every exception masked, and masks for single exceptions. */
    private static final int MASKED = 0x1F80;
    private static final int IM = 1 << 7;
    private static final int DM = 1 << 8;
    private static final int ZM = 1 << 9;
    private static final int OM = 1 << 10;
    private static final int UM = 1 << 11;
    private static final int PM = 1 << 12;
    private static final int FTZ = 1 << 15;
    private static final int IE = 0x01;
    private static final int DE = 0x02;
    private static final int ZE = 0x04;
    private static final int OE = 0x08;
    private static final int UE = 0x10;
    private static final int PE = 0x20;

    private static final int ONE = 0x3F80_0000;
    private static final int TWO = 0x4000_0000;
    private static final int SNAN = 0x7F80_0001;
    private static final int QNAN = 0x7FC0_0000;
    private static final int DENORMAL = 0x0000_0001;

    /** A flat 32-bit fixture with SSE enabled (CR4.OSFXSR, OSXMMEXCPT; CR0.NE), {@code code} then HLT. */
    private static CpuFixture sse(int... code) {
        int[] withHlt = java.util.Arrays.copyOf(code, code.length + 1);
        withHlt[code.length] = 0xF4;
        CpuFixture f = SysTestSupport.flat(withHlt);
        f.cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
        f.cpu.cr0 |= Cpu.CR0_NE;
        return f;
    }

    private static void xmm(CpuFixture f, int n, int l0, int l1, int l2, int l3) {
        f.cpu.fpu.setXmm(n, (l0 & 0xFFFF_FFFFL) | (long) l1 << 32, (l2 & 0xFFFF_FFFFL) | (long) l3 << 32);
    }

    private static long[] xmm(CpuFixture f) {
        return f.cpu.fpu.xmm.clone();
    }

    /** Runs and asserts a fault with {@code vector}, XMM registers unchanged and the MXCSR flags {@code flags}. */
    private static void assertSimdFault(CpuFixture f, int vector, int flags) {
        long[] before = xmm(f);
        int mx = f.cpu.fpu.mxcsr;
        run(f);
        assertFault(f, vector, -1);
        assertEquals(SysTestSupport.CODE, SysTestSupport.top(f, 0), "the fault points at the instruction");
        assertArrayEquals(before, f.cpu.fpu.xmm, "destination unchanged");
        assertEquals(mx | flags, f.cpu.fpu.mxcsr, () -> String.format("MXCSR %04x", f.cpu.fpu.mxcsr));
    }

    // ---- #XM and #UD -----------------------------------------------------------------------------

    @Test
    void anUnmaskedInvalidOperationRaisesXmWithOsxmmexcpt() {
        CpuFixture f = sse(0x0F, 0x58, 0xC1);               // ADDPS xmm0, xmm1
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        xmm(f, 0, ONE, SNAN, ONE, ONE);
        xmm(f, 1, ONE, ONE, ONE, ONE);
        assertSimdFault(f, Exceptions.XM, IE);
    }

    @Test
    void anUnmaskedInvalidOperationRaisesUdWithoutOsxmmexcpt() {
        CpuFixture f = sse(0x0F, 0x58, 0xC1);
        f.cpu.cr4 &= ~Cpu.CR4_OSXMMEXCPT;
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        xmm(f, 0, ONE, SNAN, ONE, ONE);
        xmm(f, 1, ONE, ONE, ONE, ONE);
        assertSimdFault(f, Exceptions.UD, IE);
    }

    @Test
    void maskedExceptionsOnlySetFlagsAndWriteTheResult() {
        CpuFixture f = sse(0x0F, 0x5E, 0xC1);               // DIVPS xmm0, xmm1
        xmm(f, 0, ONE, ONE, SNAN, ONE);
        xmm(f, 1, 0, 0x4040_0000, ONE, ONE);                // 1/0, 1/3, SNaN/1, 1/1
        run(f);
        assertNoFault(f);
        assertEquals(MASKED | ZE | PE | IE, f.cpu.fpu.mxcsr);
        assertEquals(0x7F80_0000, f.cpu.fpu.xmm32(0, 0));
        assertEquals(0x3EAA_AAAB, f.cpu.fpu.xmm32(0, 1));
        assertEquals(0x7FC0_0001, f.cpu.fpu.xmm32(0, 2));
        assertEquals(ONE, f.cpu.fpu.xmm32(0, 3));
    }

    /** Pre-computation conditions of all lanes are reported first: an unmasked ZE hides the other lanes' PE. */
    @Test
    void anUnmaskedPreComputationExceptionSetsOnlyPreComputationFlags() {
        CpuFixture f = sse(0x0F, 0x5E, 0xC1);               // DIVPS
        f.cpu.fpu.mxcsr = MASKED & ~ZM;
        xmm(f, 0, ONE, ONE, DENORMAL, ONE);
        xmm(f, 1, 0x4040_0000, 0, ONE, ONE);                // inexact, 1/0, denormal (masked DE), exact
        assertSimdFault(f, Exceptions.XM, ZE | DE);
    }

    /** Without an unmasked pre-computation condition all flags are set, then an unmasked PE faults. */
    @Test
    void anUnmaskedPrecisionExceptionFaultsAfterAllFlagsAreSet() {
        CpuFixture f = sse(0x0F, 0x5E, 0xC1);               // DIVPS
        f.cpu.fpu.mxcsr = MASKED & ~PM;
        xmm(f, 0, ONE, ONE, DENORMAL, ONE);
        xmm(f, 1, 0x4040_0000, ONE, ONE, ONE);              // inexact, exact, denormal operand, exact
        assertSimdFault(f, Exceptions.XM, PE | DE);
    }

    @Test
    void scalarOperationsFaultOnlyForTheLowLane() {
        CpuFixture f = sse(0xF3, 0x0F, 0x58, 0xC1);         // ADDSS xmm0, xmm1
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        xmm(f, 0, ONE, SNAN, SNAN, SNAN);
        xmm(f, 1, ONE, SNAN, SNAN, SNAN);
        run(f);
        assertNoFault(f);
        assertEquals(TWO, f.cpu.fpu.xmm32(0, 0));
        assertEquals(SNAN, f.cpu.fpu.xmm32(0, 1), "upper lanes are kept, not computed");
        assertEquals(MASKED & ~IM, f.cpu.fpu.mxcsr);
    }

    // ---- unmasked overflow and underflow --------------------------------------------------------

    /** 2^-100 * 2^-30 = 2^-130 is tiny and exact: masked, no flag (denormal result); unmasked, #XM with UE only. */
    @Test
    void anExactTinyResultUnderflowsOnlyWhenUnderflowIsUnmasked() {
        CpuFixture f = sse(0xF3, 0x0F, 0x59, 0xC1);         // MULSS xmm0, xmm1
        xmm(f, 0, 0x0D80_0000, 0, 0, 0);
        xmm(f, 1, 0x3080_0000, 0, 0, 0);
        run(f);
        assertNoFault(f);
        assertEquals(0x0008_0000, f.cpu.fpu.xmm32(0, 0));
        assertEquals(MASKED, f.cpu.fpu.mxcsr);

        f = sse(0xF3, 0x0F, 0x59, 0xC1);
        f.cpu.fpu.mxcsr = MASKED & ~UM | FTZ;               // FTZ does not apply when UE is unmasked
        xmm(f, 0, 0x0D80_0000, 0, 0, 0);
        xmm(f, 1, 0x3080_0000, 0, 0, 0);
        assertSimdFault(f, Exceptions.XM, UE);
    }

    /** An inexact tiny result with UE unmasked: UE and PE; with UE masked and FTZ: zero, UE and PE. */
    @Test
    void anInexactTinyResult() {
        CpuFixture f = sse(0xF3, 0x0F, 0x59, 0xC1);         // MULSS: 1.5 * 2^-108 * (1 + 2^-23) * 2^-30 is inexact
        f.cpu.fpu.mxcsr = MASKED & ~UM;
        xmm(f, 0, 0x09C0_0000, 0, 0, 0);
        xmm(f, 1, 0x3080_0001, 0, 0, 0);
        assertSimdFault(f, Exceptions.XM, UE | PE);

        f = sse(0xF3, 0x0F, 0x59, 0xC1);
        f.cpu.fpu.mxcsr = MASKED | FTZ;
        xmm(f, 0, 0x89C0_0000, 0, 0, 0);
        xmm(f, 1, 0x3080_0001, 0, 0, 0);
        run(f);
        assertNoFault(f);
        assertEquals(0x8000_0000, f.cpu.fpu.xmm32(0, 0), "flushed to a zero of the result's sign");
        assertEquals(MASKED | FTZ | UE | PE, f.cpu.fpu.mxcsr);
    }

    /** Overflow with OE unmasked: OE, and PE only if rounding with unbounded exponent is inexact. */
    @Test
    void anUnmaskedOverflowSetsPrecisionOnlyWhenInexact() {
        CpuFixture f = sse(0xF3, 0x0F, 0x59, 0xC1);         // MULSS 2^100 * 2^100: exact
        f.cpu.fpu.mxcsr = MASKED & ~OM;
        xmm(f, 0, 0x7180_0000, 0, 0, 0);
        xmm(f, 1, 0x7180_0000, 0, 0, 0);
        assertSimdFault(f, Exceptions.XM, OE);

        f = sse(0xF3, 0x0F, 0x59, 0xC1);                    // (1 + 2^-23) * 2^100 squared: inexact
        f.cpu.fpu.mxcsr = MASKED & ~OM;
        xmm(f, 0, 0x7180_0001, 0, 0, 0);
        xmm(f, 1, 0x7180_0001, 0, 0, 0);
        assertSimdFault(f, Exceptions.XM, OE | PE);

        f = sse(0xF3, 0x0F, 0x59, 0xC1);                    // masked: infinity, OE and PE
        xmm(f, 0, 0x7180_0000, 0, 0, 0);
        xmm(f, 1, 0x7180_0000, 0, 0, 0);
        run(f);
        assertNoFault(f);
        assertEquals(0x7F80_0000, f.cpu.fpu.xmm32(0, 0));
        assertEquals(MASKED | OE | PE, f.cpu.fpu.mxcsr);
    }

    @Test
    void aNarrowingConversionUnderflowsWithUnmaskedUnderflow() {
        CpuFixture f = sse(0x66, 0x0F, 0x5A, 0xC1);         // CVTPD2PS xmm0, xmm1: 2^-140 is exact but tiny
        f.cpu.fpu.mxcsr = MASKED & ~UM;
        f.cpu.fpu.setXmm(1, 0x3730_0000_0000_0000L, 0x3FF0_0000_0000_0000L);
        assertSimdFault(f, Exceptions.XM, UE);
    }

    // ---- comparisons and conversions with unmasked exceptions ------------------------------------

    @Test
    void comissWithAnUnmaskedInvalidOperationLeavesEflags() {
        CpuFixture f = sse(0x0F, 0x2F, 0xC1);               // COMISS xmm0, xmm1: a QNaN is invalid
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        xmm(f, 0, QNAN, 0, 0, 0);
        f.cpu.flags.set(0x8D5 | 2);
        assertSimdFault(f, Exceptions.XM, IE);
        assertEquals(0x8D5, f.cpu.eflags() & 0x8D5);

        f = sse(0x0F, 0x2E, 0xC1);                          // UCOMISS: a QNaN is not invalid
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        xmm(f, 0, QNAN, 0, 0, 0);
        f.cpu.flags.set(0x8D5 | 2);
        run(f);
        assertNoFault(f);
        assertEquals(0x45, f.cpu.eflags() & 0x8D5, "unordered: ZF PF CF, OF SF AF cleared");
    }

    @Test
    void cvtss2siWithAnUnmaskedInvalidOperationLeavesTheRegister() {
        CpuFixture f = sse(0xF3, 0x0F, 0x2D, 0xC1);         // CVTSS2SI eax, xmm1
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        xmm(f, 1, 0x4F00_0000, 0, 0, 0);                    // 2^31 is out of range
        f.cpu.r[Cpu.EAX] = 0x1234_5678;
        assertSimdFault(f, Exceptions.XM, IE);
        assertEquals(0x1234_5678, f.cpu.r[Cpu.EAX]);

        f = sse(0xF3, 0x0F, 0x2D, 0xC1);
        xmm(f, 1, 0x4F00_0000, 0, 0, 0);
        run(f);
        assertEquals(0x8000_0000L, f.cpu.r[Cpu.EAX], "the integer indefinite");
        assertEquals(MASKED | IE, f.cpu.fpu.mxcsr);
    }

    @Test
    void cmppsSignalsInvalidForAQnanOnlyWithTheSignalingPredicates() {
        CpuFixture f = sse(0x0F, 0xC2, 0xC1, 0x01);         // CMPPS xmm0, xmm1, LT
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        xmm(f, 0, QNAN, 0, 0, 0);
        assertSimdFault(f, Exceptions.XM, IE);

        f = sse(0x0F, 0xC2, 0xC1, 0xF8 | 0x04);             // NEQ (imm8 bits 7:3 ignored): quiet
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        xmm(f, 0, QNAN, ONE, 0, 0);
        xmm(f, 1, ONE, ONE, 0, 0x8000_0000);
        run(f);
        assertNoFault(f);
        assertEquals(-1, f.cpu.fpu.xmm32(0, 0));
        assertEquals(0, f.cpu.fpu.xmm32(0, 1));
        assertEquals(0, f.cpu.fpu.xmm32(0, 3), "+0 equals -0");
    }

    // ---- alignment, MXCSR ------------------------------------------------------------------------

    @Test
    void packedSixteenByteMemoryOperandsMustBeAligned() {
        CpuFixture f = sse(0x0F, 0x58, 0x05, 0x08, 0x00, 0x02, 0x00);    // ADDPS xmm0, [0x20008]
        long[] before = xmm(f);
        run(f);
        assertFault(f, Exceptions.GP, 0);
        assertArrayEquals(before, f.cpu.fpu.xmm);

        f = sse(0x66, 0x0F, 0x5A, 0x05, 0x04, 0x00, 0x02, 0x00);         // CVTPD2PS xmm0, [0x20004]
        run(f);
        assertFault(f, Exceptions.GP, 0);

        f = sse(0x0F, 0x58, 0x05, 0x10, 0x00, 0x02, 0x00);               // aligned: fine
        f.mem.write32(DATA + 0x10, ONE);
        run(f);
        assertNoFault(f);
        assertEquals(ONE, f.cpu.fpu.xmm32(0, 0));
    }

    @Test
    void scalarAndEightByteMemoryOperandsNeedNoAlignment() {
        CpuFixture f = sse(0xF3, 0x0F, 0x58, 0x05, 0x03, 0x00, 0x02, 0x00,   // ADDSS xmm0, [0x20003]
                0x0F, 0x5A, 0x0D, 0x15, 0x00, 0x02, 0x00);                    // CVTPS2PD xmm1, [0x20015]
        f.mem.write32(DATA + 3, ONE);
        f.mem.write32(DATA + 0x15, TWO);
        f.mem.write32(DATA + 0x19, ONE);
        run(f);
        assertNoFault(f);
        assertEquals(ONE, f.cpu.fpu.xmm32(0, 0));
        assertEquals(0x4000_0000_0000_0000L, f.cpu.fpu.xmmLo(1));
        assertEquals(0x3FF0_0000_0000_0000L, f.cpu.fpu.xmmHi(1));
    }

    @Test
    void ldmxcsrRejectsReservedBitsAndLoadsEverythingElse() {
        CpuFixture f = sse(0x0F, 0xAE, 0x15, 0x00, 0x00, 0x02, 0x00);    // LDMXCSR [0x20000]
        f.mem.write32(DATA, 0x0002_1F80);
        run(f);
        assertFault(f, Exceptions.GP, 0);
        assertEquals(MASKED, f.cpu.fpu.mxcsr);

        f = sse(0x0F, 0xAE, 0x15, 0x00, 0x00, 0x02, 0x00,                // LDMXCSR: flags set, unmasked: no fault
                0x0F, 0xAE, 0x1D, 0x10, 0x00, 0x02, 0x00);                // STMXCSR [0x20010]
        f.mem.write32(DATA, 0xFFFF & ~0x1F80);
        run(f);
        assertNoFault(f);
        assertEquals(0xE07F, f.cpu.fpu.mxcsr);
        assertEquals(0xE07F, f.mem.read32(DATA + 0x10));
    }

    /** Real mode, 16-bit addressing: ADDPS xmm0, [bx] aligned runs; misaligned raises interrupt 13. */
    @Test
    void realModeSixteenBitAddressing() {
        for (int bx : new int[] {0x0800, 0x0808}) {
            CpuFixture f = SysTestSupport.real(0x0F, 0x58, 0x07, 0xF4);
            f.cpu.cr4 |= Cpu.CR4_OSFXSR;
            f.cpu.r[Cpu.EBX] = bx;
            f.mem.write32(bx, TWO);
            run(f);
            if (bx == 0x0800) {
                assertEquals(-1, SysTestSupport.realVector(f));
                assertEquals(TWO, f.cpu.fpu.xmm32(0, 0));
            } else {
                assertEquals(Exceptions.GP, SysTestSupport.realVector(f));
                assertEquals(0, f.cpu.fpu.xmm32(0, 0));
            }
        }
    }

    // ---- CR0 and CR4 ----------------------------------------------------------------------------

    @Test
    void crBitsGateSse() {
        CpuFixture f = sse(0x0F, 0x58, 0xC1);
        f.cpu.cr0 |= Cpu.CR0_TS;
        run(f);
        assertFault(f, Exceptions.NM, -1);

        f = sse(0x0F, 0x58, 0xC1);
        f.cpu.cr0 |= Cpu.CR0_EM | Cpu.CR0_TS;
        run(f);
        assertFault(f, Exceptions.UD, -1);

        f = sse(0x0F, 0xAE, 0x1D, 0x00, 0x00, 0x02, 0x00);                // STMXCSR without CR4.OSFXSR
        f.cpu.cr4 &= ~Cpu.CR4_OSFXSR;
        run(f);
        assertFault(f, Exceptions.UD, -1);

        f = sse(0xF2, 0x0F, 0x51, 0xC1);                                  // SQRTSD with CR0.MP only: runs
        f.cpu.cr0 |= Cpu.CR0_MP;
        f.cpu.fpu.setXmm(1, 0x4010_0000_0000_0000L, 0);
        run(f);
        assertNoFault(f);
        assertEquals(0x4000_0000_0000_0000L, f.cpu.fpu.xmmLo(0));
    }

    // ---- MMX forms -------------------------------------------------------------------------------

    private static void pendingX87Exception(CpuFixture f) {
        Fpu x = f.cpu.fpu;
        x.fcw = 0x037E;                                                   // IM clear
        x.fsw = Fpu.SW_IE | Fpu.SW_ES | Fpu.SW_B;
        x.top = 5;
        x.emptyMask = 0xF0;
    }

    @Test
    void mmxFormsReportAPendingX87ExceptionAndSwitchToMmxState() {
        CpuFixture f = sse(0x0F, 0x2A, 0xC1);                             // CVTPI2PS xmm0, mm1
        pendingX87Exception(f);
        run(f);
        assertFault(f, Exceptions.MF, -1);
        assertEquals(5, f.cpu.fpu.top);

        f = sse(0x0F, 0x2A, 0x05, 0x00, 0x00, 0x02, 0x00);                // CVTPI2PS xmm0, [0x20000]: no x87 check
        pendingX87Exception(f);
        f.mem.write32(DATA, 3);
        f.mem.write32(DATA + 4, -1);
        run(f);
        assertNoFault(f);
        assertEquals(0x4040_0000, f.cpu.fpu.xmm32(0, 0));
        assertEquals(0xBF80_0000, f.cpu.fpu.xmm32(0, 1));
        assertEquals(5, f.cpu.fpu.top, "no transition to MMX state");
        assertEquals(0xF0, f.cpu.fpu.emptyMask);

        f = sse(0x0F, 0x2D, 0xC1);                                        // CVTPS2PI mm0, xmm1
        f.cpu.fpu.top = 5;
        f.cpu.fpu.emptyMask = 0xF0;
        xmm(f, 1, 0x3FC0_0000, 0xC020_0000, 0, 0);                        // 1.5 -> 2, -2.5 -> -2
        run(f);
        assertNoFault(f);
        assertEquals(0, f.cpu.fpu.top);
        assertEquals(0, f.cpu.fpu.emptyMask);
        assertEquals(0xFFFF_FFFE_0000_0002L, f.cpu.fpu.mm(0));
        assertEquals(0xFFFF, f.cpu.fpu.se[0]);
    }

    @Test
    void aFaultingMmxConversionDoesNotSwitchToMmxState() {
        CpuFixture f = sse(0x0F, 0x2C, 0xC1);                             // CVTTPS2PI mm0, xmm1
        f.cpu.fpu.mxcsr = MASKED & ~IM;
        f.cpu.fpu.top = 3;
        f.cpu.fpu.emptyMask = 0xFF;
        xmm(f, 1, QNAN, 0, 0, 0);
        long mm0 = f.cpu.fpu.mm(0);
        assertSimdFault(f, Exceptions.XM, IE);
        assertEquals(3, f.cpu.fpu.top);
        assertEquals(0xFF, f.cpu.fpu.emptyMask);
        assertEquals(mm0, f.cpu.fpu.mm(0));
    }
}

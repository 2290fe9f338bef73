package dev.vmm.core.fpu;

/**
 * Caller-owned floating-point environment and result holder for the software IEEE-754 core
 * ({@link F32}, {@link F64}, {@link F80}).
 *
 * <p>One instance per virtual CPU (or per thread); it is not thread-safe and holds no global
 * state. The operations read the controls ({@link #rc}, {@link #pc}, {@link #daz}, {@link #ftz}),
 * OR exception flags into {@link #flags} (never clear them, so they accumulate like the x87
 * status word / MXCSR sticky bits), set {@link #c1} per operation, and deliver 80-bit results in
 * {@link #se}/{@link #sig}. Nothing is allocated per operation.
 *
 * <p>Denormal operand (DE) follows the hardware: set only when no operand is a NaN and the
 * operation raises neither IE nor ZE; not set by round-to-integral (SSE), conversions to
 * integer, or narrowing stores from 80 bits. Underflow (masked) is tininess after rounding
 * and inexact; with {@link #ftz} any tiny result becomes zero with UE and PE.
 *
 * <p>All exception responses are the <em>masked</em> ones (default results); a caller that
 * honours unmasked exceptions inspects {@link #flags} and discards the result itself.
 */
public final class FpEnv {

    /** Invalid operation (x87 IE, MXCSR IE). */
    public static final int IE = 0x01;
    /** Denormal operand (x87 DE, MXCSR DE). */
    public static final int DE = 0x02;
    /** Divide by zero (ZE). */
    public static final int ZE = 0x04;
    /** Overflow (OE). */
    public static final int OE = 0x08;
    /** Underflow (UE). */
    public static final int UE = 0x10;
    /** Precision / inexact (PE). */
    public static final int PE = 0x20;
    /** All six exception flags; same bit positions as the x87 status word and MXCSR. */
    public static final int ALL = 0x3F;

    /** Round to nearest, ties to even (x86 RC = 00). */
    public static final int RN = 0;
    /** Round down, toward -infinity (RC = 01). */
    public static final int RD = 1;
    /** Round up, toward +infinity (RC = 10). */
    public static final int RU = 2;
    /** Round toward zero (RC = 11). */
    public static final int RZ = 3;

    /** Comparison result "greater": EFLAGS ZF PF CF = 000 (x87 C3 C2 C0 = 000). */
    public static final int CMP_GT = 0x00;
    /** Comparison result "less": CF (x87 C0). */
    public static final int CMP_LT = 0x01;
    /** Comparison result "equal": ZF (x87 C3). */
    public static final int CMP_EQ = 0x40;
    /** Comparison result "unordered": ZF PF CF (x87 C3 C2 C0). */
    public static final int CMP_UN = 0x45;

    /** Rounding mode: {@link #RN}, {@link #RD}, {@link #RU} or {@link #RZ}. */
    public int rc;
    /** x87 precision control in significand bits: 24, 53 or 64 (only {@link F80} arithmetic). */
    public int pc = 64;
    /** SSE denormals-are-zero: denormal binary32/64 operands read as signed zero, no DE. */
    public boolean daz;
    /** SSE flush-to-zero: tiny binary32/64 results become signed zero with UE and PE. */
    public boolean ftz;
    /**
     * x87 only: the underflow exception is unmasked (control word UM = 0). Underflow is then reported for every
     * tiny result, exact or not, and an extended-precision result is not denormalized but rounded to
     * {@link #pc} bits with its exponent increased by {@link #WRAP} (the unmasked
     * response of SDM vol. 1, 8.5.5). Binary32/64 results keep the masked value (the x87 stores none of them).
     */
    public boolean ueUnmasked;
    /**
     * x87 only: the overflow exception is unmasked (OM = 0): an extended-precision result that overflows is
     * rounded to {@link #pc} bits with its exponent decreased by {@link #WRAP} instead of becoming infinity or
     * the largest finite value (SDM vol. 1, 8.5.4).
     */
    public boolean oeUnmasked;
    /** Exponent adjustment of the x87 unmasked overflow and underflow responses: 3 * 2^13. */
    public static final int WRAP = 0x6000;
    /** Accumulated exception flags ({@link #IE} .. {@link #PE}). */
    public int flags;
    /** x87 C1 after the last rounding operation: true if the result was rounded up in magnitude. */
    public boolean c1;
    /** 80-bit result: sign (bit 15) and biased exponent (bits 14-0). */
    public int se;
    /** 80-bit result: significand with explicit integer bit 63. */
    public long sig;

    // ---- scratch, package-private: unpacked operands (slot 0 = first, 1 = second) ----
    final int[] cls = new int[2];
    final boolean[] sgn = new boolean[2];
    final int[] exp = new int[2];
    final long[] man = new long[2];
    boolean denormalSeen;
    // exact (or sticky) intermediate: value = (zhi:zlo) * 2^(ze-127), zhi bit 63 set
    boolean zs;
    int ze;
    long zhi;
    long zlo;
    // last roundAt
    boolean inexact;
    boolean up;
    boolean carry;
    // last roundPack: biased exponent and significand with p bits (integer bit at p-1)
    int rExp;
    long rSig;

    /**
     * Loads rounding mode, DAZ and FTZ from an MXCSR value (flags and masks are ignored) and turns the x87-only
     * {@link #ueUnmasked}/{@link #oeUnmasked} responses off.
     *
     * @param mxcsr the MXCSR image
     * @return this
     */
    public FpEnv mxcsr(int mxcsr) {
        ueUnmasked = false;
        oeUnmasked = false;
        rc = (mxcsr >>> 13) & 3;
        daz = (mxcsr & 0x40) != 0;
        ftz = (mxcsr & 0x8000) != 0;
        return this;
    }

    /**
     * Loads rounding and precision control from an x87 control word (PC 00 = 24, 10 = 53,
     * 11 = 64 bits; the reserved 01 is treated as 64).
     *
     * @param cw the control word
     * @return this
     */
    public FpEnv controlWord(int cw) {
        rc = (cw >>> 10) & 3;
        int p = (cw >>> 8) & 3;
        pc = p == 0 ? 24 : p == 2 ? 53 : 64;
        return this;
    }
}

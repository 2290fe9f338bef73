package dev.vmm.core.fpu;

/**
 * IEEE-754 binary64 (long raw bits) with SSE semantics: NaN propagation takes the first operand if it
 * is a NaN, else the second, quieted; invalid operations return the real indefinite
 * (0xFFF8000000000000); {@link FpEnv#daz} and {@link FpEnv#ftz} apply. Flags accumulate in
 * {@link FpEnv#flags}; masked responses only.
 */
public final class F64 {

    private static final int F = 52;
    private static final int W = 11;

    /** The real indefinite (default QNaN). */
    public static final long INDEFINITE = Bin.indefinite(F, W);

    private F64() {
    }

    private static long u(long v) {
        return v;
    }

    /** ADDSx. @param x environment @param a first operand @param b second @return a + b */
    public static long add(FpEnv x, long a, long b) {
        return Bin.arith(x, FpCore.ADD, u(a), u(b), F, W);
    }

    /** SUBSx. @param x environment @param a first operand @param b second @return a - b */
    public static long sub(FpEnv x, long a, long b) {
        return Bin.arith(x, FpCore.SUB, u(a), u(b), F, W);
    }

    /** MULSx. @param x environment @param a first operand @param b second @return a * b */
    public static long mul(FpEnv x, long a, long b) {
        return Bin.arith(x, FpCore.MUL, u(a), u(b), F, W);
    }

    /** DIVSx. @param x environment @param a dividend @param b divisor @return a / b */
    public static long div(FpEnv x, long a, long b) {
        return Bin.arith(x, FpCore.DIV, u(a), u(b), F, W);
    }

    /** SQRTSx. @param x environment @param a operand @return sqrt(a) */
    public static long sqrt(FpEnv x, long a) {
        return Bin.sqrt(x, u(a), F, W);
    }

    /**
     * Round to integral (ROUNDSx).
     *
     * @param x environment
     * @param a operand
     * @param rc rounding mode (FpEnv.RN..RZ; pass x.rc for "use MXCSR.RC")
     * @param suppressPe true to suppress the precision exception (imm8 bit 3)
     * @return the integral value
     */
    public static long roundInt(FpEnv x, long a, int rc, boolean suppressPe) {
        return Bin.roundInt(x, u(a), F, W, rc, suppressPe);
    }

    /**
     * COMISx / UCOMISx.
     *
     * @param x environment
     * @param a first operand
     * @param b second operand
     * @param signaling true for COMISx (any NaN is invalid), false for UCOMISx (SNaN only)
     * @return FpEnv.CMP_GT, CMP_LT, CMP_EQ or CMP_UN (the ZF PF CF bits COMISx sets)
     */
    public static int compare(FpEnv x, long a, long b, boolean signaling) {
        return Bin.compare(x, u(a), u(b), F, W, signaling);
    }

    /**
     * CVTSx2SI / CVTTSx2SI to a 32-bit integer.
     *
     * @param x environment
     * @param a operand
     * @param truncate true for the truncating form
     * @return the integer, or 0x80000000 (integer indefinite) with IE
     */
    public static int toInt32(FpEnv x, long a, boolean truncate) {
        return (int) Bin.toInt(x, u(a), F, W, 32, truncate);
    }

    /**
     * CVTSx2SI / CVTTSx2SI to a 64-bit integer.
     *
     * @param x environment
     * @param a operand
     * @param truncate true for the truncating form
     * @return the integer, or 0x8000000000000000 (integer indefinite) with IE
     */
    public static long toInt64(FpEnv x, long a, boolean truncate) {
        return Bin.toInt(x, u(a), F, W, 64, truncate);
    }

    /** CVTSI2Sx from a 32- or 64-bit integer. @param x environment @param v value @return rounded */
    public static long fromInt(FpEnv x, long v) {
        return Bin.fromInt(x, v, F, W);
    }

    /** CVTSD2SS. @param x environment @param a binary64 bits @return binary32 bits */
    public static int toF32(FpEnv x, long a) {
        return (int) Bin.convert(x, a, F, W, 23, 8);
    }
}

package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.FpCore.INF;
import static dev.vmm.core.fpu.FpCore.NORM;
import static dev.vmm.core.fpu.FpCore.ZERO;
import static dev.vmm.core.fpu.FpEnv.ZE;

/**
 * The exact x87 operations on 80-bit values that go with the transcendentals: FPREM, FPREM1,
 * FSCALE and FXTRACT (Intel SDM vol. 2). Same conventions as {@link F80Trans}: results in
 * {@link FpEnv#se}/{@link FpEnv#sig}, flags ORed into {@link FpEnv#flags}, {@code masks} the
 * control-word exception masks (an unmasked overflow/underflow gets the bias-adjusted result).
 * None of them depends on precision control.
 */
public final class F80Exact {
    /** {@link #fprem} result bit: the reduction is incomplete (C2 = 1). */
    public static final int PARTIAL = 8;
    /** {@link #fprem} result: no quotient (NaN, invalid or special operand); C0, C1, C3 as for Q = 0. */
    public static final int NO_QUOTIENT = 16;

    private F80Exact() {
    }

    /**
     * FPREM (truncating quotient) or FPREM1 (quotient rounded to nearest even): ST(0) = a, ST(1) = b.
     * When the exponents differ by 64 or more, one step reduces a by b * 2^(D - N) with
     * {@link #partialBits N} quotient bits and reports an incomplete reduction.
     *
     * @param x environment
     * @param masks control-word exception masks
     * @param ase dividend sign/exp
     * @param asig dividend significand
     * @param bse modulus sign/exp
     * @param bsig modulus significand
     * @param ieee true for FPREM1
     * @return the low three quotient bits (Q2 Q1 Q0 in bits 2-0), or {@link #PARTIAL}, or
     *         {@link #NO_QUOTIENT}
     */
    public static int fprem(FpEnv x, int masks, int ase, long asig, int bse, long bsig, boolean ieee) {
        if (!F80Results.prologue2(x, ase, asig, bse, bsig)) {
            return NO_QUOTIENT;
        }
        int ca = x.cls[0];
        int cb = x.cls[1];
        if (ca == INF || cb == ZERO) {
            F80Results.invalid(x);
            return NO_QUOTIENT;
        }
        FpCore.denormalFlag(x);
        if (ca == ZERO || cb == INF) {
            F80Results.set(x, ase, asig);
            if (ca == NORM) {
                FpCore.load(x, 0);
                F80Results.round(x, masks);
            }
            return 0;
        }
        boolean neg = x.sgn[0];
        long ma = x.man[0];
        long mb = x.man[1];
        int ea = x.exp[0];
        int eb = x.exp[1];
        int d = ea - eb;
        if (d >= 64) {
            int n = partialBits(d);
            long r = divide(ma, mb, n)[1];
            pack(x, masks, neg, r, eb - 63 + d - n);
            return PARTIAL;
        }
        if (d < 0) {
            if (ieee && d == -1 && Long.compareUnsigned(ma, mb) > 0) {
                pack(x, masks, !neg, mb - (ma - mb), ea - 63);
                return 1;
            }
            pack(x, masks, neg, ma, ea - 63);
            return 0;
        }
        long[] qr = divide(ma, mb, d);
        long q = qr[0];
        long r = qr[1];
        if (ieee && (Long.compareUnsigned(r, mb - r) > 0 || (r == mb - r && (q & 1) != 0))) {
            q++;
            r = mb - r;
            neg = !neg;
        }
        pack(x, masks, neg, r, eb - 63);
        return (int) (q & 7);
    }

    /**
     * The number of quotient bits N of an incomplete FPREM/FPREM1 step for an exponent difference
     * d &gt;= 64 (SDM: "an implementation-dependent number between 32 and 63").
     */
    static int partialBits(int d) {
        return (d & 31) | 32;
    }

    /** ma * 2^steps / mb by restoring division: {quotient (low 64 bits), remainder}. */
    private static long[] divide(long ma, long mb, int steps) {
        long r = ma;
        long q = 0;
        if (Long.compareUnsigned(r, mb) >= 0) {
            r -= mb;
            q = 1;
        }
        for (int i = 0; i < steps; i++) {
            boolean carry = r < 0;
            r <<= 1;
            q <<= 1;
            if (carry || Long.compareUnsigned(r, mb) >= 0) {
                r -= mb;
                q |= 1;
            }
        }
        return new long[] {q, r};
    }

    /** The exact value sign * r * 2^exp (zero keeps the sign): tiny results denormalize exactly. */
    private static void pack(FpEnv x, int masks, boolean neg, long r, int exp) {
        if (r == 0) {
            F80Results.zero(x, neg);
            return;
        }
        int lz = Long.numberOfLeadingZeros(r);
        x.zs = neg;
        x.ze = exp + 63 - lz;
        x.zhi = r << lz;
        x.zlo = 0;
        F80Results.round(x, masks);
    }

    /**
     * FSCALE: a * 2^trunc(b) (ST(0) = a, ST(1) = b).
     *
     * @param x environment
     * @param masks control-word exception masks
     * @param ase a sign/exp
     * @param asig a significand
     * @param bse b sign/exp
     * @param bsig b significand
     */
    public static void fscale(FpEnv x, int masks, int ase, long asig, int bse, long bsig) {
        if (!F80Results.prologue2(x, ase, asig, bse, bsig)) {
            return;
        }
        int ca = x.cls[0];
        int cb = x.cls[1];
        boolean aneg = x.sgn[0];
        if (cb == INF) {
            boolean down = x.sgn[1];
            if (ca == (down ? INF : ZERO)) {
                F80Results.invalid(x);
            } else {
                FpCore.denormalFlag(x);
                if (down) {
                    F80Results.zero(x, aneg);
                } else {
                    F80Results.inf(x, aneg);
                }
            }
            return;
        }
        FpCore.denormalFlag(x);
        if (ca != NORM) {
            F80Results.set(x, ase, asig);
            return;
        }
        int n = 0;
        if (cb == NORM && x.exp[1] >= 0) {
            n = x.exp[1] >= 30 ? 1 << 30 : (int) (x.man[1] >>> (63 - x.exp[1]));
            if (x.sgn[1]) {
                n = -n;
            }
        }
        FpCore.load(x, 0);
        x.ze += n;
        F80Results.round(x, masks);
    }

    /**
     * FXTRACT, the exponent part (stored in ST(1)): the unbiased exponent as a value, -infinity with
     * ZE for a zero, +infinity for an infinity.
     *
     * @param x environment
     * @param se operand sign/exp
     * @param sig operand significand
     */
    public static void fxtractExponent(FpEnv x, int se, long sig) {
        if (!F80Results.prologue2(x, se, sig, 0, 0)) {
            return;
        }
        int c = x.cls[0];
        if (c == ZERO) {
            x.flags |= ZE;
            F80Results.inf(x, true);
        } else if (c == INF) {
            F80Results.inf(x, false);
        } else {
            FpCore.denormalFlag(x);
            F80.fromInt(x, x.exp[0]);
        }
    }

    /**
     * FXTRACT, the significand part (pushed as the new ST(0)): the operand with exponent 0
     * (normalized for denormals); zeros and infinities unchanged.
     *
     * @param x environment
     * @param se operand sign/exp
     * @param sig operand significand
     */
    public static void fxtractSignificand(FpEnv x, int se, long sig) {
        if (!F80Results.prologue2(x, se, sig, 0, 0)) {
            return;
        }
        int c = x.cls[0];
        if (c == ZERO) {
            x.flags |= ZE;
            F80Results.set(x, se, 0);
        } else if (c == INF) {
            F80Results.set(x, se, sig);
        } else {
            FpCore.denormalFlag(x);
            F80Results.set(x, (se & 0x8000) | 0x3FFF, x.man[0]);
        }
    }
}

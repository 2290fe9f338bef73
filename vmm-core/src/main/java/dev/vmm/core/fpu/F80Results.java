package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.FpCore.EXT_BIAS;
import static dev.vmm.core.fpu.FpCore.SNAN;
import static dev.vmm.core.fpu.FpCore.UNSUP;
import static dev.vmm.core.fpu.FpCore.isNan;
import static dev.vmm.core.fpu.FpEnv.IE;
import static dev.vmm.core.fpu.FpEnv.OE;
import static dev.vmm.core.fpu.FpEnv.PE;
import static dev.vmm.core.fpu.FpEnv.UE;

import java.math.BigInteger;

/**
 * What {@link F80Trans} and {@link F80Exact} share: unpacking one or two 80-bit operands with the
 * x87 NaN and unsupported-encoding rules, and rounding a multi-precision result to 64 bits with the
 * masked responses or, for an unmasked overflow/underflow, the bias-adjusted result.
 */
final class F80Results {
    /** Where the true value lies relative to a {@link #result} magnitude. */
    static final int EXACT = 0;
    static final int ABOVE = 1;
    static final int BELOW = -1;
    private static final long QUIET = 1L << 62;
    private static final int BIAS_ADJUST = 24576;

    private F80Results() {
    }

    static final BigInteger U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** Unpacks one operand; NaNs and unsupported encodings give their result here (false). */
    static boolean prologue1(FpEnv x, int se, long sig) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackExt(x, 0, se, sig);
        int c = x.cls[0];
        if (c == UNSUP) {
            invalid(x);
            return false;
        }
        if (isNan(c)) {
            if (c == SNAN) {
                x.flags |= IE;
            }
            set(x, se, sig | QUIET);
            return false;
        }
        return true;
    }

    /**
     * Unpacks a (slot 0) and b (slot 1); NaNs and unsupported encodings give their result here
     * (false): a QNaN beats an SNaN, else the larger significand, positive sign on a tie.
     */
    static boolean prologue2(FpEnv x, int ase, long asig, int bse, long bsig) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackExt(x, 0, ase, asig);
        FpCore.unpackExt(x, 1, bse, bsig);
        int ca = x.cls[0];
        int cb = x.cls[1];
        if (ca == UNSUP || cb == UNSUP) {
            invalid(x);
            return false;
        }
        if (isNan(ca) || isNan(cb)) {
            if (ca == SNAN || cb == SNAN) {
                x.flags |= IE;
            }
            boolean pickB = F80.nanPicksSecond(ca, cb, ase, asig, bse, bsig);
            set(x, pickB ? bse : ase, (pickB ? bsig : asig) | QUIET);
            return false;
        }
        return true;
    }

    static void set(FpEnv x, int se, long sig) {
        x.se = se & 0xFFFF;
        x.sig = sig;
    }

    static void invalid(FpEnv x) {
        x.flags |= IE;
        set(x, F80.INDEFINITE_SE, F80.INDEFINITE_SIG);
    }

    static void zero(FpEnv x, boolean neg) {
        set(x, neg ? 0x8000 : 0, 0);
    }

    static void inf(FpEnv x, boolean neg) {
        set(x, neg ? 0xFFFF : 0x7FFF, Long.MIN_VALUE);
    }

    /**
     * Rounds sign * mag * 2^exp (mag &gt; 0) to 64 bits. {@code dir} says where the true value lies:
     * {@link #EXACT} (it is mag), {@link #ABOVE} (mag is an approximation, or the true magnitude
     * is a little above it: inexact), {@link #BELOW} (a little below it).
     */
    static void result(FpEnv x, int masks, boolean neg, BigInteger mag, int exp, int dir) {
        int bl = mag.bitLength();
        BigInteger t;
        boolean sticky;
        if (bl > 128) {
            sticky = mag.getLowestSetBit() < bl - 128;
            t = mag.shiftRight(bl - 128);
        } else {
            sticky = false;
            t = mag.shiftLeft(128 - bl);
        }
        long hi = t.shiftRight(64).longValue();
        long lo = t.longValue();
        int ze = exp + bl - 1;
        if (dir == BELOW && !sticky) {
            if (lo == 0) {
                hi--;
            }
            lo--;
            if (hi >= 0) {
                hi = hi << 1 | lo >>> 63;
                lo <<= 1;
                ze--;
            }
            sticky = true;
        } else if (dir == ABOVE) {
            sticky = true;
        }
        x.zs = neg;
        x.ze = ze;
        x.zhi = hi;
        x.zlo = lo | (sticky ? 1 : 0);
        round(x, masks);
    }

    /**
     * Rounds the intermediate (zs, ze, zhi, zlo) to 64 bits into se/sig: the masked responses of
     * {@link FpCore#roundPack}, or with overflow / underflow unmasked the significand rounded
     * with an unbounded exponent and the exponent adjusted by 24576 (SDM vol. 1, 4.9.1.4-5;
     * underflow is tininess after rounding, signaled even when exact).
     */
    static void round(FpEnv x, int masks) {
        boolean oe = (masks & OE) == 0;
        boolean ue = (masks & UE) == 0;
        if (oe || ue) {
            int e = x.ze;
            long n = FpCore.roundAt(x, e - 63, x.rc);
            if (x.carry) {
                n = Long.MIN_VALUE;
                e++;
            }
            if ((oe && e > EXT_BIAS) || (ue && e < 1 - EXT_BIAS)) {
                boolean over = e > EXT_BIAS;
                x.flags |= over ? OE : UE;
                if (x.inexact) {
                    x.flags |= PE;
                }
                x.c1 = x.up;
                int be = e + EXT_BIAS + (over ? -BIAS_ADJUST : BIAS_ADJUST);
                int sign = x.zs ? 0x8000 : 0;
                if (be >= 0x7FFF) {
                    // still out of range after the adjustment (FSCALE): infinity, whatever the rounding
                    x.flags |= PE;
                    x.c1 = true;
                    x.se = sign | 0x7FFF;
                    x.sig = Long.MIN_VALUE;
                } else if (be <= 0) {
                    x.flags |= PE;
                    x.c1 = false;
                    x.se = sign;
                    x.sig = 0;
                } else {
                    x.se = sign | be;
                    x.sig = n;
                }
                return;
            }
        }
        FpCore.roundPack(x, 64, EXT_BIAS, false);
        FpCore.packExt(x, 64);
    }
}

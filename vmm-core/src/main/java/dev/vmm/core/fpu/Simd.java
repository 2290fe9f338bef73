package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.FpCore.NORM;
import static dev.vmm.core.fpu.FpCore.R_NUM;
import static dev.vmm.core.fpu.FpCore.SNAN;
import static dev.vmm.core.fpu.FpCore.isNan;
import static dev.vmm.core.fpu.FpEnv.IE;

/**
 * The SSE/SSE2 floating-point operations that are not IEEE arithmetic: MINPx/MAXPx, the eight
 * CMPPx predicates, the RCPPS/RSQRTPS approximations, and the classification of a rounded result
 * that an <em>unmasked</em> overflow or underflow needs (the masked responses are in {@link F32}
 * and {@link F64}). Values are raw bits in the low bits of a long ({@code f} fraction bits,
 * {@code w} exponent bits: 23/8 for binary32, 52/11 for binary64).
 *
 * <p>RCP and RSQRT: Intel specifies only a relative error of at most 1.5 * 2^-12 (SDM vol. 2,
 * RCPPS/RSQRTPS), and processors differ (AMD's results are not Intel's, and Intel's table is not
 * published by Intel). This implementation is a deterministic, exactly specified approximation
 * within that bound: the exact reciprocal (square-root reciprocal) correctly rounded to nearest-even
 * to 12 significant bits (relative error at most 2^-12). The special cases follow the SDM: a zero or
 * a denormal operand (denormals are always read as zero) gives an infinity of the operand's sign;
 * an infinity gives a zero of its sign; a NaN is returned quieted; RSQRT of a negative nonzero value
 * gives the real indefinite; RCP results below the smallest normal are flushed to a zero of the
 * operand's sign. No exception flags; MXCSR.RC, DAZ and FTZ are not used.
 */
public final class Simd {
    /** Operations for {@link #postArith} (the codes of the arithmetic core). */
    public static final int ADD = FpCore.ADD;
    public static final int SUB = FpCore.SUB;
    public static final int MUL = FpCore.MUL;
    public static final int DIV = FpCore.DIV;

    /** {@link #postArith}/{@link #postNarrow}: the rounded result is inexact (with unbounded exponent). */
    public static final int POST_INEXACT = 1;
    /** The result rounded with unbounded exponent is nonzero and below the smallest normal. */
    public static final int POST_TINY = 2;
    /** The result rounded with unbounded exponent exceeds the largest finite value. */
    public static final int POST_OVERFLOW = 4;

    private static final int INDEFINITE32 = 0xFFC0_0000;

    private Simd() {
    }

    /**
     * MINSx/MAXSx of one lane: {@code a} is the destination (first) operand, {@code b} the source.
     * If either is a NaN (quiet or signalling) the result is {@code b} (a signalling NaN is not
     * quieted), with IE; if both are zeros (of any sign) or equal, {@code b}. DE is set for a denormal
     * operand when there is no NaN; with DAZ a denormal operand reads, and is returned, as a zero of
     * its sign, also when the other operand is a NaN (observed on the host).
     *
     * @param x environment (DAZ, flags)
     * @param a first operand bits
     * @param b second operand bits
     * @param f fraction bits
     * @param w exponent bits
     * @param max true for MAX, false for MIN
     * @return the result bits
     */
    public static long minMax(FpEnv x, long a, long b, int f, int w, boolean max) {
        x.denormalSeen = false;
        FpCore.unpackBin(x, 0, a, f, w, x.daz);
        FpCore.unpackBin(x, 1, b, f, w, x.daz);
        if (isNan(x.cls[0]) || isNan(x.cls[1])) {
            x.flags |= IE;
            return daz(x, b, f, w);
        }
        FpCore.denormalFlag(x);
        int r = FpCore.compareValues(x);
        boolean first = max ? r > 0 : r < 0;
        return first ? daz(x, a, f, w) : daz(x, b, f, w);
    }

    /** The operand as the operation read it: with DAZ a denormal is a zero of its sign. */
    private static long daz(FpEnv x, long v, int f, int w) {
        if (x.daz && ((v >>> f) & ((1L << w) - 1)) == 0) {
            return v & (1L << (f + w));
        }
        return v;
    }

    /**
     * CMPPx/CMPSx predicate {@code pred & 7}: 0 EQ, 1 LT, 2 LE, 3 UNORD, 4 NEQ, 5 NLT, 6 NLE, 7 ORD.
     * LT, LE, NLT and NLE signal IE for any NaN operand, the others for a signalling NaN only; DE is
     * set for a denormal operand when there is no NaN (none with DAZ).
     *
     * @param x environment (DAZ, flags)
     * @param a first operand bits
     * @param b second operand bits
     * @param f fraction bits
     * @param w exponent bits
     * @param pred the predicate (only bits 2:0 are used)
     * @return whether the predicate holds
     */
    public static boolean compare(FpEnv x, long a, long b, int f, int w, int pred) {
        int p = pred & 7;
        x.denormalSeen = false;
        FpCore.unpackBin(x, 0, a, f, w, x.daz);
        FpCore.unpackBin(x, 1, b, f, w, x.daz);
        int ca = x.cls[0];
        int cb = x.cls[1];
        boolean unordered = isNan(ca) || isNan(cb);
        int r = 0;
        if (unordered) {
            boolean signaling = p == 1 || p == 2 || p == 5 || p == 6;
            if (signaling || ca == SNAN || cb == SNAN) {
                x.flags |= IE;
            }
        } else {
            FpCore.denormalFlag(x);
            r = FpCore.compareValues(x);
        }
        return switch (p) {
            case 0 -> !unordered && r == 0;
            case 1 -> !unordered && r < 0;
            case 2 -> !unordered && r <= 0;
            case 3 -> unordered;
            case 4 -> unordered || r != 0;
            case 5 -> unordered || r >= 0;
            case 6 -> unordered || r > 0;
            default -> !unordered;
        };
    }

    /**
     * RCPSS of one binary32 lane (see the class comment).
     *
     * @param a operand bits
     * @return the approximate reciprocal
     */
    public static int rcp(int a) {
        int sign = a & 0x8000_0000;
        int exp = (a >>> 23) & 0xFF;
        int frac = a & 0x7F_FFFF;
        if (exp == 0xFF) {
            return frac != 0 ? a | 0x40_0000 : sign;
        }
        if (exp == 0) {
            return sign | 0x7F80_0000;
        }
        long m = frac | 0x80_0000;
        // 1/a = 2^(150-exp) / m = floor(2^63 / m) (+ remainder) * 2^(87-exp)
        long q = Long.divideUnsigned(Long.MIN_VALUE, m);
        boolean sticky = Long.remainderUnsigned(Long.MIN_VALUE, m) != 0;
        return pack12(sign, q, sticky, 87 - exp, true);
    }

    /**
     * RSQRTSS of one binary32 lane (see the class comment).
     *
     * @param a operand bits
     * @return the approximate reciprocal of the square root
     */
    public static int rsqrt(int a) {
        int sign = a & 0x8000_0000;
        int exp = (a >>> 23) & 0xFF;
        int frac = a & 0x7F_FFFF;
        if (exp == 0xFF) {
            if (frac != 0) {
                return a | 0x40_0000;
            }
            return sign != 0 ? INDEFINITE32 : 0;
        }
        if (exp == 0) {
            return sign | 0x7F80_0000;
        }
        if (sign != 0) {
            return INDEFINITE32;
        }
        long m = frac | 0x80_0000;
        int e2 = exp - 150;                 // a = m * 2^e2
        if ((e2 & 1) != 0) {
            m <<= 1;
            e2--;
        }
        // 1/sqrt(a) = 2^(-e2/2) / sqrt(m) = sqrt(2^62 / m) * 2^(-31 - e2/2)
        long quo = Long.divideUnsigned(1L << 62, m);
        boolean sticky = (1L << 62) % m != 0;
        long s = (long) Math.sqrt((double) quo);
        while (s * s > quo) {
            s--;
        }
        while ((s + 1) * (s + 1) <= quo) {
            s++;
        }
        sticky |= s * s != quo;
        return pack12(0, s, sticky, -31 - e2 / 2, false);
    }

    /**
     * Rounds {@code v * 2^scale} (plus a nonzero fraction below v's last bit if {@code sticky}) to 12
     * significant bits, nearest-even, and packs it as binary32; a result below the smallest normal is
     * flushed to a signed zero if {@code flush}.
     */
    private static int pack12(int sign, long v, boolean sticky, int scale, boolean flush) {
        int n = 64 - Long.numberOfLeadingZeros(v);
        int sh = n - 12;
        long kept = v >>> sh;
        boolean round = ((v >>> (sh - 1)) & 1) != 0;
        boolean rest = sticky || (v & ((1L << (sh - 1)) - 1)) != 0;
        if (round && (rest || (kept & 1) != 0)) {
            kept++;
            if (kept == 1 << 12) {
                kept >>>= 1;
                sh++;
            }
        }
        int biased = 11 + sh + scale + 127;
        if (biased <= 0 && flush) {
            return sign;
        }
        return sign | biased << 23 | (int) (kept & 0x7FF) << 12;
    }

    /**
     * Classifies the exact result of {@code a op b} ({@link #ADD}..{@link #DIV}) rounded to the
     * format's precision with unbounded exponent in the rounding mode of {@code x} (DAZ applied):
     * {@link #POST_OVERFLOW}, {@link #POST_TINY} and {@link #POST_INEXACT}; 0 when the operation has
     * no finite nonzero rounded result (NaN, infinity, zero, invalid, division by zero). Leaves
     * {@link FpEnv#flags} unchanged. Used for unmasked overflow and underflow, which are reported
     * (SDM vol. 1, 11.5.2.4-5) with PE only if this rounding is inexact, and for underflow even if
     * the result is exact.
     *
     * @param x environment
     * @param op operation
     * @param a first operand bits
     * @param b second operand bits
     * @param f fraction bits
     * @param w exponent bits
     * @return the POST_* bits
     */
    public static int postArith(FpEnv x, int op, long a, long b, int f, int w) {
        int saved = x.flags;
        x.denormalSeen = false;
        FpCore.unpackBin(x, 0, a, f, w, x.daz);
        FpCore.unpackBin(x, 1, b, f, w, x.daz);
        if (isNan(x.cls[0]) || isNan(x.cls[1])) {
            return 0;
        }
        int r = FpCore.arith(x, op);
        x.flags = saved;
        return r == R_NUM ? classify(x, f + 1, (1 << (w - 1)) - 1) : 0;
    }

    /**
     * {@link #postArith} for the narrowing conversion of binary64 {@code a} to binary32
     * (CVTSD2SS, CVTPD2PS).
     *
     * @param x environment
     * @param a binary64 bits
     * @return the POST_* bits
     */
    public static int postNarrow(FpEnv x, long a) {
        x.denormalSeen = false;
        FpCore.unpackBin(x, 0, a, 52, 11, x.daz);
        if (x.cls[0] != NORM) {
            return 0;
        }
        FpCore.load(x, 0);
        return classify(x, 24, 127);
    }

    private static int classify(FpEnv x, int p, int bias) {
        long n = FpCore.roundAt(x, x.ze - p + 1, x.rc);
        int e = x.ze;
        if (x.carry || n == 1L << p) {
            e++;
        }
        int cls = x.inexact ? POST_INEXACT : 0;
        if (e > bias) {
            cls |= POST_OVERFLOW;
        } else if (e < 1 - bias) {
            cls |= POST_TINY;
        }
        return cls;
    }
}

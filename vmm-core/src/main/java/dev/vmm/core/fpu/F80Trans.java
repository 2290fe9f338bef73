package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.F80Results.ABOVE;
import static dev.vmm.core.fpu.F80Results.BELOW;
import static dev.vmm.core.fpu.F80Results.EXACT;
import static dev.vmm.core.fpu.F80Results.U64;
import static dev.vmm.core.fpu.F80Results.inf;
import static dev.vmm.core.fpu.F80Results.invalid;
import static dev.vmm.core.fpu.F80Results.prologue1;
import static dev.vmm.core.fpu.F80Results.prologue2;
import static dev.vmm.core.fpu.F80Results.result;
import static dev.vmm.core.fpu.F80Results.set;
import static dev.vmm.core.fpu.F80Results.zero;
import static dev.vmm.core.fpu.FpCore.INF;
import static dev.vmm.core.fpu.FpCore.NORM;
import static dev.vmm.core.fpu.FpCore.ZERO;
import static dev.vmm.core.fpu.FpEnv.PE;
import static dev.vmm.core.fpu.FpEnv.UE;
import static dev.vmm.core.fpu.FpEnv.ZE;

import java.math.BigInteger;

/**
 * The x87 transcendental instructions on 80-bit values: F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS,
 * FPTAN (FSINCOS is FSIN and FCOS). Results go to {@link FpEnv#se}/{@link FpEnv#sig} with
 * {@link FpEnv#c1} (rounded up) and the flags ORed into {@link FpEnv#flags}, like {@link F80}.
 *
 * <p>Accuracy: the functions are evaluated in {@link XMath} with at least ~190 correct bits and
 * rounded once to 64 bits in the rounding mode {@link FpEnv#rc}: the results are correctly rounded
 * (the hardware documents an error below 1 ulp). Precision control does not apply to these
 * instructions (Intel SDM vol. 1, 8.1.5.2), so {@link FpEnv#pc} is ignored. The trigonometric
 * functions reduce their argument with the 66-bit approximation of pi of the hardware
 * ({@link XMath#PI66}): the result is f(x - n * pi66/2) computed exactly, which is what the
 * processors return for large arguments.
 *
 * <p>Special values follow the tables of the SDM pages of each instruction; where the SDM leaves a
 * result undefined (F2XM1 outside [-1, +1], FYL2XP1 outside its range) the behaviour of the AMD
 * processors the differential tests run on is reproduced and noted at the method.
 *
 * <p>{@code masks} is the exception-mask field of the control word (bits 0-5): an unmasked
 * overflow or underflow delivers the result with its exponent adjusted by 24576 (SDM vol. 1,
 * 4.9.1.4-5) instead of the masked response; the caller discards the result on an unmasked IE, DE
 * or ZE.
 */
public final class F80Trans {
    /** {@link #trig} result: the operand is outside +-2^63; nothing was computed (C2 = 1). */
    public static final int OUT_OF_RANGE = 1;
    public static final int SIN = 0;
    public static final int COS = 1;
    public static final int TAN = 2;

    /** Significant bits the kernels keep above the magnitude of their result. */
    private static final int KEEP = 200;
    /** Below 2^TINY an argument is handled by the first terms of the series. */
    private static final int TINY = -100;

    private F80Trans() {
    }

    // ---- F2XM1 --------------------------------------------------------------------------------

    /**
     * F2XM1: 2^x - 1. Outside [-1, +1] the SDM leaves the result undefined; AMD returns the operand
     * unchanged with PE (finite), -1 for -infinity and +infinity for +infinity, which this does. At
     * x = +1 AMD returns 1 - tiny rounded (1.0 rounded up in RN, PE), at x = -1 -0.5 with PE.
     *
     * @param x environment
     * @param masks control-word exception masks
     * @param se sign/exp of x
     * @param sig significand of x
     */
    public static void f2xm1(FpEnv x, int masks, int se, long sig) {
        if (!prologue1(x, se, sig)) {
            return;
        }
        int c = x.cls[0];
        boolean neg = x.sgn[0];
        if (c == ZERO) {
            zero(x, neg);
            return;
        }
        if (c == INF) {
            if (neg) {
                set(x, 0xBFFF, Long.MIN_VALUE);
            } else {
                set(x, 0x7FFF, Long.MIN_VALUE);
            }
            return;
        }
        FpCore.denormalFlag(x);
        int e = x.exp[0];
        long m = x.man[0];
        if (e > 0 || (e == 0 && m != Long.MIN_VALUE)) {
            set(x, se, sig);
            x.flags |= PE;
            return;
        }
        if (e == 0) {
            if (neg) {
                set(x, 0xBFFE, Long.MIN_VALUE);
                x.flags |= PE;
            } else {
                result(x, masks, false, BigInteger.ONE, 0, BELOW);
            }
            return;
        }
        BigInteger u = BigInteger.valueOf(m).and(U64).multiply(XMath.LN2);
        int uexp = e - 63 - XMath.CB;
        if (e < TINY) {
            // 2^x - 1 = u + u^2/2 + ..., u = x ln 2
            BigInteger u2 = u.multiply(u).shiftRight(-uexp + 1);
            result(x, masks, neg, neg ? u.subtract(u2) : u.add(u2), uexp, ABOVE);
            return;
        }
        int f = KEEP - e;
        BigInteger uf = u.shiftRight(-uexp - f);
        BigInteger r = XMath.expm1(neg ? uf.negate() : uf, f);
        result(x, masks, r.signum() < 0, r.abs(), -f, ABOVE);
    }

    // ---- FYL2X, FYL2XP1 -----------------------------------------------------------------------

    /**
     * FYL2X: y * log2(x) (x = ST(0), y = ST(1)). AMD sets PE for every finite nonzero result, also
     * when it is exact (x a power of two); this does the same.
     *
     * @param x environment
     * @param masks control-word exception masks
     * @param xse sign/exp of x
     * @param xsig significand of x
     * @param yse sign/exp of y
     * @param ysig significand of y
     */
    public static void fyl2x(FpEnv x, int masks, int xse, long xsig, int yse, long ysig) {
        if (!prologue2(x, xse, xsig, yse, ysig)) {
            return;
        }
        int cx = x.cls[0];
        int cy = x.cls[1];
        boolean xneg = x.sgn[0];
        boolean yneg = x.sgn[1];
        if (xneg && cx != ZERO) {
            invalid(x);
            return;
        }
        if (cx == ZERO) {
            if (cy == ZERO) {
                invalid(x);
            } else {
                if (cy != INF) {
                    x.flags |= ZE;
                }
                inf(x, !yneg);
            }
            return;
        }
        boolean one = cx == NORM && x.exp[0] == 0 && x.man[0] == Long.MIN_VALUE;
        if (cx == INF) {
            if (cy == ZERO) {
                invalid(x);
            } else {
                FpCore.denormalFlag(x);
                inf(x, yneg);
            }
            return;
        }
        if (one) {
            if (cy == INF) {
                invalid(x);
            } else {
                FpCore.denormalFlag(x);
                zero(x, yneg);
            }
            return;
        }
        FpCore.denormalFlag(x);
        boolean below1 = x.exp[0] < 0;
        if (cy == ZERO) {
            zero(x, yneg ^ below1);
            return;
        }
        if (cy == INF) {
            inf(x, yneg ^ below1);
            return;
        }
        int f = 256;
        BigInteger mant = BigInteger.valueOf(x.man[0]).and(U64).shiftLeft(f - 63);
        boolean exact = x.man[0] == Long.MIN_VALUE;
        BigInteger l = log2(BigInteger.valueOf(x.exp[0]), mant, f);
        multiplyY(x, masks, l, f, exact);
    }

    /**
     * FYL2XP1: y * log2(x + 1) (x = ST(0), y = ST(1)). The SDM defines it for |x| &lt; 1 - sqrt(2)/2
     * and leaves other operands undefined; outside, AMD computes the same function for x &gt; -1 and
     * returns x itself with PE for x &lt;= -1 (y finite and nonzero), which this does.
     *
     * @param x environment
     * @param masks control-word exception masks
     * @param xse sign/exp of x
     * @param xsig significand of x
     * @param yse sign/exp of y
     * @param ysig significand of y
     */
    public static void fyl2xp1(FpEnv x, int masks, int xse, long xsig, int yse, long ysig) {
        if (!prologue2(x, xse, xsig, yse, ysig)) {
            return;
        }
        int cx = x.cls[0];
        int cy = x.cls[1];
        boolean xneg = x.sgn[0];
        boolean yneg = x.sgn[1];
        if (cx == ZERO) {
            if (cy == INF) {
                invalid(x);
            } else {
                FpCore.denormalFlag(x);
                zero(x, xneg ^ yneg);
            }
            return;
        }
        if (cx == INF) {
            if (xneg || cy == ZERO) {
                invalid(x);
            } else {
                FpCore.denormalFlag(x);
                inf(x, yneg);
            }
            return;
        }
        int ex = x.exp[0];
        long mx = x.man[0];
        int cmp1 = ex != 0 ? Integer.signum(ex) : mx == Long.MIN_VALUE ? 0 : 1;
        FpCore.denormalFlag(x);
        if (cy == ZERO) {
            zero(x, xneg ^ yneg);
            return;
        }
        if (cy == INF) {
            inf(x, xneg ^ yneg);
            return;
        }
        if (xneg && cmp1 >= 0) {
            // x <= -1: AMD returns x with PE
            set(x, xse, xsig);
            x.flags |= PE;
            return;
        }
        BigInteger m = BigInteger.valueOf(mx).and(U64);
        if (ex < TINY) {
            // ln(1 + x) = x - x^2/2 + ..., then divided by ln 2
            int f = KEEP - ex;
            BigInteger xf = m.shiftLeft(ex - 63 + f);
            BigInteger sq = xf.multiply(xf).shiftRight(f + 1);
            BigInteger ln = xneg ? xf.negate().subtract(sq) : xf.subtract(sq);
            multiplyY(x, masks, toLog2(ln), f, false);
            return;
        }
        if (ex < -5) {
            int f = KEEP - ex;
            BigInteger xf = m.shiftLeft(ex - 63 + f);
            BigInteger ln = XMath.ln1p(xneg ? xf.negate() : xf, f);
            multiplyY(x, masks, toLog2(ln), f, false);
            return;
        }
        // 1 + x exactly (the lowest bit of x is at 2^(ex-63) >= 2^-68), normalized to [1, 2) * 2^k
        int f = 256;
        BigInteger w = m.shiftLeft(ex - 63 + f);
        w = xneg ? BigInteger.ONE.shiftLeft(f).subtract(w) : w.add(BigInteger.ONE.shiftLeft(f));
        int k = w.bitLength() - 1 - f;
        boolean exact = w.bitCount() == 1;
        BigInteger mant = k >= 0 ? w.shiftRight(k) : w.shiftLeft(-k);
        multiplyY(x, masks, log2(BigInteger.valueOf(k), mant, f), f, exact);
    }

    /** log2(2^k * mant) at f fraction bits, mant in [1, 2) at f fraction bits. */
    private static BigInteger log2(BigInteger k, BigInteger mant, int f) {
        return k.shiftLeft(f).add(toLog2(XMath.ln1to2(mant, f)));
    }

    /** A natural logarithm divided by ln 2 (same fraction bits). */
    private static BigInteger toLog2(BigInteger ln) {
        return XMath.div(ln, XMath.LN2, XMath.CB);
    }

    /** Result y * l (y in slot 1, l at f fraction bits); PE even if exact (AMD). */
    private static void multiplyY(FpEnv x, int masks, BigInteger l, int f, boolean exact) {
        if (l.signum() == 0) {
            zero(x, x.sgn[1]);
            x.flags |= PE;
            return;
        }
        BigInteger p = BigInteger.valueOf(x.man[1]).and(U64).multiply(l.abs());
        result(x, masks, x.sgn[1] ^ l.signum() < 0, p, x.exp[1] - 63 - f, exact ? EXACT : ABOVE);
        // the processor treats every result as inexact: a tiny exact one also underflows
        x.flags |= (x.se & 0x7FFF) == 0 ? PE | UE : PE;
    }

    // ---- FPATAN -------------------------------------------------------------------------------

    /**
     * FPATAN: the angle of the point (x, y) = (ST(0), ST(1)), in [-pi, +pi]; the 0/0 and inf/inf
     * cases have the values of the SDM's table without invalid operation.
     *
     * @param x environment
     * @param masks control-word exception masks
     * @param xse sign/exp of x
     * @param xsig significand of x
     * @param yse sign/exp of y
     * @param ysig significand of y
     */
    public static void fpatan(FpEnv x, int masks, int xse, long xsig, int yse, long ysig) {
        if (!prologue2(x, xse, xsig, yse, ysig)) {
            return;
        }
        FpCore.denormalFlag(x);
        int cx = x.cls[0];
        int cy = x.cls[1];
        boolean xneg = x.sgn[0];
        boolean yneg = x.sgn[1];
        if (cy == ZERO) {
            if (xneg) {
                piMultiple(x, masks, yneg, 4);
            } else {
                zero(x, yneg);
            }
            return;
        }
        if (cy == INF) {
            piMultiple(x, masks, yneg, cx != INF ? 2 : xneg ? 3 : 1);
            return;
        }
        if (cx == ZERO) {
            piMultiple(x, masks, yneg, 2);
            return;
        }
        if (cx == INF) {
            if (xneg) {
                piMultiple(x, masks, yneg, 4);
            } else {
                zero(x, yneg);
            }
            return;
        }
        int ex = x.exp[0];
        int ey = x.exp[1];
        BigInteger mx = BigInteger.valueOf(x.man[0]).and(U64);
        BigInteger my = BigInteger.valueOf(x.man[1]).and(U64);
        boolean swap = ey > ex || (ey == ex && Long.compareUnsigned(x.man[1], x.man[0]) > 0);
        BigInteger num = swap ? mx : my;
        BigInteger den = swap ? my : mx;
        int d = swap ? ex - ey : ey - ex;
        if (!swap && !xneg) {
            // atan(t), t = y/x <= 1, with the precision relative to t
            if (d < -250) {
                BigInteger[] qr = num.shiftLeft(400).divideAndRemainder(den);
                result(x, masks, yneg, qr[0], d - 400, qr[1].signum() != 0 ? ABOVE : BELOW);
                return;
            }
            int f = KEEP - d + 2;
            BigInteger t = num.shiftLeft(f + d).divide(den);
            result(x, masks, yneg, XMath.atan01(t, f), -f, ABOVE);
            return;
        }
        int f = KEEP + 8;
        BigInteger t = f + d >= 0 ? num.shiftLeft(f + d).divide(den) : BigInteger.ZERO;
        BigInteger a = XMath.atan01(t, f);
        BigInteger pi = XMath.at(XMath.PI, f);
        if (swap) {
            a = pi.shiftRight(1).subtract(a);
        }
        if (xneg) {
            a = pi.subtract(a);
        }
        result(x, masks, yneg, a, -f, ABOVE);
    }

    /** k * pi/4 with the given sign. */
    private static void piMultiple(FpEnv x, int masks, boolean neg, int k) {
        result(x, masks, neg, XMath.PI.multiply(BigInteger.valueOf(k)), -XMath.CB - 2, ABOVE);
    }

    // ---- FSIN, FCOS, FPTAN --------------------------------------------------------------------

    /**
     * FSIN, FCOS or FPTAN of one operand (FSINCOS is SIN then COS on the same operand).
     *
     * @param x environment
     * @param masks control-word exception masks
     * @param op {@link #SIN}, {@link #COS} or {@link #TAN}
     * @param se sign/exp of the operand
     * @param sig significand of the operand
     * @return 0, or {@link #OUT_OF_RANGE} if |operand| &gt;= 2^63 (no result, no flags)
     */
    public static int trig(FpEnv x, int masks, int op, int se, long sig) {
        if (!prologue1(x, se, sig)) {
            return 0;
        }
        int c = x.cls[0];
        boolean neg = x.sgn[0];
        if (c == INF) {
            invalid(x);
            return 0;
        }
        if (c == ZERO) {
            if (op == COS) {
                set(x, 0x3FFF, Long.MIN_VALUE);
            } else {
                zero(x, neg);
            }
            return 0;
        }
        int e = x.exp[0];
        if (e >= 63) {
            return OUT_OF_RANGE;
        }
        FpCore.denormalFlag(x);
        BigInteger m = BigInteger.valueOf(x.man[0]).and(U64);
        if (e < TINY) {
            // sin x = x - x^3/6, tan x = x + x^3/3, cos x = 1 - x^2/2
            if (op == COS) {
                result(x, masks, false, BigInteger.ONE, 0, BELOW);
            } else {
                result(x, masks, neg, m, e - 63, op == SIN ? BELOW : ABOVE);
            }
            return 0;
        }
        // r = |x| - n * pi66/2, exactly, in units of 2^-65
        long quadrant = 0;
        BigInteger r;
        int unit;
        if (e < -2) {
            r = m;
            unit = 63 - e;
        } else {
            BigInteger big = m.shiftLeft(e + 2);
            BigInteger[] qr = big.divideAndRemainder(XMath.PI66);
            BigInteger n = qr[0];
            r = qr[1];
            if (r.shiftLeft(1).compareTo(XMath.PI66) > 0) {
                n = n.add(BigInteger.ONE);
                r = r.subtract(XMath.PI66);
            }
            quadrant = n.longValue() & 3;
            unit = 65;
        }
        int f = KEEP + unit - r.abs().bitLength() + 1;
        BigInteger[] sc = XMath.sinCos(r.shiftLeft(f - unit), f);
        BigInteger s = sc[0];
        BigInteger co = sc[1];
        BigInteger v = switch (op) {
            case SIN -> quadrant == 0 ? s : quadrant == 1 ? co : quadrant == 2 ? s.negate() : co.negate();
            case COS -> quadrant == 0 ? co : quadrant == 1 ? s.negate() : quadrant == 2 ? co.negate() : s;
            default -> (quadrant & 1) == 0 ? XMath.div(s, co, f) : XMath.div(co, s, f).negate();
        };
        boolean rneg = v.signum() < 0 ^ (neg && op != COS);
        result(x, masks, rneg, v.abs(), -f, ABOVE);
        return 0;
    }
}

package dev.vmm.core.fpu;

import java.math.BigInteger;

/**
 * Multi-precision kernels of the x87 transcendental instructions, in binary fixed point on
 * {@link BigInteger}: a value v is held as the integer {@code round(v * 2^f)} for a number of
 * fraction bits {@code f} chosen by the caller so that the result keeps at least ~190 significant
 * bits (200 bits above the magnitude of the argument). The kernels work on reduced ranges and
 * truncate at every step; their absolute error is a few units of {@code 2^-f}, far below what the
 * final rounding to 64 bits can see.
 *
 * <p>Constants (pi, ln 2, the tables of ln(1 + i/64) and atan(i/16)) are computed once, at class
 * initialization, to {@link #CB} fraction bits by Machin's formula and atanh/atan series. The
 * x87 reduces the arguments of FSIN, FCOS, FSINCOS and FPTAN with a 66-bit approximation of pi
 * ({@link #PI66}), which the reduction reproduces.
 */
final class XMath {
    /** Fraction bits of the stored constants. */
    static final int CB = 512;
    /** pi * 2^CB. */
    static final BigInteger PI = machinPi();
    /** ln 2 * 2^CB. */
    static final BigInteger LN2 = atanhInv(3).shiftLeft(1);
    /**
     * The 66-bit approximation of pi the x87 uses in the range reduction of FSIN/FCOS/FSINCOS/FPTAN
     * (Intel SDM vol. 1, 8.3.10; pi * 2^64 rounded to an integer), as an integer: pi66 = PI66 * 2^-64.
     */
    static final BigInteger PI66 = new BigInteger("3243F6A8885A308D3", 16);
    /** ln(1 + i/64) * 2^CB, i = 0..64. */
    private static final BigInteger[] LN_TABLE = lnTable();
    /** atan(i/16) * 2^CB, i = 0..16. */
    private static final BigInteger[] ATAN_TABLE = atanTable();
    /** Series coefficients at CB fraction bits: 1/k! and 1/(2k+1), with their binary logarithms. */
    private static final int MAX_TERMS = 160;
    private static final BigInteger[] INV_FACT = new BigInteger[MAX_TERMS];
    private static final double[] LOG2_INV_FACT = new double[MAX_TERMS];
    private static final BigInteger[] INV_ODD = new BigInteger[MAX_TERMS];

    static {
        BigInteger fact = BigInteger.ONE;
        double lf = 0;
        for (int k = 0; k < MAX_TERMS; k++) {
            if (k > 0) {
                fact = fact.multiply(BigInteger.valueOf(k));
                lf += Math.log(k) / Math.log(2);
            }
            INV_FACT[k] = BigInteger.ONE.shiftLeft(CB).divide(fact);
            LOG2_INV_FACT[k] = -lf;
            INV_ODD[k] = BigInteger.ONE.shiftLeft(CB).divide(BigInteger.valueOf(2L * k + 1));
        }
    }

    private XMath() {
    }

    /** A constant held at {@link #CB} fraction bits, brought to f fraction bits. */
    static BigInteger at(BigInteger c, int f) {
        return f <= CB ? c.shiftRight(CB - f) : c.shiftLeft(f - CB);
    }

    /** (a * b) / 2^f. */
    static BigInteger mul(BigInteger a, BigInteger b, int f) {
        return a.multiply(b).shiftRight(f);
    }

    /** (a * 2^f) / b. */
    static BigInteger div(BigInteger a, BigInteger b, int f) {
        return a.shiftLeft(f).divide(b);
    }

    // ---- constants ----------------------------------------------------------------------------

    private static BigInteger machinPi() {
        return atanInv(5).shiftLeft(4).subtract(atanInv(239).shiftLeft(2));
    }

    /** atan(1/n) * 2^CB (n > 1). */
    private static BigInteger atanInv(int n) {
        int f = CB + 16;
        BigInteger n2 = BigInteger.valueOf((long) n * n);
        BigInteger t = BigInteger.ONE.shiftLeft(f).divide(BigInteger.valueOf(n));
        BigInteger s = t;
        for (int k = 1; t.signum() != 0; k++) {
            t = t.divide(n2);
            BigInteger term = t.divide(BigInteger.valueOf(2L * k + 1));
            s = (k & 1) != 0 ? s.subtract(term) : s.add(term);
        }
        return s.shiftRight(16);
    }

    /** atanh(1/n) * 2^CB (n > 1). */
    private static BigInteger atanhInv(int n) {
        int f = CB + 16;
        BigInteger n2 = BigInteger.valueOf((long) n * n);
        BigInteger t = BigInteger.ONE.shiftLeft(f).divide(BigInteger.valueOf(n));
        BigInteger s = t;
        for (int k = 1; t.signum() != 0; k++) {
            t = t.divide(n2);
            s = s.add(t.divide(BigInteger.valueOf(2L * k + 1)));
        }
        return s.shiftRight(16);
    }

    private static BigInteger[] lnTable() {
        int f = CB + 16;
        BigInteger[] t = new BigInteger[65];
        for (int i = 0; i <= 64; i++) {
            // ln(1 + i/64) = 2 atanh(i / (128 + i))
            BigInteger s = BigInteger.valueOf(i).shiftLeft(f).divide(BigInteger.valueOf(128 + i));
            t[i] = atanhSeries(s, f).shiftLeft(1).shiftRight(16);
        }
        return t;
    }

    private static BigInteger[] atanTable() {
        int f = CB + 16;
        BigInteger one = BigInteger.ONE.shiftLeft(f);
        BigInteger[] t = new BigInteger[17];
        for (int i = 0; i <= 16; i++) {
            // halve the angle three times: atan(c) = 2 atan(c / (1 + sqrt(1 + c^2)))
            BigInteger c = BigInteger.valueOf(i).shiftLeft(f - 4);
            for (int h = 0; h < 3; h++) {
                BigInteger root = c.multiply(c).add(one.shiftLeft(f)).sqrt();
                c = div(c, one.add(root), f);
            }
            t[i] = atanSeries(c, f).shiftLeft(3).shiftRight(16);
        }
        return t;
    }

    // ---- series -------------------------------------------------------------------------------

    /** atanh(s) = s + s^3/3 + s^5/5 + ... at f fraction bits (|s| small). */
    private static BigInteger atanhSeries(BigInteger s, int f) {
        BigInteger s2 = mul(s, s, f);
        BigInteger p = s;
        BigInteger sum = s;
        for (long k = 3; ; k += 2) {
            p = mul(p, s2, f);
            BigInteger term = p.divide(BigInteger.valueOf(k));
            if (term.signum() == 0) {
                return sum;
            }
            sum = sum.add(term);
        }
    }

    /** atan(s) = s - s^3/3 + s^5/5 - ... at f fraction bits (|s| small). */
    private static BigInteger atanSeries(BigInteger s, int f) {
        BigInteger s2 = mul(s, s, f);
        BigInteger p = s;
        BigInteger sum = s;
        for (long k = 3; ; k += 2) {
            p = mul(p, s2, f);
            BigInteger term = p.divide(BigInteger.valueOf(k));
            if (term.signum() == 0) {
                return sum;
            }
            sum = (k & 2) != 0 ? sum.subtract(term) : sum.add(term);
        }
    }

    // ---- kernels ------------------------------------------------------------------------------

    /** An upper bound of log2|v| for v at g fraction bits. */
    private static int log2Bound(BigInteger v, int g) {
        return v.bitLength() - g;
    }

    /**
     * Evaluates sum_{k=0}^{n} sign^k * c[step*k + first] * z^k by Horner's rule at g fraction bits
     * (z at g fraction bits, |z| &lt; 1), with n the number of terms after which c * z^k
     * stays below 2^-(g + 4); {@code log2c} gives log2 of the coefficient for k.
     */
    private static BigInteger horner(BigInteger z, int g, BigInteger[] c, int step, int first, boolean alternate,
                                     java.util.function.IntToDoubleFunction log2c) {
        int lz = log2Bound(z, g);
        int n = 0;
        if (z.signum() != 0) {
            while (n + 1 < MAX_TERMS / step && (n + 1) * (double) lz + log2c.applyAsDouble(n + 1) > -g - 4) {
                n++;
            }
        }
        BigInteger p = BigInteger.ZERO;
        for (int k = n; k >= 0; k--) {
            BigInteger ck = at(c[step * k + first], g);
            if (alternate && (k & 1) != 0) {
                ck = ck.negate();
            }
            p = ck.add(mul(p, z, g));
        }
        return p;
    }

    /**
     * sin(r) and cos(r) at f fraction bits for |r| &lt;= pi/4 (r at f fraction bits): Taylor series on
     * r/16, then four double-angle steps.
     */
    static BigInteger[] sinCos(BigInteger r, int f) {
        int g = f + 8;
        BigInteger a = r.shiftLeft(8 - 4);
        BigInteger a2 = mul(a, a, g);
        BigInteger one = BigInteger.ONE.shiftLeft(g);
        BigInteger s = mul(a, horner(a2, g, INV_FACT, 2, 1, true, k -> LOG2_INV_FACT[2 * k + 1]), g);
        BigInteger c = horner(a2, g, INV_FACT, 2, 0, true, k -> LOG2_INV_FACT[2 * k]);
        for (int h = 0; h < 4; h++) {
            BigInteger s2 = mul(s, c, g).shiftLeft(1);
            c = one.subtract(mul(s, s, g).shiftLeft(1));
            s = s2;
        }
        return new BigInteger[] {s.shiftRight(8), c.shiftRight(8)};
    }

    /**
     * e^u - 1 at f fraction bits for |u| &lt;= 1 (u at f fraction bits): Taylor series on u/256, then
     * eight steps of expm1(2v) = expm1(v) * (expm1(v) + 2), which keep the relative precision.
     */
    static BigInteger expm1(BigInteger u, int f) {
        int g = f + 8;
        BigInteger v = u;
        BigInteger e = mul(v, horner(v, g, INV_FACT, 1, 1, false, k -> LOG2_INV_FACT[k + 1]), g);
        BigInteger two = BigInteger.TWO.shiftLeft(g);
        for (int h = 0; h < 8; h++) {
            e = mul(e, e.add(two), g);
        }
        return e.shiftRight(8);
    }

    /** atanh(s) = s (1 + s^2/3 + s^4/5 + ...) at g fraction bits, |s| &lt;= 1/8. */
    private static BigInteger atanh(BigInteger s, int g) {
        return mul(s, horner(mul(s, s, g), g, INV_ODD, 1, 0, false, XMath::log2InvOdd), g);
    }

    private static double log2InvOdd(int k) {
        return -Math.log(2 * k + 1) / Math.log(2);
    }

    /**
     * ln(m) at f fraction bits (f &lt;= CB - 16) for 1 &lt;= m &lt; 2 given at f fraction bits:
     * ln(1 + i/64) from the table plus 2 atanh((m - c) / (m + c)), c = 1 + i/64.
     */
    static BigInteger ln1to2(BigInteger m, int f) {
        int g = f + 8;
        BigInteger mg = m.shiftLeft(8);
        int i = mg.shiftRight(g - 6).intValue() - 64;
        BigInteger c = BigInteger.valueOf(64 + i).shiftLeft(g - 6);
        BigInteger s = div(mg.subtract(c), mg.add(c), g);
        BigInteger r = at(LN_TABLE[i], g).add(atanh(s, g).shiftLeft(1));
        return r.shiftRight(8);
    }

    /** ln(1 + x) at f fraction bits for |x| &lt;= 1/32 (x at f fraction bits): 2 atanh(x / (2 + x)). */
    static BigInteger ln1p(BigInteger x, int f) {
        int g = f + 8;
        BigInteger xg = x.shiftLeft(8);
        BigInteger s = div(xg, xg.add(BigInteger.TWO.shiftLeft(g)), g);
        return atanh(s, g).shiftLeft(1).shiftRight(8);
    }

    /**
     * atan(t) at f fraction bits for 0 &lt;= t &lt;= 1 (t at f fraction bits, f &lt;= CB - 16): atan(i/16)
     * from the table plus atan((t - c) / (1 + t c)), c = i/16 nearest to t.
     */
    static BigInteger atan01(BigInteger t, int f) {
        int g = f + 8;
        BigInteger tg = t.shiftLeft(8);
        int i = tg.shiftRight(g - 5).add(BigInteger.ONE).shiftRight(1).intValue();
        BigInteger c = BigInteger.valueOf(i).shiftLeft(g - 4);
        BigInteger one = BigInteger.ONE.shiftLeft(g);
        BigInteger s = div(tg.subtract(c), one.add(mul(tg, c, g)), g);
        BigInteger a = mul(s, horner(mul(s, s, g), g, INV_ODD, 1, 0, true, XMath::log2InvOdd), g);
        return at(ATAN_TABLE[i], g).add(a).shiftRight(8);
    }
}

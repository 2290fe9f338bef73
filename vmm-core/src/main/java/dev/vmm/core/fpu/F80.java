package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.FpCore.EXT_BIAS;
import static dev.vmm.core.fpu.FpCore.INF;
import static dev.vmm.core.fpu.FpCore.NORM;
import static dev.vmm.core.fpu.FpCore.R_INDEF;
import static dev.vmm.core.fpu.FpCore.R_INF;
import static dev.vmm.core.fpu.FpCore.R_NUM;
import static dev.vmm.core.fpu.FpCore.R_ZERO;
import static dev.vmm.core.fpu.FpCore.SNAN;
import static dev.vmm.core.fpu.FpCore.UNSUP;
import static dev.vmm.core.fpu.FpCore.ZERO;
import static dev.vmm.core.fpu.FpCore.isNan;
import static dev.vmm.core.fpu.FpEnv.IE;
import static dev.vmm.core.fpu.FpEnv.PE;
import static dev.vmm.core.fpu.FpEnv.ZE;

/**
 * x87 double-extended (80-bit) operations with x87 semantics. A value is the pair
 * {@code (int se, long sig)}: sign in bit 15 and biased exponent in bits 14-0 of {@code se},
 * significand with explicit integer bit 63 in {@code sig}. Extended results go to
 * {@link FpEnv#se}/{@link FpEnv#sig}; nothing is allocated.
 *
 * <p>Arithmetic (add, sub, mul, div, sqrt) rounds to {@link FpEnv#pc} bits while keeping the
 * 15-bit exponent range. Unsupported encodings (pseudo-NaN, pseudo-infinity, unnormal) are
 * invalid (IE, real indefinite); pseudo-denormals are accepted as denormal operands (DE). NaN
 * propagation: a QNaN beats an SNaN, otherwise the larger significand (positive sign on a
 * tie), quieted; any SNaN operand sets IE. {@link FpEnv#c1} reports "rounded up".
 * DAZ/FTZ do not apply.
 */
public final class F80 {

    /** Sign/exponent of the real indefinite. */
    public static final int INDEFINITE_SE = 0xFFFF;
    /** Significand of the real indefinite. */
    public static final long INDEFINITE_SIG = 0xC000_0000_0000_0000L;
    private static final long QUIET = 1L << 62;

    private F80() {
    }

    /** FADD. @param x environment @param ase a sign/exp @param asig a significand @param bse b @param bsig b */
    public static void add(FpEnv x, int ase, long asig, int bse, long bsig) {
        arith(x, FpCore.ADD, ase, asig, bse, bsig);
    }

    /** FSUB: a - b. @param x environment @param ase a @param asig a @param bse b @param bsig b */
    public static void sub(FpEnv x, int ase, long asig, int bse, long bsig) {
        arith(x, FpCore.SUB, ase, asig, bse, bsig);
    }

    /** FMUL. @param x environment @param ase a @param asig a @param bse b @param bsig b */
    public static void mul(FpEnv x, int ase, long asig, int bse, long bsig) {
        arith(x, FpCore.MUL, ase, asig, bse, bsig);
    }

    /** FDIV: a / b. @param x environment @param ase a @param asig a @param bse b @param bsig b */
    public static void div(FpEnv x, int ase, long asig, int bse, long bsig) {
        arith(x, FpCore.DIV, ase, asig, bse, bsig);
    }

    private static void arith(FpEnv x, int op, int ase, long asig, int bse, long bsig) {
        if (!prologue(x, ase, asig, bse, bsig, true)) {
            return;
        }
        finish(x, checked(x, op), x.pc);
    }

    /** Runs op (-1 = sqrt); a denormal operand counts (DE) unless the result is IE or ZE. */
    private static int checked(FpEnv x, int op) {
        int before = x.flags;
        x.flags = 0;
        int r = op < 0 ? FpCore.sqrt(x) : FpCore.arith(x, op);
        if ((x.flags & (IE | ZE)) == 0) {
            FpCore.denormalFlag(x);
        }
        x.flags |= before;
        return r;
    }

    /** FSQRT. @param x environment @param se operand sign/exp @param sig operand significand */
    public static void sqrt(FpEnv x, int se, long sig) {
        if (!prologue(x, se, sig, 0, 0, false)) {
            return;
        }
        finish(x, checked(x, -1), x.pc);
    }

    /**
     * Rounds an extended value to {@link FpEnv#pc} bits (the precision-control rounding step).
     *
     * @param x environment
     * @param se sign/exp
     * @param sig significand
     */
    public static void roundToPrecision(FpEnv x, int se, long sig) {
        if (!prologue(x, se, sig, 0, 0, false)) {
            return;
        }
        FpCore.denormalFlag(x);
        x.zs = x.sgn[0];
        int c = x.cls[0];
        if (c == NORM) {
            FpCore.load(x, 0);
        }
        finish(x, c == NORM ? R_NUM : c == INF ? R_INF : R_ZERO, x.pc);
    }

    /** FRNDINT (ignores precision control). @param x environment @param se sign/exp @param sig significand */
    public static void roundInt(FpEnv x, int se, long sig) {
        if (!prologue(x, se, sig, 0, 0, false)) {
            return;
        }
        FpCore.denormalFlag(x);
        int c = x.cls[0];
        x.zs = x.sgn[0];
        if (c != NORM || x.exp[0] >= 63) {
            if (c == NORM) {
                FpCore.load(x, 0);
            }
            finish(x, c == NORM ? R_NUM : c == INF ? R_INF : R_ZERO, 64);
            return;
        }
        FpCore.load(x, 0);
        long n = FpCore.roundAt(x, 0, x.rc);
        boolean carry = x.carry;
        if (x.inexact) {
            x.flags |= PE;
            x.c1 = x.up;
        }
        if (carry) {
            x.se = (x.zs ? 0x8000 : 0) | (EXT_BIAS + 64);
            x.sig = Long.MIN_VALUE;
        } else if (n == 0) {
            x.se = x.zs ? 0x8000 : 0;
            x.sig = 0;
        } else {
            int lz = Long.numberOfLeadingZeros(n);
            x.se = (x.zs ? 0x8000 : 0) | (EXT_BIAS + 63 - lz);
            x.sig = n << lz;
        }
    }

    /**
     * FCOM/FUCOM-style comparison.
     *
     * @param x environment
     * @param ase a sign/exp
     * @param asig a significand
     * @param bse b sign/exp
     * @param bsig b significand
     * @param signaling true for FCOM (any NaN is invalid), false for FUCOM (SNaN only)
     * @return FpEnv.CMP_GT, CMP_LT, CMP_EQ or CMP_UN (C3 C2 C0 as ZF PF CF)
     */
    public static int compare(FpEnv x, int ase, long asig, int bse, long bsig, boolean signaling) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackExt(x, 0, ase, asig);
        FpCore.unpackExt(x, 1, bse, bsig);
        int ca = x.cls[0];
        int cb = x.cls[1];
        if (ca == UNSUP || cb == UNSUP) {
            x.flags |= IE;
            return FpEnv.CMP_UN;
        }
        if (isNan(ca) || isNan(cb)) {
            if (signaling || ca == SNAN || cb == SNAN) {
                x.flags |= IE;
            }
            return FpEnv.CMP_UN;
        }
        FpCore.denormalFlag(x);
        int r = FpCore.compareValues(x);
        return r < 0 ? FpEnv.CMP_LT : r > 0 ? FpEnv.CMP_GT : FpEnv.CMP_EQ;
    }

    /**
     * FIST/FISTP (rounding per {@link FpEnv#rc}) or FISTTP (truncate).
     *
     * @param x environment
     * @param se sign/exp
     * @param sig significand
     * @param bits 16, 32 or 64
     * @param truncate true for FISTTP
     * @return the integer (sign-extended), or the integer indefinite 1 &lt;&lt; (bits-1) with IE
     */
    public static long toInt(FpEnv x, int se, long sig, int bits, boolean truncate) {
        x.denormalSeen = false;
        FpCore.unpackExt(x, 0, se, sig);
        return FpCore.toInt(x, bits, truncate ? FpEnv.RZ : x.rc);
    }

    /** FILD (exact). @param x environment @param v the integer */
    public static void fromInt(FpEnv x, long v) {
        x.c1 = false;
        boolean neg = v < 0;
        if (!FpCore.loadInt(x, neg, neg ? -v : v)) {
            x.se = 0;
            x.sig = 0;
            return;
        }
        finish(x, R_NUM, 64);
    }

    /** FLD m64 (exact; SNaN quieted with IE, denormal DE). @param x environment @param bits binary64 */
    public static void fromF64(FpEnv x, long bits) {
        fromBin(x, bits, 52, 11);
    }

    /** FLD m32 (exact; SNaN quieted with IE, denormal DE). @param x environment @param bits binary32 */
    public static void fromF32(FpEnv x, int bits) {
        fromBin(x, bits & 0xFFFF_FFFFL, 23, 8);
    }

    private static void fromBin(FpEnv x, long bits, int f, int w) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackBin(x, 0, bits, f, w, false);
        FpCore.denormalFlag(x);
        int c = x.cls[0];
        x.zs = x.sgn[0];
        if (isNan(c)) {
            if (c == SNAN) {
                x.flags |= IE;
            }
            x.se = (x.zs ? 0x8000 : 0) | 0x7FFF;
            x.sig = Long.MIN_VALUE | QUIET | (x.man[0] << (63 - f));
            return;
        }
        if (c == NORM) {
            FpCore.load(x, 0);
        }
        finish(x, c == NORM ? R_NUM : c == INF ? R_INF : R_ZERO, 64);
    }

    /** FST m64: rounds per {@link FpEnv#rc}. @param x environment @param se sign/exp @param sig significand @return binary64 */
    public static long toF64(FpEnv x, int se, long sig) {
        return toBin(x, se, sig, 52, 11);
    }

    /** FST m32: rounds per {@link FpEnv#rc}. @param x environment @param se sign/exp @param sig significand @return binary32 */
    public static int toF32(FpEnv x, int se, long sig) {
        return (int) toBin(x, se, sig, 23, 8);
    }

    private static long toBin(FpEnv x, int se, long sig, int f, int w) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackExt(x, 0, se, sig);
        int c = x.cls[0];
        x.zs = x.sgn[0];
        if (c == UNSUP) {
            x.flags |= IE;
            return Bin.indefinite(f, w);
        }
        if (isNan(c)) {
            if (c == SNAN) {
                x.flags |= IE;
            }
            long s = x.zs ? 1L << (f + w) : 0;
            return s | (((1L << w) - 1) << f) | (1L << (f - 1)) | ((sig << 1) >>> (64 - f));
        }
        if (c == NORM) {
            FpCore.load(x, 0);
        }
        boolean ftz = x.ftz;
        x.ftz = false;
        long r = Bin.finish(x, c == NORM ? R_NUM : c == INF ? R_INF : R_ZERO, f, w);
        x.ftz = ftz;
        return r;
    }

    /**
     * Unpacks operands, handles unsupported encodings and NaNs (writing the result), sets DE.
     * Returns true if the operation must proceed with the unpacked slots.
     */
    private static boolean prologue(FpEnv x, int ase, long asig, int bse, long bsig, boolean two) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackExt(x, 0, ase, asig);
        if (two) {
            FpCore.unpackExt(x, 1, bse, bsig);
        } else {
            x.cls[1] = ZERO;
        }
        int ca = x.cls[0];
        int cb = x.cls[1];
        if (ca == UNSUP || cb == UNSUP) {
            x.flags |= IE;
            x.se = INDEFINITE_SE;
            x.sig = INDEFINITE_SIG;
            return false;
        }
        if (isNan(ca) || isNan(cb)) {
            if (ca == SNAN || cb == SNAN) {
                x.flags |= IE;
            }
            boolean pickB = nanPicksSecond(ca, cb, ase, asig, bse, bsig);
            x.se = (pickB ? bse : ase) & 0xFFFF;
            x.sig = (pickB ? bsig : asig) | QUIET;
            return false;
        }
        return true;
    }

    /**
     * The x87 NaN rule for two operands of classes {@code ca}, {@code cb} (at least one a NaN): true if
     * the result is the second operand's NaN. A QNaN beats an SNaN; of two NaNs of the same kind the
     * larger significand wins (the positive one on a tie).
     */
    static boolean nanPicksSecond(int ca, int cb, int ase, long asig, int bse, long bsig) {
        if (!isNan(ca)) {
            return true;
        }
        if (!isNan(cb) || ca != cb) {
            return ca == SNAN && isNan(cb);
        }
        int cmp = Long.compareUnsigned(asig & ~QUIET, bsig & ~QUIET);
        return cmp < 0 || (cmp == 0 && (ase & 0x8000) != 0 && (bse & 0x8000) == 0);
    }

    private static void finish(FpEnv x, int r, int p) {
        int sign = x.zs ? 0x8000 : 0;
        switch (r) {
            case R_NUM -> {
                FpCore.roundPack(x, p, EXT_BIAS, false);
                FpCore.packExt(x, p);
            }
            case R_INF -> {
                x.se = sign | 0x7FFF;
                x.sig = Long.MIN_VALUE;
            }
            case R_INDEF -> {
                x.se = INDEFINITE_SE;
                x.sig = INDEFINITE_SIG;
            }
            default -> {
                x.se = sign;
                x.sig = 0;
            }
        }
    }
}

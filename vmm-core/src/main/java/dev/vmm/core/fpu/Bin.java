package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.FpCore.INF;
import static dev.vmm.core.fpu.FpCore.NORM;
import static dev.vmm.core.fpu.FpCore.R_INDEF;
import static dev.vmm.core.fpu.FpCore.R_INF;
import static dev.vmm.core.fpu.FpCore.R_NUM;
import static dev.vmm.core.fpu.FpCore.SNAN;
import static dev.vmm.core.fpu.FpCore.ZERO;
import static dev.vmm.core.fpu.FpCore.isNan;
import static dev.vmm.core.fpu.FpEnv.IE;
import static dev.vmm.core.fpu.FpEnv.PE;
import static dev.vmm.core.fpu.FpEnv.ZE;

/**
 * SSE-semantics operations on IEEE binary formats held in the low bits of a long (f fraction
 * bits, w exponent bits). Shared by {@link F32} and {@link F64}.
 */
final class Bin {

    private Bin() {
    }

    static long indefinite(int f, int w) {
        long m = f + w + 1 == 64 ? -1L : (1L << (f + w + 1)) - 1;
        return (-1L << (f - 1)) & m;
    }

    private static long quiet(long bits, int f) {
        return bits | (1L << (f - 1));
    }

    static long arith(FpEnv x, int op, long a, long b, int f, int w) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackBin(x, 0, a, f, w, x.daz);
        FpCore.unpackBin(x, 1, b, f, w, x.daz);
        int ca = x.cls[0];
        int cb = x.cls[1];
        if (isNan(ca) || isNan(cb)) {
            if (ca == SNAN || cb == SNAN) {
                x.flags |= IE;
            }
            return quiet(isNan(ca) ? a : b, f);
        }
        int before = x.flags;
        x.flags = 0;
        int r = FpCore.arith(x, op);
        if ((x.flags & (IE | ZE)) == 0) {
            FpCore.denormalFlag(x);
        }
        x.flags |= before;
        return finish(x, r, f, w);
    }

    static long sqrt(FpEnv x, long a, int f, int w) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackBin(x, 0, a, f, w, x.daz);
        int ca = x.cls[0];
        if (isNan(ca)) {
            if (ca == SNAN) {
                x.flags |= IE;
            }
            return quiet(a, f);
        }
        int r = FpCore.sqrt(x);
        if (r != FpCore.R_INDEF) {
            FpCore.denormalFlag(x);
        }
        return finish(x, r, f, w);
    }

    static long finish(FpEnv x, int r, int f, int w) {
        long sign = x.zs ? 1L << (f + w) : 0;
        long expAll = ((1L << w) - 1) << f;
        return switch (r) {
            case R_NUM -> {
                FpCore.roundPack(x, f + 1, (1 << (w - 1)) - 1, x.ftz);
                yield FpCore.packBin(x, f, w);
            }
            case R_INF -> sign | expAll;
            case R_INDEF -> indefinite(f, w);
            default -> sign;
        };
    }

    /** Binary to signed integer (CVTSx2SI / CVTTSx2SI); bits 32 or 64. */
    static long toInt(FpEnv x, long a, int f, int w, int bits, boolean truncate) {
        x.denormalSeen = false;
        FpCore.unpackBin(x, 0, a, f, w, x.daz);
        return FpCore.toInt(x, bits, truncate ? FpEnv.RZ : x.rc);
    }

    /** Signed integer to binary (CVTSI2Sx). */
    static long fromInt(FpEnv x, long v, int f, int w) {
        x.c1 = false;
        boolean neg = v < 0;
        if (!FpCore.loadInt(x, neg, neg ? -v : v)) {
            return 0;
        }
        return finish(x, R_NUM, f, w);
    }

    /** Binary to binary (CVTSS2SD / CVTSD2SS). */
    static long convert(FpEnv x, long a, int fs, int ws, int fd, int wd) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackBin(x, 0, a, fs, ws, x.daz);
        FpCore.denormalFlag(x);
        int c = x.cls[0];
        x.zs = x.sgn[0];
        long sign = x.zs ? 1L << (fd + wd) : 0;
        if (isNan(c)) {
            if (c == SNAN) {
                x.flags |= IE;
            }
            long fr = x.man[0];
            fr = fd > fs ? fr << (fd - fs) : fr >>> (fs - fd);
            return quiet(sign | (((1L << wd) - 1) << fd) | fr, fd);
        }
        if (c == NORM) {
            FpCore.load(x, 0);
        }
        return finish(x, c == NORM ? R_NUM : c == INF ? R_INF : FpCore.R_ZERO, fd, wd);
    }

    /** Round to integral value in the current rounding mode (ROUNDSx with imm8 bit 2 = 1). */
    static long roundInt(FpEnv x, long a, int f, int w, int rc, boolean suppressPe) {
        x.denormalSeen = false;
        x.c1 = false;
        FpCore.unpackBin(x, 0, a, f, w, x.daz);
        int c = x.cls[0];
        if (isNan(c)) {
            if (c == SNAN) {
                x.flags |= IE;
            }
            return quiet(a, f);
        }
        long sign = x.sgn[0] ? 1L << (f + w) : 0;
        if (c == ZERO) {
            return sign;
        }
        if (c != NORM || x.exp[0] >= f) {
            return a;
        }
        FpCore.load(x, 0);
        long n = FpCore.roundAt(x, 0, rc);
        if (x.inexact && !suppressPe) {
            x.flags |= PE;
        }
        if (n == 0) {
            return sign;
        }
        FpCore.loadInt(x, x.sgn[0], n);
        return finish(x, R_NUM, f, w);
    }

    /** COMISx (signaling) / UCOMISx (quiet): returns an FpEnv.CMP_* relation. */
    static int compare(FpEnv x, long a, long b, int f, int w, boolean signaling) {
        x.denormalSeen = false;
        FpCore.unpackBin(x, 0, a, f, w, x.daz);
        FpCore.unpackBin(x, 1, b, f, w, x.daz);
        int ca = x.cls[0];
        int cb = x.cls[1];
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
}

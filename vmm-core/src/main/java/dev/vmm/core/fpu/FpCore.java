package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.FpEnv.DE;
import static dev.vmm.core.fpu.FpEnv.IE;
import static dev.vmm.core.fpu.FpEnv.OE;
import static dev.vmm.core.fpu.FpEnv.PE;
import static dev.vmm.core.fpu.FpEnv.RD;
import static dev.vmm.core.fpu.FpEnv.RN;
import static dev.vmm.core.fpu.FpEnv.RU;
import static dev.vmm.core.fpu.FpEnv.UE;
import static dev.vmm.core.fpu.FpEnv.ZE;

/**
 * Format-independent engine: unpacking into (class, sign, exponent, normalized 64-bit
 * significand), exact arithmetic on 128-bit intermediates, and a single rounding routine
 * parameterized by precision p and exponent bias (tininess after rounding, as x86).
 */
final class FpCore {

    static final int ZERO = 0;
    static final int NORM = 1;
    static final int INF = 2;
    static final int QNAN = 3;
    static final int SNAN = 4;
    /** Unsupported 80-bit encoding (pseudo-NaN, pseudo-infinity, unnormal). */
    static final int UNSUP = 5;

    static final int ADD = 0;
    static final int SUB = 1;
    static final int MUL = 2;
    static final int DIV = 3;

    /** arith result: finite value in ze/zhi/zlo, needs rounding. */
    static final int R_NUM = 0;
    static final int R_ZERO = 1;
    static final int R_INF = 2;
    /** Invalid operation: default QNaN (real indefinite). */
    static final int R_INDEF = 3;

    static final int EXT_BIAS = 16383;

    private FpCore() {
    }

    static boolean isNan(int cls) {
        return cls == QNAN || cls == SNAN;
    }

    /** Unpacks an IEEE binary format value (f fraction bits, w exponent bits) into slot. */
    static void unpackBin(FpEnv x, int slot, long bits, int f, int w, boolean daz) {
        int emask = (1 << w) - 1;
        int bias = emask >>> 1;
        long fr = bits & ((1L << f) - 1);
        int be = (int) ((bits >>> f) & emask);
        x.sgn[slot] = ((bits >>> (f + w)) & 1) != 0;
        if (be == emask) {
            x.cls[slot] = fr == 0 ? INF : ((fr >>> (f - 1)) & 1) != 0 ? QNAN : SNAN;
            x.man[slot] = fr;
        } else if (be == 0) {
            if (fr == 0 || daz) {
                x.cls[slot] = ZERO;
                return;
            }
            x.denormalSeen = true;
            int lz = Long.numberOfLeadingZeros(fr);
            x.cls[slot] = NORM;
            x.man[slot] = fr << lz;
            x.exp[slot] = 1 - bias - f - lz + 63;
        } else {
            x.cls[slot] = NORM;
            x.man[slot] = (fr | (1L << f)) << (63 - f);
            x.exp[slot] = be - bias;
        }
    }

    /** Unpacks an 80-bit extended value into slot; pseudo-denormals count as denormal operands. */
    static void unpackExt(FpEnv x, int slot, int se, long sig) {
        int be = se & 0x7FFF;
        x.sgn[slot] = (se & 0x8000) != 0;
        x.man[slot] = sig;
        if (be == 0x7FFF) {
            x.cls[slot] = sig >= 0 ? UNSUP : (sig << 1) == 0 ? INF : (sig & (1L << 62)) != 0 ? QNAN : SNAN;
        } else if (be == 0) {
            if (sig == 0) {
                x.cls[slot] = ZERO;
                return;
            }
            x.denormalSeen = true;
            int lz = Long.numberOfLeadingZeros(sig);
            x.cls[slot] = NORM;
            x.man[slot] = sig << lz;
            x.exp[slot] = 1 - EXT_BIAS - lz;
        } else if (sig >= 0) {
            x.cls[slot] = UNSUP;
        } else {
            x.cls[slot] = NORM;
            x.exp[slot] = be - EXT_BIAS;
        }
    }

    /** Sets the intermediate to the unpacked finite nonzero value in slot. */
    static void load(FpEnv x, int slot) {
        x.zs = x.sgn[slot];
        x.ze = x.exp[slot];
        x.zhi = x.man[slot];
        x.zlo = 0;
    }

    /** Loads an unsigned 64-bit magnitude into the intermediate; returns false if it is zero. */
    static boolean loadInt(FpEnv x, boolean neg, long mag) {
        if (mag == 0) {
            return false;
        }
        int lz = Long.numberOfLeadingZeros(mag);
        x.zs = neg;
        x.zhi = mag << lz;
        x.zlo = 0;
        x.ze = 63 - lz;
        return true;
    }

    /** Two-operand arithmetic on slots 0 and 1 (no NaN or unsupported operands). */
    static int arith(FpEnv x, int op) {
        return switch (op) {
            case ADD, SUB -> add(x, x.sgn[1] ^ (op == SUB));
            case MUL -> mul(x);
            default -> div(x);
        };
    }

    private static int add(FpEnv x, boolean sb) {
        int ca = x.cls[0];
        int cb = x.cls[1];
        boolean sa = x.sgn[0];
        if (ca == INF || cb == INF) {
            if (ca == INF && cb == INF && sa != sb) {
                x.flags |= IE;
                return R_INDEF;
            }
            x.zs = ca == INF ? sa : sb;
            return R_INF;
        }
        if (ca == ZERO && cb == ZERO) {
            x.zs = sa == sb ? sa : x.rc == RD;
            return R_ZERO;
        }
        if (ca == ZERO || cb == ZERO) {
            load(x, ca == ZERO ? 1 : 0);
            x.zs = ca == ZERO ? sb : sa;
            return R_NUM;
        }
        int ea = x.exp[0];
        int eb = x.exp[1];
        long ma = x.man[0];
        long mb = x.man[1];
        if (ea < eb || (ea == eb && Long.compareUnsigned(ma, mb) < 0)) {
            int te = ea;
            ea = eb;
            eb = te;
            long tm = ma;
            ma = mb;
            mb = tm;
            boolean ts = sa;
            sa = sb;
            sb = ts;
        }
        int d = ea - eb;
        long bh;
        long bl;
        if (d == 0) {
            bh = mb;
            bl = 0;
        } else if (d < 64) {
            bh = mb >>> d;
            bl = mb << (64 - d);
        } else if (d == 64) {
            bh = 0;
            bl = mb;
        } else if (d < 128) {
            bh = 0;
            bl = (mb >>> (d - 64)) | ((mb << (128 - d)) != 0 ? 1 : 0);
        } else {
            bh = 0;
            bl = 1;
        }
        long hi;
        long lo;
        if (sa == sb) {
            hi = ma + bh;
            lo = bl;
            if (Long.compareUnsigned(hi, ma) < 0) {
                lo = (lo >>> 1) | (hi << 63) | (lo & 1);
                hi = (hi >>> 1) | Long.MIN_VALUE;
                ea++;
            }
        } else {
            lo = -bl;
            hi = ma - bh - (bl != 0 ? 1 : 0);
            if (hi == 0 && lo == 0) {
                x.zs = x.rc == RD;
                return R_ZERO;
            }
            int lz = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
            if (lz >= 64) {
                hi = lo << (lz - 64);
                lo = 0;
            } else if (lz > 0) {
                hi = (hi << lz) | (lo >>> (64 - lz));
                lo <<= lz;
            }
            ea -= lz;
        }
        x.zs = sa;
        x.ze = ea;
        x.zhi = hi;
        x.zlo = lo;
        return R_NUM;
    }

    private static int mul(FpEnv x) {
        int ca = x.cls[0];
        int cb = x.cls[1];
        x.zs = x.sgn[0] ^ x.sgn[1];
        if ((ca == INF && cb == ZERO) || (ca == ZERO && cb == INF)) {
            x.flags |= IE;
            return R_INDEF;
        }
        if (ca == INF || cb == INF) {
            return R_INF;
        }
        if (ca == ZERO || cb == ZERO) {
            return R_ZERO;
        }
        long ma = x.man[0];
        long mb = x.man[1];
        long hi = Math.unsignedMultiplyHigh(ma, mb);
        long lo = ma * mb;
        int e = x.exp[0] + x.exp[1];
        if (hi < 0) {
            e++;
        } else {
            hi = (hi << 1) | (lo >>> 63);
            lo <<= 1;
        }
        x.ze = e;
        x.zhi = hi;
        x.zlo = lo;
        return R_NUM;
    }

    private static int div(FpEnv x) {
        int ca = x.cls[0];
        int cb = x.cls[1];
        x.zs = x.sgn[0] ^ x.sgn[1];
        if ((ca == INF && cb == INF) || (ca == ZERO && cb == ZERO)) {
            x.flags |= IE;
            return R_INDEF;
        }
        if (ca == INF) {
            return R_INF;
        }
        if (cb == INF || ca == ZERO) {
            return R_ZERO;
        }
        if (cb == ZERO) {
            x.flags |= ZE;
            return R_INF;
        }
        long ma = x.man[0];
        long mb = x.man[1];
        int e = x.exp[0] - x.exp[1];
        long rem = ma;
        boolean top = false;
        if (Long.compareUnsigned(ma, mb) < 0) {
            e--;
            top = rem < 0;
            rem <<= 1;
        }
        long qh = 0;
        long ql = 0;
        for (int i = 0; i < 66; i++) {
            if (top || Long.compareUnsigned(rem, mb) >= 0) {
                rem -= mb;
                if (i < 64) {
                    qh |= 1L << (63 - i);
                } else {
                    ql |= 1L << (127 - i);
                }
            }
            top = rem < 0;
            rem <<= 1;
        }
        if (rem != 0 || top) {
            ql |= 1;
        }
        x.ze = e;
        x.zhi = qh;
        x.zlo = ql;
        return R_NUM;
    }

    /** Square root of slot 0 (no NaN or unsupported operand). */
    static int sqrt(FpEnv x) {
        int c = x.cls[0];
        x.zs = x.sgn[0];
        if (c == ZERO) {
            return R_ZERO;
        }
        if (x.sgn[0]) {
            x.flags |= IE;
            return R_INDEF;
        }
        if (c == INF) {
            return R_INF;
        }
        long ma = x.man[0];
        int t = x.exp[0] - 63;
        long mh;
        long ml;
        int s;
        if ((t & 1) == 0) {
            mh = ma;
            ml = 0;
            s = (t - 64) / 2;
        } else {
            mh = ma >>> 1;
            ml = ma << 63;
            s = (t - 63) / 2;
        }
        long r = 0;
        for (int b = 63; b >= 0; b--) {
            long cand = r | (1L << b);
            long ph = Math.unsignedMultiplyHigh(cand, cand);
            long pl = cand * cand;
            int cmp = Long.compareUnsigned(ph, mh);
            if (cmp < 0 || (cmp == 0 && Long.compareUnsigned(pl, ml) <= 0)) {
                r = cand;
            }
        }
        long pl = r * r;
        long ph = Math.unsignedMultiplyHigh(r, r);
        long remL = ml - pl;
        long remH = mh - ph - (Long.compareUnsigned(ml, pl) < 0 ? 1 : 0);
        boolean roundBit = remH != 0 || Long.compareUnsigned(remL, r) > 0;
        boolean sticky = remH != 0 || remL != 0;
        x.ze = s + 63;
        x.zhi = r;
        x.zlo = (roundBit ? Long.MIN_VALUE : 0) | (sticky ? 1 : 0);
        return R_NUM;
    }

    /**
     * Rounds the intermediate to an integer multiple of 2^q with rounding mode rc. Requires
     * ze - q &lt;= 63. Returns the multiple; sets inexact, up (magnitude increased) and carry (the
     * 64-bit multiple overflowed: the true result is 2^64).
     */
    static long roundAt(FpEnv x, int q, int rc) {
        long hi = x.zhi;
        long lo = x.zlo;
        int sh = 63 - x.ze + q;
        long kept;
        boolean rb;
        boolean st;
        if (sh == 0) {
            kept = hi;
            rb = lo < 0;
            st = (lo << 1) != 0;
        } else if (sh < 64) {
            kept = hi >>> sh;
            rb = ((hi >>> (sh - 1)) & 1) != 0;
            st = (hi & ((1L << (sh - 1)) - 1)) != 0 || lo != 0;
        } else if (sh == 64) {
            kept = 0;
            rb = hi < 0;
            st = (hi << 1) != 0 || lo != 0;
        } else {
            kept = 0;
            rb = false;
            st = true;
        }
        boolean inc = switch (rc) {
            case RN -> rb && (st || (kept & 1) != 0);
            case RD -> x.zs && (rb || st);
            case RU -> !x.zs && (rb || st);
            default -> false;
        };
        x.inexact = rb || st;
        x.up = inc;
        x.carry = inc && kept == -1L;
        return inc ? kept + 1 : kept;
    }

    /**
     * Rounds the intermediate to precision p with the exponent range of the given bias, with the
     * masked overflow/underflow responses, into rExp/rSig; sets PE, UE, OE and c1.
     */
    static void roundPack(FpEnv x, int p, int bias, boolean ftz) {
        int emin = 1 - bias;
        int e = x.ze;
        boolean tiny = e < emin;
        if (e == emin - 1) {
            long n = roundAt(x, e - p + 1, x.rc);
            tiny = !(x.carry || (p < 64 && n == 1L << p));
        }
        if (tiny && x.ueUnmasked) {
            if (bias == EXT_BIAS) {
                wrapped(x, p, bias, UE, FpEnv.WRAP);
                return;
            }
            x.flags |= UE;
        }
        if (tiny && ftz) {
            x.flags |= UE | PE;
            x.c1 = false;
            x.rExp = 0;
            x.rSig = 0;
            return;
        }
        int q = tiny ? emin - p + 1 : e - p + 1;
        long n = roundAt(x, q, x.rc);
        if (x.carry) {
            n = Long.MIN_VALUE;
            q++;
        } else if (p < 64 && n == 1L << p) {
            n >>>= 1;
            q++;
        }
        x.c1 = x.up;
        if (x.inexact) {
            x.flags |= tiny ? PE | UE : PE;
        }
        long top = 1L << (p - 1);
        if (n == 0) {
            x.rExp = 0;
        } else if (Long.compareUnsigned(n, top) >= 0) {
            int be = q + p - 1 + bias;
            if (be > 2 * bias) {
                if (x.oeUnmasked && bias == EXT_BIAS) {
                    wrapped(x, p, bias, OE, -FpEnv.WRAP);
                    return;
                }
                overflow(x, p, bias);
                return;
            }
            x.rExp = be;
        } else {
            x.rExp = 0;
        }
        x.rSig = n;
    }

    /**
     * The x87 unmasked overflow/underflow response: the intermediate rounded to p bits with an unbounded
     * exponent, which is then adjusted by {@code adjust} (the exception flag is raised even if exact).
     */
    private static void wrapped(FpEnv x, int p, int bias, int flag, int adjust) {
        int q = x.ze - p + 1;
        long n = roundAt(x, q, x.rc);
        if (x.carry) {
            n = Long.MIN_VALUE;
            q++;
        } else if (p < 64 && n == 1L << p) {
            n >>>= 1;
            q++;
        }
        x.c1 = x.up;
        x.flags |= x.inexact ? flag | PE : flag;
        x.rExp = (q + p - 1 + bias + adjust) & 0x7FFF;
        x.rSig = n;
    }

    private static void overflow(FpEnv x, int p, int bias) {
        x.flags |= OE | PE;
        int rc = x.rc;
        boolean inf = rc == RN || (rc == RU && !x.zs) || (rc == RD && x.zs);
        x.c1 = inf;
        if (inf) {
            x.rExp = 2 * bias + 1;
            x.rSig = 1L << (p - 1);
        } else {
            x.rExp = 2 * bias;
            x.rSig = p == 64 ? -1L : (1L << p) - 1;
        }
    }

    /** Packs rExp/rSig (from roundPack) into binary format bits. */
    static long packBin(FpEnv x, int f, int w) {
        long s = x.zs ? 1L << (f + w) : 0;
        return s | ((long) x.rExp << f) | (x.rSig & ((1L << f) - 1));
    }

    /** Packs rExp/rSig (precision p) into the 80-bit result fields. */
    static void packExt(FpEnv x, int p) {
        x.se = (x.zs ? 0x8000 : 0) | x.rExp;
        x.sig = x.rSig << (64 - p);
    }

    /**
     * Compares slots 0 and 1 (no NaN or unsupported operands); returns -1, 0 or 1.
     */
    static int compareValues(FpEnv x) {
        int ca = x.cls[0];
        int cb = x.cls[1];
        if (ca == ZERO && cb == ZERO) {
            return 0;
        }
        boolean sa = x.sgn[0];
        boolean sb = x.sgn[1];
        if (ca == ZERO) {
            return sb ? 1 : -1;
        }
        if (cb == ZERO) {
            return sa ? -1 : 1;
        }
        if (sa != sb) {
            return sa ? -1 : 1;
        }
        int mag;
        if (ca == INF || cb == INF) {
            mag = ca == cb ? 0 : ca == INF ? 1 : -1;
        } else if (x.exp[0] != x.exp[1]) {
            mag = x.exp[0] < x.exp[1] ? -1 : 1;
        } else {
            mag = Long.compareUnsigned(x.man[0], x.man[1]);
            mag = Integer.signum(mag);
        }
        return sa ? -mag : mag;
    }

    /**
     * Converts slot 0 to a signed integer of the given width (16, 32 or 64) with rounding mode
     * rc; invalid, NaN, infinity and out-of-range give the integer indefinite with IE.
     */
    static long toInt(FpEnv x, int bits, int rc) {
        long indefinite = 1L << (bits - 1);
        int c = x.cls[0];
        x.c1 = false;
        if (c == ZERO) {
            return 0;
        }
        if (c != NORM || x.exp[0] >= 64) {
            x.flags |= IE;
            return indefinite;
        }
        load(x, 0);
        long n = roundAt(x, 0, rc);
        boolean fits = !x.carry && (x.zs ? Long.compareUnsigned(n, indefinite) <= 0
                : Long.compareUnsigned(n, indefinite) < 0);
        if (!fits) {
            x.flags |= IE;
            return indefinite;
        }
        if (x.inexact) {
            x.flags |= PE;
            x.c1 = x.up;
        }
        return x.zs ? -n : n;
    }

    /** Marks a denormal operand if one was unpacked since the last reset. */
    static void denormalFlag(FpEnv x) {
        if (x.denormalSeen) {
            x.flags |= DE;
        }
    }
}

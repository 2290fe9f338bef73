package dev.vmm.core.cpu.diff;

import static dev.vmm.core.cpu.diff.CaseBuilder.AF;
import static dev.vmm.core.cpu.diff.CaseBuilder.PF;
import static dev.vmm.core.cpu.diff.CaseBuilder.SF;
import static dev.vmm.core.cpu.diff.CaseBuilder.STATUS;
import static dev.vmm.core.cpu.diff.CaseBuilder.ZF;
import static dev.vmm.core.cpu.diff.CaseBuilder.osize;

import java.util.List;

/**
 * MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV. Undefined flags (SDM vol. 2A): SF ZF AF
 * PF after MUL/IMUL, all six after DIV/IDIV. Divisions are generated from a chosen quotient,
 * divisor and remainder, and checked again, so that they never raise #DE (which would kill the JVM
 * running the native oracle).
 */
final class MulDivGens {
    private MulDivGens() {
    }

    static List<Gen.Spec> specs(int n) {
        return List.of(
                new Gen.Spec("MULDIV", "MUL", n, true, b -> mul1(b, 4)),
                new Gen.Spec("MULDIV", "IMUL-1op", n, true, b -> mul1(b, 5)),
                new Gen.Spec("MULDIV", "IMUL-2op", n, true, MulDivGens::imul2),
                new Gen.Spec("MULDIV", "IMUL-3op", n, true, MulDivGens::imul3),
                new Gen.Spec("MULDIV", "DIV", n, true, b -> div(b, false)),
                new Gen.Spec("MULDIV", "IDIV", n, true, b -> div(b, true)));
    }

    private static final int MUL_UNDEF = SF | ZF | AF | PF;

    static void mul1(CaseBuilder b, int regField) {
        b.begin();
        int s = b.size();
        b.modrm(osize(s), new int[] {s == 1 ? 0xF6 : 0xF7}, regField, b.rm(s, 50), 0, 0);
        b.flags(0, STATUS, MUL_UNDEF);
    }

    static void imul2(CaseBuilder b) {
        b.begin();
        int s = b.sizeV();
        b.modrm(osize(s), new int[] {0x0F, 0xAF}, b.reg(s), b.rm(s, 50), 0, 0);
        b.flags(0, STATUS, MUL_UNDEF);
    }

    static void imul3(CaseBuilder b) {
        b.begin();
        int s = b.sizeV();
        if (b.chance(50)) {
            b.modrm(osize(s), new int[] {0x69}, b.reg(s), b.rm(s, 50), b.value(s), s);
        } else {
            b.modrm(osize(s), new int[] {0x6B}, b.reg(s), b.rm(s, 50), b.value(1), 1);
        }
        b.flags(0, STATUS, MUL_UNDEF);
    }

    /** DIV/IDIV r/m with EDX:EAX (AX for bytes) set up so that the quotient fits. */
    static void div(CaseBuilder b, boolean signed) {
        b.begin();
        int s = b.size();
        int bits = s * 8;
        long[] v = operands(b, bits, signed);
        long dividend = v[0];
        long divisor = v[1];
        if (s == 1) {
            b.needSized(0, 2, dividend & 0xFFFF);
        } else {
            b.needSized(2, s, (dividend >>> bits) & CaseBuilder.mask(s));
            b.needSized(0, s, dividend & CaseBuilder.mask(s));
        }
        CaseBuilder.Rm rm;
        int r = s == 1 ? 1 + b.rand(7) : b.freeReg();
        if (s == 1 && r == 4) {
            r = 3;   // not AH: a part of the dividend
        }
        if (b.chance(50) && r >= 0 && !b.isClaimed(CaseBuilder.full(r, s))) {
            b.needSized(r, s, divisor);
            rm = new CaseBuilder.Rm(r, null);
        } else {
            CaseBuilder.Mem m = b.mem(s);
            b.needMem(m.offset(), s, divisor);
            rm = new CaseBuilder.Rm(-1, m);
        }
        b.modrm(osize(s), new int[] {s == 1 ? 0xF6 : 0xF7}, signed ? 7 : 6, rm, 0, 0);
        b.flags(0, STATUS, STATUS);
    }

    /** {dividend (2*bits wide, two's complement), divisor} with a quotient that fits in {@code bits}. */
    static long[] operands(CaseBuilder b, int bits, boolean signed) {
        long m = CaseBuilder.mask(bits / 8);
        for (int tries = 0; tries < 1000; tries++) {
            long d = b.value(bits / 8);
            long q = b.value(bits / 8);
            if (d == 0) {
                continue;
            }
            long dividend;
            if (!signed) {
                long r = Long.remainderUnsigned(b.rnd.nextLong(), d);
                dividend = q * d + r;
                if (Long.divideUnsigned(dividend, d) != q) {
                    continue;
                }
            } else {
                long sd = sext(d, bits);
                long sq = sext(q, bits);
                long prod = sq * sd;
                long r = Math.floorMod(b.rnd.nextLong(), Math.abs(sd));
                if (prod < 0 || prod == 0 && b.chance(50)) {
                    r = -r;
                }
                dividend = prod + r;
                if (dividend / sd != sq || dividend % sd != r) {
                    continue;
                }
            }
            if (!fits(dividend, d, bits, signed)) {
                continue;
            }
            return new long[] {dividend, d & m};
        }
        return new long[] {1, 1};
    }

    static long sext(long v, int bits) {
        return v << (64 - bits) >> (64 - bits);
    }

    /** The #DE check of the SDM's DIV/IDIV pseudo-code, on the 2*bits-wide dividend. */
    static boolean fits(long dividend, long divisor, int bits, boolean signed) {
        if (divisor == 0) {
            return false;
        }
        if (!signed) {
            long q = Long.divideUnsigned(dividend, divisor);
            return bits == 32 ? Long.compareUnsigned(q, 0xFFFF_FFFFL) <= 0 && (bits * 2 == 64 || dividend >>> (2 * bits) == 0)
                    : q >>> bits == 0 && dividend >>> (2 * bits) == 0;
        }
        long sdv = sext(dividend, 2 * bits);
        if (sdv != dividend) {
            return false;
        }
        long q = sdv / sext(divisor, bits);
        return q >= -(1L << (bits - 1)) && q < 1L << (bits - 1);
    }
}

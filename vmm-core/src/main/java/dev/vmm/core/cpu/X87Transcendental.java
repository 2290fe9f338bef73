package dev.vmm.core.cpu;

import dev.vmm.core.fpu.F80;
import dev.vmm.core.fpu.F80Exact;
import dev.vmm.core.fpu.F80Trans;
import dev.vmm.core.fpu.FpEnv;
import java.util.Map;

/**
 * The x87 transcendental and remainder instructions: F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN,
 * FCOS, FSINCOS, FPREM, FPREM1, FSCALE, FXTRACT, FRNDINT (Intel SDM vol. 2; the arithmetic is in
 * {@link F80Trans}, {@link F80Exact} and {@link F80#roundInt}).
 *
 * <p>Every handler follows the same steps: the x87 prologue (#NM, pending exception), the
 * last-instruction pointers, the stack checks, the operation in the CPU's {@link FpEnv}, then the
 * commit: an unmasked invalid-operation, denormal or zero-divide exception leaves the registers and
 * TOP unchanged; otherwise the results are written and the stack popped or pushed. Status flags
 * accumulate, ES and B are set for an unmasked exception (reported by the next waiting instruction).
 *
 * <p>Stack faults (SDM vol. 1, 8.5.1.1): an empty source sets IE, SF and C1 = 0, a push onto a
 * non-empty ST(7) sets IE, SF and C1 = 1; masked, the destinations receive the real indefinite
 * (FPTAN, FSINCOS and FXTRACT write it to both results, as the hardware does). The condition
 * codes the SDM calls undefined are those of the AMD processors the differential tests run on:
 * C0 and C3 are unchanged, and FSIN, FCOS, FSINCOS, FPTAN, FPREM, FPREM1 clear C2 also on a
 * stack fault.
 */
final class X87Transcendental {
    private static final int EXC_NO_STORE = FpEnv.IE | FpEnv.DE | FpEnv.ZE;

    private X87Transcendental() {
    }

    static void register(Map<String, Handler> m) {
        m.put("F2XM1", (c, i) -> unary(c, i, Op.F2XM1));
        m.put("FSIN", (c, i) -> unary(c, i, Op.FSIN));
        m.put("FCOS", (c, i) -> unary(c, i, Op.FCOS));
        m.put("FRNDINT", (c, i) -> unary(c, i, Op.FRNDINT));
        m.put("FYL2X", (c, i) -> popBinary(c, i, Op.FYL2X));
        m.put("FYL2XP1", (c, i) -> popBinary(c, i, Op.FYL2XP1));
        m.put("FPATAN", (c, i) -> popBinary(c, i, Op.FPATAN));
        m.put("FSCALE", X87Transcendental::fscale);
        m.put("FPREM", (c, i) -> fprem(c, i, false));
        m.put("FPREM1", (c, i) -> fprem(c, i, true));
        m.put("FPTAN", (c, i) -> pushing(c, i, Op.FPTAN));
        m.put("FSINCOS", (c, i) -> pushing(c, i, Op.FSINCOS));
        m.put("FXTRACT", (c, i) -> pushing(c, i, Op.FXTRACT));
    }

    private enum Op {
        F2XM1, FSIN, FCOS, FRNDINT, FYL2X, FYL2XP1, FPATAN, FPTAN, FSINCOS, FXTRACT;

        /** FSIN, FCOS, FSINCOS and FPTAN report an out-of-range operand in C2 and clear it otherwise. */
        boolean trig() {
            return this == FSIN || this == FCOS || this == FSINCOS || this == FPTAN;
        }
    }

    // ---- handlers -----------------------------------------------------------------------------

    /** ST(0) = op(ST(0)). */
    private static void unary(Cpu c, Insn i, Op op) {
        Fpu f = begin(c, i);
        if (op.trig()) {
            f.fsw &= ~Fpu.SW_C2;
        }
        if (f.isEmpty(0)) {
            stackFault(f, false);
            if (masked(f, FpEnv.IE)) {
                f.setSt(0, F80.INDEFINITE_SE, F80.INDEFINITE_SIG);
            }
            return;
        }
        FpEnv x = env(f);
        int se = f.stSe(0);
        long sig = f.stSig(0);
        int masks = f.fcw & FpEnv.ALL;
        switch (op) {
            case F2XM1 -> F80Trans.f2xm1(x, masks, se, sig);
            case FRNDINT -> F80.roundInt(x, se, sig);
            default -> {
                if (F80Trans.trig(x, masks, op == Op.FSIN ? F80Trans.SIN : F80Trans.COS, se, sig)
                        == F80Trans.OUT_OF_RANGE) {
                    outOfRange(f);
                    return;
                }
            }
        }
        if (commit(f, x)) {
            f.setSt(0, x.se, x.sig);
        }
    }

    /** ST(1) = op(ST(0), ST(1)), then pop: FYL2X, FYL2XP1, FPATAN. */
    private static void popBinary(Cpu c, Insn i, Op op) {
        Fpu f = begin(c, i);
        if (f.isEmpty(0) || f.isEmpty(1)) {
            stackFault(f, false);
            if (masked(f, FpEnv.IE)) {
                f.setSt(1, F80.INDEFINITE_SE, F80.INDEFINITE_SIG);
                f.pop();
            }
            return;
        }
        FpEnv x = env(f);
        int masks = f.fcw & FpEnv.ALL;
        int xse = f.stSe(0);
        long xsig = f.stSig(0);
        int yse = f.stSe(1);
        long ysig = f.stSig(1);
        switch (op) {
            case FYL2X -> F80Trans.fyl2x(x, masks, xse, xsig, yse, ysig);
            case FYL2XP1 -> F80Trans.fyl2xp1(x, masks, xse, xsig, yse, ysig);
            default -> F80Trans.fpatan(x, masks, xse, xsig, yse, ysig);
        }
        if (commit(f, x)) {
            f.setSt(1, x.se, x.sig);
            f.pop();
        }
    }

    /** FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)). */
    private static void fscale(Cpu c, Insn i) {
        Fpu f = begin(c, i);
        if (f.isEmpty(0) || f.isEmpty(1)) {
            stackFault(f, false);
            if (masked(f, FpEnv.IE)) {
                f.setSt(0, F80.INDEFINITE_SE, F80.INDEFINITE_SIG);
            }
            return;
        }
        FpEnv x = env(f);
        F80Exact.fscale(x, f.fcw & FpEnv.ALL, f.stSe(0), f.stSig(0), f.stSe(1), f.stSig(1));
        if (commit(f, x)) {
            f.setSt(0, x.se, x.sig);
        }
    }

    /** FPREM / FPREM1: ST(0) = partial remainder of ST(0) / ST(1); C2 = incomplete, C0 C3 C1 = Q2 Q1 Q0. */
    private static void fprem(Cpu c, Insn i, boolean ieee) {
        Fpu f = begin(c, i);
        f.fsw &= ~Fpu.SW_C2;
        if (f.isEmpty(0) || f.isEmpty(1)) {
            stackFault(f, false);
            if (masked(f, FpEnv.IE)) {
                f.setSt(0, F80.INDEFINITE_SE, F80.INDEFINITE_SIG);
            }
            return;
        }
        FpEnv x = env(f);
        int q = F80Exact.fprem(x, f.fcw & FpEnv.ALL, f.stSe(0), f.stSig(0), f.stSe(1), f.stSig(1), ieee);
        if (!commit(f, x)) {
            return;
        }
        f.setSt(0, x.se, x.sig);
        if (q != F80Exact.NO_QUOTIENT) {
            f.fsw &= ~(Fpu.SW_C0 | Fpu.SW_C1 | Fpu.SW_C3);
            if (q == F80Exact.PARTIAL) {
                f.fsw |= Fpu.SW_C2;
            } else {
                f.fsw |= ((q & 4) != 0 ? Fpu.SW_C0 : 0) | ((q & 2) != 0 ? Fpu.SW_C3 : 0)
                        | ((q & 1) != 0 ? Fpu.SW_C1 : 0);
            }
        }
    }

    /** FPTAN, FSINCOS, FXTRACT: ST(0) = first result, then push the second. */
    private static void pushing(Cpu c, Insn i, Op op) {
        Fpu f = begin(c, i);
        if (op.trig()) {
            f.fsw &= ~Fpu.SW_C2;
        }
        boolean under = f.isEmpty(0);
        if (under || !f.isEmpty(7)) {
            stackFault(f, !under);
            if (masked(f, FpEnv.IE)) {
                f.setSt(0, F80.INDEFINITE_SE, F80.INDEFINITE_SIG);
                f.push(F80.INDEFINITE_SE, F80.INDEFINITE_SIG);
            }
            return;
        }
        FpEnv x = env(f);
        int masks = f.fcw & FpEnv.ALL;
        int se = f.stSe(0);
        long sig = f.stSig(0);
        int firstSe;
        long firstSig;
        int secondSe;
        long secondSig;
        switch (op) {
            case FPTAN -> {
                if (F80Trans.trig(x, masks, F80Trans.TAN, se, sig) == F80Trans.OUT_OF_RANGE) {
                    outOfRange(f);
                    return;
                }
                firstSe = x.se;
                firstSig = x.sig;
                boolean nan = (x.se & 0x7FFF) == 0x7FFF;    // a NaN result is pushed again, not 1.0
                secondSe = nan ? x.se : 0x3FFF;
                secondSig = nan ? x.sig : Long.MIN_VALUE;
            }
            case FSINCOS -> {
                if (F80Trans.trig(x, masks, F80Trans.SIN, se, sig) == F80Trans.OUT_OF_RANGE) {
                    outOfRange(f);
                    return;
                }
                firstSe = x.se;
                firstSig = x.sig;
                boolean sinUp = x.c1;                 // C1 reports the sine's rounding
                F80Trans.trig(x, masks, F80Trans.COS, se, sig);
                x.c1 = sinUp;
                secondSe = x.se;
                secondSig = x.sig;
            }
            default -> {
                F80Exact.fxtractExponent(x, se, sig);
                firstSe = x.se;
                firstSig = x.sig;
                F80Exact.fxtractSignificand(x, se, sig);
                secondSe = x.se;
                secondSig = x.sig;
            }
        }
        if (commit(f, x)) {
            f.setSt(0, firstSe, firstSig);
            f.push(secondSe, secondSig);
        }
    }

    // ---- common -------------------------------------------------------------------------------

    /** The prologue of a waiting x87 instruction and its last-instruction pointers. */
    private static Fpu begin(Cpu c, Insn i) {
        FpuStateOps.x87(c, true);
        Fpu f = c.fpu;
        f.fop = (i.opcode & 7) << 8 | i.modrmByte;
        f.fip = c.startRip;
        f.fcs = c.seg[Cpu.CS].selector;
        return f;
    }

    /** FSIN, FCOS, FSINCOS, FPTAN of an operand outside +-2^63: C2 = 1, C1 = 0, nothing else changes. */
    private static void outOfRange(Fpu f) {
        f.fsw = (f.fsw & ~Fpu.SW_C1) | Fpu.SW_C2;
    }

    private static FpEnv env(Fpu f) {
        FpEnv x = f.env.controlWord(f.fcw);
        x.flags = 0;
        x.c1 = false;
        return x;
    }

    private static boolean masked(Fpu f, int flag) {
        return (f.fcw & flag) != 0;
    }

    /** Stack underflow (C1 = 0) or overflow (C1 = 1): IE and SF, ES and B when IE is unmasked. */
    private static void stackFault(Fpu f, boolean overflow) {
        f.fsw = (f.fsw & ~Fpu.SW_C1) | FpEnv.IE | Fpu.SW_SF | (overflow ? Fpu.SW_C1 : 0);
        if (!masked(f, FpEnv.IE)) {
            f.fsw |= Fpu.SW_ES | Fpu.SW_B;
        }
    }

    /**
     * Merges the flags of the operation into the status word and sets C1 (rounded up); returns
     * false if an unmasked IE, DE or ZE forbids writing the result.
     */
    private static boolean commit(Fpu f, FpEnv x) {
        int flags = x.flags & FpEnv.ALL;
        int unmasked = flags & ~f.fcw;
        boolean store = (unmasked & EXC_NO_STORE) == 0;
        if (!store) {
            flags &= EXC_NO_STORE;
        }
        f.fsw = (f.fsw & ~Fpu.SW_C1) | flags | (store && x.c1 ? Fpu.SW_C1 : 0);
        if ((unmasked & FpEnv.ALL) != 0) {
            f.fsw |= Fpu.SW_ES | Fpu.SW_B;
        }
        return store;
    }
}

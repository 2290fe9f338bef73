package dev.vmm.core.cpu;

import dev.vmm.core.fpu.F80;
import dev.vmm.core.fpu.FpEnv;
import java.util.Map;

/**
 * x87 arithmetic: FADD FSUB FSUBR FMUL FDIV FDIVR in all forms (single and double real, word and dword integer,
 * ST(0) op ST(i), ST(i) op ST(0) with and without pop), FSQRT, FABS, FCHS (SDM vol. 2, "FADD/FADDP/FIADD" etc.).
 *
 * <p>The operation is the ModRM reg field: 0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr, where "sub" is
 * destination minus source. In the DC and DE register forms (destination ST(i)) the hardware encodes FSUBR as
 * reg 4 and FSUB as reg 5 (likewise FDIVR/FDIV), the reverse of D8: {@link #stiOp} maps them.
 */
final class X87Arith {
    private X87Arith() {
    }

    static void register(Map<String, Handler> m) {
        m.put("FARITH_M32", X87Arith::arithM32);
        m.put("FARITH_M64", X87Arith::arithM64);
        m.put("FARITH_I32", X87Arith::arithI32);
        m.put("FARITH_I16", X87Arith::arithI16);
        m.put("FARITH_ST0", X87Arith::arithSt0);
        m.put("FARITH_STI", (c, i) -> arithSti(c, i, false));
        m.put("FARITH_STIP", (c, i) -> arithSti(c, i, true));
        m.put("FSQRT", X87Arith::fsqrt);
        m.put("FABS", (c, i) -> sign(c, i, false));
        m.put("FCHS", (c, i) -> sign(c, i, true));
    }

    /** {@code a op b} into {@code x.se/x.sig}, op numbered as the D8 ModRM reg field. */
    static void compute(FpEnv x, int op, int ase, long asig, int bse, long bsig) {
        switch (op) {
            case 0 -> F80.add(x, ase, asig, bse, bsig);
            case 1 -> F80.mul(x, ase, asig, bse, bsig);
            case 4 -> F80.sub(x, ase, asig, bse, bsig);
            case 5 -> F80.sub(x, bse, bsig, ase, asig);
            case 6 -> F80.div(x, ase, asig, bse, bsig);
            default -> F80.div(x, bse, bsig, ase, asig);
        }
    }

    /** The operation of a DC/DE register form in D8 numbering, with ST(i) as the first operand. */
    static int stiOp(int reg) {
        return reg < 4 ? reg : reg ^ 1;
    }

    private static void arithM32(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        int v = (int) c.read(i.seg, off, 4);
        X87.lastInsn(c, i, off);
        toSt0(f, i.reg, X87.se32(v), X87.sig32(v), X87.denormal32(v));
    }

    private static void arithM64(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        long v = c.read(i.seg, off, 8);
        X87.lastInsn(c, i, off);
        toSt0(f, i.reg, X87.se64(v), X87.sig64(v), X87.denormal64(v));
    }

    private static void arithI32(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        int v = (int) c.read(i.seg, off, 4);
        X87.lastInsn(c, i, off);
        F80.fromInt(f.env, v);
        toSt0(f, i.reg, f.env.se, f.env.sig, false);
    }

    private static void arithI16(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        short v = (short) c.read(i.seg, off, 2);
        X87.lastInsn(c, i, off);
        F80.fromInt(f.env, v);
        toSt0(f, i.reg, f.env.se, f.env.sig, false);
    }

    /** ST(0) = ST(0) op source, the source converted exactly ({@code bDenormal}: it was a denormal in memory). */
    private static void toSt0(Fpu f, int op, int bse, long bsig, boolean bDenormal) {
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                f.setSt(0, X87.INDEF_SE, X87.INDEF_SIG);
            }
            return;
        }
        int ase = f.stSe(0);
        long asig = f.stSig(0);
        FpEnv x = X87.env(f);
        compute(x, op, ase, asig, bse, bsig);
        X87.memDenormal(x, bDenormal, ase, asig);
        if (X87.deliver(f, x, false)) {
            f.setSt(0, x.se, x.sig);
        }
    }

    private static void arithSt0(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        if (f.isEmpty(0) || f.isEmpty(i.rm)) {
            if (X87.underflow(f)) {
                f.setSt(0, X87.INDEF_SE, X87.INDEF_SIG);
            }
            return;
        }
        FpEnv x = X87.env(f);
        compute(x, i.reg, f.stSe(0), f.stSig(0), f.stSe(i.rm), f.stSig(i.rm));
        if (X87.deliver(f, x, false)) {
            f.setSt(0, x.se, x.sig);
        }
    }

    private static void arithSti(Cpu c, Insn i, boolean pop) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        int d = i.rm;
        if (f.isEmpty(0) || f.isEmpty(d)) {
            if (X87.underflow(f)) {
                f.setSt(d, X87.INDEF_SE, X87.INDEF_SIG);
                if (pop) {
                    f.pop();
                }
            }
            return;
        }
        FpEnv x = X87.env(f);
        compute(x, stiOp(i.reg), f.stSe(d), f.stSig(d), f.stSe(0), f.stSig(0));
        if (X87.deliver(f, x, false)) {
            f.setSt(d, x.se, x.sig);
            if (pop) {
                f.pop();
            }
        }
    }

    private static void fsqrt(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                f.setSt(0, X87.INDEF_SE, X87.INDEF_SIG);
            }
            return;
        }
        FpEnv x = X87.env(f);
        F80.sqrt(x, f.stSe(0), f.stSig(0));
        if (X87.deliver(f, x, false)) {
            f.setSt(0, x.se, x.sig);
        }
    }

    /** FABS / FCHS: the sign bit only, no exception for any operand (NaNs and unsupported encodings included). */
    private static void sign(Cpu c, Insn i, boolean flip) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                f.setSt(0, X87.INDEF_SE, X87.INDEF_SIG);
            }
            return;
        }
        f.fsw &= ~X87.C1;
        int se = f.stSe(0);
        f.setSt(0, flip ? se ^ 0x8000 : se & 0x7FFF, f.stSig(0));
    }
}

package dev.vmm.core.cpu;

import dev.vmm.core.fpu.F80;
import dev.vmm.core.fpu.FpEnv;
import java.util.Map;

/**
 * x87 comparisons and classification: FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP, FICOM/FICOMP (condition codes
 * C3 C2 C0 = 000 greater, 001 less, 100 equal, 111 unordered; C1 = 0), FCOMI/FCOMIP/FUCOMI/FUCOMIP (ZF PF CF
 * in EFLAGS, OF SF AF cleared), FTST and FXAM (SDM vol. 2). FCOM raises IE for any NaN operand, FUCOM only for
 * a signalling NaN; both for unsupported encodings.
 */
final class X87Compare {
    private static final int CC = Fpu.SW_C0 | Fpu.SW_C1 | Fpu.SW_C2 | Fpu.SW_C3;
    /** The zero FTST compares with. */
    private static final int ZERO_SE = 0;

    private X87Compare() {
    }

    static void register(Map<String, Handler> m) {
        m.put("FCOM_M32", X87Compare::comM32);
        m.put("FCOM_M64", X87Compare::comM64);
        m.put("FCOM_I32", X87Compare::comI32);
        m.put("FCOM_I16", X87Compare::comI16);
        m.put("FCOM_STI", X87Compare::comSti);
        m.put("FCOMPP", X87Compare::compp);
        m.put("FCOMI", X87Compare::comi);
        m.put("FTST", X87Compare::ftst);
        m.put("FXAM", X87Compare::fxam);
    }

    private static void comM32(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        int v = (int) c.read(i.seg, off, 4);
        X87.lastInsn(c, i, off);
        withSt0(f, X87.se32(v), X87.sig32(v), X87.denormal32(v), false, i.reg & 1);
    }

    private static void comM64(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        long v = c.read(i.seg, off, 8);
        X87.lastInsn(c, i, off);
        withSt0(f, X87.se64(v), X87.sig64(v), X87.denormal64(v), false, i.reg & 1);
    }

    private static void comI32(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        int v = (int) c.read(i.seg, off, 4);
        X87.lastInsn(c, i, off);
        F80.fromInt(f.env, v);
        withSt0(f, f.env.se, f.env.sig, false, false, i.reg & 1);
    }

    private static void comI16(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        short v = (short) c.read(i.seg, off, 2);
        X87.lastInsn(c, i, off);
        F80.fromInt(f.env, v);
        withSt0(f, f.env.se, f.env.sig, false, false, i.reg & 1);
    }

    /**
     * FCOM/FCOMP ST(i) (D8 D0/D8, the aliases DC D0/D8 and DE D0), FUCOM/FUCOMP ST(i) (DD E0/E8): DD is the
     * unordered form; the odd reg fields and DE pop once.
     */
    private static void comSti(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        int pops = i.opcode == 0xDE ? 1 : i.reg & 1;
        if (f.isEmpty(i.rm)) {
            underflow(f, pops);
            return;
        }
        withSt0(f, f.stSe(i.rm), f.stSig(i.rm), false, i.opcode == 0xDD, pops);
    }

    /** FCOMPP (DE D9) and FUCOMPP (DA E9): ST(0) with ST(1), then pop twice. */
    private static void compp(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        if (f.isEmpty(1)) {
            underflow(f, 2);
            return;
        }
        withSt0(f, f.stSe(1), f.stSig(1), false, i.opcode == 0xDA, 2);
    }

    private static void ftst(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        withSt0(f, ZERO_SE, 0, false, false, 0);
    }

    /** Compares ST(0) with {@code b}, sets C3 C2 C0 (C1 = 0) and pops {@code pops} times unless an unmasked exception occurred. */
    private static void withSt0(Fpu f, int bse, long bsig, boolean bDenormal, boolean quiet, int pops) {
        if (f.isEmpty(0)) {
            underflow(f, pops);
            return;
        }
        int ase = f.stSe(0);
        long asig = f.stSig(0);
        FpEnv x = X87.env(f);
        int r = F80.compare(x, ase, asig, bse, bsig, !quiet);
        X87.memDenormal(x, bDenormal, ase, asig);
        x.c1 = false;
        boolean ok = X87.deliver(f, x, false);
        f.fsw = (f.fsw & ~CC) | (r << 8 & CC);
        if (ok) {
            pop(f, pops);
        }
    }

    /** Stack underflow of a comparison: the result is "unordered" (even when unmasked); masked, the pops happen. */
    private static void underflow(Fpu f, int pops) {
        boolean masked = X87.underflow(f);
        f.fsw |= Fpu.SW_C0 | Fpu.SW_C2 | Fpu.SW_C3;
        if (masked) {
            pop(f, pops);
        }
    }

    private static void pop(Fpu f, int pops) {
        for (int k = 0; k < pops; k++) {
            f.pop();
        }
    }

    /**
     * FCOMI/FCOMIP (reg 6) and FUCOMI/FUCOMIP (reg 5); DF pops. C1 is left as it was (cleared only by a stack
     * underflow), as the host does; a stack underflow gives "unordered" even when unmasked.
     */
    private static void comi(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        int pops = i.opcode == 0xDF ? 1 : 0;
        if (f.isEmpty(0) || f.isEmpty(i.rm)) {
            boolean masked = X87.underflow(f);
            c.flags.setArith(FpEnv.CMP_UN);
            if (masked) {
                pop(f, pops);
            }
            return;
        }
        int c1 = f.fsw & X87.C1;
        FpEnv x = X87.env(f);
        int r = F80.compare(x, f.stSe(0), f.stSig(0), f.stSe(i.rm), f.stSig(i.rm), i.reg == 6);
        x.c1 = false;
        boolean ok = X87.deliver(f, x, false);
        f.fsw |= c1;
        c.flags.setArith(r);
        if (ok) {
            pop(f, pops);
        }
    }

    /**
     * FXAM: C1 = sign; C3 C2 C0 = 000 unsupported, 001 NaN, 010 normal, 011 infinity, 100 zero, 101 empty,
     * 110 denormal (pseudo-denormals included). No exception.
     */
    private static void fxam(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        int se = f.stSe(0);
        long sig = f.stSig(0);
        int e = se & 0x7FFF;
        int cls;
        if (f.isEmpty(0)) {
            cls = Fpu.SW_C3 | Fpu.SW_C0;
        } else if (e == 0x7FFF) {
            cls = sig >= 0 ? 0 : sig << 1 == 0 ? Fpu.SW_C2 | Fpu.SW_C0 : Fpu.SW_C0;
        } else if (e == 0) {
            cls = sig == 0 ? Fpu.SW_C3 : Fpu.SW_C3 | Fpu.SW_C2;
        } else {
            cls = sig < 0 ? Fpu.SW_C2 : 0;
        }
        f.fsw = (f.fsw & ~CC) | cls | ((se & 0x8000) != 0 ? X87.C1 : 0);
    }
}

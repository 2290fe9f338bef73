package dev.vmm.core.cpu;

import dev.vmm.core.fpu.F80;
import dev.vmm.core.fpu.FpEnv;
import java.util.Map;

/**
 * x87 data transfer: FLD/FST/FSTP (single, double, extended real, ST(i)), FILD/FIST/FISTP/FISTTP (word, dword,
 * qword integer), FBLD/FBSTP (packed BCD), the constants FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ, FXCH,
 * FCMOVcc, FFREE/FFREEP, FDECSTP/FINCSTP (SDM vol. 2).
 *
 * <p>Stores probe the whole destination before they change anything, so a fault leaves the FPU as it was. The
 * reserved encodings a P6 executes as aliases are here too: FSTP ST(i) as D9 D8+i (iced's FSTPNCE), DF D0+i and
 * DF D8+i; FXCH as DD C8+i and DF C8+i; FFREEP ST(i) (DF C0+i: free, then pop).
 */
final class X87LoadStore {
    /** Packed-BCD limit: FBSTP stores at most 18 digits. */
    private static final long BCD_MAX = 999_999_999_999_999_999L;
    /** The packed-BCD indefinite: bytes 7..9 are C0 FF FF, the rest zero. */
    private static final long BCD_INDEF_LO = 0xC000_0000_0000_0000L;
    private static final int BCD_INDEF_HI = 0xFFFF;
    /**
     * The constants of FLD1 .. FLDZ (ModRM E8..EE) to 128 bits: sign/exponent, high and low significand. The
     * 387 and later round them to 64 bits in the current rounding mode (precision control does not apply).
     */
    private static final long[][] CONSTANTS = {
        {0x3FFF, 0x8000_0000_0000_0000L, 0},                                   // 1
        {0x4000, 0xD49A_784B_CD1B_8AFEL, 0x492B_F6FF_4DAF_DB4CL},              // log2(10)
        {0x3FFF, 0xB8AA_3B29_5C17_F0BBL, 0xBE87_FED0_691D_3E89L},              // log2(e)
        {0x4000, 0xC90F_DAA2_2168_C234L, 0xC4C6_628B_80DC_1CD1L},              // pi
        {0x3FFD, 0x9A20_9A84_FBCF_F798L, 0x8F89_59AC_0B7C_9178L},              // log10(2)
        {0x3FFE, 0xB172_17F7_D1CF_79ABL, 0xC9E3_B398_03F2_F6AFL},              // ln(2)
        {0, 0, 0},                                                             // +0
    };

    /** Jcc condition numbers of FCMOVB, FCMOVE, FCMOVBE, FCMOVU (DA); DB negates them (low bit set). */
    private static final int[] FCMOV_CC = {2, 4, 6, 10};

    private X87LoadStore() {
    }

    static void register(Map<String, Handler> m) {
        m.put("FLD_M32", X87LoadStore::fldM32);
        m.put("FLD_M64", X87LoadStore::fldM64);
        m.put("FLD_M80", X87LoadStore::fldM80);
        m.put("FLD_STI", X87LoadStore::fldSti);
        m.put("FILD", X87LoadStore::fild);
        m.put("FBLD", X87LoadStore::fbld);
        m.put("FLDCONST", X87LoadStore::fldConst);
        m.put("FST_M32", X87LoadStore::fstM32);
        m.put("FST_M64", X87LoadStore::fstM64);
        m.put("FSTP_M80", X87LoadStore::fstpM80);
        m.put("FST_STI", X87LoadStore::fstSti);
        m.put("FIST", X87LoadStore::fist);
        m.put("FBSTP", X87LoadStore::fbstp);
        m.put("FXCH", X87LoadStore::fxch);
        m.put("FCMOV", X87LoadStore::fcmov);
        m.put("FFREE", (c, i) -> free(c, i, false));
        m.put("FFREEP", (c, i) -> free(c, i, true));
        m.put("FDECSTP", (c, i) -> moveTop(c, i, -1));
        m.put("FINCSTP", (c, i) -> moveTop(c, i, 1));
    }

    // ---- loads --------------------------------------------------------------------------------------------------

    private static void fldM32(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        int v = (int) c.read(i.seg, off, 4);
        X87.lastInsn(c, i, off);
        f.fsw &= ~X87.C1;
        if (X87.canPush(f)) {
            FpEnv x = X87.env(f);
            F80.fromF32(x, v);
            pushResult(f, x);
        }
    }

    private static void fldM64(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        long v = c.read(i.seg, off, 8);
        X87.lastInsn(c, i, off);
        f.fsw &= ~X87.C1;
        if (X87.canPush(f)) {
            FpEnv x = X87.env(f);
            F80.fromF64(x, v);
            pushResult(f, x);
        }
    }

    /** FLD m32/m64: an unmasked denormal-operand exception still loads the value; an unmasked IE does not. */
    private static void pushResult(Fpu f, FpEnv x) {
        int unmaskedDe = x.flags & ~f.fcw & FpEnv.DE;
        x.flags &= ~unmaskedDe;
        boolean load = X87.deliver(f, x, false);
        if (unmaskedDe != 0) {
            f.fsw |= X87.DE | X87.SUMMARY;
        }
        if (load) {
            f.push(x.se, x.sig);
        }
    }

    /** FLD m80: the ten bytes as they are (no exception for NaNs or unsupported encodings). */
    private static void fldM80(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        c.probeRead(i.seg, off, 10);
        long sig = c.read(i.seg, off, 8);
        int se = (int) c.read(i.seg, off + 8, 2);
        X87.lastInsn(c, i, off);
        f.fsw &= ~X87.C1;
        if (X87.canPush(f)) {
            f.push(se, sig);
        }
    }

    private static void fldSti(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        f.fsw &= ~X87.C1;
        if (f.isEmpty(i.rm)) {
            // Underflow takes precedence; the masked response pushes the indefinite without an overflow check.
            if (X87.underflow(f)) {
                f.push(X87.INDEF_SE, X87.INDEF_SIG);
            }
        } else if (X87.canPush(f)) {
            f.push(f.stSe(i.rm), f.stSig(i.rm));
        }
    }

    /** FILD m16/m32/m64: exact. */
    private static void fild(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        int w = i.w1;
        long v = Cpu.sext(c.read(i.seg, off, w), w);
        X87.lastInsn(c, i, off);
        f.fsw &= ~X87.C1;
        if (X87.canPush(f)) {
            F80.fromInt(f.env, v);
            f.push(f.env.se, f.env.sig);
        }
    }

    /**
     * FBLD: 18 BCD digits (byte 0 holds the two lowest) and the sign in bit 7 of byte 9; exact. Digits above 9 are
     * undefined in the SDM; they are weighted like valid ones here.
     */
    private static void fbld(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        c.probeRead(i.seg, off, 10);
        long lo = c.read(i.seg, off, 8);
        int hi = (int) c.read(i.seg, off + 8, 2);
        X87.lastInsn(c, i, off);
        f.fsw &= ~X87.C1;
        if (!X87.canPush(f)) {
            return;
        }
        long v = 0;
        for (int k = 17; k >= 0; k--) {
            long digit = k >= 16 ? hi >>> (4 * (k - 16)) & 15 : lo >>> (4 * k) & 15;
            v = v * 10 + digit;
        }
        F80.fromInt(f.env, v);
        f.push(f.env.se | (hi & 0x8000), f.env.sig);
    }

    private static void fldConst(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        f.fsw &= ~X87.C1;
        if (!X87.canPush(f)) {
            return;
        }
        long[] k = CONSTANTS[i.modrmByte & 7];
        long hi = k[1];
        long lo = k[2];
        boolean up = switch (f.fcw >>> 10 & 3) {
            case FpEnv.RN -> lo < 0 && (lo << 1 != 0 || (hi & 1) != 0);
            case FpEnv.RU -> lo != 0;
            default -> false;
        };
        f.push((int) k[0], up ? hi + 1 : hi);
    }

    // ---- stores -------------------------------------------------------------------------------------------------

    /** FST/FSTP m32 (D9 /2, /3). */
    private static void fstM32(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        c.probeWrite(i.seg, off, 4);
        X87.lastInsn(c, i, off);
        boolean pop = i.reg == 3;
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                c.write(i.seg, off, 4, 0xFFC0_0000L);
                popIf(f, pop);
            }
            return;
        }
        FpEnv x = X87.env(f);
        int r = F80.toF32(x, f.stSe(0), f.stSig(0));
        if (X87.deliver(f, x, true)) {
            c.write(i.seg, off, 4, r);
            popIf(f, pop);
        }
    }

    /** FST/FSTP m64 (DD /2, /3). */
    private static void fstM64(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        c.probeWrite(i.seg, off, 8);
        X87.lastInsn(c, i, off);
        boolean pop = i.reg == 3;
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                c.write(i.seg, off, 8, 0xFFF8_0000_0000_0000L);
                popIf(f, pop);
            }
            return;
        }
        FpEnv x = X87.env(f);
        long r = F80.toF64(x, f.stSe(0), f.stSig(0));
        if (X87.deliver(f, x, true)) {
            c.write(i.seg, off, 8, r);
            popIf(f, pop);
        }
    }

    /** FSTP m80: ST(0) as it is. */
    private static void fstpM80(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        c.probeWrite(i.seg, off, 10);
        X87.lastInsn(c, i, off);
        f.fsw &= ~X87.C1;
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                X87.write80(c, i.seg, off, X87.INDEF_SE, X87.INDEF_SIG);
                f.pop();
            }
            return;
        }
        X87.write80(c, i.seg, off, f.stSe(0), f.stSig(0));
        f.pop();
    }

    /**
     * FST ST(i) (DD D0+i) and FSTP ST(i) (DD D8+i and the aliases D9 D8+i, DF D0+i, DF D8+i). The D9 form (iced's
     * FSTPNCE, "no stack-underflow exception") only pops when ST(0) is empty, as the host does.
     */
    private static void fstSti(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        boolean pop = i.opcode != 0xDD || i.reg != 2;
        f.fsw &= ~X87.C1;
        if (f.isEmpty(0) && i.opcode == 0xD9) {
            f.pop();
            return;
        }
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                f.setSt(i.rm, X87.INDEF_SE, X87.INDEF_SIG);
                popIf(f, pop);
            }
            return;
        }
        f.setSt(i.rm, f.stSe(0), f.stSig(0));
        popIf(f, pop);
    }

    /** FIST (reg 2), FISTP (reg 3, and DF /7 for m64), FISTTP (reg 1, truncating) to a word, dword or qword. */
    private static void fist(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        int w = i.w1;
        c.probeWrite(i.seg, off, w);
        X87.lastInsn(c, i, off);
        boolean pop = i.reg != 2;
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                c.write(i.seg, off, w, 1L << (8 * w - 1));
                popIf(f, pop);
            }
            return;
        }
        FpEnv x = X87.env(f);
        long n = F80.toInt(x, f.stSe(0), f.stSig(0), 8 * w, i.reg == 1);
        if (X87.deliver(f, x, true)) {
            c.write(i.seg, off, w, n);
            popIf(f, pop);
        }
    }

    /** FBSTP: ST(0) rounded to an integer in the current rounding mode, as 18 BCD digits and a sign; then pop. */
    private static void fbstp(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        long off = c.ea(i);
        c.probeWrite(i.seg, off, 10);
        X87.lastInsn(c, i, off);
        if (f.isEmpty(0)) {
            if (X87.underflow(f)) {
                X87.write80(c, i.seg, off, BCD_INDEF_HI, BCD_INDEF_LO);
                f.pop();
            }
            return;
        }
        int se = f.stSe(0);
        FpEnv x = X87.env(f);
        long n = F80.toInt(x, se, f.stSig(0), 64, false);
        if ((x.flags & FpEnv.IE) == 0 && (n > BCD_MAX || n < -BCD_MAX)) {
            x.flags = FpEnv.IE;
            x.c1 = false;
        }
        if (!X87.deliver(f, x, true)) {
            return;
        }
        if ((x.flags & FpEnv.IE) != 0) {
            X87.write80(c, i.seg, off, BCD_INDEF_HI, BCD_INDEF_LO);
        } else {
            long mag = Math.abs(n);
            long lo = 0;
            int hi = se & 0x8000;
            for (int k = 0; k < 18; k++, mag /= 10) {
                long digit = mag % 10;
                if (k < 16) {
                    lo |= digit << (4 * k);
                } else {
                    hi |= (int) digit << (4 * (k - 16));
                }
            }
            X87.write80(c, i.seg, off, hi, lo);
        }
        f.pop();
    }

    private static void popIf(Fpu f, boolean pop) {
        if (pop) {
            f.pop();
        }
    }

    // ---- register moves and stack management ---------------------------------------------------------------------

    /** FXCH: an empty register reads as the QNaN indefinite when IE is masked; unmasked, nothing changes. */
    private static void fxch(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        f.fsw &= ~X87.C1;
        int j = i.rm;
        int se0 = f.stSe(0);
        long sig0 = f.stSig(0);
        int sej = f.stSe(j);
        long sigj = f.stSig(j);
        boolean e0 = f.isEmpty(0);
        boolean ej = f.isEmpty(j);
        if (e0 || ej) {
            if (!X87.underflow(f)) {
                return;
            }
            if (e0) {
                se0 = X87.INDEF_SE;
                sig0 = X87.INDEF_SIG;
            }
            if (ej) {
                sej = X87.INDEF_SE;
                sigj = X87.INDEF_SIG;
            }
        }
        f.setSt(j, se0, sig0);
        f.setSt(0, sej, sigj);
    }

    /** FCMOVcc (DA: B E BE U; DB: NB NE NBE NU): ST(0) = ST(i) if the EFLAGS condition holds; C1 unchanged. */
    private static void fcmov(Cpu c, Insn i) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        if (f.isEmpty(0) || f.isEmpty(i.rm)) {
            if (X87.underflow(f)) {
                f.setSt(0, X87.INDEF_SE, X87.INDEF_SIG);
            }
            return;
        }
        int cc = FCMOV_CC[i.reg & 3] | (i.opcode & 1);
        if (c.flags.cond(cc)) {
            f.setSt(0, f.stSe(i.rm), f.stSig(i.rm));
        }
    }

    /** FFREE ST(i): tag empty, TOP unchanged, C1 = 0; FFREEP (DF C0+i) then pops. */
    private static void free(Cpu c, Insn i, boolean pop) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        f.fsw &= ~X87.C1;
        f.emptyMask |= 1 << f.phys(i.rm);
        popIf(f, pop);
    }

    /** FDECSTP / FINCSTP: TOP -1 / +1, tags and contents unchanged, C1 = 0. */
    private static void moveTop(Cpu c, Insn i, int delta) {
        Fpu f = X87.enter(c);
        X87.lastInsn(c, i);
        f.fsw &= ~X87.C1;
        f.top = (f.top + delta) & 7;
    }
}

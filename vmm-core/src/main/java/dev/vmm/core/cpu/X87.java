package dev.vmm.core.cpu;

import dev.vmm.core.fpu.F80;
import dev.vmm.core.fpu.FpEnv;

/**
 * What the x87 instructions share: the prologue and the last-instruction pointers, the stack fault, the
 * reporting of exceptions in the status word with the masked and unmasked responses, and the exact conversion
 * of memory operands to the register format (Intel SDM vol. 1 ch. 8, "8.5 x87 FPU floating-point exception
 * conditions" and "8.1.8 x87 FPU instruction and data (operand) pointers").
 *
 * <p>Exception responses ({@link #deliver}): an unmasked invalid-operation, divide-by-zero or denormal-operand
 * exception leaves the destination (and the stack) unchanged; an unmasked overflow or underflow delivers the
 * result with its exponent adjusted by 24576 to a register, and nothing to memory; an unmasked precision
 * exception delivers the result. Any unmasked exception sets ES and B, and the next waiting instruction reports
 * it (#MF or FERR#, see {@link FpuStateOps#x87Pending}).
 */
final class X87 {
    static final int IE = Fpu.SW_IE;
    static final int DE = Fpu.SW_DE;
    static final int ZE = Fpu.SW_ZE;
    static final int OE = Fpu.SW_OE;
    static final int UE = Fpu.SW_UE;
    static final int PE = Fpu.SW_PE;
    static final int C1 = Fpu.SW_C1;
    static final int SUMMARY = Fpu.SW_ES | Fpu.SW_B;
    /** The real indefinite (default QNaN). */
    static final int INDEF_SE = F80.INDEFINITE_SE;
    static final long INDEF_SIG = F80.INDEFINITE_SIG;

    private X87() {
    }

    /** The prologue of a waiting instruction (every one except the FN* control instructions). */
    static Fpu enter(Cpu c) {
        FpuStateOps.x87(c, true);
        return c.fpu;
    }

    /** Records CS:EIP and the opcode of a register-operand instruction (FOP = low 3 bits of the escape, ModRM). */
    static void lastInsn(Cpu c, Insn i) {
        Fpu f = c.fpu;
        f.fop = (i.opcode & 7) << 8 | (i.modrmByte & 0xFF);
        f.fcs = c.seg[Cpu.CS].selector;
        f.fip = c.startRip;
    }

    /** Records CS:EIP, the opcode and the operand's DS:offset of a memory-operand instruction. */
    static void lastInsn(Cpu c, Insn i, long off) {
        lastInsn(c, i);
        Fpu f = c.fpu;
        f.fds = c.seg[i.seg].selector;
        f.fdp = off;
    }

    /**
     * The softfloat environment for the current control word, flags and C1 cleared, with the x87 unmasked
     * overflow/underflow responses as the control word asks ({@link #deliver} turns them off again).
     */
    static FpEnv env(Fpu f) {
        FpEnv x = f.env;
        x.controlWord(f.fcw);
        x.flags = 0;
        x.c1 = false;
        x.ueUnmasked = (f.fcw & UE) == 0;
        x.oeUnmasked = (f.fcw & OE) == 0;
        return x;
    }

    /**
     * Reports the exceptions of an operation ({@code x.flags}, C1 = {@code x.c1}, "rounded up") in the status word
     * and tells whether its result is to be written: not after an unmasked IE, ZE or DE, nor after an unmasked OE
     * or UE when the destination is memory (then C1 is cleared and PE is not reported).
     */
    static boolean deliver(Fpu f, FpEnv x, boolean toMemory) {
        x.ueUnmasked = false;   // the scratch environment is shared with the SSE instructions
        x.oeUnmasked = false;
        int fl = x.flags & 0x3F;
        int unmasked = fl & ~f.fcw & 0x3F;
        int sw = f.fsw & ~C1;
        boolean write = true;
        if ((fl & (IE | ZE)) != 0) {
            sw |= fl & (IE | ZE);
            unmasked &= IE | ZE;
            write = unmasked == 0;
        } else if ((unmasked & DE) != 0) {
            sw |= DE;
            unmasked = DE;
            write = false;
        } else {
            sw |= fl;
            if (x.c1) {
                sw |= C1;
            }
            if (toMemory && (unmasked & (OE | UE)) != 0) {
                sw = (sw & ~(C1 | PE)) | (f.fsw & PE);
                write = false;
            }
        }
        if (unmasked != 0) {
            sw |= SUMMARY;
        }
        f.fsw = sw;
        return write;
    }

    /** Reports an invalid operation that is not a stack fault; true if masked (the default result is written). */
    static boolean invalid(Fpu f) {
        f.fsw = (f.fsw & ~C1) | IE;
        return masked(f);
    }

    /** Stack underflow (an operand register is empty): IE, SF, C1 = 0; true if masked (the default result goes on). */
    static boolean underflow(Fpu f) {
        f.fsw = (f.fsw & ~C1) | IE | Fpu.SW_SF;
        return masked(f);
    }

    /** Stack overflow (a push onto a non-empty ST(7)): IE, SF, C1 = 1; true if masked. */
    static boolean overflow(Fpu f) {
        f.fsw |= IE | Fpu.SW_SF | C1;
        return masked(f);
    }

    private static boolean masked(Fpu f) {
        if ((f.fcw & IE) != 0) {
            return true;
        }
        f.fsw |= SUMMARY;
        return false;
    }

    /** Handles a push: false (after the stack-overflow response, a pushed QNaN indefinite if masked) if ST(7) is in use. */
    static boolean canPush(Fpu f) {
        if (f.isEmpty(7)) {
            return true;
        }
        if (overflow(f)) {
            f.push(INDEF_SE, INDEF_SIG);
        }
        return false;
    }

    static boolean isNan(int se, long sig) {
        return (se & 0x7FFF) == 0x7FFF && sig < 0 && sig << 1 != 0;
    }

    // ---- memory operands in the register format (exact; NaNs keep their payload and kind) ---------------------

    /** Sign and exponent of binary32 {@code v} as an extended value. */
    static int se32(int v) {
        int sign = v >>> 16 & 0x8000;
        int e = v >>> 23 & 0xFF;
        int frac = v & 0x7F_FFFF;
        if (e == 0xFF) {
            return sign | 0x7FFF;
        }
        if (e == 0) {
            return frac == 0 ? sign : sign | (16383 + 63 - 149 - Long.numberOfLeadingZeros(frac));
        }
        return sign | (e - 127 + 16383);
    }

    /** Significand of binary32 {@code v} as an extended value. */
    static long sig32(int v) {
        int e = v >>> 23 & 0xFF;
        long frac = v & 0x7F_FFFFL;
        if (e == 0) {
            return frac == 0 ? 0 : frac << Long.numberOfLeadingZeros(frac);
        }
        return Long.MIN_VALUE | frac << 40;
    }

    static boolean denormal32(int v) {
        return (v & 0x7F80_0000) == 0 && (v & 0x7F_FFFF) != 0;
    }

    /** Sign and exponent of binary64 {@code v} as an extended value. */
    static int se64(long v) {
        int sign = (int) (v >>> 48) & 0x8000;
        int e = (int) (v >>> 52) & 0x7FF;
        long frac = v & 0xF_FFFF_FFFF_FFFFL;
        if (e == 0x7FF) {
            return sign | 0x7FFF;
        }
        if (e == 0) {
            return frac == 0 ? sign : sign | (16383 + 63 - 1074 - Long.numberOfLeadingZeros(frac));
        }
        return sign | (e - 1023 + 16383);
    }

    /** Significand of binary64 {@code v} as an extended value. */
    static long sig64(long v) {
        int e = (int) (v >>> 52) & 0x7FF;
        long frac = v & 0xF_FFFF_FFFF_FFFFL;
        if (e == 0) {
            return frac == 0 ? 0 : frac << Long.numberOfLeadingZeros(frac);
        }
        return Long.MIN_VALUE | frac << 11;
    }

    static boolean denormal64(long v) {
        return (v & 0x7FF0_0000_0000_0000L) == 0 && (v & 0xF_FFFF_FFFF_FFFFL) != 0;
    }

    /**
     * Adds DE for a memory operand that was denormal in its own format (it is normal once extended) when the
     * operation reported neither IE nor ZE and the register operand is not a NaN, as for register operands.
     */
    static void memDenormal(FpEnv x, boolean denormal, int se, long sig) {
        if (denormal && (x.flags & (FpEnv.IE | FpEnv.ZE)) == 0 && !isNan(se, sig)) {
            x.flags |= FpEnv.DE;
        }
    }

    /** Writes a 10-byte operand (the range was probed). */
    static void write80(Cpu c, int sg, long off, int se, long sig) {
        c.write(sg, off, 8, sig);
        c.write(sg, off + 8, 2, se);
    }
}

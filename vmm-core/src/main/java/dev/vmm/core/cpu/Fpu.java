package dev.vmm.core.cpu;

import dev.vmm.core.fpu.FpEnv;
import dev.vmm.core.persist.Persist;

/**
 * The floating-point and SIMD state of one CPU: the x87 FPU (eight 80-bit physical registers
 * R0..R7, control, status and tag words, last instruction and operand pointers), the MMX registers
 * (aliased on the significands of R0..R7), the eight XMM registers and MXCSR; plus the checks every
 * x87, MMX and SSE instruction makes before it runs (CR0.EM/TS/MP/NE, CR4.OSFXSR, pending x87
 * exceptions) and the FXSAVE image.
 *
 * <p>Representation: physical register {@code n} is {@code se[n]} (sign in bit 15, biased exponent
 * in bits 14-0) and {@code sig[n]} (64-bit significand with explicit integer bit); ST(i) is physical
 * register {@code (top + i) & 7}. The tag word is kept as "empty or not" per physical register
 * ({@link #emptyMask}); the full two-bit tags (valid, zero, special) are computed from the register
 * contents when a FSTENV/FSAVE stores them, as the hardware does. XMM register {@code n} is
 * {@code xmm[2n]} (bits 63-0) and {@code xmm[2n+1]} (bits 127-64).
 *
 * <p>Not thread-safe: belongs to its CPU's thread, like all architectural state.
 */
public final class Fpu implements Persist<FpuState> {
    // Status word bits.
    public static final int SW_IE = 0x0001;
    public static final int SW_DE = 0x0002;
    public static final int SW_ZE = 0x0004;
    public static final int SW_OE = 0x0008;
    public static final int SW_UE = 0x0010;
    public static final int SW_PE = 0x0020;
    /** Stack fault (with IE: C1 tells overflow (1) from underflow (0)). */
    public static final int SW_SF = 0x0040;
    /** Exception summary: an unmasked exception is pending. */
    public static final int SW_ES = 0x0080;
    public static final int SW_C0 = 0x0100;
    public static final int SW_C1 = 0x0200;
    public static final int SW_C2 = 0x0400;
    public static final int SW_C3 = 0x4000;
    public static final int SW_B = 0x8000;
    /** Condition-code bits C0..C3. */
    public static final int SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3;
    /** MXCSR after reset and the bits a guest may set (DAZ included). */
    public static final int MXCSR_RESET = 0x1F80;
    public static final int MXCSR_MASK = 0xFFFF;

    /** Tag values of the full tag word. */
    public static final int TAG_VALID = 0;
    public static final int TAG_ZERO = 1;
    public static final int TAG_SPECIAL = 2;
    public static final int TAG_EMPTY = 3;

    // ---- x87 ----------------------------------------------------------------------------------
    /** Physical registers R0..R7: sign/exponent and significand. */
    public final int[] se = new int[8];
    public final long[] sig = new long[8];
    /** Control word. */
    public int fcw;
    /**
     * Status word without TOP (bits 13-11 are kept in {@link #top}); {@link #statusWord()} gives the
     * architectural value.
     */
    public int fsw;
    /** TOP: the physical register number of ST(0). */
    public int top;
    /** Bit n set: physical register n is empty. */
    public int emptyMask;
    /** Last non-control instruction: opcode (11 bits), CS:EIP and operand DS:offset. */
    public int fop;
    public int fcs;
    public long fip;
    public int fds;
    public long fdp;

    // ---- SSE ----------------------------------------------------------------------------------
    /** XMM0..XMM7: {@code xmm[2n]} low and {@code xmm[2n+1]} high 64 bits. */
    public final long[] xmm = new long[16];
    public int mxcsr;

    /** Scratch environment of the softfloat core (no allocation per instruction). */
    public final FpEnv env = new FpEnv();

    /** Power-on / RESET state (SDM vol. 3, table 9-1): FCW 0040h, FSW 0, all tags valid with +0.0. */
    void reset() {
        java.util.Arrays.fill(se, 0);
        java.util.Arrays.fill(sig, 0);
        fcw = 0x0040;
        fsw = 0;
        top = 0;
        emptyMask = 0;
        fop = fcs = fds = 0;
        fip = fdp = 0;
        java.util.Arrays.fill(xmm, 0);
        mxcsr = MXCSR_RESET;
    }

    /** FNINIT: FCW 037Fh, FSW 0, all registers empty, pointers cleared; data registers unchanged. */
    public void init() {
        fcw = 0x037F;
        fsw = 0;
        top = 0;
        emptyMask = 0xFF;
        fop = fcs = fds = 0;
        fip = fdp = 0;
    }

    // ---- stack --------------------------------------------------------------------------------

    /** The physical register number of ST(i). */
    public int phys(int i) {
        return (top + i) & 7;
    }

    public boolean isEmpty(int i) {
        return (emptyMask & 1 << phys(i)) != 0;
    }

    public int stSe(int i) {
        return se[phys(i)];
    }

    public long stSig(int i) {
        return sig[phys(i)];
    }

    /** Writes ST(i) and marks it non-empty. */
    public void setSt(int i, int sgnExp, long significand) {
        int p = phys(i);
        se[p] = sgnExp & 0xFFFF;
        sig[p] = significand;
        emptyMask &= ~(1 << p);
    }

    /** Decrements TOP and writes the new ST(0) (the caller has checked ST(7) for stack overflow). */
    public void push(int sgnExp, long significand) {
        top = (top - 1) & 7;
        setSt(0, sgnExp, significand);
    }

    /** Marks ST(0) empty and increments TOP. */
    public void pop() {
        emptyMask |= 1 << top;
        top = (top + 1) & 7;
    }

    /** The architectural status word, TOP included. */
    public int statusWord() {
        return (fsw & ~0x3800) | top << 11;
    }

    /** Loads the architectural status word (TOP included), as FLDENV/FRSTOR/FXRSTOR do. */
    public void setStatusWord(int v) {
        top = (v >>> 11) & 7;
        fsw = v & 0xC7FF;
    }

    /** Sets or clears ES and B from the unmasked pending exceptions of {@link #fsw} (after FLDCW, FLDENV...). */
    public void updateSummary() {
        if ((fsw & ~fcw & 0x3F) != 0) {
            fsw |= SW_ES | SW_B;
        } else {
            fsw &= ~(SW_ES | SW_B);
        }
    }

    /** The two-bit tag of physical register {@code p} as FSTENV/FSAVE store it. */
    public int tag(int p) {
        if ((emptyMask & 1 << p) != 0) {
            return TAG_EMPTY;
        }
        int exp = se[p] & 0x7FFF;
        long s = sig[p];
        if (exp == 0x7FFF) {
            return TAG_SPECIAL;
        }
        if (exp == 0) {
            return s == 0 ? TAG_ZERO : TAG_SPECIAL;
        }
        return s < 0 ? TAG_VALID : TAG_SPECIAL;   // integer bit clear: unnormal
    }

    /** The full 16-bit tag word (two bits per physical register). */
    public int tagWord() {
        int w = 0;
        for (int p = 0; p < 8; p++) {
            w |= tag(p) << (2 * p);
        }
        return w;
    }

    /** Loads a full tag word: 11 marks a register empty, any other value non-empty (the contents decide the rest). */
    public void setTagWord(int w) {
        int m = 0;
        for (int p = 0; p < 8; p++) {
            if ((w >>> (2 * p) & 3) == TAG_EMPTY) {
                m |= 1 << p;
            }
        }
        emptyMask = m;
    }

    // ---- MMX ----------------------------------------------------------------------------------

    /** MMX register {@code n} (the significand of physical register {@code n}). */
    public long mm(int n) {
        return sig[n];
    }

    /** Writes MMX register {@code n}: the significand, exponent field all ones (sign and exponent 0xFFFF). */
    public void setMm(int n, long v) {
        sig[n] = v;
        se[n] = 0xFFFF;
    }

    /** What every MMX instruction except EMMS does to the x87 state: TOP = 0, all tags valid. */
    public void enterMmx() {
        top = 0;
        emptyMask = 0;
    }

    // ---- XMM ----------------------------------------------------------------------------------

    public long xmmLo(int n) {
        return xmm[2 * n];
    }

    public long xmmHi(int n) {
        return xmm[2 * n + 1];
    }

    public void setXmm(int n, long lo, long hi) {
        xmm[2 * n] = lo;
        xmm[2 * n + 1] = hi;
    }

    /** Lane {@code k} (0..3) of XMM register {@code n} as a 32-bit value. */
    public int xmm32(int n, int k) {
        return (int) (xmm[2 * n + (k >> 1)] >>> (32 * (k & 1)));
    }

    public void setXmm32(int n, int k, int v) {
        int idx = 2 * n + (k >> 1);
        int sh = 32 * (k & 1);
        xmm[idx] = (xmm[idx] & ~(0xFFFF_FFFFL << sh)) | (v & 0xFFFF_FFFFL) << sh;
    }

    // ---- snapshot -----------------------------------------------------------------------------

    @Override
    public FpuState save() {
        return new FpuState(se, sig, fcw, statusWord(), emptyMask, fop, fcs, fip, fds, fdp, xmm, mxcsr);
    }

    /** Restores {@code s}; the softfloat scratch environment is derived and left as it is. */
    @Override
    public void restore(FpuState s) {
        int[] e = s.se();
        for (int k = 0; k < 8; k++) {
            se[k] = e[k] & 0xFFFF;
        }
        System.arraycopy(s.sig(), 0, sig, 0, 8);
        fcw = s.fcw() & 0xFFFF;
        setStatusWord(s.fsw() & 0xFFFF);
        emptyMask = s.emptyMask() & 0xFF;
        fop = s.fop() & 0x7FF;
        fcs = s.fcs() & 0xFFFF;
        fip = s.fip();
        fds = s.fds() & 0xFFFF;
        fdp = s.fdp();
        System.arraycopy(s.xmm(), 0, xmm, 0, 16);
        mxcsr = s.mxcsr() & MXCSR_MASK;
    }
}

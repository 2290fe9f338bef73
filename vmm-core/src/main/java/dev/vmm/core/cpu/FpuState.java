package dev.vmm.core.cpu;

import java.util.Arrays;

/**
 * The floating-point and SIMD state of one CPU ({@link Fpu}), as a snapshot stores it.
 *
 * @param se         sign and biased exponent of the physical x87 registers R0..R7 (16 bits each)
 * @param sig        the 64-bit significands of R0..R7 (MMX registers MM0..MM7 alias them)
 * @param fcw        the x87 control word
 * @param fsw        the architectural x87 status word, TOP in bits 13-11
 * @param emptyMask  bit n set: physical register n is empty (the full tags are computed from the contents)
 * @param fop        the last non-control instruction's opcode (11 bits)
 * @param fcs        its code selector
 * @param fip        its instruction pointer
 * @param fds        its operand's data selector
 * @param fdp        its operand's offset
 * @param xmm        XMM0..XMM7, two longs each (low 64 bits first)
 * @param mxcsr      MXCSR
 */
public record FpuState(int[] se, long[] sig, int fcw, int fsw, int emptyMask, int fop, int fcs, long fip,
                       int fds, long fdp, long[] xmm, int mxcsr) {
    public FpuState {
        if (se.length != 8 || sig.length != 8 || xmm.length != 16) {
            throw new IllegalArgumentException("FPU state needs 8 x87 registers and 8 XMM registers");
        }
        se = se.clone();
        sig = sig.clone();
        xmm = xmm.clone();
    }

    @Override
    public int[] se() {
        return se.clone();
    }

    @Override
    public long[] sig() {
        return sig.clone();
    }

    @Override
    public long[] xmm() {
        return xmm.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FpuState s && Arrays.equals(se, s.se) && Arrays.equals(sig, s.sig) && fcw == s.fcw
                && fsw == s.fsw && emptyMask == s.emptyMask && fop == s.fop && fcs == s.fcs && fip == s.fip
                && fds == s.fds && fdp == s.fdp && Arrays.equals(xmm, s.xmm) && mxcsr == s.mxcsr;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sig) * 31 + Arrays.hashCode(xmm) + fcw;
    }

    @Override
    public String toString() {
        return String.format("FpuState[fcw=%04x fsw=%04x empty=%02x mxcsr=%08x]", fcw, fsw, emptyMask, mxcsr);
    }
}

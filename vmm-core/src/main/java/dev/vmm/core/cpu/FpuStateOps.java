package dev.vmm.core.cpu;

import java.util.Map;

/**
 * The checks every x87, MMX and SSE instruction makes before it runs, the delivery of x87 and SIMD
 * floating-point exceptions, and the instructions that move the whole floating-point state: FWAIT,
 * FXSAVE and FXRSTOR (Intel SDM vol. 1 ch. 8-11, vol. 2; vol. 3 "Exception and interrupt
 * reference" for #NM, #MF, #XM).
 */
final class FpuStateOps {
    /** Offsets in the FXSAVE image (legacy, non-64-bit format: SDM vol. 2, FXSAVE, table 3-53). */
    static final int FX_FCW = 0;
    static final int FX_FSW = 2;
    static final int FX_FTW = 4;
    static final int FX_FOP = 6;
    static final int FX_FIP = 8;
    static final int FX_FCS = 12;
    static final int FX_FDP = 16;
    static final int FX_FDS = 20;
    static final int FX_MXCSR = 24;
    static final int FX_MXCSR_MASK = 28;
    static final int FX_ST0 = 32;
    static final int FX_XMM0 = 160;
    static final int FX_SIZE = 512;

    private FpuStateOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("WAIT", FpuStateOps::fwait);
        m.put("FXSAVE", FpuStateOps::fxsave);
        m.put("FXRSTOR", FpuStateOps::fxrstor);
    }

    // ---- checks -------------------------------------------------------------------------------

    /**
     * The prologue of an x87 instruction: #NM when CR0.EM or CR0.TS is set; then, for a waiting
     * instruction (every one but the FN* control instructions), a pending unmasked exception is
     * reported first ({@link #x87Pending}).
     */
    static void x87(Cpu c, boolean waiting) {
        if ((c.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0) {
            throw c.fault(Exceptions.NM, -1);
        }
        if (waiting && (c.fpu.fsw & Fpu.SW_ES) != 0) {
            x87Pending(c);
        }
    }

    /**
     * A waiting instruction found an unmasked x87 exception pending (FSW.ES). With CR0.NE the
     * processor raises #MF. Without it, it asserts FERR#, which the PC routes to IRQ13; the
     * chipset's IGNNE# logic (a write to port F0h) lets execution go on, so the instruction
     * continues, as on a PC-compatible board (the DOS-compatible mode of SDM vol. 1, appendix D).
     */
    static void x87Pending(Cpu c) {
        if ((c.cr0 & Cpu.CR0_NE) != 0) {
            throw c.fault(Exceptions.MF, -1);
        }
        c.ferr.raise();
    }

    /** The prologue of an SSE/SSE2 instruction: #UD if CR0.EM or not CR4.OSFXSR, #NM if CR0.TS. */
    static void sse(Cpu c) {
        if ((c.cr0 & Cpu.CR0_EM) != 0 || (c.cr4 & Cpu.CR4_OSFXSR) == 0) {
            throw c.ud();
        }
        if ((c.cr0 & Cpu.CR0_TS) != 0) {
            throw c.fault(Exceptions.NM, -1);
        }
    }

    /**
     * The prologue of an MMX instruction: #UD if CR0.EM, #NM if CR0.TS, then a pending x87 exception
     * is reported; the caller then switches the x87 state to MMX ({@link Fpu#enterMmx}) except for EMMS.
     */
    static void mmx(Cpu c) {
        if ((c.cr0 & Cpu.CR0_EM) != 0) {
            throw c.ud();
        }
        if ((c.cr0 & Cpu.CR0_TS) != 0) {
            throw c.fault(Exceptions.NM, -1);
        }
        if ((c.fpu.fsw & Fpu.SW_ES) != 0) {
            x87Pending(c);
        }
    }

    /**
     * Ends an SSE floating-point operation that raised {@code flags} (FpEnv IE..PE bits): they are
     * accumulated in MXCSR, and if any is unmasked the instruction faults with #XM (CR4.OSXMMEXCPT)
     * or #UD, leaving its destination unchanged. Call before writing the destination.
     */
    static void simdFlags(Cpu c, int flags) {
        if (flags == 0) {
            return;
        }
        Fpu f = c.fpu;
        f.mxcsr |= flags & 0x3F;
        if ((flags & ~(f.mxcsr >>> 7) & 0x3F) != 0) {
            throw (c.cr4 & Cpu.CR4_OSXMMEXCPT) != 0 ? c.fault(Exceptions.XM, -1) : c.ud();
        }
    }

    /** #GP(0) unless the linear address of {@code seg:off} is 16-byte aligned (the aligned SSE forms, FXSAVE). */
    static void aligned16(Cpu c, int sg, long off) {
        if (((c.seg[sg].base + off) & 15) != 0) {
            throw c.gp(0);
        }
    }

    // ---- instructions -------------------------------------------------------------------------

    /** WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; then reports a pending unmasked x87 exception. */
    static void fwait(Cpu c, Insn i) {
        if ((c.cr0 & (Cpu.CR0_MP | Cpu.CR0_TS)) == (Cpu.CR0_MP | Cpu.CR0_TS)) {
            throw c.fault(Exceptions.NM, -1);
        }
        if ((c.fpu.fsw & Fpu.SW_ES) != 0) {
            x87Pending(c);
        }
    }

    /** #NM if CR0.EM or CR0.TS; #GP(0) if the operand is not 16-byte aligned. */
    private static long fxPrologue(Cpu c, Insn i) {
        if ((c.cr0 & (Cpu.CR0_EM | Cpu.CR0_TS)) != 0) {
            throw c.fault(Exceptions.NM, -1);
        }
        long off = c.ea(i);
        aligned16(c, i.seg, off);
        return off;
    }

    /**
     * FXSAVE m512: the x87, MMX and SSE state in the 512-byte legacy format. The six bytes after each
     * 80-bit register are written as zeros, as the hardware does; the other reserved bytes are not written. Does not check for pending x87 exceptions and changes no state.
     */
    static void fxsave(Cpu c, Insn i) {
        long off = fxPrologue(c, i);
        int sg = i.seg;
        c.probeWrite(sg, off, FX_SIZE);
        Fpu f = c.fpu;
        c.write(sg, off + FX_FCW, 2, f.fcw);
        c.write(sg, off + FX_FSW, 2, f.statusWord());
        c.write(sg, off + FX_FTW, 2, ~f.emptyMask & 0xFF);   // the abridged tag byte and a zero byte
        c.write(sg, off + FX_FOP, 2, f.fop & 0x7FF);
        c.write(sg, off + FX_FIP, 4, f.fip);
        c.write(sg, off + FX_FCS, 2, f.fcs);
        c.write(sg, off + FX_FDP, 4, f.fdp);
        c.write(sg, off + FX_FDS, 2, f.fds);
        c.write(sg, off + FX_MXCSR, 4, f.mxcsr);
        c.write(sg, off + FX_MXCSR_MASK, 4, Fpu.MXCSR_MASK);
        for (int k = 0; k < 8; k++) {
            int p = f.phys(k);
            c.write(sg, off + FX_ST0 + 16 * k, 8, f.sig[p]);
            c.write(sg, off + FX_ST0 + 16 * k + 8, 2, f.se[p]);
            c.write(sg, off + FX_ST0 + 16 * k + 10, 2, 0);
            c.write(sg, off + FX_ST0 + 16 * k + 12, 4, 0);
        }
        for (int k = 0; k < 16; k++) {
            c.write(sg, off + FX_XMM0 + 8 * k, 8, f.xmm[k]);
        }
    }

    /**
     * FXRSTOR m512: loads the state FXSAVE stores; #GP(0) if the MXCSR image sets a reserved bit.
     * Nothing changes unless the whole image could be read.
     */
    static void fxrstor(Cpu c, Insn i) {
        long off = fxPrologue(c, i);
        int sg = i.seg;
        c.probeRead(sg, off, FX_SIZE);
        int mxcsr = (int) c.read(sg, off + FX_MXCSR, 4);
        if ((mxcsr & ~Fpu.MXCSR_MASK) != 0) {
            throw c.gp(0);
        }
        int fcw = (int) c.read(sg, off + FX_FCW, 2);
        int fsw = (int) c.read(sg, off + FX_FSW, 2);
        int ftw = (int) c.read(sg, off + FX_FTW, 1);
        int fop = (int) c.read(sg, off + FX_FOP, 2);
        long fip = c.read(sg, off + FX_FIP, 4);
        int fcs = (int) c.read(sg, off + FX_FCS, 2);
        long fdp = c.read(sg, off + FX_FDP, 4);
        int fds = (int) c.read(sg, off + FX_FDS, 2);
        long[] sig = new long[8];
        int[] se = new int[8];
        for (int k = 0; k < 8; k++) {
            sig[k] = c.read(sg, off + FX_ST0 + 16 * k, 8);
            se[k] = (int) c.read(sg, off + FX_ST0 + 16 * k + 8, 2);
        }
        long[] xmm = new long[16];
        for (int k = 0; k < 16; k++) {
            xmm[k] = c.read(sg, off + FX_XMM0 + 8 * k, 8);
        }
        Fpu f = c.fpu;
        f.fcw = fcw;
        f.setStatusWord(fsw);
        f.emptyMask = ~ftw & 0xFF;
        f.fop = fop & 0x7FF;
        f.fip = fip;
        f.fcs = fcs;
        f.fdp = fdp;
        f.fds = fds;
        f.mxcsr = mxcsr;
        for (int k = 0; k < 8; k++) {
            int p = f.phys(k);
            f.sig[p] = sig[k];
            f.se[p] = se[k];
        }
        System.arraycopy(xmm, 0, f.xmm, 0, 16);
    }
}

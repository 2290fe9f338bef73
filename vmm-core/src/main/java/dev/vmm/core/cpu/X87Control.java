package dev.vmm.core.cpu;

import java.util.Map;

/**
 * x87 control instructions: FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW (m16 and AX), FNSTENV/FLDENV and
 * FNSAVE/FRSTOR in the 14/28-byte environment formats of protected mode and of real and virtual-8086 mode
 * (SDM vol. 1, 8.1.10 "Saving the x87 FPU's state with FSTENV/FNSTENV and FSAVE/FNSAVE", figures 8-9 to
 * 8-12), FNOP, and the 8087/287 leftovers FNENI, FNDISI and FNSETPM, which the 387 and later execute as no-ops.
 *
 * <p>None of them changes the last-instruction pointers except FNOP, which is not a control instruction. The
 * FN* forms do not wait for pending exceptions; FLDCW, FLDENV and FRSTOR do. Whenever one of them clears the
 * exception summary (ES), FERR# is withdrawn.
 *
 * <p>Pointers in real and virtual-8086 mode: the image holds 20-bit (16-bit format) or 32-bit linear addresses,
 * {@code selector * 16 + offset} of the recorded pointers; loading such an image sets the selectors to 0 and
 * the offsets to the linear addresses.
 */
final class X87Control {
    /** The FCW bits that exist: masks 0-5, PC 8-9, RC 10-11, X 12; bit 6 reads as 1. */
    static final int FCW_BITS = 0x1F3F;
    static final int FCW_ONE = 0x0040;
    /** FNCLEX clears IE..PE, SF, ES and B. */
    private static final int CLEX = 0x80FF;

    private X87Control() {
    }

    static void register(Map<String, Handler> m) {
        m.put("FNINIT", X87Control::fninit);
        m.put("FNCLEX", X87Control::fnclex);
        m.put("FLDCW", X87Control::fldcw);
        m.put("FNSTCW", X87Control::fnstcw);
        m.put("FNSTSW", X87Control::fnstsw);
        m.put("FNSTSW_AX", X87Control::fnstswAx);
        m.put("FNSTENV", X87Control::fnstenv);
        m.put("FLDENV", X87Control::fldenv);
        m.put("FNSAVE", X87Control::fnsave);
        m.put("FRSTOR", X87Control::frstor);
        m.put("FNOP", X87Control::fnop);
        m.put("FNOP_LEGACY", (c, i) -> FpuStateOps.x87(c, false));
    }

    private static void fninit(Cpu c, Insn i) {
        FpuStateOps.x87(c, false);
        c.fpu.init();
        c.ferr.lower();
    }

    private static void fnclex(Cpu c, Insn i) {
        FpuStateOps.x87(c, false);
        c.fpu.fsw &= ~CLEX;
        c.ferr.lower();
    }

    private static void fldcw(Cpu c, Insn i) {
        FpuStateOps.x87(c, true);
        long off = c.ea(i);
        int v = (int) c.read(i.seg, off, 2);
        Fpu f = c.fpu;
        f.fcw = v & FCW_BITS | FCW_ONE;
        summary(c);
    }

    private static void fnstcw(Cpu c, Insn i) {
        FpuStateOps.x87(c, false);
        c.write(i.seg, c.ea(i), 2, c.fpu.fcw);
    }

    private static void fnstsw(Cpu c, Insn i) {
        FpuStateOps.x87(c, false);
        c.write(i.seg, c.ea(i), 2, c.fpu.statusWord());
    }

    private static void fnstswAx(Cpu c, Insn i) {
        FpuStateOps.x87(c, false);
        c.setReg(Cpu.EAX, 2, c.fpu.statusWord());
    }

    /** Recomputes ES and B from the flags and masks (after a new control or status word) and FERR# with them. */
    private static void summary(Cpu c) {
        c.fpu.updateSummary();
        if ((c.fpu.fsw & Fpu.SW_ES) == 0) {
            c.ferr.lower();
        }
    }

    private static void fnop(Cpu c, Insn i) {
        X87.enter(c);
        X87.lastInsn(c, i);
    }

    // ---- environment and state images -------------------------------------------------------------------------

    private static int envSize(Insn i) {
        return i.osize == 2 ? 14 : 28;
    }

    private static void fnstenv(Cpu c, Insn i) {
        FpuStateOps.x87(c, false);
        long off = c.ea(i);
        c.probeWrite(i.seg, off, envSize(i));
        storeEnv(c, i, off);
        Fpu f = c.fpu;
        f.fcw |= 0x3F;
        f.fsw &= ~(Fpu.SW_ES | Fpu.SW_B);
        c.ferr.lower();
    }

    private static void fnsave(Cpu c, Insn i) {
        FpuStateOps.x87(c, false);
        long off = c.ea(i);
        int n = envSize(i);
        c.probeWrite(i.seg, off, n + 80);
        storeEnv(c, i, off);
        Fpu f = c.fpu;
        for (int k = 0; k < 8; k++) {
            X87.write80(c, i.seg, off + n + 10L * k, f.stSe(k), f.stSig(k));
        }
        f.init();
        c.ferr.lower();
    }

    private static void fldenv(Cpu c, Insn i) {
        FpuStateOps.x87(c, true);
        long off = c.ea(i);
        int n = envSize(i);
        c.probeRead(i.seg, off, n);
        loadEnv(c, i, off);
        summary(c);
    }

    private static void frstor(Cpu c, Insn i) {
        FpuStateOps.x87(c, true);
        long off = c.ea(i);
        int n = envSize(i);
        c.probeRead(i.seg, off, n + 80);
        long[] sig = new long[8];
        int[] se = new int[8];
        for (int k = 0; k < 8; k++) {
            sig[k] = c.read(i.seg, off + n + 10L * k, 8);
            se[k] = (int) c.read(i.seg, off + n + 10L * k + 8, 2);
        }
        loadEnv(c, i, off);
        Fpu f = c.fpu;
        for (int k = 0; k < 8; k++) {
            int p = f.phys(k);
            f.se[p] = se[k];
            f.sig[p] = sig[k];
        }
        summary(c);
    }

    private static boolean realFormat(Cpu c) {
        return !c.protectedMode() || c.v86();
    }

    /** Writes the environment (the range was probed). */
    private static void storeEnv(Cpu c, Insn i, long off) {
        Fpu f = c.fpu;
        int sg = i.seg;
        boolean real = realFormat(c);
        long ip = real ? ((long) f.fcs << 4) + f.fip & 0xFFFF_FFFFL : f.fip;
        long dp = real ? ((long) f.fds << 4) + f.fdp & 0xFFFF_FFFFL : f.fdp;
        if (i.osize == 2) {
            c.write(sg, off, 2, f.fcw);
            c.write(sg, off + 2, 2, f.statusWord());
            c.write(sg, off + 4, 2, f.tagWord());
            c.write(sg, off + 6, 2, ip);
            c.write(sg, off + 8, 2, real ? (ip >>> 16 & 0xF) << 12 | f.fop : f.fcs);
            c.write(sg, off + 10, 2, dp);
            c.write(sg, off + 12, 2, real ? (dp >>> 16 & 0xF) << 12 : f.fds);
        } else {
            long hi = 0xFFFF_0000L;
            c.write(sg, off, 4, hi | f.fcw);
            c.write(sg, off + 4, 4, hi | f.statusWord());
            c.write(sg, off + 8, 4, hi | f.tagWord());
            if (real) {
                c.write(sg, off + 12, 4, hi | ip & 0xFFFF);
                c.write(sg, off + 16, 4, (ip >>> 16) << 12 | f.fop);
                c.write(sg, off + 20, 4, hi | dp & 0xFFFF);
                c.write(sg, off + 24, 4, (dp >>> 16) << 12);
            } else {
                c.write(sg, off + 12, 4, ip);
                c.write(sg, off + 16, 4, (long) f.fop << 16 | f.fcs);
                c.write(sg, off + 20, 4, dp);
                c.write(sg, off + 24, 4, hi | f.fds);
            }
        }
    }

    /** Reads the environment (the range was probed) into the FPU. */
    private static void loadEnv(Cpu c, Insn i, long off) {
        Fpu f = c.fpu;
        int sg = i.seg;
        boolean real = realFormat(c);
        int cw;
        int sw;
        int tw;
        if (i.osize == 2) {
            cw = (int) c.read(sg, off, 2);
            sw = (int) c.read(sg, off + 2, 2);
            tw = (int) c.read(sg, off + 4, 2);
            long ipLo = c.read(sg, off + 6, 2);
            long w8 = c.read(sg, off + 8, 2);
            long dpLo = c.read(sg, off + 10, 2);
            long w12 = c.read(sg, off + 12, 2);
            if (real) {
                f.fip = (w8 >>> 12) << 16 | ipLo;
                f.fop = (int) w8 & 0x7FF;
                f.fdp = (w12 >>> 12) << 16 | dpLo;
                f.fcs = 0;
                f.fds = 0;
            } else {
                f.fip = ipLo;
                f.fcs = (int) w8;
                f.fdp = dpLo;
                f.fds = (int) w12;
                f.fop = 0;
            }
        } else {
            cw = (int) c.read(sg, off, 2);
            sw = (int) c.read(sg, off + 4, 2);
            tw = (int) c.read(sg, off + 8, 2);
            long d12 = c.read(sg, off + 12, 4);
            long d16 = c.read(sg, off + 16, 4);
            long d20 = c.read(sg, off + 20, 4);
            long d24 = c.read(sg, off + 24, 4);
            if (real) {
                f.fip = (d16 >>> 12 & 0xFFFF) << 16 | d12 & 0xFFFF;
                f.fop = (int) d16 & 0x7FF;
                f.fdp = (d24 >>> 12 & 0xFFFF) << 16 | d20 & 0xFFFF;
                f.fcs = 0;
                f.fds = 0;
            } else {
                f.fip = d12;
                f.fcs = (int) d16 & 0xFFFF;
                f.fop = (int) (d16 >>> 16) & 0x7FF;
                f.fdp = d20;
                f.fds = (int) d24 & 0xFFFF;
            }
        }
        f.fcw = cw & FCW_BITS | FCW_ONE;
        f.setStatusWord(sw);
        f.setTagWord(tw);
    }
}

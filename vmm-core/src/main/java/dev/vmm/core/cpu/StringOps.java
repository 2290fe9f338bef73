package dev.vmm.core.cpu;

import java.util.Map;

/**
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, with the REP, REPE and REPNE
 * prefixes (Intel SDM vol. 2).
 *
 * <p>The source is {@code seg:rSI} (DS unless overridden), the destination always {@code ES:rDI};
 * the address size picks SI/DI/CX or ESI/EDI/ECX and DF the direction. A repeated instruction
 * commits every element (memory, then the index registers and the count), so a fault in the middle
 * leaves the registers describing the completed part while {@link Cpu#step()} rewinds rip to the
 * instruction, which then resumes. One execution does at most {@link #CHUNK} elements (one when TF
 * is set or debug registers are active, so traps come after each element); if more remain, rip is
 * set back to the instruction so pending interrupts are taken between chunks.
 */
final class StringOps {
    private StringOps() {
    }

    /** Elements per execution of a repeated string instruction. */
    static final int CHUNK = 1024;

    static void register(Map<String, Handler> m) {
        m.put("MOVS", StringOps::movs);
        m.put("CMPS", StringOps::cmps);
        m.put("STOS", StringOps::stos);
        m.put("LODS", StringOps::lods);
        m.put("SCAS", StringOps::scas);
        m.put("INS", StringOps::ins);
        m.put("OUTS", StringOps::outs);
    }

    private static boolean rep(Insn i) {
        return (i.prefixes & (Insn.P_REP | Insn.P_REPNE)) != 0;
    }

    private static int step(Cpu c, int size) {
        return (c.flags.bits & Flags.DF) != 0 ? -size : size;
    }

    /**
     * Elements allowed in this execution: one while single-stepping or while debug registers are
     * active, so the #DB trap (single step, data breakpoint) comes after the element that caused it.
     */
    private static int chunk(Cpu c) {
        return (c.flags.bits & Flags.TF) != 0 || c.debugActive ? 1 : CHUNK;
    }

    /**
     * Decrements the count after an element; returns true if the instruction is finished for this
     * execution (count exhausted, or the chunk used up, in which case rip is rewound).
     */
    private static boolean next(Cpu c, int a, int left) {
        long n = c.reg(Cpu.ECX, a) - 1;
        c.setReg(Cpu.ECX, a, n);
        if (Cpu.mask(n, a) == 0) {
            return true;
        }
        if (left == 0) {
            c.rip = c.startRip;
            return true;
        }
        return false;
    }

    // ---- MOVS / STOS / LODS -------------------------------------------------------------------

    static void movs(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        int d = step(c, size);
        int src = i.seg;
        if (!rep(i)) {
            movsOne(c, src, size, a, d);
            return;
        }
        if (c.reg(Cpu.ECX, a) == 0) {
            return;
        }
        int left = chunk(c);
        do {
            movsOne(c, src, size, a, d);
        } while (!next(c, a, --left));
    }

    private static void movsOne(Cpu c, int src, int size, int a, int d) {
        long si = c.reg(Cpu.ESI, a);
        long di = c.reg(Cpu.EDI, a);
        c.write(Cpu.ES, di, size, c.read(src, si, size));
        c.setReg(Cpu.ESI, a, si + d);
        c.setReg(Cpu.EDI, a, di + d);
    }

    static void stos(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        int d = step(c, size);
        long v = c.reg(Cpu.EAX, size);
        if (!rep(i)) {
            stosOne(c, size, a, d, v);
            return;
        }
        if (c.reg(Cpu.ECX, a) == 0) {
            return;
        }
        int left = chunk(c);
        do {
            stosOne(c, size, a, d, v);
        } while (!next(c, a, --left));
    }

    private static void stosOne(Cpu c, int size, int a, int d, long v) {
        long di = c.reg(Cpu.EDI, a);
        c.write(Cpu.ES, di, size, v);
        c.setReg(Cpu.EDI, a, di + d);
    }

    static void lods(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        int d = step(c, size);
        int src = i.seg;
        if (!rep(i)) {
            lodsOne(c, src, size, a, d);
            return;
        }
        if (c.reg(Cpu.ECX, a) == 0) {
            return;
        }
        int left = chunk(c);
        do {
            lodsOne(c, src, size, a, d);
        } while (!next(c, a, --left));
    }

    private static void lodsOne(Cpu c, int src, int size, int a, int d) {
        long si = c.reg(Cpu.ESI, a);
        long v = c.read(src, si, size);
        c.setReg(Cpu.EAX, size, v);
        c.setReg(Cpu.ESI, a, si + d);
    }

    // ---- CMPS / SCAS --------------------------------------------------------------------------

    static void cmps(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        int d = step(c, size);
        int src = i.seg;
        if (!rep(i)) {
            cmpsOne(c, src, size, a, d);
            return;
        }
        if (c.reg(Cpu.ECX, a) == 0) {
            return;
        }
        boolean whileEqual = (i.prefixes & Insn.P_REP) != 0;
        int left = chunk(c);
        do {
            cmpsOne(c, src, size, a, d);
        } while (!nextCompare(c, a, --left, whileEqual));
    }

    private static void cmpsOne(Cpu c, int src, int size, int a, int d) {
        long si = c.reg(Cpu.ESI, a);
        long di = c.reg(Cpu.EDI, a);
        long x = c.read(src, si, size);
        long y = c.read(Cpu.ES, di, size);
        c.setReg(Cpu.ESI, a, si + d);
        c.setReg(Cpu.EDI, a, di + d);
        c.flags.lazy(Flags.SUB, size, x, y, x - y);
    }

    static void scas(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        int d = step(c, size);
        long acc = c.reg(Cpu.EAX, size);
        if (!rep(i)) {
            scasOne(c, size, a, d, acc);
            return;
        }
        if (c.reg(Cpu.ECX, a) == 0) {
            return;
        }
        boolean whileEqual = (i.prefixes & Insn.P_REP) != 0;
        int left = chunk(c);
        do {
            scasOne(c, size, a, d, acc);
        } while (!nextCompare(c, a, --left, whileEqual));
    }

    private static void scasOne(Cpu c, int size, int a, int d, long acc) {
        long di = c.reg(Cpu.EDI, a);
        long y = c.read(Cpu.ES, di, size);
        c.setReg(Cpu.EDI, a, di + d);
        c.flags.lazy(Flags.SUB, size, acc, y, acc - y);
    }

    /**
     * {@link #next} for REPE/REPNE: the repetition also ends when ZF no longer matches the prefix
     * (REPE continues while equal, REPNE while not equal).
     */
    private static boolean nextCompare(Cpu c, int a, int left, boolean whileEqual) {
        long n = c.reg(Cpu.ECX, a) - 1;
        c.setReg(Cpu.ECX, a, n);
        if (Cpu.mask(n, a) == 0 || c.flags.zf() != whileEqual) {
            return true;
        }
        if (left == 0) {
            c.rip = c.startRip;
            return true;
        }
        return false;
    }

    // ---- INS / OUTS ---------------------------------------------------------------------------

    static void ins(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        int port = (int) c.reg(Cpu.EDX, 2);
        c.checkIo(port, size);
        int d = step(c, size);
        if (!rep(i)) {
            insOne(c, port, size, a, d);
            return;
        }
        if (c.reg(Cpu.ECX, a) == 0) {
            return;
        }
        int left = chunk(c);
        do {
            insOne(c, port, size, a, d);
        } while (!next(c, a, --left));
    }

    private static void insOne(Cpu c, int port, int size, int a, int d) {
        long di = c.reg(Cpu.EDI, a);
        // The destination is checked before the port is read (a read can have side effects).
        c.probeWrite(Cpu.ES, di, size);
        int v = c.io.read(port, size);
        c.write(Cpu.ES, di, size, v);
        c.setReg(Cpu.EDI, a, di + d);
    }

    static void outs(Cpu c, Insn i) {
        int size = i.w2;
        int a = i.asize;
        int port = (int) c.reg(Cpu.EDX, 2);
        c.checkIo(port, size);
        int d = step(c, size);
        int src = i.seg;
        if (!rep(i)) {
            outsOne(c, port, src, size, a, d);
            return;
        }
        if (c.reg(Cpu.ECX, a) == 0) {
            return;
        }
        int left = chunk(c);
        do {
            outsOne(c, port, src, size, a, d);
        } while (!next(c, a, --left));
    }

    private static void outsOne(Cpu c, int port, int src, int size, int a, int d) {
        long si = c.reg(Cpu.ESI, a);
        long v = c.read(src, si, size);
        c.io.write(port, size, (int) v);
        c.setReg(Cpu.ESI, a, si + d);
    }
}

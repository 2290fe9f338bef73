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

    /** One element of a string instruction: moves, compares or transfers one item and steps the indexes. */
    @FunctionalInterface
    private interface Element {
        void run(Cpu c, Insn i);
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
     * Runs {@code e} once, or under REP as often as the count says: the count is decremented after
     * each element; for a comparing instruction ({@code compares}) the repetition also ends when ZF
     * no longer matches the prefix (REPE continues while equal, REPNE while not equal). When the
     * chunk is used up before the end, rip is rewound so the instruction resumes.
     */
    private static void repeat(Cpu c, Insn i, Element e, boolean compares) {
        if (!rep(i)) {
            e.run(c, i);
            return;
        }
        repeat(c, i, (count, left) -> {
            e.run(c, i);
            return 1;
        }, compares, chunk(c));
    }

    /** Some elements of a repeated string instruction: at most {@code min(count, left)}, and how many it did (at least 1). */
    @FunctionalInterface
    interface Elements {
        int run(long count, int left);
    }

    /**
     * The repetition of a REP-prefixed instruction in runs of elements ({@code r}, one element at a
     * time or more, see {@link StringBulk}): the count (ECX at the address size) goes down by each
     * run's elements after it; the repetition ends at a count of 0, or for a comparing instruction
     * when ZF no longer matches the prefix; after {@code chunk} elements rip is rewound so the
     * instruction resumes.
     */
    static void repeat(Cpu c, Insn i, Elements r, boolean compares, int chunk) {
        int a = i.asize;
        long count = c.reg(Cpu.ECX, a);
        boolean whileEqual = (i.prefixes & Insn.P_REP) != 0;
        int left = chunk;
        while (count != 0) {
            int done = r.run(count, left);
            count -= done;
            c.setReg(Cpu.ECX, a, count);
            if (count == 0 || compares && c.flags.zf() != whileEqual) {
                return;
            }
            left -= done;
            if (left == 0) {
                c.rip = c.startRip;
                return;
            }
        }
    }

    // ---- MOVS / STOS / LODS -------------------------------------------------------------------

    static void movs(Cpu c, Insn i) {
        if (!StringBulk.movs(c, i)) {
            repeat(c, i, StringOps::movsOne, false);
        }
    }

    static void movsOne(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        long si = c.reg(Cpu.ESI, a);
        long di = c.reg(Cpu.EDI, a);
        c.write(Cpu.ES, di, size, c.read(i.seg, si, size));
        int d = step(c, size);
        c.setReg(Cpu.ESI, a, si + d);
        c.setReg(Cpu.EDI, a, di + d);
    }

    static void stos(Cpu c, Insn i) {
        if (!StringBulk.stos(c, i)) {
            repeat(c, i, StringOps::stosOne, false);
        }
    }

    static void stosOne(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        long di = c.reg(Cpu.EDI, a);
        c.write(Cpu.ES, di, size, c.reg(Cpu.EAX, size));
        c.setReg(Cpu.EDI, a, di + step(c, size));
    }

    static void lods(Cpu c, Insn i) {
        repeat(c, i, StringOps::lodsOne, false);
    }

    private static void lodsOne(Cpu c, Insn i) {
        int size = i.w2;
        int a = i.asize;
        long si = c.reg(Cpu.ESI, a);
        long v = c.read(i.seg, si, size);
        c.setReg(Cpu.EAX, size, v);
        c.setReg(Cpu.ESI, a, si + step(c, size));
    }

    // ---- CMPS / SCAS --------------------------------------------------------------------------

    static void cmps(Cpu c, Insn i) {
        repeat(c, i, StringOps::cmpsOne, true);
    }

    private static void cmpsOne(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        long si = c.reg(Cpu.ESI, a);
        long di = c.reg(Cpu.EDI, a);
        long x = c.read(i.seg, si, size);
        long y = c.read(Cpu.ES, di, size);
        int d = step(c, size);
        c.setReg(Cpu.ESI, a, si + d);
        c.setReg(Cpu.EDI, a, di + d);
        c.flags.lazy(Flags.SUB, size, x, y, x - y);
    }

    static void scas(Cpu c, Insn i) {
        repeat(c, i, StringOps::scasOne, true);
    }

    private static void scasOne(Cpu c, Insn i) {
        int size = i.w2;
        int a = i.asize;
        long acc = c.reg(Cpu.EAX, size);
        long di = c.reg(Cpu.EDI, a);
        long y = c.read(Cpu.ES, di, size);
        c.setReg(Cpu.EDI, a, di + step(c, size));
        c.flags.lazy(Flags.SUB, size, acc, y, acc - y);
    }

    // ---- INS / OUTS ---------------------------------------------------------------------------

    static void ins(Cpu c, Insn i) {
        c.checkIo((int) c.reg(Cpu.EDX, 2), i.w1);
        repeat(c, i, StringOps::insOne, false);
    }

    private static void insOne(Cpu c, Insn i) {
        int size = i.w1;
        int a = i.asize;
        long di = c.reg(Cpu.EDI, a);
        // The destination is checked before the port is read (a read can have side effects).
        c.probeWrite(Cpu.ES, di, size);
        int v = c.io.read((int) c.reg(Cpu.EDX, 2), size);
        c.write(Cpu.ES, di, size, v);
        c.setReg(Cpu.EDI, a, di + step(c, size));
    }

    static void outs(Cpu c, Insn i) {
        c.checkIo((int) c.reg(Cpu.EDX, 2), i.w2);
        repeat(c, i, StringOps::outsOne, false);
    }

    private static void outsOne(Cpu c, Insn i) {
        int size = i.w2;
        int a = i.asize;
        long si = c.reg(Cpu.ESI, a);
        long v = c.read(i.seg, si, size);
        c.io.write((int) c.reg(Cpu.EDX, 2), size, (int) v);
        c.setReg(Cpu.ESI, a, si + step(c, size));
    }
}

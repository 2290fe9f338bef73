package dev.vmm.core.cpu;

/**
 * Hardware task switching through a TSS (Intel SDM vol. 3, "Task Management", "Task Switching"):
 * by JMP or CALL to a TSS descriptor or task gate, by an interrupt or exception through an IDT
 * task gate, and by IRET with EFLAGS.NT set (back to the task named by the current TSS's back
 * link). 16- and 32-bit TSSs.
 *
 * <h2>API</h2>
 * <ul>
 *   <li>{@link #viaGate(Cpu, int, int, int)}: switch to the TSS named by a selector: the selector
 *       field of a task gate (JMP/CALL/INT), the operand of a JMP/CALL naming a TSS descriptor, or
 *       the back link (IRET). It reads the TSS descriptor from the GDT, checks it (a local or
 *       out-of-limit selector, a type that is not an available TSS — a busy one for IRET — and
 *       not-present raise #GP/#TS/#NP with the selector) and then calls {@link #switchTo}.</li>
 *   <li>{@link #switchTo(Cpu, int, long, int, int)}: the same with the descriptor already read.</li>
 *   <li>{@link #iret(Cpu)}: IRET with NT set, reading and checking the back link.</li>
 * </ul>
 * The caller does the checks that precede the TSS in the SDM's pseudo-code: for JMP/CALL the DPL
 * of the TSS descriptor or task gate against CPL and RPL, and the gate's present bit; for INT n the
 * IDT gate's DPL. {@code reason} is {@link #JMP}, {@link #CALL} (also for interrupts and
 * exceptions: both nest) or {@link #IRET}; {@code ext} is the EXT bit for error codes (1 when an
 * external event or exception caused the switch).
 *
 * <h2>Semantics</h2>
 * Everything that can fault before the commit point (TSS limits, reading the whole new TSS,
 * writability of the old TSS) leaves the old task untouched. Then the current state is saved in
 * the old TSS (EIP is {@code cpu.rip}, i.e. the return address), busy bits and NT/back link are
 * updated per reason (JMP: old busy cleared, new busy set; CALL/INT: new busy set, NT set, new back
 * link = old TR; IRET: old busy cleared, NT cleared in the saved image), TR, CR0.TS, EFLAGS, EIP,
 * the general registers, CR3 (32-bit TSS with paging on, when it changes: TLB flush and PAE
 * PDPTEs) and LDTR are loaded, and the segment registers are qualified. A fault from here on
 * (#TS/#NP/#SS on a segment, #GP when EIP is beyond the CS limit) is raised in the new task:
 * {@code cpu.rip} and {@code cpu.startRip} already hold the new EIP, so the CPU loop delivers it
 * with the new task's state. A 32-bit TSS with its T bit set raises a #DB trap (DR6.BT) before
 * the new task's first instruction; the local breakpoint enables of DR7 are cleared.
 * The error code of an exception delivered through a task gate is pushed by {@link Interrupts}.
 */
final class TaskSwitch {
    static final int JMP = 0;
    static final int CALL = 1;
    static final int IRET = 2;

    /** Attributes of a virtual-8086 segment: present, DPL 3, read/write data, accessed. */
    private static final int V86_ATTR = Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_ACCESSED | 0x60;

    private TaskSwitch() {
    }

    /** IRET with EFLAGS.NT: switches back to the task in the current TSS's back link. */
    static void iret(Cpu cpu) {
        int link = cpu.readLinear16(cpu.tr.base);
        viaGate(cpu, link, IRET, 0);
    }

    /**
     * Switches to the task whose TSS selector is {@code tssSelector} (from a task gate, a JMP/CALL
     * operand, or the back link for IRET); see the class comment.
     */
    static void viaGate(Cpu cpu, int tssSelector, int reason, int ext) {
        int vector = reason == IRET ? Exceptions.TS : Exceptions.GP;
        if ((tssSelector & 4) != 0 || (tssSelector & 0xFFFC) == 0) {
            throw cpu.fault(vector, (tssSelector & 0xFFFC) | ext);
        }
        long d = Descriptors.read(cpu, tssSelector, vector, ext);
        switchTo(cpu, tssSelector, d, reason, ext);
    }

    /** Switches to the task of TSS descriptor {@code d} (selector {@code sel}); see the class comment. */
    static void switchTo(Cpu cpu, int sel, long d, int reason, int ext) {
        int err = (sel & 0xFFFC) | ext;
        int type = Descriptors.type(d);
        boolean tss = Descriptors.system(d) && ((type & ~2) == Descriptors.TSS16_AVAIL
                || (type & ~2) == Descriptors.TSS32_AVAIL);
        boolean busy = (type & 2) != 0;
        if (!tss || busy != (reason == IRET)) {
            throw cpu.fault(reason == IRET ? Exceptions.TS : Exceptions.GP, err);
        }
        if (!Descriptors.present(d)) {
            throw cpu.fault(Exceptions.NP, err);
        }
        boolean new32 = (type & 8) != 0;
        if (Descriptors.limit(d) < (new32 ? 0x67 : 0x2B)) {
            throw cpu.fault(Exceptions.TS, err);
        }
        boolean old32 = (cpu.tr.attr & 8) != 0;
        if (cpu.tr.limit < (old32 ? 0x5F : 0x29)) {
            throw cpu.fault(Exceptions.TS, (cpu.tr.selector & 0xFFFC) | ext);
        }
        State n = read(cpu, Descriptors.base(d), new32);
        long ob = cpu.tr.base;
        // Writability of everything written before the commit point, so a #PF changes nothing.
        cpu.mmu.probeWrite((ob + (old32 ? 0x20 : 0x0E)) & 0xFFFF_FFFFL, old32 ? 0x40 : 0x1C, false);
        if (reason == CALL) {
            cpu.mmu.probeWrite(Descriptors.base(d), 2, false);
        }

        if (reason != CALL) {
            setBusy(cpu, cpu.tr.selector, false);
        }
        int oldFlags = cpu.eflags();
        if (reason == IRET) {
            oldFlags &= ~Flags.NT;
        }
        save(cpu, ob, old32, oldFlags);
        if (reason == CALL) {
            cpu.writeLinear16(Descriptors.base(d), cpu.tr.selector);
        }
        if (reason != IRET) {
            setBusy(cpu, sel, true);
        }

        // Commit point: from here on, faults belong to the new task.
        cpu.tr.set(sel, Descriptors.base(d), Descriptors.limit(d), Descriptors.attr(d) | 2);
        cpu.cr0 |= Cpu.CR0_TS;
        if (reason == CALL) {
            n.eflags |= Flags.NT;
        }
        cpu.debug.taskSwitched(n.trap);
        load(cpu, n, new32, ext);
        if (cpu.rip > cpu.seg[Cpu.CS].limit) {
            throw cpu.gp(ext);
        }
    }

    /** The dynamic state of a task as read from its TSS. */
    private static final class State {
        long cr3;
        long eip;
        int eflags;
        final long[] gpr = new long[8];
        /** ES, CS, SS, DS, FS, GS. */
        final int[] sreg = new int[6];
        int ldt;
        boolean trap;
    }

    private static State read(Cpu cpu, long b, boolean is32) {
        State s = new State();
        if (is32) {
            s.cr3 = cpu.readLinear32(b + 0x1C);
            s.eip = cpu.readLinear32(b + 0x20);
            s.eflags = (int) cpu.readLinear32(b + 0x24);
            for (int k = 0; k < 8; k++) {
                s.gpr[k] = cpu.readLinear32(b + 0x28 + 4L * k);
            }
            for (int k = 0; k < 6; k++) {
                s.sreg[k] = cpu.readLinear16(b + 0x48 + 4L * k);
            }
            s.ldt = cpu.readLinear16(b + 0x60);
            s.trap = (cpu.readLinear16(b + 0x64) & 1) != 0;
        } else {
            s.eip = cpu.readLinear16(b + 0x0E);
            s.eflags = cpu.readLinear16(b + 0x10);
            // A 16-bit TSS holds no upper register halves; they become 1s, as Bochs models the
            // hardware (FS and GS become null, the upper EFLAGS/EIP halves zero).
            for (int k = 0; k < 8; k++) {
                s.gpr[k] = 0xFFFF_0000L | cpu.readLinear16(b + 0x12 + 2L * k);
            }
            for (int k = 0; k < 4; k++) {
                s.sreg[k] = cpu.readLinear16(b + 0x22 + 2L * k);
            }
            s.ldt = cpu.readLinear16(b + 0x2A);
        }
        return s;
    }

    /** Saves the dynamic state of the current task in its TSS at {@code b}. */
    private static void save(Cpu cpu, long b, boolean is32, int eflags) {
        if (is32) {
            cpu.writeLinear32(b + 0x20, cpu.rip);
            cpu.writeLinear32(b + 0x24, eflags & 0xFFFF_FFFFL);
            for (int k = 0; k < 8; k++) {
                cpu.writeLinear32(b + 0x28 + 4L * k, cpu.r[k]);
            }
            for (int k = 0; k < 6; k++) {
                cpu.writeLinear16(b + 0x48 + 4L * k, cpu.seg[k].selector);
            }
        } else {
            cpu.writeLinear16(b + 0x0E, (int) cpu.rip);
            cpu.writeLinear16(b + 0x10, eflags);
            for (int k = 0; k < 8; k++) {
                cpu.writeLinear16(b + 0x12 + 2L * k, (int) cpu.r[k]);
            }
            for (int k = 0; k < 4; k++) {
                cpu.writeLinear16(b + 0x22 + 2L * k, cpu.seg[k].selector);
            }
        }
    }

    /** Sets or clears the busy bit of the TSS descriptor of {@code sel} in the GDT. */
    private static void setBusy(Cpu cpu, int sel, boolean busy) {
        long a = cpu.gdtBase + (sel & 0xFFF8) + 5;
        int t = cpu.readLinear8(a);
        cpu.writeLinear8(a, busy ? t | 2 : t & ~2);
    }

    /** Loads the new task's state (after the commit point). */
    private static void load(Cpu cpu, State n, boolean is32, int ext) {
        cpu.rip = n.eip;
        cpu.startRip = n.eip;
        for (int k = 0; k < 8; k++) {
            cpu.r[k] = n.gpr[k];
        }
        cpu.flags.set(n.eflags);
        cpu.inhibit = 0;
        // Selectors first, caches invalid until qualified.
        for (int k = 0; k < 6; k++) {
            Segment s = cpu.seg[k];
            s.selector = n.sreg[k];
            s.usable = false;
            s.refresh();
        }
        cpu.ldtr.selector = n.ldt;
        cpu.ldtr.usable = false;
        if (is32 && (cpu.cr0 & Cpu.CR0_PG) != 0 && n.cr3 != cpu.cr3) {
            boolean pae = (cpu.cr4 & Cpu.CR4_PAE) != 0;
            if (pae) {
                SystemOps.checkPdptes(cpu, n.cr3);
            }
            cpu.cr3 = n.cr3;
            if (pae) {
                cpu.mmu.loadPdptes();
            }
            cpu.mmu.flushNonGlobal();
        }
        // Stack faults during the checks switch to a ring-0 stack of the new TSS.
        cpu.cpl = 3;
        loadLdt(cpu, n.ldt, ext);
        if (cpu.v86()) {
            for (int k = 0; k < 6; k++) {
                cpu.seg[k].set(n.sreg[k], (long) n.sreg[k] << 4, 0xFFFF, V86_ATTR);
            }
            return;
        }
        int rpl = n.sreg[Cpu.CS] & 3;
        loadSs(cpu, n.sreg[Cpu.SS], rpl, ext);
        cpu.cpl = rpl;
        for (int k : new int[] {Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
            loadData(cpu, k, n.sreg[k], rpl, ext);
        }
        loadCs(cpu, n.sreg[Cpu.CS], ext);
    }

    private static void loadLdt(Cpu cpu, int sel, int ext) {
        int err = (sel & 0xFFFC) | ext;
        if ((sel & 4) != 0) {
            throw cpu.fault(Exceptions.TS, err);
        }
        if ((sel & 0xFFFC) == 0) {
            cpu.ldtr.set(sel, 0, 0, 0);
            cpu.ldtr.usable = false;
            return;
        }
        long d = Descriptors.read(cpu, sel, Exceptions.TS, ext);
        if (!Descriptors.system(d) || Descriptors.type(d) != Descriptors.LDT || !Descriptors.present(d)) {
            throw cpu.fault(Exceptions.TS, err);
        }
        Descriptors.load(cpu.ldtr, sel, d);
    }

    private static void loadSs(Cpu cpu, int sel, int cplNew, int ext) {
        int err = (sel & 0xFFFC) | ext;
        if ((sel & 0xFFFC) == 0) {
            throw cpu.fault(Exceptions.TS, err);
        }
        long d = Descriptors.read(cpu, sel, Exceptions.TS, ext);
        if (!Descriptors.writableData(d)) {
            throw cpu.fault(Exceptions.TS, err);
        }
        if (!Descriptors.present(d)) {
            throw cpu.fault(Exceptions.SS, err);
        }
        if (Descriptors.dpl(d) != cplNew || Descriptors.dpl(d) != (sel & 3)) {
            throw cpu.fault(Exceptions.TS, err);
        }
        Descriptors.setAccessed(cpu, sel, d);
        Descriptors.load(cpu.seg[Cpu.SS], sel, d);
    }

    private static void loadData(Cpu cpu, int sreg, int sel, int cplNew, int ext) {
        Segment s = cpu.seg[sreg];
        if ((sel & 0xFFFC) == 0) {
            s.set(sel, 0, 0, 0);
            s.usable = false;
            s.refresh();
            return;
        }
        int err = (sel & 0xFFFC) | ext;
        long d = Descriptors.read(cpu, sel, Exceptions.TS, ext);
        if (Descriptors.system(d) || !Descriptors.readable(d)) {
            throw cpu.fault(Exceptions.TS, err);
        }
        if (!Descriptors.conforming(d) && ((sel & 3) > Descriptors.dpl(d) || cplNew > Descriptors.dpl(d))) {
            throw cpu.fault(Exceptions.TS, err);
        }
        if (!Descriptors.present(d)) {
            throw cpu.fault(Exceptions.NP, err);
        }
        Descriptors.setAccessed(cpu, sel, d);
        Descriptors.load(s, sel, d);
    }

    private static void loadCs(Cpu cpu, int sel, int ext) {
        int err = (sel & 0xFFFC) | ext;
        if ((sel & 0xFFFC) == 0) {
            throw cpu.fault(Exceptions.TS, err);
        }
        long d = Descriptors.read(cpu, sel, Exceptions.TS, ext);
        if (!Descriptors.code(d)) {
            throw cpu.fault(Exceptions.TS, err);
        }
        int dpl = Descriptors.dpl(d);
        if (Descriptors.conforming(d) ? dpl > (sel & 3) : dpl != (sel & 3)) {
            throw cpu.fault(Exceptions.TS, err);
        }
        if (!Descriptors.present(d)) {
            throw cpu.fault(Exceptions.NP, err);
        }
        Descriptors.setAccessed(cpu, sel, d);
        Descriptors.load(cpu.seg[Cpu.CS], sel, d);
    }
}

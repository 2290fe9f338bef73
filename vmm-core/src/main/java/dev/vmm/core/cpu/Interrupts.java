package dev.vmm.core.cpu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery of exceptions and interrupts in real, protected and virtual-8086 mode (Intel SDM vol. 3,
 * chapter 6): the IVT or IDT lookup, interrupt/trap/task gates, privilege changes with a stack
 * switch from the TSS, error codes, the double-fault rules and the triple-fault shutdown.
 */
final class Interrupts {
    private static final Logger log = LoggerFactory.getLogger(Interrupts.class);

    /** Event sources: they decide the EXT bit and the gate-DPL check. */
    static final int EXCEPTION = 0;
    static final int HARDWARE = 1;
    static final int SOFTWARE = 2;     // INT n
    static final int SOFT_EXCEPTION = 3; // INT3, INTO (gate DPL checked, EXT clear)
    static final int ICEBP = 4;        // INT1: DPL not checked, EXT clear

    private final Cpu cpu;
    /** TF at the start of the current instruction (single-step traps after it). */
    private boolean stepTrap;

    Interrupts(Cpu cpu) {
        this.cpu = cpu;
    }

    /** Takes a pending maskable interrupt if IF allows. Returns true if one was delivered. */
    boolean pollInterrupt() {
        if ((cpu.flags.bits & Flags.IF) == 0) {
            return false;
        }
        if (cpu.intrNotifies) {
            // The source tells us (interruptHint) after every change that may raise INTR: clear the hint,
            // then look; a change after the look sets it again.
            if (!cpu.intrHint) {
                return false;
            }
            cpu.intrHint = false;
        }
        if (!cpu.intr.intrPending()) {
            return false;
        }
        cpu.intrHint = true;     // another interrupt may be waiting behind this one
        cpu.halted = false;
        int vector = cpu.intr.acknowledge() & 0xFF;
        cpu.startRip = cpu.rip;
        event(vector, -1, HARDWARE);
        return true;
    }

    /**
     * Called before each instruction executes (after the instruction-breakpoint check): remembers
     * TF for the single-step trap and clears RF, as the processor does at the start of an instruction.
     */
    void beforeInstruction() {
        int b = cpu.flags.bits;
        stepTrap = (b & Flags.TF) != 0;
        cpu.flags.bits = b & ~Flags.RF;
    }

    /** Called after an instruction completed: single-step, data-breakpoint and task-switch traps, as one #DB. */
    void afterInstruction() {
        long db = cpu.debugActive ? cpu.debug.takeTraps() : 0;
        if (stepTrap) {
            stepTrap = false;
            db |= Debug.DR6_BS;
        }
        if (db != 0) {
            cpu.dr[6] |= db;
            cpu.halted = false; // a debug exception resumes a halted processor (single-stepped HLT)
            event(Exceptions.DB, -1, EXCEPTION);
        }
    }

    /** Delivers a fault raised by the current instruction (rip already points at it). */
    void exception(int vector, int err) {
        stepTrap = false;
        event(vector, err, EXCEPTION);
    }

    /** INT n / INT3 / INTO / INT1 executed by the guest (rip points after the instruction). */
    void software(int vector, int source) {
        if (source == SOFTWARE && cpu.v86() && cpu.iopl() < 3) {
            throw cpu.gp(0);
        }
        // A fault while delivering it is a fault of the instruction: Cpu.step restarts and delivers it.
        deliver(vector, -1, source);
        stepTrap = false; // TF was cleared for the handler: no single-step trap after INT n (as Bochs)
    }

    /** Delivers one event, applying the double-fault rules to faults raised during delivery. */
    private void event(int vector, int err, int source) {
        try {
            deliver(vector, err, source);
        } catch (CpuFault second) {
            int v2 = second.vector;
            int e2 = second.errorCode;
            if (vector == Exceptions.DF) {
                tripleFault(v2);
                return;
            }
            boolean first = source == EXCEPTION || source == HARDWARE;
            boolean df = first && ((Exceptions.contributory(vector) && Exceptions.contributory(v2))
                    || (vector == Exceptions.PF && (Exceptions.contributory(v2) || v2 == Exceptions.PF)));
            if (df) {
                event(Exceptions.DF, 0, EXCEPTION);
            } else {
                event(v2, e2, EXCEPTION);
            }
        }
    }

    private void tripleFault(int last) {
        log.warn("triple fault (last exception {}) at {}:{}; processor shut down", Exceptions.name(last),
                Integer.toHexString(cpu.seg[Cpu.CS].selector), Long.toHexString(cpu.startRip));
        cpu.shutdown = true;
    }

    private void deliver(int vector, int err, int source) {
        if (!cpu.protectedMode()) {
            deliverReal(vector);
        } else {
            deliverProtected(vector, err, source);
        }
    }

    private void deliverReal(int vector) {
        if (vector * 4 + 3 > cpu.idtLimit) {
            throw cpu.gp(vector * 8 + 2);
        }
        long ent = cpu.idtBase + vector * 4L;
        int ip = cpu.readLinear16(ent);
        int cs = cpu.readLinear16(ent + 2);
        // Push FLAGS, CS, IP; any stack fault leaves the state unchanged.
        long sp = cpu.reg(Cpu.ESP, 2);
        cpu.write(Cpu.SS, (sp - 2) & 0xFFFF, 2, cpu.eflags());
        cpu.write(Cpu.SS, (sp - 4) & 0xFFFF, 2, cpu.seg[Cpu.CS].selector);
        cpu.write(Cpu.SS, (sp - 6) & 0xFFFF, 2, cpu.rip);
        cpu.setReg(Cpu.ESP, 2, sp - 6);
        cpu.flags.bits &= ~(Flags.IF | Flags.TF | Flags.AC | Flags.RF);
        cpu.seg[Cpu.CS].loadReal(cs);
        cpu.rip = ip;
    }

    private void deliverProtected(int vector, int err, int source) {
        int ext = source == EXCEPTION || source == HARDWARE ? 1 : 0;
        int idtErr = vector * 8 + 2 + ext;
        if (vector * 8 + 7 > cpu.idtLimit) {
            throw cpu.gp(idtErr);
        }
        long gate = cpu.readLinear64(cpu.idtBase + vector * 8L);
        int type = Descriptors.type(gate);
        boolean sys = Descriptors.system(gate);
        if (!sys || (type != Descriptors.TASK_GATE && type != Descriptors.INT_GATE16 && type != Descriptors.TRAP_GATE16
                && type != Descriptors.INT_GATE32 && type != Descriptors.TRAP_GATE32)) {
            throw cpu.gp(idtErr);
        }
        if ((source == SOFTWARE || source == SOFT_EXCEPTION) && Descriptors.dpl(gate) < cpu.cpl) {
            throw cpu.gp(vector * 8 + 2);
        }
        if (!Descriptors.present(gate)) {
            throw cpu.fault(Exceptions.NP, idtErr);
        }
        if (type == Descriptors.TASK_GATE) {
            TaskSwitch.viaGate(cpu, Descriptors.gateSelector(gate), TaskSwitch.CALL, ext);
            if (err >= 0) {
                int size = (cpu.tr.attr & 0xF) == Descriptors.TSS32_BUSY ? 4 : 2;
                cpu.push(size, err);
            }
            return;
        }
        boolean gate32 = type >= 8;
        int sel = Descriptors.gateSelector(gate);
        long offset = gate32 ? Descriptors.gateOffset(gate) : gate & 0xFFFF;
        if ((sel & 0xFFFC) == 0) {
            throw cpu.gp(ext);
        }
        long cd = Descriptors.read(cpu, sel, Exceptions.GP, ext);
        int dpl = Descriptors.dpl(cd);
        if (!Descriptors.code(cd) || dpl > cpu.cpl) {
            throw cpu.gp((sel & 0xFFFC) | ext);
        }
        if (!Descriptors.present(cd)) {
            throw cpu.fault(Exceptions.NP, (sel & 0xFFFC) | ext);
        }
        boolean vm = cpu.v86();
        int oldFlags = cpu.eflags();
        int size = gate32 ? 4 : 2;
        if (!Descriptors.conforming(cd) && dpl < cpu.cpl) {
            if (vm && dpl != 0) {
                throw cpu.gp((sel & 0xFFFC) | ext);
            }
            toInnerRing(vector, err, ext, sel, cd, offset, size, oldFlags, vm, dpl);
        } else {
            if (vm) {
                throw cpu.gp((sel & 0xFFFC) | ext);
            }
            if (offset > Descriptors.limit(cd)) {
                throw cpu.gp(ext);
            }
            int n = err >= 0 ? 4 : 3;
            int ss = cpu.stackSize();
            long sp = cpu.reg(Cpu.ESP, ss);
            long top = Cpu.mask(sp - (long) n * size, ss);
            cpu.probeWrite(Cpu.SS, top, n * size);
            long p = sp;
            p = pushAt(Cpu.SS, p, ss, size, oldFlags);
            p = pushAt(Cpu.SS, p, ss, size, cpu.seg[Cpu.CS].selector);
            p = pushAt(Cpu.SS, p, ss, size, cpu.rip);
            if (err >= 0) {
                p = pushAt(Cpu.SS, p, ss, size, err);
            }
            cpu.setReg(Cpu.ESP, ss, p);
            Descriptors.setAccessed(cpu, sel, cd);
            Descriptors.load(cpu.seg[Cpu.CS], (sel & 0xFFFC) | cpu.cpl, cd);
        }
        cpu.rip = offset;
        cpu.flags.bits &= ~(Flags.TF | Flags.VM | Flags.RF | Flags.NT);
        if (type == Descriptors.INT_GATE16 || type == Descriptors.INT_GATE32) {
            cpu.flags.bits &= ~Flags.IF;
        }
    }

    private void toInnerRing(int vector, int err, int ext, int sel, long cd, long offset, int size, int oldFlags,
                             boolean vm, int dpl) {
        long stack = FarTransfers.tssStack(cpu, dpl, ext);
        int newSs = (int) (stack >>> 32);
        long newSp = stack & 0xFFFF_FFFFL;
        long sd = FarTransfers.checkInnerSs(cpu, newSs, dpl, ext);
        if (offset > Descriptors.limit(cd)) {
            throw cpu.gp(ext);
        }
        Segment ns = new Segment();
        Descriptors.load(ns, newSs, sd);
        int ssz = ns.big() ? 4 : 2;
        int n = (vm ? 9 : 5) + (err >= 0 ? 1 : 0);
        long sp = Cpu.mask(newSp, ssz);
        long top = Cpu.mask(sp - (long) n * size, ssz);
        if (top < ns.lo || top + (long) n * size - 1 > ns.hi) {
            throw cpu.fault(Exceptions.SS, (newSs & 0xFFFC) | ext);
        }
        // Write the frame at supervisor privilege through the new SS.
        long[] vals = new long[n];
        int k = 0;
        if (vm) {
            vals[k++] = cpu.seg[Cpu.GS].selector;
            vals[k++] = cpu.seg[Cpu.FS].selector;
            vals[k++] = cpu.seg[Cpu.DS].selector;
            vals[k++] = cpu.seg[Cpu.ES].selector;
        }
        vals[k++] = cpu.seg[Cpu.SS].selector;
        vals[k++] = cpu.reg(Cpu.ESP, 4);
        vals[k++] = oldFlags;
        vals[k++] = cpu.seg[Cpu.CS].selector;
        vals[k++] = cpu.rip;
        if (err >= 0) {
            vals[k] = err;
        }
        cpu.mmu.probeWrite((ns.base + top) & 0xFFFF_FFFFL, n * size, false);
        long p = sp;
        for (long v : vals) {
            p = Cpu.mask(p - size, ssz);
            long lin = (ns.base + p) & 0xFFFF_FFFFL;
            if (size == 4) {
                cpu.mmu.write32(lin, (int) v, false);
            } else {
                cpu.mmu.write16(lin, (int) v, false);
            }
        }
        Descriptors.setAccessed(cpu, newSs, sd);
        Descriptors.setAccessed(cpu, sel, cd);
        cpu.seg[Cpu.SS].copyFrom(ns);
        cpu.setReg(Cpu.ESP, ssz, p);
        if (vm) {
            for (int s : new int[] {Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS}) {
                cpu.seg[s].set(0, 0, 0, 0);
                cpu.seg[s].usable = false;
                cpu.seg[s].refresh();
            }
        }
        cpu.cpl = dpl;
        Descriptors.load(cpu.seg[Cpu.CS], (sel & 0xFFFC) | dpl, cd);
    }

    private long pushAt(int sg, long sp, int ss, int size, long v) {
        long p = Cpu.mask(sp - size, ss);
        cpu.write(sg, p, size, v);
        return p;
    }

    /** Checks the TSS I/O permission bitmap for {@code size} bytes at {@code port}; #GP(0) if denied. */
    void checkIoBitmap(int port, int size) {
        Segment tr = cpu.tr;
        int type = tr.attr & 0xF;
        if (!tr.usable || (type != Descriptors.TSS32_AVAIL && type != Descriptors.TSS32_BUSY) || tr.limit < 0x67) {
            throw cpu.gp(0);
        }
        long mapBase = cpu.readLinear16(tr.base + 0x66);
        long at = mapBase + (port >>> 3);
        if (at + 1 > tr.limit) {
            throw cpu.gp(0);
        }
        int bits = cpu.readLinear16(tr.base + at);
        int mask = ((1 << size) - 1) << (port & 7);
        if ((bits & mask) != 0) {
            throw cpu.gp(0);
        }
    }
}

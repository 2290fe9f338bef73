package dev.vmm.core.cpu;

/**
 * Far control transfers in protected mode (Intel SDM vol. 2, JMP / CALL / RET / IRET pseudo-code;
 * vol. 3, 5.8): direct code-segment targets, call gates with the inner-ring stack switch and
 * parameter copy, task gates and TSS targets, far returns to the same or an outer privilege level,
 * IRET to protected mode, to virtual-8086 mode and to the previous task. Also the CS-loading
 * helpers that task switches and interrupt delivery share.
 *
 * <p>Every transfer does all reads and checks first, then the stack writes, and only then changes
 * registers, so a fault leaves no visible effect.
 */
final class FarTransfers {
    /** Attributes of a segment register loaded in virtual-8086 mode: present, data, read/write, DPL 3. */
    static final int V86_ATTR = Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_ACCESSED | 0x60;

    /** EFLAGS bits IRET in virtual-8086 mode never changes. */
    private static final int V86_KEEP = Flags.VM | Flags.IOPL | Flags.VIP | Flags.VIF;
    /** Real-mode IRETD: bits taken from the image, and bits kept. */
    private static final int REAL_IRETD_TAKE = 0x257FD5;
    private static final int REAL_IRETD_KEEP = 0x1A0000;

    private FarTransfers() {
    }

    // ---- shared CS-loading helpers --------------------------------------------------------------

    /** Loads CS the real-mode / virtual-8086 way: selector and base; limit and attributes are kept. */
    static void loadCsReal(Cpu c, int sel) {
        Segment cs = c.seg[Cpu.CS];
        cs.loadReal(sel);
        cs.refresh();
    }

    /** Loads a segment register as virtual-8086 mode does (base = selector * 16, limit 64K, DPL 3). */
    static void loadV86(Segment s, int sel) {
        s.set(sel, (long) (sel & 0xFFFF) << 4, 0xFFFF, V86_ATTR);
    }

    /** Reads the descriptor of a far-transfer target: #GP(0) for a null selector, #GP(sel) past the table. */
    static long readTarget(Cpu c, int sel) {
        if ((sel & 0xFFFC) == 0) {
            throw c.gp(0);
        }
        return Descriptors.read(c, sel, Exceptions.GP, 0);
    }

    /**
     * Checks a code segment as the target of a far JMP or CALL at the current CPL: conforming with
     * DPL &lt;= CPL, or non-conforming with DPL == CPL (and RPL &lt;= CPL when {@code checkRpl}, that is
     * for a direct target). #GP(sel) when not allowed, #NP(sel) when not present.
     */
    static void checkJumpCode(Cpu c, int sel, long d, boolean checkRpl) {
        int dpl = Descriptors.dpl(d);
        boolean ok = Descriptors.code(d) && (Descriptors.conforming(d) ? dpl <= c.cpl
                : dpl == c.cpl && (!checkRpl || (sel & 3) <= c.cpl));
        if (!ok) {
            throw c.gp(sel & 0xFFFC);
        }
        if (!Descriptors.present(d)) {
            throw c.fault(Exceptions.NP, sel & 0xFFFC);
        }
    }

    /**
     * Checks a code segment as the return target of RETF or IRET, whose RPL becomes the CPL:
     * RPL &gt;= CPL, conforming with DPL &lt;= RPL or non-conforming with DPL == RPL; #GP(sel), #NP(sel).
     */
    static void checkReturnCode(Cpu c, int sel, long d) {
        int rpl = sel & 3;
        int dpl = Descriptors.dpl(d);
        if (!Descriptors.code(d) || rpl < c.cpl || (Descriptors.conforming(d) ? dpl > rpl : dpl != rpl)) {
            throw c.gp(sel & 0xFFFC);
        }
        if (!Descriptors.present(d)) {
            throw c.fault(Exceptions.NP, sel & 0xFFFC);
        }
    }

    /** Loads CS from a checked descriptor with RPL = {@code newCpl}, sets its accessed bit and the CPL. */
    static void loadCs(Cpu c, int sel, long d, int newCpl) {
        Descriptors.setAccessed(c, sel, d);
        Descriptors.load(c.seg[Cpu.CS], (sel & 0xFFFC) | newCpl, d);
        c.cpl = newCpl;
    }

    /** #GP(0) unless {@code eip} lies within {@code limit}. */
    static void checkLimit(Cpu c, long eip, long limit) {
        if (eip > limit) {
            throw c.gp(0);
        }
    }

    /**
     * Checks the stack segment {@code ss} of a return to privilege level {@code rpl} (RETF, IRET):
     * #GP(0) null, #GP(ss) past the table / wrong RPL, DPL or type, #SS(ss) not present.
     */
    static long checkReturnSs(Cpu c, int ss, int rpl) {
        if ((ss & 0xFFFC) == 0) {
            throw c.gp(0);
        }
        long d = Descriptors.read(c, ss, Exceptions.GP, 0);
        if ((ss & 3) != rpl || !Descriptors.writableData(d) || Descriptors.dpl(d) != rpl) {
            throw c.gp(ss & 0xFFFC);
        }
        if (!Descriptors.present(d)) {
            throw c.fault(Exceptions.SS, ss & 0xFFFC);
        }
        return d;
    }

    /**
     * After a return to an outer privilege level: ES, DS, FS and GS become null when they are null
     * already or hold a data or non-conforming code segment with DPL &lt; CPL.
     */
    static void invalidateSegments(Cpu c) {
        invalidate(c, c.seg[Cpu.ES]);
        invalidate(c, c.seg[Cpu.DS]);
        invalidate(c, c.seg[Cpu.FS]);
        invalidate(c, c.seg[Cpu.GS]);
    }

    private static void invalidate(Cpu c, Segment s) {
        int conf = Segment.A_S | Segment.A_CODE | Segment.A_DC;
        boolean conforming = (s.attr & conf) == conf;
        if ((s.selector & 0xFFFC) == 0 || !s.usable || (!conforming && s.dpl() < c.cpl)) {
            s.selector = 0;
            s.base = 0;
            s.limit = 0;
            s.attr = 0;
            s.usable = false;
            s.refresh();
        }
    }

    /**
     * Reads the stack of privilege level {@code dpl} from the current TSS, as {@code (ss << 32) | esp}
     * (#TS(TSS selector | ext) if the TSS is too short).
     */
    static long tssStack(Cpu c, int dpl, int ext) {
        Segment tr = c.tr;
        if ((tr.attr & 0x8) != 0) {
            long at = 4 + dpl * 8L;
            if (at + 5 > tr.limit) {
                throw c.fault(Exceptions.TS, (tr.selector & 0xFFFC) | ext);
            }
            return (long) c.readLinear16(tr.base + at + 4) << 32 | c.readLinear32(tr.base + at);
        }
        long at = 2 + dpl * 4L;
        if (at + 3 > tr.limit) {
            throw c.fault(Exceptions.TS, (tr.selector & 0xFFFC) | ext);
        }
        return (long) c.readLinear16(tr.base + at + 2) << 32 | c.readLinear16(tr.base + at);
    }

    /**
     * Checks the inner stack segment {@code ss} from the TSS for privilege level {@code dpl}:
     * #TS(ext) null, #TS(ss | ext) past the table / wrong RPL, DPL or type, #SS(ss | ext) not present.
     */
    static long checkInnerSs(Cpu c, int ss, int dpl, int ext) {
        if ((ss & 0xFFFC) == 0) {
            throw c.fault(Exceptions.TS, ext);
        }
        long d = Descriptors.read(c, ss, Exceptions.TS, ext);
        if ((ss & 3) != dpl || Descriptors.dpl(d) != dpl || !Descriptors.writableData(d)) {
            throw c.fault(Exceptions.TS, (ss & 0xFFFC) | ext);
        }
        if (!Descriptors.present(d)) {
            throw c.fault(Exceptions.SS, (ss & 0xFFFC) | ext);
        }
        return d;
    }

    /** Checks that {@code n} pushes of {@code size} bytes below {@code sp} fit the current stack (segment and paging). */
    static void probePushes(Cpu c, long sp, int n, int size) {
        int ss = c.stackSize();
        long top = Cpu.mask(sp - (long) n * size, ss);
        if (top + (long) n * size <= (ss == 2 ? 0x10000L : 0x1_0000_0000L)) {
            c.probeWrite(Cpu.SS, top, n * size);
        } else {
            for (int k = 1; k <= n; k++) {
                c.probeWrite(Cpu.SS, Cpu.mask(sp - (long) k * size, ss), size);
            }
        }
    }

    /** Pushes {@code v} below {@code sp} on the current stack (already probed); returns the new SP. */
    static long pushAt(Cpu c, long sp, int size, long v) {
        long p = Cpu.mask(sp - size, c.stackSize());
        c.write(Cpu.SS, p, size, v);
        return p;
    }

    // ---- far JMP / CALL -------------------------------------------------------------------------

    /** Far JMP in protected mode to {@code sel:off} ({@code osize}: operand size for a direct target). */
    static void jmp(Cpu c, int sel, long off, int osize) {
        long d = readTarget(c, sel);
        if (Descriptors.code(d)) {
            checkJumpCode(c, sel, d, true);
            long eip = Cpu.mask(off, osize);
            checkLimit(c, eip, Descriptors.limit(d));
            loadCs(c, sel, d, c.cpl);
            c.rip = eip;
            return;
        }
        if (!Descriptors.system(d)) {
            throw c.gp(sel & 0xFFFC);
        }
        switch (Descriptors.type(d)) {
            case Descriptors.CALL_GATE16, Descriptors.CALL_GATE32 -> {
                checkGate(c, sel, d);
                int cs = Descriptors.gateSelector(d);
                long cd = readTarget(c, cs);
                checkJumpCode(c, cs, cd, false);
                long eip = gateOffset(d);
                checkLimit(c, eip, Descriptors.limit(cd));
                loadCs(c, cs, cd, c.cpl);
                c.rip = eip;
            }
            case Descriptors.TASK_GATE -> {
                checkGate(c, sel, d);
                TaskSwitch.viaGate(c, Descriptors.gateSelector(d), TaskSwitch.JMP, 0);
            }
            case Descriptors.TSS16_AVAIL, Descriptors.TSS32_AVAIL -> {
                checkTss(c, sel, d);
                TaskSwitch.viaGate(c, sel, TaskSwitch.JMP, 0);
            }
            default -> throw c.gp(sel & 0xFFFC);
        }
    }

    /** Far CALL in protected mode to {@code sel:off}. */
    static void call(Cpu c, int sel, long off, int osize) {
        long d = readTarget(c, sel);
        if (Descriptors.code(d)) {
            checkJumpCode(c, sel, d, true);
            long sp = c.reg(Cpu.ESP, c.stackSize());
            probePushes(c, sp, 2, osize);
            long eip = Cpu.mask(off, osize);
            checkLimit(c, eip, Descriptors.limit(d));
            pushReturn(c, sp, osize);
            loadCs(c, sel, d, c.cpl);
            c.rip = eip;
            return;
        }
        if (!Descriptors.system(d)) {
            throw c.gp(sel & 0xFFFC);
        }
        switch (Descriptors.type(d)) {
            case Descriptors.CALL_GATE16, Descriptors.CALL_GATE32 -> callGate(c, sel, d);
            case Descriptors.TASK_GATE -> {
                checkGate(c, sel, d);
                TaskSwitch.viaGate(c, Descriptors.gateSelector(d), TaskSwitch.CALL, 0);
            }
            case Descriptors.TSS16_AVAIL, Descriptors.TSS32_AVAIL -> {
                checkTss(c, sel, d);
                TaskSwitch.viaGate(c, sel, TaskSwitch.CALL, 0);
            }
            default -> throw c.gp(sel & 0xFFFC);
        }
    }

    /** Pushes CS and EIP (each {@code size} bytes) below {@code sp} on the probed current stack; sets ESP. */
    private static void pushReturn(Cpu c, long sp, int size) {
        long p = pushAt(c, sp, size, c.seg[Cpu.CS].selector);
        p = pushAt(c, p, size, c.rip);
        c.setReg(Cpu.ESP, c.stackSize(), p);
    }

    /** Offset of a call gate (16 bits for a 16-bit gate). */
    private static long gateOffset(long gate) {
        return Descriptors.type(gate) == Descriptors.CALL_GATE32 ? Descriptors.gateOffset(gate) : gate & 0xFFFF;
    }

    /** Gate DPL &gt;= CPL and &gt;= RPL, else #GP(gate); present, else #NP(gate). */
    private static void checkGate(Cpu c, int sel, long gate) {
        int dpl = Descriptors.dpl(gate);
        if (dpl < c.cpl || dpl < (sel & 3)) {
            throw c.gp(sel & 0xFFFC);
        }
        if (!Descriptors.present(gate)) {
            throw c.fault(Exceptions.NP, sel & 0xFFFC);
        }
    }

    private static void callGate(Cpu c, int sel, long gate) {
        checkGate(c, sel, gate);
        int cs = Descriptors.gateSelector(gate);
        long cd = readTarget(c, cs);
        int dpl = Descriptors.dpl(cd);
        if (!Descriptors.code(cd) || dpl > c.cpl) {
            throw c.gp(cs & 0xFFFC);
        }
        if (!Descriptors.present(cd)) {
            throw c.fault(Exceptions.NP, cs & 0xFFFC);
        }
        int size = Descriptors.type(gate) == Descriptors.CALL_GATE32 ? 4 : 2;
        long eip = gateOffset(gate);
        if (!Descriptors.conforming(cd) && dpl < c.cpl) {
            callInner(c, gate, cs, cd, eip, size);
            return;
        }
        long sp = c.reg(Cpu.ESP, c.stackSize());
        probePushes(c, sp, 2, size);
        checkLimit(c, eip, Descriptors.limit(cd));
        pushReturn(c, sp, size);
        loadCs(c, cs, cd, c.cpl);
        c.rip = eip;
    }

    /** CALL through a call gate to a more privileged non-conforming code segment (stack switch). */
    private static void callInner(Cpu c, long gate, int cs, long cd, long eip, int size) {
        int dpl = Descriptors.dpl(cd);
        long st = tssStack(c, dpl, 0);
        int newSs = (int) (st >>> 32) & 0xFFFF;
        long sd = checkInnerSs(c, newSs, dpl, 0);
        Segment ns = new Segment();
        Descriptors.load(ns, newSs, sd);
        int nsz = ns.big() ? 4 : 2;
        int count = (int) (gate >>> 32) & 0x1F;
        int n = 4 + count;
        long sp = Cpu.mask(st, nsz);
        for (int k = 1; k <= n; k++) {
            long a = Cpu.mask(sp - (long) k * size, nsz);
            if (a < ns.lo || a + size - 1 > ns.hi) {
                throw c.fault(Exceptions.SS, newSs & 0xFFFC);
            }
        }
        checkLimit(c, eip, Descriptors.limit(cd));
        // The frame, in push order: SS, ESP, the parameters (last one first), CS, EIP.
        int oss = c.stackSize();
        long osp = c.reg(Cpu.ESP, oss);
        long[] vals = new long[n];
        vals[0] = c.seg[Cpu.SS].selector;
        vals[1] = c.reg(Cpu.ESP, size);
        for (int k = 0; k < count; k++) {
            vals[1 + count - k] = c.read(Cpu.SS, Cpu.mask(osp + (long) k * size, oss), size);
        }
        vals[n - 2] = c.seg[Cpu.CS].selector;
        vals[n - 1] = Cpu.mask(c.rip, size);
        for (int k = 1; k <= n; k++) {
            c.mmu.probeWrite((ns.base + Cpu.mask(sp - (long) k * size, nsz)) & 0xFFFF_FFFFL, size, false);
        }
        long p = sp;
        for (long v : vals) {
            p = Cpu.mask(p - size, nsz);
            long lin = (ns.base + p) & 0xFFFF_FFFFL;
            if (size == 4) {
                c.mmu.write32(lin, (int) v, false);
            } else {
                c.mmu.write16(lin, (int) v, false);
            }
        }
        Descriptors.setAccessed(c, newSs, sd);
        loadCs(c, cs, cd, dpl);
        c.seg[Cpu.SS].copyFrom(ns);
        c.setReg(Cpu.ESP, nsz, p);
        c.rip = eip;
    }

    // ---- tasks ----------------------------------------------------------------------------------

    /** TSS as a direct JMP/CALL target: DPL &gt;= CPL and RPL, in the GDT; #GP(sel); present, else #NP(sel). */
    private static void checkTss(Cpu c, int sel, long d) {
        int dpl = Descriptors.dpl(d);
        if (dpl < c.cpl || dpl < (sel & 3) || (sel & 4) != 0) {
            throw c.gp(sel & 0xFFFC);
        }
        if (!Descriptors.present(d)) {
            throw c.fault(Exceptions.NP, sel & 0xFFFC);
        }
    }

    // ---- far returns ----------------------------------------------------------------------------

    /** RETF [imm] in real or virtual-8086 mode. */
    static void retfReal(Cpu c, int osize, int imm) {
        long eip = c.peek(0, osize);
        int sel = (int) c.peek(osize, osize) & 0xFFFF;
        checkLimit(c, eip, c.seg[Cpu.CS].limit);
        int ss = c.stackSize();
        loadCsReal(c, sel);
        c.rip = eip;
        c.setReg(Cpu.ESP, ss, c.reg(Cpu.ESP, ss) + 2L * osize + imm);
    }

    /** RETF [imm] in protected mode, to the same or an outer privilege level. */
    static void retf(Cpu c, int osize, int imm) {
        long eip = c.peek(0, osize);
        int sel = (int) c.peek(osize, osize) & 0xFFFF;
        long d = readTarget(c, sel);
        checkReturnCode(c, sel, d);
        int rpl = sel & 3;
        int ss = c.stackSize();
        if (rpl == c.cpl) {
            checkLimit(c, eip, Descriptors.limit(d));
            loadCs(c, sel, d, rpl);
            c.rip = eip;
            c.setReg(Cpu.ESP, ss, c.reg(Cpu.ESP, ss) + 2L * osize + imm);
            return;
        }
        long esp = c.peek(2 * osize + imm, osize);
        int newSs = (int) c.peek(3 * osize + imm, osize) & 0xFFFF;
        long sd = checkReturnSs(c, newSs, rpl);
        checkLimit(c, eip, Descriptors.limit(d));
        Descriptors.setAccessed(c, newSs, sd);
        loadCs(c, sel, d, rpl);
        Descriptors.load(c.seg[Cpu.SS], newSs, sd);
        c.setReg(Cpu.ESP, c.seg[Cpu.SS].big() ? 4 : 2, esp + imm);
        invalidateSegments(c);
        c.rip = eip;
    }

    // ---- IRET -----------------------------------------------------------------------------------

    /** IRET / IRETD in real mode. */
    static void iretReal(Cpu c, int osize) {
        long eip = c.peek(0, osize);
        int sel = (int) c.peek(osize, osize) & 0xFFFF;
        int image = (int) c.peek(2 * osize, osize);
        checkLimit(c, eip, c.seg[Cpu.CS].limit);
        int old = c.eflags();
        int fl = osize == 4 ? (image & REAL_IRETD_TAKE) | (old & REAL_IRETD_KEEP) : (old & 0xFFFF_0000) | (image & 0xFFFF);
        finishNear(c, sel, eip, 3 * osize);
        c.flags.set(fl);
    }

    /** IRET / IRETD in virtual-8086 mode (CR4.VME clear): IOPL 3 only; VM, IOPL, VIF, VIP unchanged. */
    static void iretV86(Cpu c, int osize) {
        if (c.iopl() < 3) {
            throw c.gp(0);
        }
        long eip = c.peek(0, osize);
        int sel = (int) c.peek(osize, osize) & 0xFFFF;
        int image = (int) c.peek(2 * osize, osize);
        checkLimit(c, eip, c.seg[Cpu.CS].limit);
        int old = c.eflags();
        int keep = osize == 4 ? V86_KEEP : 0xFFFF_0000 | Flags.IOPL;
        finishNear(c, sel, eip, 3 * osize);
        c.flags.set((image & ~keep) | (old & keep));
    }

    /** Real/v86 IRET commit: CS the real way, EIP, and ESP past the frame. */
    private static void finishNear(Cpu c, int sel, long eip, int frame) {
        int ss = c.stackSize();
        loadCsReal(c, sel);
        c.rip = eip;
        c.setReg(Cpu.ESP, ss, c.reg(Cpu.ESP, ss) + frame);
    }

    /** IRET / IRETD in protected mode (VM clear). */
    static void iret(Cpu c, int osize) {
        if ((c.flags.bits & Flags.NT) != 0) {
            TaskSwitch.iret(c); // back link: TaskSwitch checks it (#TS/#NP)
            return;
        }
        long eip = c.peek(0, osize);
        int sel = (int) c.peek(osize, osize) & 0xFFFF;
        int image = (int) c.peek(2 * osize, osize);
        if (osize == 4 && (image & Flags.VM) != 0 && c.cpl == 0) {
            iretToV86(c, eip, sel, image);
            return;
        }
        long d = readTarget(c, sel);
        checkReturnCode(c, sel, d);
        int rpl = sel & 3;
        int fl = iretFlags(c, image, osize);
        int ss = c.stackSize();
        if (rpl == c.cpl) {
            checkLimit(c, eip, Descriptors.limit(d));
            loadCs(c, sel, d, rpl);
            c.rip = eip;
            c.setReg(Cpu.ESP, ss, c.reg(Cpu.ESP, ss) + 3L * osize);
            c.flags.set(fl);
            return;
        }
        long esp = c.peek(3 * osize, osize);
        int newSs = (int) c.peek(4 * osize, osize) & 0xFFFF;
        long sd = checkReturnSs(c, newSs, rpl);
        checkLimit(c, eip, Descriptors.limit(d));
        Descriptors.setAccessed(c, newSs, sd);
        loadCs(c, sel, d, rpl);
        c.flags.set(fl);
        Descriptors.load(c.seg[Cpu.SS], newSs, sd);
        c.setReg(Cpu.ESP, c.seg[Cpu.SS].big() ? 4 : 2, esp);
        invalidateSegments(c);
        c.rip = eip;
    }

    /** The EFLAGS a protected-mode IRET produces from {@code image}, by the current CPL and IOPL. */
    static int iretFlags(Cpu c, int image, int osize) {
        int change = Flags.ARITH | Flags.TF | Flags.DF | Flags.NT;
        if (osize == 4) {
            change |= Flags.RF | Flags.AC | Flags.ID;
        }
        if (c.cpl <= c.iopl()) {
            change |= Flags.IF;
        }
        if (c.cpl == 0) {
            change |= Flags.IOPL;
            if (osize == 4) {
                change |= Flags.VIF | Flags.VIP;
            }
        }
        return (c.eflags() & ~change) | (image & change);
    }

    /** IRETD at CPL 0 with VM set in the image: pops ESP, SS, ES, DS, FS, GS and enters virtual-8086 mode. */
    private static void iretToV86(Cpu c, long eip, int cs, int image) {
        long esp = c.peek(12, 4);
        int ss = (int) c.peek(16, 4) & 0xFFFF;
        int es = (int) c.peek(20, 4) & 0xFFFF;
        int ds = (int) c.peek(24, 4) & 0xFFFF;
        int fs = (int) c.peek(28, 4) & 0xFFFF;
        int gs = (int) c.peek(32, 4) & 0xFFFF;
        checkLimit(c, eip, 0xFFFF);
        c.flags.set(image);
        loadV86(c.seg[Cpu.CS], cs);
        loadV86(c.seg[Cpu.SS], ss);
        loadV86(c.seg[Cpu.ES], es);
        loadV86(c.seg[Cpu.DS], ds);
        loadV86(c.seg[Cpu.FS], fs);
        loadV86(c.seg[Cpu.GS], gs);
        c.setReg(Cpu.ESP, 4, esp);
        c.cpl = 3;
        c.rip = eip;
    }
}

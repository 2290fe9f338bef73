package dev.vmm.core.cpu;

/**
 * The debug registers DR0-DR7 (Intel SDM vol. 3, the debug chapter: "Debug Registers", "Debug
 * Exceptions"): instruction breakpoints (faults, checked before an instruction executes,
 * suppressed by EFLAGS.RF), data write and read/write breakpoints (traps, reported after the
 * access's instruction completes), I/O breakpoints (R/W = 10 with CR4.DE, traps on IN/OUT/INS/OUTS),
 * general detect (DR7.GD),
 * the task-switch trap (TSS T bit) and the DR6 status bits. Single-step (EFLAGS.TF) is raised by
 * {@link Interrupts#afterInstruction()}, which merges the traps pending here into the same #DB.
 *
 * <p>Cost when unused: {@link Cpu#debugActive} is true only while DR7 enables a breakpoint or a
 * debug trap is pending; the CPU's fetch and data-access paths test that one boolean.
 *
 * <p>Not implemented: the MOV SS/POP SS delay of traps, breakpoints on implicit supervisor accesses
 * (descriptor tables, TSS, IDT).
 */
final class Debug {
    /** DR6 bits. */
    static final long DR6_BD = 1 << 13;
    static final long DR6_BS = 1 << 14;
    static final long DR6_BT = 1 << 15;
    /** DR6 bits that always read as 1 (reserved). */
    static final long DR6_FIXED = 0xFFFF_0FF0L;
    /** DR6 bits software can write. */
    static final long DR6_WRITABLE = 0xE00F;
    /** DR7 bits. */
    static final long DR7_GD = 1 << 13;
    static final long DR7_FIXED = 0x400;
    /** DR7 bits that are not reserved: L0-G3, LE, GE, GD, R/W and LEN fields. */
    static final long DR7_WRITABLE = 0xFFFF_23FFL;
    /** The local enables L0-L3 and LE, cleared on every task switch. */
    static final long DR7_LOCAL = 0x155;

    private static final int RW_EXEC = 0;
    private static final int RW_WRITE = 1;
    private static final int RW_IO = 2;
    private static final int RW_RW = 3;

    private final Cpu cpu;
    /** DR6 bits of traps raised by the current instruction (data breakpoints, T bit). */
    private long pending;
    /** Bit n set: breakpoint n is an enabled instruction breakpoint. */
    private int execMask;
    /** Bit n set: breakpoint n is an enabled data breakpoint on writes (R/W 01 or 11). */
    private int writeMask;
    /** Bit n set: breakpoint n is an enabled data breakpoint on reads (R/W 11). */
    private int readMask;
    /** Bit n set: breakpoint n is an enabled I/O breakpoint (R/W 10 with CR4.DE). */
    private int ioMask;

    Debug(Cpu cpu) {
        this.cpu = cpu;
    }

    /** RESET: no pending traps; breakpoints as DR7 says. */
    void reset() {
        pending = 0;
        update();
    }

    /** Recomputes the enabled breakpoints from DR7 (after a DR7 write, task switch or reset). */
    void update() {
        long dr7 = cpu.dr[7];
        execMask = writeMask = readMask = ioMask = 0;
        for (int n = 0; n < 4; n++) {
            if (((dr7 >>> (2 * n)) & 3) == 0) {
                continue;
            }
            int rw = (int) (dr7 >>> (16 + 4 * n)) & 3;
            switch (rw) {
                case RW_EXEC -> execMask |= 1 << n;
                case RW_WRITE -> writeMask |= 1 << n;
                case RW_RW -> {
                    writeMask |= 1 << n;
                    readMask |= 1 << n;
                }
                default -> {
                    // R/W 10: an I/O breakpoint with CR4.DE; undefined without it (ignored).
                    if ((cpu.cr4 & Cpu.CR4_DE) != 0) {
                        ioMask |= 1 << n;
                    }
                }
            }
        }
        cpu.debugActive = (execMask | writeMask | readMask | ioMask) != 0 || pending != 0;
    }

    /** Drops the instruction's pending traps (it faulted, so it did not complete). */
    void discard() {
        if (pending != 0) {
            pending = 0;
            update();
        }
    }

    /** The DR6 bits of the traps the current instruction raised (and forgets them). */
    long takeTraps() {
        long p = pending;
        if (p != 0) {
            pending = 0;
            update();
        }
        return p;
    }

    /** Raises the task-switch trap (the new TSS has its T bit set). */
    void taskSwitchTrap() {
        pending |= DR6_BT;
        cpu.debugActive = true;
    }

    /**
     * Before an instruction (only when {@link Cpu#debugActive}): delivers a debug trap left pending
     * by an event delivery (a task switch through an IDT task gate), or raises an instruction
     * breakpoint #DB (fault: EIP is the instruction's). Returns true if it delivered a #DB, in
     * which case the instruction is not executed in this step.
     */
    boolean beforeInstruction() {
        if (pending != 0) {
            // Data hits recorded outside an instruction (pushes of an event delivery) are dropped,
            // so a breakpoint on the stack cannot make #DB delivery trap again forever.
            long traps = pending & DR6_BT;
            pending = 0;
            update();
            if (traps != 0) {
                cpu.dr[6] |= traps;
                cpu.interrupts.exception(Exceptions.DB, -1);
                return true;
            }
        }
        if (execMask == 0 || (cpu.flags.bits & Flags.RF) != 0) {
            return false;
        }
        long lin = (cpu.seg[Cpu.CS].base + cpu.rip) & 0xFFFF_FFFFL;
        long hits = 0;
        for (int n = 0; n < 4; n++) {
            if ((execMask & (1 << n)) != 0 && matches(n, lin, 1)) {
                hits |= 1L << n;
            }
        }
        if (hits == 0) {
            return false;
        }
        cpu.dr[6] |= hits;
        // Delivered directly (not thrown), so the pushed RF stays 0 as the SDM requires for
        // instruction breakpoints; the handler sets RF in the image to resume.
        cpu.interrupts.exception(Exceptions.DB, -1);
        return true;
    }

    /** A data access of {@code size} bytes at linear {@code lin} (only when {@link Cpu#debugActive}). */
    void data(long lin, int size, boolean write) {
        int mask = write ? writeMask : readMask;
        if (mask == 0) {
            return;
        }
        for (int n = 0; n < 4; n++) {
            if ((mask & (1 << n)) != 0 && matches(n, lin, size)) {
                pending |= 1L << n;
            }
        }
    }

    /** An I/O access of {@code size} bytes at {@code port} (only when {@link Cpu#debugActive}). */
    void io(int port, int size) {
        for (int n = 0; n < 4; n++) {
            if ((ioMask & (1 << n)) != 0 && matches(n, port, size)) {
                pending |= 1L << n;
            }
        }
    }

    /** True if {@code size} bytes at {@code lin} overlap breakpoint {@code n}'s (aligned) range. */
    private boolean matches(int n, long lin, int size) {
        int lenCode = (int) (cpu.dr[7] >>> (18 + 4 * n)) & 3;
        long len = switch (lenCode) {
            case 0 -> 1;
            case 1 -> 2;
            case 2 -> 8;
            default -> 4;
        };
        long start = cpu.dr[n] & 0xFFFF_FFFFL & ~(len - 1);
        return lin <= start + len - 1 && start <= lin + size - 1;
    }

    /**
     * MOV from/to a debug register: the checks common to both directions, in the SDM's order
     * (privilege, DR4/DR5 with CR4.DE, general detect). Returns the register actually addressed.
     */
    static int access(Cpu c, int n) {
        if (c.protectedMode() && (c.cpl != 0 || c.v86())) {
            throw c.gp(0);
        }
        if (n == 4 || n == 5) {
            if ((c.cr4 & Cpu.CR4_DE) != 0) {
                throw c.ud();
            }
            n += 2;
        }
        if ((c.dr[7] & DR7_GD) != 0) {
            // General detect: a fault; the processor clears GD so the handler can use the registers.
            c.dr[6] |= DR6_BD;
            c.dr[7] &= ~DR7_GD;
            throw c.fault(Exceptions.DB, -1);
        }
        return n;
    }

    /** MOV r32, DRn. */
    static void movFrom(Cpu c, Insn i) {
        int n = access(c, i.reg);
        c.setReg(i.rm, 4, c.dr[n] & 0xFFFF_FFFFL);
    }

    /** MOV DRn, r32. */
    static void movTo(Cpu c, Insn i) {
        int n = access(c, i.reg);
        long v = c.reg(i.rm, 4);
        switch (n) {
            case 6 -> c.dr[6] = (v & DR6_WRITABLE) | DR6_FIXED;
            case 7 -> {
                c.dr[7] = (v & DR7_WRITABLE) | DR7_FIXED;
                c.debug.update();
            }
            default -> c.dr[n] = v;
        }
    }

    /** Task switch: clears the local breakpoint enables; raises the T-bit trap if requested. */
    void taskSwitched(boolean trap) {
        cpu.dr[7] &= ~DR7_LOCAL;
        update();
        if (trap) {
            taskSwitchTrap();
        }
    }
}

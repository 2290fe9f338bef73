package dev.vmm.core.cpu;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.irq.InterruptSource;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.core.persist.Persist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One x86 processor: the register file (64 bits wide), segment and descriptor-table registers,
 * control registers, the MMU, and the fetch-decode-execute loop.
 *
 * <p>Instruction semantics live in the {@code *Ops} classes of this package, looked up by the
 * handler names of {@link OpcodeTable}; they use the operand and memory accessors here. All guest
 * faults are raised as this CPU's preallocated {@link CpuFault} and delivered by
 * {@link Interrupts}; nothing a guest does throws into the host.
 */
public final class Cpu implements Persist<CpuState> {
    private static final Logger log = LoggerFactory.getLogger(Cpu.class);

    // General registers.
    public static final int EAX = 0;
    public static final int ECX = 1;
    public static final int EDX = 2;
    public static final int EBX = 3;
    public static final int ESP = 4;
    public static final int EBP = 5;
    public static final int ESI = 6;
    public static final int EDI = 7;
    // Segment registers, in ModRM sreg order.
    public static final int ES = 0;
    public static final int CS = 1;
    public static final int SS = 2;
    public static final int DS = 3;
    public static final int FS = 4;
    public static final int GS = 5;

    public static final long CR0_PE = 1;
    public static final long CR0_MP = 1 << 1;
    public static final long CR0_EM = 1 << 2;
    public static final long CR0_TS = 1 << 3;
    public static final long CR0_ET = 1 << 4;
    public static final long CR0_NE = 1 << 5;
    public static final long CR0_WP = 1 << 16;
    public static final long CR0_AM = 1 << 18;
    public static final long CR0_NW = 1 << 29;
    public static final long CR0_CD = 1 << 30;
    public static final long CR0_PG = 1L << 31;
    public static final long CR4_VME = 1;
    public static final long CR4_PVI = 1 << 1;
    public static final long CR4_TSD = 1 << 2;
    public static final long CR4_DE = 1 << 3;
    public static final long CR4_PSE = 1 << 4;
    public static final long CR4_PAE = 1 << 5;
    public static final long CR4_MCE = 1 << 6;
    public static final long CR4_PGE = 1 << 7;
    public static final long CR4_PCE = 1 << 8;
    public static final long CR4_OSFXSR = 1 << 9;
    public static final long CR4_OSXMMEXCPT = 1 << 10;
    public static final long EFER_SCE = 1;
    public static final long EFER_LME = 1 << 8;
    public static final long EFER_LMA = 1 << 10;
    public static final long EFER_NXE = 1 << 11;

    /** Why {@link #run(long)} returned. */
    public enum Exit {
        /** The instruction budget was used up. */
        LIMIT,
        /** HLT: the CPU waits for an interrupt (or, with IF clear, for NMI/reset). */
        HALT,
        /** Triple fault: the processor shut down; the machine decides (usually reset or stop). */
        SHUTDOWN,
        /** {@link #requestStop()} was called. */
        STOPPED
    }

    // ---- architectural state ------------------------------------------------------------------
    /** General registers RAX..R15 (64 bits; legacy modes use the low halves). */
    public final long[] r = new long[16];
    public long rip;
    public final Flags flags = new Flags();
    public final Segment[] seg = new Segment[6];
    public final Segment ldtr = new Segment();
    public final Segment tr = new Segment();
    public long gdtBase;
    public int gdtLimit;
    public long idtBase;
    public int idtLimit;
    public long cr0;
    public long cr2;
    public long cr3;
    public long cr4;
    public long cr8;
    public long efer;
    public final long[] dr = new long[8];
    /** Current privilege level (CS.RPL in protected mode, 3 in virtual-8086 mode, 0 in real mode). */
    public int cpl;
    public final Msrs msrs = new Msrs();
    /** The x87 FPU, MMX and SSE state. */
    public final Fpu fpu = new Fpu();

    // ---- execution state ----------------------------------------------------------------------
    public boolean halted;
    boolean shutdown;
    volatile boolean stopRequested;
    /** Interrupts are inhibited for one instruction (after STI, MOV SS, POP SS). */
    int inhibit;
    /** Where the current instruction started. */
    long startRip;
    long icount;
    /** The instruction being executed (for logging). */
    Insn current;

    final PhysicalMemory mem;
    final PioBus io;
    final Mmu mmu;
    final Interrupts interrupts;
    final CodeCache code;
    final BlockRunner blocks;
    /** How instructions are dispatched: {@link #EXEC_STEP}, {@link #EXEC_BLOCKS} or {@link #EXEC_JIT}. */
    private int execMode;
    final Debug debug;
    /** True while DR7 enables a breakpoint or a debug trap is pending (see {@link Debug}). */
    boolean debugActive;
    InterruptSource intr = InterruptSource.NONE;
    /** The interrupt source reports its changes ({@link InterruptSource#onChange}): poll it only after one. */
    boolean intrNotifies;
    /** Set (any thread) when the interrupt source's output may have changed; see {@link Interrupts#pollInterrupt}. */
    volatile boolean intrHint = true;
    /** FERR#: asserted when a waiting x87 instruction finds an unmasked exception with CR0.NE clear (IRQ13 on a PC). */
    dev.vmm.core.irq.IrqLine ferr = dev.vmm.core.irq.IrqLine.NONE;
    /** MSRs implemented by a board device (the local APIC), or null. */
    MsrExtension msrExtension;
    /** CPUID leaf-1 EDX and ECX bits of features the board provides (the APIC). */
    int boardEdx;
    int boardEcx;
    /** What the time-stamp counter counts (before the TSC offset); the instruction count by default. */
    java.util.function.LongSupplier timeStamp = () -> icount;
    private final CpuFault fault = new CpuFault();
    private final Unimplemented unimplemented = new Unimplemented();

    public Cpu(PhysicalMemory mem, PioBus io) {
        this.mem = mem;
        this.io = io;
        for (int k = 0; k < 6; k++) {
            seg[k] = new Segment();
        }
        this.mmu = new Mmu(this, mem);
        this.code = new CodeCache(this, mem);
        this.blocks = new BlockRunner(this, code);
        this.execMode = BlockRunner.modeProperty();
        this.interrupts = new Interrupts(this);
        this.debug = new Debug(this);
        reset();
    }

    public void setInterruptSource(InterruptSource source) {
        this.intr = source;
        this.intrHint = true;
        this.intrNotifies = source.onChange(this::interruptHint);
    }

    /** The interrupt controller's output may have changed (any thread): re-poll it before the next instruction. */
    public void interruptHint() {
        intrHint = true;
    }

    /** Connects the FERR# output (the PC routes it to IRQ13; a write to port F0h clears it). */
    public void setFerr(dev.vmm.core.irq.IrqLine line) {
        this.ferr = line;
    }

    /**
     * Drives the A20 gate: when disabled, physical address bit 20 is forced to 0 (the 8086 1 MiB
     * wrap-around that real-mode software may rely on). Call on the CPU's thread.
     */
    public void setA20(boolean enabled) {
        long m = enabled ? -1L : ~(1L << 20);
        if (mmu.a20Mask != m) {
            mmu.a20Mask = m;
            mmu.flushAll();
        }
    }

    public boolean a20() {
        return mmu.a20Mask == -1L;
    }

    /**
     * Connects a board's on-chip APIC: its MSRs ({@code msrs}, IA32_APIC_BASE and
     * IA32_TSC_DEADLINE) and its CPUID feature bits.
     */
    public void attachApic(MsrExtension msrs) {
        this.msrExtension = msrs;
        this.boardEdx |= Cpuid.EDX_APIC;
        this.boardEcx |= Cpuid.ECX_TSC_DEADLINE;
    }

    /** The time-stamp counter (what RDTSC returns). */
    public long readTsc() {
        return Msrs.tsc(this);
    }

    /** Makes the TSC count {@code source} (e.g. guest nanoseconds scaled to a clock rate) instead of instructions. */
    public void setTimeStampSource(java.util.function.LongSupplier source) {
        this.timeStamp = source;
    }

    public PhysicalMemory memory() {
        return mem;
    }

    public PioBus io() {
        return io;
    }

    public Mmu mmu() {
        return mmu;
    }

    /** Power-on / RESET state (Intel SDM vol. 3, table 9-1). */
    public void reset() {
        java.util.Arrays.fill(r, 0);
        r[EDX] = Cpuid.RESET_SIGNATURE;
        flags.set(2);
        rip = 0xFFF0;
        for (int k = 0; k < 6; k++) {
            seg[k].set(0, 0, 0xFFFF, Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_ACCESSED);
        }
        seg[CS].set(0xF000, 0xFFFF_0000L, 0xFFFF,
                Segment.A_P | Segment.A_S | Segment.A_CODE | Segment.A_RW | Segment.A_ACCESSED);
        ldtr.set(0, 0, 0xFFFF, Segment.A_P | 2);
        tr.set(0, 0, 0xFFFF, Segment.A_P | 0xB);
        gdtBase = idtBase = 0;
        gdtLimit = idtLimit = 0xFFFF;
        cr0 = CR0_ET | CR0_CD | CR0_NW;
        cr2 = cr3 = cr4 = cr8 = efer = 0;
        java.util.Arrays.fill(dr, 0);
        dr[6] = 0xFFFF0FF0L;
        dr[7] = 0x400;
        debug.reset();
        cpl = 0;
        halted = false;
        shutdown = false;
        inhibit = 0;
        intrHint = true;
        msrs.reset();
        fpu.reset();
        mmu.flushAll();
        code.flushAll();
    }

    // ---- mode queries -------------------------------------------------------------------------

    public boolean protectedMode() {
        return (cr0 & CR0_PE) != 0;
    }

    public boolean v86() {
        return (flags.bits & Flags.VM) != 0;
    }

    /** Decode mode of the current code segment: 16 or 32. */
    public int codeSize() {
        return seg[CS].big() && protectedMode() && !v86() ? 32 : 16;
    }

    /** Stack address size in bytes (SS.B). */
    int stackSize() {
        return seg[SS].big() && protectedMode() && !v86() ? 4 : 2;
    }

    public int iopl() {
        return (flags.bits >>> 12) & 3;
    }

    public boolean isShutdown() {
        return shutdown;
    }

    public long instructionCount() {
        return icount;
    }

    // ---- faults -------------------------------------------------------------------------------

    /** The preallocated fault, set to {@code vector} with error code {@code err} (-1: none). */
    public CpuFault fault(int vector, int err) {
        return fault.set(vector, err);
    }

    public CpuFault gp(int err) {
        return fault.set(Exceptions.GP, err);
    }

    public CpuFault ud() {
        return fault.set(Exceptions.UD, -1);
    }

    // ---- registers ----------------------------------------------------------------------------

    /** Reads general register {@code n} at width {@code size} (size 1: AL..BH numbering). */
    public long reg(int n, int size) {
        return switch (size) {
            case 1 -> n < 4 ? r[n] & 0xFF : (r[n - 4] >>> 8) & 0xFF;
            case 2 -> r[n] & 0xFFFF;
            case 4 -> r[n] & 0xFFFF_FFFFL;
            default -> r[n];
        };
    }

    /** Writes general register {@code n} at width {@code size}; 32-bit writes zero-extend. */
    public void setReg(int n, int size, long v) {
        switch (size) {
            case 1 -> {
                if (n < 4) {
                    r[n] = (r[n] & ~0xFFL) | (v & 0xFF);
                } else {
                    r[n - 4] = (r[n - 4] & ~0xFF00L) | ((v & 0xFF) << 8);
                }
            }
            case 2 -> r[n] = (r[n] & ~0xFFFFL) | (v & 0xFFFF);
            case 4 -> r[n] = v & 0xFFFF_FFFFL;
            default -> r[n] = v;
        }
    }

    /** Masks {@code v} to {@code size} bytes. */
    public static long mask(long v, int size) {
        return switch (size) {
            case 1 -> v & 0xFF;
            case 2 -> v & 0xFFFF;
            case 4 -> v & 0xFFFF_FFFFL;
            default -> v;
        };
    }

    /** Sign-extends the low {@code size} bytes of {@code v}. */
    public static long sext(long v, int size) {
        return switch (size) {
            case 1 -> (byte) v;
            case 2 -> (short) v;
            case 4 -> (int) v;
            default -> v;
        };
    }

    public int eflags() {
        return flags.get();
    }

    // ---- segmented memory ---------------------------------------------------------------------

    /** The offset of the memory operand of {@code i} (base + index*scale + disp, address-size masked). */
    public long ea(Insn i) {
        long a = i.disp;
        if (i.base >= 0) {
            a += r[i.base];
        }
        if (i.index >= 0) {
            a += r[i.index] << i.scale;
        }
        return i.asize == 2 ? a & 0xFFFF : i.asize == 4 ? a & 0xFFFF_FFFFL : a;
    }

    /** Linear address of {@code size} bytes at {@code seg:off} for reading, after the segment checks. */
    public long linearRead(int sg, long off, int size) {
        Segment s = seg[sg];
        if (!s.readable || off < s.lo || off + size - 1 > s.hi) {
            throw segFault(sg, s);
        }
        long lin = (s.base + off) & 0xFFFF_FFFFL;
        if (debugActive) {
            debug.data(lin, size, false);
        }
        return lin;
    }

    /** Linear address of {@code size} bytes at {@code seg:off} for writing, after the segment checks. */
    public long linearWrite(int sg, long off, int size) {
        Segment s = seg[sg];
        if (!s.writable || off < s.lo || off + size - 1 > s.hi) {
            // Real and v86 mode: any segment is writable; only the limit applies.
            if (protectedMode() && !v86() || off < s.lo || off + size - 1 > s.hi) {
                throw segFault(sg, s);
            }
        }
        long lin = (s.base + off) & 0xFFFF_FFFFL;
        if (debugActive) {
            debug.data(lin, size, true);
        }
        return lin;
    }

    private CpuFault segFault(int sg, Segment s) {
        if (sg == SS) {
            return fault(Exceptions.SS, 0);
        }
        return gp(0);
    }

    boolean user() {
        return cpl == 3;
    }

    public int read8(int sg, long off) {
        return mmu.read8(linearRead(sg, off, 1), cpl == 3);
    }

    public int read16(int sg, long off) {
        return mmu.read16(linearRead(sg, off, 2), cpl == 3) & 0xFFFF;
    }

    public long read32(int sg, long off) {
        return mmu.read32(linearRead(sg, off, 4), cpl == 3) & 0xFFFF_FFFFL;
    }

    public long read64(int sg, long off) {
        return mmu.read64(linearRead(sg, off, 8), cpl == 3);
    }

    /** Reads {@code size} (1, 2, 4, 8) bytes at {@code seg:off}, zero-extended. */
    public long read(int sg, long off, int size) {
        return switch (size) {
            case 1 -> read8(sg, off);
            case 2 -> read16(sg, off);
            case 4 -> read32(sg, off);
            default -> read64(sg, off);
        };
    }

    /** Writes {@code size} (1, 2, 4, 8) bytes at {@code seg:off}. */
    public void write(int sg, long off, int size, long v) {
        long lin = linearWrite(sg, off, size);
        boolean u = cpl == 3;
        switch (size) {
            case 1 -> mmu.write8(lin, (int) v, u);
            case 2 -> mmu.write16(lin, (int) v, u);
            case 4 -> mmu.write32(lin, (int) v, u);
            default -> mmu.write64(lin, v, u);
        }
    }

    /** Checks (segment and paging) that {@code size} bytes at {@code seg:off} can be written. */
    public void probeWrite(int sg, long off, int size) {
        mmu.probeWrite(linearWrite(sg, off, size), size, cpl == 3);
    }

    /** Checks (segment and paging) that {@code size} bytes at {@code seg:off} can be read. */
    public void probeRead(int sg, long off, int size) {
        mmu.probeRead(linearRead(sg, off, size), size, cpl == 3);
    }

    /** Supervisor-mode linear reads and writes (descriptor tables, TSS, IDT). */
    public int readLinear8(long lin) {
        return mmu.read8(lin & 0xFFFF_FFFFL, false);
    }

    public int readLinear16(long lin) {
        return mmu.read16(lin & 0xFFFF_FFFFL, false) & 0xFFFF;
    }

    public long readLinear32(long lin) {
        return mmu.read32(lin & 0xFFFF_FFFFL, false) & 0xFFFF_FFFFL;
    }

    public long readLinear64(long lin) {
        return mmu.read64(lin & 0xFFFF_FFFFL, false);
    }

    public void writeLinear8(long lin, int v) {
        mmu.write8(lin & 0xFFFF_FFFFL, v, false);
    }

    public void writeLinear16(long lin, int v) {
        mmu.write16(lin & 0xFFFF_FFFFL, v, false);
    }

    public void writeLinear32(long lin, long v) {
        mmu.write32(lin & 0xFFFF_FFFFL, (int) v, false);
    }

    // ---- operands -----------------------------------------------------------------------------

    /** Reads the ModRM r/m operand at width {@code w}. */
    public long readE(Insn i, int w) {
        return i.mod == 3 ? reg(i.rm, w) : read(i.seg, ea(i), w);
    }

    /** Writes the ModRM r/m operand at width {@code w}. */
    public void writeE(Insn i, int w, long v) {
        if (i.mod == 3) {
            setReg(i.rm, w, v);
        } else {
            write(i.seg, ea(i), w, v);
        }
    }

    public long readG(Insn i, int w) {
        return reg(i.reg, w);
    }

    public void writeG(Insn i, int w, long v) {
        setReg(i.reg, w, v);
    }

    /** Reads operand {@code n} (1..3) of {@code i} as the table describes it. */
    public long op(Insn i, int n) {
        return switch (n) {
            case 1 -> read(i, i.k1, i.w1, i.c1);
            case 2 -> read(i, i.k2, i.w2, i.c2);
            default -> read(i, i.k3, i.w3, i.c3);
        };
    }

    public long op1(Insn i) {
        return read(i, i.k1, i.w1, i.c1);
    }

    public long op2(Insn i) {
        return read(i, i.k2, i.w2, i.c2);
    }

    /** Writes operand 1 of {@code i} (a register or memory destination). */
    public void setOp1(Insn i, long v) {
        switch (i.k1) {
            case Operand.E, Operand.M -> writeE(i, i.w1, v);
            case Operand.G, Operand.Z -> setReg(i.reg, i.w1, v);
            case Operand.REG -> setReg((int) i.c1, i.w1, v);
            case Operand.O -> write(i.seg, i.disp, i.w1, v);
            default -> throw notDestination(i);
        }
    }

    /** Writes operand 2 of {@code i} (XCHG, XADD). */
    public void setOp2(Insn i, long v) {
        switch (i.k2) {
            case Operand.E, Operand.M -> writeE(i, i.w2, v);
            case Operand.G -> setReg(i.reg, i.w2, v);
            case Operand.REG -> setReg((int) i.c2, i.w2, v);
            default -> throw notDestination(i);
        }
    }

    private static IllegalStateException notDestination(Insn i) {
        return new IllegalStateException("not a destination: " + i.entry.notation());
    }

    /** Reads an operand of kind {@code kind}, width {@code w} and decoder constant {@code c} (see {@link Insn#c1}). */
    private long read(Insn i, int kind, int w, long c) {
        return switch (kind) {
            case Operand.E, Operand.M -> readE(i, w);
            case Operand.G, Operand.Z -> reg(i.reg, w);
            case Operand.R -> reg(i.rm, w);
            case Operand.REG -> reg((int) c, w);
            case Operand.I, Operand.IBS -> c;
            case Operand.ONE -> 1;
            case Operand.O -> read(i.seg, i.disp, w);
            case Operand.SREG -> seg[(int) c].selector;
            case Operand.S -> seg[i.reg].selector;
            default -> throw badOperand(i, kind);
        };
    }

    private static IllegalStateException badOperand(Insn i, int kind) {
        return new IllegalStateException("operand kind " + kind + " of " + i.entry.notation());
    }

    // ---- stack --------------------------------------------------------------------------------

    /** Pushes {@code size} bytes; ESP changes only if the write succeeds. */
    public void push(int size, long v) {
        int ss = stackSize();
        long sp = (reg(ESP, ss) - size) & (ss == 2 ? 0xFFFF : 0xFFFF_FFFFL);
        write(SS, sp, size, v);
        setReg(ESP, ss, sp);
    }

    /** Pops {@code size} bytes; ESP changes only if the read succeeds. */
    public long pop(int size) {
        int ss = stackSize();
        long sp = reg(ESP, ss);
        long v = read(SS, sp, size);
        setReg(ESP, ss, sp + size);
        return v;
    }

    /** Reads {@code size} bytes at stack offset {@code delta} above ESP without popping. */
    public long peek(int delta, int size) {
        int ss = stackSize();
        return read(SS, mask(reg(ESP, ss) + delta, ss), size);
    }

    // ---- I/O ----------------------------------------------------------------------------------

    /** Checks I/O permission for {@code size} bytes at {@code port} (IOPL, then the TSS bitmap). */
    public void checkIo(int port, int size) {
        if (protectedMode() && (cpl > iopl() || v86())) {
            interrupts.checkIoBitmap(port, size);
        }
        if (debugActive) {
            debug.io(port, size);
        }
    }

    // ---- execution ----------------------------------------------------------------------------

    /**
     * Asks {@link #run(long)} to return {@link Exit#STOPPED} (any thread). A request made while the
     * CPU is not running is kept until the next run consumes it.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** Dispatch modes ({@link #setExecMode}): one instruction at a time. */
    public static final int EXEC_STEP = 0;
    /** Decoded basic blocks ({@link BlockRunner}). */
    public static final int EXEC_BLOCKS = 1;
    /** Basic blocks, the hot ones compiled to JVM bytecode. */
    public static final int EXEC_JIT = 2;

    /** Chooses how {@link #run(long)} dispatches instructions (the results are the same; for tests and debugging). */
    public void setExecMode(int mode) {
        if (mode < EXEC_STEP || mode > EXEC_JIT) {
            throw new IllegalArgumentException("no such dispatch mode: " + mode);
        }
        this.execMode = mode;
    }

    public int execMode() {
        return execMode;
    }

    /**
     * Runs at most {@code budget} instructions. Returns early on HLT (with no interrupt to take),
     * on shutdown, or when stopped.
     */
    public Exit run(long budget) {
        long end = icount + budget;
        boolean useBlocks = execMode != EXEC_STEP;
        code.maybeSweep(icount);
        while (icount < end) {
            if (shutdown) {
                return Exit.SHUTDOWN;
            }
            if (stopRequested) {
                stopRequested = false;
                return Exit.STOPPED;
            }
            if (halted) {
                if (!interrupts.pollInterrupt()) {
                    return Exit.HALT;
                }
                continue;
            }
            if (useBlocks && blocks.usable()) {
                if (!interrupts.pollInterrupt()) {
                    blocks.runBlock(end - icount, execMode == EXEC_JIT);
                }
            } else {
                step();
            }
        }
        return shutdown ? Exit.SHUTDOWN : Exit.LIMIT;
    }

    /** Executes one instruction (or delivers one pending event). */
    public void step() {
        if (inhibit > 0) {
            inhibit--;
        } else if (interrupts.pollInterrupt()) {
            return;
        }
        startRip = rip;
        execute();
    }

    /** Fetches and executes the instruction at CS:rip ({@link #startRip} is set), delivering its fault. */
    void execute() {
        try {
            if (debugActive && debug.beforeInstruction()) {
                return;
            }
            Insn i = code.fetch();
            current = i;
            // Between instructions no single-step trap is pending, so with TF and RF clear the
            // before/after hooks have nothing to do (unless a debug trap may be pending).
            boolean tf = (flags.bits & (Flags.TF | Flags.RF)) != 0;
            if (tf) {
                interrupts.beforeInstruction();
            }
            rip = (rip + i.len) & (i.mode == 16 ? 0xFFFF : 0xFFFF_FFFFL);
            i.step.exec(this, i);
            icount++;
            if (tf || debugActive) {
                interrupts.afterInstruction();
            }
        } catch (CpuFault f) {
            faulted(f);
        }
    }

    /** The current instruction (at {@link #startRip}) raised {@code f}: rewinds to it and delivers the fault. */
    void faulted(CpuFault f) {
        rip = startRip;
        icount++;
        if (debugActive) {
            debug.discard();
        }
        // A fault pushes RF = 1 (SDM vol. 3, "Instruction-Breakpoint Exception Condition");
        // instruction breakpoints are delivered by Debug, not thrown.
        flags.bits |= Flags.RF;
        interrupts.exception(f.vector, f.errorCode);
    }

    /** The handler of instructions the table knows but no semantics implement: #UD, logged once. */
    Handler unimplemented() {
        return unimplemented;
    }

    private final class Unimplemented implements Handler {
        private final java.util.Set<String> seen = new java.util.HashSet<>();
        private long count;

        @Override
        public void exec(Cpu cpu, Insn i) {
            count++;
            if (seen.add(i.entry.key())) {
                log.warn("unimplemented instruction {} ({}) at {}:{}: raising #UD", i.entry.notation(),
                        instructionBytes(i.len), Integer.toHexString(seg[CS].selector), Long.toHexString(startRip));
            }
            throw ud();
        }
    }

    /** The bytes of the current instruction, for logs ("?" where they cannot be read). */
    String instructionBytes(int len) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < len; k++) {
            if (k > 0) {
                sb.append(' ');
            }
            try {
                sb.append(String.format("%02x", readLinear8(seg[CS].base + ((startRip + k) & 0xFFFF_FFFFL))));
            } catch (CpuFault f) {
                sb.append("??");
            }
        }
        return sb.toString();
    }

    /** How many times an unimplemented instruction was executed. */
    public long unimplementedCount() {
        return unimplemented.count;
    }

    /** Counts an undecodable instruction (the guest gets #UD or #GP, as hardware gives it). */
    void badInstruction(Insn i) {
        invalidCount++;
        if (log.isDebugEnabled()) {
            log.debug("invalid instruction at {}:{}: {}", Integer.toHexString(seg[CS].selector),
                    Long.toHexString(startRip), instructionBytes(Math.max(1, i.len)));
        }
    }

    private long invalidCount;

    /** How many undecodable instructions the guest executed. */
    public long invalidCount() {
        return invalidCount;
    }

    @Override
    public String toString() {
        return String.format("EAX=%08x EBX=%08x ECX=%08x EDX=%08x ESI=%08x EDI=%08x EBP=%08x ESP=%08x%n"
                        + "EIP=%08x EFL=%08x CPL=%d CR0=%08x CR2=%08x CR3=%08x CR4=%08x%n"
                        + "ES=%s%nCS=%s%nSS=%s%nDS=%s%nFS=%s%nGS=%s%nLDT=%s%nTR=%s%n"
                        + "GDT=%08x/%04x IDT=%08x/%04x",
                r[EAX], r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP], r[ESP], rip, eflags(), cpl,
                cr0, cr2, cr3, cr4, seg[ES], seg[CS], seg[SS], seg[DS], seg[FS], seg[GS], ldtr, tr,
                gdtBase, gdtLimit, idtBase, idtLimit);
    }

    // ---- snapshot -----------------------------------------------------------------------------

    /** Captures the architectural state (call between instructions, on the CPU's thread). */
    @Override
    public CpuState save() {
        return CpuState.capture(this);
    }

    /** Restores {@code state}; the TLB, code cache, PAE PDPTEs and debug masks are rebuilt. */
    @Override
    public void restore(CpuState state) {
        state.applyTo(this);
        intrHint = true;
    }
}

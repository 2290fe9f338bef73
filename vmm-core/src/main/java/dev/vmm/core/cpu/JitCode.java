package dev.vmm.core.cpu;

import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * The code-generation primitives of {@link JitEmit}: the locals of the generated method, the guest
 * registers kept in locals, operands and memory accesses ({@link JitMem}), and the arithmetic flags
 * kept in locals.
 *
 * <p>The flags: an instruction that sets them stores its operands, result, carry and lazy kind
 * ({@link Flags}) in locals instead of {@link Cpu#flags}; a Jcc or ADC/SBB that follows reads them
 * from there with the condition specialized for the producing instruction (HotSpot drops the
 * locals nobody reads). The compile-time {@link #fam} says whether the locals or {@link Cpu#flags}
 * hold the current flags; before anything else looks at {@link Cpu#flags} (a handler, a miss, the
 * end of the block) {@link #spill} writes them back exactly as the interpreter would have recorded
 * them.
 */
abstract class JitCode {
    // Locals of the generated method beyond those of Jit.
    static final int R = 11;
    static final int FK = 12;
    static final int FA = 13;
    static final int FB = 15;
    static final int FR = 17;
    static final int FCF = 19;
    static final int TA = 20;
    static final int TB = 22;
    static final int TR = 24;
    static final int TOFF = 26;
    static final int TCF = 28;
    static final int TK = 29;
    static final int TV = 30;
    static final int FX = 32;
    /** The inline form whose memory access may miss: the miss handler serves it (see {@link Jit}). */
    static final int IDX = 33;
    /** The JIT TLB's privilege tag of the region's accesses (0, or {@link Mmu#USER_TAG} at CPL 3), set at entry. */
    static final int UTAG = 34;

    /** Where the flags are: in {@link Cpu#flags}, or in the locals as left by one of these families. */
    static final int MEM = 0;
    static final int F_ADD = 1;
    static final int F_SUB = 2;
    static final int F_LOGIC = 3;
    static final int F_INC = 4;
    static final int F_DEC = 5;
    /** Eager flags from a result: ZF SF PF from FR, CF OF AF as EFLAGS bits in FX (MUL, IMUL, shifts). */
    static final int F_RES = 6;

    static final ClassDesc CD_SELF = ClassDesc.of("dev.vmm.core.cpu.JitOps");
    static final ClassDesc CD_MEM = ClassDesc.of("dev.vmm.core.cpu.JitMem");
    static final ClassDesc CD_SEGMENT = ClassDesc.of("dev.vmm.core.cpu.Segment");
    static final ClassDesc CD_LONGS = CD_long.arrayType();
    static final ClassDesc CD_RAM = ClassDesc.of("java.lang.foreign.MemorySegment");
    static final ClassDesc CD_MISS = ClassDesc.of("dev.vmm.core.cpu.JitMem$Miss");
    static final ClassDesc CD_FLAGS = ClassDesc.of("dev.vmm.core.cpu.Flags");
    static final ClassDesc CD_BRANCH = ClassDesc.of("dev.vmm.core.cpu.BranchOps");
    // JitMem's accesses: through a segment, and (the ...f forms) through a flat one.
    private static final MethodTypeDesc MTD_READ = MethodTypeDesc.of(CD_long, CD_LONGS, CD_LONGS, CD_RAM, CD_SEGMENT,
            CD_long, CD_long);
    private static final MethodTypeDesc MTD_READ_FLAT = MethodTypeDesc.of(CD_long, CD_LONGS, CD_LONGS, CD_RAM,
            CD_long, CD_long);
    private static final MethodTypeDesc MTD_WRITE = MethodTypeDesc.of(CD_void, CD_LONGS, CD_LONGS, CD_RAM, CD_SEGMENT,
            CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MTD_WRITE_FLAT = MethodTypeDesc.of(CD_void, CD_LONGS, CD_LONGS, CD_RAM,
            CD_long, CD_long, CD_long);
    // ... and (the ...p forms) at a physical address.
    private static final MethodTypeDesc MTD_READ_PHYS = MethodTypeDesc.of(CD_long, CD_LONGS, CD_LONGS, CD_RAM,
            CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MTD_WRITE_PHYS = MethodTypeDesc.of(CD_void, CD_LONGS, CD_LONGS, CD_RAM,
            java.lang.constant.ConstantDescs.CD_byte.arrayType(), CD_long, CD_long, CD_long, CD_long);


    /** The local of general register n (0..7) is REGS + 2n, for the registers of {@link #used}. */
    static final int REGS = 36;

    final CodeBuilder c;
    /** The flags' place at the current point of the code (MEM or a family) and their width. */
    int fam = MEM;
    int fsize;
    /** The general registers the inline forms of the block touch: they live in locals (see {@link #loadRegs}). */
    final boolean[] used = new boolean[8];

    /** The CPU's objects the memory accesses use, as constants of the compiled class: see {@link Memory}. */
    final Memory memory;

    /**
     * The constants of the compiled class that the memory accesses ({@link JitMem}) use: the CPU's
     * segment registers ({@code segments[n]}), the JIT TLB's arrays and guest RAM. As constants,
     * HotSpot folds their addresses and lengths into the code. {@code flat[n]}: segment register n
     * was {@link Segment#flat} when the region was compiled, so its accesses skip the segment checks
     * (and the region checks at entry that it still is, {@link #flatUsed}).
     */
    record Memory(ConstantDesc[] segments, boolean[] flat, ConstantDesc readTag, ConstantDesc readPa,
            ConstantDesc writeTag, ConstantDesc writePa, ConstantDesc ram, Physical physical) {
    }

    /**
     * For a region compiled while linear addresses were physical ones ({@link Mmu#physical}): the
     * accesses through flat segments go to RAM directly within the window of {@code span} bytes from
     * {@link JitMem#LOW_RAM} (layout count {@code layout}), writes checked against the page kinds
     * {@code kinds}; the region checks at entry that both still hold ({@link JitMem#requirePhysical}
     * with the MMU {@code mmu}). Null in other regions.
     */
    record Physical(ConstantDesc mmu, ConstantDesc kinds, long span, int layout) {
    }

    /** The segment registers whose accesses were compiled for a flat segment ({@link Memory#flat}). */
    final boolean[] flatUsed;
    /** True if an access was compiled as a physical one ({@link Memory#physical}). */
    boolean physicalUsed;

    JitCode(CodeBuilder c, Memory memory) {
        this.c = c;
        this.memory = memory;
        this.flatUsed = new boolean[memory.flat().length];
    }

    /**
     * Loads the {@link #used} registers from {@link Cpu#r} into their locals: at the start, and after
     * anything else may have changed them (a handler). Between these points the inline forms work on
     * the locals only, and {@link #storeRegs} writes them back before anything else looks.
     */
    void loadRegs() {
        for (int n = 0; n < 8; n++) {
            if (used[n]) {
                c.aload(R);
                c.loadConstant(n);
                c.laload();
                c.lstore(REGS + 2 * n);
            }
        }
    }

    /** Writes the register locals back to {@link Cpu#r} (before a handler, and on every way out). */
    void storeRegs() {
        for (int n = 0; n < 8; n++) {
            if (used[n]) {
                c.aload(R);
                c.loadConstant(n);
                c.lload(REGS + 2 * n);
                c.lastore();
            }
        }
    }

    /** Loads {@link Cpu#r} into its local and zeroes the flag locals (the verifier wants them set everywhere). */
    void prologue() {
        c.aload(Jit.CPU);
        c.getfield(Jit.CD_CPU, "r", long[].class.describeConstable().orElseThrow());
        c.astore(R);
        c.iconst_0();
        c.istore(FK);
        c.iconst_0();
        c.istore(FCF);
        c.iconst_0();
        c.istore(FX);
        c.iconst_m1();
        c.istore(IDX);
        Label kernel = c.newLabel();
        Label tagged = c.newLabel();
        c.aload(Jit.CPU);
        c.getfield(Jit.CD_CPU, "cpl", CD_int);
        c.iconst_3();
        c.if_icmpne(kernel);
        c.loadConstant(Mmu.USER_TAG);
        c.goto_(tagged);
        c.labelBinding(kernel);
        c.lconst_0();
        c.labelBinding(tagged);
        c.lstore(UTAG);
        loadRegs();
        for (int slot : new int[] {FA, FB, FR}) {
            c.lconst_0();
            c.lstore(slot);
        }
        fam = MEM;
    }

    /** The register number of a register operand (E with mod 3, G, Z, REG), or -1. */
    static int reg(Insn i, int kind, long fixed) {
        return switch (kind) {
            case Operand.E -> i.mod == 3 ? i.rm : -1;
            case Operand.G, Operand.Z -> i.reg;
            case Operand.REG -> (int) fixed;
            default -> -1;
        };
    }

    static boolean mem(Insn i, int kind) {
        return (kind == Operand.E || kind == Operand.M) && i.mod != 3;
    }

    /** Pushes bit {@code bit} of the long local {@code slot} as an int 0/1. */
    void msbOf(int slot, int bit) {
        c.lload(slot);
        c.loadConstant(bit);
        c.lushr();
        c.l2i();
        c.loadConstant(1);
        c.iand();
    }

    // ---- flags ------------------------------------------------------------------------------

    /** Pushes CF (int 0/1). */
    void carry() {
        if (fam == MEM) {
            c.aload(Jit.CPU);
            c.getfield(Jit.CD_CPU, "flags", CD_FLAGS);
            c.invokevirtual(CD_FLAGS, "cf", MethodTypeDesc.of(CD_int));
        } else {
            c.iload(FCF);
        }
    }

    /** Writes the flag locals back to {@link Cpu#flags} if they hold the flags; after it, they are in memory. */
    void spill() {
        spill(c, fam, fsize);
        fam = MEM;
    }

    /** The code of {@link #spill} for the state {@code family}/{@code size} (changes no compile-time state). */
    static void spill(CodeBuilder c, int family, int size) {
        if (family == MEM) {
            return;
        }
        if (family == F_RES) {
            c.aload(Jit.CPU);
            c.getfield(Jit.CD_CPU, "flags", CD_FLAGS);
            c.lload(FR);
            c.loadConstant(size);
            c.iload(FX);
            c.invokevirtual(CD_FLAGS, "setResult", MethodTypeDesc.of(CD_void, CD_long, CD_int, CD_int));
            return;
        }
        c.aload(Jit.CPU);
        c.iload(FK);
        c.loadConstant(size);
        c.lload(FA);
        c.lload(FB);
        c.lload(FR);
        c.iload(FCF);
        c.invokestatic(CD_SELF, "spill", MethodTypeDesc.of(CD_void, Jit.CD_CPU, CD_int, CD_int, CD_long, CD_long,
                CD_long, CD_int));
    }

    /** Pushes the flag locals: FK, FA, FB, FR, FCF, FX (the last arguments of JitOps.miss). */
    void pushFlagLocals() {
        c.iload(FK);
        c.lload(FA);
        c.lload(FB);
        c.lload(FR);
        c.iload(FCF);
        c.iload(FX);
    }

    /** Pushes condition {@code cc} (Jcc's low nibble) as an int 0/1. */
    void cond(int cc) {
        if (fam == MEM) {
            c.aload(Jit.CPU);
            c.getfield(Jit.CD_CPU, "flags", CD_FLAGS);
            c.loadConstant(cc);
            c.invokevirtual(CD_FLAGS, "cond", MethodTypeDesc.of(CD_boolean, CD_int));
            return;
        }
        int bits = fsize * 8;
        switch (cc >>> 1) {
            case 0 -> of();
            case 1 -> c.iload(FCF);
            case 2 -> zf();
            case 3 -> {
                c.iload(FCF);
                zf();
                c.ior();
            }
            case 4 -> msbOf(FR, bits - 1);
            case 5 -> {
                c.lload(FR);
                c.l2i();
                c.loadConstant(0xFF);
                c.iand();
                c.invokestatic(ClassDesc.of("java.lang.Integer"), "bitCount", MethodTypeDesc.of(CD_int, CD_int));
                c.loadConstant(1);
                c.iand();
                c.loadConstant(1);
                c.ixor();
            }
            case 6 -> {
                msbOf(FR, bits - 1);
                of();
                c.ixor();
            }
            default -> {
                msbOf(FR, bits - 1);
                of();
                c.ixor();
                zf();
                c.ior();
            }
        }
        if ((cc & 1) != 0) {
            c.loadConstant(1);
            c.ixor();
        }
    }

    /** ZF as int: FR is masked, so FR - 1 is negative exactly when FR is 0. */
    void zf() {
        c.lload(FR);
        c.lconst_1();
        c.lsub();
        c.loadConstant(63);
        c.lushr();
        c.l2i();
    }

    void of() {
        int bits = fsize * 8;
        long sign = 1L << (bits - 1);
        switch (fam) {
            case F_ADD, F_SUB -> {
                c.lload(FA);
                if (fam == F_ADD) {
                    c.lload(FR);
                    c.lxor();
                    c.lload(FB);
                    c.lload(FR);
                } else {
                    c.lload(FB);
                    c.lxor();
                    c.lload(FA);
                    c.lload(FR);
                }
                c.lxor();
                c.land();
                c.loadConstant(bits - 1);
                c.lushr();
                c.l2i();
                c.loadConstant(1);
                c.iand();
            }
            case F_INC, F_DEC -> {
                c.lload(FR);
                c.loadConstant(fam == F_INC ? sign : sign - 1);
                c.lxor();
                c.lconst_1();
                c.lsub();
                c.loadConstant(63);
                c.lushr();
                c.l2i();
            }
            case F_RES -> {
                c.iload(FX);
                c.loadConstant(11);
                c.iushr();
                c.loadConstant(1);
                c.iand();
            }
            default -> c.iconst_0();
        }
    }

    /**
     * Jcc as the last instruction: rip is already the next instruction's (local NEXT); a taken one
     * sets it to the target, or, beyond the CS limit, raises the #GP with the registers stored.
     */
    void jcc(Insn i) {
        cond(i.opcode & 0xF);
        c.istore(TCF);
        spill();
        Label skip = c.newLabel();
        c.iload(TCF);
        c.ifeq(skip);
        c.lload(Jit.NEXT);
        c.loadConstant(i.imm);
        c.ladd();
        c.loadConstant(mask(i.osize));
        c.land();
        c.lstore(TA);
        Label ok = c.newLabel();
        ifWithinCsLimit(ok);
        // Beyond the CS limit: BranchOps.branch raises the #GP, with the block's registers written.
        storeRegs();
        c.aload(Jit.CPU);
        c.lload(TA);
        c.loadConstant(i.osize);
        c.invokestatic(CD_BRANCH, "branch", MethodTypeDesc.of(CD_void, Jit.CD_CPU, CD_long, CD_int));
        c.labelBinding(ok);
        c.aload(Jit.CPU);
        c.lload(TA);
        c.putfield(Jit.CD_CPU, "rip", CD_long);
        c.labelBinding(skip);
    }

    /** Jumps to {@code ok} if TA is within the CS limit (falls through if beyond it). */
    void ifWithinCsLimit(Label ok) {
        c.lload(TA);
        c.loadConstant(memory.segments()[Cpu.CS]);
        c.getfield(CD_SEGMENT, "limit", CD_long);
        c.lcmp();
        c.ifle(ok);
    }

    // ---- operands ---------------------------------------------------------------------------

    static long mask(int w) {
        return w == 1 ? 0xFF : w == 2 ? 0xFFFF : 0xFFFF_FFFFL;
    }

    void signExtend(int w) {
        c.l2i();
        if (w == 1) {
            c.i2b();
        } else if (w == 2) {
            c.i2s();
        }
        c.i2l();
    }

    /** Pushes register {@code n} at width {@code w} (1: AL..BH numbering). */
    void getReg(int n, int w) {
        boolean high = w == 1 && n >= 4;
        c.lload(REGS + 2 * (high ? n - 4 : n));
        if (high) {
            c.loadConstant(8);
            c.lushr();
        }
        c.loadConstant(mask(w));
        c.land();
    }

    /** Pops a long into register {@code n} at width {@code w} (32-bit writes zero-extend). */
    void setReg(int n, int w) {
        if (w == 4) {
            c.loadConstant(0xFFFF_FFFFL);
            c.land();
            c.lstore(REGS + 2 * n);
            return;
        }
        int slot = REGS + 2 * (w == 1 && n >= 4 ? n - 4 : n);
        int shift = w == 1 && n >= 4 ? 8 : 0;
        long m = mask(w);
        c.loadConstant(m);
        c.land();
        if (shift != 0) {
            c.loadConstant(shift);
            c.lshl();
        }
        c.lload(slot);
        c.loadConstant(~(m << shift));
        c.land();
        c.lor();
        c.lstore(slot);
    }

    /** Pushes operand (kind, fixed) of {@code i} at width {@code w}: a register, an immediate or memory. */
    void operand(Insn i, int kind, long fixed, int w) {
        int r = reg(i, kind, fixed);
        if (r >= 0) {
            getReg(r, w);
        } else if (kind == Operand.I || kind == Operand.IBS) {
            c.loadConstant(fixed);
        } else {
            read(i, w, false);
        }
    }

    /** Pushes the memory operand's offset (base + index << scale + disp, masked to the address size). */
    void ea(Insn i) {
        c.loadConstant(i.disp);
        if (i.base >= 0) {
            c.lload(REGS + 2 * i.base);
            c.ladd();
        }
        if (i.index >= 0) {
            c.lload(REGS + 2 * i.index);
            if (i.scale != 0) {
                c.loadConstant(i.scale);
                c.lshl();
            }
            c.ladd();
        }
        if (i.asize == 2) {
            c.loadConstant(0xFFFFL);
            c.land();
        } else if (i.asize == 4) {
            c.loadConstant(0xFFFF_FFFFL);
            c.land();
        }
    }

    /** Pushes {@code w} bytes of the memory operand, at TOFF if {@code atOff}, else at its computed address. */
    void read(Insn i, int w, boolean atOff) {
        boolean flat = flat(i.seg);
        boolean physical = flat && memory.physical() != null;
        c.loadConstant(memory.readTag());
        c.loadConstant(memory.readPa());
        c.loadConstant(memory.ram());
        if (!flat) {
            c.loadConstant(memory.segments()[i.seg]);
        }
        if (atOff) {
            c.lload(TOFF);
        } else {
            ea(i);
        }
        c.lload(UTAG);
        if (physical) {
            physical("read" + w * 8 + "p", MTD_READ_PHYS);
        } else {
            c.invokestatic(CD_MEM, "read" + w * 8 + (flat ? "f" : ""), flat ? MTD_READ_FLAT : MTD_READ);
        }
    }

    /** True if accesses through segment register {@code n} are compiled for a flat segment (noted in {@link #flatUsed}). */
    private boolean flat(int n) {
        if (memory.flat()[n]) {
            flatUsed[n] = true;
            return true;
        }
        return false;
    }

    /** The dword at SS:TOFF ({@code write}: TV written there, else the dword pushed), through a 32-bit stack. */
    void stack(boolean write) {
        boolean flat = flat(Cpu.SS);     // a flat segment is big: a 32-bit stack
        boolean physical = flat && memory.physical() != null;
        c.loadConstant(write ? memory.writeTag() : memory.readTag());
        c.loadConstant(write ? memory.writePa() : memory.readPa());
        c.loadConstant(memory.ram());
        if (!flat) {
            c.loadConstant(memory.segments()[Cpu.SS]);
        } else if (physical && write) {
            c.loadConstant(memory.physical().kinds());
        }
        c.lload(TOFF);
        if (write) {
            c.lload(TV);
        }
        c.lload(UTAG);
        if (physical) {
            physical(write ? "write32p" : "read32p", write ? MTD_WRITE_PHYS : MTD_READ_PHYS);
        } else if (flat) {
            c.invokestatic(CD_MEM, write ? "write32f" : "read32f", write ? MTD_WRITE_FLAT : MTD_READ_FLAT);
        } else {
            c.invokestatic(CD_MEM, write ? "push32" : "pop32", write ? MTD_WRITE : MTD_READ);
        }
    }

    /** Writes TV to the memory operand at TOFF. */
    void write(Insn i, int w) {
        boolean flat = flat(i.seg);
        boolean physical = flat && memory.physical() != null;
        c.loadConstant(memory.writeTag());
        c.loadConstant(memory.writePa());
        c.loadConstant(memory.ram());
        if (!flat) {
            c.loadConstant(memory.segments()[i.seg]);
        } else if (physical) {
            c.loadConstant(memory.physical().kinds());
        }
        c.lload(TOFF);
        c.lload(TV);
        c.lload(UTAG);
        if (physical) {
            physical("write" + w * 8 + "p", MTD_WRITE_PHYS);
        } else {
            c.invokestatic(CD_MEM, "write" + w * 8 + (flat ? "f" : ""), flat ? MTD_WRITE_FLAT : MTD_WRITE);
        }
    }

    /** Calls the physical access {@code name} of {@link JitMem}, its window's length the last argument. */
    private void physical(String name, MethodTypeDesc type) {
        c.loadConstant(memory.physical().span());
        c.invokestatic(CD_MEM, name, type);
        physicalUsed = true;
    }
}

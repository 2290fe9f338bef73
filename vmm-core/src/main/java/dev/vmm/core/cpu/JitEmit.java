package dev.vmm.core.cpu;

import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * Emits the frequent instruction forms as straight-line bytecode (no calls on the fast path), for
 * {@link Jit}: the general registers are read and written in {@link Cpu#r} directly, memory goes
 * through {@link JitMem}, and the arithmetic flags are kept in locals of the generated method.
 *
 * <p>The flags: an instruction that sets them stores its operands, result, carry and lazy kind
 * ({@link Flags}) in locals instead of {@link Cpu#flags}; a Jcc or ADC/SBB that follows reads them
 * from there with the condition specialized for the producing instruction (HotSpot drops the
 * locals nobody reads). The compile-time {@link #fam} says whether the locals or {@link Cpu#flags}
 * hold the current flags; before anything else looks at {@link Cpu#flags} (a handler, a fault, an
 * early exit, the end of the block) {@link #spill} writes them back exactly as the interpreter
 * would have recorded them.
 *
 * <p>Every form reads its operands first, then writes its destination (the only step that may
 * fault after a read), and only then updates the flag locals, so a fault leaves no trace.
 */
final class JitEmit {
    // Locals of the generated method beyond those of Jit.
    static final int R = 11;
    private static final int FK = 12;
    private static final int FA = 13;
    private static final int FB = 15;
    private static final int FR = 17;
    private static final int FCF = 19;
    private static final int TA = 20;
    private static final int TB = 22;
    private static final int TR = 24;
    private static final int TOFF = 26;
    private static final int TCF = 28;
    private static final int TK = 29;
    private static final int TV = 30;
    private static final int FX = 32;
    /** The instruction whose fault or leave the common handlers serve (see {@link Jit}). */
    static final int IDX = 33;

    /** Where the flags are: in {@link Cpu#flags}, or in the locals as left by one of these families. */
    static final int MEM = 0;
    static final int F_ADD = 1;
    static final int F_SUB = 2;
    static final int F_LOGIC = 3;
    static final int F_INC = 4;
    static final int F_DEC = 5;
    /** Eager flags from a result: ZF SF PF from FR, CF OF AF as EFLAGS bits in FX (MUL, IMUL, shifts). */
    static final int F_RES = 6;

    private static final ClassDesc CD_SELF = ClassDesc.of("dev.vmm.core.cpu.JitOps");
    private static final ClassDesc CD_MEM = ClassDesc.of("dev.vmm.core.cpu.JitMem");
    static final ClassDesc CD_SEGMENT = ClassDesc.of("dev.vmm.core.cpu.Segment");
    private static final ClassDesc CD_FLAGS = ClassDesc.of("dev.vmm.core.cpu.Flags");
    private static final ClassDesc CD_BRANCH = ClassDesc.of("dev.vmm.core.cpu.BranchOps");

    private static final int ADD = 0;
    private static final int OR = 1;
    private static final int ADC = 2;
    private static final int SBB = 3;
    private static final int AND = 4;
    private static final int SUB = 5;
    private static final int XOR = 6;
    private static final int CMP = 7;
    private static final int TEST = 8;
    private static final int MOV = 9;

    /** The local of general register n (0..7) is REGS + 2n, for the registers of {@link #used}. */
    private static final int REGS = 36;

    private final CodeBuilder c;
    /** The flags' place at the current point of the code (MEM or a family) and their width. */
    int fam = MEM;
    int fsize;
    /** The general registers the inline forms of the block touch: they live in locals (see {@link #loadRegs}). */
    private final boolean[] used = new boolean[8];

    /** The CPU's segment register {@code n} as a constant of the compiled class. */
    private final java.util.function.IntFunction<java.lang.constant.ConstantDesc> segments;

    /** An emitter for the first {@code count} instructions of {@code ins}. */
    JitEmit(CodeBuilder c, Insn[] ins, int count, java.util.function.IntFunction<java.lang.constant.ConstantDesc> segments) {
        this.c = c;
        this.segments = segments;
        for (int k = 0; k < count; k++) {
            Insn i = ins[k];
            if (!supported(i)) {
                continue;
            }
            for (int r : new int[] {reg(i, i.k1, i.c1), reg(i, i.k2, i.c2), i.base, i.index}) {
                if (r >= 0 && r < 8) {
                    used[r] = true;
                    used[r & 3] |= r >= 4;     // AH..BH are bits 8-15 of EAX..EBX
                }
            }
            if (i.entry.key().equals("MUL")) {
                used[Cpu.EAX] = true;
                used[Cpu.EDX] = true;
            }
            if (i.entry.key().equals("LEA") || i.entry.key().equals("IMUL2") || i.entry.key().equals("CMOVCC")
                    || i.entry.key().equals("MOVZX") || i.entry.key().equals("MOVSX")) {
                used[i.reg] = true;
            }
        }
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
        loadRegs();
        for (int slot : new int[] {FA, FB, FR}) {
            c.lconst_0();
            c.lstore(slot);
        }
        fam = MEM;
    }

    // ---- which forms ------------------------------------------------------------------------

    /** True if {@link #emit} compiles {@code i} inline (it then leaves rip and the count alone). */
    static boolean supported(Insn i) {
        if (i.entry == null || i.mode == 64) {
            return false;
        }
        String key = i.entry.key();
        int n = i.operandCount();
        int w = i.w1;
        if (w != 1 && w != 2 && w != 4) {
            return false;
        }
        return switch (key) {
            case "LEA" -> i.mod != 3;
            case "INC", "DEC" -> n == 1 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1));
            case "MUL" -> n == 1 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1));
            case "SETCC" -> n == 1 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1));
            case "CMOVCC" -> n == 2 && w != 1 && i.w2 == w && reg(i, i.k1, i.c1) >= 0
                    && (reg(i, i.k2, i.c2) >= 0 || mem(i, i.k2));
            case "IMUL2" -> n == 2 && w != 1 && i.w2 == w && reg(i, i.k1, i.c1) >= 0
                    && (reg(i, i.k2, i.c2) >= 0 || mem(i, i.k2));
            case "MOVZX", "MOVSX" -> n == 2 && reg(i, i.k1, i.c1) >= 0
                    && (reg(i, i.k2, i.c2) >= 0 || mem(i, i.k2)) && (i.w2 == 1 || i.w2 == 2);
            case "SHL", "SHR", "SAR" -> n == 2 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1))
                    && constCount(i) > 0 && constCount(i) < w * 8;
            default -> aluOp(key) >= 0 && n == 2 && i.w2 == w && aluShape(i);
        };
    }

    /** The count of a shift by 1 or an immediate, masked as the CPU does; -1 for CL. */
    private static int constCount(Insn i) {
        return switch (i.k2) {
            case Operand.ONE -> 1;
            case Operand.I -> (int) i.c2 & 0x1F;
            default -> -1;
        };
    }

    private static int aluOp(String key) {
        return switch (key) {
            case "ADD" -> ADD;
            case "OR" -> OR;
            case "ADC" -> ADC;
            case "SBB" -> SBB;
            case "AND" -> AND;
            case "SUB" -> SUB;
            case "XOR" -> XOR;
            case "CMP" -> CMP;
            case "TEST" -> TEST;
            case "MOV" -> MOV;
            default -> -1;
        };
    }

    private static boolean aluShape(Insn i) {
        int dst = reg(i, i.k1, i.c1);
        int src = reg(i, i.k2, i.c2);
        boolean srcImm = i.k2 == Operand.I || i.k2 == Operand.IBS;
        return dst >= 0 && (src >= 0 || srcImm || mem(i, i.k2)) || mem(i, i.k1) && (src >= 0 || srcImm);
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

    /** True if the inline form of {@code i} accesses memory. */
    static boolean touchesMemory(Insn i) {
        return i.modrmByte >= 0 && i.mod != 3 && !i.entry.key().equals("LEA");
    }

    // ---- emission ---------------------------------------------------------------------------

    /** Emits {@code i} (a {@link #supported} form). */
    void emit(Insn i) {
        String key = i.entry.key();
        switch (key) {
            case "LEA" -> {
                ea(i);
                setReg(i.reg, i.osize);
            }
            case "INC", "DEC" -> incDec(i, key.equals("INC"));
            case "MUL" -> mul(i);
            case "SETCC" -> {
                int r = reg(i, i.k1, i.c1);
                if (r < 0) {
                    ea(i);
                    c.lstore(TOFF);
                }
                cond(i.opcode & 0xF);
                c.i2l();
                if (r < 0) {
                    c.lstore(TV);
                    write(i, 1);
                } else {
                    setReg(r, 1);
                }
            }
            case "CMOVCC" -> {
                int w = i.w1;
                operand(i, i.k2, i.c2, w);
                c.lstore(TB);
                Label keep = c.newLabel();
                Label done = c.newLabel();
                cond(i.opcode & 0xF);
                c.ifeq(keep);
                c.lload(TB);
                setReg(i.reg, w);
                c.goto_(done);
                c.labelBinding(keep);
                // 32-bit: the destination is written (zero-extended) either way
                if (w == 4) {
                    getReg(i.reg, 4);
                    setReg(i.reg, 4);
                }
                c.labelBinding(done);
            }
            case "IMUL2" -> imul2(i);
            case "MOVZX", "MOVSX" -> {
                operand(i, i.k2, i.c2, i.w2);
                if (key.equals("MOVSX")) {
                    signExtend(i.w2);
                    c.loadConstant(mask(i.w1));
                    c.land();
                }
                setReg(i.reg, i.w1);
            }
            case "SHL", "SHR", "SAR" -> shift(i, key);
            default -> alu(i, aluOp(key));
        }
    }

    private void alu(Insn i, int op) {
        int w = i.w1;
        int dst = reg(i, i.k1, i.c1);
        boolean dstMem = dst < 0;
        if (op == MOV) {
            if (dstMem) {
                ea(i);
                c.lstore(TOFF);
                operand(i, i.k2, i.c2, w);
                c.lstore(TV);
                write(i, w);
            } else {
                operand(i, i.k2, i.c2, w);
                setReg(dst, w);
            }
            return;
        }
        if (dstMem) {
            ea(i);
            c.lstore(TOFF);
            read(i, w, true);
        } else {
            getReg(dst, w);
        }
        c.lstore(TA);
        operand(i, i.k2, i.c2, w);
        c.lstore(TB);
        int bits = w * 8;
        switch (op) {
            case ADD, ADC, SUB, SBB, CMP -> {
                boolean add = op == ADD || op == ADC;
                boolean carry = op == ADC || op == SBB;
                if (carry) {
                    carry();
                    c.istore(TCF);
                }
                c.lload(TA);
                c.lload(TB);
                if (add) {
                    c.ladd();
                } else {
                    c.lsub();
                }
                if (carry) {
                    c.iload(TCF);
                    c.i2l();
                    if (add) {
                        c.ladd();
                    } else {
                        c.lsub();
                    }
                    c.loadConstant(add ? Flags.ADD : Flags.SUB);
                    c.iload(TCF);
                    c.iadd();
                    c.istore(TK);
                } else {
                    c.loadConstant(add ? Flags.ADD : Flags.SUB);
                    c.istore(TK);
                }
                c.dup2();
                c.loadConstant(add ? bits : 63);
                c.lushr();
                c.l2i();
                c.loadConstant(1);
                c.iand();
                c.istore(TCF);
                c.loadConstant(mask(w));
                c.land();
                c.lstore(TR);
            }
            default -> {
                c.lload(TA);
                c.lload(TB);
                switch (op) {
                    case OR -> c.lor();
                    case XOR -> c.lxor();
                    default -> c.land();
                }
                c.lstore(TR);
            }
        }
        if (op != CMP && op != TEST) {
            c.lload(TR);
            if (dstMem) {
                c.lstore(TV);
                write(i, w);
            } else {
                setReg(dst, w);
            }
        }
        boolean logic = op == OR || op == AND || op == XOR || op == TEST;
        if (logic) {
            c.lconst_0();
            c.lstore(FA);
            c.lconst_0();
            c.lstore(FB);
            c.iconst_0();
            c.istore(FCF);
            c.loadConstant(Flags.LOGIC);
            c.istore(FK);
            fam = F_LOGIC;
        } else {
            c.lload(TA);
            c.lstore(FA);
            c.lload(TB);
            c.lstore(FB);
            c.iload(TCF);
            c.istore(FCF);
            c.iload(TK);
            c.istore(FK);
            fam = op == ADD || op == ADC ? F_ADD : F_SUB;
        }
        c.lload(TR);
        c.lstore(FR);
        fsize = w;
    }

    private void incDec(Insn i, boolean inc) {
        int w = i.w1;
        int r = reg(i, i.k1, i.c1);
        carry();
        c.istore(TCF);
        if (r < 0) {
            ea(i);
            c.lstore(TOFF);
            read(i, w, true);
        } else {
            getReg(r, w);
        }
        c.dup2();
        c.lstore(TA);
        c.lconst_1();
        if (inc) {
            c.ladd();
        } else {
            c.lsub();
        }
        c.loadConstant(mask(w));
        c.land();
        c.dup2();
        c.lstore(TR);
        if (r < 0) {
            c.lstore(TV);
            write(i, w);
        } else {
            setReg(r, w);
        }
        c.lload(TA);
        c.lstore(FA);
        c.lconst_1();
        c.lstore(FB);
        c.lload(TR);
        c.lstore(FR);
        c.iload(TCF);
        c.istore(FCF);
        c.loadConstant(inc ? Flags.INC : Flags.DEC);
        c.istore(FK);
        fam = inc ? F_INC : F_DEC;
        fsize = w;
    }

    private void imul2(Insn i) {
        int w = i.w1;
        getReg(i.reg, w);
        signExtend(w);
        operand(i, i.k2, i.c2, w);
        signExtend(w);
        c.lmul();
        c.dup2();
        c.lstore(TR);
        c.loadConstant(mask(w));
        c.land();
        setReg(i.reg, w);
        // overflow: the product differs from its truncation sign-extended
        c.lload(TR);
        c.lload(TR);
        signExtend(w);
        c.lcmp();
        c.loadConstant(1);
        c.iand();
        resultFlags(w, Flags.CF | Flags.OF);
    }

    /**
     * MUL: AX = AL * r/m8, DX:AX = AX * r/m16, EDX:EAX = EAX * r/m32; CF = OF = high half non-zero,
     * ZF SF PF from the low half (as {@link MulDivOps#mul}).
     */
    private void mul(Insn i) {
        int w = i.w1;
        int bits = w * 8;
        operand(i, i.k1, i.c1, w);
        getReg(Cpu.EAX, w);
        c.lmul();
        c.dup2();
        c.lstore(TR);
        if (w == 1) {
            setReg(Cpu.EAX, 2);
        } else {
            c.loadConstant(mask(w));
            c.land();
            setReg(Cpu.EAX, w);
            c.lload(TR);
            c.loadConstant(bits);
            c.lushr();
            c.loadConstant(mask(w));
            c.land();
            setReg(Cpu.EDX, w);
        }
        // hi != 0, as 0/1: (hi | -hi) >>> 63
        c.lload(TR);
        c.loadConstant(bits);
        c.lushr();
        c.dup2();
        c.lneg();
        c.lor();
        c.loadConstant(63);
        c.lushr();
        c.l2i();
        c.lload(TR);
        c.loadConstant(mask(w));
        c.land();
        c.lstore(TR);
        resultFlags(w, Flags.CF | Flags.OF);
    }

    /**
     * Records F_RES flags from the result in TR (masked here) and the int 0/1 on the stack, the value
     * of CF and, if {@code set} has it, OF; AF is set if {@code set} has it.
     */
    private void resultFlags(int w, int set) {
        c.dup();
        c.istore(FCF);
        int others = set & ~Flags.AF & ~Flags.CF;
        if ((set & Flags.CF) == 0) {
            throw new IllegalStateException("CF expected");
        }
        if (others == Flags.OF) {
            c.dup();
            c.loadConstant(11);
            c.ishl();
            c.ior();
        }
        if ((set & Flags.AF) != 0) {
            c.loadConstant(Flags.AF);
            c.ior();
        }
        c.istore(FX);
        c.lload(TR);
        c.loadConstant(mask(w));
        c.land();
        c.lstore(FR);
        fam = F_RES;
        fsize = w;
    }

    /** SHL/SHR/SAR by a constant 1..width-1: result, then CF, OF (count-1 formula), AF set, ZF SF PF. */
    private void shift(Insn i, String key) {
        int w = i.w1;
        int bits = w * 8;
        int n = constCount(i);
        int r = reg(i, i.k1, i.c1);
        if (r < 0) {
            ea(i);
            c.lstore(TOFF);
            read(i, w, true);
        } else {
            getReg(r, w);
        }
        c.lstore(TA);
        // result
        c.lload(TA);
        switch (key) {
            case "SHL" -> {
                c.loadConstant(n);
                c.lshl();
                c.loadConstant(mask(w));
                c.land();
            }
            case "SHR" -> {
                c.loadConstant(n);
                c.lushr();
            }
            default -> {
                signExtend(w);
                c.loadConstant(n);
                c.lshr();
                c.loadConstant(mask(w));
                c.land();
            }
        }
        c.lstore(TR);
        // CF: SHL the bit 'bits - n' of val, SHR/SAR the bit n - 1 (of the sign-extended value for SAR: same bit, n < bits)
        c.lload(TA);
        c.loadConstant(key.equals("SHL") ? bits - n : n - 1);
        c.lushr();
        c.l2i();
        c.loadConstant(1);
        c.iand();
        c.istore(TCF);
        if (r < 0) {
            c.lload(TR);
            c.lstore(TV);
            write(i, w);
        } else {
            c.lload(TR);
            setReg(r, w);
        }
        // FX = cf | of << 11 | AF
        c.iload(TCF);
        switch (key) {
            case "SHL" -> {
                msbOf(TR, bits - 1);
                c.iload(TCF);
                c.ixor();
                c.loadConstant(11);
                c.ishl();
                c.ior();
            }
            case "SHR" -> {
                msbOf(TR, bits - 1);
                msbOf(TR, bits - 2);
                c.ixor();
                c.loadConstant(11);
                c.ishl();
                c.ior();
            }
            default -> {
            }
        }
        c.loadConstant(Flags.AF);
        c.ior();
        c.istore(FX);
        c.iload(TCF);
        c.istore(FCF);
        c.lload(TR);
        c.lstore(FR);
        fam = F_RES;
        fsize = w;
    }

    /** Pushes bit {@code bit} of the long local {@code slot} as an int 0/1. */
    private void msbOf(int slot, int bit) {
        c.lload(slot);
        c.loadConstant(bit);
        c.lushr();
        c.l2i();
        c.loadConstant(1);
        c.iand();
    }

    // ---- flags ------------------------------------------------------------------------------

    /** Pushes CF (int 0/1). */
    private void carry() {
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

    /** The code of {@link #spill} for the state {@code family}/{@code size} (for stubs: changes no state). */
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

    /** Pushes the flag locals: FK, FA, FB, FR, FCF, FX (the arguments of JitOps.fault/leave after info). */
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
    private void zf() {
        c.lload(FR);
        c.lconst_1();
        c.lsub();
        c.loadConstant(63);
        c.lushr();
        c.l2i();
    }

    private void of() {
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

    /** Jcc as the last instruction: rip is already the next instruction's (local NEXT). */
    void jcc(Insn i) {
        cond(i.opcode & 0xF);
        c.istore(TCF);
        spill();
        Label skip = c.newLabel();
        c.iload(TCF);
        c.ifeq(skip);
        c.aload(Jit.CPU);
        c.lload(Jit.NEXT);
        c.loadConstant(i.imm);
        c.ladd();
        c.loadConstant(i.osize);
        c.invokestatic(CD_BRANCH, "branch", MethodTypeDesc.of(CD_void, Jit.CD_CPU, CD_long, CD_int));
        c.labelBinding(skip);
    }

    // ---- operands ---------------------------------------------------------------------------

    private static long mask(int w) {
        return w == 1 ? 0xFF : w == 2 ? 0xFFFF : 0xFFFF_FFFFL;
    }

    private void signExtend(int w) {
        c.l2i();
        if (w == 1) {
            c.i2b();
        } else if (w == 2) {
            c.i2s();
        }
        c.i2l();
    }

    /** Pushes register {@code n} at width {@code w} (1: AL..BH numbering). */
    private void getReg(int n, int w) {
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
    private void setReg(int n, int w) {
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
    private void operand(Insn i, int kind, long fixed, int w) {
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
    private void ea(Insn i) {
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
    private void read(Insn i, int w, boolean atOff) {
        c.aload(Jit.CPU);
        c.loadConstant(segments.apply(i.seg));
        if (atOff) {
            c.lload(TOFF);
        } else {
            ea(i);
        }
        c.invokestatic(CD_MEM, "read" + w * 8, MethodTypeDesc.of(CD_long, Jit.CD_CPU, CD_SEGMENT, CD_long));
    }

    /** Writes TV to the memory operand at TOFF. */
    private void write(Insn i, int w) {
        c.aload(Jit.CPU);
        c.loadConstant(segments.apply(i.seg));
        c.lload(TOFF);
        c.lload(TV);
        c.invokestatic(CD_MEM, "write" + w * 8, MethodTypeDesc.of(CD_void, Jit.CD_CPU, CD_SEGMENT, CD_long, CD_long));
    }
}

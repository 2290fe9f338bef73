package dev.vmm.core.cpu;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.MethodTypeDesc;

/**
 * Emits the frequent instruction forms as straight-line bytecode (no calls on the fast path), for
 * {@link Jit}, on the primitives of {@link JitCode}: the general registers live in locals, memory
 * goes through {@link JitMem}, and the arithmetic flags are kept in locals.
 *
 * <p>Every form reads its operands first, then writes its destination (memory first: the only
 * write that may miss), and only then updates the flag locals, so a miss leaves no trace.
 */
final class JitEmit extends JitCode {
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

    /** An emitter for the first {@code count} instructions of {@code ins}. */
    JitEmit(CodeBuilder c, Insn[] ins, int count, Memory memory) {
        super(c, memory);
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
            if (stackOp(i) != 0) {
                used[Cpu.ESP] = true;
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

    // ---- which forms ------------------------------------------------------------------------

    /** True if {@link #emit} compiles {@code i} inline (it then leaves rip and the count alone). */
    static boolean supported(Insn i) {
        if (i.entry == null || i.mode == 64) {
            return false;
        }
        String key = i.entry.key();
        switch (key) {
            // forms without a sized first operand (RET's immediate is not one), before the width test
            case "JMP", "CALL", "RET" -> {
                return branchForm(i);
            }
            case "NOP", "PAUSE" -> {
                return true;
            }
            default -> {
            }
        }
        int n = i.operandCount();
        int w = i.w1;
        if (w != 1 && w != 2 && w != 4) {
            return false;
        }
        return switch (key) {
            case "LEA" -> i.mod != 3;
            case "INC", "DEC", "NEG", "NOT" -> n == 1 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1));
            case "MUL" -> n == 1 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1));
            case "SETCC" -> n == 1 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1));
            case "CMOVCC" -> n == 2 && w != 1 && i.w2 == w && reg(i, i.k1, i.c1) >= 0
                    && (reg(i, i.k2, i.c2) >= 0 || mem(i, i.k2));
            case "IMUL2" -> n == 2 && w != 1 && i.w2 == w && reg(i, i.k1, i.c1) >= 0
                    && (reg(i, i.k2, i.c2) >= 0 || mem(i, i.k2));
            case "MOVZX", "MOVSX" -> n == 2 && reg(i, i.k1, i.c1) >= 0
                    && (reg(i, i.k2, i.c2) >= 0 || mem(i, i.k2)) && (i.w2 == 1 || i.w2 == 2);
            case "PUSH", "POP" -> stackOp(i) != 0;
            case "SHL", "SHR", "SAR" -> n == 2 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1))
                    && constCount(i) > 0 && constCount(i) < w * 8
                    || n == 2 && reg(i, i.k1, i.c1) >= 0 && w == 4 && byCl(i);
            case "ROL", "ROR" -> n == 2 && (reg(i, i.k1, i.c1) >= 0 || mem(i, i.k1))
                    && constCount(i) > 0 && constCount(i) < w * 8;
            default -> aluOp(key) >= 0 && n == 2 && i.w2 == w && aluShape(i);
        };
    }

    /** True if the count of shift {@code i} is CL. */
    private static boolean byCl(Insn i) {
        return i.k2 == Operand.REG && i.c2 == 1 && i.w2 == 1;
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

    /** True if the inline form of {@code i} accesses memory. */
    static boolean touchesMemory(Insn i) {
        String key = i.entry.key();
        return i.modrmByte >= 0 && i.mod != 3 && !key.equals("LEA") && !key.equals("NOP") || stackOp(i) != 0;
    }

    /**
     * 1 for the inline forms that push a dword (PUSH of a 32-bit general register, CALL rel32), -1
     * for those that pop one (POP of a 32-bit register, RET), else 0. They need a 32-bit stack
     * (SS.B), which the access checks at run time ({@link JitMem}).
     */
    static int stackOp(Insn i) {
        if (i.osize != 4 || i.mode != 32 || i.entry == null) {
            return 0;
        }
        return switch (i.entry.key()) {
            case "PUSH" -> i.k1 == Operand.Z ? 1 : 0;
            case "POP" -> i.k1 == Operand.Z ? -1 : 0;
            case "CALL" -> i.k1 == Operand.J ? 1 : 0;
            case "RET" -> -1;
            default -> 0;
        };
    }

    /**
     * True for the near branches compiled inline, as the last instruction of a block: JMP and CALL
     * with a 32-bit relative target, and RET (with or without an immediate) in 32-bit code. Their
     * code leaves the target in TA (see {@link #branchTarget}).
     */
    static boolean branchForm(Insn i) {
        if (i.osize != 4 || i.mode != 32 || i.entry == null) {
            return false;
        }
        return switch (i.entry.key()) {
            case "JMP", "CALL" -> i.k1 == Operand.J;
            case "RET" -> true;
            default -> false;
        };
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
            case "JMP" -> branchTarget(i);
            case "CALL" -> call(i);
            case "RET" -> ret(i);
            case "NOP", "PAUSE" -> {
                // no operation: a hint (PAUSE) or a multi-byte NOP, whose operand is never accessed
            }
            case "PUSH" -> push(i);
            case "POP" -> pop(i);
            case "INC", "DEC" -> incDec(i, key.equals("INC"));
            case "NEG", "NOT" -> negNot(i, key.equals("NEG"));
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
            case "ROL", "ROR" -> rotate(i, key.equals("ROL"));
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

    /** NEG (flags as SUB 0 - x, as {@link AluOps#neg}) and NOT (no flags). */
    private void negNot(Insn i, boolean neg) {
        int w = i.w1;
        int r = loadDestination(i, w);
        c.lstore(TB);
        if (neg) {
            c.lconst_0();
            c.lload(TB);
            c.lsub();
            c.dup2();
            c.loadConstant(63);
            c.lushr();
            c.l2i();
            c.istore(TCF);
        } else {
            c.lload(TB);
            c.loadConstant(-1L);
            c.lxor();
        }
        c.loadConstant(mask(w));
        c.land();
        c.lstore(TR);
        c.lload(TR);
        if (r < 0) {
            c.lstore(TV);
            write(i, w);
        } else {
            setReg(r, w);
        }
        if (neg) {
            c.lconst_0();
            c.lstore(FA);
            c.lload(TB);
            c.lstore(FB);
            c.lload(TR);
            c.lstore(FR);
            c.iload(TCF);
            c.istore(FCF);
            c.loadConstant(Flags.SUB);
            c.istore(FK);
            fam = F_SUB;
            fsize = w;
        }
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

    /**
     * SHL/SHR/SAR by a constant 1..width-1, or by CL for a 32-bit register: result, then CF, OF
     * (count-1 formula), AF set, ZF SF PF. A count of CL is masked to 5 bits, and 0 changes nothing,
     * not even the flags: so these go to {@link Cpu#flags} before it and after the shift, and both
     * ways meet with the flags there.
     */
    private void shift(Insn i, String key) {
        int w = i.w1;
        int bits = w * 8;
        int n = constCount(i);
        Label none = null;
        if (n < 0) {
            spill();
            getReg(Cpu.ECX, 1);
            c.l2i();
            c.loadConstant(0x1F);
            c.iand();
            c.istore(TK);
            none = c.newLabel();
            c.iload(TK);
            c.ifeq(none);
        }
        int r = loadDestination(i, w);
        c.lstore(TA);
        // result
        c.lload(TA);
        switch (key) {
            case "SHL" -> {
                count(n);
                c.lshl();
                c.loadConstant(mask(w));
                c.land();
            }
            case "SHR" -> {
                count(n);
                c.lushr();
            }
            default -> {
                signExtend(w);
                count(n);
                c.lshr();
                c.loadConstant(mask(w));
                c.land();
            }
        }
        c.lstore(TR);
        // CF: SHL the bit 'bits - n' of val, SHR/SAR the bit n - 1 (of the sign-extended value for SAR: same bit, n < bits)
        c.lload(TA);
        if (n >= 0) {
            c.loadConstant(key.equals("SHL") ? bits - n : n - 1);
        } else if (key.equals("SHL")) {
            c.loadConstant(bits);
            c.iload(TK);
            c.isub();
        } else {
            c.iload(TK);
            c.loadConstant(1);
            c.isub();
        }
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
        if (none != null) {
            spill();
            c.labelBinding(none);
        }
    }

    /** Pushes a shift's count (int): the constant {@code n}, or TK for a count of CL ({@code n} < 0). */
    private void count(int n) {
        if (n < 0) {
            c.iload(TK);
        } else {
            c.loadConstant(n);
        }
    }

    /**
     * The target of JMP/CALL rel32 (local NEXT, the next instruction, plus the displacement) into
     * TA; beyond the CS limit the full path raises the #GP.
     */
    private void branchTarget(Insn i) {
        c.lload(Jit.NEXT);
        c.loadConstant(i.imm);
        c.ladd();
        c.loadConstant(0xFFFF_FFFFL);
        c.land();
        c.lstore(TA);
        checkLimit();
    }

    /** Leaves by the full path (a miss) if TA is beyond the CS limit. */
    private void checkLimit() {
        Label ok = c.newLabel();
        ifWithinCsLimit(ok);
        c.getstatic(CD_MEM, "MISS", CD_MISS);
        c.athrow();
        c.labelBinding(ok);
    }

    /** CALL rel32: the target checked, the return address (NEXT) pushed, ESP lowered; the target in TA. */
    private void call(Insn i) {
        branchTarget(i);
        c.lload(Jit.NEXT);
        c.lstore(TV);
        getReg(Cpu.ESP, 4);
        c.loadConstant(4L);
        c.lsub();
        c.loadConstant(0xFFFF_FFFFL);
        c.land();
        c.lstore(TOFF);
        stack(true);
        c.lload(TOFF);
        setReg(Cpu.ESP, 4);
    }

    /** RET and RET imm16: the return address popped into TA and checked, then ESP raised. */
    private void ret(Insn i) {
        getReg(Cpu.ESP, 4);
        c.lstore(TOFF);
        stack(false);
        c.lstore(TA);
        checkLimit();
        c.lload(TOFF);
        c.loadConstant(4L + (i.k1 == Operand.I ? i.imm & 0xFFFF : 0));
        c.ladd();
        setReg(Cpu.ESP, 4);
    }

    /** PUSH r32: the register (ESP's old value for PUSH ESP) at ESP - 4, then ESP lowered. */
    private void push(Insn i) {
        getReg(i.reg, 4);
        c.lstore(TV);
        getReg(Cpu.ESP, 4);
        c.loadConstant(4L);
        c.lsub();
        c.loadConstant(0xFFFF_FFFFL);
        c.land();
        c.lstore(TOFF);
        stack(true);
        c.lload(TOFF);
        setReg(Cpu.ESP, 4);
    }

    /** POP r32: the dword at ESP, ESP raised, then the register (POP ESP: the value read wins). */
    private void pop(Insn i) {
        getReg(Cpu.ESP, 4);
        c.lstore(TOFF);
        stack(false);
        c.lstore(TV);
        c.lload(TOFF);
        c.loadConstant(4L);
        c.ladd();
        setReg(Cpu.ESP, 4);
        c.lload(TV);
        setReg(i.reg, 4);
    }

    /**
     * ROL/ROR by a constant 1..width-1, as {@link ShiftOps} does: they set CF and OF (the count-1
     * formula) and leave the other flags alone, so these go to {@link Cpu#flags} first.
     */
    private void rotate(Insn i, boolean left) {
        int w = i.w1;
        int bits = w * 8;
        int n = constCount(i);
        spill();
        loadDestination(i, w);
        c.lstore(TA);
        int r = reg(i, i.k1, i.c1);
        c.lload(TA);
        c.loadConstant(left ? n : bits - n);
        c.lshl();
        c.lload(TA);
        c.loadConstant(left ? bits - n : n);
        c.lushr();
        c.lor();
        c.loadConstant(mask(w));
        c.land();
        c.lstore(TR);
        if (r < 0) {
            c.lload(TR);
            c.lstore(TV);
            write(i, w);
        } else {
            c.lload(TR);
            setReg(r, w);
        }
        // CF: ROL the result's bit 0, ROR its top bit; OF: top bit ^ CF (ROL), top two bits' xor (ROR)
        if (left) {
            c.lload(TR);
            c.l2i();
            c.loadConstant(1);
            c.iand();
        } else {
            msbOf(TR, bits - 1);
        }
        c.istore(TCF);
        c.aload(Jit.CPU);
        c.getfield(Jit.CD_CPU, "flags", CD_FLAGS);
        c.loadConstant(Flags.CF | Flags.OF);
        c.iload(TCF);
        msbOf(TR, bits - 1);
        if (left) {
            c.iload(TCF);
        } else {
            msbOf(TR, bits - 2);
        }
        c.ixor();
        c.loadConstant(11);
        c.ishl();
        c.ior();
        c.invokevirtual(CD_FLAGS, "setMasked", MethodTypeDesc.of(CD_void, CD_int, CD_int));
    }

    /**
     * Pushes the first operand (register {@code r}, or memory: its offset then kept in TOFF for the
     * write back) at width {@code w}; returns its register number, or -1 for memory.
     */
    private int loadDestination(Insn i, int w) {
        int r = reg(i, i.k1, i.c1);
        if (r < 0) {
            ea(i);
            c.lstore(TOFF);
            read(i, w, true);
        } else {
            getReg(r, w);
        }
        return r;
    }
}

package dev.vmm.core.cpu;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.CodeBuilder;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * The instruction forms {@link Jit} compiles to a static call whose arguments are the decoded
 * operands as bytecode constants (register numbers, widths, the memory operand's segment, base,
 * index, scale, displacement and address size, immediates). Once HotSpot inlines the call, every
 * switch on those constants folds away and what remains is the instruction's own work.
 *
 * <p>Each form does exactly what the interpreter's handler does ({@link AluOps}, {@link Specialized},
 * {@link MoveOps}, {@link MulDivOps}, {@link BranchOps}), in the same order: operands are read,
 * then the destination is written, and only then are the flags recorded, so a fault leaves no trace.
 * The ALU operations are numbered as in the opcode map (ADD OR ADC SBB AND SUB XOR CMP), TEST is 8.
 */
final class JitOps {
    private static final ClassDesc CD_SELF = ClassDesc.of("dev.vmm.core.cpu.JitOps");
    private static final int ADD = 0;
    private static final int OR = 1;
    private static final int ADC = 2;
    private static final int SBB = 3;
    private static final int AND = 4;
    private static final int SUB = 5;
    private static final int XOR = 6;
    private static final int CMP = 7;
    private static final int TEST = 8;

    private JitOps() {
    }

    // ---- code generation ----------------------------------------------------------------------

    /**
     * True if {@link #emit} compiles {@code i} to a call that neither reads nor changes rip,
     * {@link Cpu#startRip} or the instruction count (every form but Jcc).
     */
    static boolean pure(Insn i) {
        return i.entry != null && !i.entry.key().equals("JCC") && supported(i);
    }

    /** True if {@code i} (a {@link #pure} form) accesses memory. */
    static boolean touchesMemory(Insn i) {
        return i.modrmByte >= 0 && i.mod != 3 && !i.entry.key().equals("LEA");
    }

    private static boolean supported(Insn i) {
        return emit(null, i);
    }

    /**
     * Emits {@code i} as a call with constant operands if its form has one; false if not. With a
     * null builder, only answers whether it would.
     */
    static boolean emit(CodeBuilder c, Insn i) {
        if (i.entry == null) {
            return false;
        }
        String key = i.entry.key();
        int n = i.operandCount();
        if (key.equals("JCC")) {
            if (c == null) {
                return true;
            }
            c.aload(Jit.CPU);
            c.loadConstant(i.opcode & 0xF);
            c.loadConstant(i.imm);
            c.loadConstant(i.osize);
            call(c, "jcc", CD_int, CD_long, CD_int);
            return true;
        }
        if (n == 2 && key.equals("LEA") && i.mod != 3) {
            if (c == null) {
                return true;
            }
            c.aload(Jit.CPU);
            c.loadConstant(i.osize);
            c.loadConstant(i.reg);
            memArgs(c, i);
            call(c, "lea", CD_int, CD_int, CD_int, CD_int, CD_int, CD_int, CD_long, CD_int);
            return true;
        }
        if (n == 1 && (key.equals("INC") || key.equals("DEC") || key.equals("MUL"))) {
            return unary(c, i, key);
        }
        if (n != 2 || i.w1 != i.w2) {
            return false;
        }
        int op = switch (key) {
            case "ADD" -> ADD;
            case "OR" -> OR;
            case "ADC" -> ADC;
            case "SBB" -> SBB;
            case "AND" -> AND;
            case "SUB" -> SUB;
            case "XOR" -> XOR;
            case "CMP" -> CMP;
            case "TEST" -> TEST;
            case "MOV" -> -1;
            default -> -2;
        };
        if (op == -2) {
            return false;
        }
        int dst = regOf(i, i.k1, i.c1);
        int src = regOf(i, i.k2, i.c2);
        boolean dstMem = isMem(i, i.k1);
        boolean srcMem = isMem(i, i.k2);
        boolean srcImm = i.k2 == Operand.I || i.k2 == Operand.IBS;
        if (!(dst >= 0 && (src >= 0 || srcImm || srcMem) || dstMem && (src >= 0 || srcImm))) {
            return false;
        }
        if (c == null) {
            return true;
        }
        String prefix = op < 0 ? "mov" : "alu";
        c.aload(Jit.CPU);
        if (op >= 0) {
            c.loadConstant(op);
        }
        c.loadConstant(i.w1);
        if (dst >= 0 && src >= 0) {
            c.loadConstant(dst);
            c.loadConstant(src);
            call(c, prefix + "RR", ops(op, CD_int, CD_int, CD_int));
        } else if (dst >= 0 && srcImm) {
            c.loadConstant(dst);
            c.loadConstant(i.c2);
            call(c, prefix + "RI", ops(op, CD_int, CD_int, CD_long));
        } else if (dst >= 0 && srcMem) {
            c.loadConstant(dst);
            memArgs(c, i);
            call(c, prefix + "RM", ops(op, CD_int, CD_int, CD_int, CD_int, CD_int, CD_int, CD_long, CD_int));
        } else if (dstMem && src >= 0) {
            c.loadConstant(src);
            memArgs(c, i);
            call(c, prefix + "MR", ops(op, CD_int, CD_int, CD_int, CD_int, CD_int, CD_int, CD_long, CD_int));
        } else if (dstMem && srcImm) {
            c.loadConstant(i.c2);
            memArgs(c, i);
            call(c, prefix + "MI", ops(op, CD_int, CD_long, CD_int, CD_int, CD_int, CD_int, CD_long, CD_int));
        } else {
            throw new IllegalStateException("operand form of " + i.entry.notation());
        }
        return true;
    }

    /** INC, DEC, MUL of a register or memory operand. */
    private static boolean unary(CodeBuilder c, Insn i, String key) {
        int r = regOf(i, i.k1, i.c1);
        boolean mem = isMem(i, i.k1);
        if (r < 0 && !mem) {
            return false;
        }
        if (c == null) {
            return true;
        }
        String name = switch (key) {
            case "INC" -> "inc";
            case "DEC" -> "dec";
            default -> "mul";
        };
        c.aload(Jit.CPU);
        c.loadConstant(i.w1);
        if (r >= 0) {
            c.loadConstant(r);
            call(c, name + "R", CD_int, CD_int);
        } else {
            memArgs(c, i);
            call(c, name + "M", CD_int, CD_int, CD_int, CD_int, CD_int, CD_long, CD_int);
        }
        return true;
    }

    private static ClassDesc[] ops(int op, ClassDesc... rest) {
        if (op < 0) {
            return rest;
        }
        ClassDesc[] all = new ClassDesc[rest.length + 1];
        all[0] = CD_int;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    /** The register number of a register operand (E with mod 3, G, Z, REG), or -1. */
    private static int regOf(Insn i, int kind, long fixed) {
        return switch (kind) {
            case Operand.E -> i.mod == 3 ? i.rm : -1;
            case Operand.G, Operand.Z -> i.reg;
            case Operand.REG -> (int) fixed;
            default -> -1;
        };
    }

    private static boolean isMem(Insn i, int kind) {
        return (kind == Operand.E || kind == Operand.M) && i.mod != 3;
    }

    /** Pushes the memory operand: segment, base, index, scale, displacement, address size. */
    private static void memArgs(CodeBuilder c, Insn i) {
        c.loadConstant(i.seg);
        c.loadConstant(i.base);
        c.loadConstant(i.index);
        c.loadConstant(i.scale);
        c.loadConstant(i.disp);
        c.loadConstant(i.asize);
    }

    private static void call(CodeBuilder c, String name, ClassDesc... params) {
        ClassDesc[] all = new ClassDesc[params.length + 1];
        all[0] = Jit.CD_CPU;
        System.arraycopy(params, 0, all, 1, params.length);
        c.invokestatic(CD_SELF, name, MethodTypeDesc.of(CD_void, all));
    }

    // ---- the forms (called by compiled blocks) ------------------------------------------------

    /** The memory operand's offset, as {@link Cpu#ea}. */
    static long ea(Cpu c, int base, int index, int scale, long disp, int asize) {
        long a = disp;
        if (base >= 0) {
            a += c.r[base];
        }
        if (index >= 0) {
            a += c.r[index] << scale;
        }
        return asize == 2 ? a & 0xFFFF : asize == 4 ? a & 0xFFFF_FFFFL : a;
    }

    private static int carryIn(Cpu c, int op) {
        return op == ADC || op == SBB ? c.flags.cf() : 0;
    }

    private static long result(int op, int w, long a, long b, int cf) {
        return switch (op) {
            case ADD -> Cpu.mask(a + b, w);
            case ADC -> Cpu.mask(a + b + cf, w);
            case SUB, CMP -> Cpu.mask(a - b, w);
            case SBB -> Cpu.mask(a - b - cf, w);
            case AND, TEST -> a & b;
            case OR -> a | b;
            default -> a ^ b;
        };
    }

    private static void flags(Cpu c, int op, int w, long a, long b, long r, int cf) {
        switch (op) {
            case ADD -> c.flags.lazy(Flags.ADD, w, a, b, r);
            case ADC -> c.flags.lazy(cf != 0 ? Flags.ADC : Flags.ADD, w, a, b, r);
            case SUB, CMP -> c.flags.lazy(Flags.SUB, w, a, b, r);
            case SBB -> c.flags.lazy(cf != 0 ? Flags.SBB : Flags.SUB, w, a, b, r);
            default -> c.flags.lazy(Flags.LOGIC, w, 0, 0, r);
        }
    }

    private static boolean writes(int op) {
        return op != CMP && op != TEST;
    }

    static void aluRR(Cpu c, int op, int w, int d, int s) {
        long a = c.reg(d, w);
        long b = c.reg(s, w);
        int cf = carryIn(c, op);
        long r = result(op, w, a, b, cf);
        if (writes(op)) {
            c.setReg(d, w, r);
        }
        flags(c, op, w, a, b, r, cf);
    }

    static void aluRI(Cpu c, int op, int w, int d, long b) {
        long a = c.reg(d, w);
        int cf = carryIn(c, op);
        long r = result(op, w, a, b, cf);
        if (writes(op)) {
            c.setReg(d, w, r);
        }
        flags(c, op, w, a, b, r, cf);
    }

    static void aluRM(Cpu c, int op, int w, int d, int seg, int base, int index, int scale, long disp, int asize) {
        long a = c.reg(d, w);
        long b = c.read(seg, ea(c, base, index, scale, disp, asize), w);
        int cf = carryIn(c, op);
        long r = result(op, w, a, b, cf);
        if (writes(op)) {
            c.setReg(d, w, r);
        }
        flags(c, op, w, a, b, r, cf);
    }

    static void aluMR(Cpu c, int op, int w, int s, int seg, int base, int index, int scale, long disp, int asize) {
        long off = ea(c, base, index, scale, disp, asize);
        long a = c.read(seg, off, w);
        long b = c.reg(s, w);
        int cf = carryIn(c, op);
        long r = result(op, w, a, b, cf);
        if (writes(op)) {
            c.write(seg, off, w, r);
        }
        flags(c, op, w, a, b, r, cf);
    }

    static void aluMI(Cpu c, int op, int w, long b, int seg, int base, int index, int scale, long disp, int asize) {
        long off = ea(c, base, index, scale, disp, asize);
        long a = c.read(seg, off, w);
        int cf = carryIn(c, op);
        long r = result(op, w, a, b, cf);
        if (writes(op)) {
            c.write(seg, off, w, r);
        }
        flags(c, op, w, a, b, r, cf);
    }

    static void movRR(Cpu c, int w, int d, int s) {
        c.setReg(d, w, c.reg(s, w));
    }

    static void movRI(Cpu c, int w, int d, long v) {
        c.setReg(d, w, v);
    }

    static void movRM(Cpu c, int w, int d, int seg, int base, int index, int scale, long disp, int asize) {
        c.setReg(d, w, c.read(seg, ea(c, base, index, scale, disp, asize), w));
    }

    static void movMR(Cpu c, int w, int s, int seg, int base, int index, int scale, long disp, int asize) {
        c.write(seg, ea(c, base, index, scale, disp, asize), w, c.reg(s, w));
    }

    static void movMI(Cpu c, int w, long v, int seg, int base, int index, int scale, long disp, int asize) {
        c.write(seg, ea(c, base, index, scale, disp, asize), w, v);
    }

    static void lea(Cpu c, int osize, int d, int seg, int base, int index, int scale, long disp, int asize) {
        c.setReg(d, osize, ea(c, base, index, scale, disp, asize));
    }

    static void incR(Cpu c, int w, int r) {
        long a = c.reg(r, w);
        long v = Cpu.mask(a + 1, w);
        c.setReg(r, w, v);
        c.flags.lazy(Flags.INC, w, a, 1, v);
    }

    static void decR(Cpu c, int w, int r) {
        long a = c.reg(r, w);
        long v = Cpu.mask(a - 1, w);
        c.setReg(r, w, v);
        c.flags.lazy(Flags.DEC, w, a, 1, v);
    }

    static void incM(Cpu c, int w, int seg, int base, int index, int scale, long disp, int asize) {
        long off = ea(c, base, index, scale, disp, asize);
        long a = c.read(seg, off, w);
        long v = Cpu.mask(a + 1, w);
        c.write(seg, off, w, v);
        c.flags.lazy(Flags.INC, w, a, 1, v);
    }

    static void decM(Cpu c, int w, int seg, int base, int index, int scale, long disp, int asize) {
        long off = ea(c, base, index, scale, disp, asize);
        long a = c.read(seg, off, w);
        long v = Cpu.mask(a - 1, w);
        c.write(seg, off, w, v);
        c.flags.lazy(Flags.DEC, w, a, 1, v);
    }

    static void mulR(Cpu c, int w, int r) {
        MulDivOps.mul(c, w, c.reg(r, w));
    }

    static void mulM(Cpu c, int w, int seg, int base, int index, int scale, long disp, int asize) {
        MulDivOps.mul(c, w, c.read(seg, ea(c, base, index, scale, disp, asize), w));
    }

    /** As {@link BranchOps#jcc}: rip is already the next instruction's address. */
    static void jcc(Cpu c, int cc, long rel, int osize) {
        if (c.flags.cond(cc)) {
            BranchOps.branch(c, c.rip + rel, osize);
        }
    }
}

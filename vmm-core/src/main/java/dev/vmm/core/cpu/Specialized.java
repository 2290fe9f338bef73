package dev.vmm.core.cpu;

import java.util.List;

/**
 * Operand-form-specialized handlers for the most frequent instructions (ADD SUB AND OR XOR CMP
 * TEST, INC/DEC of an opcode register, MOV, Jcc per condition), chosen at decode time by {@link #specialize} so the
 * hot path skips the generic operand-kind dispatch of {@link Cpu#op1}/{@link Cpu#setOp1}.
 *
 * <p>Each handler does exactly what its generic counterpart ({@link AluOps}, {@link MoveOps})
 * ({@link BranchOps} for Jcc) does for that form, in the same order: memory is read, then written, and only then are the
 * flags updated, so a faulting access leaves no trace. Each form is its own lambda with a
 * constant operation, so the JIT folds the operation switch away.
 */
final class Specialized {
    private static final int ADD = 0;
    private static final int SUB = 1;
    private static final int AND = 2;
    private static final int OR = 3;
    private static final int XOR = 4;
    private static final int CMP = 5;
    private static final int TEST = 6;

    /** r/m register destination, G source. */
    private static final List<Handler> RG = List.of(
            (c, i) -> rg(c, i, ADD), (c, i) -> rg(c, i, SUB), (c, i) -> rg(c, i, AND), (c, i) -> rg(c, i, OR),
            (c, i) -> rg(c, i, XOR), (c, i) -> rg(c, i, CMP), (c, i) -> rg(c, i, TEST));
    /** G destination, r/m register source. */
    private static final List<Handler> GR = List.of(
            (c, i) -> gr(c, i, ADD), (c, i) -> gr(c, i, SUB), (c, i) -> gr(c, i, AND), (c, i) -> gr(c, i, OR),
            (c, i) -> gr(c, i, XOR), (c, i) -> gr(c, i, CMP), (c, i) -> gr(c, i, TEST));
    /** r/m register destination, immediate source. */
    private static final List<Handler> RI = List.of(
            (c, i) -> ri(c, i, ADD), (c, i) -> ri(c, i, SUB), (c, i) -> ri(c, i, AND), (c, i) -> ri(c, i, OR),
            (c, i) -> ri(c, i, XOR), (c, i) -> ri(c, i, CMP), (c, i) -> ri(c, i, TEST));
    /** Memory destination, G source. */
    private static final List<Handler> MG = List.of(
            (c, i) -> mg(c, i, ADD), (c, i) -> mg(c, i, SUB), (c, i) -> mg(c, i, AND), (c, i) -> mg(c, i, OR),
            (c, i) -> mg(c, i, XOR), (c, i) -> mg(c, i, CMP), (c, i) -> mg(c, i, TEST));
    /** G destination, memory source. */
    private static final List<Handler> GM = List.of(
            (c, i) -> gm(c, i, ADD), (c, i) -> gm(c, i, SUB), (c, i) -> gm(c, i, AND), (c, i) -> gm(c, i, OR),
            (c, i) -> gm(c, i, XOR), (c, i) -> gm(c, i, CMP), (c, i) -> gm(c, i, TEST));

    /** Jcc with the condition code (the opcode's low nibble) as a constant. */
    private static final List<Handler> JCC = List.of(
            (c, i) -> jcc(c, i, 0), (c, i) -> jcc(c, i, 1), (c, i) -> jcc(c, i, 2), (c, i) -> jcc(c, i, 3),
            (c, i) -> jcc(c, i, 4), (c, i) -> jcc(c, i, 5), (c, i) -> jcc(c, i, 6), (c, i) -> jcc(c, i, 7),
            (c, i) -> jcc(c, i, 8), (c, i) -> jcc(c, i, 9), (c, i) -> jcc(c, i, 10), (c, i) -> jcc(c, i, 11),
            (c, i) -> jcc(c, i, 12), (c, i) -> jcc(c, i, 13), (c, i) -> jcc(c, i, 14), (c, i) -> jcc(c, i, 15));

    private static final Handler INC_Z = Specialized::incZ;
    private static final Handler DEC_Z = Specialized::decZ;
    private static final Handler MOV_RG = Specialized::movRG;
    private static final Handler MOV_MG = Specialized::movMG;
    private static final Handler MOV_GR = Specialized::movGR;
    private static final Handler MOV_GM = Specialized::movGM;
    private static final Handler MOV_ZI = Specialized::movZI;

    private Specialized() {
    }

    /** Every handler {@link #specialize} may choose. */
    static List<Handler> handlers() {
        List<Handler> all = new java.util.ArrayList<>(List.of(INC_Z, DEC_Z, MOV_RG, MOV_MG, MOV_GR, MOV_GM, MOV_ZI));
        for (List<Handler> l : List.of(RG, GR, RI, MG, GM, JCC)) {
            all.addAll(l);
        }
        return all;
    }

    /** A specialized handler for {@code i} if its form has one, else {@code generic}. */
    static Handler specialize(Insn i, Handler generic) {
        if (i.entry == null) {
            return generic;
        }
        int n = i.operandCount();
        String key = i.entry.key();
        if (key.equals("JCC")) {
            return JCC.get(i.opcode & 0xF);
        }
        if (n == 1 && i.k1 == Operand.Z) {
            return switch (key) {
                case "INC" -> INC_Z;
                case "DEC" -> DEC_Z;
                default -> generic;
            };
        }
        if (n != 2 || i.w1 != i.w2) {
            return generic;
        }
        if (key.equals("MOV")) {
            return mov(i, generic);
        }
        int op = switch (key) {
            case "ADD" -> ADD;
            case "SUB" -> SUB;
            case "AND" -> AND;
            case "OR" -> OR;
            case "XOR" -> XOR;
            case "CMP" -> CMP;
            case "TEST" -> TEST;
            default -> -1;
        };
        if (op < 0) {
            return generic;
        }
        boolean reg = i.mod == 3;
        if (i.k1 == Operand.E && i.k2 == Operand.G) {
            return (reg ? RG : MG).get(op);
        }
        if (i.k1 == Operand.G && i.k2 == Operand.E) {
            return (reg ? GR : GM).get(op);
        }
        if (i.k1 == Operand.E && reg && (i.k2 == Operand.I || i.k2 == Operand.IBS)) {
            return RI.get(op);
        }
        return generic;
    }

    private static Handler mov(Insn i, Handler generic) {
        boolean reg = i.mod == 3;
        if (i.k1 == Operand.E && i.k2 == Operand.G) {
            return reg ? MOV_RG : MOV_MG;
        }
        if (i.k1 == Operand.G && i.k2 == Operand.E) {
            return reg ? MOV_GR : MOV_GM;
        }
        if (i.k1 == Operand.Z && i.k2 == Operand.I) {
            return MOV_ZI;
        }
        return generic;
    }

    // ---- the operations -----------------------------------------------------------------------

    private static long result(int op, int w, long a, long b) {
        return switch (op) {
            case ADD -> Cpu.mask(a + b, w);
            case SUB, CMP -> Cpu.mask(a - b, w);
            case AND, TEST -> a & b;
            case OR -> a | b;
            default -> a ^ b;
        };
    }

    private static void flags(Cpu c, int op, int w, long a, long b, long r) {
        switch (op) {
            case ADD -> c.flags.lazy(Flags.ADD, w, a, b, r);
            case SUB, CMP -> c.flags.lazy(Flags.SUB, w, a, b, r);
            default -> c.flags.lazy(Flags.LOGIC, w, 0, 0, r);
        }
    }

    private static boolean writes(int op) {
        return op != CMP && op != TEST;
    }

    // ---- the forms ----------------------------------------------------------------------------

    private static void rg(Cpu c, Insn i, int op) {
        int w = i.w1;
        long a = c.reg(i.rm, w);
        long b = c.reg(i.reg, w);
        long r = result(op, w, a, b);
        if (writes(op)) {
            c.setReg(i.rm, w, r);
        }
        flags(c, op, w, a, b, r);
    }

    private static void gr(Cpu c, Insn i, int op) {
        int w = i.w1;
        long a = c.reg(i.reg, w);
        long b = c.reg(i.rm, w);
        long r = result(op, w, a, b);
        if (writes(op)) {
            c.setReg(i.reg, w, r);
        }
        flags(c, op, w, a, b, r);
    }

    private static void ri(Cpu c, Insn i, int op) {
        int w = i.w1;
        long a = c.reg(i.rm, w);
        long b = i.c2;
        long r = result(op, w, a, b);
        if (writes(op)) {
            c.setReg(i.rm, w, r);
        }
        flags(c, op, w, a, b, r);
    }

    private static void mg(Cpu c, Insn i, int op) {
        int w = i.w1;
        long off = c.ea(i);
        long a = c.read(i.seg, off, w);
        long b = c.reg(i.reg, w);
        long r = result(op, w, a, b);
        if (writes(op)) {
            c.write(i.seg, off, w, r);
        }
        flags(c, op, w, a, b, r);
    }

    private static void gm(Cpu c, Insn i, int op) {
        int w = i.w1;
        long a = c.reg(i.reg, w);
        long b = c.read(i.seg, c.ea(i), w);
        long r = result(op, w, a, b);
        if (writes(op)) {
            c.setReg(i.reg, w, r);
        }
        flags(c, op, w, a, b, r);
    }

    /** As {@link BranchOps#jcc}, with the condition code {@code cc} a constant. */
    private static void jcc(Cpu c, Insn i, int cc) {
        if (c.flags.cond(cc)) {
            BranchOps.branch(c, c.rip + i.imm, i.osize);
        }
    }

    private static void incZ(Cpu c, Insn i) {
        int w = i.w1;
        long a = c.reg(i.reg, w);
        long r = Cpu.mask(a + 1, w);
        c.setReg(i.reg, w, r);
        c.flags.lazy(Flags.INC, w, a, 1, r);
    }

    private static void decZ(Cpu c, Insn i) {
        int w = i.w1;
        long a = c.reg(i.reg, w);
        long r = Cpu.mask(a - 1, w);
        c.setReg(i.reg, w, r);
        c.flags.lazy(Flags.DEC, w, a, 1, r);
    }

    private static void movRG(Cpu c, Insn i) {
        c.setReg(i.rm, i.w1, c.reg(i.reg, i.w1));
    }

    private static void movGR(Cpu c, Insn i) {
        c.setReg(i.reg, i.w1, c.reg(i.rm, i.w1));
    }

    private static void movGM(Cpu c, Insn i) {
        c.setReg(i.reg, i.w1, c.read(i.seg, c.ea(i), i.w1));
    }

    private static void movMG(Cpu c, Insn i) {
        c.write(i.seg, c.ea(i), i.w1, c.reg(i.reg, i.w1));
    }

    private static void movZI(Cpu c, Insn i) {
        c.setReg(i.reg, i.w1, i.c2);
    }
}

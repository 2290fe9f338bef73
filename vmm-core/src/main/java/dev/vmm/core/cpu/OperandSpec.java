package dev.vmm.core.cpu;

/**
 * One operand of an opcode-table entry.
 *
 * @param kind  an {@link Operand} kind
 * @param size  an {@link Operand} size code
 * @param fixed register number for {@link Operand#REG}/{@link Operand#SREG}, else -1
 * @param text  the operand as written in the table (for the disassembler)
 */
public record OperandSpec(int kind, int size, int fixed, String text) {

    private static final String[] GPR = {"AX", "CX", "DX", "BX", "SP", "BP", "SI", "DI"};
    private static final String[] SREG = {"ES", "CS", "SS", "DS", "FS", "GS"};

    /** Parses one operand in SDM notation. */
    static OperandSpec parse(String t) {
        if (t.equals("1")) {
            return new OperandSpec(Operand.ONE, Operand.SZ_B, -1, t);
        }
        for (int i = 0; i < SREG.length; i++) {
            if (t.equals(SREG[i])) {
                return new OperandSpec(Operand.SREG, Operand.SZ_W, i, t);
            }
        }
        String[] b8 = {"AL", "CL", "DL", "BL", "AH", "CH", "DH", "BH"};
        for (int i = 0; i < 8; i++) {
            if (t.equals(b8[i])) {
                return new OperandSpec(Operand.REG, Operand.SZ_B, i, t);
            }
            if (t.equals(GPR[i])) {
                return new OperandSpec(Operand.REG, Operand.SZ_W, i, t);
            }
            if (t.equals("e" + GPR[i])) {
                return new OperandSpec(Operand.REG, Operand.SZ_V, i, t);
            }
            if (t.equals("E" + GPR[i])) {
                return new OperandSpec(Operand.REG, Operand.SZ_D, i, t);
            }
        }
        if (t.equals("Rv/Mw") || t.equals("Mw/Rv")) {
            return new OperandSpec(Operand.E, Operand.SZ_RVMW, -1, t);
        }
        if (t.equals("Rd/Mw")) {
            return new OperandSpec(Operand.E, Operand.SZ_RDMW, -1, t);
        }
        if (t.equals("M")) {
            return new OperandSpec(Operand.M, Operand.SZ_NONE, -1, t);
        }
        if (t.equals("ST")) {
            return new OperandSpec(Operand.ST, Operand.SZ_T, -1, t);
        }
        if (t.equals("STi")) {
            return new OperandSpec(Operand.STI, Operand.SZ_T, -1, t);
        }
        int kind = switch (t.charAt(0)) {
            case 'E' -> Operand.E;
            case 'G' -> Operand.G;
            case 'M' -> Operand.M;
            case 'R' -> Operand.R;
            case 'I' -> t.endsWith("bs") ? Operand.IBS : Operand.I;
            case 'J' -> Operand.J;
            case 'O' -> Operand.O;
            case 'A' -> Operand.A;
            case 'S' -> Operand.S;
            case 'C' -> Operand.C;
            case 'D' -> Operand.D;
            case 'Z' -> Operand.Z;
            case 'X' -> Operand.X;
            case 'Y' -> Operand.Y;
            case 'V' -> Operand.V;
            case 'W' -> Operand.W;
            case 'U' -> Operand.U;
            case 'P' -> Operand.P;
            case 'Q' -> Operand.Q;
            case 'N' -> Operand.N;
            default -> throw new IllegalArgumentException("unknown operand " + t);
        };
        int size = switch (t.substring(1)) {
            case "b", "bs" -> kind == Operand.IBS ? Operand.SZ_V : Operand.SZ_B;
            case "w" -> Operand.SZ_W;
            case "d", "ss" -> Operand.SZ_D;
            case "q", "sd" -> Operand.SZ_Q;
            case "v" -> Operand.SZ_V;
            case "z" -> Operand.SZ_Z;
            case "p" -> Operand.SZ_P;
            case "s" -> Operand.SZ_S;
            case "a" -> Operand.SZ_A;
            case "t" -> Operand.SZ_T;
            case "dq", "ps", "pd" -> Operand.SZ_DQ;
            default -> throw new IllegalArgumentException("unknown operand size " + t);
        };
        return new OperandSpec(kind, size, -1, t);
    }

    /** True if this operand is the ModRM r/m field (E, M, R, W, U, Q, N, STi). */
    boolean usesRm() {
        return switch (kind) {
            case Operand.E, Operand.M, Operand.R, Operand.W, Operand.U, Operand.Q, Operand.N, Operand.STI -> true;
            default -> false;
        };
    }

    /** True if this operand is encoded in the ModRM reg field. */
    boolean usesReg() {
        return switch (kind) {
            case Operand.G, Operand.S, Operand.C, Operand.D, Operand.V, Operand.P -> true;
            default -> false;
        };
    }
}

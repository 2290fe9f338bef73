package dev.vmm.core.cpu;

import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/** Formats decoded instructions in Intel syntax, from the same table the decoder uses. */
public final class Disassembler {
    private Disassembler() {
    }

    private static final String[] R8 = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
    private static final String[] R16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
    private static final String[] R32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    private static final String[] SREG = {"es", "cs", "ss", "ds", "fs", "gs", "?6", "?7"};

    /** Register name of general register {@code n} at width {@code size}. */
    public static String reg(int n, int size) {
        return switch (size) {
            case 1 -> R8[n];
            case 2 -> R16[n];
            default -> R32[n];
        };
    }

    /** Disassembles one instruction at {@code bytes[0..]} in a {@code mode}-bit code segment at {@code ip}. */
    public static String disassemble(byte[] bytes, int mode, long ip) {
        Insn i = Decoder.decode(CodeSource.of(bytes, 0), mode);
        return format(i, ip);
    }

    /** Formats {@code i} without knowing its address (branch targets shown relative). */
    public static String format(Insn i) {
        return format(i, -1);
    }

    /** Formats {@code i} located at {@code ip} ({@code -1} if unknown). */
    public static String format(Insn i, long ip) {
        if (i.entry == null) {
            return switch (i.bad) {
                case Insn.BAD_TOO_LONG -> "(too long)";
                case Insn.BAD_TRUNCATED -> "(truncated)";
                case Insn.BAD_LOCK -> "(invalid LOCK)";
                default -> "(bad)";
            };
        }
        StringBuilder sb = new StringBuilder();
        if (i.has(Insn.P_LOCK)) {
            sb.append("lock ");
        }
        if (i.entry.has(OpcodeEntry.F_REP)) {
            if (i.has(Insn.P_REP)) {
                sb.append(i.entry.key().equals("CMPS") || i.entry.key().equals("SCAS") ? "repe " : "rep ");
            } else if (i.has(Insn.P_REPNE)) {
                sb.append("repne ");
            }
        }
        sb.append(switch (i.entry.mnemonic()) {
            case "CALLF" -> "call far";
            case "JMPF" -> "jmp far";
            default -> i.entry.mnemonic().toLowerCase(Locale.ROOT);
        });
        List<OperandSpec> ops = i.entry.operands();
        String sep = " ";
        for (int k = 0; k < ops.size(); k++) {
            String o = operand(i, ops.get(k), k, ip);
            if (o != null) {
                sb.append(sep).append(o);
                sep = ", ";
            }
        }
        return sb.toString();
    }

    private static String operand(Insn i, OperandSpec s, int k, long ip) {
        int w = k == 0 ? i.w1 : k == 1 ? i.w2 : i.w3;
        return switch (s.kind()) {
            case Operand.E -> i.mod == 3 ? reg(i.rm, w) : memory(i, w);
            case Operand.M -> memory(i, w);
            case Operand.G, Operand.Z -> reg(i.reg, w);
            case Operand.R -> reg(i.rm, w);
            case Operand.REG -> reg(s.fixed(), w);
            case Operand.SREG -> SREG[s.fixed()];
            case Operand.S -> SREG[i.reg];
            case Operand.C -> "cr" + i.reg;
            case Operand.D -> "dr" + i.reg;
            case Operand.ONE -> "1";
            case Operand.I, Operand.IBS -> hex(Cpu.mask(k > 0 && isImm(i.entry.operands().get(0)) ? i.imm2 : i.imm, w));
            case Operand.J -> {
                if (ip < 0) {
                    yield "$" + (i.imm + i.len >= 0 ? "+" : "-") + hex(Math.abs(i.imm + i.len));
                }
                yield hex(Cpu.mask(ip + i.len + i.imm, i.osize));
            }
            case Operand.O -> size(w) + seg(i, true) + "[" + hex(i.disp) + "]";
            case Operand.A -> "0x" + Long.toHexString(i.imm2) + ":" + hex(i.imm);
            case Operand.V -> "xmm" + i.reg;
            case Operand.U -> "xmm" + i.rm;
            case Operand.W -> i.mod == 3 ? "xmm" + i.rm : memory(i, w);
            case Operand.P -> "mm" + i.reg;
            case Operand.N -> "mm" + i.rm;
            case Operand.Q -> i.mod == 3 ? "mm" + i.rm : memory(i, w);
            case Operand.ST -> "st(0)";
            case Operand.STI -> "st(" + i.rm + ")";
            default -> null;   // string operands are implied by the mnemonic
        };
    }

    private static boolean isImm(OperandSpec s) {
        return s.kind() == Operand.I || s.kind() == Operand.IBS;
    }

    private static String memory(Insn i, int w) {
        StringBuilder sb = new StringBuilder(size(w)).append(seg(i, false)).append('[');
        String[] names = i.asize == 2 ? R16 : R32;
        boolean any = false;
        if (i.base >= 0) {
            sb.append(names[i.base]);
            any = true;
        }
        if (i.index >= 0) {
            sb.append(any ? "+" : "").append(names[i.index]);
            if (i.scale > 0) {
                sb.append('*').append(1 << i.scale);
            }
            any = true;
        }
        long d = i.disp;
        if (!any) {
            sb.append(hex(Cpu.mask(d, i.asize)));
        } else if (d != 0) {
            long sd = i.asize == 2 ? (short) d : (int) d;
            sb.append(sd < 0 ? "-" : "+").append(hex(Math.abs(sd)));
        }
        return sb.append(']').toString();
    }

    private static String seg(Insn i, boolean always) {
        if (i.has(Insn.P_SEG) || always && i.seg != Cpu.DS) {
            return SREG[i.seg] + ":";
        }
        return "";
    }

    private static String size(int w) {
        return switch (w) {
            case 1 -> "byte ptr ";
            case 2 -> "word ptr ";
            case 4 -> "dword ptr ";
            case 6 -> "fword ptr ";
            case 8 -> "qword ptr ";
            case 10 -> "tbyte ptr ";
            case 16 -> "xmmword ptr ";
            default -> "";
        };
    }

    private static String hex(long v) {
        return v < 10 && v >= 0 ? Long.toString(v) : "0x" + Long.toHexString(v);
    }

    /** Hex dump of instruction bytes, for logs. */
    public static String bytes(byte[] b) {
        return HexFormat.ofDelimiter(" ").formatHex(b);
    }
}

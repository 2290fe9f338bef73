package dev.vmm.core.cpu.iced;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Disassembler;
import dev.vmm.core.cpu.Insn;
import dev.vmm.core.cpu.Operand;
import dev.vmm.core.cpu.OperandSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Renders the operands of an iced line and of our decoded {@link Insn} in one canonical text form, so that the oracle
 * compares strings. Forms:
 * <ul>
 *   <li>{@code r:<reg>}: a register (iced's lower-case names: {@code al}, {@code si}, {@code esi}, {@code es},
 *       {@code cr0}, {@code dr7});</li>
 *   <li>{@code i:<hex>}: an immediate, zero-extended from its operand width (iced's {@code i8to16 0xFFA5} is our
 *       {@code Ibs} at operand size 2 masked to 16 bits; iced's shift count {@code i8;1} is our constant
 *       {@code 1});</li>
 *   <li>{@code nb16|nb32:<hex>}: a near branch target, ours = (ip + length + displacement) masked to the operand
 *       size; {@code fb16|fb32:<sel>:<off>}: a direct far pointer;</li>
 *   <li>{@code m:<seg>:<base>:<index>:<scale>:<displ>:<bytes>}: a memory operand with the effective segment, the
 *       scale as a factor (1 for 16-bit addressing), the displacement masked to the address size (iced prints it
 *       that way: {@code 0xFFA5} for disp8 -0x5B with 16-bit addressing) and the access width in bytes ({@code *}
 *       when iced's MemorySize has no plain width);</li>
 *   <li>{@code str:<seg>:<si|esi|di|edi>:<bytes>}: a string operand (our {@code X}/{@code Y}).</li>
 * </ul>
 */
final class IcedOperands {
    private static final String[] SREG = {"es", "cs", "ss", "ds", "fs", "gs", "?6", "?7"};
    private static final String[] R16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
    private static final String[] R32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    /** iced codes covered by rule R1 of {@link #agree}. */
    private static final Pattern R1 = Pattern.compile("^(Mov_Sreg|Lldt|Ltr|Verr|Verw|Lmsw|Lar|Lsl|Arpl)_.*r32m16");

    private IcedOperands() {
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v).toUpperCase(Locale.ROOT);
    }

    /** Access width in bytes of an iced MemorySize, or -1 when it has none we model (then not compared). */
    static int memorySize(String ms) {
        return switch (ms) {
            case "UInt8", "Int8" -> 1;
            case "UInt16", "Int16", "WordOffset" -> 2;
            case "UInt32", "Int32", "DwordOffset" -> 4;
            case "UInt64", "Int64" -> 8;
            case "SegPtr16", "Bound16_WordWord" -> 4;
            case "SegPtr32", "Fword6" -> 6;
            case "Bound32_DwordDword" -> 8;
            case "Unknown" -> 0;
            default -> -1;
        };
    }

    private static String size(int bytes) {
        return bytes < 0 ? "*" : Integer.toString(bytes);
    }

    /** iced's operands in canonical form. */
    static List<String> iced(IcedCase c) {
        List<String> out = new ArrayList<>();
        for (IcedCase.Operand o : c.operands()) {
            out.add(switch (o.kind()) {
                case REGISTER -> "r:" + o.register();
                case IMMEDIATE -> "i:" + hex(o.immediate());
                case NEAR_BRANCH -> o.token() + ":" + hex(o.branchTarget());
                case FAR_BRANCH -> o.token() + ":" + hex(o.farSelector()) + ":" + hex(o.branchTarget());
                case MEMORY -> "m:" + o.memSegment() + ":" + nz(o.memBase()) + ":" + nz(o.memIndex()) + ":"
                        + o.memScale() + ":" + hex(o.memDispl()) + ":" + size(memorySize(o.memorySize()));
                case STRING -> "str:" + o.memSegment() + ":" + o.memBase() + ":" + size(memorySize(o.memorySize()));
                case OTHER -> "?" + o.raw();
            });
        }
        return out;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** Our operands in canonical form; {@code ip} is the instruction's address (for branch targets). */
    static List<String> ours(Insn i, long ip) {
        List<String> out = new ArrayList<>();
        List<OperandSpec> ops = i.entry.operands();
        int imms = 0;
        for (int k = 0; k < ops.size(); k++) {
            OperandSpec s = ops.get(k);
            int w = k == 0 ? i.w1 : k == 1 ? i.w2 : i.w3;
            out.add(switch (s.kind()) {
                case Operand.E -> i.mod == 3 ? "r:" + Disassembler.reg(i.rm, w) : memory(i, w);
                case Operand.M -> memory(i, w);
                case Operand.G, Operand.Z -> "r:" + Disassembler.reg(i.reg, w);
                case Operand.R -> "r:" + Disassembler.reg(i.rm, w);
                case Operand.REG -> "r:" + Disassembler.reg(s.fixed(), w);
                case Operand.SREG -> "r:" + SREG[s.fixed()];
                case Operand.S -> "r:" + SREG[i.reg];
                case Operand.C -> "r:cr" + i.reg;
                case Operand.D -> "r:dr" + i.reg;
                case Operand.ONE -> "i:" + hex(1);
                case Operand.I, Operand.IBS -> "i:" + hex(Cpu.mask(imms++ == 0 ? i.imm : i.imm2, w));
                case Operand.J -> "nb" + i.osize * 8 + ":" + hex(Cpu.mask(ip + i.len + i.imm, i.osize));
                case Operand.O -> "m:" + SREG[i.seg] + ":::1:" + hex(Cpu.mask(i.disp, i.asize)) + ":" + w;
                case Operand.A -> "fb" + i.osize * 8 + ":" + hex(i.imm2) + ":" + hex(i.imm);
                case Operand.X -> "str:" + SREG[i.seg] + ":" + (i.asize == 2 ? "si" : "esi") + ":" + w;
                case Operand.Y -> "str:es:" + (i.asize == 2 ? "di" : "edi") + ":" + w;
                case Operand.ST -> "r:st0";
                case Operand.STI -> "r:st" + i.rm;
                default -> "?kind" + s.kind();
            });
        }
        if (i.entry.mnemonic().equals("XLAT")) {
            // Implied by our notation: XLAT reads [seg:(e)bx + al]; iced lists it as an operand.
            out.add("m:" + SREG[i.seg] + ":" + (i.asize == 2 ? "bx" : "ebx") + ":al:1:" + hex(0) + ":1");
        }
        return out;
    }

    private static String memory(Insn i, int w) {
        String[] names = i.asize == 2 ? R16 : R32;
        return "m:" + SREG[i.seg] + ":" + (i.base >= 0 ? names[i.base] : "") + ":"
                + (i.index >= 0 ? names[i.index] : "") + ":" + (1 << i.scale) + ":" + hex(Cpu.mask(i.disp, i.asize))
                + ":" + w;
    }

    /**
     * Whether iced operand {@code iced} and our operand {@code ours} agree. Exact text equality, except:
     * a memory width iced gives as {@code *} is not compared; and rule R1: for the SDM's {@code Ew}/{@code Gw}
     * operands of MOV Sreg,Ew, LLDT, LTR, VERR, VERW, LMSW, LAR/LSL (source) and ARPL, whose iced {@code Code} is an
     * {@code r32m16} form, iced names the register at the 32-bit operand size while our table names the 16-bit part
     * the instruction actually reads (ARPL also writes only that part), so a 32-bit iced register equals our 16-bit
     * register of the same number. (The stores SLDT, STR, SMSW and MOV Ev,Sw are {@code Rv/Mw} in our table and are
     * compared exactly.)
     */
    static boolean agree(String code, String iced, String ours) {
        if (iced.equals(ours)) {
            return true;
        }
        if (iced.startsWith("m:") && iced.endsWith(":*") && ours.startsWith("m:")) {
            return ours.substring(0, ours.lastIndexOf(':')).equals(iced.substring(0, iced.length() - 2));
        }
        if (R1.matcher(code).find() && iced.startsWith("r:e") && ours.startsWith("r:")) {
            for (int n = 0; n < 8; n++) {
                if (iced.equals("r:" + R32[n])) {
                    return ours.equals("r:" + R16[n]);
                }
            }
        }
        return false;
    }
}

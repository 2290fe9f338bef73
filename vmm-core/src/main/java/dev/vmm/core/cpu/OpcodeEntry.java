package dev.vmm.core.cpu;

import java.util.List;

/**
 * One row of the opcode table: an encoding, a mnemonic with operands in SDM notation, and the
 * attributes the decoder needs.
 *
 * @param map       0 = one-byte map, 1 = 0F, 2 = 0F 38, 3 = 0F 3A
 * @param opcode    the opcode byte within its map
 * @param group     ModRM reg value required (the /digit of the SDM), or -1
 * @param modrm     an exact ModRM byte required, or -1
 * @param mnemonic  the mnemonic, as the disassembler prints it
 * @param key       the semantic handler's name (the mnemonic unless the table says {@code @KEY})
 * @param operands  the operands
 * @param flags     {@code F_*} attribute bits
 */
public record OpcodeEntry(int map, int opcode, int group, int modrm, String mnemonic, String key,
                          List<OperandSpec> operands, int flags) {
    /** LOCK prefix allowed (with a memory destination). */
    public static final int F_LOCK = 1;
    /** REP/REPE/REPNE meaningful (string instructions). */
    public static final int F_REP = 1 << 1;
    /** ModRM mod must be memory. */
    public static final int F_MEM = 1 << 2;
    /** ModRM mod must be register. */
    public static final int F_REG = 1 << 3;
    /** Only with 16-bit operand size. */
    public static final int F_O16 = 1 << 4;
    /** Only with 32-bit operand size. */
    public static final int F_O32 = 1 << 5;
    /** Only with 16-bit address size. */
    public static final int F_A16 = 1 << 6;
    /** Only with 32-bit address size. */
    public static final int F_A32 = 1 << 7;
    /** Invalid in 64-bit mode. */
    public static final int F_I64 = 1 << 8;
    /** Needs a mandatory F3 prefix. */
    public static final int F_PF3 = 1 << 9;
    /** Has a ModRM byte. */
    public static final int F_MODRM = 1 << 10;
    /** Only in 64-bit mode. */
    public static final int F_O64 = 1 << 11;
    /** Needs a mandatory 66 prefix (and no F2/F3): the SSE2 "packed double / 128-bit integer" rows. */
    public static final int F_P66 = 1 << 12;
    /** Needs a mandatory F2 prefix. */
    public static final int F_PF2 = 1 << 13;
    /** Needs no 66, F2 or F3 prefix (the MMX and SSE "packed single" rows beside 66/F2/F3 variants). */
    public static final int F_NP = 1 << 14;
    /** Any of the mandatory-prefix attributes. */
    public static final int F_SIMD_PREFIX = F_PF3 | F_P66 | F_PF2 | F_NP;

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** The row as written in SDM notation, e.g. {@code ADD Eb,Gb}. */
    public String notation() {
        StringBuilder sb = new StringBuilder(mnemonic);
        for (int k = 0; k < operands.size(); k++) {
            sb.append(k == 0 ? " " : ",").append(operands.get(k).text());
        }
        return sb.toString();
    }
}

package dev.vmm.core.cpu;

/**
 * A decoded instruction. Decoding is done once per guest code location and cached; the fields
 * are read by the handlers and the disassembler. Operands are described by their table spec plus
 * the resolved width in bytes ({@link #w1}..{@link #w3}).
 */
public final class Insn {
    /** Prefix bits in {@link #prefixes}. */
    public static final int P_LOCK = 1;
    public static final int P_REP = 1 << 1;      // F3
    public static final int P_REPNE = 1 << 2;    // F2
    public static final int P_OSIZE = 1 << 3;    // 66
    public static final int P_ASIZE = 1 << 4;    // 67
    public static final int P_SEG = 1 << 5;      // a segment override is present

    /** Why an instruction could not be decoded (when {@link #entry} is null). */
    public static final int BAD_NONE = 0;
    public static final int BAD_OPCODE = 1;      // #UD
    public static final int BAD_LOCK = 2;        // #UD
    public static final int BAD_TOO_LONG = 3;    // #GP(0)
    public static final int BAD_TRUNCATED = 4;   // the source ran out of bytes

    /** The table row, or null if the bytes are not a valid instruction (see {@link #bad}). */
    public OpcodeEntry entry;
    public Handler handler;
    /** How the interpreter calls {@link #handler} (see {@link Step}). */
    Step step;
    public int bad;
    /** Decode mode: 16, 32 or 64 (the code-segment default size). */
    public int mode;
    /** Length in bytes, 1..15. */
    public int len;
    /** The last opcode byte (Jcc/SETcc/CMOVcc take their condition from its low nibble). */
    public int opcode;
    public int prefixes;
    /** Operand size in bytes (2, 4 or 8): the 'v' size. */
    public int osize;
    /** Address size in bytes (2, 4 or 8). */
    public int asize;
    /** Effective segment of the memory operand: the override, or DS/SS by the base register. */
    public int seg;

    /** The ModRM byte, or -1. */
    public int modrmByte = -1;
    public int mod;
    public int reg;
    public int rm;
    /** Base and index register numbers of the memory operand, -1 for none; scale is a shift count. */
    public int base = -1;
    public int index = -1;
    public int scale;
    public long disp;
    public long imm;
    public long imm2;
    /**
     * For an instruction cached although it goes on into the next page ({@link CodeCache}): the
     * physical page its bytes there came from; -1 for one that ends on its own page.
     */
    public long nextPa = -1;

    /** Operand kinds and widths (bytes), copied from the entry for speed. */
    public int k1;
    public int k2;
    public int k3;
    public int w1;
    public int w2;
    public int w3;
    /**
     * Per operand, resolved by the decoder so operand access needs no table lookup: the register
     * number of a fixed-register operand (REG, SREG), or the value of an immediate operand (I, IBS)
     * masked to its width; 0 for other kinds.
     */
    public long c1;
    public long c2;
    public long c3;

    /** True if the ModRM r/m operand is a register. */
    public boolean rmIsReg() {
        return mod == 3;
    }

    public boolean has(int prefix) {
        return (prefixes & prefix) != 0;
    }

    public int operandCount() {
        return entry == null ? 0 : entry.operands().size();
    }

    @Override
    public String toString() {
        return Disassembler.format(this);
    }
}

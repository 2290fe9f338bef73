package dev.vmm.core.cpu;

/**
 * Operand kinds of the opcode table, in the notation of the Intel SDM, volume 2, appendix A.
 *
 * <p>An operand spec in the table is a kind letter (or a fixed register name) followed by a size
 * letter: {@code Eb}, {@code Gv}, {@code Iz}, {@code Jb}, {@code Sw}, {@code M}, {@code AL},
 * {@code eAX}. Sizes: b byte, w word, d dword, q qword, v operand size (16/32), z 16/32 (32 in 64-bit
 * mode), p far pointer (16:16/16:32), s pseudo-descriptor (16:32), a BOUND pair, t ten bytes (x87
 * extended real, packed BCD), dq/ps/pd sixteen bytes, ss four and sd eight bytes. SIMD operands:
 * {@code V}/{@code W}/{@code U} XMM (reg, r/m, r/m register only), {@code P}/{@code Q}/{@code N} MMX
 * likewise; x87: {@code ST} (ST(0)) and {@code STi} (ST(i) from ModRM r/m).
 */
public final class Operand {
    private Operand() {
    }

    public static final int NONE = 0;
    /** ModRM r/m: register or memory. */
    public static final int E = 1;
    /** ModRM reg field: general register. */
    public static final int G = 2;
    /** ModRM r/m, memory only. */
    public static final int M = 3;
    /** ModRM r/m, register only (mod bits ignored, as for MOV CRn). */
    public static final int R = 4;
    /** Immediate (value in {@link Insn#imm}, or {@link Insn#imm2} for the second immediate). */
    public static final int I = 5;
    /** Immediate sign-extended from a byte to the operand size. */
    public static final int IBS = 6;
    /** Relative branch displacement; the decoder stores the signed displacement in {@link Insn#imm}. */
    public static final int J = 7;
    /** Memory offset (moffs) of address size, in {@link Insn#disp}. */
    public static final int O = 8;
    /** Direct far pointer: offset in {@link Insn#imm}, selector in {@link Insn#imm2}. */
    public static final int A = 9;
    /** Segment register selected by ModRM reg. */
    public static final int S = 10;
    /** Control register selected by ModRM reg. */
    public static final int C = 11;
    /** Debug register selected by ModRM reg. */
    public static final int D = 12;
    /** General register in the low three bits of the opcode. */
    public static final int Z = 13;
    /** A fixed general register ({@code fixed} holds its number). */
    public static final int REG = 14;
    /** A fixed segment register ({@code fixed} holds its number). */
    public static final int SREG = 15;
    /** The constant 1 (shift by one). */
    public static final int ONE = 16;
    /** String source DS:rSI (segment overridable). */
    public static final int X = 17;
    /** String destination ES:rDI. */
    public static final int Y = 18;
    /** XMM register selected by ModRM reg. */
    public static final int V = 19;
    /** ModRM r/m: XMM register or memory. */
    public static final int W = 20;
    /** ModRM r/m, XMM register only (mod must be 3). */
    public static final int U = 21;
    /** MMX register selected by ModRM reg. */
    public static final int P = 22;
    /** ModRM r/m: MMX register or memory. */
    public static final int Q = 23;
    /** ModRM r/m, MMX register only (mod must be 3). */
    public static final int N = 24;
    /** The x87 stack top ST(0). */
    public static final int ST = 25;
    /** The x87 register ST(i), i from ModRM r/m. */
    public static final int STI = 26;

    /** Size codes, resolved to a byte width at decode time. */
    public static final int SZ_NONE = 0;
    public static final int SZ_B = 1;
    public static final int SZ_W = 2;
    public static final int SZ_D = 3;
    public static final int SZ_Q = 4;
    public static final int SZ_V = 5;
    public static final int SZ_Z = 6;
    public static final int SZ_P = 7;
    public static final int SZ_S = 8;
    public static final int SZ_A = 9;
    /**
     * The SDM's {@code Rv/Mw} (also written {@code Mw/Rv}): an E operand that is a register at the operand size
     * (16/32) but a word in memory (MOV Ev,Sw; SLDT; STR; SMSW).
     */
    public static final int SZ_RVMW = 10;
    /** Ten bytes: x87 double-extended real or packed BCD ({@code Mt}). */
    public static final int SZ_T = 11;
    /**
     * Sixteen bytes: a whole XMM register or 128-bit memory operand ({@code dq}, {@code ps}, {@code pd}). The scalar
     * SIMD sizes map to the integer ones: {@code ss} to {@code d}, {@code sd} to {@code q}.
     */
    public static final int SZ_DQ = 12;
    /** The SDM's {@code Rd/Mw}: a 32-bit general register, or a word in memory (PINSRW). */
    public static final int SZ_RDMW = 13;
}

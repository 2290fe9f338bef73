package dev.vmm.core.cpu.iced;

import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One line of an iced {@code Decoder/DecoderTest{16,32,64}.txt} or {@code DecoderTestMisc*.txt} file: a single
 * instruction and how iced decodes it. Parsed by {@link IcedVectorReader}.
 *
 * @param bitness         16, 32 or 64 (decoder mode)
 * @param lineNumber      1-based line number in the file
 * @param line            the raw line
 * @param bytes           instruction bytes; the instruction length is {@code bytes.length} (may be 0 in Misc files)
 * @param code            iced {@code Code} name, e.g. {@code "Add_rm16_r16"}, or {@code "INVALID"}
 * @param mnemonic        iced {@code Mnemonic}, e.g. {@code "Add"}, or {@code "INVALID"}
 * @param opCount         operand count
 * @param operands        parsed {@code op0=}..{@code op4=} values, in operand order (size {@code opCount} for
 *                        well-formed lines)
 * @param prefixes        prefix flags reported by the decoder
 * @param decoderOptions  values of {@code decopt=} (empty if none); the line is valid only with those options
 * @param error           {@code err=} value ({@code "NoMoreBytes"}...), or {@code null}; an {@code INVALID} line without
 *                        {@code err=} means iced reports {@code InvalidInstruction}
 * @param originalCode    {@code code=} value on {@code INVALID} lines: the code the bytes would decode to without the
 *                        validity check ({@code "INVALID"} if none), else {@code null}
 * @param constantOffsets {@code co=} value, or {@code null} (iced then expects all zeros)
 * @param encodedBytes    {@code enc=} bytes (the encoder's canonical re-encoding), or {@code null}
 * @param ip              instruction address used for branch targets: 0x7FF0 / 0x7FFFFFF0 / 0x7FFFFFFFFFFFFFF0 by
 *                        bitness, unless {@code ip=} overrides it
 * @param otherTokens     remaining tokens kept verbatim: opmask {@code k1..k7}, {@code zmsk}, {@code bcst},
 *                        {@code sae}, {@code rc-*}, {@code vsib32/64}, {@code eh}, {@code mvex-*}, {@code noencode},
 *                        {@code no_opt_disable_test}, and anything unknown
 */
public record IcedCase(int bitness, int lineNumber, String line, byte[] bytes, String code, String mnemonic,
                       int opCount, List<Operand> operands, Prefixes prefixes, List<String> decoderOptions,
                       String error, String originalCode, ConstantOffsets constantOffsets, byte[] encodedBytes,
                       long ip, Set<String> otherTokens) {

    /** {@code Code} value of undecodable lines. */
    public static final String INVALID = "INVALID";

    public IcedCase {
        operands = List.copyOf(operands);
        decoderOptions = List.copyOf(decoderOptions);
        otherTokens = Set.copyOf(otherTokens);
    }

    /** Whether the default decoder must reject the bytes ({@code Code == INVALID}). */
    public boolean invalid() {
        return INVALID.equals(code);
    }

    /** Instruction length in bytes (the whole byte string is one instruction). */
    public int length() {
        return bytes.length;
    }

    /** The {@code decopt=} option(s) joined with {@code ';'}, or {@code null} if none. */
    public String decopt() {
        return decoderOptions.isEmpty() ? null : String.join(";", decoderOptions);
    }

    /** Operand {@code i}. */
    public Operand operand(int i) {
        return operands.get(i);
    }

    /** Upper-case hex of {@link #bytes()} without spaces. */
    public String hex() {
        return HexFormat.of().withUpperCase().formatHex(bytes);
    }

    /** Shortcut for {@code prefixes().lock()}. */
    public boolean lock() {
        return prefixes.lock();
    }

    /** Shortcut for {@code prefixes().segment()}: {@code "es"}..{@code "gs"} or {@code null}. */
    public String segmentPrefix() {
        return prefixes.segment();
    }

    /**
     * Basic filter for the ISA subset a 32-bit P6-class core implements: rejects lines that need a {@code decopt=}
     * and lines whose code (or, for {@code INVALID} lines, original code) is VEX/EVEX/XOP/MVEX encoded or 3DNow!.
     * It cannot recognise newer legacy-encoded extensions (SSE3+, ...) by name; harnesses filter further by whether
     * our opcode table claims the opcode.
     */
    public boolean inImplementedSubset() {
        return decoderOptions.isEmpty() && !IcedVectorReader.isExtensionCode(code)
                && (originalCode == null || !IcedVectorReader.isExtensionCode(originalCode));
    }

    @Override
    public String toString() {
        return "IcedCase[" + bitness + "-bit line " + lineNumber + ": " + line + "]";
    }

    /** Prefix flags (tokens {@code lock rep repe repne xacquire xrelease es: cs: ss: ds: fs: gs:}). */
    public record Prefixes(boolean lock, boolean rep, boolean repe, boolean repne, boolean xacquire,
                           boolean xrelease, String segment) {
        /** No prefixes. */
        public static final Prefixes NONE = new Prefixes(false, false, false, false, false, false, null);
    }

    /**
     * Offsets and sizes of the immediate(s) and displacement inside {@link #bytes()} ({@code co=} field). A size of
     * 0 means "not present".
     */
    public record ConstantOffsets(int immediateOffset, int immediateSize, int immediateOffset2, int immediateSize2,
                                  int displacementOffset, int displacementSize) {
    }

    /** Operand kinds. */
    public enum Kind {
        /** {@code r;<reg>}. */
        REGISTER,
        /** {@code i8 i16 i32 i64 i8to16 i8to32 i8to64 i32to64 i8_2nd;<value>}. */
        IMMEDIATE,
        /** {@code nb16 nb32 nb64;<target>}. */
        NEAR_BRANCH,
        /** {@code fb16 fb32;<selector>;<offset>}. */
        FAR_BRANCH,
        /** {@code m;<seg>;<base>;<index>;<scale>;<displ>;<displSize>;<MemorySize>}. */
        MEMORY,
        /** {@code segsi segesi segrsi segdi segedi segrdi;<seg>;<MemorySize>} and {@code esdi esedi esrdi;<MemorySize>}. */
        STRING,
        /** Anything else (kept verbatim in {@link Operand#raw()}). */
        OTHER
    }

    /**
     * One parsed operand. Fields not meaningful for the {@link #kind()} are {@code null} / 0. Register names are
     * iced's lower-case names ({@code "eax"}, {@code "bx"}, {@code "es"}, {@code "xmm2"}...); an empty register field
     * becomes {@code null}.
     *
     * @param kind         operand kind
     * @param token        the kind token as written: {@code "r"}, {@code "i8to16"}, {@code "nb32"}, {@code "m"},
     *                     {@code "segesi"}...
     * @param raw          the whole operand value, e.g. {@code "m;ds;eax;;1;0;0;UInt16"}
     * @param register     REGISTER: the register
     * @param immediate    IMMEDIATE: the value (already sign-extended for {@code i8toNN}; unsigned 64-bit bits)
     * @param branchTarget NEAR_BRANCH: target address; FAR_BRANCH: the offset
     * @param farSelector  FAR_BRANCH: selector
     * @param memSegment   MEMORY/STRING: effective segment register (for {@code esdi}-style operands: {@code "es"})
     * @param memBase      MEMORY: base register or {@code null}; STRING: the implied index register ({@code "si"},
     *                     {@code "edi"}, ...)
     * @param memIndex     MEMORY: index register or {@code null}
     * @param memScale     MEMORY: scale 1/2/4/8
     * @param memDispl     MEMORY: displacement (unsigned 64-bit bits as iced prints them)
     * @param memDisplSize MEMORY: displacement size in bytes (0, 1, 2, 4, 8)
     * @param memorySize   MEMORY/STRING: iced {@code MemorySize} name ({@code "UInt16"}, {@code "Unknown"}, ...)
     */
    public record Operand(Kind kind, String token, String raw, String register, long immediate, long branchTarget,
                          int farSelector, String memSegment, String memBase, String memIndex, int memScale,
                          long memDispl, int memDisplSize, String memorySize) {

        /** Immediate width token ({@code "i8"}, {@code "i8to32"}, {@code "i8_2nd"}...) or {@code null}. */
        public String immediateKind() {
            return kind == Kind.IMMEDIATE ? token : null;
        }

        /** String-operand form ({@code "segsi"}, {@code "esedi"}...) or {@code null}. */
        public String stringForm() {
            return kind == Kind.STRING ? token : null;
        }

        /** Branch operand size in bits (16/32/64) from the token, or 0 for non-branches. */
        public int branchSize() {
            if (kind != Kind.NEAR_BRANCH && kind != Kind.FAR_BRANCH) {
                return 0;
            }
            return Integer.parseInt(token.substring(2));
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase(Locale.ROOT) + "(" + raw + ")";
        }
    }
}

package dev.vmm.core.cpu.iced;

import java.util.HexFormat;
import java.util.List;

/**
 * One line of iced's {@code InstructionInfo/InstructionInfoTest_{16,32,64}.txt}: per-instruction RFLAGS usage (and
 * more, kept verbatim). Format: {@code HEXBYTES, Code, Encoding, CpuidFeature[;CpuidFeature], key=value ...}.
 *
 * <p>Flag strings hold iced's letters: {@code o s z a c p d i} (OF SF ZF AF CF PF DF IF), {@code A} (AC),
 * {@code 0 1 2 3} (x87 C0..C3, not EFLAGS bits) and {@code u} (UIF, not an EFLAGS bit). iced does not model TF, NT,
 * RF, VM, IOPL or ID in these files. The {@code ...Mask()} methods convert to x86 EFLAGS bit positions with
 * {@link #eflagsBits(String)}.
 *
 * @param bitness        16, 32 or 64
 * @param lineNumber     1-based line number
 * @param line           the raw line
 * @param bytes          instruction bytes
 * @param code           iced {@code Code} name
 * @param encoding       {@code Legacy}, {@code VEX}, {@code EVEX}, {@code XOP}, {@code D3NOW}, {@code MVEX}
 * @param cpuidFeatures  CPUID feature names ({@code INTEL8086}, {@code INTEL386}, {@code FPU}, ...)
 * @param flagsRead      {@code fr=} letters ("" if absent)
 * @param flagsWritten   {@code fw=} letters (written with a computed value)
 * @param flagsCleared   {@code fc=} letters (always cleared)
 * @param flagsSet       {@code fs=} letters (always set)
 * @param flagsUndefined {@code fu=} letters (left undefined)
 * @param decoderOptions {@code decopt=} values (empty if none)
 * @param otherTokens    every other token verbatim ({@code op0=r}, {@code r=ss}, {@code wm=...}, {@code stack=-2},
 *                       {@code flow=...}, {@code priv}, {@code special}, ...)
 */
public record IcedInfo(int bitness, int lineNumber, String line, byte[] bytes, String code, String encoding,
                       List<String> cpuidFeatures, String flagsRead, String flagsWritten, String flagsCleared,
                       String flagsSet, String flagsUndefined, List<String> decoderOptions, List<String> otherTokens) {

    /** EFLAGS bit positions. */
    public static final int CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200, DF = 0x400,
            OF = 0x800, AC = 0x40000;

    public IcedInfo {
        cpuidFeatures = List.copyOf(cpuidFeatures);
        decoderOptions = List.copyOf(decoderOptions);
        otherTokens = List.copyOf(otherTokens);
    }

    /** Lookup key: upper-case hex bytes (no spaces), {@code '|'}, code name. */
    public String key() {
        return key(bytes, code);
    }

    /** Lookup key for {@code bytes} decoded as {@code code}; see {@link IcedVectorReader#indexInfo}. */
    public static String key(byte[] bytes, String code) {
        return HexFormat.of().withUpperCase().formatHex(bytes) + "|" + code;
    }

    /** EFLAGS bits read. */
    public int readMask() {
        return eflagsBits(flagsRead);
    }

    /** EFLAGS bits written with a computed value. */
    public int writtenMask() {
        return eflagsBits(flagsWritten);
    }

    /** EFLAGS bits always cleared. */
    public int clearedMask() {
        return eflagsBits(flagsCleared);
    }

    /** EFLAGS bits always set. */
    public int setMask() {
        return eflagsBits(flagsSet);
    }

    /** EFLAGS bits left undefined: mask these out when comparing against hardware or another emulator. */
    public int undefinedMask() {
        return eflagsBits(flagsUndefined);
    }

    /** EFLAGS bits modified in any way (written, cleared, set or undefined). */
    public int modifiedMask() {
        return writtenMask() | clearedMask() | setMask() | undefinedMask();
    }

    /** Whether the instruction needs a non-default decoder option. */
    public boolean hasDecopt() {
        return !decoderOptions.isEmpty();
    }

    /** Same basic filter as {@link IcedCase#inImplementedSubset()}: legacy encoding, no decopt, no VEX/3DNow! code. */
    public boolean inImplementedSubset() {
        return "Legacy".equals(encoding) && decoderOptions.isEmpty() && !IcedVectorReader.isExtensionCode(code);
    }

    /**
     * Converts iced flag letters to x86 EFLAGS bits: c=CF p=PF a=AF z=ZF s=SF i=IF d=DF o=OF A=AC. The x87 letters
     * {@code 0-3} and {@code u} (UIF) have no EFLAGS bit and are ignored; any other letter is rejected.
     */
    public static int eflagsBits(String letters) {
        int m = 0;
        for (int i = 0; i < letters.length(); i++) {
            char ch = letters.charAt(i);
            m |= switch (ch) {
                case 'c' -> CF;
                case 'p' -> PF;
                case 'a' -> AF;
                case 'z' -> ZF;
                case 's' -> SF;
                case 'i' -> IF;
                case 'd' -> DF;
                case 'o' -> OF;
                case 'A' -> AC;
                case '0', '1', '2', '3', 'u' -> 0;
                default -> throw new IllegalArgumentException("unknown iced flag letter '" + ch + "' in " + letters);
            };
        }
        return m;
    }

    /** x87 status-word condition bits for the letters {@code 0-3} (C0=0x100, C1=0x200, C2=0x400, C3=0x4000). */
    public static int fpuConditionBits(String letters) {
        int m = 0;
        for (int i = 0; i < letters.length(); i++) {
            m |= switch (letters.charAt(i)) {
                case '0' -> 0x100;
                case '1' -> 0x200;
                case '2' -> 0x400;
                case '3' -> 0x4000;
                default -> 0;
            };
        }
        return m;
    }

    @Override
    public String toString() {
        return "IcedInfo[" + bitness + "-bit line " + lineNumber + ": " + line + "]";
    }
}

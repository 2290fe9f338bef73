package dev.vmm.core.cpu.iced;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reader for the iced decoder test vectors ({@code <testdata>/iced-decoder-vectors}, see its README).
 *
 * <ul>
 *   <li>{@code Decoder/DecoderTest{16,32,64}.txt} and {@code Decoder/DecoderTestMisc{16,32,64}.txt} (same format):
 *       {@link #readDecoderTests} gives {@link IcedCase}s.</li>
 *   <li>{@code InstructionInfo/InstructionInfoTest_{16,32,64}.txt}: {@link #readInstructionInfo} gives
 *       {@link IcedInfo}s; {@link #indexInfo} keys them by bytes + code.</li>
 * </ul>
 * Blank lines and lines starting with {@code #} are skipped. A malformed line raises an {@link IOException} naming the
 * file and line number. Lines are parsed the way iced's {@code DecoderTestParser.cs} does (split on the first four
 * commas, extras split on spaces), but unknown extra keys are kept in {@link IcedCase#otherTokens()} instead of
 * failing, and unknown operand kinds become {@link IcedCase.Kind#OTHER}.
 */
public final class IcedVectorReader {

    /** Sub-directory of the test-data root. */
    public static final String ICED_DIR = "iced-decoder-vectors";

    private IcedVectorReader() {
    }

    // ---------------------------------------------------------------- locations

    /**
     * Root of the shared test data: system property {@code vmm.testdata} if set, else {@code ../shared/testdata}
     * relative to the repository root (nearest ancestor of the working directory holding {@code mvnw} or
     * {@code .mvn}). May not exist; callers skip via JUnit assumptions.
     */
    public static Path testDataRoot() {
        String prop = System.getProperty("vmm.testdata");
        if (prop != null && !prop.isBlank()) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        Path dir = Paths.get("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("mvnw")) || Files.isDirectory(p.resolve(".mvn"))) {
                return p.resolve("../shared/testdata").normalize();
            }
        }
        return dir.resolve("../shared/testdata").normalize();
    }

    /** {@code <root>/iced-decoder-vectors}. */
    public static Path icedDir() {
        return testDataRoot().resolve(ICED_DIR);
    }

    /** {@code Decoder/DecoderTest<bitness>.txt}. */
    public static Path decoderTestFile(int bitness) {
        return icedDir().resolve("Decoder/DecoderTest" + checkBitness(bitness) + ".txt");
    }

    /** {@code Decoder/DecoderTestMisc<bitness>.txt}. */
    public static Path decoderMiscFile(int bitness) {
        return icedDir().resolve("Decoder/DecoderTestMisc" + checkBitness(bitness) + ".txt");
    }

    /** {@code InstructionInfo/InstructionInfoTest_<bitness>.txt}. */
    public static Path instructionInfoFile(int bitness) {
        return icedDir().resolve("InstructionInfo/InstructionInfoTest_" + checkBitness(bitness) + ".txt");
    }

    /** iced's default instruction address for a mode (used for near-branch targets). */
    public static long defaultIp(int bitness) {
        return switch (bitness) {
            case 16 -> 0x7FF0L;
            case 32 -> 0x7FFF_FFF0L;
            case 64 -> 0x7FFF_FFFF_FFFF_FFF0L;
            default -> throw new IllegalArgumentException("bitness must be 16, 32 or 64: " + bitness);
        };
    }

    private static int checkBitness(int bitness) {
        defaultIp(bitness);
        return bitness;
    }

    // ---------------------------------------------------------------- decoder tests

    /** Reads every test line of a {@code DecoderTest*.txt} / {@code DecoderTestMisc*.txt} file. */
    public static List<IcedCase> readDecoderTests(Path file, int bitness) throws IOException {
        checkBitness(bitness);
        List<IcedCase> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (skip(line)) {
                continue;
            }
            try {
                out.add(parseDecoderLine(line, i + 1, bitness));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ":" + (i + 1) + ": " + e.getMessage() + ": " + line, e);
            }
        }
        return out;
    }

    /** Parses one decoder test line; throws {@link IllegalArgumentException} when malformed. */
    public static IcedCase parseDecoderLine(String line, int lineNumber, int bitness) {
        String[] parts = line.split(",", -1);
        if (parts.length != 5) {
            throw new IllegalArgumentException("expected 4 commas, found " + (parts.length - 1));
        }
        byte[] bytes = parseHex(parts[0]);
        String code = parts[1].strip();
        String mnemonic = parts[2].strip();
        int opCount = Integer.parseInt(parts[3].strip());
        IcedCase.Operand[] ops = new IcedCase.Operand[opCount];
        boolean lock = false, rep = false, repe = false, repne = false, xacquire = false, xrelease = false;
        String segment = null;
        List<String> decopts = new ArrayList<>();
        String error = null;
        String originalCode = null;
        IcedCase.ConstantOffsets co = null;
        byte[] enc = null;
        long ip = defaultIp(bitness);
        Set<String> other = new LinkedHashSet<>();
        for (String tok : parts[4].strip().split(" +")) {
            if (tok.isEmpty()) {
                continue;
            }
            int eq = tok.indexOf('=');
            String key = eq < 0 ? tok : tok.substring(0, eq);
            String value = eq < 0 ? null : tok.substring(eq + 1);
            switch (key) {
                case "lock" -> lock = true;
                case "rep" -> rep = true;
                case "repe" -> repe = true;
                case "repne" -> repne = true;
                case "xacquire" -> xacquire = true;
                case "xrelease" -> xrelease = true;
                case "es:", "cs:", "ss:", "ds:", "fs:", "gs:" -> segment = key.substring(0, 2);
                case "op0", "op1", "op2", "op3", "op4" -> {
                    int n = key.charAt(2) - '0';
                    if (n >= opCount) {
                        throw new IllegalArgumentException(key + " but OpCount is " + opCount);
                    }
                    ops[n] = parseOperand(required(key, value));
                }
                case "decopt" -> decopts.addAll(List.of(required(key, value).split(";")));
                case "err" -> error = required(key, value);
                case "code" -> originalCode = required(key, value);
                case "co" -> co = parseConstantOffsets(required(key, value));
                case "enc" -> enc = parseHex(required(key, value));
                case "ip" -> ip = parseNumber(required(key, value));
                default -> other.add(tok);
            }
        }
        for (int i = 0; i < opCount; i++) {
            if (ops[i] == null) {
                throw new IllegalArgumentException("op" + i + " missing (OpCount " + opCount + ")");
            }
        }
        if (IcedCase.INVALID.equals(code) && originalCode == null) {
            throw new IllegalArgumentException("INVALID line without code=");
        }
        IcedCase.Prefixes prefixes = new IcedCase.Prefixes(lock, rep, repe, repne, xacquire, xrelease, segment);
        return new IcedCase(bitness, lineNumber, line, bytes, code, mnemonic, opCount, List.of(ops), prefixes,
                decopts, error, originalCode, co, enc, ip, other);
    }

    private static String required(String key, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("'" + key + "' needs a value");
        }
        return value;
    }

    /** Parses an operand value such as {@code r;bx}, {@code i8to16;0xFFA5} or {@code m;ds;bx;si;1;0;0;UInt16}. */
    public static IcedCase.Operand parseOperand(String value) {
        String[] p = value.split(";", -1);
        String t = p[0];
        switch (t) {
            case "r" -> {
                arity(value, p, 2);
                return new IcedCase.Operand(IcedCase.Kind.REGISTER, t, value, reg(p[1]), 0, 0, 0, null, null, null,
                        0, 0, 0, null);
            }
            case "i8", "i16", "i32", "i64", "i8to16", "i8to32", "i8to64", "i32to64", "i8_2nd" -> {
                arity(value, p, 2);
                return new IcedCase.Operand(IcedCase.Kind.IMMEDIATE, t, value, null, parseNumber(p[1]), 0, 0, null,
                        null, null, 0, 0, 0, null);
            }
            case "nb16", "nb32", "nb64" -> {
                arity(value, p, 2);
                return new IcedCase.Operand(IcedCase.Kind.NEAR_BRANCH, t, value, null, 0, parseNumber(p[1]), 0,
                        null, null, null, 0, 0, 0, null);
            }
            case "fb16", "fb32" -> {
                arity(value, p, 3);
                return new IcedCase.Operand(IcedCase.Kind.FAR_BRANCH, t, value, null, 0, parseNumber(p[2]),
                        (int) parseNumber(p[1]), null, null, null, 0, 0, 0, null);
            }
            case "m" -> {
                arity(value, p, 8);
                return new IcedCase.Operand(IcedCase.Kind.MEMORY, t, value, null, 0, 0, 0, reg(p[1]), reg(p[2]),
                        reg(p[3]), (int) parseNumber(p[4]), parseNumber(p[5]), (int) parseNumber(p[6]), p[7]);
            }
            case "segsi", "segesi", "segrsi", "segdi", "segedi", "segrdi" -> {
                arity(value, p, 3);
                return new IcedCase.Operand(IcedCase.Kind.STRING, t, value, null, 0, 0, 0, reg(p[1]),
                        t.substring(3), null, 1, 0, 0, p[2]);
            }
            case "esdi", "esedi", "esrdi" -> {
                arity(value, p, 2);
                return new IcedCase.Operand(IcedCase.Kind.STRING, t, value, null, 0, 0, 0, "es", t.substring(2),
                        null, 1, 0, 0, p[1]);
            }
            default -> {
                return new IcedCase.Operand(IcedCase.Kind.OTHER, t, value, null, 0, 0, 0, null, null, null, 0, 0, 0,
                        null);
            }
        }
    }

    private static void arity(String value, String[] p, int n) {
        if (p.length != n) {
            throw new IllegalArgumentException("operand '" + value + "': expected " + n + " fields, got " + p.length);
        }
    }

    private static String reg(String s) {
        return s.isEmpty() ? null : s;
    }

    private static IcedCase.ConstantOffsets parseConstantOffsets(String v) {
        String[] p = v.split(";", -1);
        if (p.length != 6) {
            throw new IllegalArgumentException("co= needs 6 values: " + v);
        }
        int[] n = new int[6];
        for (int i = 0; i < 6; i++) {
            n[i] = (int) parseNumber(p[i]);
        }
        return new IcedCase.ConstantOffsets(n[0], n[1], n[2], n[3], n[4], n[5]);
    }

    // ---------------------------------------------------------------- instruction info

    /** Reads every line of an {@code InstructionInfoTest_*.txt} file. */
    public static List<IcedInfo> readInstructionInfo(Path file, int bitness) throws IOException {
        checkBitness(bitness);
        List<IcedInfo> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (skip(line)) {
                continue;
            }
            try {
                out.add(parseInfoLine(line, i + 1, bitness));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ":" + (i + 1) + ": " + e.getMessage() + ": " + line, e);
            }
        }
        return out;
    }

    /** Parses one instruction-info line; throws {@link IllegalArgumentException} when malformed. */
    public static IcedInfo parseInfoLine(String line, int lineNumber, int bitness) {
        String[] parts = line.split(",", 5);
        if (parts.length != 5) {
            throw new IllegalArgumentException("expected 4 commas, found " + (parts.length - 1));
        }
        byte[] bytes = parseHex(parts[0]);
        String code = parts[1].strip();
        String encoding = parts[2].strip();
        List<String> cpuid = List.of(parts[3].strip().split(";"));
        String fr = "", fw = "", fc = "", fs = "", fu = "";
        List<String> decopts = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (String tok : parts[4].strip().split(" +")) {
            if (tok.isEmpty()) {
                continue;
            }
            int eq = tok.indexOf('=');
            String key = eq < 0 ? tok : tok.substring(0, eq);
            String value = eq < 0 ? "" : tok.substring(eq + 1);
            switch (key) {
                case "fr" -> fr = checkFlags(value);
                case "fw" -> fw = checkFlags(value);
                case "fc" -> fc = checkFlags(value);
                case "fs" -> fs = checkFlags(value);
                case "fu" -> fu = checkFlags(value);
                case "decopt" -> decopts.addAll(List.of(required(key, value).split(";")));
                default -> other.add(tok);
            }
        }
        return new IcedInfo(bitness, lineNumber, line, bytes, code, encoding, cpuid, fr, fw, fc, fs, fu, decopts,
                other);
    }

    private static String checkFlags(String letters) {
        IcedInfo.eflagsBits(letters); // validates the letters
        return letters;
    }

    /**
     * Indexes instruction-info records by {@link IcedInfo#key()} (bytes + code). The files repeat a few lines
     * verbatim (for example {@code 64 8D 18, Lea_r16_m}); the first occurrence wins.
     */
    public static Map<String, IcedInfo> indexInfo(Collection<IcedInfo> infos) {
        Map<String, IcedInfo> m = new LinkedHashMap<>();
        for (IcedInfo i : infos) {
            m.putIfAbsent(i.key(), i);
        }
        return m;
    }

    // ---------------------------------------------------------------- shared helpers

    /** Whether a line is blank or a {@code #} comment. */
    static boolean skip(String line) {
        return line.isBlank() || line.startsWith("#");
    }

    /**
     * Whether an iced {@code Code} name belongs to an encoding outside the basic subset: VEX, EVEX, XOP, MVEX, or
     * 3DNow! ({@code D3NOW_...}).
     */
    public static boolean isExtensionCode(String code) {
        String u = code.toUpperCase(Locale.ROOT);
        // VEX_ covers EVEX_ and MVEX_; iced spells the 3DNow! codes D3NOW_...
        return u.contains("VEX_") || u.contains("XOP_") || u.contains("3DNOW") || u.startsWith("D3NOW_");
    }

    /** Parses hex bytes, ignoring spaces ({@code "05 A55A3412"}); an empty string gives an empty array. */
    public static byte[] parseHex(String s) {
        String h = s.replace(" ", "").strip();
        if ((h.length() & 1) != 0) {
            throw new IllegalArgumentException("odd number of hex digits: '" + s + "'");
        }
        return HexFormat.of().parseHex(h);
    }

    /** Parses {@code 0x}-hex or decimal (optionally negative) as the unsigned/two's-complement 64-bit bits. */
    public static long parseNumber(String s) {
        String t = s.strip();
        boolean neg = t.startsWith("-");
        if (neg) {
            t = t.substring(1);
        }
        long v = t.startsWith("0x") || t.startsWith("0X")
                ? Long.parseUnsignedLong(t.substring(2), 16)
                : Long.parseUnsignedLong(t);
        return neg ? -v : v;
    }
}

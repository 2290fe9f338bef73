package dev.vmm.core.cpu.sst;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Reader for SingleStepTests {@code .MOO.gz} files (format: {@code sst-80286/moo_format_v1.md}).
 *
 * <p>Pure parsing, no emulator. The whole decompressed file (about 0.5-1.5 MB) is read into memory and walked chunk
 * by chunk; every chunk is advanced by its length field and unknown chunks ({@code GMET}, {@code CYCL}, {@code QUEU},
 * {@code RMSK}, ...) are skipped. Structural problems raise an {@link IOException} naming the file and the offset
 * (in the decompressed stream) of the offending chunk or field.
 *
 * <p>Test data location: {@link #testDataRoot()} resolves the system property {@code vmm.testdata} (set by surefire),
 * else {@code ../shared/testdata} next to the repository root.
 */
public final class MooReader {

    /** Sub-directory of the test-data root holding the 80286 suite. */
    public static final String SST_DIR = "sst-80286";
    /** Sub-directory of {@link #SST_DIR} holding the {@code .MOO.gz} files. */
    public static final String MOO_DIR = "v1_real_mode_first1000";
    /** File-name suffix of a test file. */
    public static final String SUFFIX = ".MOO.gz";

    private static final HexFormat HEX = HexFormat.of();

    private MooReader() {
    }

    /**
     * A parsed MOO file.
     *
     * @param path         source file
     * @param key          opcode key from the file name ({@code "00"}, {@code "F6.7"}), as used by {@link SstMetadata}
     * @param majorVersion {@code MOO } header major version
     * @param minorVersion {@code MOO } header minor version
     * @param cpuId        header CPU id, trailing spaces trimmed ({@code "C286"})
     * @param meta         {@code META} chunk, or {@code null} when absent
     * @param tests        the tests, in file order
     */
    public record MooFile(Path path, String key, int majorVersion, int minorVersion, String cpuId, Meta meta,
                          List<SstTest> tests) {
        public MooFile {
            tests = List.copyOf(tests);
        }
    }

    /**
     * The {@code META} chunk.
     *
     * @param majorVersion test-suite major version
     * @param minorVersion test-suite minor version
     * @param cpuType      CPU model enumeration
     * @param opcode       raw opcode (unsigned 32-bit), 0xFFFFFFFF when mixed
     * @param mnemonic     mnemonic, trailing spaces trimmed
     * @param testCount    test count declared in {@code META}
     * @param seed         generator base seed
     * @param cpuMode      0 = real mode
     */
    public record Meta(int majorVersion, int minorVersion, int cpuType, long opcode, String mnemonic, int testCount,
                       long seed, int cpuMode) {
    }

    // ---------------------------------------------------------------- locations

    /**
     * Root of the shared test data: system property {@code vmm.testdata} if set, else {@code ../shared/testdata}
     * relative to the repository root (the nearest ancestor of the working directory holding {@code mvnw} or
     * {@code .mvn}). The returned path may not exist; callers skip via JUnit assumptions.
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

    /** {@code <root>/sst-80286}. */
    public static Path sstDir() {
        return testDataRoot().resolve(SST_DIR);
    }

    /** {@code <root>/sst-80286/v1_real_mode_first1000}. */
    public static Path mooDir() {
        return sstDir().resolve(MOO_DIR);
    }

    /** All {@code *.MOO.gz} files of {@code dir}, sorted by file name. */
    public static List<Path> listFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
    }

    /** Opcode key of a file: {@code ".../F6.7.MOO.gz"} gives {@code "F6.7"}. */
    public static String fileKey(Path file) {
        String n = file.getFileName().toString();
        return n.endsWith(SUFFIX) ? n.substring(0, n.length() - SUFFIX.length()) : n;
    }

    // ---------------------------------------------------------------- reading

    /** Reads and parses one {@code .MOO.gz} (or, if not gzip-named, plain {@code .MOO}) file. */
    public static MooFile read(Path file) throws IOException {
        boolean gz = file.getFileName().toString().endsWith(".gz");
        byte[] data;
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw) {
            data = in.readAllBytes();
        }
        return parse(file, data);
    }

    /** Convenience: just the tests of {@code file}. */
    public static List<SstTest> readTests(Path file) throws IOException {
        return read(file).tests();
    }

    /** Parses a decompressed MOO image; {@code file} is only used for naming and error messages. */
    public static MooFile parse(Path file, byte[] data) throws IOException {
        Cursor c = new Cursor(file, data, 0, data.length);
        Chunk header = c.chunk();
        if (!header.id.equals("MOO ")) {
            throw c.error(0, "bad magic '" + printable(header.id) + "', expected 'MOO '");
        }
        if (header.length < 12) {
            throw c.error(0, "MOO header chunk too short: " + header.length);
        }
        Cursor h = header.body();
        int major = h.u8();
        int minor = h.u8();
        h.skip(2);
        long declared = h.u32();
        String cpuId = h.ascii(4).trim();

        Meta meta = null;
        List<SstTest> tests = new ArrayList<>((int) Math.min(declared, 100_000));
        while (c.remaining() > 0) {
            Chunk ch = c.chunk();
            switch (ch.id) {
                case "META" -> meta = readMeta(ch);
                case "TEST" -> {
                    SstTest t = readTest(ch);
                    if (t.index() != tests.size()) {
                        throw c.error(ch.start, "TEST index " + t.index() + " out of sequence, expected " + tests.size());
                    }
                    tests.add(t);
                }
                default -> { } // RMSK/RM32 and future chunks: skipped
            }
        }
        if (tests.size() != declared) {
            throw c.error(data.length, "header declares " + declared + " tests, file holds " + tests.size());
        }
        if (meta != null && meta.testCount() != declared) {
            throw c.error(data.length, "META test_ct " + meta.testCount() + " != header count " + declared);
        }
        return new MooFile(file, fileKey(file), major, minor, cpuId, meta, tests);
    }

    private static Meta readMeta(Chunk ch) throws IOException {
        if (ch.length < 31) {
            throw ch.error("META chunk too short: " + ch.length);
        }
        Cursor m = ch.body();
        int major = m.u8();
        int minor = m.u8();
        int cpuType = m.u8();
        long opcode = m.u32();
        String mnemonic = m.ascii(8).trim();
        long count = m.u32();
        long seed = m.u64();
        int mode = m.u8();
        return new Meta(major, minor, cpuType, opcode, mnemonic, (int) count, seed, mode);
    }

    private static SstTest readTest(Chunk ch) throws IOException {
        Cursor t = ch.body();
        int index = (int) t.u32();
        String name = null;
        byte[] bytes = null;
        SstTest.State init = null;
        SstTest.State fina = null;
        SstTest.ExceptionInfo excp = null;
        String hash = null;
        while (t.remaining() > 0) {
            Chunk sub = t.chunk();
            Cursor b = sub.body();
            switch (sub.id) {
                case "NAME" -> name = b.ascii(b.lengthPrefix(1));
                case "BYTS" -> bytes = b.bytes(b.lengthPrefix(1));
                case "INIT" -> init = readState(sub, true);
                case "FINA" -> fina = readState(sub, false);
                case "EXCP" -> {
                    if (sub.length < 5) {
                        throw sub.error("EXCP chunk too short: " + sub.length);
                    }
                    excp = new SstTest.ExceptionInfo(b.u8(), (int) b.u32());
                }
                case "HASH" -> {
                    if (sub.length < 20) {
                        throw sub.error("HASH chunk too short: " + sub.length);
                    }
                    hash = HEX.formatHex(b.bytes(20));
                }
                default -> { } // GMET, CYCL, IDX and anything newer
            }
        }
        if (name == null || bytes == null || init == null || fina == null || hash == null) {
            throw ch.error("TEST " + index + " lacks a required chunk (NAME/BYTS/INIT/FINA/HASH)");
        }
        return new SstTest(index, name, bytes, init, fina, excp, hash);
    }

    private static SstTest.State readState(Chunk ch, boolean initial) throws IOException {
        Cursor s = ch.body();
        SstTest.Registers regs = null;
        List<SstTest.RamEntry> ram = List.of();
        while (s.remaining() > 0) {
            Chunk sub = s.chunk();
            Cursor b = sub.body();
            switch (sub.id) {
                case "REGS" -> {
                    int mask = b.u16();
                    if ((mask & ~Reg16.ALL_MASK) != 0) {
                        throw sub.error("REGS mask has unknown bits: 0x" + Integer.toHexString(mask));
                    }
                    if (sub.length < 2 + 2 * Integer.bitCount(mask)) {
                        throw sub.error("REGS chunk too short for mask 0x" + Integer.toHexString(mask));
                    }
                    int[] v = new int[14];
                    for (int i = 0; i < 14; i++) {
                        if ((mask & (1 << i)) != 0) {
                            v[i] = b.u16();
                        }
                    }
                    regs = new SstTest.Registers(mask, v);
                }
                case "RAM " -> {
                    int n = b.lengthPrefix(5);
                    List<SstTest.RamEntry> list = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        int addr = (int) b.u32();
                        list.add(new SstTest.RamEntry(addr, b.u8()));
                    }
                    ram = list;
                }
                default -> { } // QUEU, RMSK, RG32, EA32: not used for 286 real mode
            }
        }
        if (regs == null) {
            throw ch.error(ch.id + " lacks a REGS chunk");
        }
        if (initial && !regs.complete()) {
            throw ch.error("INIT REGS mask 0x" + Integer.toHexString(regs.mask()) + " is not all 14 registers");
        }
        return new SstTest.State(regs, ram);
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            sb.append(ch >= 0x20 && ch < 0x7F ? String.valueOf(ch) : String.format("\\x%02X", (int) ch));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- low level

    /** A chunk header plus the bounds of its payload. */
    private record Chunk(Cursor parent, String id, int start, int length) {
        /** Cursor over the payload. */
        Cursor body() {
            return new Cursor(parent.file, parent.data, start + 8, start + 8 + length);
        }

        IOException error(String msg) {
            return parent.error(start, "'" + printable(id) + "' chunk: " + msg);
        }
    }

    /** Little-endian bounded reader over {@code data[pos, limit)}. */
    private static final class Cursor {
        final Path file;
        final byte[] data;
        int pos;
        final int limit;

        Cursor(Path file, byte[] data, int pos, int limit) {
            this.file = file;
            this.data = data;
            this.pos = pos;
            this.limit = limit;
        }

        int remaining() {
            return limit - pos;
        }

        IOException error(int offset, String msg) {
            return new IOException(file + " @ offset " + offset + " (0x" + Integer.toHexString(offset) + "): " + msg);
        }

        private void need(int n) throws IOException {
            if (n < 0 || n > limit - pos) {
                throw error(pos, "truncated: need " + n + " bytes, " + (limit - pos) + " left in chunk");
            }
        }

        /** Reads a chunk header and skips over the whole chunk. */
        Chunk chunk() throws IOException {
            int start = pos;
            need(8);
            String id = ascii(4);
            long len = u32();
            if (len > limit - pos) {
                throw error(start, "chunk '" + printable(id) + "' length " + len + " exceeds the "
                        + (limit - pos) + " bytes left in its parent");
            }
            pos += (int) len;
            return new Chunk(this, id, start, (int) len);
        }

        /** Reads a u32 element count and checks that {@code count * elemSize} bytes follow. */
        int lengthPrefix(int elemSize) throws IOException {
            int at = pos;
            long n = u32();
            if (n * elemSize > limit - pos) {
                throw error(at, "count " + n + " x " + elemSize + " bytes exceeds the " + (limit - pos) + " bytes left");
            }
            return (int) n;
        }

        void skip(int n) throws IOException {
            need(n);
            pos += n;
        }

        int u8() throws IOException {
            need(1);
            return data[pos++] & 0xFF;
        }

        int u16() throws IOException {
            need(2);
            int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8;
            pos += 2;
            return v;
        }

        long u32() throws IOException {
            need(4);
            long v = (data[pos] & 0xFFL) | (data[pos + 1] & 0xFFL) << 8 | (data[pos + 2] & 0xFFL) << 16
                    | (data[pos + 3] & 0xFFL) << 24;
            pos += 4;
            return v;
        }

        long u64() throws IOException {
            long lo = u32();
            return lo | u32() << 32;
        }

        byte[] bytes(int n) throws IOException {
            need(n);
            byte[] b = new byte[n];
            System.arraycopy(data, pos, b, 0, n);
            pos += n;
            return b;
        }

        String ascii(int n) throws IOException {
            return new String(bytes(n), StandardCharsets.ISO_8859_1);
        }
    }
}

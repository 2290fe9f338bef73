package dev.vmm.core.cpu.sst;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Upstream per-opcode metadata of the SingleStepTests 80286 suite ({@code sst-80286/metadata.json}), plus the
 * revocation list.
 *
 * <p>Keys are the test file keys ({@link MooReader#fileKey}): a plain opcode {@code "D4"}, a two-byte opcode
 * {@code "0F01"}, or an opcode plus ModRM reg field {@code "F6.7"} / {@code "0F01.4"}. In the JSON, group opcodes hold
 * their per-reg entries under {@code "reg": {"0": {...}, ...}}; this class flattens them to {@code "F6.7"} keys and
 * does not list the group parent ({@code "F6"}) itself.
 */
public final class SstMetadata {

    /** Default when an entry has no {@code flags-mask}: every FLAGS bit is defined. */
    public static final int ALL_FLAGS = 0xFFFF;
    /**
     * FLAGS bits to compare in real mode: upstream says to also drop bits 12-15 (IOPL/NT/bit 15), since the initial
     * value came from LOADALL. AND this with {@link #flagsMask(String)}.
     */
    public static final int REAL_MODE_FLAGS_BITS = 0x0FFF;

    /**
     * One opcode (or opcode.reg) entry.
     *
     * @param key       {@code "D4"}, {@code "F6.7"}, ...
     * @param status    {@code normal}, {@code alias}, {@code undefined}, {@code prefix}, {@code fpu},
     *                  {@code extension}, {@code undocumented}; {@code null} if absent
     * @param arch      {@code "86"}, {@code "186"}, {@code "286"}; {@code null} if absent
     * @param flags     upstream undefined-flags picture such as {@code "o....a.c"}; {@code null} if absent
     * @param flagsMask AND mask for FLAGS comparison (0 bits = undefined); {@link #ALL_FLAGS} if absent
     */
    public record Entry(String key, String status, String arch, String flags, int flagsMask) {
    }

    private final Map<String, Entry> entries;
    private final Map<String, Object> header;

    private SstMetadata(Map<String, Entry> entries, Map<String, Object> header) {
        this.entries = Collections.unmodifiableMap(entries);
        this.header = Collections.unmodifiableMap(header);
    }

    /** Loads {@code <testdata>/sst-80286/metadata.json}. */
    public static SstMetadata loadDefault() throws IOException {
        return load(MooReader.sstDir().resolve("metadata.json"));
    }

    /** Loads a {@code metadata.json} file. */
    public static SstMetadata load(Path file) throws IOException {
        Map<String, Object> root = MiniJson.obj(MiniJson.parse(file));
        Map<String, Object> header = new LinkedHashMap<>(root);
        Object opcodes = header.remove("opcodes");
        if (opcodes == null) {
            throw new IOException(file + ": no \"opcodes\" object");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        try {
            for (var e : MiniJson.obj(opcodes).entrySet()) {
                Map<String, Object> v = MiniJson.obj(e.getValue());
                Object reg = v.get("reg");
                if (reg != null) {
                    for (var r : MiniJson.obj(reg).entrySet()) {
                        String k = e.getKey() + "." + r.getKey();
                        entries.put(k, entry(k, MiniJson.obj(r.getValue())));
                    }
                } else {
                    entries.put(e.getKey(), entry(e.getKey(), v));
                }
            }
        } catch (IllegalArgumentException | ArithmeticException ex) {
            throw new IOException(file + ": unexpected metadata shape: " + ex.getMessage(), ex);
        }
        return new SstMetadata(entries, header);
    }

    private static Entry entry(String key, Map<String, Object> v) {
        Object mask = v.get("flags-mask");
        return new Entry(key, optStr(v.get("status")), optStr(v.get("arch")), optStr(v.get("flags")),
                mask == null ? ALL_FLAGS : MiniJson.integer(mask));
    }

    private static String optStr(Object o) {
        return o == null ? null : MiniJson.str(o);
    }

    /** All entries by key, in file order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The entry for {@code key} ({@code "D4"}, {@code "F6.7"}; case-insensitive hex), or {@code null}. */
    public Entry entry(String key) {
        return entries.get(key.toUpperCase(Locale.ROOT));
    }

    /**
     * The entry that applies to one test: the exact {@code fileKey} entry if there is one, else, when the metadata
     * splits that opcode by ModRM reg field (files {@code 8F}, {@code C6}, {@code C7} hold all reg values in one file,
     * mostly /0 plus some #UD forms), the {@code fileKey.reg} entry for the reg field of {@code instructionBytes}.
     * Prefixes 26/2E/36/3E/F0/F2/F3 are skipped; the opcode is {@code fileKey.length() / 2} bytes long.
     *
     * @return the entry, or {@code null} when none applies
     */
    public Entry entryFor(String fileKey, byte[] instructionBytes) {
        Entry e = entry(fileKey);
        if (e != null || fileKey.contains(".")) {
            return e;
        }
        int i = 0;
        while (i < instructionBytes.length && isPrefix(instructionBytes[i] & 0xFF)) {
            i++;
        }
        int modrm = i + fileKey.length() / 2;
        if (modrm >= instructionBytes.length) {
            return null;
        }
        return entry(fileKey + "." + ((instructionBytes[modrm] >> 3) & 7));
    }

    private static boolean isPrefix(int b) {
        return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0xF0 || b == 0xF2 || b == 0xF3;
    }

    /** FLAGS AND-mask for one test (see {@link #entryFor}); {@link #ALL_FLAGS} when no entry or mask applies. */
    public int flagsMask(String fileKey, byte[] instructionBytes) {
        Entry e = entryFor(fileKey, instructionBytes);
        return e == null ? ALL_FLAGS : e.flagsMask();
    }

    /** FLAGS AND-mask for {@code key}; {@link #ALL_FLAGS} when the key or its {@code flags-mask} is absent. */
    public int flagsMask(String key) {
        Entry e = entry(key);
        return e == null ? ALL_FLAGS : e.flagsMask();
    }

    /** Status for {@code key}, or {@code null} when unknown. */
    public String status(String key) {
        Entry e = entry(key);
        return e == null ? null : e.status();
    }

    /** Top-level scalar fields ({@code version}, {@code cpu}, {@code generator}, ...). */
    public Map<String, Object> header() {
        return header;
    }

    /** Suite version string ({@code "1.0.0"}), or {@code null}. */
    public String version() {
        Object v = header.get("version");
        return v == null ? null : v.toString();
    }

    /** Reads {@code <testdata>/sst-80286/revocation_list.txt}. */
    public static Set<String> loadDefaultRevocations() throws IOException {
        return loadRevocations(MooReader.sstDir().resolve("revocation_list.txt"));
    }

    /**
     * Reads a revocation list: one hex hash per line; blank lines and {@code #} comments are ignored. Hashes are
     * returned lower-case, as {@link SstTest#hash()} produces them.
     */
    public static Set<String> loadRevocations(Path file) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                out.add(t.toLowerCase(Locale.ROOT));
            }
        }
        return Collections.unmodifiableSet(out);
    }
}

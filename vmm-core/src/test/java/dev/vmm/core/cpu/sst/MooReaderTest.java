package dev.vmm.core.cpu.sst;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks {@link MooReader}, {@link SstMetadata} and {@link MiniJson} against the staged SingleStepTests 80286 data.
 * The oracle is {@code samples-json/*.first5.json}, produced by upstream's own {@code moo2json.py}.
 */
class MooReaderTest {
    private static final Logger LOG = LoggerFactory.getLogger(MooReaderTest.class);

    private static Path sst;
    private static Path moo;

    @BeforeAll
    static void locate() {
        sst = MooReader.sstDir();
        moo = MooReader.mooDir();
    }

    /** Skips the calling test (reported as skipped, with the path) when the data is not staged. */
    private static void assumeData() {
        Assumptions.assumeTrue(Files.isDirectory(moo),
                "SingleStepTests 80286 data not found at " + moo
                        + " (set -Dvmm.testdata=<dir containing sst-80286>); skipping");
    }

    @Test
    void firstFileHoldsThousandTests() throws IOException {
        assumeData();
        Path first = MooReader.listFiles(moo).getFirst();
        MooReader.MooFile f = MooReader.read(first);
        assertEquals("00", f.key());
        assertEquals(1000, f.tests().size());
        assertEquals(1, f.majorVersion());
        assertEquals("C286", f.cpuId());
        assertNotNull(f.meta());
        assertEquals("add", f.meta().mnemonic());
        assertEquals(0, f.meta().cpuMode());
        assertEquals(1000, f.meta().testCount());
        SstTest t = f.tests().getFirst();
        assertEquals("add [bx+0Eh],bl", t.name());
        assertArrayEquals(new byte[] {0x00, 0x5F, 0x0E, (byte) 0xF4}, t.bytes());
        assertEquals(0x3FFF, t.initialRegs().mask());
        assertEquals(715, t.initialRegs().get(Reg16.AX));
        assertFalse(t.finalRegs().has(Reg16.AX));
        assertEquals(38076, t.finalRegs().get(Reg16.IP));
        assertEquals("626be5084b331080eb08256c12a62d24afdf2a03", t.hash());
        assertNull(t.exception());
    }

    /** Every test of every sample JSON file must equal what the binary reader gives, field by field. */
    @Test
    void matchesUpstreamJsonSamples() throws IOException {
        assumeData();
        Path samples = sst.resolve("samples-json");
        Assumptions.assumeTrue(Files.isDirectory(samples), "no samples-json at " + samples);
        List<Path> files;
        try (Stream<Path> s = Files.list(samples)) {
            files = s.filter(p -> p.toString().endsWith(".first5.json")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no *.first5.json in " + samples);
        int compared = 0;
        int withException = 0;
        for (Path json : files) {
            String key = json.getFileName().toString().replace(".first5.json", "");
            List<SstTest> tests = MooReader.readTests(moo.resolve(key + MooReader.SUFFIX));
            List<Object> expected = MiniJson.arr(MiniJson.parse(json));
            assertEquals(5, expected.size(), json.toString());
            for (int i = 0; i < expected.size(); i++) {
                Map<String, Object> e = MiniJson.obj(expected.get(i));
                compare(key + "#" + i, e, tests.get(i));
                compared++;
                if (e.containsKey("exception")) {
                    withException++;
                }
            }
        }
        LOG.info("compared {} tests from {} sample files against moo2json output ({} with an exception)",
                compared, files.size(), withException);
        assertTrue(withException > 0, "samples should exercise EXCP");
    }

    private static void compare(String where, Map<String, Object> e, SstTest t) {
        assertEquals(MiniJson.integer(e.get("idx")), t.index(), where + " idx");
        assertEquals(MiniJson.str(e.get("name")), t.name(), where + " name");
        List<Object> jb = MiniJson.arr(e.get("bytes"));
        byte[] bytes = new byte[jb.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) MiniJson.integer(jb.get(i));
        }
        assertArrayEquals(bytes, t.bytes(), where + " bytes");
        compareState(where + " initial", MiniJson.obj(e.get("initial")), t.initial());
        compareState(where + " final", MiniJson.obj(e.get("final")), t.finalState());
        assertEquals(MiniJson.str(e.get("hash")), t.hash(), where + " hash");
        Object ex = e.get("exception");
        if (ex == null) {
            assertNull(t.exception(), where + " exception");
        } else {
            Map<String, Object> x = MiniJson.obj(ex);
            assertNotNull(t.exception(), where + " exception");
            assertEquals(MiniJson.integer(x.get("number")), t.exception().number(), where + " exception.number");
            assertEquals(MiniJson.integer(x.get("flag_address")), t.exception().flagAddress(),
                    where + " exception.flag_address");
        }
    }

    private static void compareState(String where, Map<String, Object> js, SstTest.State st) {
        Map<String, Object> regs = MiniJson.obj(js.get("regs"));
        int mask = 0;
        for (Reg16 r : Reg16.values()) {
            Object v = regs.get(r.jsonKey());
            if (v != null) {
                mask |= r.bit();
                assertEquals(MiniJson.integer(v), st.regs().get(r), where + " " + r);
            }
        }
        assertEquals(regs.size(), Integer.bitCount(mask), where + " unknown register keys " + regs.keySet());
        assertEquals(mask, st.regs().mask(), where + " register mask");
        List<Object> ram = MiniJson.arr(js.get("ram"));
        assertEquals(ram.size(), st.ram().size(), where + " ram size");
        for (int i = 0; i < ram.size(); i++) {
            List<Object> pair = MiniJson.arr(ram.get(i));
            assertEquals(MiniJson.integer(pair.get(0)), st.ram().get(i).address(), where + " ram[" + i + "].addr");
            assertEquals(MiniJson.integer(pair.get(1)), st.ram().get(i).value(), where + " ram[" + i + "].value");
        }
    }

    /** Reads all 325 files and cross-checks them with {@code index.tsv} and {@code metadata.json}. */
    @Test
    void readsEveryFile() throws IOException {
        assumeData();
        List<Path> files = MooReader.listFiles(moo);
        SstMetadata meta = SstMetadata.load(sst.resolve("metadata.json"));
        Map<String, String[]> index = readIndex(sst.resolve("index.tsv"));
        long t0 = System.nanoTime();
        long total = 0;
        long exceptions = 0;
        long ramEntries = 0;
        List<String> missingMeta = new ArrayList<>();
        for (Path p : files) {
            MooReader.MooFile f = MooReader.read(p);
            total += f.tests().size();
            for (SstTest t : f.tests()) {
                if (t.hasException()) {
                    exceptions++;
                }
                ramEntries += t.initialRam().size() + t.finalRam().size();
                assertTrue(t.initialRegs().complete(), p + " " + t);
                assertEquals(40, t.hash().length(), p + " " + t);
                if (meta.entryFor(f.key(), t.bytes()) == null) {
                    missingMeta.add(f.key() + " " + t);
                }
            }
            String[] row = index.get(f.key());
            assertNotNull(row, "index.tsv has no row for " + f.key());
            assertEquals(row[1], f.meta().mnemonic(), f.key() + " mnemonic");
            assertEquals(Integer.parseInt(row[3]), f.tests().size(), f.key() + " staged count");
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        LOG.info("read {} MOO files, {} tests ({} with EXCP, {} RAM entries) in {} ms", files.size(), total,
                exceptions, ramEntries, ms);
        assertEquals(325, files.size());
        assertEquals(325_000, total);
        assertEquals(index.size(), files.size());
        assertTrue(missingMeta.isEmpty(), "tests without metadata entry: " + missingMeta);
    }

    private static Map<String, String[]> readIndex(Path tsv) throws IOException {
        Map<String, String[]> m = new HashMap<>();
        List<String> lines = Files.readAllLines(tsv, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                String[] f = line.split("\t");
                m.put(f[0], f);
            }
        }
        return m;
    }

    @Test
    void metadataAndRevocations() throws IOException {
        assumeData();
        SstMetadata meta = SstMetadata.loadDefault();
        assertEquals("1.0.0", meta.version());
        SstMetadata.Entry d4 = meta.entry("D4");
        assertEquals("o....a.c", d4.flags());
        assertEquals(63470, d4.flagsMask());
        assertEquals(63470, meta.flagsMask("d4"));
        assertEquals(SstMetadata.ALL_FLAGS, meta.flagsMask("00"));
        assertEquals(SstMetadata.ALL_FLAGS, meta.flagsMask("no-such-key"));
        assertEquals("normal", meta.status("F6.7"));
        assertEquals("alias", meta.status("F6.1"));
        assertEquals("undefined", meta.status("0F01.5"));
        assertNull(meta.entry("F6"), "group parents are not entries");
        assertEquals(63487, meta.flagsMask("D3.0"));
        assertEquals(63470, meta.flagsMask("D3.4"));
        // 8F/C6/C7 files mix every ModRM reg value: resolve per test.
        assertNull(meta.entry("8F"));
        assertEquals("normal", meta.entryFor("8F", new byte[] {0x2E, (byte) 0x8F, 0x06, 0x34, 0x12}).status());
        assertEquals("8F.1", meta.entryFor("8F", new byte[] {(byte) 0x8F, 0x0E, 0x34, 0x12}).key());
        assertEquals("undefined", meta.entryFor("C7", new byte[] {(byte) 0xC7, (byte) 0xF8, 0, 0}).status());
        assertEquals(63470, meta.flagsMask("D3.4", new byte[] {(byte) 0xD3, (byte) 0xE0}));
        Set<String> revoked = SstMetadata.loadDefaultRevocations();
        assertTrue(revoked.isEmpty(), "revocation list is empty upstream: " + revoked);
    }

    @Test
    void malformedInputNamesFileAndOffset() throws IOException {
        assumeData();
        Path p = Path.of("broken.MOO");
        IOException magic = assertThrows(IOException.class,
                () -> MooReader.parse(p, "NOPE\u000c\0\0\0aaaaaaaaaaaa".getBytes(StandardCharsets.ISO_8859_1)));
        assertTrue(magic.getMessage().contains("broken.MOO") && magic.getMessage().contains("offset 0"),
                magic.getMessage());

        byte[] good = Files.readAllBytes(moo.resolve("00.MOO.gz"));
        byte[] raw = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(good)).readAllBytes();
        // Cut inside the second TEST chunk: its length now overruns the file.
        byte[] cut = Arrays.copyOf(raw, 700);
        IOException trunc = assertThrows(IOException.class, () -> MooReader.parse(p, cut));
        assertTrue(trunc.getMessage().contains("broken.MOO @ offset"), trunc.getMessage());
        LOG.info("truncated file error: {}", trunc.getMessage());

        // Declared test count too high.
        byte[] count = raw.clone();
        count[12] = (byte) 0xE9; // 1000 -> 1001 (0x3E8 -> 0x3E9)
        IOException cnt = assertThrows(IOException.class, () -> MooReader.parse(p, count));
        assertTrue(cnt.getMessage().contains("1001"), cnt.getMessage());
    }

    @Test
    void miniJsonBasics() {
        Map<String, Object> m = MiniJson.obj(MiniJson.parse(
                "{\"a\": [1, -2, 3.5e1, true, false, null], \"s\": \"x\\\"y\\u0041\\n\", \"o\": {}}"));
        List<Object> a = MiniJson.arr(m.get("a"));
        assertEquals(1L, a.get(0));
        assertEquals(-2L, a.get(1));
        assertEquals(35.0, a.get(2));
        assertEquals(Boolean.TRUE, a.get(3));
        assertNull(a.get(5));
        assertEquals("x\"yA\n", m.get("s"));
        assertTrue(MiniJson.obj(m.get("o")).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("{\"a\":1,}"));
        assertThrows(IllegalArgumentException.class, () -> MiniJson.parse("[1] x"));
    }
}

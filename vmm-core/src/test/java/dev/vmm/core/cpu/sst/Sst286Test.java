package dev.vmm.core.cpu.sst;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs all SingleStepTests 80286 real-mode vectors (325 files x 1,000 hardware-captured tests, see
 * {@code sst-80286/README.md}) against our CPU, under the {@link Sst286Profile "286 compatibility" profile}.
 *
 * <p>Structure: {@link #perFile()} yields one dynamic test per file. Per the lead's policy a file below 100% does
 * not fail the build: its test is <em>aborted</em> (reported as skipped) with the counts, the most frequent
 * differences and the first {@value SstFileResult#EXAMPLES} failures in the message. {@link #overallPassRate()}
 * is the acceptance gate: it asserts that at least 99.9% of the judged tests (passed + failed; skipped and
 * excused profile classes are excluded and listed) pass, logs one compact summary table at INFO (only files with
 * failures, the totals, and every profile class with its count), and writes the full per-file report to
 * {@code target/sst-80286-report.txt} (override: {@code -Dsst.report=path}).
 *
 * <p>Select files with {@code -Dsst.files=<regex over file keys>}, e.g. {@code -Dsst.files='F6\..|00'}, and the
 * number of failures kept per file with {@code -Dsst.examples=N} (default {@value SstFileResult#EXAMPLES}). Everything
 * is skipped with a message when the test data is absent. Speed: one reusable {@link SstMachine}, files parsed
 * ahead on a second thread; the whole suite runs in a few seconds.
 *
 * <p>286-vs-386 handling, each class with its reason in {@link Sst286Profile} and its own count in the output:
 * skipped: {@link Sst286Profile#REVOKED}, {@link Sst286Profile#LENGTH_LIMIT}, {@link Sst286Profile#NO_FS_GS};
 * excused: {@link Sst286Profile#ESC_NO_FPU}, {@link Sst286Profile#IDIV_OVERFLOW}; run after a rewrite:
 * {@link Sst286Profile#LOCK_IGNORED}; re-run in a changed environment: {@link Sst286Profile#SS_OVERRUN_GP},
 * {@link Sst286Profile#POP_FAULT_SP}; masked: {@link Sst286Profile#STRING_FAULT}, {@link Sst286Profile#DE_FLAGS},
 * {@link Sst286Profile#UNDEFINED_FLAGS}, {@link Sst286Profile#FLAGS_HIGH_BITS}, {@link Sst286Profile#PUSHED_FLAGS}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Sst286Test {
    private static final Logger LOG = LoggerFactory.getLogger(Sst286Test.class);
    /** The acceptance threshold, in percent of judged tests. */
    static final double REQUIRED_PERCENT = 99.9;
    private static final int PREFETCH = 2;

    private Path mooDir;
    private boolean haveData;
    private List<Path> files = List.of();
    private final Map<String, String> mnemonics = new HashMap<>();
    private final Map<Path, SstFileResult> results = new LinkedHashMap<>();
    private final Map<Path, CompletableFuture<MooReader.MooFile>> parsed = new HashMap<>();
    private ExecutorService parser;
    private SstMachine machine;
    private SstRunner runner;
    private long wallStart;

    @BeforeAll
    void setUp() throws IOException {
        mooDir = MooReader.mooDir();
        haveData = Files.isDirectory(mooDir);
        if (!haveData) {
            return;
        }
        Pattern select = Pattern.compile(System.getProperty("sst.files", ".*"));
        files = MooReader.listFiles(mooDir).stream()
                .filter(p -> select.matcher(MooReader.fileKey(p)).matches())
                .toList();
        Path index = MooReader.sstDir().resolve("index.tsv");
        if (Files.exists(index)) {
            for (String line : Files.readAllLines(index, StandardCharsets.UTF_8)) {
                String[] f = line.split("\t");
                if (f.length > 1) {
                    mnemonics.put(f[0], f[1]);
                }
            }
        }
        SstMetadata meta = SstMetadata.loadDefault();
        Set<String> revoked = SstMetadata.loadDefaultRevocations();
        machine = new SstMachine();
        runner = new SstRunner(machine, meta, revoked, Integer.getInteger("sst.examples", SstFileResult.EXAMPLES));
        parser = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sst-parser");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    void tearDown() {
        if (parser != null) {
            parser.shutdownNow();
        }
        if (machine != null) {
            machine.close();
        }
    }

    private void assumeData() {
        Assumptions.assumeTrue(haveData, "SingleStepTests 80286 data not found at " + mooDir
                + " (set -Dvmm.testdata=<dir containing sst-80286>); skipping");
        Assumptions.assumeFalse(files.isEmpty(), "no SST file matches -Dsst.files");
    }

    @TestFactory
    @Order(1)
    Stream<DynamicTest> perFile() {
        assumeData();
        return files.stream().map(p -> {
            String key = MooReader.fileKey(p);
            return DynamicTest.dynamicTest(key + " " + mnemonics.getOrDefault(key, ""), () -> {
                SstFileResult r = result(p);
                if (r.failed > 0) {
                    Assumptions.abort(fileMessage(r));
                }
            });
        });
    }

    @Test
    @Order(2)
    void overallPassRate() {
        assumeData();
        SstFileResult total = new SstFileResult("TOTAL", "");
        List<SstFileResult> all = new ArrayList<>();
        for (Path p : files) {
            SstFileResult r = result(p);
            all.add(r);
            total.add(r);
        }
        long wall = System.nanoTime() - wallStart;
        String summary = summary(all, total, wall);
        LOG.info("{}", summary);
        writeReport(all, total, summary);
        assertTrue(total.rate() >= REQUIRED_PERCENT, String.format(
                "SST 80286: %.3f%% of %d judged tests pass, below the required %.1f%% (%d failures; summary above,"
                        + " details in the report file)",
                total.rate(), total.judged(), REQUIRED_PERCENT, total.failed));
    }

    /** Runs (once) and returns the result of {@code file}; parses the next files in the background. */
    private SstFileResult result(Path file) {
        SstFileResult r = results.get(file);
        if (r != null) {
            return r;
        }
        if (results.isEmpty()) {
            wallStart = System.nanoTime();
        }
        int at = files.indexOf(file);
        for (int k = at; k <= at + PREFETCH && k < files.size(); k++) {
            Path p = files.get(k);
            if (!results.containsKey(p)) {
                parsed.computeIfAbsent(p, q -> CompletableFuture.supplyAsync(() -> read(q), parser));
            }
        }
        MooReader.MooFile f = parsed.remove(file).join();
        r = runner.run(f);
        results.put(file, r);
        if (r.failed > 0 && LOG.isDebugEnabled()) {
            LOG.debug("{}", fileMessage(r));
        }
        return r;
    }

    private static MooReader.MooFile read(Path p) {
        try {
            return MooReader.read(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String fileMessage(SstFileResult r) {
        StringBuilder sb = new StringBuilder(String.format("%s %s: %d/%d passed (%.2f%%), %d failed, %d skipped,"
                + " %d excused; differences: %s", r.key, r.mnemonic, r.passed, r.judged(), r.rate(), r.failed,
                r.skipped, r.excused, r.topDiffs(6)));
        for (String e : r.examples) {
            sb.append(System.lineSeparator()).append("  ").append(e);
        }
        return sb.toString();
    }

    private String summary(List<SstFileResult> all, SstFileResult total, long wallNanos) {
        String nl = System.lineSeparator();
        StringBuilder sb = new StringBuilder(nl);
        sb.append(String.format("SST 80286 real mode (286 compatibility profile): %d files, %d tests: %d passed,"
                        + " %d failed, %d skipped, %d excused -> %.3f%% of %d judged (required %.1f%%); %.1f s"
                        + " (CPU %.1f s)%n", all.size(), total.total, total.passed, total.failed, total.skipped,
                total.excused, total.rate(), total.judged(), REQUIRED_PERCENT, wallNanos / 1e9, total.nanos / 1e9));
        sb.append("profile classes:").append(nl);
        for (Sst286Profile c : Sst286Profile.values()) {
            sb.append(String.format("  %-16s %-9s %6d  %s%n", c.name(), c.kind, total.classCount(c), c.reason));
        }
        List<SstFileResult> failing = all.stream().filter(r -> r.failed > 0).toList();
        if (failing.isEmpty()) {
            sb.append("no failing files").append(nl);
        } else {
            sb.append(failing.size()).append(" files with failures:").append(nl);
            sb.append("  ").append(SstFileResult.header()).append("  top differences").append(nl);
            for (SstFileResult r : failing) {
                sb.append(String.format("  %-60s  %s%n", r.row(), r.topDiffs(3)));
            }
            if (failing.size() <= 10) {
                for (SstFileResult r : failing) {
                    sb.append(fileMessage(r)).append(nl);
                }
            } else {
                sb.append("first failures of every file: see the report file").append(nl);
            }
        }
        return sb.toString().stripTrailing();
    }

    private static void writeReport(List<SstFileResult> all, SstFileResult total, String summary) {
        Path out = Paths.get(System.getProperty("sst.report", "target/sst-80286-report.txt"));
        StringBuilder sb = new StringBuilder(summary.strip()).append("\n\nall files:\n");
        sb.append(SstFileResult.header()).append('\n');
        for (SstFileResult r : all) {
            sb.append(r.row()).append(String.format("  %.0f ms", r.nanos / 1e6)).append('\n');
        }
        sb.append(total.row()).append("\n\nfailures (first examples per file):\n");
        for (SstFileResult r : all) {
            if (r.failed > 0) {
                sb.append(fileMessage(r)).append("\n\n");
            }
        }
        try {
            if (out.getParent() != null) {
                Files.createDirectories(out.getParent());
            }
            Files.writeString(out, sb, StandardCharsets.UTF_8);
            LOG.info("SST 80286 full report: {}", out.toAbsolutePath());
        } catch (IOException e) {
            LOG.warn("could not write SST report {}: {}", out, e.toString());
        }
    }
}

package dev.vmm.core.cpu.fpdiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The x87 instructions of the P6 (all but the transcendental group) on the host CPU and in vmm, compared
 * bit-exactly by {@link FpDiffRunner}: the whole FXSAVE image (registers, control, status and tag words),
 * EFLAGS, EAX and the memory-operand area, for every form of {@link X87Forms} with random states from
 * {@link X87Gen}: every precision and rounding control, masked and unmasked exceptions, special operands,
 * unsupported encodings and pseudo-denormals, empty and full stacks.
 *
 * <p>Accepted differences: none. Not compared, by construction: the last-instruction pointer fields of the
 * FXSAVE image (see {@link FpDiffRunner#IGNORED}) and of the environment images FNSTENV/FNSAVE store (the host
 * runs the bytes in 64-bit mode with another CS); they are checked here for the cases where the host reports
 * them (an unmasked exception is pending: then an AMD processor stores FOP, FIP and FDP) and by unit tests.
 *
 * <p>Case count: {@code x87diff.cases} (default {@link #DEFAULT_CASES}), split between the forms by weight;
 * the report goes to the log and to {@code target/x87-diff-report.txt}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class X87DiffTest {
    private static final Logger LOG = LoggerFactory.getLogger(X87DiffTest.class);
    static final int DEFAULT_CASES = 30_000;
    private static final int MAX_REPORTS = 3;

    private FpDiffRunner runner;

    @BeforeAll
    void open() {
        assumeTrue(FpDiffRunner.isSupported(), "native x86 oracle unavailable on " + FpDiffRunner.hostDescription());
        runner = new FpDiffRunner();
    }

    @AfterAll
    void close() {
        if (runner != null) {
            runner.close();
        }
    }

    /** Per-form tally. */
    static final class Tally {
        int cases;
        int failures;
        int pointerChecks;
        /** Per exception flag (IE DE ZE OE UE PE SF): cases where the host raised it masked [0] / unmasked [1]. */
        final int[][] raised = new int[7][2];
        final StringBuilder reports = new StringBuilder();

        /** Counts the exception flags the host raised in this case (new in its status word). */
        void count(FpCase c, FpDiffRunner.Outcome o) {
            int before = c.in().fsw();
            int after = o.nativeImage().fsw();
            int fcw = c.in().fcw();
            for (int k = 0; k < 7; k++) {
                int bit = 1 << k;
                if ((after & bit) != 0 && ((before & bit) == 0 || k == 6 && (after & 0x41) == 0x41)) {
                    raised[k][(fcw & bit & 0x3F) == 0 && k < 6 || k == 6 && (fcw & 1) == 0 ? 1 : 0]++;
                }
            }
        }
    }

    @Test
    void everyFormAgreesWithTheHost() throws IOException {
        int total = Integer.getInteger("x87diff.cases", DEFAULT_CASES);
        String only = System.getProperty("x87diff.only");
        var forms = X87Forms.all();
        int weights = forms.stream().mapToInt(X87Forms.Form::weight).sum();
        Map<String, Tally> tallies = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        Random r = new Random(0x87_D1FFL);
        for (X87Forms.Form f : forms) {
            if (only != null && !f.name().matches(only)) {
                continue;
            }
            Tally t = tallies.computeIfAbsent(f.name(), k -> new Tally());
            int n = Math.max(20, (int) ((long) total * f.weight() / weights));
            for (int k = 0; k < n; k++) {
                FpCase c = f.gen().apply(r, k);
                FpDiffRunner.Outcome o = runner.run(c);
                if (f.envImage() > 0) {
                    o = maskEnvPointers(o, f.envImage());
                }
                String d = FpDiffRunner.differences(o) + pointerDifferences(o, c, t);
                t.cases++;
                t.count(c, o);
                if (!d.isEmpty()) {
                    if (t.failures++ < MAX_REPORTS) {
                        t.reports.append(FpDiffRunner.report(o, d));
                    }
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String report = report(tallies, ms);
        LOG.info("\n{}", report);
        Path target = Paths.get("target");
        if (Files.isDirectory(target)) {
            Files.writeString(target.resolve("x87-diff-report.txt"), report, StandardCharsets.UTF_8);
        }
        int failures = tallies.values().stream().mapToInt(t -> t.failures).sum();
        assertEquals(0, failures, report);
    }

    /** Masks the pointer fields (FIP, FCS/FOP, FDP, FDS) of an environment image at the start of the memory area. */
    private static FpDiffRunner.Outcome maskEnvPointers(FpDiffRunner.Outcome o, int envSize) {
        byte[] n = o.nativeMem().clone();
        byte[] v = o.vmmMem().clone();
        int from = envSize == 14 ? 6 : 12;
        for (int k = from; k < envSize; k++) {
            n[k] = 0;
            v[k] = 0;
        }
        return new FpDiffRunner.Outcome(o.c(), o.nativeImage(), o.vmmImage(), o.nativeRegs(), o.vmmRegs(), n, v,
                o.vmmFault());
    }

    /**
     * When the host ends with an unmasked exception pending (ES), its FXSAVE image holds FOP, FIP and FDP: compare
     * FOP and the 32-bit FIP (both CPUs run the bytes at the same linear address); FDP only for memory operands.
     */
    private static String pointerDifferences(FpDiffRunner.Outcome o, FpCase c, Tally t) {
        byte[] n = o.nativeImage().bytes();
        if ((o.nativeImage().fsw() & 0x80) == 0 || o.vmmFault() != null) {
            return "";
        }
        byte[] v = o.vmmImage().bytes();
        var nb = X87Gen.buffer(512).put(n);
        var vb = X87Gen.buffer(512).put(v);
        t.pointerChecks++;
        StringBuilder sb = new StringBuilder();
        int nFop = nb.getShort(FxImage.FOP) & 0x7FF;
        int vFop = vb.getShort(FxImage.FOP) & 0x7FF;
        if (nFop != vFop) {
            sb.append(String.format("    FOP: native=%03x vmm=%03x%n", nFop, vFop));
        }
        if (nb.getInt(FxImage.FIP) != vb.getInt(FxImage.FIP)) {
            sb.append(String.format("    FIP: native=%08x vmm=%08x%n", nb.getInt(FxImage.FIP), vb.getInt(FxImage.FIP)));
        }
        int modrm = c.code()[c.code()[0] == 0x66 ? 2 : 1] & 0xFF;
        boolean memOperand = modrm < 0xC0;
        if (memOperand && nb.getInt(FxImage.FDP) != vb.getInt(FxImage.FDP)) {
            sb.append(String.format("    FDP: native=%08x vmm=%08x%n", nb.getInt(FxImage.FDP), vb.getInt(FxImage.FDP)));
        }
        return sb.toString();
    }

    private static String report(Map<String, Tally> tallies, long ms) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "x87 differential test on %s: %d forms, %d cases, %d ms%n", FpDiffRunner.hostDescription(),
                tallies.size(), tallies.values().stream().mapToInt(t -> t.cases).sum(), ms));
        sb.append("  exceptions the host raised: masked/unmasked cases per flag; FOP/FIP: pointer checks\n");
        sb.append(String.format("  %-30s %6s %6s  %-9s %-9s %-9s %-9s %-9s %-9s %-9s %7s%n", "form", "cases",
                "differ", "IE", "DE", "ZE", "OE", "UE", "PE", "SF", "FOP/FIP"));
        for (Map.Entry<String, Tally> e : tallies.entrySet()) {
            Tally t = e.getValue();
            StringBuilder flags = new StringBuilder();
            for (int[] m : t.raised) {
                flags.append(String.format("%-9s ", m[0] + "/" + m[1]));
            }
            sb.append(String.format(Locale.ROOT, "  %-30s %6d %6d  %s%7d%n", e.getKey(), t.cases, t.failures, flags,
                    t.pointerChecks));
        }
        for (Map.Entry<String, Tally> e : tallies.entrySet()) {
            if (e.getValue().failures > 0) {
                sb.append(e.getValue().reports);
            }
        }
        return sb.toString();
    }
}

package dev.vmm.core.cpu.diff;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmm.core.cpu.oracle.NativeExecutor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Differential test of the interpreter against the host CPU: generated instructions of every
 * class (ALU, shifts/rotates, multiply/divide, bit operations, data movement, strings, flag
 * instructions, and random 2-4 instruction sequences) in 8/16/32-bit forms with register and memory
 * operands, edge-biased values and random flags, run natively and in vmm; registers, status flags
 * (minus the undefined ones), DF and the data region are compared. Fixed seed; one container per
 * instruction class, one test per instruction, each running its cases and listing the first
 * failures as bytes plus disassembly.
 *
 * <p>System properties: {@code vmm.diff.seed} (default fixed), {@code vmm.diff.scale} (case-count
 * multiplier, default 1).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CpuDiffTest {
    private static final Logger log = LoggerFactory.getLogger(CpuDiffTest.class);
    private static final long DEFAULT_SEED = 0x7E57_C0DE_2024L;
    private static final int SHOWN_FAILURES = 5;

    private DiffRunner runner;
    /** Per class: {cases, failed, milliseconds}, for the summary. */
    private final Map<String, long[]> totals = new LinkedHashMap<>();

    @TestFactory
    Stream<DynamicNode> differential() {
        assumeTrue(NativeExecutor.isSupported(),
                "native x86 oracle needs Linux x86-64; differential tests skipped on " + NativeExecutor.hostDescription());
        long seed = Long.getLong("vmm.diff.seed", DEFAULT_SEED);
        double scale = Double.parseDouble(System.getProperty("vmm.diff.scale", "1"));
        runner = new DiffRunner(false);
        List<Gen.Spec> specs = Generators.all(scale);
        List<DynamicNode> containers = new ArrayList<>();
        for (String cls : Generators.CLASSES) {
            List<DynamicNode> tests = new ArrayList<>();
            if (cls.equals(Generators.SEQUENCES)) {
                Gen.Spec seq = Generators.sequenceSpec(scale);
                List<Gen.Spec> pool = specs.stream().filter(Gen.Spec::inSequences).toList();
                tests.add(test(seq, seed, (rnd, i) -> Generators.sequence(pool, rnd, runner.dataAddress(), i)));
            } else {
                for (Gen.Spec s : specs) {
                    if (s.cls().equals(cls)) {
                        tests.add(test(s, seed, (rnd, i) -> Generators.single(s, rnd, runner.dataAddress(), i, false)));
                    }
                }
            }
            containers.add(DynamicContainer.dynamicContainer(cls, tests));
        }
        return containers.stream();
    }

    /** Makes a case from the per-test random source and the case index. */
    @FunctionalInterface
    interface CaseSource {
        DiffCase make(Random rnd, int index);
    }

    private DynamicTest test(Gen.Spec spec, long seed, CaseSource source) {
        String title = spec.name() + " (" + spec.cases() + " cases)";
        return DynamicTest.dynamicTest(title, () -> runCases(spec, seed, source));
    }

    private void runCases(Gen.Spec spec, long seed, CaseSource source) {
        Random rnd = new Random(seed ^ (spec.cls() + "/" + spec.name()).hashCode() * 0x9E37_79B9_7F4A_7C15L);
        DiffRunner r = runner;
        int failures = 0;
        StringBuilder shown = new StringBuilder();
        long t0 = System.nanoTime();
        for (int i = 0; i < spec.cases(); i++) {
            DiffCase c = source.make(rnd, i);
            String report = r.run(c);
            if (report != null) {
                if (failures < SHOWN_FAILURES) {
                    shown.append(report).append('\n');
                }
                failures++;
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        log.debug("diff {}/{}: {} cases, {} passed, {} failed ({} ms)", spec.cls(), spec.name(), spec.cases(),
                spec.cases() - failures, failures, ms);
        long[] t = totals.computeIfAbsent(spec.cls(), k -> new long[3]);
        t[0] += spec.cases();
        t[1] += failures;
        t[2] += ms;
        if (failures > 0) {
            fail(spec.cls() + "/" + spec.name() + ": " + failures + " of " + spec.cases()
                    + " cases differ from the host CPU (seed " + Long.toHexString(seed) + "); first "
                    + Math.min(failures, SHOWN_FAILURES) + ":\n" + shown);
        }
    }

    @AfterAll
    void close() {
        if (runner != null) {
            runner.close();
        }
        if (!totals.isEmpty()) {
            StringBuilder sb = new StringBuilder("differential test against the host CPU:");
            long cases = 0;
            long failed = 0;
            long ms = 0;
            for (Map.Entry<String, long[]> e : totals.entrySet()) {
                long[] t = e.getValue();
                sb.append(String.format("%n  %-8s %6d cases %6d passed %6d failed %6d ms", e.getKey(), t[0], t[0] - t[1],
                        t[1], t[2]));
                cases += t[0];
                failed += t[1];
                ms += t[2];
            }
            sb.append(String.format("%n  %-8s %6d cases %6d passed %6d failed %6d ms", "total", cases, cases - failed,
                    failed, ms));
            log.info(sb.toString());
        }
    }
}

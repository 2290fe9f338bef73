package dev.vmm.core.cpu.diff;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmm.core.cpu.oracle.NativeExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the flags and results the SDM leaves undefined for shifts, rotates, SHLD/SHRD (including
 * 16-bit counts above 16) and the bit instructions against the reference host the emulator
 * follows (an AMD processor: see the {@code ShiftOps} and {@code BitOps} comments). All status
 * flags are compared. Skipped on other hosts, where these values legitimately differ.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostSpecificDiffTest {
    private static final Logger log = LoggerFactory.getLogger(HostSpecificDiffTest.class);
    private static final long SEED = 0x0DD_F1A6_5EEDL;
    private static final double SCALE = 0.5;

    private DiffRunner runner;
    private int cases;
    private int failed;

    @TestFactory
    Stream<DynamicNode> undefinedFlagsMatchTheReferenceHost() {
        assumeTrue(NativeExecutor.isSupported(),
                "native x86 oracle needs Linux x86-64; skipped on " + NativeExecutor.hostDescription());
        String vendor = vendor();
        assumeTrue(vendor.equals("AuthenticAMD"),
                "undefined-flag behaviour is modelled on AMD processors; skipped on a " + vendor + " host");
        List<Gen.Spec> specs = new ArrayList<>(ShiftBitGens.shiftSpecs((int) (900 * SCALE)));
        specs.addAll(ShiftBitGens.bitSpecs((int) (600 * SCALE)));
        List<DynamicNode> tests = new ArrayList<>();
        for (Gen.Spec s : specs) {
            tests.add(DynamicTest.dynamicTest(s.cls() + "/" + s.name() + " (" + s.cases() + " cases, all flags)",
                    () -> run(s)));
        }
        return tests.stream();
    }

    private void run(Gen.Spec spec) {
        if (runner == null) {
            runner = new DiffRunner(true);
        }
        Random rnd = new Random(SEED ^ spec.name().hashCode());
        int failures = 0;
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < spec.cases(); i++) {
            String report = runner.run(Generators.single(spec, rnd, runner.dataAddress(), i, true));
            if (report != null && failures++ < 3) {
                shown.append(report).append('\n');
            }
        }
        log.debug("host-specific diff {}/{}: {} cases, {} failed", spec.cls(), spec.name(), spec.cases(), failures);
        cases += spec.cases();
        failed += failures;
        if (failures > 0) {
            fail(failures + " of " + spec.cases() + " cases differ from the host:\n" + shown);
        }
    }

    private static String vendor() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("vendor_id")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown";
    }

    @AfterAll
    void close() {
        if (runner != null) {
            runner.close();
            log.info("undefined flags and results of shifts and bit instructions against the host: {} cases, {} failed",
                    cases, failed);
        }
    }
}

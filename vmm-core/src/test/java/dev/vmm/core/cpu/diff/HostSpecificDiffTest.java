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
 * follows (AMD family 19h, Zen 3: see the {@code ShiftOps} and {@code BitOps} comments). All status
 * flags are compared. Skipped on other vendors, where these values legitimately differ. Other AMD
 * families run all but BSF/BSR: Zen 5 (family 1Ah) shifts as Zen 3 does, but its BSF/BSR clear
 * CF OF SF AF and set PF from the result, where Zen 3 leaves them unchanged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostSpecificDiffTest {
    private static final Logger log = LoggerFactory.getLogger(HostSpecificDiffTest.class);
    private static final long SEED = 0x0DD_F1A6_5EEDL;
    private static final double SCALE = 0.5;
    /** The CPU family (CPUID's, with its extended family) whose undefined flags the emulator follows. */
    private static final int REFERENCE_FAMILY = 0x19;

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
        int family = family();
        if (family != REFERENCE_FAMILY) {
            log.info("AMD family {}h is not the reference host's {}h: its BSF/BSR flags are not compared",
                    Integer.toHexString(family), Integer.toHexString(REFERENCE_FAMILY));
            specs.removeIf(s -> s.name().equals("BSF") || s.name().equals("BSR"));
        }
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
        String v = cpuinfo("vendor_id");
        return v == null ? "unknown" : v;
    }

    /** The host's CPU family as Linux reports it (base plus extended family), or -1 if unknown. */
    private static int family() {
        String f = cpuinfo("cpu family");
        try {
            return f == null ? -1 : Integer.parseInt(f);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The value of the first {@code /proc/cpuinfo} line with this key, or null. */
    private static String cpuinfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).strip().equals(key)) {
                    return line.substring(colon + 1).strip();
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
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

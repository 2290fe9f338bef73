package dev.vmm.core.cpu.fpdiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** FXRSTOR then FXSAVE of random states, on the host and in vmm: the harness of the FP differential tests. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FxStateDiffTest {
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

    /** A random state: any control word, status word (TOP included), tags, register contents and XMM, a valid MXCSR. */
    static FxImage randomState(Random r) {
        FxImage s = FxImage.fninit().fcw(r.nextInt(0x10000) & 0x1F7F | 0x40).fsw(r.nextInt(0x10000) & ~0x80FF)
                .ftw(r.nextInt(256)).mxcsr(FpValues.mxcsr(r));
        for (int i = 0; i < 8; i++) {
            long[] v = FpValues.f80(r);
            s.st(i, (int) v[0], v[1]).xmm(i, FpValues.f64(r), FpValues.f64(r));
        }
        return s;
    }

    @Test
    void fxrstorThenFxsaveAgree() {
        Random r = new Random(42);
        int failures = 0;
        StringBuilder first = new StringBuilder();
        for (int k = 0; k < 500; k++) {
            String report = runner.check(FpCase.of("FXRSTOR/FXSAVE", k, new byte[0], randomState(r), new byte[0]));
            if (report != null && failures++ < 3) {
                first.append(report);
            }
        }
        assertEquals(0, failures, first.toString());
    }

    @Test
    void theOutputOfAnFninitStateIsTheInput() {
        FxImage in = FxImage.fninit();
        FpDiffRunner.Outcome o = runner.run(FpCase.of("identity", 0, new byte[0], in, new byte[0]));
        assertNull(o.vmmFault());
        assertEquals(0x037F, o.nativeImage().fcw());
        assertEquals(0x1F80, o.nativeImage().mxcsr());
        assertEquals("", FpDiffRunner.differences(o));
    }
}

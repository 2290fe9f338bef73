package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Recent CPU use: the share of one core since the sample before the last. */
class CpuMeterTest {
    private static final long S = 1_000_000_000L;

    @Test
    void beforeTheFirstSampleItIsTheAverageSinceTheStart() {
        CpuMeter m = new CpuMeter(10 * S);
        assertEquals(-1, m.percent(10 * S, 0), "no time passed");
        assertEquals(50.0, m.percent(12 * S, S));
    }

    @Test
    void aBusyBootThenAnIdleGuestShowsTheIdleNotTheAverage() {
        CpuMeter m = new CpuMeter(0);
        m.sample(240 * S, 240 * S);             // four minutes of one core: the boot
        m.sample(241 * S, 240 * S + S / 100);   // then 10 ms in a second
        assertEquals(1.0, m.percent(241 * S, 240 * S + S / 100));
        m.sample(242 * S, 240 * S + S / 100);   // a second of HLT
        assertEquals(0.0, m.percent(242 * S + S / 2, 240 * S + S / 100));
        assertEquals(0.6, m.percent(242 * S, 240 * S + S / 100 + S / 200 + S / 1000),
                "from the base sample (241 s): 6 ms in 1 s");
    }
}

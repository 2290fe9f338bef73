package dev.vmm.devices.apic;

import static dev.vmm.devices.apic.ApicRegisters.REG_LVT_TIMER;
import static dev.vmm.devices.apic.ApicRegisters.REG_TIMER_CURRENT;
import static dev.vmm.devices.apic.ApicRegisters.REG_TIMER_DIVIDE;
import static dev.vmm.devices.apic.ApicRegisters.REG_TIMER_INITIAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The local APIC timer on deterministic time, with a 1 GHz bus clock (SDM vol. 3, 10.5.4). */
class ApicTimerTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;
    private static final int VECTOR = 0xEF;
    private final ApicHarness h = new ApicHarness();

    @BeforeEach
    void enable() {
        h.enable();
    }

    @Test
    void oneShotWithDivideBy16() {
        h.write(REG_TIMER_DIVIDE, 0x3);             // divide by 16: 62.5 MHz
        h.write(REG_LVT_TIMER, VECTOR);             // one-shot
        h.write(REG_TIMER_INITIAL, 62_500);         // 1 ms
        assertEquals(62_500, h.read(REG_TIMER_INITIAL));
        assertEquals(62_500, h.read(REG_TIMER_CURRENT));
        h.t.advanceTo(MS / 2);
        assertEquals(31_250, h.read(REG_TIMER_CURRENT));
        h.t.advanceTo(MS - 16);
        assertEquals(1, h.read(REG_TIMER_CURRENT));
        h.t.advanceTo(MS - 1);
        assertTrue(h.service().isEmpty());
        h.t.advanceTo(MS);
        assertEquals(List.of(VECTOR), h.service());
        assertEquals(0, h.read(REG_TIMER_CURRENT));
        h.t.advanceTo(10 * MS);
        assertTrue(h.service().isEmpty(), "one-shot fires once");
        assertEquals(0, h.read(REG_TIMER_CURRENT));
    }

    @Test
    void periodicCountsExactlyOverOneSecond() {
        h.write(REG_TIMER_DIVIDE, 0xB);             // divide by 1
        h.write(REG_LVT_TIMER, 1 << 17 | VECTOR);   // periodic
        h.write(REG_TIMER_INITIAL, 1_000_000);      // 1 kHz
        List<Long> times = new ArrayList<>();
        h.t.runUntil(S, () -> {
            for (int v : h.service()) {
                assertEquals(VECTOR, v);
                times.add(h.t.now());
            }
        });
        assertEquals(1000, times.size());
        assertEquals(MS, times.get(0));
        assertEquals(S, times.get(999));
        h.t.advanceTo(S + 400_000);
        assertEquals(600_000, h.read(REG_TIMER_CURRENT), "reloaded from the initial count");
    }

    @Test
    void divideConfigurationValues() {
        int[] config = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB};
        int[] divisor = {2, 4, 8, 16, 32, 64, 128, 1};
        for (int i = 0; i < config.length; i++) {
            h.write(REG_LVT_TIMER, 0x1_0000 | VECTOR);
            h.write(REG_TIMER_DIVIDE, config[i]);
            assertEquals(config[i], h.read(REG_TIMER_DIVIDE));
            h.write(REG_TIMER_INITIAL, 0xFFFF_FFFF);
            h.t.advanceBy(1280);
            long expected = 0xFFFF_FFFFL - 1280 / divisor[i];
            assertEquals(expected, h.read(REG_TIMER_CURRENT) & 0xFFFF_FFFFL,
                    "divide by " + divisor[i]);
        }
    }

    @Test
    void changingTheDividerContinuesFromTheCurrentCount() {
        h.write(REG_TIMER_DIVIDE, 0xB);
        h.write(REG_LVT_TIMER, VECTOR);
        h.write(REG_TIMER_INITIAL, 1000);
        h.t.advanceTo(400);
        h.write(REG_TIMER_DIVIDE, 0x0);             // divide by 2 from here
        assertEquals(600, h.read(REG_TIMER_CURRENT));
        h.t.advanceTo(400 + 1199);
        assertTrue(h.service().isEmpty());
        h.t.advanceTo(400 + 1200);
        assertEquals(List.of(VECTOR), h.service());
    }

    @Test
    void maskedTimerCountsWithoutInterrupting() {
        h.write(REG_TIMER_DIVIDE, 0xB);
        h.write(REG_LVT_TIMER, 0x1_0000 | 1 << 17 | VECTOR);
        h.write(REG_TIMER_INITIAL, 1000);
        h.t.advanceTo(10_500);
        assertTrue(h.service().isEmpty());
        assertEquals(500, h.read(REG_TIMER_CURRENT));
        h.write(REG_TIMER_INITIAL, 0);              // a zero initial count stops the timer
        assertEquals(0, h.read(REG_TIMER_CURRENT));
    }

    @Test
    void tscDeadlineFiresAtTheRightTsc() {
        h.write(REG_LVT_TIMER, 2 << 17 | VECTOR);   // TSC-deadline mode
        h.t.advanceTo(5 * MS);
        long deadline = h.tsc() + 3_000_001;        // 1,000,000.33 ns at 3 GHz
        h.apic.writeTscDeadline(deadline);
        assertEquals(deadline, h.apic.readTscDeadline());
        h.write(REG_TIMER_INITIAL, 1234);           // ignored in TSC-deadline mode
        assertEquals(0, h.read(REG_TIMER_CURRENT));
        h.t.advanceTo(6 * MS);
        assertTrue(h.tsc() < deadline);
        assertTrue(h.service().isEmpty());
        h.t.advanceTo(6 * MS + 1);
        assertTrue(h.tsc() >= deadline);
        assertEquals(List.of(VECTOR), h.service());
        assertEquals(0, h.apic.readTscDeadline(), "the deadline disarms itself");

        h.apic.writeTscDeadline(h.tsc() - 5);       // already passed: fires at once
        assertEquals(List.of(VECTOR), h.service());
        h.apic.writeTscDeadline(h.tsc() + 3000);
        h.apic.writeTscDeadline(0);                 // disarmed
        h.t.advanceBy(MS);
        assertTrue(h.service().isEmpty());

        h.apic.writeTscDeadline(h.tsc() + 3000);
        h.write(REG_LVT_TIMER, VECTOR);             // leaving TSC-deadline mode disarms it
        h.t.advanceBy(MS);
        assertTrue(h.service().isEmpty());
        h.apic.writeTscDeadline(h.tsc() + 3000);    // ignored in one-shot mode
        assertEquals(0, h.apic.readTscDeadline());
    }

    @Test
    void saveRestoreTscDeadline() {
        h.write(REG_LVT_TIMER, 2 << 17 | VECTOR);
        long deadline = h.tsc() + 6_000_000;        // 2 ms
        h.apic.writeTscDeadline(deadline);
        h.t.advanceTo(MS);
        LocalApic.State s = h.apic.save();
        ApicHarness other = new ApicHarness();
        other.t.advanceTo(MS);
        other.apic.restore(s);
        assertEquals(s, other.apic.save());
        assertEquals(deadline, other.apic.readTscDeadline());
        for (ApicHarness x : List.of(h, other)) {
            x.t.advanceTo(2 * MS - 1);
            assertTrue(x.service().isEmpty());
            x.t.advanceTo(2 * MS);
            assertEquals(List.of(VECTOR), x.service());
        }
    }
}

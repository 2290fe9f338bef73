package dev.vmm.devices.hpet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.irq.IrqLine;
import dev.vmm.devices.testutil.DetClock;
import dev.vmm.devices.testutil.RecordingLine;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HPET driven through its registers as Linux's arch/x86/kernel/hpet.c does. */
class HpetTest {
    private static final long S = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final int T0 = 0x100;
    private static final int T1 = 0x120;
    private static final int T2 = 0x140;
    private static final long INT_LEVEL = 1 << 1;
    private static final long INT_ENB = 1 << 2;
    private static final long PERIODIC = 1 << 3;
    private static final long SETVAL = 1 << 6;
    private static final long MODE32 = 1 << 8;

    /** An HPET on its own deterministic clock with recording lines. */
    private static final class Rig {
        final DetClock t = new DetClock();
        final RecordingLine irq0 = new RecordingLine(t.clock);
        final RecordingLine irq8 = new RecordingLine(t.clock);
        final Map<Integer, RecordingLine> pins = new HashMap<>();
        final Hpet hpet = new Hpet(t.clock, this::pin, irq0, irq8);

        IrqLine pin(int n) {
            return pins.computeIfAbsent(n, k -> new RecordingLine(t.clock));
        }

        RecordingLine line(int n) {
            return (RecordingLine) pin(n);
        }

        long read32(int reg) {
            return hpet.mmioRead(reg, 4);
        }

        long read64(int reg) {
            return hpet.mmioRead(reg, 8);
        }

        void write32(int reg, long v) {
            hpet.mmioWrite(reg, 4, v & 0xFFFF_FFFFL);
        }

        void write64(int reg, long v) {
            hpet.mmioWrite(reg, 8, v);
        }

        /** Linux's hpet_set_periodic on timer 0 with legacy replacement, {@code delta} ticks. */
        void linuxPeriodic(long delta) {
            write32(0x010, read32(0x010) & ~1L);                // hpet_stop_counter
            write32(0x0F0, 0);                                  // hpet_reset_counter
            write32(0x0F4, 0);
            long now = read32(0x0F0);
            long cfg = read32(T0);
            cfg |= INT_ENB | PERIODIC | SETVAL | MODE32;
            write32(T0, cfg);
            write32(T0 + 8, now + delta);
            write32(T0 + 8, delta);
            write32(0x010, read32(0x010) | 3);                  // LEG_RT_CNF | ENABLE_CNF
        }
    }

    @Test
    void capabilities() {
        Rig r = new Rig();
        assertEquals(0x8086_A201L, r.read32(0x000));
        assertEquals(10_000_000L, r.read32(0x004), "period 10 ns in femtoseconds");
        assertEquals(Hpet.CAPABILITIES, r.read64(0x000));
        long t0 = r.read64(T0);
        assertEquals(Hpet.ROUTE_CAP, t0 >>> 32);
        assertTrue((t0 & 1 << 4) != 0, "timer 0 is periodic capable");
        assertTrue((t0 & 1 << 5) != 0, "64-bit comparator");
        assertFalse((r.read64(T1) & 1 << 4) != 0, "timer 1 is not");
        r.write32(T1, PERIODIC | INT_ENB);
        assertEquals(INT_ENB, r.read32(T1) & 0xFFFF & ~(1 << 5));
        assertEquals(-1L, r.read64(T2 + 8), "comparators reset to all ones");
        assertEquals(0, r.read64(0x010));
    }

    @Test
    void mainCounterRate() {
        Rig r = new Rig();
        r.t.advanceTo(S / 3);
        assertEquals(0, r.read64(0x0F0), "halted at reset");
        r.write32(0x010, 1);
        long start = r.t.now();
        r.t.advanceTo(start + S);
        assertEquals(100_000_000L, r.read64(0x0F0), "100 MHz");
        r.t.advanceTo(start + S + 19);
        assertEquals(100_000_001L, r.read32(0x0F0));
        r.write64(0x0F0, 5);                                    // ignored while running
        assertEquals(100_000_001L, r.read64(0x0F0));
        r.write32(0x010, 0);
        r.t.advanceBy(S);
        assertEquals(100_000_001L, r.read64(0x0F0), "holds while halted");
        r.write32(0x0F0, 0xFFFF_FFF0L);
        r.write32(0x0F4, 0x1);
        assertEquals(0x1_FFFF_FFF0L, r.read64(0x0F0));
        r.write32(0x010, 1);
        r.t.advanceBy(200);
        assertEquals(0x2_0000_0004L, r.read64(0x0F0));
        assertEquals(0x2L, r.read32(0x0F4));
    }

    @Test
    void legacyReplacementPeriodicCountsExactlyOverOneSecond() {
        Rig r = new Rig();
        r.linuxPeriodic(100_000);                               // 1 kHz
        assertTrue(r.hpet.legacyReplacement());
        long start = r.t.now();
        r.t.runUntil(start + S, () -> { });
        assertEquals(1000, r.irq0.risingEdges());
        List<RecordingLine.Edge> edges = r.irq0.edges();
        assertEquals(start + MS, edges.get(0).nanos());
        assertEquals(start + S, edges.get(edges.size() - 1).nanos());
        assertEquals(0, r.irq8.risingEdges());
        assertTrue(r.pins.values().stream().allMatch(l -> l.risingEdges() == 0));
        assertEquals(100_000_000L + 100_000, r.read64(T0 + 8), "the comparator advanced");
        assertEquals(0, r.read64(0x020), "edge mode leaves the status register alone");
    }

    @Test
    void legacyReplacementMuxesThePitAndTheRtc() {
        Rig r = new Rig();
        IrqLine pit = r.hpet.pitInput();
        IrqLine rtc = r.hpet.rtcInput();
        pit.raise();
        rtc.raise();
        assertTrue(r.irq0.level() && r.irq8.level(), "without LEG_RT_CNF the PIT and RTC pass");
        r.write32(0x010, 2);
        assertFalse(r.irq0.level() || r.irq8.level(), "their lines are handed to timers 0 and 1");
        pit.lower();
        pit.raise();
        rtc.lower();
        assertEquals(2, r.irq0.edges().size());
        r.write32(0x010, 0);
        assertTrue(r.irq0.level(), "back to the PIT's level");
        assertFalse(r.irq8.level());
        assertEquals(3, r.irq0.edges().size());
    }

    @Test
    void timer1LegacyOneShotOnIrq8() {
        Rig r = new Rig();
        r.write32(0x010, 3);
        r.write32(T1, INT_ENB);
        r.write64(T1 + 8, r.read64(0x0F0) + 50_000);          // 500 us
        r.t.runUntil(10 * MS, () -> { });
        assertEquals(List.of(new RecordingLine.Edge(500_000, true),
                new RecordingLine.Edge(500_000, false)), r.irq8.edges());
        assertEquals(0, r.irq0.risingEdges());
    }

    @Test
    void routedOneShotAnd32BitWrap() {
        Rig r = new Rig();
        r.write32(0x010, 1);
        r.t.advanceTo(1000);
        r.write32(T2, INT_ENB | MODE32 | 20 << 9);              // I/O APIC pin 20
        r.write32(T2 + 8, r.read32(0x0F0) + 700);
        r.t.runUntil(MS, () -> { });
        assertEquals(1, r.line(20).risingEdges());
        assertEquals(1000 + 7000, r.line(20).edges().get(0).nanos());

        r.line(20).clear();
        long past = r.read32(0x0F0) - 10;                      // already passed: waits for the wrap
        r.write32(T2 + 8, past);
        long wrap = r.t.now() + ((1L << 32) - 10) * 10;
        r.t.runUntil(wrap - 1, () -> { });
        assertEquals(0, r.line(20).risingEdges());
        r.t.advanceTo(wrap);
        assertEquals(1, r.line(20).risingEdges());
    }

    @Test
    void levelTriggeredStatusIsWriteOneToClear() {
        Rig r = new Rig();
        r.write32(0x010, 1);
        r.write32(T2, INT_LEVEL | INT_ENB | 21 << 9);
        r.write64(T2 + 8, 1000);
        r.t.advanceTo(10_000);
        assertTrue(r.line(21).level());
        assertEquals(4, r.read32(0x020));
        r.write32(0x020, 3);                                    // other bits: no effect
        assertTrue(r.line(21).level());
        r.write32(0x020, 4);
        assertFalse(r.line(21).level());
        assertEquals(0, r.read32(0x020));
    }

    @Test
    void saveRestoreMidPeriodic() {
        Rig a = new Rig();
        a.linuxPeriodic(100_000);
        a.write32(T2, INT_LEVEL | INT_ENB | 22 << 9);
        a.write64(T2 + 8, 30_000_000);                          // level interrupt at 300 ms
        a.t.runUntil(S / 2 + 12_345, () -> { });
        Hpet.State s = a.hpet.save();

        Rig b = new Rig();
        b.t.advanceTo(a.t.now());
        b.hpet.restore(s);
        assertEquals(s, b.hpet.save());
        assertEquals(a.read64(0x0F0), b.read64(0x0F0));
        assertEquals(4, b.read32(0x020));
        assertTrue(b.line(22).edges().isEmpty(), "restore drives no line (receivers restore)");
        assertTrue(a.line(22).level());
        a.irq0.clear();
        for (Rig x : List.of(a, b)) {
            x.write32(0x020, 4);
            assertEquals(0, x.read32(0x020));
            x.t.runUntil(S + 12_345, () -> { });
            assertEquals(500, x.irq0.risingEdges());
            assertEquals(S, x.irq0.edges().get(x.irq0.edges().size() - 1).nanos());
        }
        assertFalse(a.line(22).level());
        assertEquals(a.hpet.save(), b.hpet.save());
    }
}

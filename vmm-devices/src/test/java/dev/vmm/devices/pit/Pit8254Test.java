package dev.vmm.devices.pit;

import static dev.vmm.devices.pit.Pit8254.nanosAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.devices.testutil.DetClock;
import dev.vmm.devices.testutil.RecordingLine;
import org.junit.jupiter.api.Test;

/** The 8254 programming interface, IRQ0, port 0x61 and snapshots, driven as Linux drives them. */
class Pit8254Test extends PitHarness {
    @Test
    void tickArithmetic() {
        assertEquals(1_193_182, Pit8254.ticksAt(1_000_000_000L));
        assertEquals(1_000_000_000L, nanosAt(1_193_182));
        for (long k : new long[] {1, 2, 1193, 59659, 65536, 1L << 40}) {
            assertEquals(k, Pit8254.ticksAt(nanosAt(k)));
            assertEquals(k - 1, Pit8254.ticksAt(nanosAt(k) - 1));
        }
    }

    @Test
    void linuxPitCalibrateTscMode0OnChannel2() {
        // arch/x86/kernel/tsc.c pit_calibrate_tsc(): gate high, speaker off, mode 0, 50 ms.
        out(0x61, (in(0x61) & ~0x02) | 0x01);
        out(0x43, 0xB0);
        int latch = 1_193_182 / 20;
        out(0x42, latch & 0xFF);
        long w = pit.tick();
        out(0x42, latch >> 8);
        assertFalse(out2(), "mode 0: OUT low while counting");
        beforeTick(w + latch + 1);
        assertFalse(out2());
        atTick(w + latch + 1);
        assertTrue(out2(), "OUT goes high N+1 CLKs after the count is written");
        t.advanceBy(1_000_000);
        assertTrue(out2(), "and stays high");
    }

    @Test
    void linuxQuickPitCalibrateReadsDecreasingMsb() {
        // quick_pit_calibrate(): mode 0 from 0xFFFF, reading LSB then MSB of channel 2.
        out(0x61, (in(0x61) & ~0x02) | 0x01);
        out(0x43, 0xB0);
        out(0x42, 0xFF);
        out(0x42, 0xFF);
        long load = pit.tick() + 1;
        atTick(load);
        in(0x42);
        assertEquals(0xFF, in(0x42));
        for (int msb = 0xFE; msb >= 0xF0; msb--) {
            long k = load + 0xFFFF - (msb << 8 | 0xFF);   // first tick with this MSB
            beforeTick(k);
            in(0x42);
            assertEquals(msb + 1, in(0x42));
            atTick(k);
            assertEquals(0xFF, in(0x42), "LSB");
            assertEquals(msb, in(0x42), "MSB");
        }
    }

    @Test
    void linuxPeriodicMode2OnIrq0() {
        out(0x43, 0x34);                        // channel 0, LSB/MSB, mode 2, binary
        out(0x40, 1193 & 0xFF);
        long w = pit.tick();
        out(0x40, 1193 >> 8);
        long load = w + 1;
        assertTrue(irq0.level());
        // OUT low during the tick where CE = 1, rising when it reloads.
        beforeTick(load + 1192);
        assertTrue(irq0.level());
        atTick(load + 1192);
        assertFalse(irq0.level());
        atTick(load + 1193);
        assertTrue(irq0.level());
        assertEquals(1193, readLatched(0));
        atTick(load + 1193 + 100);
        assertEquals(1093, readLatched(0));
        // One second of guest time: one rising edge per period.
        irq0.clear();
        long end = nanosAt(load + 1193 + 1_193_182);
        t.runUntil(end, () -> { });
        assertEquals(1_193_182 / 1193, irq0.risingEdges());
        long firstRise = irq0.edges().stream().filter(RecordingLine.Edge::level).findFirst()
                .orElseThrow().nanos();
        assertEquals(nanosAt(load + 2 * 1193), firstRise);
    }

    @Test
    void seabiosMode3Count0Gives18HzOnIrq0() {
        out(0x43, 0x36);
        out(0x40, 0);
        long load = pit.tick() + 1;
        out(0x40, 0);
        irq0.clear();
        t.runUntil(nanosAt(load + 65536 * 10), () -> { });
        assertEquals(10, irq0.risingEdges());
        assertEquals(20, irq0.edges().size());
        assertEquals(nanosAt(load + 32768), irq0.edges().get(0).nanos(), "first falling edge");
    }

    @Test
    void lsbOnlyAndMsbOnlyAccess() {
        out(0x61, 0x01);
        out(0x43, 0x90);                        // channel 2, LSB only, mode 0
        out(0x42, 0x20);
        long load = pit.tick() + 1;
        atTick(load + 1);
        assertEquals(0x1F, in(0x42));
        assertEquals(0x1F, in(0x42), "every read is the LSB");
        out(0x43, 0xA0);                        // MSB only
        out(0x42, 0x02);
        load = pit.tick() + 1;
        atTick(load + 1);
        assertEquals(0x01, in(0x42), "0x200 - 1 = 0x1FF: MSB 01");
    }

    @Test
    void counterLatchHoldsValueUntilRead() {
        out(0x61, 0x01);
        out(0x43, 0xB0);
        out(0x42, 0x00);
        long load = pit.tick() + 1;
        out(0x42, 0x10);
        atTick(load + 0x100);
        out(0x43, 0x80);                        // latch channel 2
        atTick(load + 0x200);
        out(0x43, 0x80);                        // ignored: previous latch unread
        assertEquals(0x00, in(0x42));
        assertEquals(0x0F, in(0x42));
        assertEquals(0x00, in(0x42), "unlatched: live count again");
        assertEquals(0x0E, in(0x42));
    }

    @Test
    void readBackStatusAndCountOfTwoChannels() {
        out(0x43, 0x34);
        out(0x40, 0x00);
        out(0x40, 0x10);
        out(0x61, 0x01);
        out(0x43, 0xB0);
        out(0x42, 0x34);
        out(0x42, 0x12);
        out(0x43, 0xE0 | 0x02 | 0x08);          // read-back: status only, ch0 and ch2
        assertEquals(0xF4, in(0x40), "OUT high, null count, LSB/MSB, mode 2");
        assertEquals(0x70, in(0x42), "OUT low, null count, LSB/MSB, mode 0");
        long k = pit.tick();
        atTick(k + 5);
        out(0x43, 0xC0 | 0x02 | 0x08);          // status and count of ch0 and ch2
        assertEquals(0xB4, in(0x40), "OUT high, count loaded: null count clear");
        int c0 = in(0x40) | in(0x40) << 8;
        assertEquals(0x30, in(0x42));
        int c2 = in(0x42) | in(0x42) << 8;
        assertEquals(0x1000 - 4, c0);
        assertEquals(0x1234 - 4, c2);
    }

    @Test
    void port61RefreshToggleAndControlBits() {
        out(0x61, 0x0F);
        assertEquals(0x0F, in(0x61) & 0x0F);
        assertTrue(port61.speakerEnabled());
        long k = pit.tick() / 18 * 18 + 18;     // a toggle boundary
        beforeTick(k);
        int before = in(0x61) & 0x10;
        atTick(k);
        int after = in(0x61) & 0x10;
        assertEquals(0x10, before ^ after, "bit 4 toggles every 18 PIT ticks (15.09 us)");
        atTick(k + 17);
        assertEquals(after, in(0x61) & 0x10);
        assertEquals(0, in(0x61) & 0xC0);
    }

    @Test
    void longIdleGapCatchesUpWithoutLosingTheRequest() {
        out(0x43, 0x34);
        out(0x40, 0xA9);
        out(0x40, 0x04);                        // 1193
        irq0.clear();
        t.advanceBy(3_600_000_000_000L);        // one hour in one step
        assertTrue(irq0.risingEdges() >= 1);
        assertTrue(irq0.edges().size() < 100, "edges collapsed: " + irq0.edges().size());
        long k = pit.tick();
        t.runUntil(nanosAt(k + 1193 * 3), () -> { });
        assertTrue(irq0.edges().size() < 110);
    }

    @Test
    void saveRestoreMidOperationGivesIdenticalBehaviour() {
        out(0x43, 0x34);
        out(0x40, 0xA9);
        out(0x40, 0x04);
        out(0x61, 0x03);
        out(0x43, 0xB6);
        out(0x42, 0x33);
        out(0x42, 0x01);
        t.advanceBy(1_234_567);
        out(0x42, 0x99);                        // half of a new count on channel 2
        out(0x43, 0x80);                        // a latched count left unread
        Pit8254.State saved = pit.save();
        assertEquals(0x03, saved.port61(), "port 0x61's written bits are the PIT's state");

        DetClock t2 = new DetClock();
        t2.advanceTo(t.now());
        RecordingLine irq2 = new RecordingLine(t2.clock);
        irq2.set(irq0.level());
        Pit8254 copy = new Pit8254(t2.clock, irq2);
        SpeakerPort port2 = new SpeakerPort(copy);
        copy.restore(saved);
        assertEquals(saved, copy.save());
        PioBus bus2 = new PioBus();
        copy.attach(bus2);
        port2.attach(bus2);
        irq0.clear();
        irq2.clear();

        int[][] script = {{0x42, -1}, {0x42, -1}, {0x42, 0x02}, {0x42, -1}, {0x43, 0xCE},
            {0x40, -1}, {0x40, -1}, {0x40, -1}, {0x42, -1}, {0x61, -1}, {0x42, -1}, {0x42, -1}};
        for (int round = 0; round < 5; round++) {
            for (int[] step : script) {
                if (step[1] < 0) {
                    assertEquals(bus.read(step[0], 1), bus2.read(step[0], 1),
                            "port 0x" + Integer.toHexString(step[0]));
                } else {
                    bus.write(step[0], 1, step[1]);
                    bus2.write(step[0], 1, step[1]);
                }
            }
            long end = t.now() + 3_333_333;
            t.runUntil(end, () -> { });
            t2.runUntil(end, () -> { });
        }
        assertEquals(irq0.edges(), irq2.edges());
        assertTrue(irq0.risingEdges() > 10);
        assertEquals(pit.save(), copy.save());
    }
}

package dev.vmm.devices.pit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The six counting modes of the 8254, binary and BCD, with their GATE behaviour. */
class Pit8254ModesTest extends PitHarness {
    @Test
    void mode0GateLowPausesCounting() {
        out(0x61, 0x01);
        out(0x43, 0xB0);
        out(0x42, 100);
        long load = pit.tick() + 1;
        out(0x42, 0);
        atTick(load + 30);
        assertEquals(70, readLatched(2));
        out(0x61, 0x00);                        // gate low at tick load+30
        atTick(load + 80);
        assertEquals(70, readLatched(2));
        assertFalse(out2());
        long g = pit.tick();
        out(0x61, 0x01);
        beforeTick(g + 70);
        assertFalse(out2());
        atTick(g + 70);
        assertTrue(out2());
        assertEquals(0, readLatched(2));
        atTick(g + 72);
        assertEquals(0xFFFE, readLatched(2), "the counter wraps and keeps counting");
    }

    @Test
    void mode0FirstByteOfNewCountSetsOutLowAtOnce() {
        out(0x61, 0x01);
        out(0x43, 0xB0);
        out(0x42, 5);
        long load = pit.tick() + 1;
        out(0x42, 0);
        atTick(load + 5);
        assertTrue(out2());
        out(0x42, 20);                          // LSB only: counting stops, OUT low
        assertFalse(out2());
        atTick(load + 50);
        assertFalse(out2());
        long w = pit.tick();
        out(0x42, 0);                           // MSB: loaded on the next CLK
        atTick(w + 1);
        assertEquals(20, readLatched(2));
        beforeTick(w + 21);
        assertFalse(out2());
        atTick(w + 21);
        assertTrue(out2());
    }

    @Test
    void mode4GateLowInhibitsCounting() {
        out(0x61, 0x01);
        out(0x43, 0xB8);
        out(0x42, 10);
        long load = pit.tick() + 1;
        out(0x42, 0);
        atTick(load + 4);
        out(0x61, 0x00);
        atTick(load + 100);
        assertEquals(6, readLatched(2));
        long g = pit.tick();
        out(0x61, 0x01);
        beforeTick(g + 6);
        assertTrue(out2());
        atTick(g + 6);
        assertFalse(out2(), "strobe when the held count runs out");
        atTick(g + 7);
        assertTrue(out2());
    }

    @Test
    void mode1HardwareRetriggerableOneShot() {
        out(0x61, 0x00);
        out(0x43, 0xB2);                        // channel 2, mode 1
        out(0x42, 10);
        out(0x42, 0);
        t.advanceBy(50_000);
        assertTrue(out2(), "no trigger yet: OUT high");
        long g = pit.tick();
        out(0x61, 0x01);                        // trigger
        assertTrue(out2());
        atTick(g + 1);
        assertFalse(out2(), "OUT low on the CLK after the trigger");
        atTick(g + 6);
        out(0x61, 0x00);
        long g2 = pit.tick();
        out(0x61, 0x01);                        // retrigger: ten more CLKs from here
        beforeTick(g2 + 11);
        assertFalse(out2());
        atTick(g2 + 11);
        assertTrue(out2());
    }

    @Test
    void mode4SoftwareStrobe() {
        out(0x61, 0x01);
        out(0x43, 0xB8);
        out(0x42, 5);
        long w = pit.tick();
        out(0x42, 0);
        beforeTick(w + 6);
        assertTrue(out2());
        atTick(w + 6);
        assertFalse(out2(), "strobe N+1 CLKs after the write");
        atTick(w + 7);
        assertTrue(out2(), "for one CLK");
        atTick(w + 7 + 65536);
        assertTrue(out2(), "once per count written");
    }

    @Test
    void mode5HardwareStrobe() {
        out(0x61, 0x00);
        out(0x43, 0xBA);
        out(0x42, 3);
        out(0x42, 0);
        t.advanceBy(10_000);
        long g = pit.tick();
        out(0x61, 0x01);
        beforeTick(g + 4);
        assertTrue(out2());
        atTick(g + 4);
        assertFalse(out2());
        atTick(g + 5);
        assertTrue(out2());
    }

    @Test
    void mode2GateLowForcesOutHighAndRisingEdgeReloads() {
        out(0x61, 0x01);
        out(0x43, 0xB4);                        // channel 2, mode 2
        out(0x42, 10);
        long load = pit.tick() + 1;
        out(0x42, 0);
        atTick(load + 9);
        assertFalse(out2());
        out(0x61, 0x00);
        assertTrue(out2(), "gate low sets OUT high at once");
        atTick(load + 40);
        long g = pit.tick();
        out(0x61, 0x01);
        atTick(g + 1);
        assertEquals(10, readLatched(2), "reloaded on the CLK after the trigger");
        atTick(g + 10);
        assertFalse(out2());
    }

    @Test
    void bcdCounting() {
        out(0x61, 0x01);
        out(0x43, 0xB1);                        // channel 2, LSB/MSB, mode 0, BCD
        out(0x42, 0x00);
        long load = pit.tick() + 1;
        out(0x42, 0x01);                        // 0100 BCD = 100
        atTick(load);
        assertEquals(0x0100, readLatched(2));
        atTick(load + 11);
        assertEquals(0x0089, readLatched(2));
        atTick(load + 101);
        assertEquals(0x9999, readLatched(2), "BCD wraps to 9999");
        out(0x43, 0xB1);
        out(0x42, 0);
        load = pit.tick() + 1;
        out(0x42, 0);                           // 0 = 10000 in BCD
        beforeTick(load + 10000);
        assertFalse(out2());
        atTick(load + 10000);
        assertTrue(out2());
    }

    @Test
    void mode3SquareWaveEvenAndOdd() {
        out(0x61, 0x01);
        out(0x43, 0xB6);                        // channel 2, LSB/MSB, mode 3
        out(0x42, 4);
        long load = pit.tick() + 1;
        out(0x42, 0);
        boolean[] even = new boolean[8];
        for (int i = 0; i < 8; i++) {
            atTick(load + i);
            even[i] = out2();
        }
        assertEquals("HHLLHHLL", wave(even));
        out(0x43, 0xB6);
        out(0x42, 5);
        load = pit.tick() + 1;
        out(0x42, 0);
        boolean[] odd = new boolean[10];
        int[] ce = new int[5];
        for (int i = 0; i < 10; i++) {
            atTick(load + i);
            odd[i] = out2();
            if (i < 5) {
                ce[i] = readLatched(2);
            }
        }
        assertEquals("HHHLLHHHLL", wave(odd), "odd N: high (N+1)/2, low (N-1)/2");
        assertEquals("[4, 2, 0, 4, 2]", java.util.Arrays.toString(ce), "CE counts by two from N-1");
    }

    private static String wave(boolean[] levels) {
        StringBuilder sb = new StringBuilder();
        for (boolean b : levels) {
            sb.append(b ? 'H' : 'L');
        }
        return sb.toString();
    }

    @Test
    void newCountInMode2TakesEffectAtEndOfPeriod() {
        out(0x61, 0x01);
        out(0x43, 0xB4);
        out(0x42, 100);
        long load = pit.tick() + 1;
        out(0x42, 0);
        atTick(load + 30);
        out(0x42, 10);
        out(0x42, 0);
        out(0x43, 0xE8);                        // read-back status of ch2
        assertEquals(0x40, in(0x42) & 0x40, "null count until the reload");
        atTick(load + 99);
        assertFalse(out2(), "current period unaffected");
        atTick(load + 100);
        assertEquals(10, readLatched(2));
        out(0x43, 0xE8);
        assertEquals(0, in(0x42) & 0x40);
        atTick(load + 109);
        assertFalse(out2());
        atTick(load + 110);
        assertTrue(out2());
    }

    @Test
    void newCountInMode3TakesEffectAtEndOfHalfCycle() {
        out(0x61, 0x01);
        out(0x43, 0xB6);
        out(0x42, 100);
        long load = pit.tick() + 1;
        out(0x42, 0);
        atTick(load + 10);
        out(0x42, 20);
        out(0x42, 0);
        beforeTick(load + 50);
        assertTrue(out2());
        atTick(load + 50);
        assertFalse(out2(), "the high half cycle ends as programmed");
        beforeTick(load + 60);
        assertFalse(out2());
        atTick(load + 60);
        assertTrue(out2(), "then half cycles of the new count 20");
    }
}

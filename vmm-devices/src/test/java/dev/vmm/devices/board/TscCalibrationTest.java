package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.hpet.Hpet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Linux's TSC calibration (arch/x86/kernel/tsc.c of 6.1, the Debian guest's kernel) run against the
 * board's PIT, port 0x61 and HPET, in deterministic guest time: every port or MMIO access takes
 * {@link #ACCESS_NS} of guest time, as an ISA access takes about a microsecond on hardware. The TSC is
 * guest nanoseconds (1 GHz), so each method must find 1,000,000 kHz within the kernel's own tolerance.
 * The Java below follows the kernel's functions statement by statement (names kept).
 */
class TscCalibrationTest {
    private static final long PIT_TICK_RATE = 1_193_182;
    /** Guest time one port or MMIO access takes. */
    private static final long ACCESS_NS = 700;
    private static final int MAX_QUICK_PIT_ITERATIONS = (int) (50 * PIT_TICK_RATE / 1000 / 256);
    private static final long TSC_KHZ = 1_000_000;

    private final PcBoard board = BoardConfig.builder().memory(16 << 20).deterministic(true).build();
    private final VirtualClock clock = board.clock();
    private final PioBus io = board.io();
    private final PhysicalMemory memory = board.memory();

    @AfterEach
    void close() {
        board.close();
    }

    private int inb(int port) {
        clock.retired(ACCESS_NS);
        return io.read(port, 1);
    }

    private void outb(int value, int port) {
        clock.retired(ACCESS_NS);
        io.write(port, 1, value);
    }

    private long getCycles() {
        return board.cpu().readTsc();
    }

    // ---- quick_pit_calibrate -------------------------------------------------------------------

    private boolean pitVerifyMsb(int val) {
        inb(0x42);                              // ignore LSB
        return inb(0x42) == val;
    }

    /** pit_expect_msb: {tsc, delta}, or null when fewer than 6 reads saw {@code val}. */
    private long[] pitExpectMsb(int val) {
        long tsc = 0;
        long prevTsc = 0;
        int count;
        for (count = 0; count < 50000; count++) {
            if (!pitVerifyMsb(val)) {
                break;
            }
            prevTsc = tsc;
            tsc = getCycles();
        }
        long delta = getCycles() - prevTsc;
        return count > 5 ? new long[] {tsc, delta} : null;
    }

    /** quick_pit_calibrate: kHz, or 0 ("Fast TSC calibration failed"). */
    private long quickPitCalibrate() {
        outb((inb(0x61) & ~0x02) | 0x01, 0x61);
        outb(0xb0, 0x43);
        outb(0xff, 0x42);
        outb(0xff, 0x42);
        pitVerifyMsb(0);
        long[] first = pitExpectMsb(0xff);
        if (first != null) {
            long tsc = first[0];
            long d1 = first[1];
            for (int i = 1; i <= MAX_QUICK_PIT_ITERATIONS; i++) {
                long[] r = pitExpectMsb(0xff - i);
                if (r == null) {
                    break;
                }
                long delta = r[0] - tsc;
                long d2 = r[1];
                if (i == 1 && d1 + d2 >= (delta * MAX_QUICK_PIT_ITERATIONS) >> 11) {
                    return 0;
                }
                if (d1 + d2 >= delta >> 11) {
                    continue;
                }
                if (!pitVerifyMsb(0xfe - i)) {
                    break;
                }
                return delta * PIT_TICK_RATE / (i * 256L * 1000);
            }
        }
        return 0;
    }

    // ---- pit_hpet_ptimer_calibrate_cpu ---------------------------------------------------------

    /** pit_calibrate_tsc: kHz, or Long.MAX_VALUE (ULONG_MAX) when the sampling looks disturbed. */
    private long pitCalibrateTsc(int latch, long ms, int loopmin) {
        outb((inb(0x61) & ~0x02) | 0x01, 0x61);
        outb(0xb0, 0x43);
        outb(latch & 0xff, 0x42);
        outb(latch >> 8, 0x42);
        long tsc = getCycles();
        long t1 = tsc;
        long t2 = tsc;
        int pitcnt = 0;
        long tscmax = 0;
        long tscmin = Long.MAX_VALUE;
        while ((inb(0x61) & 0x20) == 0) {
            t2 = getCycles();
            long delta = t2 - tsc;
            tsc = t2;
            tscmin = Math.min(tscmin, delta);
            tscmax = Math.max(tscmax, delta);
            pitcnt++;
        }
        if (pitcnt < loopmin || tscmax > 10 * tscmin) {
            return Long.MAX_VALUE;
        }
        return (t2 - t1) / ms;
    }

    /** tsc_read_refs with the HPET: {tsc after the read, counter}. */
    private long[] tscReadRefs() {
        long t1 = getCycles();
        clock.retired(ACCESS_NS);
        long hpet = memory.read32(Hpet.DEFAULT_BASE + Hpet.REG_COUNTER) & 0xFFFF_FFFFL;
        long t2 = getCycles();
        assertTrue(t2 - t1 < 100_000_000L, "TICK_COUNT threshold");
        return new long[] {t2, hpet};
    }

    /** calc_hpet_ref. */
    private long calcHpetRef(long deltatsc, long hpet1, long hpet2) {
        if (hpet2 < hpet1) {
            hpet2 += 0x1_0000_0000L;
        }
        long tmp = (hpet2 - hpet1) * (memory.read32(Hpet.DEFAULT_BASE + 4) & 0xFFFF_FFFFL);
        tmp /= 1_000_000;
        return deltatsc / tmp;
    }

    @Test
    void fastCalibrationThroughChannel2SucceedsAtOneGigahertz() {
        long khz = quickPitCalibrate();
        assertTrue(khz != 0, "Fast TSC calibration failed");
        // Success means the kernel's error bound is below 500 ppm.
        assertTrue(Math.abs(khz - TSC_KHZ) <= TSC_KHZ / 2000, khz + " kHz");
    }

    @Test
    void pitCalibrationMatchesTheHpetReferenceAtOneGigahertz() {
        memory.write32(Hpet.DEFAULT_BASE + Hpet.REG_CONFIG, (int) Hpet.CONFIG_ENABLE);
        long[] ref1 = tscReadRefs();
        long pitKhz = pitCalibrateTsc((int) (PIT_TICK_RATE / (1000 / 10)), 10, 1000);   // CAL_LATCH, CAL_MS
        long[] ref2 = tscReadRefs();
        assertTrue(pitKhz != Long.MAX_VALUE, "Unable to calibrate against PIT");
        // The loop ends within one port read of the 10 ms count (11931 PIT ticks: 9,999,313 ns).
        assertTrue(Math.abs(pitKhz - TSC_KHZ) <= TSC_KHZ / 1000, pitKhz + " kHz from the PIT");
        long refKhz = calcHpetRef((ref2[0] - ref1[0]) * 1_000_000L, ref1[1], ref2[1]);
        assertEquals(TSC_KHZ, refKhz, TSC_KHZ / 10_000, "HPET reference");
        long deviation = pitKhz * 100 / refKhz;
        assertTrue(deviation >= 90 && deviation <= 110, "PIT calibration matches HPET");
    }

    @Test
    void port61ShowsChannel2OutAndReadsBackItsControlBits() {
        outb(0x01, 0x61);                       // GATE high, speaker off
        outb(0xb0, 0x43);                       // channel 2, LSB then MSB, mode 0
        outb(100, 0x42);
        outb(0, 0x42);
        assertEquals(0x01, inb(0x61) & 0x2F, "OUT low while counting, bits 0-3 read back");
        clock.retired(100 * 1_000_000_000L / PIT_TICK_RATE);
        assertEquals(0x21, inb(0x61) & 0x2F, "OUT high at terminal count");
    }
}

package dev.vmm.devices.rtc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.devices.testutil.DetClock;
import dev.vmm.devices.testutil.RecordingLine;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The MC146818 driven through ports 0x70/0x71 in deterministic guest time. */
class CmosRtcTest {
    private static final long S = 1_000_000_000L;
    /** A Thursday, leap day, two seconds before midnight. */
    private static final Instant BASE = Instant.parse("2024-02-29T23:59:58Z");

    private final DetClock t = new DetClock();
    private final RecordingLine irq8 = new RecordingLine(t.clock);
    private CmosRtc rtc;
    private final PioBus bus = new PioBus();

    private void start(Instant base) {
        rtc = new CmosRtc(t.clock, irq8, base);
        rtc.attach(bus);
    }

    private int read(int reg) {
        bus.write(0x70, 1, 0x80 | reg);         // SeaBIOS and Linux keep NMI masked meanwhile
        return bus.read(0x71, 1);
    }

    private void write(int reg, int value) {
        bus.write(0x70, 1, 0x80 | reg);
        bus.write(0x71, 1, value);
    }

    private String time() {
        return String.format("%02x-%02x-%02x %02x:%02x:%02x dow %d", read(9), read(8), read(7),
                read(4), read(2), read(0), read(6));
    }

    /** Runs guest time to {@code end}, acknowledging every IRQ8 by reading C as a handler does. */
    private List<Long> runHandlingIrq8(long end) {
        List<Long> times = new ArrayList<>();
        t.runUntil(end, () -> {
            if (irq8.level()) {
                times.add(t.now());
                read(0x0C);
            }
        });
        return times;
    }

    @Test
    void timeReadsInBcdAndCrossesLeapDay() {
        start(BASE);
        assertEquals("24-02-29 23:59:58 dow 5", time());
        assertEquals(0x26, read(0x0A));
        assertEquals(0x02, read(0x0B));
        assertEquals(0x80, read(0x0D), "VRT: valid RAM and time");
        t.advanceTo(2 * S - 1);
        assertEquals("24-02-29 23:59:59 dow 5", time());
        t.advanceTo(2 * S);
        assertEquals("24-03-01 00:00:00 dow 6", time());
    }

    @Test
    void fractionalBaseTimeUpdatesWhenItsSecondEnds() {
        start(Instant.parse("2024-02-29T23:59:58.750Z"));
        t.advanceTo(S / 4 - 1);
        assertEquals(0x58, read(0));
        t.advanceTo(S / 4);
        assertEquals(0x59, read(0));
    }

    @Test
    void binaryAnd12HourModes() {
        start(BASE);
        write(0x0B, 0x80 | 0x04);               // SET, binary, 12-hour
        write(0x04, 0x80 | 11);                 // 11 PM
        write(0x02, 59);
        write(0x00, 59);
        write(0x06, 7);
        write(0x07, 31);
        write(0x08, 12);
        write(0x09, 99);
        write(0x0B, 0x04);
        assertEquals("63-0c-1f 8b:3b:3b dow 7", time());
        t.advanceTo(S);
        assertEquals("00-01-01 0c:00:00 dow 1", time(), "11:59:59 PM -> 12:00:00 AM, new year");
        write(0x0B, 0x80 | 0x04);
        write(0x04, 11);                        // 11 AM
        write(0x02, 59);
        write(0x00, 59);
        write(0x0B, 0x04);
        t.advanceTo(2 * S);
        assertEquals(0x8C, read(0x04), "11:59:59 AM -> 12 PM");
        write(0x0B, 0x80 | 0x04);
        write(0x02, 59);
        write(0x00, 59);
        write(0x0B, 0x04);
        t.advanceTo(3 * S);
        assertEquals(0x81, read(0x04), "12:59:59 PM -> 1 PM");
        assertEquals(1, read(0x07), "same day");
    }

    @Test
    void bcd24HourWrittenByGuestCountsOn() {
        start(BASE);
        write(0x0B, 0x82);
        write(0x09, 0x23);
        write(0x08, 0x02);
        write(0x07, 0x28);
        write(0x04, 0x23);
        write(0x02, 0x59);
        write(0x00, 0x59);
        write(0x0B, 0x02);
        t.advanceTo(S);
        assertEquals("23-03-01 00:00:00 dow 6", time(), "2023 is no leap year");
    }

    @Test
    void uipIsSetFor244MicrosecondsBeforeEachUpdate() {
        start(BASE);
        // Divider cycle 32760 of 32768 starts at ceil(32760e9 / 32768) ns.
        t.advanceTo(999_755_859);
        assertEquals(0, read(0x0A) & 0x80);
        t.advanceTo(999_755_860);
        assertEquals(0x80, read(0x0A) & 0x80);
        t.advanceTo(S - 1);
        assertEquals(0x80, read(0x0A) & 0x80);
        assertEquals(0x58, read(0), "not updated yet");
        t.advanceTo(S);
        assertEquals(0, read(0x0A) & 0x80);
        assertEquals(0x59, read(0));
        // SeaBIOS rtc_updating() / Linux mach_get_cmos_time(): wait for UIP to rise, then fall.
        while ((read(0x0A) & 0x80) == 0) {
            t.advanceBy(10_000);
        }
        long rose = t.now();
        while ((read(0x0A) & 0x80) != 0) {
            t.advanceBy(10_000);
        }
        assertTrue(t.now() - rose <= 250_000 && t.now() - rose >= 240_000);
        assertEquals(0x00, read(0), "just updated to midnight");
    }

    @Test
    void setBitStopsUpdatesAndClearsUie() {
        start(BASE);
        write(0x0B, 0x80 | 0x10 | 0x02);
        assertEquals(0x82, read(0x0B), "SET clears UIE");
        t.advanceTo(5 * S + S / 2);
        assertEquals(0x58, read(0));
        assertEquals(0, read(0x0A) & 0x80, "no UIP while SET");
        assertEquals(0, read(0x0C) & 0x10, "no update-ended flag while SET");
        write(0x0B, 0x02);
        t.advanceTo(6 * S - 1);
        assertEquals(0x58, read(0));
        t.advanceTo(6 * S);
        assertEquals(0x59, read(0), "updates resume on the divider's next second");
    }

    @Test
    void dividerResetDelaysFirstUpdateHalfASecond() {
        start(BASE);
        write(0x0A, 0x76);
        t.advanceTo(3 * S + 300_000_000);
        assertEquals(0x58, read(0));
        write(0x0A, 0x26);
        long released = t.now();
        t.advanceTo(released + S / 2 - 1);
        assertEquals(0x58, read(0));
        t.advanceTo(released + S / 2);
        assertEquals(0x59, read(0));
        t.advanceTo(released + S / 2 + S);
        assertEquals(0x00, read(0));
    }

    @Test
    void periodicInterruptCountsOverExactInterval() {
        start(BASE);
        int[][] rates = {{0x26, 1024}, {0x2F, 2}, {0x23, 8192}, {0x21, 256}, {0x22, 128}};
        for (int[] rate : rates) {
            write(0x0A, rate[0]);
            long from = (t.now() / S + 1) * S;  // divider seconds start at whole guest seconds
            t.advanceTo(from);
            read(0x0C);
            write(0x0B, 0x42);                  // PIE, 24-hour
            List<Long> irqs = runHandlingIrq8(from + S);
            write(0x0B, 0x02);
            assertEquals(rate[1], irqs.size(), "rate select " + (rate[0] & 0xF));
            long period = (S + rate[1] - 1) / rate[1];    // first divider cycle of the period
            assertEquals(from + period, irqs.get(0), "first one period after the start");
        }
    }

    @Test
    void periodicFlagMergesWhenNotAcknowledged() {
        start(BASE);
        write(0x0B, 0x42);
        t.advanceTo(S + S / 2);
        assertTrue(irq8.level());
        assertEquals(1, irq8.risingEdges(), "IRQ8 stays asserted until C is read");
        assertEquals(0xD0, read(0x0C), "IRQF, PF and UF (an update happened, UIE off)");
        assertFalse(irq8.level());
        assertEquals(0x00, read(0x0C), "reading C cleared the flags");
    }

    @Test
    void alarmInterruptAtMatchingSecond() {
        start(BASE);
        write(0x01, 0x05);
        write(0x03, 0x00);
        write(0x05, 0x00);
        write(0x0B, 0x22);                      // AIE
        List<Long> irqs = new ArrayList<>();
        List<Integer> flags = new ArrayList<>();
        t.runUntil(10 * S, () -> {
            if (irq8.level()) {
                irqs.add(t.now());
                flags.add(read(0x0C));
            }
        });
        assertEquals(List.of(7 * S), irqs, "00:00:05 on March 1st");
        assertEquals(List.of(0xF0), flags, "IRQF, AF, UF of the same update, and PF (rate 6)");
    }

    @Test
    void alarmDontCareValuesMatchEveryMinute() {
        start(BASE);
        write(0x01, 0x30);
        write(0x03, 0xC0);
        write(0x05, 0xFF);
        write(0x0B, 0x22);
        List<Long> irqs = runHandlingIrq8(180 * S);
        assertEquals(List.of(32 * S, 92 * S, 152 * S), irqs);
    }

    @Test
    void updateEndedInterruptOncePerSecond() {
        start(BASE);
        write(0x0B, 0x12);
        List<Long> irqs = runHandlingIrq8(5 * S + S / 2);
        assertEquals(List.of(S, 2 * S, 3 * S, 4 * S, 5 * S), irqs);
    }

    @Test
    void indexRegisterNmiMaskAndRam() {
        start(BASE);
        bus.write(0x70, 1, 0x8F);
        assertTrue(rtc.nmiMasked());
        bus.write(0x70, 1, 0x0F);
        assertFalse(rtc.nmiMasked());
        assertEquals(0xFF, bus.read(0x70, 1), "index register is write-only");
        for (int a = 0x0E; a < 0x80; a++) {
            write(a, a ^ 0x5A);
        }
        for (int a = 0x0E; a < 0x80; a++) {
            assertEquals(a ^ 0x5A, read(a));
        }
        write(0x0D, 0);
        write(0x0C, 0xFF);
        assertEquals(0x80, read(0x0D), "D is read-only");
        assertEquals(0x00, read(0x0C), "C is read-only");
    }

    @Test
    void longGapCatchesUpExactly() {
        start(BASE);
        long gap = 400L * 86_400 + 12_345;
        t.advanceTo(gap * S);
        LocalDateTime want = LocalDateTime.ofInstant(BASE.plusSeconds(gap), ZoneOffset.UTC);
        String expect = String.format("%02d-%02d-%02d %02d:%02d:%02d dow %d",
                want.getYear() % 100, want.getMonthValue(), want.getDayOfMonth(), want.getHour(),
                want.getMinute(), want.getSecond(), want.getDayOfWeek().getValue() % 7 + 1);
        assertEquals(expect, time());
    }

    @Test
    void daylightSavingsEnableFollowsTheChipsRules() {
        start(Instant.parse("2024-04-28T01:59:58Z"));   // last Sunday of April
        write(0x0B, 0x03);
        t.advanceTo(2 * S);
        assertEquals(0x03, read(0x04), "1:59:59 AM -> 3:00:00 AM");
        DetClock t2 = new DetClock();
        CmosRtc oct = new CmosRtc(t2.clock, irq8, Instant.parse("2024-10-27T01:59:59Z"));
        oct.ioWrite(0x70, 1, 0x0B);
        oct.ioWrite(0x71, 1, 0x03);
        t2.advanceTo(S);
        oct.ioWrite(0x70, 1, 0x04);
        assertEquals(0x01, oct.ioRead(0x71, 1), "1:59:59 AM -> 1:00:00 AM the first time");
        t2.advanceTo(S + 3600 * S);
        assertEquals(0x02, oct.ioRead(0x71, 1), "and on to 2 AM the second time");
    }

    @Test
    void saveRestoreMidOperationGivesIdenticalBehaviour() {
        start(BASE);
        write(0x0A, 0x2A);                      // 64 Hz
        write(0x0B, 0x52);                      // PIE, UIE
        write(0x01, 0x03);
        write(0x03, 0xC0);
        write(0x05, 0xC0);
        write(0x40, 0x77);
        runHandlingIrq8(S + 123_456_789);
        bus.write(0x70, 1, 0x8C);               // index left at C, NMI masked
        CmosRtc.State saved = rtc.save();

        DetClock t2 = new DetClock();
        t2.advanceTo(t.now());
        RecordingLine irq2 = new RecordingLine(t2.clock);
        irq2.set(irq8.level());
        CmosRtc copy = new CmosRtc(t2.clock, irq2, Instant.EPOCH);
        copy.restore(saved);
        assertEquals(saved, copy.save());
        PioBus bus2 = new PioBus();
        copy.attach(bus2);
        irq8.clear();
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        drive(t, bus, irq8, a);
        drive(t2, bus2, irq2, b);
        assertEquals(a, b);
        assertEquals(irq8.edges(), irq2.edges());
        assertTrue(irq8.risingEdges() > 100);
        assertEquals(rtc.save(), copy.save());
    }

    /** Reads C on each IRQ8 and the time every 100 ms for 3 s, logging what it saw. */
    private static void drive(DetClock clock, PioBus bus, RecordingLine line, List<String> log) {
        long end = clock.now() + 3 * S;
        log.add("C=" + bus.read(0x71, 1));
        while (clock.now() < end) {
            clock.runUntil(Math.min(end, clock.now() + S / 10), () -> {
                if (line.level()) {
                    bus.write(0x70, 1, 0x0C);
                    log.add(clock.now() + " C=" + Integer.toHexString(bus.read(0x71, 1)));
                }
            });
            bus.write(0x70, 1, 0x00);
            log.add(clock.now() + " s=" + bus.read(0x71, 1));
            bus.write(0x70, 1, 0x0A);
            log.add("A=" + bus.read(0x71, 1));
        }
    }

    @Test
    void cmosLayoutFillsTheStandardBytes() {
        start(BASE);
        CmosLayout.fill(rtc, 32L << 20);
        assertEquals(0x80, read(0x15));
        assertEquals(0x02, read(0x16), "640 KiB base memory");
        assertEquals(0x7C00, read(0x17) | read(0x18) << 8, "31 MiB above 1 MiB");
        assertEquals(0x7C00, read(0x30) | read(0x31) << 8);
        assertEquals(0x0100, read(0x34) | read(0x35) << 8, "16 MiB above 16 MiB in 64 KiB units");
        assertEquals(0x06, read(0x14), "FPU and PS/2 mouse, no diskettes, VGA");
        assertEquals(0x20, read(0x32), "century in BCD");
        assertEquals(0, read(0x5F), "one CPU");
        int sum = 0;
        for (int i = 0x10; i <= 0x2D; i++) {
            sum += read(i);
        }
        assertEquals(sum, read(0x2E) << 8 | read(0x2F));

        CmosLayout.fill(rtc, 3L << 30, new CmosLayout.Machine(5L << 30, 4, true, false));
        assertEquals(0xFFFF, read(0x17) | read(0x18) << 8, "capped");
        assertEquals(0xFFFF, read(0x30) | read(0x31) << 8);
        assertEquals(0xBF00, read(0x34) | read(0x35) << 8);
        assertEquals(0x014000, read(0x5B) | read(0x5C) << 8 | read(0x5D) << 16);
        assertEquals(3, read(0x5F));
        assertEquals(0x02, read(0x14));

        CmosLayout.fill(rtc, 512L << 10);
        assertEquals(0, read(0x17) | read(0x18) << 8, "no extended memory");
        assertEquals(0, read(0x34) | read(0x35) << 8);
    }
}

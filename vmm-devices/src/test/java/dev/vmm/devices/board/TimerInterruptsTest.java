package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.devices.pic.DualPic;
import dev.vmm.devices.pit.Pit8254;
import dev.vmm.devices.rtc.CmosRtc;
import dev.vmm.devices.testutil.DetClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PIT on IRQ0 and RTC on IRQ8 through the 8259 pair, serviced as a Linux guest would. */
class TimerInterruptsTest {
    private static final long S = 1_000_000_000L;
    private final DetClock t = new DetClock();
    private final PioBus bus = new PioBus();
    private final DualPic pic = new DualPic();
    private final Pit8254 pit = new Pit8254(t.clock, pic.irq(0));
    private final CmosRtc rtc = new CmosRtc(t.clock, pic.irq(8), Instant.parse("2025-01-01T00:00:00Z"));
    private final AtomicInteger wakeups = new AtomicInteger();

    @BeforeEach
    void board() {
        pic.attach(bus);
        pit.attach(bus);
        rtc.attach(bus);
        pic.setIntrListener(wakeups::incrementAndGet);
        int[][] init = {{0x21, 0xFF}, {0xA1, 0xFF}, {0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04},
            {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x28}, {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0x00},
            {0xA1, 0x00}};
        for (int[] w : init) {
            bus.write(w[0], 1, w[1]);
        }
    }

    /** The guest's interrupt entry: acknowledge, run the handler, EOI, until INTR is low. */
    private List<Integer> service() {
        List<Integer> vectors = new ArrayList<>();
        while (pic.intrPending()) {
            int v = pic.acknowledge();
            vectors.add(v);
            if (v == 0x28) {
                bus.write(0x70, 1, 0x0C);
                bus.read(0x71, 1);
                bus.write(0xA0, 1, 0x20);
            }
            bus.write(0x20, 1, 0x20);
        }
        return vectors;
    }

    @Test
    void pitAt1000HzAndRtcAt1024HzOverOneSecond() {
        t.advanceTo(S / 2);
        service();
        bus.write(0x43, 1, 0x34);
        bus.write(0x40, 1, 1193 & 0xFF);
        bus.write(0x40, 1, 1193 >> 8);
        long load = pit.tick() + 1;
        bus.write(0x70, 1, 0x0C);
        bus.read(0x71, 1);
        bus.write(0x70, 1, 0x0B);
        bus.write(0x71, 1, 0x42);               // RTC periodic interrupt, 1024 Hz (register A)
        List<Integer> seen = new ArrayList<>();
        long end = Pit8254.nanosAt(load + 1193L * 1000);
        t.runUntil(end, () -> seen.addAll(service()));
        assertEquals(1000, seen.stream().filter(v -> v == 0x20).count());
        // RTC periods end at whole multiples of 1/1024 s after the divider's second.
        long firstRtc = S / 2 + (S + 1023) / 1024;
        long rtcCount = seen.stream().filter(v -> v == 0x28).count();
        long expected = (end - firstRtc) * 1024 / S + 1;
        assertEquals(expected, rtcCount);
        assertTrue(seen.stream().allMatch(v -> v == 0x20 || v == 0x28), seen.toString());
        assertTrue(wakeups.get() >= 2000, "INTR rose for every interrupt: " + wakeups.get());
    }
}

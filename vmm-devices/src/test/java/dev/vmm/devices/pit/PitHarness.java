package dev.vmm.devices.pit;

import static dev.vmm.devices.pit.Pit8254.nanosAt;

import dev.vmm.core.bus.PioBus;
import dev.vmm.devices.testutil.DetClock;
import dev.vmm.devices.testutil.RecordingLine;
import org.junit.jupiter.api.BeforeEach;

/** The 8254 and port 0x61 on a port bus, in deterministic guest time, for the PIT tests. */
abstract class PitHarness {
    final DetClock t = new DetClock();
    final RecordingLine irq0 = new RecordingLine(t.clock);
    final Pit8254 pit = new Pit8254(t.clock, irq0);
    final SpeakerPort port61 = new SpeakerPort(pit);
    final PioBus bus = new PioBus();

    @BeforeEach
    void attach() {
        pit.attach(bus);
        port61.attach(bus);
        t.advanceTo(1_000_000);                 // start away from tick 0
        irq0.clear();
    }

    void out(int port, int value) {
        bus.write(port, 1, value);
    }

    int in(int port) {
        return bus.read(port, 1);
    }

    /** Moves guest time to just after CLK tick {@code k}. */
    void atTick(long k) {
        t.advanceTo(nanosAt(k));
    }

    /** Moves guest time to just before CLK tick {@code k}. */
    void beforeTick(long k) {
        t.advanceTo(nanosAt(k) - 1);
    }

    int readLatched(int channel) {
        out(0x43, channel << 6);                // counter latch command
        int lo = in(0x40 + channel);
        return lo | in(0x40 + channel) << 8;
    }

    /** Channel 2's OUT as port 0x61 bit 5 shows it. */
    boolean out2() {
        return (in(0x61) & 0x20) != 0;
    }
}

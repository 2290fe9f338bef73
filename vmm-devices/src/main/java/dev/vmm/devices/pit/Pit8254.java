package dev.vmm.devices.pit;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;

/**
 * The Intel 8254 programmable interval timer at ports 0x40-0x43, clocked at 1.193182 MHz.
 *
 * <p>The counters never tick per instruction: the CLK tick number is a function of guest time
 * ({@code floor(nanos * 1193182 / 10^9)}) and each counter's CE and OUT are functions of the tick
 * number between two events (see {@link PitSegment}). Channel 0's OUT drives IRQ0: a
 * {@link VirtualClock} timer is armed at the exact time of its next edge, and the line follows
 * OUT edge by edge. Channels 0 and 1 have GATE tied high; channel 2's GATE and OUT are reached
 * through {@link #setGate2} and {@link #out2()} (port 0x61, {@link SpeakerPort}, whose written
 * bits are kept in this device's state).
 *
 * <p>Single-threaded: ports and timers are used from the vCPU thread that runs the clock.
 */
public final class Pit8254 implements PortIoDevice, Persist<Pit8254.State> {
    /** The input clock, in Hz. */
    public static final long FREQUENCY_HZ = 1_193_182;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** After this many undelivered IRQ0 edges the rest are skipped (the PIC latched already). */
    private static final int MAX_CATCH_UP_EDGES = 8;

    /**
     * The timer's state.
     *
     * @param irqLevel the level driven on IRQ0
     * @param nextIrqEdge the tick of channel 0's next undelivered OUT edge
     * @param port61 bits 0-3 of port 0x61 as last written ({@link SpeakerPort}); snapshots written
     *               before the board had port 0x61 lack the field and read 0, its power-on value
     */
    public record State(PitChannel.State ch0, PitChannel.State ch1, PitChannel.State ch2,
                        boolean irqLevel, long nextIrqEdge, int port61) {
    }

    private final VirtualClock clock;
    private final IrqLine irq0;
    private final VirtualClock.Timer timer;
    private final PitChannel[] ch = {new PitChannel(true), new PitChannel(true), new PitChannel(false)};
    private boolean irqLevel;
    private long nextIrqEdge = Long.MAX_VALUE;
    private int port61;

    public Pit8254(VirtualClock clock, IrqLine irq0) {
        this.clock = clock;
        this.irq0 = irq0;
        this.timer = clock.newTimer(this::onTimer);
        irqLevel = ch[0].out(tick());
        irq0.set(irqLevel);
    }

    /** Claims ports 0x40-0x43 on {@code bus}. */
    public void attach(PioBus bus) {
        bus.register(0x40, 4, "pit", this);
    }

    /** CLK ticks elapsed at guest time {@code nanos}. */
    public static long ticksAt(long nanos) {
        return nanos / NANOS_PER_SECOND * FREQUENCY_HZ
                + nanos % NANOS_PER_SECOND * FREQUENCY_HZ / NANOS_PER_SECOND;
    }

    /** The earliest guest time at which {@code tick} CLK ticks have elapsed. */
    public static long nanosAt(long tick) {
        long rem = tick % FREQUENCY_HZ * NANOS_PER_SECOND;
        return tick / FREQUENCY_HZ * NANOS_PER_SECOND + (rem + FREQUENCY_HZ - 1) / FREQUENCY_HZ;
    }

    /** The current CLK tick. */
    public long tick() {
        return ticksAt(clock.nanos());
    }

    @Override
    public int ioRead(int port, int size) {
        int n = port & 3;
        if (n == 3) {
            return 0xFF;                        // the control word register is write-only
        }
        long k = tick();
        deliverIrqEdges(k);
        return ch[n].readByte(k);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        int n = port & 3;
        long k = tick();
        deliverIrqEdges(k);
        if (n < 3) {
            ch[n].writeByte(k, value);
        } else {
            controlWord(k, value & 0xFF);
        }
        if (n == 0 || n == 3) {
            resyncIrq(k);
        }
    }

    private void controlWord(long k, int value) {
        int sc = value >> 6;
        if (sc == 3) {                          // read-back command
            for (int i = 0; i < 3; i++) {
                if ((value & (2 << i)) != 0) {
                    if ((value & 0x20) == 0) {
                        ch[i].latchCount(k);
                    }
                    if ((value & 0x10) == 0) {
                        ch[i].latchStatus(k);
                    }
                }
            }
        } else if ((value & 0x30) == 0) {
            ch[sc].latchCount(k);               // counter latch command
        } else {
            ch[sc].control(k, value);
        }
    }

    /** Drives channel 2's GATE (port 0x61 bit 0). */
    public void setGate2(boolean level) {
        ch[2].setGate(tick(), level);
    }

    public boolean gate2() {
        return ch[2].gate();
    }

    /** Channel 2's OUT (port 0x61 bit 5). */
    public boolean out2() {
        return ch[2].out(tick());
    }

    /** Bits 0-3 of port 0x61 as last written (kept here: they are the PIT's state in a snapshot). */
    int port61() {
        return port61;
    }

    void setPort61(int bits) {
        port61 = bits & 0x0F;
    }

    /** The OUT pin of channel {@code n} now. */
    public boolean out(int n) {
        return ch[n].out(tick());
    }

    private void onTimer() {
        long k = tick();
        deliverIrqEdges(k);
        arm();
    }

    /** Drives IRQ0 through every OUT edge of channel 0 up to tick {@code k}. */
    private void deliverIrqEdges(long k) {
        int delivered = 0;
        while (nextIrqEdge <= k) {
            if (delivered++ >= MAX_CATCH_UP_EDGES && irqLevel) {
                // Every edge so far reached the PIC; later ones would only re-latch the same
                // request, so jump to the present.
                nextIrqEdge = ch[0].nextEdge(k);
                drive(ch[0].out(k));
                return;
            }
            drive(ch[0].out(nextIrqEdge));
            nextIrqEdge = ch[0].nextEdge(nextIrqEdge);
        }
    }

    /** After channel 0 was reprogrammed at tick {@code k}: OUT may have changed at once. */
    private void resyncIrq(long k) {
        drive(ch[0].out(k));
        nextIrqEdge = ch[0].nextEdge(k);
        arm();
    }

    private void drive(boolean level) {
        if (level != irqLevel) {
            irqLevel = level;
            irq0.set(level);
        }
    }

    private void arm() {
        if (nextIrqEdge == Long.MAX_VALUE) {
            clock.disarm(timer);
        } else {
            clock.arm(timer, nanosAt(nextIrqEdge));
        }
    }

    @Override
    public State save() {
        return new State(ch[0].save(), ch[1].save(), ch[2].save(), irqLevel, nextIrqEdge, port61);
    }

    /** Restores the state and re-arms the IRQ0 timer; IRQ0 is not driven (the PIC has its own). */
    @Override
    public void restore(State s) {
        ch[0].restore(s.ch0());
        ch[1].restore(s.ch1());
        ch[2].restore(s.ch2());
        irqLevel = s.irqLevel();
        nextIrqEdge = s.nextIrqEdge();
        port61 = s.port61() & 0x0F;
        arm();
    }
}

package dev.vmm.devices.hpet;

import dev.vmm.core.bus.MmioDevice;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.core.persist.Persist;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IA-PC high precision event timer (HPET 1.0a), as in Intel's ICH: 1 KiB of registers at
 * 0xFED00000, a 64-bit main counter and three comparators.
 *
 * <p>Period: 10 ns (100 MHz), as QEMU chooses, so a counter tick is a whole number of guest
 * nanoseconds and every rate is exact; guests read the period from the capabilities register
 * (the ICH's 69.841279 ns is not needed by any of them). Capabilities: vendor 0x8086, revision 1,
 * three timers, 64-bit counter, legacy replacement capable.
 *
 * <p>The counter never ticks per instruction: while enabled it is {@code base + (now - enabled) /
 * 10 ns}; while halted it holds its value and may be written. Each comparator ({@link HpetTimer})
 * fires when the counter reaches it (its low 32 bits in 32-bit mode), from a {@link VirtualClock}
 * timer armed at that exact time while the counter runs and the timer's interrupt is enabled.
 * Only timer 0 is periodic-capable. Edge-triggered timers pulse their line; level-triggered ones
 * set their bit in the interrupt status register and hold the line until the guest writes 1 to it.
 *
 * <p>Legacy replacement (LEG_RT_CNF) is a multiplexer, as in the ICH: the HPET drives the IRQ0 line
 * (8259 IRQ0 and I/O APIC pin 2) and the IRQ8 line (8259 IRQ8 and I/O APIC pin 8). Without legacy
 * replacement they follow the PIT's OUT0 and the RTC's IRQ, which the board wires to
 * {@link #pitInput()} and {@link #rtcInput()}; with it, timer 0 drives IRQ0 and timer 1 drives
 * IRQ8, and the PIT and RTC are cut off. Switching hands each line to its new source's level.
 * Timer 2, and timers 0 and 1 without legacy replacement, go to the I/O APIC pin chosen by
 * Tn_INT_ROUTE_CNF among pins 16-23 ({@link #ROUTE_CAP}).
 *
 * <p>Not modelled: FSB (MSI) interrupt delivery (not advertised), and comparator matches of timers
 * whose interrupt is disabled (a periodic comparator advances only while its interrupt is enabled).
 *
 * <p>Single-threaded: registers and timers are used from the vCPU thread that runs the clock.
 */
public final class Hpet implements MmioDevice, Persist<Hpet.State> {
    private static final Logger log = LoggerFactory.getLogger(Hpet.class);

    public static final long DEFAULT_BASE = 0xFED0_0000L;
    public static final int SIZE = 0x400;
    /** The counter's period in femtoseconds (10 ns). */
    public static final long PERIOD_FS = 10_000_000L;
    static final long NANOS_PER_TICK = 10;
    public static final int TIMERS = 3;
    /** I/O APIC pins a timer may be routed to outside legacy replacement: 16-23. */
    public static final long ROUTE_CAP = 0x00FF_0000L;
    /** General capabilities: period, vendor 0x8086, LEG_RT_CAP, 64-bit counter, 3 timers, rev 1. */
    public static final long CAPABILITIES = PERIOD_FS << 32 | 0x8086L << 16 | 1L << 15 | 1L << 13
            | (TIMERS - 1) << 8 | 0x01;

    public static final int REG_CAP = 0x000;
    public static final int REG_CONFIG = 0x010;
    public static final int REG_STATUS = 0x020;
    public static final int REG_COUNTER = 0x0F0;
    public static final int REG_TIMER0 = 0x100;
    public static final int TIMER_STRIDE = 0x20;
    public static final long CONFIG_ENABLE = 1;
    public static final long CONFIG_LEGACY = 2;

    /**
     * The HPET's state.
     *
     * @param config the general configuration register (ENABLE_CNF, LEG_RT_CNF)
     * @param status the general interrupt status register
     * @param counterBase the counter's value at {@code enabledAt} (or its value while halted)
     * @param enabledAt guest time at which the counter was last enabled
     * @param pitLevel the level of the PIT's OUT0 at {@link #pitInput()}
     * @param rtcLevel the level of the RTC's IRQ at {@link #rtcInput()}
     */
    public record State(long config, long status, long counterBase, long enabledAt,
                        boolean pitLevel, boolean rtcLevel,
                        HpetTimer.State t0, HpetTimer.State t1, HpetTimer.State t2) {
    }

    private final VirtualClock clock;
    private final IntFunction<IrqLine> ioapicPin;
    private final IrqLine legacyIrq0;
    private final IrqLine legacyIrq8;
    private final HpetTimer[] timers = new HpetTimer[TIMERS];
    private long config;
    private long status;
    private long counterBase;
    private long enabledAt;
    private boolean pitLevel;
    private boolean rtcLevel;
    private long guestErrors;

    /**
     * @param ioapicPin the I/O APIC input for a routing number (16-23)
     * @param legacyIrq0 the IRQ0 line (8259 IRQ0 and I/O APIC pin 2): the PIT's, or timer 0's
     * @param legacyIrq8 the IRQ8 line (8259 IRQ8 and I/O APIC pin 8): the RTC's, or timer 1's
     */
    public Hpet(VirtualClock clock, IntFunction<IrqLine> ioapicPin, IrqLine legacyIrq0,
                IrqLine legacyIrq8) {
        this.clock = clock;
        this.ioapicPin = ioapicPin;
        this.legacyIrq0 = legacyIrq0;
        this.legacyIrq8 = legacyIrq8;
        for (int n = 0; n < TIMERS; n++) {
            int t = n;
            timers[n] = new HpetTimer(this, n, clock.newTimer(() -> timers[t].onClockTimer()));
        }
    }

    /** Maps the registers at 0xFED00000. */
    public void attach(PhysicalMemory memory) {
        memory.addMmio(DEFAULT_BASE, SIZE, "hpet", this);
    }

    /** LEG_RT_CNF: timers 0 and 1 drive IRQ0 and IRQ8 instead of the PIT and the RTC. */
    public boolean legacyReplacement() {
        return (config & CONFIG_LEGACY) != 0;
    }

    /** The input for the PIT's OUT0: passed to IRQ0 unless legacy replacement is on. */
    public IrqLine pitInput() {
        return level -> {
            pitLevel = level;
            if (!legacyReplacement()) {
                legacyIrq0.set(level);
            }
        };
    }

    /** The input for the RTC's IRQ: passed to IRQ8 unless legacy replacement is on. */
    public IrqLine rtcInput() {
        return level -> {
            rtcLevel = level;
            if (!legacyReplacement()) {
                legacyIrq8.set(level);
            }
        };
    }

    boolean enabled() {
        return (config & CONFIG_ENABLE) != 0;
    }

    /** The main counter now. */
    public long counter() {
        return enabled() ? counterBase + (clock.nanos() - enabledAt) / NANOS_PER_TICK : counterBase;
    }

    /** The guest time at which the running counter reaches {@code value}, or MAX_VALUE. */
    long nanosAtCounter(long value) {
        long ticks = value - counterBase;
        if (ticks < 0 || ticks > (Long.MAX_VALUE - enabledAt) / NANOS_PER_TICK) {
            return Long.MAX_VALUE;
        }
        return enabledAt + ticks * NANOS_PER_TICK;
    }

    VirtualClock clock() {
        return clock;
    }

    /** The line timer {@code n} drives now. */
    IrqLine line(int n, int route) {
        if (legacyReplacement() && n < 2) {
            return n == 0 ? legacyIrq0 : legacyIrq8;
        }
        return ioapicPin.apply(route);
    }

    boolean statusBit(int n) {
        return (status >>> n & 1) != 0;
    }

    void setStatusBit(int n) {
        status |= 1L << n;
    }

    @Override
    public long mmioRead(long offset, int size) {
        int off = (int) (offset & 0x3FF);
        long v = readRegister(off & ~7) >>> (off & 7) * 8;
        return size >= 8 ? v : v & ((1L << size * 8) - 1);
    }

    private long readRegister(int reg) {
        return switch (reg) {
            case REG_CAP -> CAPABILITIES;
            case REG_CONFIG -> config;
            case REG_STATUS -> status;
            case REG_COUNTER -> counter();
            default -> {
                int n = (reg - REG_TIMER0) / TIMER_STRIDE;
                if (reg >= REG_TIMER0 && n < TIMERS) {
                    yield timers[n].read(reg - REG_TIMER0 - n * TIMER_STRIDE);
                }
                yield 0;
            }
        };
    }

    @Override
    public void mmioWrite(long offset, int size, long value) {
        int off = (int) (offset & 0x3FF);
        int reg = off & ~7;
        int shift = (off & 7) * 8;
        if (size != 4 && size != 8 || (off & (size - 1)) != 0) {
            notice("write of " + size + " bytes at offset 0x" + Integer.toHexString(off));
            return;
        }
        long mask = size == 8 ? -1L : 0xFFFF_FFFFL << shift;
        long v = value << shift & mask;
        switch (reg) {
            case REG_CONFIG -> writeConfig(config & ~mask | v);
            case REG_STATUS -> clearStatus(v);
            case REG_COUNTER -> {
                if (enabled()) {
                    notice("main counter written while running (ignored)");
                } else {
                    counterBase = counterBase & ~mask | v;
                }
            }
            case REG_CAP -> { }
            default -> {
                int n = (reg - REG_TIMER0) / TIMER_STRIDE;
                if (reg >= REG_TIMER0 && n < TIMERS) {
                    timers[n].write(reg - REG_TIMER0 - n * TIMER_STRIDE, mask, v);
                }
            }
        }
    }

    private void writeConfig(long value) {
        long v = value & (CONFIG_ENABLE | CONFIG_LEGACY);
        if ((v & CONFIG_ENABLE) != 0 && !enabled()) {
            enabledAt = clock.nanos();
        } else if ((v & CONFIG_ENABLE) == 0 && enabled()) {
            counterBase = counter();
        }
        boolean wasLegacy = legacyReplacement();
        boolean legacy = (v & CONFIG_LEGACY) != 0;
        if (legacy && !wasLegacy) {             // the PIT and the RTC let go of their lines
            lowerIf(legacyIrq0, pitLevel);
            lowerIf(legacyIrq8, rtcLevel);
        }
        config = v;
        for (HpetTimer t : timers) {
            t.configChanged();                  // timers 0 and 1 let go or take over
        }
        if (!legacy && wasLegacy) {
            legacyIrq0.set(pitLevel);
            legacyIrq8.set(rtcLevel);
        }
    }

    private static void lowerIf(IrqLine line, boolean level) {
        if (level) {
            line.lower();
        }
    }

    private void clearStatus(long bits) {
        status &= ~bits;
        for (HpetTimer t : timers) {
            t.updateLevel();
        }
    }

    void notice(String what) {
        if (guestErrors++ == 0) {
            log.warn("HPET: {}", what);
        }
    }

    @Override
    public State save() {
        return new State(config, status, counterBase, enabledAt, pitLevel, rtcLevel,
                timers[0].save(), timers[1].save(), timers[2].save());
    }

    /** Restores the state and re-arms the comparators; lines are not driven (receivers restore). */
    @Override
    public void restore(State s) {
        config = s.config() & (CONFIG_ENABLE | CONFIG_LEGACY);
        status = s.status() & ((1L << TIMERS) - 1);
        counterBase = s.counterBase();
        enabledAt = s.enabledAt();
        pitLevel = s.pitLevel();
        rtcLevel = s.rtcLevel();
        timers[0].restore(s.t0());
        timers[1].restore(s.t1());
        timers[2].restore(s.t2());
    }
}

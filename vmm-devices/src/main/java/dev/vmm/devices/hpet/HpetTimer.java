package dev.vmm.devices.hpet;

import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.irq.IrqLine;

/**
 * One HPET comparator: its configuration and capabilities register (offset 0x00 of its block),
 * comparator (0x08) and FSB route (0x10, not supported: reads 0).
 *
 * <p>Configuration bits: Tn_INT_TYPE_CNF (1, level), Tn_INT_ENB_CNF (2), Tn_TYPE_CNF (3,
 * periodic; timer 0 only), Tn_PER_INT_CAP (4), Tn_SIZE_CAP (5, 64-bit), Tn_VAL_SET_CNF (6),
 * Tn_32MODE_CNF (8), Tn_INT_ROUTE_CNF (13:9), routing capability (63:32). A comparator write in
 * periodic mode sets the period; with Tn_VAL_SET_CNF it also sets the comparator (the next match),
 * and the bit clears itself (as on QEMU, so Linux's write-comparator-then-period sequence works).
 * At each periodic match the comparator advances by the period.
 *
 * <p>Public only for its {@link State}, which is part of {@link Hpet.State}.
 */
public final class HpetTimer {
    static final long INT_LEVEL = 1L << 1;
    static final long INT_ENABLE = 1L << 2;
    static final long PERIODIC = 1L << 3;
    static final long PERIODIC_CAP = 1L << 4;
    static final long SIZE_CAP = 1L << 5;
    static final long VAL_SET = 1L << 6;
    static final long MODE32 = 1L << 8;
    private static final long ROUTE = 0x1FL << 9;
    private static final long TWO_32 = 1L << 32;

    /**
     * A comparator's state.
     *
     * @param config the writable configuration bits
     * @param comparator the comparator register
     * @param period the periodic increment
     * @param armed a match is pending at counter value {@code nextMatch}
     */
    public record State(long config, long comparator, long period, boolean armed, long nextMatch) {
    }

    private final Hpet hpet;
    private final int n;
    private final VirtualClock.Timer timer;
    private final long writable;
    private final long capabilities;
    private long config;
    private long comparator = -1L;
    private long period;
    private boolean armed;
    private long nextMatch;
    private IrqLine driven;
    private boolean drivenLevel;

    HpetTimer(Hpet hpet, int n, VirtualClock.Timer timer) {
        this.hpet = hpet;
        this.n = n;
        this.timer = timer;
        boolean periodicCapable = n == 0;
        this.writable = INT_LEVEL | INT_ENABLE | VAL_SET | MODE32 | ROUTE
                | (periodicCapable ? PERIODIC : 0);
        this.capabilities = Hpet.ROUTE_CAP << 32 | SIZE_CAP | (periodicCapable ? PERIODIC_CAP : 0);
    }

    private boolean periodic() {
        return (config & PERIODIC) != 0;
    }

    private boolean mode32() {
        return (config & MODE32) != 0;
    }

    private int route() {
        return (int) (config >> 9 & 0x1F);
    }

    long read(int off) {
        return switch (off) {
            case 0x00 -> config | capabilities;
            case 0x08 -> comparator;
            default -> 0;
        };
    }

    void write(int off, long mask, long value) {
        switch (off) {
            case 0x00 -> {
                config = (config & ~mask | value) & writable;
                if (mode32()) {
                    comparator &= 0xFFFF_FFFFL;
                    period &= 0xFFFF_FFFFL;
                }
            }
            case 0x08 -> {
                long width = mode32() ? 0xFFFF_FFFFL : -1L;
                if (!periodic() || (config & VAL_SET) != 0) {
                    comparator = (comparator & ~mask | value) & width;
                }
                if (periodic()) {
                    period = (period & ~mask | value) & width;
                }
                config &= ~VAL_SET;
            }
            default -> {
                return;                             // FSB route: not supported
            }
        }
        rearm();
        updateLevel();
    }

    /** The general configuration (enable, legacy replacement) changed. */
    void configChanged() {
        rearm();
        updateLevel();
    }

    /** Arms the clock timer for the next counter value that matches the comparator. */
    private void rearm() {
        if (!hpet.enabled() || (config & INT_ENABLE) == 0) {
            armed = false;
            hpet.clock().disarm(timer);
            return;
        }
        long now = hpet.counter();
        long diff = mode32() ? (comparator - now) & 0xFFFF_FFFFL : comparator - now;
        if (diff < 0) {
            armed = false;                          // beyond 2^63 ticks: never
            hpet.clock().disarm(timer);
            return;
        }
        armAt(now + diff);
    }

    private void armAt(long match) {
        long at = hpet.nanosAtCounter(match);
        armed = at != Long.MAX_VALUE;
        nextMatch = match;
        if (armed) {
            hpet.clock().arm(timer, at);
        } else {
            hpet.clock().disarm(timer);
        }
    }

    /** The clock timer fired: the counter reached {@code nextMatch}. */
    void onClockTimer() {
        if (!armed) {
            return;
        }
        armed = false;
        interrupt();
        if (periodic() && period != 0) {
            long now = hpet.counter();
            long next = nextMatch + period;
            if (next <= now) {
                next += ((now - next) / period + 1) * period;   // missed periods coalesce
            }
            long width = mode32() ? 0xFFFF_FFFFL : -1L;
            comparator = (comparator + (next - nextMatch)) & width;
            armAt(next);
        } else if (mode32()) {
            armAt(nextMatch + TWO_32);              // the low 32 bits match again after a wrap
        }
    }

    private void interrupt() {
        if ((config & INT_LEVEL) != 0) {
            hpet.setStatusBit(n);
            updateLevel();
        } else {
            line().pulse();
        }
    }

    private IrqLine line() {
        int r = route();
        boolean legacy = hpet.legacyReplacement() && n < 2;
        if (!legacy && (Hpet.ROUTE_CAP >>> r & 1) == 0) {
            hpet.notice("timer " + n + " routed to I/O APIC pin " + r + ", which it cannot reach");
            return IrqLine.NONE;
        }
        return hpet.line(n, r);
    }

    /** Drives the level-triggered output: asserted while the status bit is set. */
    void updateLevel() {
        boolean want = (config & (INT_LEVEL | INT_ENABLE)) == (INT_LEVEL | INT_ENABLE)
                && hpet.enabled() && hpet.statusBit(n);
        IrqLine target = want ? line() : driven;
        if (drivenLevel && (!want || target != driven)) {
            driven.lower();
            drivenLevel = false;
        }
        if (want && !drivenLevel) {
            target.raise();
            drivenLevel = true;
        }
        driven = target;
    }

    State save() {
        return new State(config, comparator, period, armed, nextMatch);
    }

    void restore(State s) {
        config = s.config() & writable;
        comparator = s.comparator();
        period = s.period();
        if (s.armed()) {
            armAt(s.nextMatch());
        } else {
            armed = false;
            nextMatch = s.nextMatch();
            hpet.clock().disarm(timer);
        }
        drivenLevel = (config & (INT_LEVEL | INT_ENABLE)) == (INT_LEVEL | INT_ENABLE)
                && hpet.enabled() && hpet.statusBit(n);
        driven = drivenLevel ? line() : null;
    }
}

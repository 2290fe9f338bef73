package dev.vmm.devices.apic;

import dev.vmm.core.clock.VirtualClock;
import java.util.function.LongSupplier;

/**
 * The local APIC timer (Intel SDM vol. 3, 10.5.4): one-shot and periodic counting at the timer
 * clock divided by the divide configuration, and TSC-deadline mode.
 *
 * <p>The count never ticks per instruction. Counting mode is described by the guest time
 * {@code start} at which counting (re)started, the count {@code first} at that moment and the
 * initial count; the current count is a function of the divided ticks elapsed since
 * {@code start}. The count reaches 0 at tick {@code first}, and in periodic mode again every
 * {@code initial} ticks after it (the count is reloaded when it reaches 0). A
 * {@link VirtualClock} timer is armed for the next time the count reaches 0. Changing the divide
 * configuration while counting continues from the current count at the new rate.
 *
 * <p>TSC-deadline mode: the deadline (IA32_TSC_DEADLINE) is turned into a guest time when it is
 * written, {@code now + (deadline - tsc) / tscHz}; the TSC source must advance at {@code tscHz}
 * with guest time (in deterministic mode the TSC is the instruction count, so {@code tscHz} is
 * 10^9 / nanoseconds per instruction). A deadline already reached fires at once. On expiry the
 * deadline is cleared to 0 (disarmed).
 *
 * <p>Not thread-safe: {@link LocalApic} calls it under its lock. Public only for its {@link State},
 * which is part of {@link LocalApic.State}.
 */
public final class ApicTimer {
    static final int ONE_SHOT = 0;
    static final int PERIODIC = 1;
    static final int TSC_DEADLINE = 2;
    private static final long NEVER = TimeBase.NEVER;

    /**
     * The timer's state.
     *
     * @param initialCount the initial-count register (unsigned 32 bits)
     * @param divideConfig the divide-configuration register (bits 0, 1 and 3)
     * @param start guest time at which the count was {@code first}
     * @param first the count at {@code start}
     * @param nextTick the divided tick (since {@code start}) of the next expiry, or MAX_VALUE
     * @param tscDeadline IA32_TSC_DEADLINE (0 = disarmed)
     * @param deadlineNanos the guest time the deadline fires at, or MAX_VALUE
     */
    public record State(long initialCount, int divideConfig, long start, long first, long nextTick,
                 long tscDeadline, long deadlineNanos) {
    }

    private final VirtualClock clock;
    private final long hz;
    private final LongSupplier tsc;
    private final long tscHz;
    private final VirtualClock.Timer timer;
    private int mode;
    private long initial;
    private int divideConfig;
    private int shift = 1;
    private long start;
    private long first;
    private long nextTick = NEVER;
    private long tscDeadline;
    private long deadlineNanos = NEVER;

    /**
     * @param hz the timer's input clock (the bus clock), before the divider
     * @param expiry runs (under the APIC's lock) when the VirtualClock timer fires; it calls
     *               {@link #expire()}
     */
    ApicTimer(VirtualClock clock, long hz, LongSupplier tsc, long tscHz, Runnable expiry) {
        TimeBase.checkHz(hz, "APIC timer frequency");
        TimeBase.checkHz(tscHz, "TSC frequency");
        this.clock = clock;
        this.hz = hz;
        this.tsc = tsc;
        this.tscHz = tscHz;
        this.timer = clock.newTimer(expiry);
    }

    /** Power-up state: stopped, divide by 2, no deadline. */
    void reset(int lvtMode) {
        mode = lvtMode;
        initial = 0;
        divideConfig = 0;
        shift = 1;
        nextTick = NEVER;
        tscDeadline = 0;
        deadlineNanos = NEVER;
        clock.disarm(timer);
    }

    /** Divided ticks elapsed since {@code start}. */
    private long ticks(long now) {
        return TimeBase.ticksAt(now - start, hz) >>> shift;
    }

    /** LVT timer bits 18:17 were written. */
    void setMode(int newMode) {
        if (newMode == mode) {
            return;
        }
        int old = mode;
        mode = newMode;
        if (newMode == TSC_DEADLINE || old == TSC_DEADLINE) {
            initial = 0;
            nextTick = NEVER;
            tscDeadline = 0;
            deadlineNanos = NEVER;
            clock.disarm(timer);
        } else if (initial != 0) {
            long k = ticks(clock.nanos());
            if (k >= first && old == ONE_SHOT) {
                initial = 0;                        // an expired one-shot count stays at 0
                nextTick = NEVER;
            } else {
                nextTick = k < first ? first : mode == PERIODIC ? nextPeriod(k) : NEVER;
            }
            arm();
        }
    }

    long initialCount() {
        return initial;
    }

    void writeInitialCount(long value) {
        if (mode == TSC_DEADLINE) {
            return;                                 // ignored in TSC-deadline mode (SDM 10.5.4.1)
        }
        initial = value & 0xFFFF_FFFFL;
        start = clock.nanos();
        first = initial;
        nextTick = initial == 0 ? NEVER : first;
        arm();
    }

    long currentCount() {
        if (mode == TSC_DEADLINE || initial == 0) {
            return 0;
        }
        long k = ticks(clock.nanos());
        if (k < first) {
            return first - k;
        }
        return mode == PERIODIC ? initial - (k - first) % initial : 0;
    }

    int divideConfig() {
        return divideConfig;
    }

    void writeDivideConfig(int value) {
        long c = currentCount();
        divideConfig = value & 0xB;
        int code = (divideConfig >> 1 & 4) | (divideConfig & 3);
        shift = (code + 1) & 7;                     // 000 = /2 ... 110 = /128, 111 = /1
        if (c != 0) {
            start = clock.nanos();
            first = c;
            nextTick = c;
            arm();
        }
    }

    /** The first expiry tick after tick {@code k} (periodic, {@code k >= first}). */
    private long nextPeriod(long k) {
        return first + ((k - first) / initial + 1) * initial;
    }

    private void arm() {
        long at = nextTick == NEVER ? NEVER : TimeBase.nanosAt(nextTick << shift, hz);
        if (at == NEVER || at > Long.MAX_VALUE - start) {
            clock.disarm(timer);
        } else {
            clock.arm(timer, start + at);
        }
    }

    /** The VirtualClock timer fired: books the expiry and re-arms. Returns true if it counts. */
    boolean expire() {
        if (mode == TSC_DEADLINE) {
            if (deadlineNanos == NEVER) {
                return false;
            }
            tscDeadline = 0;
            deadlineNanos = NEVER;
            return true;
        }
        if (nextTick == NEVER) {
            return false;
        }
        if (mode == PERIODIC) {
            long k = Math.max(nextTick, ticks(clock.nanos()));
            nextTick = nextPeriod(k);
        } else {
            nextTick = NEVER;
        }
        arm();
        return true;
    }

    long readTscDeadline() {
        return mode == TSC_DEADLINE ? tscDeadline : 0;
    }

    /** WRMSR IA32_TSC_DEADLINE. Returns true if the deadline has passed already (fire now). */
    boolean writeTscDeadline(long value) {
        if (mode != TSC_DEADLINE) {
            return false;                           // ignored outside TSC-deadline mode
        }
        clock.disarm(timer);
        deadlineNanos = NEVER;
        tscDeadline = value;
        if (value == 0) {
            return false;
        }
        long delta = value - tsc.getAsLong();
        if (delta <= 0) {
            tscDeadline = 0;
            return true;
        }
        long at = TimeBase.nanosAt(delta, tscHz);
        long now = clock.nanos();
        if (at != NEVER && at <= Long.MAX_VALUE - now) {
            deadlineNanos = now + at;
            clock.arm(timer, deadlineNanos);
        }
        return false;
    }

    State save() {
        return new State(initial, divideConfig, start, first, nextTick, tscDeadline, deadlineNanos);
    }

    void restore(State s, int lvtMode) {
        mode = lvtMode;
        initial = s.initialCount() & 0xFFFF_FFFFL;
        divideConfig = s.divideConfig() & 0xB;
        int code = (divideConfig >> 1 & 4) | (divideConfig & 3);
        shift = (code + 1) & 7;
        start = s.start();
        first = s.first();
        nextTick = s.nextTick();
        tscDeadline = s.tscDeadline();
        deadlineNanos = s.deadlineNanos();
        if (mode == TSC_DEADLINE) {
            if (deadlineNanos == NEVER) {
                clock.disarm(timer);
            } else {
                clock.arm(timer, deadlineNanos);
            }
        } else {
            arm();
        }
    }
}

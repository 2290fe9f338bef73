package dev.vmm.devices.testutil;

import dev.vmm.core.clock.VirtualClock;

/** A deterministic clock of 1 ns per retired instruction, moved by the test. */
public final class DetClock {
    public final VirtualClock clock = new VirtualClock(VirtualClock.Mode.DETERMINISTIC, 1);

    public long now() {
        return clock.nanos();
    }

    /** Moves guest time to {@code nanos} and fires the timers that are due. */
    public void advanceTo(long nanos) {
        if (nanos < clock.nanos()) {
            throw new IllegalArgumentException("time runs forward only");
        }
        clock.retired(nanos - clock.nanos());
        clock.runDue();
    }

    public void advanceBy(long nanos) {
        advanceTo(clock.nanos() + nanos);
    }

    /**
     * Moves time forward to {@code end} timer by timer, running {@code afterEach} whenever a
     * timer fired (as a guest would run its interrupt handler right away).
     */
    public void runUntil(long end, Runnable afterEach) {
        while (true) {
            long next = clock.nextDeadline();
            if (next > end) {
                advanceTo(end);
                return;
            }
            advanceTo(Math.max(next, clock.nanos()));
            afterEach.run();
        }
    }
}

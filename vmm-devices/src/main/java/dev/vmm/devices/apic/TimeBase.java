package dev.vmm.devices.apic;

/**
 * Exact conversions between guest nanoseconds and the ticks of a clock of {@code hz} Hz, without
 * overflow for any guest time (the product is split at whole seconds, as the PIT does).
 */
final class TimeBase {
    static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** Highest supported clock rate: keeps {@code (ticks % hz) * 10^9} within a long. */
    static final long MAX_HZ = 8_000_000_000L;
    static final long NEVER = Long.MAX_VALUE;

    private TimeBase() {
    }

    /** Ticks of a {@code hz} clock elapsed after {@code nanos} (floor). */
    static long ticksAt(long nanos, long hz) {
        return nanos / NANOS_PER_SECOND * hz + nanos % NANOS_PER_SECOND * hz / NANOS_PER_SECOND;
    }

    /** The fewest nanoseconds after which {@code ticks} ticks have elapsed, or {@link #NEVER}. */
    static long nanosAt(long ticks, long hz) {
        long seconds = ticks / hz;
        if (seconds >= Long.MAX_VALUE / NANOS_PER_SECOND - 1) {
            return NEVER;
        }
        long rem = ticks % hz * NANOS_PER_SECOND;
        return seconds * NANOS_PER_SECOND + (rem + hz - 1) / hz;
    }

    static void checkHz(long hz, String what) {
        if (hz <= 0 || hz > MAX_HZ) {
            throw new IllegalArgumentException(what + " out of range: " + hz);
        }
    }
}

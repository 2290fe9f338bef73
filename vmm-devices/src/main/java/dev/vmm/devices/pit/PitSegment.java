package dev.vmm.devices.pit;

/**
 * What one 8254 counter does between two events (writes, gate changes): a pure function from the
 * CLK tick number to the counting element (CE) and the OUT pin.
 *
 * <p>Ticks are numbered globally: tick {@code k} is the k-th rising CLK edge since power-on, and
 * "at tick k" means after that edge. For {@code k < start} the segment reports {@code preCe} and
 * {@code preOut} (the counter waits for the CLK edge that loads it). From {@code start} on:
 * <ul>
 * <li>not {@code running}: CE holds {@code value} and OUT holds {@code frozenOut};
 * <li>modes 0, 1, 4, 5 (one-shot): CE reaches zero at tick {@code tc} and keeps wrapping; while
 *     {@code armed} the terminal count acts on OUT (0, 1: OUT low until {@code tc}, then high;
 *     4, 5: OUT low for the one tick {@code tc});
 * <li>modes 2, 3 (periodic): CE was loaded with {@code value} (the period N) at {@code start} and
 *     is reloaded every N ticks. Mode 2: OUT is low during the tick where CE = 1. Mode 3: OUT is
 *     high for ceil(N/2) ticks and low for floor(N/2), starting in the phase {@code startHigh}.
 * </ul>
 * {@code modulus} is 0x10000 in binary and 10000 in BCD counting; CE values are binary here.
 */
public record PitSegment(int mode, int modulus, long start, int value, long tc, boolean running,
                         boolean armed, boolean frozenOut, boolean startHigh, int preCe,
                         boolean preOut) {

    /** A counter that holds {@code value} and {@code out} from {@code start} on. */
    static PitSegment frozen(int mode, int modulus, long start, int value, boolean armed,
                             boolean out, int preCe, boolean preOut) {
        return new PitSegment(mode, modulus, start, value, start, false, armed, out, true,
                preCe, preOut);
    }

    /** A one-shot count (modes 0, 1, 4, 5) reaching terminal count at {@code tc}. */
    static PitSegment oneShot(int mode, int modulus, long start, long tc, boolean armed,
                              int preCe, boolean preOut) {
        return new PitSegment(mode, modulus, start, 0, tc, true, armed, true, true, preCe, preOut);
    }

    /** A periodic count (modes 2, 3) of period {@code n} loaded at {@code start}. */
    static PitSegment periodic(int mode, int modulus, long start, int n, boolean startHigh,
                               int preCe, boolean preOut) {
        return new PitSegment(mode, modulus, start, n, start, true, false, true, startHigh,
                preCe, preOut);
    }

    private boolean periodic() {
        return mode == 2 || mode == 3;
    }

    /** The CE value (binary, 0..modulus-1) at tick {@code k}. */
    int ce(long k) {
        if (k < start) {
            return preCe;
        }
        if (!running) {
            return value % modulus;
        }
        if (mode == 2) {
            return (value - (int) ((k - start) % value)) % modulus;
        }
        if (mode == 3) {
            long pos = position(k);
            int h1 = (value + 1) / 2;
            long inPhase = pos < h1 ? pos : pos - h1;
            int top = (value & 1) == 0 ? value : value - 1;
            return (int) ((top - 2 * inPhase) % modulus);
        }
        return (int) Math.floorMod(tc - k, (long) modulus);
    }

    /** The OUT level at tick {@code k}. */
    boolean out(long k) {
        if (k < start) {
            return preOut;
        }
        if (!running) {
            return frozenOut;
        }
        return switch (mode) {
            case 0, 1 -> !armed || k >= tc;
            case 4, 5 -> !(armed && k == tc);
            case 2 -> value <= 1 || (k - start) % value != value - 1;
            default -> position(k) < (value + 1) / 2;
        };
    }

    /** Mode 3: ticks since the start of the current high phase. */
    private long position(long k) {
        long offset = startHigh ? 0 : (value + 1) / 2;
        return (k - start + offset) % value;
    }

    /** The first tick after {@code k} at which OUT changes, or {@link Long#MAX_VALUE}. */
    long nextEdge(long k) {
        if (k < start) {
            if (out(start) != preOut) {
                return start;
            }
            k = start;
        }
        if (!running) {
            return Long.MAX_VALUE;
        }
        switch (mode) {
            case 0, 1 -> {
                return armed && tc > k ? tc : Long.MAX_VALUE;
            }
            case 4, 5 -> {
                if (!armed || k > tc) {
                    return Long.MAX_VALUE;
                }
                return k < tc ? tc : tc + 1;
            }
            case 2 -> {
                if (value <= 1) {
                    return Long.MAX_VALUE;
                }
                long r = (k - start) % value;
                return r < value - 1 ? k + (value - 1 - r) : k + 1;
            }
            default -> {
                if (value <= 1) {
                    return Long.MAX_VALUE;
                }
                return nextBoundary(k);
            }
        }
    }

    /**
     * Periodic modes: the first tick after {@code k} (k >= start) at which the counter reloads
     * (mode 2: end of the period; mode 3: end of the half cycle).
     */
    long nextBoundary(long k) {
        if (mode == 2) {
            return k + (value - (k - start) % value);
        }
        long pos = position(k);
        int h1 = (value + 1) / 2;
        return pos < h1 ? k + (h1 - pos) : k + (value - pos);
    }

    /** Settles the segment at tick {@code k}: true while the one-shot terminal count is ahead. */
    boolean armedAt(long k) {
        return armed && (periodic() || !running || k < tc);
    }
}

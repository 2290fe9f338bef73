package dev.vmm.cli.host;

/**
 * A VM's recent CPU use, as {@code top} shows it: {@link #sample} is called about once a second
 * with the scheduler's running total of CPU time charged to the VM, and {@link #percent} is the
 * share of one core used since the sample before the last one (so over the last one to two
 * seconds; since the start for a VM younger than that). Thread-safe.
 */
final class CpuMeter {
    private long baseNanos;
    private long baseCpu;
    private long lastNanos;
    private long lastCpu;

    /** A meter for a VM started at {@code startNanos} (System.nanoTime) with no CPU used yet. */
    CpuMeter(long startNanos) {
        baseNanos = startNanos;
        lastNanos = startNanos;
    }

    /** Records the VM's CPU time {@code cpuNanos} at {@code nowNanos}. */
    synchronized void sample(long nowNanos, long cpuNanos) {
        baseNanos = lastNanos;
        baseCpu = lastCpu;
        lastNanos = nowNanos;
        lastCpu = cpuNanos;
    }

    /** Percent of one core between the base sample and {@code nowNanos}, one decimal; -1 if no time passed. */
    synchronized double percent(long nowNanos, long cpuNanos) {
        long wall = nowNanos - baseNanos;
        if (wall <= 0) {
            return -1;
        }
        return Math.round(1000.0 * Math.max(0, cpuNanos - baseCpu) / wall) / 10.0;
    }
}

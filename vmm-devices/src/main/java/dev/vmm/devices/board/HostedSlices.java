package dev.vmm.devices.board;

import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Flags;

/**
 * A board's run loop for a host's scheduler: quanta that never block a worker thread.
 *
 * <p>{@link PcBoard#run} idles in HLT by parking its thread until the next timer; that is right for
 * {@code vmm run}, which owns its thread, but a host's fixed pool of workers would be held by every
 * idle guest. Here HLT ends the quantum with the time until the next timer deadline
 * ({@link Kind#IDLE}), or with {@link Kind#BLOCKED} when no timer is armed; the scheduler runs
 * other guests meanwhile and an interrupt raised from another thread (serial or keyboard input, the
 * monitor) wakes the VM's task through the wake listener. Guest time keeps flowing between quanta,
 * as it does for a real machine, until the host {@linkplain PcBoard#pauseClock() pauses} the VM.
 *
 * <p>In deterministic mode an idle CPU skips guest time to its next timer, as {@link PcBoard#run}
 * does, and idle time counts against the quantum, so the runs repeat.
 */
public final class HostedSlices {
    /** Instructions per inner step between timer checks (as the standalone loop). */
    static final int STEP = 4096;

    /** How a quantum ended. */
    public enum Kind {
        /** Ran its budget (or was asked to return): wants the CPU again. */
        RAN,
        /** Halted until {@link Slice#idleNanos()} from now, or an interrupt, whichever is first. */
        IDLE,
        /** Halted with no timer armed (or interrupts off): runs again only when woken. */
        BLOCKED,
        /** Paused by the monitor, did not run. */
        PAUSED,
        /** The machine ended: {@link Slice#exit()} says how (power-off, reset, triple fault, ...). */
        EXITED
    }

    /**
     * @param kind         how it ended
     * @param instructions instructions retired in this quantum
     * @param idleNanos    for {@link Kind#IDLE}: guest (= host) nanoseconds until the next timer
     * @param exit         for {@link Kind#EXITED}: the board's exit
     */
    public record Slice(Kind kind, long instructions, long idleNanos, PcBoard.Exit exit) {
    }

    private final PcBoard board;
    private volatile Runnable wakeListener;
    private volatile Thread runner;

    HostedSlices(PcBoard board) {
        this.board = board;
    }

    void setWakeListener(Runnable r) {
        wakeListener = r;
    }

    /** An interrupt was raised: wake the VM's task unless its own quantum raised it (it looks anyway). */
    void interruptRaised() {
        if (Thread.currentThread() != runner) {
            wakeHost();
        }
    }

    void wakeHost() {
        Runnable r = wakeListener;
        if (r != null) {
            r.run();
        }
    }

    Slice run(long maxInstructions) {
        VcpuGate gate = board.gate();
        if (!gate.tryEnter()) {
            return new Slice(Kind.PAUSED, 0, 0, null);
        }
        Cpu cpu = board.cpu();
        long start = cpu.instructionCount();
        runner = Thread.currentThread();
        try {
            return loop(cpu, board.clock(), start, maxInstructions);
        } finally {
            runner = null;
            gate.exit();
        }
    }

    private Slice loop(Cpu cpu, VirtualClock clock, long start, long maxInstructions) {
        clock.start();
        boolean deterministic = clock.mode() == VirtualClock.Mode.DETERMINISTIC;
        long end = start + maxInstructions;
        long endTime = deterministic ? clock.nanos() + maxInstructions * clock.nanosPerInstruction() : Long.MAX_VALUE;
        while (true) {
            if (board.finishing()) {
                return finish(Cpu.Exit.STOPPED, cpu, start);
            }
            long before = cpu.instructionCount();
            long left = end - before;
            if (left <= 0) {
                return ran(cpu, start);
            }
            Cpu.Exit e = cpu.run(Math.min(STEP, left));
            clock.retired(cpu.instructionCount() - before);
            boolean fired = clock.runDue();
            switch (e) {
                case SHUTDOWN, STOPPED -> {
                    return finish(e, cpu, start);
                }
                case HALT -> {
                    Slice idle = idle(cpu, clock, start, fired, deterministic, endTime);
                    if (idle != null) {
                        return idle;
                    }
                }
                default -> { }
            }
        }
    }

    /** HLT: null to go on (a timer fired, or deterministic time skipped to it), else how to wait. */
    private Slice idle(Cpu cpu, VirtualClock clock, long start, boolean fired, boolean deterministic, long endTime) {
        if (!cpu.flags.test(Flags.IF)) {
            return finish(Cpu.Exit.HALT, cpu, start);
        }
        if (fired) {
            return null;                        // the CPU looks at the new interrupt first
        }
        long deadline = clock.nextDeadline();
        if (deterministic) {
            if (deadline == Long.MAX_VALUE) {
                return new Slice(Kind.BLOCKED, cpu.instructionCount() - start, 0, null);
            }
            clock.skipTo(Math.min(deadline, endTime));
            clock.runDue();
            return clock.nanos() >= endTime ? ran(cpu, start) : null;
        }
        if (deadline == Long.MAX_VALUE) {
            return new Slice(Kind.BLOCKED, cpu.instructionCount() - start, 0, null);
        }
        long wait = deadline - clock.nanos();
        if (wait <= 0) {
            clock.runDue();
            return null;
        }
        return new Slice(Kind.IDLE, cpu.instructionCount() - start, wait, null);
    }

    private static Slice ran(Cpu cpu, long start) {
        return new Slice(Kind.RAN, cpu.instructionCount() - start, 0, null);
    }

    /** The quantum ended with {@code e}: an exit of the machine, or a request to return (the host's or the gate's). */
    private Slice finish(Cpu.Exit e, Cpu cpu, long start) {
        long used = cpu.instructionCount() - start;
        PcBoard.Exit x = board.exitFor(e);
        if (x == null || x.kind() == PcBoard.ExitKind.STOPPED) {
            return new Slice(Kind.RAN, used, 0, null);  // the host knows why it asked
        }
        if (x.kind() == PcBoard.ExitKind.HALTED) {
            return new Slice(Kind.BLOCKED, used, 0, null); // only the monitor (reset) can wake it
        }
        return new Slice(Kind.EXITED, used, 0, x);
    }
}

package dev.vmm.core.clock;

import dev.vmm.core.persist.Persist;
import java.util.ArrayList;
import java.util.PriorityQueue;

/**
 * The virtual clock of one machine, with timers.
 *
 * <p>Two modes. {@link Mode#REALTIME}: guest time follows the host's monotonic clock while the
 * machine runs and stands still while it is paused. {@link Mode#DETERMINISTIC}: guest time is
 * derived from the number of retired instructions only, so the same guest and inputs give the same
 * run. Timers fire from {@link #runDue()}, which the CPU loop calls between instructions.
 */
public final class VirtualClock implements Clock, Persist<VirtualClock.State> {
    /**
     * The clock's state in a snapshot. Pending timers are not part of it: they are derived state,
     * which each device re-arms from its own restored registers.
     *
     * @param mode                how guest time advances
     * @param nanosPerInstruction guest nanoseconds per retired instruction (deterministic mode)
     * @param instructions        instructions retired so far
     * @param nanos               guest time, in nanoseconds
     */
    public record State(Mode mode, long nanosPerInstruction, long instructions, long nanos) {
    }

    /** How guest time advances. */
    public enum Mode { REALTIME, DETERMINISTIC }

    /** A pending timer callback. */
    public static final class Timer implements Comparable<Timer> {
        private final Runnable action;
        private long deadline = Long.MAX_VALUE;
        private boolean armed;
        private long seq;

        Timer(Runnable action) {
            this.action = action;
        }

        public boolean armed() {
            return armed;
        }

        public long deadline() {
            return deadline;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final Mode mode;
    private final long nanosPerInstruction;
    private final PriorityQueue<Timer> queue = new PriorityQueue<>();
    private long seq;
    private long instructions;
    private long realBase;        // host nanoTime at which guest time 'offset' was current
    private long offset;          // guest nanos at realBase (REALTIME), or base (DETERMINISTIC)
    private boolean running;

    public VirtualClock(Mode mode) {
        this(mode, 1);
    }

    /** @param nanosPerInstruction in deterministic mode, guest nanoseconds per retired instruction */
    public VirtualClock(Mode mode, long nanosPerInstruction) {
        this.mode = mode;
        this.nanosPerInstruction = nanosPerInstruction;
    }

    public Mode mode() {
        return mode;
    }

    /** Guest nanoseconds per retired instruction in deterministic mode. */
    public long nanosPerInstruction() {
        return nanosPerInstruction;
    }

    @Override
    public long nanos() {
        return switch (mode) {
            case DETERMINISTIC -> offset + instructions * nanosPerInstruction;
            case REALTIME -> running ? offset + (System.nanoTime() - realBase) : offset;
        };
    }

    /** Starts (or resumes) the passage of guest time. */
    public void start() {
        if (!running) {
            realBase = System.nanoTime();
            running = true;
        }
    }

    /** Stops the passage of guest time (the machine is paused). */
    public void stop() {
        if (running) {
            if (mode == Mode.REALTIME) {
                offset = nanos();
            }
            running = false;
        }
    }

    /** Called by the CPU with the number of instructions it retired since the last call. */
    public void retired(long count) {
        instructions += count;
    }

    public long instructionsRetired() {
        return instructions;
    }

    public Timer newTimer(Runnable action) {
        return new Timer(action);
    }

    /** Arms {@code t} to fire when guest time reaches {@code deadline} (nanoseconds). */
    public void arm(Timer t, long deadline) {
        if (t.armed) {
            queue.remove(t);
        }
        t.deadline = deadline;
        t.seq = seq++;
        t.armed = true;
        queue.add(t);
    }

    public void disarm(Timer t) {
        if (t.armed) {
            queue.remove(t);
            t.armed = false;
        }
    }

    /** The earliest armed deadline, or {@link Long#MAX_VALUE}. */
    public long nextDeadline() {
        Timer t = queue.peek();
        return t == null ? Long.MAX_VALUE : t.deadline;
    }

    /** Fires every timer whose deadline has passed. Returns true if any fired. */
    public boolean runDue() {
        Timer t = queue.peek();
        if (t == null || t.deadline > nanos()) {
            return false;
        }
        long now = nanos();
        boolean fired = false;
        while ((t = queue.peek()) != null && t.deadline <= now) {
            queue.poll();
            t.armed = false;
            t.action.run();
            fired = true;
        }
        return fired;
    }

    /** In deterministic mode, jumps guest time forward to {@code target} (an idle CPU waiting). */
    public void skipTo(long target) {
        long now = nanos();
        if (target > now) {
            offset += target - now;
        }
    }

    /** The clock's state at this moment (a running real-time clock gives the time of the call). */
    @Override
    public State save() {
        return new State(mode, nanosPerInstruction, instructions, nanos());
    }

    /**
     * Sets guest time and the instruction count from {@code s} and disarms every timer (the devices
     * restored after the clock re-arm theirs). A running real-time clock goes on from the restored
     * time. Refuses a state of the other mode or another instruction rate: the machine must be built
     * like the one that was saved.
     */
    @Override
    public void restore(State s) {
        if (s.mode() != mode || s.nanosPerInstruction() != nanosPerInstruction) {
            throw new IllegalArgumentException("clock state is " + s.mode() + " at " + s.nanosPerInstruction()
                    + " ns/instruction, this machine's clock is " + mode + " at " + nanosPerInstruction);
        }
        for (Timer t : new ArrayList<>(queue)) {
            t.armed = false;
        }
        queue.clear();
        instructions = s.instructions();
        if (mode == Mode.DETERMINISTIC) {
            offset = s.nanos() - instructions * nanosPerInstruction;
        } else {
            offset = s.nanos();
            realBase = System.nanoTime();
        }
    }
}

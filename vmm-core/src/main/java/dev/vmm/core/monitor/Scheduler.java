package dev.vmm.core.monitor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs many {@link Vcpu}s on a fixed set of worker threads, one quantum at a time.
 *
 * <p><b>Fairness</b> (as CFS): every task has a virtual runtime that grows by the time it used
 * divided by its weight; a worker always picks the runnable task with the smallest one. A task that
 * wakes up, or is added, is placed at the smallest virtual runtime among the runnable tasks, so
 * sleeping earns no burst. That minimum only grows (it is kept while no task is runnable), so a task
 * added while the others sleep does not start behind them. A spinning guest therefore gets its share
 * and no more.
 *
 * <p><b>Caps</b>: a task with a cap of {@code c} percent may use {@code c}% of one core per
 * accounting period; once it has, it is throttled until the next period. Overshoot of the last
 * quantum is carried over as debt, so the long-run share stays at the cap.
 *
 * <p><b>Time</b>: in threaded mode, time is {@link System#nanoTime()} and a task is charged the wall
 * time of its quanta. In {@linkplain #deterministic deterministic mode} there are no threads: the
 * caller drives {@link #runQuanta} on its own thread, one instruction counts as one nanosecond, the
 * clock advances by the instructions each quantum retired, and idle time is skipped. The same tasks
 * then get the same quanta on every run, which is what tests assert on.
 *
 * <p><b>Isolation</b>: a quantum that throws, or a vCPU that reports {@link Vcpu.Kind#STOPPED},
 * stops that task alone; the reason is logged and kept on the task.
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
    /** Fixed-point scale of virtual runtime (so that weights up to 10000 divide without loss to speak of). */
    private static final long VSCALE = 1 << 16;

    /** Where a task stands. */
    public enum State {
        /** Waiting for a worker. */
        RUNNABLE,
        /** In a quantum on some worker. */
        RUNNING,
        /** Halted; runs again at its wake-up time or when woken. */
        IDLE,
        /** Halted until woken. */
        BLOCKED,
        /** Used its cap for this period. */
        THROTTLED,
        /** Paused by the host. */
        PAUSED,
        /** Finished; see {@link Task#stopReason()}. */
        STOPPED
    }

    private final boolean deterministic;
    private final long quantum;
    private final long period;
    private final long origin = System.nanoTime();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Task> tasks = new ArrayList<>();
    private final List<Thread> workers = new ArrayList<>();
    private long virtualNow;
    /** The smallest vruntime of the runnable tasks, as last seen: never decreases. */
    private long minVruntime;
    private long seq;
    private boolean closed;

    private Scheduler(boolean deterministic, int workerCount, long quantumInstructions, long periodNanos) {
        if (quantumInstructions <= 0 || periodNanos <= 0) {
            throw new IllegalArgumentException("quantum and period must be positive");
        }
        this.deterministic = deterministic;
        this.quantum = quantumInstructions;
        this.period = periodNanos;
        for (int n = 0; n < workerCount; n++) {
            Thread t = Thread.ofPlatform().name("vmm-worker-" + n).daemon(true).unstarted(this::workerLoop);
            workers.add(t);
        }
        workers.forEach(Thread::start);
    }

    /**
     * A scheduler with {@code workers} threads (use {@link Runtime#availableProcessors()} for the
     * default), quanta of {@code quantumInstructions} and caps enforced per {@code periodNanos}.
     */
    public static Scheduler threaded(int workers, long quantumInstructions, long periodNanos) {
        if (workers <= 0) {
            throw new IllegalArgumentException("need at least one worker");
        }
        return new Scheduler(false, workers, quantumInstructions, periodNanos);
    }

    /** A threaded scheduler with one worker per host core, 100k-instruction quanta and a 100 ms period. */
    public static Scheduler threaded() {
        return threaded(Runtime.getRuntime().availableProcessors(), 100_000, 100_000_000L);
    }

    /**
     * A scheduler without threads, driven by {@link #runQuanta}; time is counted in instructions
     * (one instruction = one nanosecond) and caps are enforced per {@code periodInstructions}.
     */
    public static Scheduler deterministic(long quantumInstructions, long periodInstructions) {
        return new Scheduler(true, 0, quantumInstructions, periodInstructions);
    }

    public boolean isDeterministic() {
        return deterministic;
    }

    /** Scheduler time in nanoseconds (in deterministic mode: instructions run plus idle time skipped). */
    public long now() {
        lock.lock();
        try {
            return nowLocked();
        } finally {
            lock.unlock();
        }
    }

    private long nowLocked() {
        return deterministic ? virtualNow : System.nanoTime() - origin;
    }

    /**
     * Adds a vCPU, runnable at once.
     *
     * @param weight     proportional share (1..10000)
     * @param capPercent most of one core it may use, in percent (1..100), or 0 for no cap
     */
    public Task add(String name, Vcpu vcpu, int weight, int capPercent) {
        if (weight < 1 || weight > 10_000) {
            throw new IllegalArgumentException("weight must be 1..10000: " + weight);
        }
        if (capPercent < 0 || capPercent > 100) {
            throw new IllegalArgumentException("cap must be 0 (none) or 1..100 percent: " + capPercent);
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("scheduler is closed");
            }
            Task t = new Task(name, vcpu, weight, capPercent, seq++);
            t.vruntime = minVruntime();
            t.periodIndex = nowLocked() / period;
            tasks.add(t);
            changed.signalAll();
            return t;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of all tasks, stopped ones included, in the order they were added. */
    public List<Task> tasks() {
        lock.lock();
        try {
            return List.copyOf(tasks);
        } finally {
            lock.unlock();
        }
    }

    /** Forgets a stopped task. */
    public void remove(Task t) {
        lock.lock();
        try {
            if (t.state != State.STOPPED) {
                throw new IllegalStateException(t.name + " is not stopped");
            }
            tasks.remove(t);
        } finally {
            lock.unlock();
        }
    }

    // ---- deterministic driving --------------------------------------------------------------------

    /**
     * Deterministic mode: runs up to {@code maxQuanta} quanta on the caller's thread, skipping idle
     * time when nothing is runnable. Returns the number run (fewer if no task can ever run again).
     */
    public int runQuanta(int maxQuanta) {
        return runUntil(() -> false, maxQuanta);
    }

    /** Deterministic mode: like {@link #runQuanta}, but stops early once {@code done} is true. */
    public int runUntil(BooleanSupplier done, int maxQuanta) {
        if (!deterministic) {
            throw new IllegalStateException("runQuanta drives deterministic schedulers only");
        }
        int ran = 0;
        while (ran < maxQuanta && !done.getAsBoolean()) {
            Task t;
            lock.lock();
            try {
                t = pickOrSkip();
                if (t == null) {
                    return ran;
                }
            } finally {
                lock.unlock();
            }
            runOne(t);
            ran++;
        }
        return ran;
    }

    /** Picks a task, advancing the virtual clock over idle time; null if nothing can run again. */
    private Task pickOrSkip() {
        while (!closed) {
            Task t = pick(virtualNow);
            if (t != null) {
                return t;
            }
            long next = nextEvent(virtualNow);
            if (next == Long.MAX_VALUE) {
                return null;
            }
            virtualNow = Math.max(virtualNow, next);
        }
        return null;
    }

    // ---- threads --------------------------------------------------------------------------------

    private void workerLoop() {
        while (true) {
            Task t;
            lock.lock();
            try {
                while (true) {
                    if (closed) {
                        return;
                    }
                    long now = nowLocked();
                    t = pick(now);
                    if (t != null) {
                        break;
                    }
                    long next = nextEvent(now);
                    if (next == Long.MAX_VALUE) {
                        changed.await();
                    } else {
                        changed.awaitNanos(Math.max(1, next - now));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            runOne(t);
        }
    }

    // ---- the core -------------------------------------------------------------------------------

    /** Under the lock: refreshes sleeping/throttled tasks and takes the runnable one with least vruntime. */
    private Task pick(long now) {
        Task best = null;
        for (Task t : tasks) {
            if (t.state == State.IDLE && now >= t.wakeAt) {
                makeRunnable(t);
            } else if (t.state == State.THROTTLED) {
                refreshPeriod(t, now);
                if (t.periodUsed < budget(t)) {
                    t.state = State.RUNNABLE;
                }
            }
            if (t.state == State.RUNNABLE && (best == null || t.vruntime < best.vruntime)) {
                best = t;
            }
        }
        if (best != null) {
            best.state = State.RUNNING;
        }
        return best;
    }

    /** Under the lock: the earliest time an idle or throttled task becomes runnable. */
    private long nextEvent(long now) {
        long next = Long.MAX_VALUE;
        for (Task t : tasks) {
            if (t.state == State.IDLE) {
                next = Math.min(next, t.wakeAt);
            } else if (t.state == State.THROTTLED) {
                next = Math.min(next, (now / period + 1) * period);
            }
        }
        return next;
    }

    private long budget(Task t) {
        return t.cap == 0 ? Long.MAX_VALUE : period * t.cap / 100;
    }

    /** Moves the task's cap accounting to the current period, forgiving a budget per period passed. */
    private void refreshPeriod(Task t, long now) {
        long idx = now / period;
        if (idx > t.periodIndex) {
            if (t.cap == 0) {
                t.periodUsed = 0;
            } else {
                // periodUsed is at most a budget plus one quantum, so a few periods forgive it all
                long passed = Math.min(idx - t.periodIndex, 2 + t.periodUsed / budget(t));
                t.periodUsed = Math.max(0, t.periodUsed - budget(t) * passed);
            }
            t.periodIndex = idx;
        }
    }

    private long minVruntime() {
        long min = Long.MAX_VALUE;
        for (Task t : tasks) {
            if (t.state == State.RUNNABLE || t.state == State.RUNNING) {
                min = Math.min(min, t.vruntime);
            }
        }
        if (min != Long.MAX_VALUE) {
            minVruntime = Math.max(minVruntime, min);
        }
        return minVruntime;
    }

    private void makeRunnable(Task t) {
        t.vruntime = Math.max(t.vruntime, minVruntime());
        t.state = State.RUNNABLE;
    }

    /** Runs one quantum of {@code t} (already RUNNING) outside the lock, then accounts for it. */
    private void runOne(Task t) {
        long slice;
        long start;
        lock.lock();
        try {
            start = nowLocked();
            refreshPeriod(t, start);
            slice = quantum;
            if (deterministic && t.cap != 0) {
                slice = Math.max(1, Math.min(slice, budget(t) - t.periodUsed));
            }
        } finally {
            lock.unlock();
        }
        Vcpu.Result result = null;
        Throwable failure = null;
        try {
            result = t.vcpu.runQuantum(slice);
            if (result == null) {
                throw new IllegalStateException("vCPU returned no result");
            }
        } catch (Throwable e) { // isolation: whatever one guest's emulation throws stops that guest alone
            failure = e;
        }
        boolean finished;
        lock.lock();
        try {
            long used;
            if (deterministic) {
                used = Math.max(1, result == null ? 0 : result.instructions());
                virtualNow += used;
            } else {
                used = Math.max(1, nowLocked() - start);
            }
            finished = account(t, result, failure, used);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (finished) {
            log.info("{} stopped: {}", t.name, t.stopReason);
            t.termination.complete(t.stopReason);
        }
    }

    /** Under the lock: charges {@code used} ns and moves the task on. True if it stopped. */
    private boolean account(Task t, Vcpu.Result r, Throwable failure, long used) {
        t.quanta++;
        t.cpuNanos += used;
        t.instructions += r == null ? 0 : r.instructions();
        t.vruntime += Math.multiplyHigh(used, VSCALE) != 0 ? Long.MAX_VALUE / 4 : used * VSCALE / t.weight;
        minVruntime();                  // the floor follows the running tasks
        t.periodUsed += used;
        if (failure != null) {
            log.error("{}: quantum failed, stopping it", t.name, failure);
            return stop(t, "emulation error: " + failure);
        }
        if (r.kind() == Vcpu.Kind.STOPPED) {
            return stop(t, r.reason() == null ? "stopped" : r.reason());
        }
        if (t.stopRequested || closed) {
            return stop(t, t.stopRequested ? "stopped by host" : "scheduler closed");
        }
        if (t.pauseRequested) {
            t.pauseRequested = false;
            t.state = State.PAUSED;
            return false;
        }
        long now = nowLocked();
        switch (r.kind()) {
            case IDLE -> {
                t.state = t.wakePending ? State.RUNNABLE : State.IDLE;
                t.wakeAt = now + r.idleNanos();
            }
            case BLOCKED -> t.state = t.wakePending ? State.RUNNABLE : State.BLOCKED;
            default -> t.state = State.RUNNABLE;
        }
        t.wakePending = false;
        if (t.state == State.RUNNABLE && t.cap != 0) {
            refreshPeriod(t, now);
            if (t.periodUsed >= budget(t)) {
                t.state = State.THROTTLED;
            }
        }
        return false;
    }

    private boolean stop(Task t, String reason) {
        t.state = State.STOPPED;
        t.stopReason = reason;
        return true;
    }

    /** Stops every task (running quanta are asked to return) and ends the worker threads. */
    @Override
    public void close() {
        List<Task> toComplete = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Task t : tasks) {
                if (t.state == State.RUNNING) {
                    t.vcpu.requestStop();
                } else if (t.state != State.STOPPED) {
                    stop(t, "scheduler closed");
                    toComplete.add(t);
                }
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        toComplete.forEach(t -> t.termination.complete(t.stopReason));
        for (Thread w : workers) {
            try {
                w.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A vCPU under this scheduler: its share, its state, and the host's controls. */
    public final class Task {
        private final String name;
        private final Vcpu vcpu;
        private final int weight;
        private final int cap;
        private final long id;
        private final CompletableFuture<String> termination = new CompletableFuture<>();
        // guarded by the scheduler's lock
        private State state = State.RUNNABLE;
        private long vruntime;
        private long wakeAt;
        private long periodIndex;
        private long periodUsed;
        private long instructions;
        private long cpuNanos;
        private long quanta;
        private boolean wakePending;
        private boolean pauseRequested;
        private boolean stopRequested;
        private String stopReason;

        private Task(String name, Vcpu vcpu, int weight, int cap, long id) {
            this.name = name;
            this.vcpu = vcpu;
            this.weight = weight;
            this.cap = cap;
            this.id = id;
        }

        public String name() {
            return name;
        }

        public int weight() {
            return weight;
        }

        /** Cap in percent of one core; 0 for none. */
        public int capPercent() {
            return cap;
        }

        public State state() {
            lock.lock();
            try {
                return state;
            } finally {
                lock.unlock();
            }
        }

        /** Instructions retired under this scheduler. */
        public long instructions() {
            lock.lock();
            try {
                return instructions;
            } finally {
                lock.unlock();
            }
        }

        /** CPU time charged (in deterministic mode: instructions). */
        public long cpuNanos() {
            lock.lock();
            try {
                return cpuNanos;
            } finally {
                lock.unlock();
            }
        }

        public long quanta() {
            lock.lock();
            try {
                return quanta;
            } finally {
                lock.unlock();
            }
        }

        /** Why it stopped, or null while it has not. */
        public String stopReason() {
            lock.lock();
            try {
                return stopReason;
            } finally {
                lock.unlock();
            }
        }

        /** Completes with the stop reason when the task stops (on the thread that stopped it). */
        public CompletableFuture<String> termination() {
            return termination.copy();
        }

        /** Makes an idle or blocked task runnable (any thread). */
        public void wake() {
            lock.lock();
            try {
                if (state == State.IDLE || state == State.BLOCKED) {
                    makeRunnable(this);
                    changed.signalAll();
                } else if (state == State.RUNNING) {
                    wakePending = true;
                }
            } finally {
                lock.unlock();
            }
        }

        /** Takes the task off the CPU after its current quantum (which is asked to end early). */
        public void pause() {
            lock.lock();
            try {
                switch (state) {
                    case STOPPED, PAUSED -> { }
                    case RUNNING -> {
                        pauseRequested = true;
                        vcpu.requestStop();
                    }
                    default -> state = State.PAUSED;
                }
            } finally {
                lock.unlock();
            }
        }

        /**
         * Waits (at most {@code timeoutNanos}) until the task is not in a quantum: after {@link #pause()}
         * or {@link #stop()} of a running task, until that quantum has been accounted for.
         */
        public void awaitOffCpu(long timeoutNanos) throws InterruptedException {
            lock.lock();
            try {
                long left = timeoutNanos;
                while (state == State.RUNNING && left > 0) {
                    left = changed.awaitNanos(left);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Lets a paused task run again. */
        public void resume() {
            lock.lock();
            try {
                pauseRequested = false;
                if (state == State.PAUSED) {
                    makeRunnable(this);
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        /** Stops the task for good; a running quantum is asked to end early. */
        public void stop() {
            boolean now = false;
            lock.lock();
            try {
                switch (state) {
                    case STOPPED -> { }
                    case RUNNING -> {
                        stopRequested = true;
                        vcpu.requestStop();
                    }
                    default -> now = Scheduler.this.stop(this, "stopped by host");
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (now) {
                log.info("{} stopped: {}", name, "stopped by host");
                termination.complete("stopped by host");
            }
        }

        @Override
        public String toString() {
            return name + "#" + id;
        }
    }
}

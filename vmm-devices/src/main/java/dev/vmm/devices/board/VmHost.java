package dev.vmm.devices.board;

import dev.vmm.core.monitor.MemoryPool;
import dev.vmm.core.monitor.PoolExhaustedException;
import dev.vmm.core.monitor.Scheduler;
import dev.vmm.core.monitor.Vcpu;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many {@link PcBoard}s in one process: each VM reserves its RAM from a {@link MemoryPool} before
 * its board is built, and runs as a task of a shared {@link Scheduler} through an adapter that runs
 * the board one quantum at a time. A VM that powers off, triple-faults or hits an emulation error
 * stops alone; its memory goes back to the pool and its board is closed.
 *
 * <p>Thread-safe: control calls may come from any thread while the scheduler's workers run guests.
 */
public final class VmHost implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VmHost.class);
    /** How long a board halted for good sleeps before it is looked at again. */
    static final long HALTED_RECHECK_NANOS = 10_000_000L;

    /** What the host says about a VM. */
    public enum State {
        /** Built, never started. */
        CREATED,
        /** Under the scheduler (running, runnable, idle or throttled). */
        RUNNING,
        PAUSED,
        /** Finished; {@link VmInfo#exit()} and {@link VmInfo#reason()} say how. */
        STOPPED
    }

    /**
     * One line of {@link #list()}.
     *
     * @param exit          the board's last exit once stopped by the guest (null otherwise)
     * @param reason        why it stopped (null while it has not)
     * @param reservedBytes memory held in the pool (0 once stopped)
     * @param residentBytes of that, what the host actually backs
     * @param instructions  instructions the guest retired
     * @param cpuNanos      CPU time charged by the scheduler
     */
    public record VmInfo(String name, State state, PcBoard.Exit exit, String reason, long reservedBytes,
                         long residentBytes, long instructions, long cpuNanos, int weight, int capPercent) {
    }

    private final MemoryPool pool;
    private final Scheduler scheduler;
    private final Map<String, Vm> vms = new LinkedHashMap<>();

    public VmHost(MemoryPool pool, Scheduler scheduler) {
        this.pool = pool;
        this.scheduler = scheduler;
    }

    public MemoryPool pool() {
        return pool;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    /** {@link #create(String, BoardConfig, int, int)} with weight 1 and no cap. */
    public Vm create(String name, BoardConfig config) {
        return create(name, config, 1, 0);
    }

    /**
     * Reserves the VM's RAM, builds its board and registers it (not started).
     *
     * @throws PoolExhaustedException if its memory does not fit (the pool's message says why)
     * @throws IllegalArgumentException if the name is taken
     */
    public Vm create(String name, BoardConfig config, int weight, int capPercent) {
        synchronized (vms) {
            if (vms.containsKey(name)) {
                throw new IllegalArgumentException("a VM named " + name + " exists already");
            }
        }
        if (weight < 1 || weight > 10_000 || capPercent < 0 || capPercent > 100) {
            throw new IllegalArgumentException("weight must be 1..10000 and cap 0..100 percent");
        }
        MemoryPool.Reservation reservation = pool.reserve(name, config.memoryBytes());
        PcBoard board;
        try {
            board = config.build();
        } catch (RuntimeException | Error e) {
            reservation.close();
            throw e;
        }
        reservation.attach(board.memory().ram());
        Vm vm = new Vm(name, board, reservation, weight, capPercent);
        synchronized (vms) {
            if (vms.putIfAbsent(name, vm) != null) {
                vm.release();
                throw new IllegalArgumentException("a VM named " + name + " exists already");
            }
        }
        log.info("created {} ({} MiB, weight {}, cap {}%)", name, config.memoryBytes() >> 20, weight, capPercent);
        return vm;
    }

    public Vm vm(String name) {
        synchronized (vms) {
            Vm vm = vms.get(name);
            if (vm == null) {
                throw new NoSuchElementException("no VM named " + name);
            }
            return vm;
        }
    }

    /** Hands a created VM to the scheduler. */
    public void start(String name) {
        vm(name).start();
    }

    public void pause(String name) {
        vm(name).task().pause();
    }

    public void resume(String name) {
        vm(name).task().resume();
    }

    /** Stops a VM; its memory returns to the pool once its current quantum ends. */
    public void stop(String name) {
        vm(name).stop();
    }

    /** Forgets a stopped (or never started) VM. */
    public void remove(String name) {
        Vm vm = vm(name);
        State s = vm.info().state();
        if (s == State.RUNNING || s == State.PAUSED) {
            throw new IllegalStateException(name + " is " + s.name().toLowerCase(java.util.Locale.ROOT)
                    + "; stop it first");
        }
        vm.stop();
        synchronized (vms) {
            vms.remove(name);
        }
    }

    /** All VMs in creation order. */
    public List<VmInfo> list() {
        List<Vm> copy;
        synchronized (vms) {
            copy = new ArrayList<>(vms.values());
        }
        List<VmInfo> out = new ArrayList<>();
        for (Vm vm : copy) {
            out.add(vm.info());
        }
        return out;
    }

    public VmInfo info(String name) {
        return vm(name).info();
    }

    /** Stops every VM. The scheduler belongs to the caller. */
    @Override
    public void close() {
        List<Vm> copy;
        synchronized (vms) {
            copy = new ArrayList<>(vms.values());
        }
        for (Vm vm : copy) {
            vm.stop();
        }
        for (Vm vm : copy) {
            try {
                vm.stopped.get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("{} did not stop in time", vm.name);
            }
        }
    }

    /** One VM: its board, memory and scheduler task. */
    public final class Vm {
        private final String name;
        private final PcBoard board;
        private final MemoryPool.Reservation reservation;
        private final int weight;
        private final int cap;
        private final BoardVcpu vcpu;
        private final CompletableFuture<VmInfo> stopped = new CompletableFuture<>();
        private Scheduler.Task task;
        private String stopReason;
        private boolean released;

        private Vm(String name, PcBoard board, MemoryPool.Reservation reservation, int weight, int cap) {
            this.name = name;
            this.board = board;
            this.reservation = reservation;
            this.weight = weight;
            this.cap = cap;
            this.vcpu = new BoardVcpu(board);
        }

        public String name() {
            return name;
        }

        /** The board (to load a guest before {@link VmHost#start}); do not run it yourself. */
        public PcBoard board() {
            return board;
        }

        /** Completes with the final info when the VM stops. */
        public CompletableFuture<VmInfo> stopped() {
            return stopped.copy();
        }

        private synchronized Scheduler.Task task() {
            if (task == null) {
                throw new IllegalStateException(name + " is not started");
            }
            return task;
        }

        private void start() {
            Scheduler.Task t;
            synchronized (this) {
                if (task != null || released) {
                    throw new IllegalStateException(name + " was started already");
                }
                t = scheduler.add(name, vcpu, weight, cap);
                task = t;
            }
            t.termination().whenComplete((reason, err) -> finished(reason));
            log.info("started {}", name);
        }

        private void stop() {
            Scheduler.Task t;
            synchronized (this) {
                t = task;
                if (t == null && !released) {
                    released = true;
                    stopReason = "stopped by host";
                }
            }
            if (t != null) {
                t.stop();
            } else {
                release();
                stopped.complete(info());
            }
        }

        private void finished(String reason) {
            synchronized (this) {
                stopReason = reason;
            }
            PcBoard.Exit exit = vcpu.lastExit;
            if (exit != null) {
                log.info("{} stopped: {} ({})", name, reason, exit);
            } else {
                log.info("{} stopped: {}", name, reason);
            }
            release();
            stopped.complete(info());
        }

        /** Returns the memory to the pool, then unmaps it (in that order: list() may be measuring it). */
        private void release() {
            reservation.close();
            synchronized (this) {
                released = true;
            }
            board.close();
        }

        public VmInfo info() {
            Scheduler.Task t;
            String reason;
            boolean rel;
            synchronized (this) {
                t = task;
                reason = stopReason;
                rel = released;
            }
            State state;
            if (t == null) {
                state = rel ? State.STOPPED : State.CREATED;
            } else {
                state = switch (t.state()) {
                    case STOPPED -> State.STOPPED;
                    case PAUSED -> State.PAUSED;
                    default -> State.RUNNING;
                };
                if (state == State.STOPPED && reason == null) {
                    reason = t.stopReason();
                }
            }
            PcBoard.Exit exit = state == State.STOPPED ? vcpu.lastExit : null;
            return new VmInfo(name, state, exit, reason, reservation.bytes(), reservation.residentBytes(),
                    t == null ? 0 : t.instructions(), t == null ? 0 : t.cpuNanos(), weight, cap);
        }
    }

    /** Runs a board one quantum at a time and turns its exits into scheduler results. */
    private static final class BoardVcpu implements Vcpu {
        private final PcBoard board;
        private volatile PcBoard.Exit lastExit;

        BoardVcpu(PcBoard board) {
            this.board = board;
        }

        @Override
        public Result runQuantum(long instructions) {
            long before = board.cpu().instructionCount();
            PcBoard.Exit exit = board.run(instructions);
            long used = board.cpu().instructionCount() - before;
            return switch (exit.kind()) {
                case LIMIT, STOPPED -> Result.used(used); // STOPPED: the host asked; the scheduler knows why
                case HALTED -> Result.idle(used, HALTED_RECHECK_NANOS);
                case POWER_OFF -> finish(exit, used, "power-off");
                case DEBUG_EXIT -> finish(exit, used, "debug exit, status " + exit.status());
                case SHUTDOWN -> finish(exit, used, "triple fault (shutdown)");
                case RESET -> finish(exit, used, "reset requested (reboot is not supported by the host yet)");
            };
        }

        private Result finish(PcBoard.Exit exit, long used, String reason) {
            lastExit = exit;
            return Result.stopped(used, reason);
        }

        @Override
        public void requestStop() {
            board.requestStop();
        }
    }
}

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

    /**
     * Builds and boots a fresh board for a VM: called once at {@link #create(String, long, Machine, int, int)}
     * and again on every reset of the guest (a reboot), always with the same memory size.
     */
    @FunctionalInterface
    public interface Machine {
        PcBoard build();
    }

    /** {@link #create(String, BoardConfig, int, int)} with weight 1 and no cap. */
    public Vm create(String name, BoardConfig config) {
        return create(name, config, 1, 0);
    }

    /**
     * Reserves the VM's RAM, builds its board from {@code config} and registers it (not started).
     * The caller loads the guest into {@link Vm#board()}; a reset of the guest stops this VM, as
     * there is nothing to boot again.
     *
     * @throws PoolExhaustedException if its memory does not fit (the pool's message says why)
     * @throws IllegalArgumentException if the name is taken
     */
    public Vm create(String name, BoardConfig config, int weight, int capPercent) {
        return create(name, config.memoryBytes(), config::build, weight, capPercent, false);
    }

    /**
     * Reserves {@code memoryBytes}, builds the VM's first board with {@code machine} and registers
     * it (not started). A reset of the guest builds a fresh board with {@code machine} (a reboot).
     *
     * @throws PoolExhaustedException if its memory does not fit (the pool's message says why)
     * @throws IllegalArgumentException if the name is taken or the board's RAM is not {@code memoryBytes}
     */
    public Vm create(String name, long memoryBytes, Machine machine, int weight, int capPercent) {
        return create(name, memoryBytes, machine, weight, capPercent, true);
    }

    private Vm create(String name, long memoryBytes, Machine machine, int weight, int capPercent, boolean reboots) {
        synchronized (vms) {
            if (vms.containsKey(name)) {
                throw new IllegalArgumentException("a VM named " + name + " exists already");
            }
        }
        if (weight < 1 || weight > 10_000 || capPercent < 0 || capPercent > 100) {
            throw new IllegalArgumentException("weight must be 1..10000 and cap 0..100 percent");
        }
        MemoryPool.Reservation reservation = pool.reserve(name, memoryBytes);
        PcBoard board;
        try {
            board = machine.build();
            if (board.memory().ramSize() != memoryBytes) {
                long size = board.memory().ramSize();
                board.close();
                throw new IllegalArgumentException(name + ": the board has " + size + " bytes of RAM, not "
                        + memoryBytes);
            }
        } catch (RuntimeException | Error e) {
            reservation.close();
            throw e;
        }
        reservation.attach(board.memory().ram());
        Vm vm = new Vm(name, board, reservation, weight, capPercent, reboots ? machine : null);
        synchronized (vms) {
            if (vms.putIfAbsent(name, vm) != null) {
                vm.release();
                throw new IllegalArgumentException("a VM named " + name + " exists already");
            }
        }
        log.info("created {} ({} MiB, weight {}, cap {}%)", name, memoryBytes >> 20, weight, capPercent);
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

    /** Takes a running VM off the CPU and stops its guest time (its memory stays). */
    public void pause(String name) {
        vm(name).pause();
    }

    public void resume(String name) {
        vm(name).resume();
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
        Scheduler.Task t;
        synchronized (vm) {
            t = vm.task;
        }
        if (t != null) {
            scheduler.remove(t);                // a host that restarts VMs for months keeps no dead tasks
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
        private final MemoryPool.Reservation reservation;
        private final int weight;
        private final int cap;
        private final BoardVcpu vcpu;
        private final CompletableFuture<VmInfo> stopped = new CompletableFuture<>();
        private Scheduler.Task task;
        private String stopReason;
        private boolean released;

        private Vm(String name, PcBoard board, MemoryPool.Reservation reservation, int weight, int cap,
                   Machine machine) {
            this.name = name;
            this.reservation = reservation;
            this.weight = weight;
            this.cap = cap;
            this.vcpu = new BoardVcpu(name, board, machine, reservation);
        }

        public String name() {
            return name;
        }

        /**
         * The current board (to load a guest before {@link VmHost#start}, or for the monitor, which
         * holds its {@linkplain PcBoard#gate() gate}); a reboot replaces it. Do not run it yourself.
         */
        public PcBoard board() {
            return vcpu.board;
        }

        /** Weight and cap the VM was created with. */
        public int weight() {
            return weight;
        }

        public int capPercent() {
            return cap;
        }

        /** Resets the guest: a fresh board (a VM without a {@link Machine} stops). Works while paused too. */
        public void reset() {
            vcpu.board.requestReset();
            Scheduler.Task t;
            synchronized (this) {
                t = task;
            }
            if (t != null) {
                t.resume();
                t.wake();
            }
        }

        /** Returns once the VM is off the CPU (its state reads PAUSED), or after a second at most. */
        private void pause() {
            Scheduler.Task t = task();
            t.pause();
            vcpu.board.pauseClock();
            try {
                t.awaitOffCpu(java.util.concurrent.TimeUnit.SECONDS.toNanos(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void resume() {
            task().resume();
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
                vcpu.task = t;
                vcpu.board.setHostWakeListener(t::wake);
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
            vcpu.board.close();
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

    /**
     * Runs a board one quantum at a time ({@link PcBoard#runSlice}: HLT gives the worker back) and
     * turns its exits into scheduler results; a reset builds a fresh board when the VM has a
     * {@link Machine}.
     */
    private static final class BoardVcpu implements Vcpu {
        private final String name;
        private final Machine machine;
        private final MemoryPool.Reservation reservation;
        private volatile PcBoard board;
        private volatile PcBoard.Exit lastExit;
        private volatile Scheduler.Task task;

        BoardVcpu(String name, PcBoard board, Machine machine, MemoryPool.Reservation reservation) {
            this.name = name;
            this.board = board;
            this.machine = machine;
            this.reservation = reservation;
        }

        @Override
        public Result runQuantum(long instructions) {
            HostedSlices.Slice slice = board.runSlice(instructions);
            long used = slice.instructions();
            return switch (slice.kind()) {
                case RAN -> Result.used(used);
                case IDLE -> Result.idle(used, slice.idleNanos());
                case BLOCKED, PAUSED -> Result.blocked(used);
                case EXITED -> exited(slice.exit(), used);
            };
        }

        private Result exited(PcBoard.Exit exit, long used) {
            return switch (exit.kind()) {
                case POWER_OFF -> finish(exit, used, "power-off");
                case DEBUG_EXIT -> finish(exit, used, "debug exit, status " + exit.status());
                case SHUTDOWN -> finish(exit, used, "triple fault (shutdown)");
                case RESET -> machine == null
                        ? finish(exit, used, "reset requested (this VM has no recipe to boot again)")
                        : reboot(used);
                default -> Result.used(used);
            };
        }

        /** A fresh board in place of the old one, on the worker (the old one is not running). */
        private Result reboot(long used) {
            PcBoard old = board;
            PcBoard fresh = machine.build();
            reservation.attach(fresh.memory().ram());
            Scheduler.Task t = task;
            if (t != null) {
                fresh.setHostWakeListener(t::wake);
            }
            board = fresh;
            old.close();
            log.info("{} reset: rebooted", name);
            return Result.used(used);
        }

        private Result finish(PcBoard.Exit exit, long used, String reason) {
            lastExit = exit;
            return Result.stopped(used, reason);
        }

        @Override
        public void requestStop() {
            board.endQuantum();
        }
    }
}

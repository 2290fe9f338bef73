package dev.vmm.devices.board;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Lets other threads (the monitor, the host's control API) hold a board's vCPU at an instruction
 * boundary. The thread running the guest holds the gate's CPU lock while it executes and lets go
 * between quanta; a caller that wants the CPU {@linkplain #call registers}, kicks the quantum to
 * an early end and takes the lock. While the monitor holds it or the board is
 * {@linkplain #pause paused}, the guest does not run, and its state (registers, memory, devices)
 * can be read and changed safely. The lock also orders memory: the monitor sees everything the
 * vCPU thread wrote, and the reverse.
 *
 * <p>Two locks: {@code cpu} is held for whole quanta; {@code state} (paused, waiters) is only held
 * for a moment, so waking a waiting runner never waits for a quantum to end.
 */
public final class VcpuGate {
    private final ReentrantLock cpu = new ReentrantLock();
    private final ReentrantLock state = new ReentrantLock();
    private final Condition changed = state.newCondition();
    private final Runnable kick;
    private final BooleanSupplier abandon;
    // guarded by state
    private boolean paused;
    private int waiting;
    private Runnable onResume = () -> { };

    /**
     * @param kick    makes the running quantum return soon (a stop request, and a wake-up for a
     *                CPU idling in HLT)
     * @param abandon true once the run must end anyway (a stop or exit request): a paused runner
     *                is let through so that it can return
     */
    VcpuGate(Runnable kick, BooleanSupplier abandon) {
        this.kick = kick;
        this.abandon = abandon;
    }

    private boolean held() {
        return (paused || waiting > 0) && !abandon.getAsBoolean();
    }

    // ---- the runner's side ---------------------------------------------------------------------

    /** Takes the CPU to run the guest, waiting while the board is paused or the monitor wants it. */
    void enter() {
        while (true) {
            state.lock();
            try {
                while (held()) {
                    changed.awaitUninterruptibly();
                }
            } finally {
                state.unlock();
            }
            cpu.lock();
            if (!heldNow()) {
                return;
            }
            cpu.unlock();                   // the monitor came in between: wait for it again
        }
    }

    /**
     * Takes the CPU if the board is not paused and the monitor does not want it; false otherwise
     * (a host's worker thread must not wait here). May wait for a monitor action already under way.
     */
    boolean tryEnter() {
        if (heldNow()) {
            return false;
        }
        cpu.lock();
        if (heldNow()) {
            cpu.unlock();
            return false;
        }
        return true;
    }

    private boolean heldNow() {
        state.lock();
        try {
            return held();
        } finally {
            state.unlock();
        }
    }

    /** Lets go of the CPU after a quantum. */
    void exit() {
        cpu.unlock();
    }

    /** Lets a runner waiting in {@link #enter()} re-check whether it must return (any thread, never blocks long). */
    void wakeRunner() {
        state.lock();
        try {
            changed.signalAll();
        } finally {
            state.unlock();
        }
    }

    // ---- the monitor's side --------------------------------------------------------------------

    /**
     * Runs {@code action} on the calling thread with the vCPU stopped at an instruction boundary,
     * and returns its result. A running guest is interrupted for it and goes on afterwards; a
     * paused one stays paused.
     */
    public <T> T call(Supplier<T> action) {
        state.lock();
        try {
            waiting++;
        } finally {
            state.unlock();
        }
        try {
            kick.run();
            cpu.lock();
            try {
                return action.get();
            } finally {
                cpu.unlock();
            }
        } finally {
            state.lock();
            try {
                waiting--;
                changed.signalAll();
            } finally {
                state.unlock();
            }
        }
    }

    /** {@link #call} for an action without a result. */
    public void inspect(Runnable action) {
        call(() -> {
            action.run();
            return null;
        });
    }

    /** Stops the guest at the next instruction boundary and keeps it stopped until {@link #resume()}. */
    public void pause() {
        inspect(() -> {
            state.lock();
            try {
                paused = true;
            } finally {
                state.unlock();
            }
        });
    }

    /** Lets a paused guest run again. */
    public void resume() {
        Runnable r;
        state.lock();
        try {
            if (!paused) {
                return;
            }
            paused = false;
            r = onResume;
            changed.signalAll();
        } finally {
            state.unlock();
        }
        r.run();
    }

    public boolean paused() {
        state.lock();
        try {
            return paused;
        } finally {
            state.unlock();
        }
    }

    /** Runs after {@link #resume()} (a host wakes the VM's scheduler task with it). */
    void setOnResume(Runnable r) {
        state.lock();
        try {
            onResume = r;
        } finally {
            state.unlock();
        }
    }
}

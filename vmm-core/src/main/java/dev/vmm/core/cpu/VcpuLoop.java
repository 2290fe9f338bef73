package dev.vmm.core.cpu;

import dev.vmm.core.clock.VirtualClock;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one CPU against its virtual clock: executes in quanta, tells the clock how many instructions
 * retired, fires due timers, and idles on HLT. A halted CPU with interrupts enabled parks its
 * thread until the next timer deadline or until {@link #wake()} (an interrupt raised by a device on
 * another thread); it does not spin. In deterministic mode the clock jumps to the next deadline
 * instead, so idle time costs nothing and runs are repeatable.
 */
public final class VcpuLoop {
    /**
     * Instructions per quantum between timer checks: a due timer fires at most this late (tens of
     * microseconds of a booting Linux). Every quantum ends the compiled code running, so a loop
     * leaves and reenters its region each time: at 4,096 a Linux boot's RSA signature checks (one
     * compiled loop) took 4.4-4.6 s, at 16,384 3.8-3.9 s, and the prompt came about 1.4 s sooner;
     * 65,536 was no faster.
     */
    static final int QUANTUM = 16384;

    private final Cpu cpu;
    private final VirtualClock clock;
    private volatile Thread runner;
    private volatile boolean woken;
    private long idleWaits;

    public VcpuLoop(Cpu cpu, VirtualClock clock) {
        this.cpu = cpu;
        this.clock = clock;
    }

    /**
     * Makes a halted CPU re-check its interrupt line (any thread). From the CPU's own thread (a timer
     * that fired in {@link VirtualClock#runDue()} raised an interrupt) it only sets the flag: an
     * unpark of the running thread would leave a permit that makes its next park return at once.
     */
    public void wake() {
        woken = true;
        Thread t = runner;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
        }
    }

    /** How many times the loop parked (or skipped time) waiting for an interrupt. */
    public long idleWaits() {
        return idleWaits;
    }

    /**
     * Runs until the guest shuts down, halts for good (HLT with interrupts disabled: no NMI source
     * exists, so nothing can wake it), {@link Cpu#requestStop()} is called, or
     * {@code maxInstructions} retire. In deterministic mode, idle guest time counts against the
     * budget too (at the clock's nanoseconds per instruction), so a guest idling with its timer
     * interrupts masked still returns.
     */
    public Cpu.Exit run(long maxInstructions) {
        long end = cpu.instructionCount() + maxInstructions;
        long endTime = clock.mode() == VirtualClock.Mode.DETERMINISTIC
                ? saturatedAdd(clock.nanos(), saturatedMultiply(maxInstructions, clock.nanosPerInstruction()))
                : Long.MAX_VALUE;
        return runUntil(end, endTime);
    }

    /**
     * As {@link #run(long)}, with absolute bounds: returns {@link Cpu.Exit#LIMIT} once the
     * instruction count reaches {@code end}, or (deterministic mode) once an idle CPU's guest time
     * reaches {@code endTime}. A run from a restored snapshot uses it to stop where the
     * uninterrupted run would have.
     */
    public Cpu.Exit runUntil(long end, long endTime) {
        runner = Thread.currentThread();
        clock.start();
        try {
            while (true) {
                long before = cpu.instructionCount();
                long left = end - before;
                if (left <= 0) {
                    return Cpu.Exit.LIMIT;
                }
                // Quanta end at multiples of QUANTUM of the instruction count, and the clock hears of
                // retired instructions (and fires timers) only there or at a HLT: where a run starts or
                // stops (a limit, a save, the monitor) does not move a timer by one instruction.
                // A wake-up is for the CPU to look at its interrupt line and stop request, which this
                // run does first: one that came before it is consumed here, and a HLT right after the
                // handler of that interrupt parks instead of making one more empty round.
                woken = false;
                Cpu.Exit exit = cpu.run(Math.min(QUANTUM - Math.floorMod(before, QUANTUM), left));
                if (exit == Cpu.Exit.HALT || Math.floorMod(cpu.instructionCount(), QUANTUM) == 0) {
                    clock.retired(cpu.instructionCount() - clock.instructionsRetired());
                    clock.runDue();
                }
                switch (exit) {
                    case SHUTDOWN, STOPPED -> {
                        return exit;
                    }
                    case HALT -> {
                        if (!idle(endTime)) {
                            return Cpu.Exit.HALT;
                        }
                        if (clock.nanos() >= endTime) {
                            return Cpu.Exit.LIMIT;
                        }
                    }
                    default -> { }
                }
            }
        } finally {
            clock.stop();
            runner = null;
        }
    }

    /**
     * Waits for an event while halted (deterministic mode: skips guest time to the next timer, but
     * not past {@code endTime}). Returns false if nothing can ever wake the CPU.
     */
    private boolean idle(long endTime) {
        if ((cpu.flags.bits & Flags.IF) == 0) {
            return false;
        }
        long deadline = clock.nextDeadline();
        idleWaits++;
        if (clock.mode() == VirtualClock.Mode.DETERMINISTIC) {
            // A timer that fired after the CPU stopped at HLT (the runDue in runUntil) may have raised
            // an interrupt: take it now, before skipping time or concluding that nothing can wake us.
            if (cpu.intr.intrPending()) {
                cpu.intrHint = true;      // the halted CPU's next poll takes it
                return true;
            }
            if (deadline == Long.MAX_VALUE) {
                return false;
            }
            clock.skipTo(Math.min(deadline, endTime));
            clock.runDue();
            return true;
        }
        if (woken) {
            woken = false;
            return true;
        }
        long wait = deadline == Long.MAX_VALUE ? 50_000_000L : Math.max(0, deadline - clock.nanos());
        LockSupport.parkNanos(this, Math.min(wait, 50_000_000L));
        woken = false;
        clock.runDue();
        return true;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static long saturatedMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }
}

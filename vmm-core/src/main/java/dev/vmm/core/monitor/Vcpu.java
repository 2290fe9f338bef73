package dev.vmm.core.monitor;

/**
 * Something the {@link Scheduler} runs in quanta: a virtual CPU of some machine. The scheduler
 * knows nothing of boards; a board adapter turns its exits into {@link Result}s.
 */
public interface Vcpu {
    /**
     * Runs at most {@code instructions} and says what happened. An exception stops this vCPU alone
     * (the scheduler logs it and carries on with the others).
     */
    Result runQuantum(long instructions);

    /** Asks a running {@link #runQuantum} to return soon (any thread). Optional. */
    default void requestStop() {
    }

    /** The outcome of one quantum. */
    enum Kind {
        /** Ran; wants more CPU. */
        USED,
        /** Halted; wants to run again after {@link Result#idleNanos()} or when woken, whichever is first. */
        IDLE,
        /** Halted until {@link Scheduler.Task#wake()}. */
        BLOCKED,
        /** Finished for good (power-off, triple fault, ...): {@link Result#reason()} says why. */
        STOPPED
    }

    /**
     * @param kind         what the vCPU wants next
     * @param instructions instructions retired in this quantum
     * @param idleNanos    for {@link Kind#IDLE}: how long it may sleep (scheduler time)
     * @param reason       for {@link Kind#STOPPED}: why (e.g. "power-off", "triple fault")
     */
    record Result(Kind kind, long instructions, long idleNanos, String reason) {
        public Result {
            if (instructions < 0 || idleNanos < 0) {
                throw new IllegalArgumentException("negative instructions or idle time");
            }
        }

        public static Result used(long instructions) {
            return new Result(Kind.USED, instructions, 0, null);
        }

        public static Result idle(long instructions, long idleNanos) {
            return new Result(Kind.IDLE, instructions, idleNanos, null);
        }

        public static Result blocked(long instructions) {
            return new Result(Kind.BLOCKED, instructions, 0, null);
        }

        public static Result stopped(long instructions, String reason) {
            return new Result(Kind.STOPPED, instructions, 0, reason);
        }
    }
}

package dev.vmm.core.monitor;

/** A {@link MemoryPool} cannot hold a reservation; the message says how much is left and who holds the rest. */
public final class PoolExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long requested;
    private final long available;

    public PoolExhaustedException(String message, long requested, long available) {
        super(message);
        this.requested = requested;
        this.available = available;
    }

    public long requested() {
        return requested;
    }

    public long available() {
        return available;
    }
}

package dev.vmm.core.irq;

/**
 * What the CPU sees of its interrupt controller: the INTR pin and the acknowledge cycle.
 */
public interface InterruptSource {
    /** True when the INTR pin is asserted (a maskable interrupt is pending). */
    boolean intrPending();

    /** The interrupt acknowledge cycle: returns the vector and marks it in service. */
    int acknowledge();

    /**
     * Asks the source to run {@code listener} (on whatever thread made the change, after it) every
     * time {@link #intrPending()} may have turned true, so the CPU need not poll it before every
     * instruction. Returns false if the source cannot promise that (the CPU then polls always).
     */
    default boolean onChange(Runnable listener) {
        return false;
    }

    /** No controller attached. */
    InterruptSource NONE = new InterruptSource() {
        @Override
        public boolean intrPending() {
            return false;
        }

        @Override
        public int acknowledge() {
            return 0xFF;
        }
    };
}

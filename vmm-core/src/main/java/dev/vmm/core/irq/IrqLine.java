package dev.vmm.core.irq;

/** An interrupt request line from a device to an interrupt controller. */
public interface IrqLine {
    /** Drives the line to {@code level} (true = asserted). */
    void set(boolean level);

    default void raise() {
        set(true);
    }

    default void lower() {
        set(false);
    }

    /** An edge: assert then deassert. */
    default void pulse() {
        set(true);
        set(false);
    }

    /** A line connected to nothing. */
    IrqLine NONE = level -> { };
}

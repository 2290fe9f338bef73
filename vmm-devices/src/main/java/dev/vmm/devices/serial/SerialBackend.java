package dev.vmm.devices.serial;

/**
 * The host side of a serial port: where the bytes the guest transmits go, and where the bytes
 * it receives come from.
 *
 * <p>{@link #write(int)} is called on the guest's (vCPU) thread, outside the UART's lock, once
 * per transmitted character; it must not call back into the UART. A backend that has input gets
 * the UART's receiver through {@link #connect(SerialReceiver)} and delivers bytes into it from
 * its own thread(s), respecting {@link SerialReceiver#rxSpace()} if it wants no overruns
 * ({@link HostInput} does that). The creator of a backend owns it and closes it; the UART never
 * does.
 */
public interface SerialBackend extends AutoCloseable {
    /** A character the guest transmitted (the low 8 bits of {@code b}). */
    void write(int b);

    /** Connects the backend's input (if any) to {@code receiver}; called once by the UART. */
    default void connect(SerialReceiver receiver) {
    }

    /** Stops input and releases host resources; writes after close are dropped. */
    @Override
    void close();
}

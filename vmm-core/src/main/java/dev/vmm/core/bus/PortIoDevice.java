package dev.vmm.core.bus;

/**
 * A device on the port I/O bus. {@code port} is the absolute port number; {@code size} is 1, 2 or 4
 * bytes. The defaults model an absent register: reads float high, writes are ignored.
 */
public interface PortIoDevice {
    default int ioRead(int port, int size) {
        return size == 4 ? -1 : (1 << (size * 8)) - 1;
    }

    default void ioWrite(int port, int size, int value) {
    }
}

package dev.vmm.core.bus;

/**
 * A device on the memory-mapped I/O bus. {@code offset} is relative to the start of the region the
 * device was registered at; {@code size} is 1, 2, 4 or 8 bytes. The defaults model an absent
 * register: reads float high, writes are ignored.
 */
public interface MmioDevice {
    default long mmioRead(long offset, int size) {
        return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }

    default void mmioWrite(long offset, int size, long value) {
    }
}

package dev.vmm.devices.serial;

import static dev.vmm.devices.serial.UartRegisters.LSR_OE;

/**
 * The receiver section: the 16-entry FIFO (one entry, the holding register, in 16450 mode) and
 * the line-status error latches. Each entry is a character in bits 0-7 and its error flags
 * (parity, framing, break, in their LSR positions 0x04, 0x08, 0x10) in bits 8-15; a character's
 * flags show in LSR when it reaches the top. LSR bit 7 is latched when an erroneous character
 * enters the FIFO and cleared by an LSR read when none is left. Not thread-safe: the UART guards
 * it.
 */
final class RxFifo {
    static final int CAPACITY = 16;
    static final int ERROR_MASK = 0x1C;

    private final int[] entries = new int[CAPACITY];
    private int head;
    private int count;
    private int errorEntries;
    private int lsrErrors;
    private boolean errorLatch;
    private long overruns;

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Characters lost to overruns. */
    long overruns() {
        return overruns;
    }

    /** The latched OE, PE, FE, BI bits of LSR. */
    int lsrErrors() {
        return lsrErrors;
    }

    /** LSR bit 7 (meaningful in FIFO mode). */
    boolean errorLatch() {
        return errorLatch;
    }

    /**
     * A character (with its flags) arrives from the shift register. A full FIFO overruns: OE is
     * set and the character is lost; in 16450 mode it overwrites the holding register instead.
     * Returns true on an overrun.
     */
    boolean receive(int entry, boolean fifoMode) {
        if (!fifoMode) {
            boolean overrun = count != 0;
            if (overrun) {
                clearEntries();
                lsrErrors |= LSR_OE;
                overruns++;
            }
            push(entry);
            lsrErrors |= flags(entry);
            return overrun;
        }
        if (count == CAPACITY) {
            lsrErrors |= LSR_OE;
            overruns++;
            return true;
        }
        push(entry);
        if (flags(entry) != 0) {
            errorLatch = true;
        }
        if (count == 1) {
            lsrErrors |= flags(entry);
        }
        return false;
    }

    /** The CPU reads RBR: removes the oldest character; the next one's flags show. */
    int read() {
        int e = entries[head];
        head = (head + 1) % CAPACITY;
        count--;
        if (flags(e) != 0) {
            errorEntries--;
        }
        if (count != 0) {
            lsrErrors |= flags(entries[head]);
        }
        return e & 0xFF;
    }

    /** The CPU reads LSR: the error bits clear, and bit 7 if no error is left in the FIFO. */
    void lineStatusRead() {
        lsrErrors = 0;
        if (errorEntries == 0) {
            errorLatch = false;
        }
    }

    /** FIFO reset: the characters go (the error bits they already showed stay until LSR). */
    void clear() {
        clearEntries();
        errorLatch = false;
    }

    private void clearEntries() {
        head = 0;
        count = 0;
        errorEntries = 0;
    }

    private void push(int entry) {
        entries[(head + count) % CAPACITY] = entry;
        count++;
        if (flags(entry) != 0) {
            errorEntries++;
        }
    }

    static int flags(int entry) {
        return (entry >> 8) & ERROR_MASK;
    }

    /** The characters, oldest first. */
    byte[] data() {
        byte[] d = new byte[count];
        for (int i = 0; i < count; i++) {
            d[i] = (byte) entries[(head + i) % CAPACITY];
        }
        return d;
    }

    /** The error flags of each character, oldest first. */
    byte[] errorFlags() {
        byte[] f = new byte[count];
        for (int i = 0; i < count; i++) {
            f[i] = (byte) flags(entries[(head + i) % CAPACITY]);
        }
        return f;
    }

    /** Replaces the whole receiver state (snapshot restore). */
    void load(byte[] data, byte[] flags, int errors, boolean latch) {
        if (data.length > CAPACITY || flags.length != data.length) {
            throw new IllegalArgumentException("RX FIFO state: " + data.length + " characters, "
                    + flags.length + " flag bytes");
        }
        clearEntries();
        for (int i = 0; i < data.length; i++) {
            push((data[i] & 0xFF) | (flags[i] & ERROR_MASK) << 8);
        }
        lsrErrors = errors & (LSR_OE | ERROR_MASK);
        errorLatch = latch;
    }
}

package dev.vmm.devices.ps2;

/** A bounded first-in first-out queue of bytes (a PS/2 device's output buffer). */
final class ByteFifo {
    private final byte[] buf;
    private int head;
    private int count;

    ByteFifo(int capacity) {
        buf = new byte[capacity];
    }

    int size() {
        return count;
    }

    int free() {
        return buf.length - count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Appends {@code b}; false (and nothing stored) when full. */
    boolean add(int b) {
        if (count == buf.length) {
            return false;
        }
        buf[(head + count) % buf.length] = (byte) b;
        count++;
        return true;
    }

    /** Removes and returns the oldest byte, or -1 when empty. */
    int poll() {
        if (count == 0) {
            return -1;
        }
        int b = buf[head] & 0xFF;
        head = (head + 1) % buf.length;
        count--;
        return b;
    }

    void clear() {
        head = 0;
        count = 0;
    }

    /** The queued bytes, oldest first. */
    byte[] toArray() {
        byte[] out = new byte[count];
        for (int i = 0; i < count; i++) {
            out[i] = buf[(head + i) % buf.length];
        }
        return out;
    }

    /** Replaces the contents with {@code bytes} (at most the capacity, oldest first). */
    void set(byte[] bytes) {
        if (bytes.length > buf.length) {
            throw new IllegalArgumentException(
                    "queue state holds " + bytes.length + " bytes, capacity is " + buf.length);
        }
        clear();
        for (byte b : bytes) {
            add(b);
        }
    }
}

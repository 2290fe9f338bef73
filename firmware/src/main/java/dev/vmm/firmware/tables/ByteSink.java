package dev.vmm.firmware.tables;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer for building firmware tables. Not thread-safe. */
final class ByteSink {
    private byte[] buf = new byte[256];
    private int len;

    int size() {
        return len;
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
        }
    }

    ByteSink u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
        return this;
    }

    ByteSink u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    ByteSink u32(long v) {
        return u16((int) v).u16((int) (v >>> 16));
    }

    ByteSink u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    ByteSink bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    /** ASCII text padded with spaces (or cut) to exactly {@code width} bytes. */
    ByteSink ascii(String s, int width) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < width; i++) {
            u8(i < b.length ? b[i] : ' ');
        }
        return this;
    }

    ByteSink zeros(int n) {
        ensure(n);
        len += n;
        return this;
    }

    /** Pads with zeros to a multiple of {@code align} bytes. */
    ByteSink align(int align) {
        return zeros((align - len % align) % align);
    }

    void put8(int offset, int v) {
        buf[offset] = (byte) v;
    }

    void put16(int offset, int v) {
        put8(offset, v);
        put8(offset + 1, v >>> 8);
    }

    void put32(int offset, long v) {
        put16(offset, (int) v);
        put16(offset + 2, (int) (v >>> 16));
    }

    byte[] toArray() {
        return Arrays.copyOf(buf, len);
    }

    /** The byte that makes {@code b[from..from+n)} sum to zero modulo 256, given its current byte at {@code at} is 0. */
    static int checksum(byte[] b, int from, int n) {
        int sum = 0;
        for (int i = from; i < from + n; i++) {
            sum += b[i];
        }
        return -sum & 0xFF;
    }

    /** Sum of {@code b[from..from+n)} modulo 256 (0 for a valid table). */
    static int sum(byte[] b, int from, int n) {
        int sum = 0;
        for (int i = from; i < from + n; i++) {
            sum += b[i];
        }
        return sum & 0xFF;
    }
}

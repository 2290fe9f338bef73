package dev.vmm.core.snapshot;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds a section payload: little-endian unsigned integers, raw bytes and length-prefixed UTF-8
 * strings, appended to a growable in-memory buffer.
 */
public final class SectionOutput {
    private byte[] buf = new byte[256];
    private int n;

    private void ensure(int more) {
        if (n + more > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) n + more);
            if (want > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("section payload over 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) want);
        }
    }

    public SectionOutput u8(int v) {
        ensure(1);
        buf[n++] = (byte) v;
        return this;
    }

    public SectionOutput bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    public SectionOutput u16(int v) {
        ensure(2);
        buf[n++] = (byte) v;
        buf[n++] = (byte) (v >>> 8);
        return this;
    }

    public SectionOutput u32(long v) {
        ensure(4);
        for (int k = 0; k < 4; k++) {
            buf[n++] = (byte) (v >>> (8 * k));
        }
        return this;
    }

    public SectionOutput u64(long v) {
        ensure(8);
        for (int k = 0; k < 8; k++) {
            buf[n++] = (byte) (v >>> (8 * k));
        }
        return this;
    }

    public SectionOutput bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    public SectionOutput bytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, n, len);
        n += len;
        return this;
    }

    /** A UTF-8 string: u32 byte length, then the bytes. */
    public SectionOutput utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u32(b.length);
        return bytes(b);
    }

    /** Bytes written so far. */
    public int size() {
        return n;
    }

    /** The payload buffer; valid bytes are [0, {@link #size()}). */
    public byte[] buffer() {
        return buf;
    }
}

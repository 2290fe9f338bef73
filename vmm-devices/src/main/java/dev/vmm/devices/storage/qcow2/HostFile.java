package dev.vmm.devices.storage.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positional reads and writes on the image file that either complete or throw. */
final class HostFile {
    private HostFile() {
    }

    /**
     * Reads exactly {@code dst.remaining()} bytes at {@code offset}; the end of the file is an
     * error naming {@code what} as truncated.
     */
    static void readFully(FileChannel ch, long offset, ByteBuffer dst, String where, String what)
            throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new IOException(where + ": " + what + " at byte " + offset
                        + " lies beyond the end of the file (truncated)");
            }
            pos += n;
        }
    }

    /** Reads up to {@code dst.remaining()} bytes; what lies past the end of the file reads 0. */
    static void readZeroPadded(FileChannel ch, long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }

    static void writeFully(FileChannel ch, long offset, ByteBuffer src) throws IOException {
        long pos = offset;
        while (src.hasRemaining()) {
            pos += ch.write(src, pos);
        }
    }

    static void writeFully(FileChannel ch, long offset, byte[] src) throws IOException {
        writeFully(ch, offset, ByteBuffer.wrap(src));
    }

    /** Big-endian 64-bit values as bytes. */
    static byte[] longs(long[] values, int from, int count) {
        ByteBuffer b = ByteBuffer.allocate(count * 8);
        for (int i = 0; i < count; i++) {
            b.putLong(values[from + i]);
        }
        return b.array();
    }

    static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}

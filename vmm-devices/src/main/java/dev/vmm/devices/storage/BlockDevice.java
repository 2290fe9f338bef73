package dev.vmm.devices.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A disk or CD image as the storage controllers see it: a run of bytes addressed by byte offset,
 * with a sector size for the drive's geometry (512 for disks, 2048 for CDs).
 *
 * <p>Reads and writes must lie inside {@link #sizeBytes()}; a device that {@link #readOnly()}
 * refuses every write with an {@link IOException}. Host failures come out as
 * {@link IOException}; the drive turns them into the guest's error bits.
 */
public interface BlockDevice extends Closeable {
    /** Bytes per sector: 512 for a disk, 2048 for a CD. */
    int sectorSize();

    /** The capacity in bytes (a multiple of {@link #sectorSize()}). */
    long sizeBytes();

    /** The capacity in sectors. */
    default long sectors() {
        return sizeBytes() / sectorSize();
    }

    /** A short name for messages (the file name). */
    String name();

    /** Fills {@code dst} from its position to its limit with the bytes at {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes {@code src} from its position to its limit at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    default void read(long offset, byte[] dst, int off, int len) throws IOException {
        read(offset, ByteBuffer.wrap(dst, off, len));
    }

    default void read(long offset, byte[] dst) throws IOException {
        read(offset, dst, 0, dst.length);
    }

    default void write(long offset, byte[] src, int off, int len) throws IOException {
        write(offset, ByteBuffer.wrap(src, off, len));
    }

    default void write(long offset, byte[] src) throws IOException {
        write(offset, src, 0, src.length);
    }

    /** Makes written data durable on the host (no-op where nothing reaches the file). */
    void flush() throws IOException;

    /** True if every write is refused. */
    boolean readOnly();

    @Override
    void close() throws IOException;
}

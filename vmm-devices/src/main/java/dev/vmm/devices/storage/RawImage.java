package dev.vmm.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * A raw disk image: the guest's sectors are the file's bytes, in order.
 *
 * <p>Three modes: {@link Mode#READ_WRITE} writes through to the file (which is locked against a
 * second writer), {@link Mode#READ_ONLY} refuses writes (the drive reports an error to the guest),
 * {@link Mode#COPY_ON_WRITE} keeps the guest's writes in a {@link CowOverlay} in host memory and
 * never modifies the file.
 *
 * <p>Entry points are synchronized: the drive's vCPU thread and a host thread (flush at shutdown,
 * snapshot) may use one image.
 */
public final class RawImage implements BlockDevice {
    /** How the guest's writes reach the file. */
    public enum Mode {
        READ_WRITE, READ_ONLY, COPY_ON_WRITE
    }

    private final Path path;
    private final Mode mode;
    private final int sectorSize;
    private final FileChannel channel;
    private final FileLock lock;
    private final long size;
    private final CowOverlay overlay;
    private boolean closed;

    private RawImage(Path path, Mode mode, int sectorSize, FileChannel channel, FileLock lock,
                     long size) {
        this.path = path;
        this.mode = mode;
        this.sectorSize = sectorSize;
        this.channel = channel;
        this.lock = lock;
        this.size = size;
        this.overlay = mode == Mode.COPY_ON_WRITE ? new CowOverlay(size, this::readFile) : null;
    }

    /** Opens {@code file} as a disk of 512-byte sectors. */
    public static RawImage open(Path file, Mode mode) throws IOException {
        return open(file, mode, 512, "disk image");
    }

    /**
     * Opens {@code file}; {@code what} names the kind of image in messages. The file must exist,
     * be a readable regular file (writable too for {@link Mode#READ_WRITE}) and hold a whole,
     * non-zero number of sectors.
     */
    static RawImage open(Path file, Mode mode, int sectorSize, String what) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException(what + " " + file + ": no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException(what + " " + file + ": not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new IOException(what + " " + file + ": not readable (permission denied)");
        }
        boolean write = mode == Mode.READ_WRITE;
        if (write && !Files.isWritable(file)) {
            throw new IOException(what + " " + file
                    + ": not writable (open it read-only or copy-on-write)");
        }
        FileChannel ch = write
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size == 0) {
                throw new IOException(what + " " + file + ": the file is empty");
            }
            if (size % sectorSize != 0) {
                throw new IOException(String.format(
                        "%s %s: size %d bytes is not a multiple of %d-byte sectors", what, file,
                        size, sectorSize));
            }
            FileLock lock = write ? lockForWriting(ch, file, what) : null;
            return new RawImage(file, mode, sectorSize, ch, lock, size);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static FileLock lockForWriting(FileChannel ch, Path file, String what)
            throws IOException {
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            throw new IOException(what + " " + file
                    + ": already opened for writing by another VM or process");
        }
        return l;
    }

    public Path path() {
        return path;
    }

    public Mode mode() {
        return mode;
    }

    /** The copy-on-write overlay, present in {@link Mode#COPY_ON_WRITE}. */
    public Optional<CowOverlay> overlay() {
        return Optional.ofNullable(overlay);
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public long sizeBytes() {
        return size;
    }

    @Override
    public String name() {
        return path.getFileName().toString();
    }

    @Override
    public boolean readOnly() {
        return mode == Mode.READ_ONLY;
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining());
        if (overlay != null) {
            overlay.read(offset, dst);
        } else {
            readFile(offset, dst);
        }
    }

    /** Reads from the file; bytes past its current end (truncated behind our back) read 0. */
    private void readFile(long offset, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst, offset);
            if (n < 0) {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            offset += n;
        }
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) throws IOException {
        check(offset, src.remaining());
        switch (mode) {
            case READ_ONLY -> throw new IOException(what() + " " + path + " is read-only");
            case COPY_ON_WRITE -> overlay.write(offset, src);
            case READ_WRITE -> {
                while (src.hasRemaining()) {
                    offset += channel.write(src, offset);
                }
            }
        }
    }

    private String what() {
        return sectorSize == 512 ? "disk image" : "CD image";
    }

    private void check(long offset, int len) throws IOException {
        if (closed) {
            throw new IOException(what() + " " + path + " is closed");
        }
        if (offset < 0 || offset > size - len) {
            throw new IOException(String.format("%s %s: access of %d bytes at %d beyond the end (%d)",
                    what(), path, len, offset, size));
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        if (mode == Mode.READ_WRITE && !closed) {
            channel.force(false);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (mode == Mode.READ_WRITE) {
                channel.force(false);
            }
            if (lock != null) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return what() + " " + path + " (" + mode + ", " + size + " bytes)";
    }
}

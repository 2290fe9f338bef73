package dev.vmm.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Any disk image made writable in host memory: the guest's writes go to a {@link CowOverlay}
 * and the image underneath (opened read-only) is never modified. This is the copy-on-write mode
 * of the formats other than raw ({@link RawImage} has it built in).
 */
public final class CopyOnWriteDisk implements BlockDevice {
    private final BlockDevice base;
    private final CowOverlay overlay;
    private boolean closed;

    /** Wraps {@code base}, which this disk owns and closes. */
    public CopyOnWriteDisk(BlockDevice base) {
        this.base = base;
        this.overlay = new CowOverlay(base.sizeBytes(), base::read);
    }

    /** The image underneath. */
    public BlockDevice base() {
        return base;
    }

    /** The clusters written so far. */
    public CowOverlay overlay() {
        return overlay;
    }

    @Override
    public int sectorSize() {
        return base.sectorSize();
    }

    @Override
    public long sizeBytes() {
        return base.sizeBytes();
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining());
        overlay.read(offset, dst);
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) throws IOException {
        check(offset, src.remaining());
        overlay.write(offset, src);
    }

    private void check(long offset, int len) throws IOException {
        if (closed) {
            throw new IOException(name() + " is closed");
        }
        if (offset < 0 || offset > sizeBytes() - len) {
            throw new IOException(name() + ": access of " + len + " bytes at " + offset
                    + " beyond the end (" + sizeBytes() + ")");
        }
    }

    @Override
    public void flush() {
        // nothing reaches a file
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            base.close();
        }
    }

    @Override
    public String toString() {
        return "copy-on-write " + base;
    }
}

package dev.vmm.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A drive's medium that the host can replace between two guest instructions: a snapshot switches
 * a running disk to a copy-on-write overlay this way. The drive and the BIOS's disk services hold
 * this object, so both see the switch at once. The replacement has the same sector size and
 * capacity; the name (which the drive's serial number is derived from) stays the one given at
 * construction, so the guest sees the same disk.
 */
public final class SwappableDisk implements BlockDevice {
    private final String name;
    private volatile BlockDevice current;

    public SwappableDisk(BlockDevice initial) {
        this(initial, initial.name());
    }

    public SwappableDisk(BlockDevice initial, String name) {
        this.current = initial;
        this.name = name;
    }

    /** The device the guest's accesses go to now. */
    public BlockDevice current() {
        return current;
    }

    /**
     * Puts {@code next} in place of the current device (at an instruction boundary: the caller
     * holds the vCPU) and returns the old one, which the caller now owns.
     */
    public synchronized BlockDevice swap(BlockDevice next) {
        BlockDevice old = current;
        if (next.sectorSize() != old.sectorSize() || next.sizeBytes() != old.sizeBytes()) {
            throw new IllegalArgumentException("cannot replace " + old.name() + " (" + old.sizeBytes()
                    + " bytes) by " + next.name() + " (" + next.sizeBytes() + " bytes)");
        }
        current = next;
        return old;
    }

    @Override
    public int sectorSize() {
        return current.sectorSize();
    }

    @Override
    public long sizeBytes() {
        return current.sizeBytes();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        current.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        current.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        current.flush();
    }

    @Override
    public boolean readOnly() {
        return current.readOnly();
    }

    /** Closes the current device (which closes the images under an overlay). */
    @Override
    public void close() throws IOException {
        current.close();
    }

    @Override
    public String toString() {
        return "SwappableDisk[" + current + "]";
    }
}

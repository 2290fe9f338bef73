package dev.vmm.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** A CD/DVD image (ISO 9660 or any raw 2048-byte-sector file), always read-only. */
public final class IsoImage implements BlockDevice {
    /** Bytes per CD sector. */
    public static final int SECTOR_SIZE = 2048;

    private final RawImage raw;

    private IsoImage(RawImage raw) {
        this.raw = raw;
    }

    /** Opens {@code file}; its size must be a non-zero multiple of 2048 bytes. */
    public static IsoImage open(Path file) throws IOException {
        return new IsoImage(RawImage.open(file, RawImage.Mode.READ_ONLY, SECTOR_SIZE, "CD image"));
    }

    public Path path() {
        return raw.path();
    }

    @Override
    public int sectorSize() {
        return SECTOR_SIZE;
    }

    @Override
    public long sizeBytes() {
        return raw.sizeBytes();
    }

    @Override
    public String name() {
        return raw.name();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        raw.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        raw.write(offset, src);
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public void close() throws IOException {
        raw.close();
    }

    @Override
    public String toString() {
        return raw.toString();
    }
}

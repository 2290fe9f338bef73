package dev.vmm.devices.ide;

import dev.vmm.devices.storage.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/** An image whose host reads fail on one bad sector, as a dying host disk would. */
final class FailingImage implements BlockDevice {
    private final BlockDevice base;
    private final long badSector;

    FailingImage(BlockDevice base, long badSector) {
        this.base = base;
        this.badSector = badSector;
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
        return "failing " + base.name();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long first = offset / sectorSize();
        long last = (offset + dst.remaining() - 1) / sectorSize();
        if (badSector >= first && badSector <= last) {
            throw new IOException("Input/output error");
        }
        base.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        base.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        base.flush();
    }

    @Override
    public boolean readOnly() {
        return base.readOnly();
    }

    @Override
    public void close() throws IOException {
        base.close();
    }
}

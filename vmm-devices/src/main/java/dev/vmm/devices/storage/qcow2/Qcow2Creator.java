package dev.vmm.devices.storage.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a new, empty version 3 qcow2 image the way {@code qemu-img create} lays it out: the
 * header cluster (with the backing file format extension and the backing file name), the
 * refcount table, the refcount blocks covering these metadata clusters, the L1 table. Refcount
 * order 4 (16-bit refcounts), zlib compression type, no features.
 */
final class Qcow2Creator {
    private Qcow2Creator() {
    }

    static void create(Path file, long size, Qcow2Image.CreateOptions o) throws IOException {
        int cb = o.clusterBits();
        if (cb < 9 || cb > 21) {
            throw new IOException("qcow2 cluster size 2^" + cb + ": must be 512 bytes to 2 MiB");
        }
        if (size <= 0 || size % 512 != 0) {
            throw new IOException("qcow2 virtual size " + size
                    + ": must be a positive multiple of 512");
        }
        if (o.backingFormat() != null && !o.backingFormat().equals("raw")
                && !o.backingFormat().equals("qcow2")) {
            throw new IOException("backing format " + o.backingFormat()
                    + ": only raw and qcow2 are supported");
        }
        if (o.backingFile() == null && o.backingFormat() != null) {
            throw new IOException("a backing format without a backing file");
        }
        int cs = 1 << cb;
        long l1Size = Qcow2Header.ceilDiv(Qcow2Header.ceilDiv(size, cs), cs / 8);
        if (l1Size * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw new IOException("qcow2 virtual size " + size + " is too large for " + cs
                    + "-byte clusters");
        }
        long l1Clusters = Math.max(1, Qcow2Header.ceilDiv(l1Size * 8, cs));
        long perBlock = cs * 8L / 16;
        long tableClusters = 1;
        long blockCount = 1;
        while (true) {
            long metadata = 1 + tableClusters + blockCount + l1Clusters;
            long b = Qcow2Header.ceilDiv(metadata, perBlock);
            long t = Qcow2Header.ceilDiv(b * 8, cs);
            if (b == blockCount && t == tableClusters) {
                break;
            }
            blockCount = Math.max(b, blockCount);
            tableClusters = Math.max(t, tableClusters);
        }
        long tableOffset = cs;
        long blocksOffset = (1 + tableClusters) * cs;
        long l1Offset = blocksOffset + blockCount * cs;
        long metadata = 1 + tableClusters + blockCount + l1Clusters;
        byte[] headerCluster = Qcow2Header.encodeV3(cb, size, (int) l1Size, l1Offset, tableOffset,
                (int) tableClusters, o.backingFile(), o.backingFormat());

        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                HostFile.writeFully(ch, 0, headerCluster);
                ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * cs));
                for (long i = 0; i < blockCount; i++) {
                    table.putLong(blocksOffset + i * cs);
                }
                HostFile.writeFully(ch, tableOffset, table.array());
                for (long i = 0; i < blockCount; i++) {
                    ByteBuffer block = ByteBuffer.allocate(cs);
                    for (long c = i * perBlock; c < Math.min(metadata, (i + 1) * perBlock); c++) {
                        block.putShort((int) (c - i * perBlock) * 2, (short) 1);
                    }
                    HostFile.writeFully(ch, blocksOffset + i * cs, block.array());
                }
                HostFile.writeFully(ch, l1Offset, new byte[(int) (l1Clusters * cs)]);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}

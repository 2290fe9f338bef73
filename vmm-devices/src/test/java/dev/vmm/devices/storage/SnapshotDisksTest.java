package dev.vmm.devices.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.formats.DiskImages;
import dev.vmm.devices.storage.qcow2.Qcow2Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Freezing disks at snapshot time; qemu-img is the oracle for the qcow2 files written. */
class SnapshotDisksTest {
    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    private Path base() throws Exception {
        Path f = dir.resolve("base.img");
        byte[] b = new byte[SIZE];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i / 512);
        }
        Files.write(f, b);
        return f;
    }

    private static byte[] all(BlockDevice d) throws Exception {
        byte[] b = new byte[(int) d.sizeBytes()];
        d.read(0, b);
        return b;
    }

    @Test
    void aCopyOnWriteDiskWritesItsDeltaBesideTheSnapshotAndGoesOnInMemory() throws Exception {
        Path base = base();
        byte[] baseBytes = Files.readAllBytes(base);
        Path delta = dir.resolve("s.vmmsnap.ide0.0.qcow2");
        try (SwappableDisk disk = new SwappableDisk(RawImage.open(base, RawImage.Mode.COPY_ON_WRITE))) {
            disk.write(70_000, new byte[] {1, 2, 3});
            disk.write(SIZE - 512, new byte[512]);
            byte[] atSave = all(disk);
            BlockDevice before = disk.current();
            assertEquals(delta.toAbsolutePath(), SnapshotDisks.freeze(disk, delta, dir.resolve("after.qcow2")));
            assertTrue(before == disk.current(), "the guest goes on with its in-memory disk");
            disk.write(0, new byte[] {9});                          // after the snapshot
            try (BlockDevice frozen = DiskImages.openReadOnly(delta)) {
                assertArrayEquals(atSave, all(frozen), "the delta and its backing file are the disk at the save");
            }
            assertTrue(Files.notExists(dir.resolve("after.qcow2")));
        }
        assertArrayEquals(baseBytes, Files.readAllBytes(base), "the base image is never written");
        List<SnapshotDisks.ImageFile> chain = SnapshotDisks.describe(delta);
        assertEquals(List.of(delta.toAbsolutePath().toString(), base.toAbsolutePath().toString()),
                chain.stream().map(SnapshotDisks.ImageFile::path).toList());
        assertEquals(SnapshotDisks.sha256(base), chain.get(1).sha256());
        assertNull(SnapshotDisks.check(chain));

        QemuTools.assumeInstalled();
        QemuTools.run("qemu-img", "check", delta.toString());
        String info = QemuTools.run("qemu-img", "info", delta.toString());
        assertTrue(info.contains("backing file: base.img"), info);
    }

    @Test
    void aWrittenThroughDiskSwitchesToAnOverlayAndItsImageIsFrozen() throws Exception {
        Path base = base();
        Path after = dir.resolve("s.vmmsnap.ide0.0.after.qcow2");
        try (SwappableDisk disk = new SwappableDisk(RawImage.open(base, RawImage.Mode.READ_WRITE))) {
            disk.write(4096, new byte[] {7, 7});
            byte[] atSave = all(disk);
            BlockDevice before = disk.current();
            assertEquals(base.toAbsolutePath(), SnapshotDisks.freeze(disk, dir.resolve("delta.qcow2"), after));
            assertNotSame(before, disk.current());
            assertTrue(disk.current() instanceof Qcow2Image);
            String sha = SnapshotDisks.sha256(base);
            disk.write(0, new byte[] {5, 5, 5});
            disk.flush();
            assertEquals(sha, SnapshotDisks.sha256(base), "writes after the snapshot go to the overlay");
            assertArrayEquals(atSave, Files.readAllBytes(base));
            assertEquals(5, all(disk)[0]);
        }
        QemuTools.assumeInstalled();
        QemuTools.run("qemu-img", "check", after.toString());
        assertTrue(QemuTools.run("qemu-img", "info", after.toString()).contains("backing file: base.img"));
    }

    @Test
    void aChangedOrMissingImageIsNamed() throws Exception {
        Path base = base();
        List<SnapshotDisks.ImageFile> chain = SnapshotDisks.describe(base);
        assertNull(SnapshotDisks.check(chain));
        byte[] b = Files.readAllBytes(base);
        b[100] ^= 1;
        Files.write(base, b);
        assertEquals("disk image " + base.toAbsolutePath() + " changed since the snapshot (its SHA-256 differs)",
                SnapshotDisks.check(chain));
        Files.write(base, new byte[512]);
        assertEquals("disk image " + base.toAbsolutePath() + " changed since the snapshot (512 bytes, the snapshot "
                + "says " + SIZE + ")", SnapshotDisks.check(chain));
        Files.delete(base);
        assertEquals("disk image " + base.toAbsolutePath() + " is missing", SnapshotDisks.check(chain));
    }

    /**
     * A file recorded with its identity passes the check without being hashed again while the identity
     * holds; rewriting it, even with the same size and the modification time set back, changes its
     * status-change time, so it is hashed and the change found.
     */
    @Test
    void theQuickCheckByIdentityStillSeesARewrittenFile() throws Exception {
        Path base = base();
        SnapshotDisks.ImageFile racy = SnapshotDisks.describeFile(base);
        assertEquals("", racy.stat(), "just written: no identity recorded");
        SnapshotDisks.ImageFile f = SnapshotDisks.describeFile(base, 0);
        assertEquals(SnapshotDisks.stat(base.toAbsolutePath()), f.stat());
        assertTrue(f.stat().split(":").length == 4, f.stat());
        assertNull(SnapshotDisks.check(List.of(f)));
        FileTime mtime = Files.getLastModifiedTime(base);
        byte[] b = Files.readAllBytes(base);
        b[7] ^= 1;
        Files.write(base, b);
        Files.setLastModifiedTime(base, mtime);
        assertEquals(mtime, Files.getLastModifiedTime(base));
        assertEquals("disk image " + base.toAbsolutePath() + " changed since the snapshot (its SHA-256 differs)",
                SnapshotDisks.check(List.of(f)));
    }
}

package dev.vmm.devices.storage.qcow2;

import static dev.vmm.devices.storage.qcow2.Qcow2ImageTest.assertQemuAgrees;
import static dev.vmm.devices.storage.qcow2.Qcow2ImageTest.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.QemuTools;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Switching a running disk to a qcow2 overlay: the base is frozen, qemu-img agrees. */
class Qcow2OverlayTest {
    @TempDir
    Path dir;

    private static final int SIZE = 3 << 20;

    private Path base() throws IOException {
        byte[] b = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            b[i] = (byte) (i % 251);
        }
        Path p = dir.resolve("base.raw");
        Files.write(p, b);
        return p;
    }

    private static void write(BlockDevice d, byte[] model, long off, int len, int value)
            throws IOException {
        byte[] w = new byte[len];
        Arrays.fill(w, (byte) value);
        d.write(off, w);
        System.arraycopy(w, 0, model, (int) off, len);
    }

    @Test
    void aWritableRawDiskMovesToAnOverlayAndStopsChanging() throws IOException {
        Path basePath = base();
        byte[] model = Files.readAllBytes(basePath);
        Path ov = dir.resolve("snap1.qcow2");
        RawImage raw = RawImage.open(basePath, RawImage.Mode.READ_WRITE);
        write(raw, model, 1000, 5000, 0x10); // before the switch: into the base itself
        byte[] frozen = model.clone();
        try (Qcow2Image disk = Qcow2Overlay.create(raw, ov)) {
            assertEquals(SIZE, disk.sizeBytes());
            assertEquals("base.raw", disk.header().backingFile());
            assertEquals("raw", disk.header().backingFormat());
            assertArrayEquals(model, readAll(disk));
            write(disk, model, 0, 512, 0x20);
            write(disk, model, 70000, 200_000, 0x30);
            write(disk, model, SIZE - 512, 512, 0x40);
            assertArrayEquals(model, readAll(disk));
            // the base file still holds what it held at the switch
            assertArrayEquals(frozen, Files.readAllBytes(basePath));
        }
        assertArrayEquals(frozen, Files.readAllBytes(basePath));
        try (Qcow2Image again = Qcow2Image.open(ov, false)) {
            assertArrayEquals(model, readAll(again));
        }
        QemuTools.assumeInstalled();
        String info = QemuTools.run("qemu-img", "info", ov.toString());
        assertTrue(info.contains("backing file: base.raw"), info);
        assertTrue(info.contains("backing file format: raw"), info);
        assertQemuAgrees(ov, model, dir);
    }

    @Test
    void copyOnWriteMemoryGoesIntoTheOverlayAndOverlaysChain() throws IOException {
        Path basePath = base();
        byte[] original = Files.readAllBytes(basePath);
        byte[] model = original.clone();
        RawImage cow = RawImage.open(basePath, RawImage.Mode.COPY_ON_WRITE);
        write(cow, model, 65536 * 3 + 7, 100, 0x55); // only in memory
        Path ov1 = dir.resolve("ov1.qcow2");
        Path ov2 = dir.resolve("sub/ov2.qcow2");
        Files.createDirectories(ov2.getParent());
        Qcow2Image first = Qcow2Overlay.create(cow, ov1);
        write(first, model, 0, 70000, 0x66);
        try (Qcow2Image second = Qcow2Overlay.create(first, ov2)) {
            // a different directory: the backing name is absolute
            assertEquals(ov1.toAbsolutePath().toString(), second.header().backingFile());
            assertEquals("qcow2", second.header().backingFormat());
            write(second, model, 60000, 10000, 0x77);
            assertArrayEquals(model, readAll(second));
        }
        assertArrayEquals(original, Files.readAllBytes(basePath));
        try (Qcow2Image reopened = Qcow2Image.open(ov2, false)) {
            assertArrayEquals(model, readAll(reopened));
        }
        QemuTools.assumeInstalled();
        String chain = QemuTools.run("qemu-img", "info", "--backing-chain", ov2.toString());
        assertTrue(chain.contains("image: " + ov1.toAbsolutePath()), chain);
        assertTrue(chain.contains("backing file: base.raw"), chain);
        assertQemuAgrees(ov2, model, dir);
        assertQemuAgrees(ov1, Arrays.copyOf(readBack(ov1), SIZE), dir);
    }

    private static byte[] readBack(Path p) throws IOException {
        try (Qcow2Image img = Qcow2Image.open(p, false)) {
            return readAll(img);
        }
    }

    @Test
    void refusesWhatCannotBeABackingFileAndExistingTargets() throws IOException {
        Path basePath = base();
        try (RawImage raw = RawImage.open(basePath, RawImage.Mode.READ_ONLY)) {
            Path existing = dir.resolve("exists.qcow2");
            Files.write(existing, new byte[] {1});
            IOException e = assertThrows(IOException.class,
                    () -> Qcow2Overlay.create(raw, existing));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
            e = assertThrows(IOException.class, () -> Qcow2Overlay.create(raw, basePath));
            assertTrue(e.getMessage().contains("is the base image itself"), e.getMessage());
            assertArrayEquals(new byte[] {1}, Files.readAllBytes(existing));
        }
        try (var iso = dev.vmm.devices.storage.IsoImage.open(writeIso())) {
            Path ov = dir.resolve("iso.qcow2");
            IOException e = assertThrows(IOException.class, () -> Qcow2Overlay.create(iso, ov));
            assertTrue(e.getMessage().contains("only raw and qcow2 images"), e.getMessage());
            assertFalse(Files.exists(ov));
        }
    }

    private Path writeIso() throws IOException {
        Path p = dir.resolve("cd.iso");
        Files.write(p, new byte[2048 * 20]);
        return p;
    }
}

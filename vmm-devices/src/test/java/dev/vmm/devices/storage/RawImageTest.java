package dev.vmm.devices.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw and ISO images: modes, the copy-on-write overlay, and clear refusals of bad files. */
class RawImageTest {
    @TempDir
    Path dir;

    private Path file(String name, int bytes) throws IOException {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (i * 3 + i / 512);
        }
        Path p = dir.resolve(name);
        Files.write(p, b);
        return p;
    }

    private static IOException refused(Path p, RawImage.Mode mode) {
        return assertThrows(IOException.class, () -> RawImage.open(p, mode).close());
    }

    @Test
    void badFilesAreRefusedWithTheirName() throws IOException {
        Path missing = dir.resolve("missing.img");
        IOException e = refused(missing, RawImage.Mode.READ_ONLY);
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());

        Path odd = file("odd.img", 1000);
        e = refused(odd, RawImage.Mode.READ_WRITE);
        assertTrue(e.getMessage().contains(odd.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("1000 bytes is not a multiple of 512"), e.getMessage());

        e = refused(file("empty.img", 0), RawImage.Mode.READ_ONLY);
        assertTrue(e.getMessage().contains("empty"), e.getMessage());

        e = refused(dir, RawImage.Mode.READ_ONLY);
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());

        Path iso = file("short.iso", 3 * 512);
        e = assertThrows(IOException.class, () -> IsoImage.open(iso));
        assertTrue(e.getMessage().contains("CD image " + iso), e.getMessage());
        assertTrue(e.getMessage().contains("2048"), e.getMessage());
    }

    @Test
    void unreadableFileIsRefused() throws IOException {
        Path p = file("locked.img", 1024);
        assertTrue(p.toFile().setReadable(false));
        try {
            if (Files.isReadable(p)) {
                return;                                     // running as root: nothing to test
            }
            IOException e = refused(p, RawImage.Mode.READ_ONLY);
            assertTrue(e.getMessage().contains("not readable"), e.getMessage());
        } finally {
            assertTrue(p.toFile().setReadable(true));
        }
    }

    @Test
    void readWriteReachesTheFileAndLocksIt() throws IOException {
        Path p = file("rw.img", 4096);
        try (RawImage img = RawImage.open(p, RawImage.Mode.READ_WRITE)) {
            assertEquals(4096, img.sizeBytes());
            assertEquals(8, img.sectors());
            assertFalse(img.readOnly());
            img.write(1000, new byte[] {1, 2, 3});
            img.flush();
            byte[] b = new byte[3];
            img.read(1000, b);
            assertArrayEquals(new byte[] {1, 2, 3}, b);
            IOException e = refused(p, RawImage.Mode.READ_WRITE);
            assertTrue(e.getMessage().contains("already opened for writing"), e.getMessage());
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOfRange(Files.readAllBytes(p), 1000, 1003));
        RawImage.open(p, RawImage.Mode.READ_WRITE).close();  // the lock went with the close
    }

    @Test
    void readOnlyRefusesWrites() throws IOException {
        Path p = file("ro.img", 2048);
        byte[] before = Files.readAllBytes(p);
        try (RawImage img = RawImage.open(p, RawImage.Mode.READ_ONLY)) {
            assertTrue(img.readOnly());
            IOException e = assertThrows(IOException.class, () -> img.write(0, new byte[512]));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
        }
        assertArrayEquals(before, Files.readAllBytes(p));
    }

    @Test
    void accessesPastTheEndAreRefused() throws IOException {
        try (RawImage img = RawImage.open(file("end.img", 1024), RawImage.Mode.READ_ONLY)) {
            assertThrows(IOException.class, () -> img.read(1000, new byte[25]));
            assertThrows(IOException.class, () -> img.read(-1, new byte[1]));
            img.read(1000, new byte[24]);
        }
    }

    @Test
    void copyOnWriteMergesClustersAndLeavesTheFile() throws IOException {
        int size = 3 * CowOverlay.CLUSTER_SIZE + 4096;      // a partial last cluster
        Path p = file("cow.img", size);
        byte[] before = Files.readAllBytes(p);
        try (RawImage img = RawImage.open(p, RawImage.Mode.COPY_ON_WRITE)) {
            assertFalse(img.readOnly());
            CowOverlay o = img.overlay().orElseThrow();
            byte[] w = new byte[1000];
            Arrays.fill(w, (byte) 0xEE);
            long at = CowOverlay.CLUSTER_SIZE - 500;        // straddles clusters 0 and 1
            img.write(at, w);
            img.write(size - 10, new byte[10]);             // into the partial last cluster
            assertEquals(3, o.clusterCount());
            assertArrayEquals(new long[] {0, 1, 3}, o.clusterIndices());
            byte[] expect = before.clone();
            System.arraycopy(w, 0, expect, (int) at, w.length);
            Arrays.fill(expect, size - 10, size, (byte) 0);
            byte[] all = new byte[size];
            img.read(0, ByteBuffer.wrap(all));
            assertArrayEquals(expect, all, "guest sees base + overlay");
            assertNull(o.cluster(2));
            // save the overlay, drop it, put it back
            byte[] c1 = o.cluster(1);
            o.clear();
            img.read(0, all);
            assertArrayEquals(before, all);
            o.putCluster(1, c1);
            byte[] part = new byte[500];
            img.read(CowOverlay.CLUSTER_SIZE, part);
            assertArrayEquals(Arrays.copyOf(w, 500), part);
        }
        assertArrayEquals(before, Files.readAllBytes(p), "the file is never modified");
    }

    @Test
    void isoHas2048ByteSectorsAndIsReadOnly() throws IOException {
        try (IsoImage iso = IsoImage.open(file("cd.iso", 8 * 2048))) {
            assertEquals(2048, iso.sectorSize());
            assertEquals(8, iso.sectors());
            assertTrue(iso.readOnly());
            assertThrows(IOException.class, () -> iso.write(0, new byte[2048]));
            assertEquals("cd.iso", iso.name());
        }
    }
}

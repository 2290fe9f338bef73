package dev.vmm.devices.storage.qcow2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.QemuTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images written by {@link Qcow2Image}: read back by itself, and accepted by qemu-img (info,
 * check without errors or leaks, convert back to raw equal to what was written).
 */
class Qcow2ImageTest {
    @TempDir
    Path dir;

    /** A guest disk model: every write goes to the image and to this array. */
    static final class Model {
        final byte[] bytes;
        final Qcow2Image img;

        Model(Qcow2Image img, byte[] initial) {
            this.img = img;
            this.bytes = initial;
        }

        void write(long off, byte[] data) throws IOException {
            img.write(off, data);
            System.arraycopy(data, 0, bytes, (int) off, data.length);
        }

        void fill(long off, int len, int seed) throws IOException {
            byte[] d = new byte[len];
            for (int i = 0; i < len; i++) {
                d[i] = (byte) (seed * 31 + i * 7 + (i >>> 9));
            }
            write(off, d);
        }
    }

    static byte[] readAll(dev.vmm.devices.storage.BlockDevice d) throws IOException {
        byte[] out = new byte[(int) d.sizeBytes()];
        int off = 0;
        while (off < out.length) {
            int n = Math.min(out.length - off, 100_003);
            d.read(off, out, off, n);
            off += n;
        }
        return out;
    }

    static void assertQemuAgrees(Path img, byte[] expected, Path dir) throws IOException {
        String check = QemuTools.run("qemu-img", "check", img.toString());
        assertTrue(check.contains("No errors were found on the image."), check);
        assertFalse(check.contains("leaked"), check);
        Path raw = dir.resolve("back-" + System.nanoTime() + ".raw");
        QemuTools.run("qemu-img", "convert", "-O", "raw", img.toString(), raw.toString());
        assertArrayEquals(expected, Files.readAllBytes(raw), "qemu-img convert of " + img);
        Files.delete(raw);
    }

    @Test
    void writesAndReadsBackAcrossClustersAndReopen() throws IOException {
        Path f = dir.resolve("a.qcow2");
        Qcow2Image.create(f, 3 * 1024 * 1024, Qcow2Image.CreateOptions.defaults());
        byte[] model;
        try (Qcow2Image img = Qcow2Image.open(f, true)) {
            assertEquals(3 * 1024 * 1024, img.sizeBytes());
            assertFalse(img.readOnly());
            assertArrayEquals(new byte[3 * 1024 * 1024], readAll(img));
            Model m = new Model(img, new byte[3 * 1024 * 1024]);
            m.fill(0, 512, 1);
            m.fill(65536 - 100, 300, 2);          // straddles two clusters
            m.fill(1_000_000, 200_000, 3);        // several clusters, unaligned
            m.fill(3 * 1024 * 1024 - 512, 512, 4); // the last sector
            m.fill(10, 20, 5);                    // in place into an allocated cluster
            assertArrayEquals(m.bytes, readAll(img));
            model = m.bytes;
        }
        try (Qcow2Image img = Qcow2Image.open(f, false)) {
            assertTrue(img.readOnly());
            assertArrayEquals(model, readAll(img));
            assertThrows(IOException.class, () -> img.write(0, new byte[512]));
            // clusters 0, 1, 15..18 (1,000,000..1,200,000) and 47: seven 64 KiB clusters hold data
            assertEquals(7 * 65536, img.allocatedBytes());
        }
        QemuTools.assumeInstalled();
        assertQemuAgrees(f, model, dir);
        String info = QemuTools.run("qemu-img", "info", "--output=json", f.toString())
                .replaceAll("\\s", "");
        assertTrue(info.contains("\"format\":\"qcow2\""), info);
        assertTrue(info.contains("\"virtual-size\":3145728"), info);
        assertTrue(info.contains("\"cluster-size\":65536"), info);
        assertTrue(info.contains("\"compat\":\"1.1\""), info);
        assertTrue(info.contains("\"refcount-bits\":16"), info);
    }

    @Test
    void emptyImageMatchesQemuImgCreateLayout() throws IOException {
        QemuTools.assumeInstalled();
        Path ours = dir.resolve("ours.qcow2");
        Path theirs = dir.resolve("theirs.qcow2");
        Qcow2Image.create(ours, 10 * 1024 * 1024, Qcow2Image.CreateOptions.defaults());
        QemuTools.run("qemu-img", "create", "-f", "qcow2", theirs.toString(), "10M");
        byte[] a = Files.readAllBytes(ours);
        byte[] b = Files.readAllBytes(theirs);
        // same fixed header fields (qemu adds a feature name table extension after them)
        assertArrayEquals(java.util.Arrays.copyOf(b, 104), java.util.Arrays.copyOf(a, 104));
        // refcount table at cluster 1 naming the block at cluster 2; L1 at cluster 3
        assertArrayEquals(java.util.Arrays.copyOfRange(b, 65536, 3 * 65536),
                java.util.Arrays.copyOfRange(a, 65536, 3 * 65536));
        assertQemuAgrees(ours, new byte[10 * 1024 * 1024], dir);
    }

    @Test
    void smallClustersGrowTheRefcountTableAndStayConsistent() throws IOException {
        // 512-byte clusters: a refcount block covers 256 clusters, the one-cluster table 64
        // blocks (8 MiB of file): 12 MiB of data makes the table move.
        int size = 16 * 1024 * 1024;
        Path f = dir.resolve("small.qcow2");
        Qcow2Image.create(f, size, Qcow2Image.CreateOptions.defaults().withClusterBits(9));
        Random r = new Random(42);
        byte[] model;
        try (Qcow2Image img = Qcow2Image.open(f, true)) {
            Model m = new Model(img, new byte[size]);
            for (int i = 0; i < 12; i++) {
                m.fill(i * 1024L * 1024, 1024 * 1024, 100 + i);
            }
            for (int i = 0; i < 96; i++) {
                int len = 1 + r.nextInt(200_000);
                long off = r.nextInt(size - len);
                m.fill(off, len, i);
                if (i % 10 == 0) {
                    img.flush();
                }
            }
            assertArrayEquals(m.bytes, readAll(img));
            model = m.bytes;
        }
        try (Qcow2Image img = Qcow2Image.open(f, false)) {
            assertArrayEquals(model, readAll(img));
            assertTrue(img.header().refcountTableOffset() != 512,
                    "the refcount table was expected to move");
        }
        QemuTools.assumeInstalled();
        assertQemuAgrees(f, model, dir);
    }

    @Test
    void aSmallL2CacheEvictsCleanTablesOnlyAndLosesNothing() throws IOException {
        // 512-byte clusters: an L2 table maps 32 KiB, a 4 MiB disk has 128 of them
        int size = 4 << 20;
        Path f = dir.resolve("cache.qcow2");
        Qcow2Image.create(f, size, Qcow2Image.CreateOptions.defaults().withClusterBits(9));
        Random r = new Random(7);
        byte[] model;
        try (Qcow2Image img = Qcow2Image.open(f, true)) {
            img.clusterMap().cacheTables(4);
            Model m = new Model(img, new byte[size]);
            for (int i = 0; i < 300; i++) {
                int len = 1 + r.nextInt(3000);
                m.fill(r.nextInt(size - len), len, i);
                if (i % 50 == 49) {
                    img.flush();
                    assertTrue(img.clusterMap().cachedTables() <= 4 + 1,
                            "clean tables are evicted: " + img.clusterMap().cachedTables());
                }
            }
            assertArrayEquals(m.bytes, readAll(img));
            assertTrue(img.clusterMap().cachedTables() <= 5);
            model = m.bytes;
        }
        try (Qcow2Image img = Qcow2Image.open(f, false)) {
            assertArrayEquals(model, readAll(img));
        }
        QemuTools.assumeInstalled();
        assertQemuAgrees(f, model, dir);
    }

    @Test
    void allZeroWritesAllocateNothing() throws IOException {
        Path f = dir.resolve("z.qcow2");
        Qcow2Image.create(f, 1024 * 1024, Qcow2Image.CreateOptions.defaults());
        long before = Files.size(f);
        try (Qcow2Image img = Qcow2Image.open(f, true)) {
            img.write(0, new byte[1024 * 1024]);
            assertEquals(0, img.allocatedBytes());
        }
        assertEquals(before, Files.size(f));
    }

    @Test
    void outOfRangeAndClosedAccessesAreRefused() throws IOException {
        Path f = dir.resolve("r.qcow2");
        Qcow2Image.create(f, 1024 * 1024, Qcow2Image.CreateOptions.defaults());
        Qcow2Image img = Qcow2Image.open(f, true);
        IOException e = assertThrows(IOException.class, () -> img.read(1024 * 1024 - 10,
                new byte[20]));
        assertTrue(e.getMessage().contains("beyond the end"), e.getMessage());
        IOException locked = assertThrows(IOException.class, () -> Qcow2Image.open(f, true));
        assertTrue(locked.getMessage().contains("already opened for writing"),
                locked.getMessage());
        img.close();
        e = assertThrows(IOException.class, () -> img.read(0, new byte[512]));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        IOException bad = assertThrows(IOException.class, () -> Qcow2Image.create(
                dir.resolve("x.qcow2"), 1000, Qcow2Image.CreateOptions.defaults()));
        assertTrue(bad.getMessage().contains("multiple of 512"), bad.getMessage());
    }
}

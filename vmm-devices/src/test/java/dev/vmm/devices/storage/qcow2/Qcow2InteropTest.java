package dev.vmm.devices.storage.qcow2;

import static dev.vmm.devices.storage.qcow2.Qcow2ImageTest.assertQemuAgrees;
import static dev.vmm.devices.storage.qcow2.Qcow2ImageTest.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.QemuTools;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qcow2 images written by qemu-img and qemu-io, read by {@link Qcow2Image} (plain, compressed,
 * version 2, other cluster sizes, backing chains, zero clusters), and written into.
 */
class Qcow2InteropTest {
    @TempDir
    Path dir;

    @BeforeEach
    void needsQemu() {
        QemuTools.assumeInstalled();
    }

    /** 4 MiB + 3 sectors: zero runs, compressible runs, noise, a partial last cluster. */
    static byte[] pattern() {
        int size = 4 * 1024 * 1024 + 3 * 512;
        byte[] b = new byte[size];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < size; i++) {
            if (i >= 131072 && i < 1024 * 1024) {
                continue; // zeros
            }
            if (i >= 2 * 1024 * 1024 && i < 2 * 1024 * 1024 + 200_000) {
                b[i] = (byte) (i / 1000); // compressible
                continue;
            }
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        return b;
    }

    private Path raw(byte[] data, String name) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    private void convert(Path src, Path dst, String... opts) throws IOException {
        String[] cmd = new String[6 + opts.length];
        cmd[0] = "qemu-img";
        cmd[1] = "convert";
        cmd[2] = "-O";
        cmd[3] = "qcow2";
        System.arraycopy(opts, 0, cmd, 4, opts.length);
        cmd[4 + opts.length] = src.toString();
        cmd[5 + opts.length] = dst.toString();
        QemuTools.run(cmd);
    }

    private static byte[] readAllOf(Path p) throws IOException {
        try (Qcow2Image img = Qcow2Image.open(p, false)) {
            return readAll(img);
        }
    }

    @Test
    void readsQemuImgConvertOutput() throws IOException {
        byte[] data = pattern();
        Path src = raw(data, "src.raw");
        Path q = dir.resolve("q.qcow2");
        convert(src, q);
        try (Qcow2Image img = Qcow2Image.open(q, false)) {
            assertEquals(3, img.header().version());
            assertEquals(data.length, img.sizeBytes());
            assertArrayEquals(data, readAll(img));
        }
    }

    @Test
    void readsCompressedClusters() throws IOException {
        byte[] data = pattern();
        Path q = dir.resolve("c.qcow2");
        convert(raw(data, "src.raw"), q, "-c");
        // qemu-img map shows compressed data without a host offset: the compressible run
        String map = QemuTools.run("qemu-img", "map", "--output=json", q.toString());
        assertTrue(map.lines().anyMatch(l -> l.contains("\"start\": 2097152")
                && l.contains("\"data\": true") && !l.contains("offset")), map);
        assertArrayEquals(data, readAllOf(q));
        // 4 KiB clusters too: several compressed clusters share a host cluster
        Path q4 = dir.resolve("c4.qcow2");
        convert(raw(data, "src4.raw"), q4, "-c", "-o", "cluster_size=4096");
        assertArrayEquals(data, readAllOf(q4));
    }

    @Test
    void readsVersion2AndOtherClusterSizes() throws IOException {
        byte[] data = pattern();
        Path src = raw(data, "src.raw");
        Path v2 = dir.resolve("v2.qcow2");
        convert(src, v2, "-o", "compat=0.10");
        try (Qcow2Image img = Qcow2Image.open(v2, false)) {
            assertEquals(2, img.header().version());
            assertArrayEquals(data, readAll(img));
        }
        for (String cs : new String[] {"512", "2M"}) {
            Path q = dir.resolve("cs" + cs + ".qcow2");
            convert(src, q, "-o", "cluster_size=" + cs);
            assertArrayEquals(data, readAllOf(q), "cluster_size=" + cs);
        }
        Path r8 = dir.resolve("r8.qcow2");
        convert(src, r8, "-o", "refcount_bits=1");
        assertArrayEquals(data, readAllOf(r8));
    }

    /** base.raw <- mid.qcow2 (compressed writes) <- top.qcow2 (writes, zero writes). */
    @Test
    void readsBackingChainsAndZeroClusters() throws IOException {
        byte[] base = pattern();
        Path b = raw(base, "base.raw");
        Path mid = dir.resolve("mid.qcow2");
        Path top = dir.resolve("top.qcow2");
        QemuTools.run("qemu-img", "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                mid.toString());
        QemuTools.run("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 65536 131072",
                "-c", "write -c -P 0x22 1048576 65536", mid.toString());
        QemuTools.run("qemu-img", "create", "-f", "qcow2", "-b", mid.toString(), "-F", "qcow2",
                top.toString());
        QemuTools.run("qemu-io", "-f", "qcow2", "-c", "write -P 0x33 100000 5000",
                "-c", "write -z 3145728 131072", "-c", "write -P 0x44 4194304 1536",
                top.toString());
        byte[] expected = base.clone();
        Arrays.fill(expected, 65536, 65536 + 131072, (byte) 0x11);
        Arrays.fill(expected, 1048576, 1048576 + 65536, (byte) 0x22);
        Arrays.fill(expected, 100000, 105000, (byte) 0x33);
        Arrays.fill(expected, 3145728, 3145728 + 131072, (byte) 0);
        Arrays.fill(expected, 4194304, 4194304 + 1536, (byte) 0x44);
        try (Qcow2Image img = Qcow2Image.open(top, false)) {
            BlockDevice m = img.backing().orElseThrow();
            assertTrue(m instanceof Qcow2Image, m.toString());
            assertTrue(((Qcow2Image) m).backing().orElseThrow() instanceof RawImage);
            assertArrayEquals(expected, readAll(img));
        }
        Path flat = dir.resolve("flat.raw");
        QemuTools.run("qemu-img", "convert", "-O", "raw", top.toString(), flat.toString());
        assertArrayEquals(expected, Files.readAllBytes(flat));
    }

    @Test
    void writingIntoCompressedClustersKeepsRefcountsExact() throws IOException {
        byte[] data = pattern();
        Path q = dir.resolve("cw.qcow2");
        convert(raw(data, "src.raw"), q, "-c", "-o", "cluster_size=4096");
        byte[] model = data.clone();
        try (Qcow2Image img = Qcow2Image.open(q, true)) {
            // partial writes into compressed clusters: read, merge, move to a new cluster
            byte[] w = new byte[1500];
            Arrays.fill(w, (byte) 0x5a);
            for (long off : new long[] {10, 2 * 1024 * 1024 + 4096 * 7 + 100, 4 * 1024 * 1024}) {
                img.write(off, w);
                System.arraycopy(w, 0, model, (int) off, w.length);
            }
            // a whole run of compressed clusters overwritten: every shared host cluster released
            byte[] big = new byte[4096 * 40];
            Arrays.fill(big, (byte) 0x77);
            img.write(2 * 1024 * 1024 + 4096 * 10, big);
            System.arraycopy(big, 0, model, 2 * 1024 * 1024 + 4096 * 10, big.length);
            // an all-zero cluster over a compressed one becomes a zero cluster
            img.write(3 * 1024 * 1024, new byte[4096]);
            Arrays.fill(model, 3 * 1024 * 1024, 3 * 1024 * 1024 + 4096, (byte) 0);
            assertArrayEquals(model, readAll(img));
        }
        assertArrayEquals(model, readAllOf(q));
        assertQemuAgrees(q, model, dir);
    }

    @Test
    void writesWithEveryRefcountWidth() throws IOException {
        byte[] data = pattern();
        Path src = raw(data, "src.raw");
        for (int bits : new int[] {1, 2, 4, 8, 32, 64}) {
            Path q = dir.resolve("rc" + bits + ".qcow2");
            // small clusters: many refcount blocks and a table that must grow
            convert(src, q, "-o", "refcount_bits=" + bits + ",cluster_size=4096");
            byte[] model = data.clone();
            try (Qcow2Image img = Qcow2Image.open(q, true)) {
                assertEquals(Integer.numberOfTrailingZeros(bits), img.header().refcountOrder());
                byte[] w = new byte[300_000];
                Arrays.fill(w, (byte) bits);
                for (int off : new int[] {200_000, 700_000, 3_000_000}) {
                    img.write(off, w);
                    System.arraycopy(w, 0, model, off, w.length);
                }
            }
            assertArrayEquals(model, readAllOf(q), "refcount_bits=" + bits);
            assertQemuAgrees(q, model, dir);
        }
    }

    @Test
    void writesIntoVersion2AndQemuZeroClusters() throws IOException {
        byte[] data = pattern();
        Path v2 = dir.resolve("v2w.qcow2");
        convert(raw(data, "src.raw"), v2, "-o", "compat=0.10");
        byte[] model = data.clone();
        try (Qcow2Image img = Qcow2Image.open(v2, true)) {
            byte[] w = new byte[70000];
            Arrays.fill(w, (byte) 1);
            img.write(500_000, w);
            System.arraycopy(w, 0, model, 500_000, w.length);
            img.write(0, new byte[65536]); // no zero flag in v2: stored as data
            Arrays.fill(model, 0, 65536, (byte) 0);
        }
        assertArrayEquals(model, readAllOf(v2));
        assertQemuAgrees(v2, model, dir);

        // zero clusters with a preallocated host cluster (qemu-io write -z on allocated data)
        Path z = dir.resolve("z.qcow2");
        convert(raw(data, "src2.raw"), z);
        QemuTools.run("qemu-io", "-f", "qcow2", "-c", "write -z 65536 65536", z.toString());
        byte[] zm = data.clone();
        Arrays.fill(zm, 65536, 131072, (byte) 0);
        assertArrayEquals(zm, readAllOf(z));
        try (Qcow2Image img = Qcow2Image.open(z, true)) {
            img.write(65536 + 10, new byte[] {9, 9, 9});
            zm[65546] = 9;
            zm[65547] = 9;
            zm[65548] = 9;
            assertArrayEquals(zm, readAll(img));
        }
        assertQemuAgrees(z, zm, dir);
    }
}

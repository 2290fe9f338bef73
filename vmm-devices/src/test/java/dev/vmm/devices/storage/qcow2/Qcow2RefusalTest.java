package dev.vmm.devices.storage.qcow2;

import static dev.vmm.devices.storage.qcow2.Qcow2ImageTest.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.QemuTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt and unsupported qcow2 images are refused with a message naming the problem. */
class Qcow2RefusalTest {
    @TempDir
    Path dir;

    private Path image() throws IOException {
        Path f = dir.resolve("i.qcow2");
        Files.deleteIfExists(f);
        Qcow2Image.create(f, 2 << 20, Qcow2Image.CreateOptions.defaults());
        try (Qcow2Image img = Qcow2Image.open(f, true)) {
            byte[] d = new byte[200_000];
            Arrays.fill(d, (byte) 7);
            img.write(100_000, d);
        }
        return f;
    }

    private static void patch(Path f, long at, ByteBuffer bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(bytes.flip(), at);
        }
    }

    private static ByteBuffer be32(int v) {
        return ByteBuffer.allocate(4).putInt(v);
    }

    private static ByteBuffer be64(long v) {
        return ByteBuffer.allocate(8).putLong(v);
    }

    /** The message of the refusal to open (and read all of) {@code f}. */
    private static String refusal(Path f, boolean writable) {
        IOException e = assertThrows(IOException.class, () -> {
            try (Qcow2Image img = Qcow2Image.open(f, writable)) {
                readAll(img);
            }
        });
        return e.getMessage();
    }

    private static void assertRefused(Path f, String expected) {
        String m = refusal(f, false);
        assertTrue(m.contains(expected), m);
        assertTrue(m.contains(f.toString()), "the message names the file: " + m);
    }

    @Test
    void headerProblems() throws IOException {
        Path f = image();
        patch(f, 0, be32(0x514649fa));
        assertRefused(f, "bad magic 0x514649fa");

        f = image();
        patch(f, 4, be32(4));
        assertRefused(f, "unsupported qcow version 4");

        f = image();
        patch(f, 72, be64(1L << 5));
        assertRefused(f, "unknown incompatible feature bit 5");

        f = image();
        patch(f, 32, be32(1));
        assertRefused(f, "encrypted (AES)");
        patch(f, 32, be32(2));
        assertRefused(f, "encrypted (LUKS)");

        f = image();
        patch(f, 20, be32(30));
        assertRefused(f, "unsupported cluster size 2^30");

        f = image();
        patch(f, 40, be64(1L << 30));
        assertRefused(f, "L1 table at byte 1073741824 (1 entries) lies beyond the end of the file");

        f = image();
        patch(f, 36, be32(0));
        assertRefused(f, "L1 table of 0 entries is too small");

        f = image();
        patch(f, 24, be64(1000));
        assertRefused(f, "virtual size 1000 is not a positive multiple of 512");
    }

    @Test
    void truncatedFiles() throws IOException {
        Path f = image();
        byte[] whole = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(whole, 50));
        assertRefused(f, "truncated (50 bytes, shorter than a qcow2 header)");
        Files.write(f, Arrays.copyOf(whole, 3 * 65536));
        assertRefused(f, "L1 table at byte 196608 (1 entries) lies beyond the end of the file");
        // L1 intact, the L2 table and data clusters cut off
        Files.write(f, Arrays.copyOf(whole, 4 * 65536));
        assertRefused(f, "L2 table 0 at byte 262144 lies beyond the end of the file (truncated)");
    }

    @Test
    void corruptTables() throws IOException {
        Path f = image();
        // the L1 entry naming an unaligned L2 table
        patch(f, 3 * 65536, be64((1L << 63) | (4 * 65536 + 512)));
        assertRefused(f, "L1 entry 0 names an L2 table at byte 262656, not cluster aligned");
        f = image();
        // an L2 entry pointing past the end of the file
        long l2 = 4 * 65536;
        patch(f, l2 + 8, be64((1L << 63) | (1L << 40)));
        assertRefused(f, "data cluster of guest cluster 1 at byte 1099511627776 lies beyond the"
                + " end of the file (truncated)");
        // a compressed cluster that does not inflate
        f = image();
        patch(f, l2 + 8, be64((1L << 62) | (5L * 65536)));
        patch(f, 5L * 65536, ByteBuffer.allocate(16).put(new byte[] {(byte) 0xff, 1, 2, 3}));
        String m = refusal(f, false);
        assertTrue(m.contains("compressed cluster for guest cluster 1"), m);
    }

    @Test
    void qemuFeaturesWeDoNotSupport() throws IOException {
        QemuTools.assumeInstalled();
        Path z = dir.resolve("z.qcow2");
        QemuTools.run("qemu-img", "create", "-f", "qcow2", "-o", "compression_type=zstd",
                z.toString(), "1M");
        assertRefused(z, "compression type zstd is not supported");
        Path e = dir.resolve("e.qcow2");
        QemuTools.run("qemu-img", "create", "-f", "qcow2", "-o", "extended_l2=on",
                e.toString(), "1M");
        assertRefused(e, "extended L2 entries");
        Path d = dir.resolve("d.qcow2");
        Path data = dir.resolve("d.raw"); // absolute: qemu-img would create it in the cwd
        QemuTools.run("qemu-img", "create", "-f", "qcow2", "-o", "data_file=" + data,
                d.toString(), "1M");
        assertRefused(d, "uses an external data file (" + data + ")");
        Path b = dir.resolve("b.qcow2");
        QemuTools.run("qemu-img", "create", "-f", "qcow2", "-u", "-b", "missing.raw", "-F",
                "raw", b.toString(), "1M");
        assertRefused(b, "backing file " + dir.resolve("missing.raw") + " not found");
    }

    @Test
    void snapshotsAndDirtyImagesAreReadOnly() throws IOException {
        Path f = image();
        byte[] contents;
        try (Qcow2Image img = Qcow2Image.open(f, false)) {
            contents = readAll(img);
        }
        patch(f, 72, be64(1)); // dirty bit
        String m = refusal(f, true);
        assertTrue(m.contains("marked dirty"), m);
        try (Qcow2Image img = Qcow2Image.open(f, false)) {
            assertArrayEquals(contents, readAll(img));
        }
        patch(f, 72, be64(2)); // corrupt bit
        m = refusal(f, true);
        assertTrue(m.contains("marked corrupt"), m);
        patch(f, 72, be64(0));
        QemuTools.assumeInstalled();
        QemuTools.run("qemu-img", "snapshot", "-c", "s1", f.toString());
        m = refusal(f, true);
        assertTrue(m.contains("has 1 internal snapshot(s)"), m);
        try (Qcow2Image img = Qcow2Image.open(f, false)) {
            assertArrayEquals(contents, readAll(img));
        }
    }
}

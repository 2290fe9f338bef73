package dev.vmm.devices.storage.vmdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streamOptimized VMDK writer and reader, against themselves and against qemu-img (Debian
 * package qemu-utils; the oracle tests skip when it is absent, CI installs it).
 */
class StreamOptimizedVmdkTest {
    @TempDir
    Path dir;

    /** 5 MiB + 3 sectors: zero regions, data, a partial last grain with data in it. */
    static byte[] pattern() {
        int size = 5 * 1024 * 1024 + 3 * 512;
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            boolean zero = (i >= 65536 && i < 3 * 65536) || (i >= 2 * 1024 * 1024
                    && i < 4 * 1024 * 1024 + 100);
            b[i] = zero ? 0 : (byte) (i * 7 + i / 4096 + (i >>> 13));
        }
        // some compressible runs inside data grains
        for (int i = 4 * 1024 * 1024 + 8192; i < 4 * 1024 * 1024 + 30000; i++) {
            b[i] = 0x55;
        }
        b[size - 1] = 0x7f;
        return b;
    }

    private static byte[] readAll(VmdkImage img) throws IOException {
        byte[] out = new byte[(int) img.sizeBytes()];
        // odd-sized chunks crossing grain boundaries
        int off = 0;
        while (off < out.length) {
            int n = Math.min(out.length - off, 70001);
            img.read(off, out, off, n);
            off += n;
        }
        return out;
    }

    @Test
    void roundTripThroughOurReader() throws IOException {
        byte[] raw = pattern();
        Path rawFile = dir.resolve("disk.raw");
        Files.write(rawFile, raw);
        Path vmdk = dir.resolve("disk.vmdk");
        StreamOptimizedVmdk.write(rawFile, vmdk);
        try (VmdkImage img = StreamOptimizedVmdk.read(vmdk)) {
            assertEquals(raw.length, img.sizeBytes());
            assertTrue(img.compressed());
            assertTrue(img.readOnly());
            assertEquals("streamOptimized", img.createType());
            assertArrayEquals(raw, readAll(img));
            assertThrows(IOException.class, () -> img.write(0, new byte[512]));
        }
        // zero grains are omitted: far smaller than the raw image
        assertTrue(Files.size(vmdk) < raw.length / 2, "size " + Files.size(vmdk));
        // no temporary file is left behind
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count());
        }
    }

    @Test
    void writesFromABlockDeviceAndAnAllZeroDisk() throws IOException {
        Path rawFile = dir.resolve("zero.raw");
        Files.write(rawFile, new byte[3 * 1024 * 1024]);
        Path vmdk = dir.resolve("zero.vmdk");
        try (RawImage src = RawImage.open(rawFile, RawImage.Mode.READ_ONLY)) {
            StreamOptimizedVmdk.write(src, vmdk);
        }
        try (VmdkImage img = VmdkImage.open(vmdk)) {
            assertArrayEquals(new byte[3 * 1024 * 1024], readAll(img));
        }
        assertTrue(Files.size(vmdk) < 8 * 512, "size " + Files.size(vmdk));
    }

    @Test
    void rawSizeNotAMultipleOfASectorIsPadded() throws IOException {
        byte[] raw = new byte[1000];
        raw[999] = 9;
        Path rawFile = dir.resolve("odd.raw");
        Files.write(rawFile, raw);
        Path vmdk = dir.resolve("odd.vmdk");
        StreamOptimizedVmdk.write(rawFile, vmdk);
        try (VmdkImage img = VmdkImage.open(vmdk)) {
            assertEquals(1024, img.sizeBytes());
            byte[] back = readAll(img);
            assertEquals(9, back[999]);
            assertEquals(0, back[1023]);
        }
    }

    private Path written() throws IOException {
        Path rawFile = dir.resolve("c.raw");
        Files.write(rawFile, pattern());
        Path vmdk = dir.resolve("c.vmdk");
        StreamOptimizedVmdk.write(rawFile, vmdk);
        return vmdk;
    }

    private static String refusal(Path vmdk) {
        IOException e = assertThrows(IOException.class, () -> {
            try (VmdkImage img = VmdkImage.open(vmdk)) {
                readAll(img);
            }
        });
        return e.getMessage();
    }

    private static void patch(Path f, long offset, byte[] bytes) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(f,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), offset);
        }
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    @Test
    void corruptInputIsRefusedNamingTheProblem() throws IOException {
        Path v = written();
        byte[] good = Files.readAllBytes(v);

        patch(v, 0, "XXXX".getBytes(StandardCharsets.US_ASCII));
        assertTrue(refusal(v).contains("bad magic"), refusal(v));

        Files.write(v, good);
        patch(v, 4, le32(4));
        assertTrue(refusal(v).contains("unsupported VMDK version 4"), refusal(v));

        Files.write(v, good);
        patch(v, 8, le32(0x30001 | 1 << 8));
        assertTrue(refusal(v).contains("unsupported flags"), refusal(v));

        // truncated: cut the stream in the middle
        Files.write(v, java.util.Arrays.copyOf(good, good.length / 2));
        assertTrue(refusal(v).contains("truncated"), refusal(v));

        // a grain marker's compressed size running past the end of the file
        long firstGrain = 512L * (1 + ByteBuffer.wrap(good, 36, 8)
                .order(ByteOrder.LITTLE_ENDIAN).getLong());
        Files.write(v, good);
        patch(v, firstGrain + 8, le32(good.length));
        assertTrue(refusal(v).contains("truncated grain at LBA 0"), refusal(v));

        // a grain marker naming an LBA beyond the capacity
        Files.write(v, good);
        patch(v, firstGrain, le64(1L << 30));
        assertTrue(refusal(v).contains("grain beyond capacity"), refusal(v));

        // a corrupted compressed grain
        Files.write(v, good);
        patch(v, firstGrain + 12, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertTrue(refusal(v).contains("corrupt compressed grain at LBA 0"), refusal(v));

        // a grain table entry for a grain beyond the capacity (the last table's tail)
        Files.write(v, good);
        long gdOffset = ByteBuffer.wrap(good, good.length - 1024 + 56, 8)
                .order(ByteOrder.LITTLE_ENDIAN).getLong();
        int gt0 = ByteBuffer.wrap(good, (int) gdOffset * 512, 4).order(ByteOrder.LITTLE_ENDIAN)
                .getInt();
        patch(v, gt0 * 512L + 4 * 500, le32(1));
        assertTrue(refusal(v).contains("grain beyond capacity"), refusal(v));

        Files.write(v, good);
        try (VmdkImage img = VmdkImage.open(v)) {
            assertArrayEquals(pattern(), readAll(img));
        }
    }

    @Test
    void monolithicSparseWithoutCompressionIsRead() throws IOException {
        Assumptions.assumeTrue(qemuImg(), "qemu-img (Debian package qemu-utils) not installed");
        byte[] raw = pattern();
        Path rawFile = dir.resolve("m.raw");
        Files.write(rawFile, raw);
        Path vmdk = dir.resolve("m.vmdk");
        run("qemu-img", "convert", "-f", "raw", "-O", "vmdk", rawFile.toString(),
                vmdk.toString());
        try (VmdkImage img = VmdkImage.open(vmdk)) {
            assertFalse(img.compressed());
            assertEquals("monolithicSparse", img.createType());
            assertArrayEquals(pad(raw), readAll(img));
        }
    }

    private static byte[] pad(byte[] raw) {
        return java.util.Arrays.copyOf(raw, (raw.length + 511) / 512 * 512);
    }

    // ---- qemu-img oracle

    static boolean qemuImg() {
        try {
            Process p = new ProcessBuilder("qemu-img", "--version").redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs a command, returns its output; fails the test on a non-zero exit. */
    static String run(String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }

    @Test
    void qemuImgChecksInfosAndConvertsOurVmdk() throws IOException {
        Assumptions.assumeTrue(qemuImg(), "qemu-img (Debian package qemu-utils) not installed");
        byte[] raw = pattern();
        Path rawFile = dir.resolve("q.raw");
        Files.write(rawFile, raw);
        Path vmdk = dir.resolve("q.vmdk");
        StreamOptimizedVmdk.write(rawFile, vmdk);

        String check = run("qemu-img", "check", vmdk.toString());
        assertTrue(check.contains("No errors were found on the image"), check);
        String info = run("qemu-img", "info", "--output=json", vmdk.toString());
        String compact = info.replaceAll("\\s", "");
        assertTrue(compact.contains("\"format\":\"vmdk\""), info);
        assertTrue(compact.contains("\"create-type\":\"streamOptimized\""), info);
        assertTrue(compact.contains("\"compressed\":true"), info);
        assertTrue(compact.contains("\"virtual-size\":" + pad(raw).length + ","), info);

        Path back = dir.resolve("back.raw");
        run("qemu-img", "convert", "-f", "vmdk", "-O", "raw", vmdk.toString(), back.toString());
        assertArrayEquals(pad(raw), Files.readAllBytes(back));
    }

    @Test
    void ourReaderReadsQemuImgStreamOptimized() throws IOException {
        Assumptions.assumeTrue(qemuImg(), "qemu-img (Debian package qemu-utils) not installed");
        byte[] raw = pattern();
        Path rawFile = dir.resolve("r.raw");
        Files.write(rawFile, raw);
        Path vmdk = dir.resolve("r.vmdk");
        run("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized",
                rawFile.toString(), vmdk.toString());
        try (VmdkImage img = VmdkImage.open(vmdk)) {
            assertTrue(img.compressed());
            assertEquals("streamOptimized", img.createType());
            assertEquals(pad(raw).length, img.sizeBytes());
            assertArrayEquals(pad(raw), readAll(img));
        }
    }
}

package dev.vmm.devices.storage.formats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.CopyOnWriteDisk;
import dev.vmm.devices.storage.Progress;
import dev.vmm.devices.storage.QemuTools;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conversions among raw, qcow2 and streamOptimized VMDK, checked by qemu-img (it converts our
 * output back to raw, and writes the inputs we read); format probing and {@link DiskImages}.
 */
class DiskConverterTest {
    @TempDir
    Path dir;

    /** 3 MiB + 5 sectors of data with zero holes and a partial last cluster. */
    static byte[] pattern() {
        int size = 3 * 1024 * 1024 + 5 * 512;
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            boolean hole = (i >= 100_000 && i < 900_000) || (i >= 2_000_000 && i < 2_100_000);
            b[i] = hole ? 0 : (byte) (i * 37 + (i >>> 10) + (i >>> 17));
        }
        return b;
    }

    private Path raw(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    private static byte[] contents(Path p) throws IOException {
        try (BlockDevice d = DiskImages.openReadOnly(p)) {
            byte[] out = new byte[(int) d.sizeBytes()];
            d.read(0, out);
            return out;
        }
    }

    private byte[] qemuToRaw(Path p) throws IOException {
        Path out = dir.resolve("qemu-" + System.nanoTime() + ".raw");
        QemuTools.run("qemu-img", "convert", "-O", "raw", p.toString(), out.toString());
        byte[] b = Files.readAllBytes(out);
        Files.delete(out);
        return b;
    }

    @Test
    void everyDirectionRoundTrips() throws IOException {
        byte[] data = pattern();
        Path src = raw("src.raw", data);
        DiskFormat[] formats = DiskFormat.values();
        for (DiskFormat from : formats) {
            Path in = dir.resolve("in." + from.label());
            DiskConverter.convert(src, in, from, Progress.NONE);
            assertEquals(from, DiskFormat.probe(in));
            for (DiskFormat to : formats) {
                Path out = dir.resolve("out-" + from.label() + "." + to.label());
                DiskConverter.convert(in, out, to, Progress.NONE);
                assertEquals(to, DiskFormat.probe(out));
                assertArrayEquals(data, contents(out), from + " -> " + to);
            }
        }
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")));
        }
    }

    @Test
    void qemuImgReadsWhatWeWriteAndWeReadWhatItWrites() throws IOException {
        QemuTools.assumeInstalled();
        byte[] data = pattern();
        Path src = raw("src.raw", data);
        for (DiskFormat to : DiskFormat.values()) {
            Path out = dir.resolve("ours." + to.label());
            DiskConverter.convert(src, out, to, Progress.NONE);
            if (to != DiskFormat.RAW) {
                String check = QemuTools.run("qemu-img", "check", out.toString());
                assertTrue(check.contains("No errors were found"), check);
            }
            String info = QemuTools.run("qemu-img", "info", out.toString());
            assertTrue(info.contains("file format: " + to.label()), info);
            assertArrayEquals(data, qemuToRaw(out), "qemu-img reading our " + to);
        }
        // qemu's outputs, including a compressed qcow2 on a backing file, flattened by us
        Path q = dir.resolve("theirs.qcow2");
        QemuTools.run("qemu-img", "convert", "-c", "-O", "qcow2", src.toString(), q.toString());
        Path top = dir.resolve("top.qcow2");
        QemuTools.run("qemu-img", "create", "-f", "qcow2", "-b", "theirs.qcow2", "-F", "qcow2",
                top.toString());
        QemuTools.run("qemu-io", "-f", "qcow2", "-c", "write -P 0x7e 1000 3000", top.toString());
        byte[] expected = data.clone();
        Arrays.fill(expected, 1000, 4000, (byte) 0x7e);
        Path v = dir.resolve("theirs.vmdk");
        QemuTools.run("qemu-img", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized",
                top.toString(), v.toString());
        for (Path in : List.of(top, v)) {
            for (DiskFormat to : DiskFormat.values()) {
                Path out = dir.resolve("flat-" + in.getFileName() + "." + to.label());
                DiskConverter.convert(in, out, to, Progress.NONE);
                assertArrayEquals(expected, qemuToRaw(out), in + " -> " + to);
            }
        }
    }

    @Test
    void progressIsReportedUpToTheTotal() throws IOException {
        byte[] data = pattern();
        Path src = raw("p.raw", data);
        for (DiskFormat to : DiskFormat.values()) {
            List<long[]> updates = new ArrayList<>();
            DiskConverter.convert(src, dir.resolve("p-out." + to.label()), to,
                    (done, total) -> updates.add(new long[] {done, total}));
            assertFalse(updates.isEmpty(), to.toString());
            long last = 0;
            for (long[] u : updates) {
                assertEquals(data.length, u[1]);
                assertTrue(u[0] >= last && u[0] <= u[1], Arrays.toString(u));
                last = u[0];
            }
            assertEquals(data.length, last, to.toString());
        }
    }

    @Test
    void aFailedConversionLeavesNothingBehind() throws IOException {
        byte[] data = pattern();
        Path q = dir.resolve("t.qcow2");
        DiskConverter.convert(raw("t.raw", data), q, DiskFormat.QCOW2, Progress.NONE);
        byte[] whole = Files.readAllBytes(q);
        Files.write(q, Arrays.copyOf(whole, whole.length / 2)); // data clusters cut off
        Path existing = raw("keep.raw", new byte[] {1, 2, 3});
        for (DiskFormat to : DiskFormat.values()) {
            Path out = dir.resolve("fail." + to.label());
            IOException e = assertThrows(IOException.class,
                    () -> DiskConverter.convert(q, out, to, Progress.NONE));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertFalse(Files.exists(out));
            assertThrows(IOException.class,
                    () -> DiskConverter.convert(q, existing, to, Progress.NONE));
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(existing));
        }
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")),
                    "temporary files left behind");
        }
        IOException same = assertThrows(IOException.class,
                () -> DiskConverter.convert(existing, existing, DiskFormat.RAW, Progress.NONE));
        assertTrue(same.getMessage().contains("is the source itself"), same.getMessage());
    }

    @Test
    void probingAndOpeningModes() throws IOException {
        Path d = raw("d.vmdk", "# Disk DescriptorFile\nversion=1\n".getBytes());
        IOException e = assertThrows(IOException.class, () -> DiskFormat.probe(d));
        assertTrue(e.getMessage().contains("VMDK descriptor file"), e.getMessage());
        byte[] vdi = new byte[512];
        System.arraycopy("<<< Oracle VM VirtualBox Disk Image >>>\n".getBytes(), 0, vdi, 0, 40);
        Path vd = raw("x.vdi", vdi);
        e = assertThrows(IOException.class, () -> DiskFormat.probe(vd));
        assertTrue(e.getMessage().contains("VDI is not supported"), e.getMessage());

        byte[] data = pattern();
        Path src = raw("m.raw", data);
        Path v = dir.resolve("m.vmdk");
        Path q = dir.resolve("m.qcow2");
        DiskConverter.convert(src, v, DiskFormat.VMDK, Progress.NONE);
        DiskConverter.convert(src, q, DiskFormat.QCOW2, Progress.NONE);
        e = assertThrows(IOException.class,
                () -> DiskImages.open(v, null, RawImage.Mode.READ_WRITE));
        assertTrue(e.getMessage().contains("VMDK images are opened read-only"), e.getMessage());
        byte[] qBefore = Files.readAllBytes(q);
        for (Path p : List.of(v, q)) {
            try (BlockDevice cow = DiskImages.open(p, null, RawImage.Mode.COPY_ON_WRITE)) {
                assertTrue(cow instanceof CopyOnWriteDisk);
                cow.write(512, new byte[] {5, 6, 7});
                byte[] back = new byte[3];
                cow.read(512, back);
                assertArrayEquals(new byte[] {5, 6, 7}, back);
            }
        }
        assertArrayEquals(qBefore, Files.readAllBytes(q));
        assertArrayEquals(data, contents(v));
    }

    @Test
    void infoDescribesTheBackingChain() throws IOException {
        byte[] data = pattern();
        Path base = raw("base.raw", data);
        Path q = dir.resolve("top.qcow2");
        dev.vmm.devices.storage.qcow2.Qcow2Image.create(q, data.length,
                dev.vmm.devices.storage.qcow2.Qcow2Image.CreateOptions.defaults()
                        .withBacking("base.raw", "raw"));
        try (BlockDevice d = DiskImages.open(q, null, RawImage.Mode.READ_WRITE)) {
            d.write(70_000, new byte[1000]); // merged with the backing data of cluster 1
            d.write(200_000, new byte[] {1}); // cluster 3
            d.write(5 * 65536, new byte[65536]); // a whole zero cluster: only a flag
        }
        DiskInfo i = DiskImages.info(q);
        assertEquals(DiskFormat.QCOW2, i.format());
        assertEquals(data.length, i.virtualSize());
        assertEquals(Files.size(q), i.fileSize());
        assertEquals(2 * 65536, i.allocatedBytes());
        assertTrue(i.details().contains("version 3"), i.details());
        assertEquals("base.raw", i.backingName());
        assertEquals(DiskFormat.RAW, i.backing().format());
        assertEquals(base, i.backing().path());
        assertNull(i.backing().backing());
        byte[] expected = data.clone();
        Arrays.fill(expected, 70_000, 71_000, (byte) 0);
        expected[200_000] = 1;
        Arrays.fill(expected, 5 * 65536, 6 * 65536, (byte) 0);
        assertArrayEquals(expected, contents(q));
    }
}

package dev.vmm.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;

/**
 * The structure of the images in the cache (built by {@code .ci/run} or {@code vmm images build}; skipped when
 * absent): the initramfs as the kernel unpacks it (newc archives in one gzip stream), the MBR and partition entry,
 * the FAT16 file system and SYSLINUX. Booting them is {@code LinuxGuestTest}'s part; QEMU boots them in
 * {@code guest-images/scripts/guest-session.py}.
 */
class BuiltImagesTest {

    private static final Path SYSLINUX_MBR = Path.of("/usr/lib/syslinux/mbr/mbr.bin");

    private final GuestImages images = GuestImages.fromEnvironment();

    private ImageManifest ready(String name) {
        GuestImages.Status s = images.status(name);
        assumeTrue(s == GuestImages.Status.OK, () -> name + " is " + s.label() + " in " + images.dir()
                + ": build it with ./vmm images build (CI does it in .ci/run); skipping");
        return images.manifest(name).orElseThrow();
    }

    /** One entry of a newc cpio archive. */
    record Entry(String name, int mode, int uid, int rdevMajor, int rdevMinor, byte[] data) {
    }

    /** Every entry of every newc archive in the stream, as the kernel's initramfs unpacker reads them. */
    static Map<String, Entry> readCpio(byte[] b) {
        Map<String, Entry> out = new LinkedHashMap<>();
        int p = 0;
        while (p + 110 <= b.length) {
            if (b[p] == 0) {                 // padding between archives
                p++;
                continue;
            }
            String magic = new String(b, p, 6, StandardCharsets.US_ASCII);
            assertEquals("070701", magic, "newc magic at " + p);
            int mode = hex(b, p, 1);
            int uid = hex(b, p, 2);
            int size = hex(b, p, 6);
            int rmaj = hex(b, p, 9);
            int rmin = hex(b, p, 10);
            int nameSize = hex(b, p, 11);
            String name = new String(b, p + 110, nameSize - 1, StandardCharsets.US_ASCII);
            int data = (p + 110 + nameSize + 3) & ~3;
            if (!name.equals("TRAILER!!!")) {
                out.put(name, new Entry(name, mode, uid, rmaj, rmin, Arrays.copyOfRange(b, data, data + size)));
            }
            p = (data + size + 3) & ~3;
        }
        return out;
    }

    private static int hex(byte[] b, int p, int field) {
        return Integer.parseUnsignedInt(new String(b, p + 6 + field * 8, 8, StandardCharsets.US_ASCII), 16);
    }

    @Test
    void tinyImageHoldsTheKernelAndABootableInitramfs() throws IOException {
        ImageManifest m = ready("tiny-i386");
        String kver = m.kernelVersion().orElseThrow();
        byte[] kernel = Files.readAllBytes(m.file("boot.kernel").orElseThrow());
        assertEquals("HdrS", new String(kernel, 0x202, 4, StandardCharsets.US_ASCII), "bzImage setup header");

        byte[] cpio;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(m.file("boot.initrd").orElseThrow()))) {
            cpio = in.readAllBytes();
        }
        Map<String, Entry> e = readCpio(cpio);
        Entry console = e.get("dev/console");
        assertNotNull(console, "dev/console: the kernel opens it before /init");
        assertEquals(0020600, console.mode());
        assertEquals(5, console.rdevMajor());
        assertEquals(1, console.rdevMinor());

        Entry init = e.get("init");
        assertEquals(0100755, init.mode());
        String initText = new String(init.data(), StandardCharsets.US_ASCII);
        assertTrue(initText.startsWith("#!/bin/sh\n"), initText);
        for (String step : List.of("mount -t proc", "mount -t sysfs", "mount -t devtmpfs", "insmod", "exec /sbin/init")) {
            assertTrue(initText.contains(step), step);
        }
        assertTrue(new String(e.get("etc/inittab").data(), StandardCharsets.US_ASCII)
                .contains("::respawn:/bin/cttyhack /bin/sh -l"));

        byte[] busybox = e.get("bin/busybox").data();
        assertArrayEquals(new byte[] {0x7F, 'E', 'L', 'F', 1}, Arrays.copyOf(busybox, 5), "ELF32");
        assertEquals(3, busybox[18], "EM_386");
        assertEquals(0120777, e.get("bin/sh").mode());
        assertEquals("busybox", new String(e.get("bin/sh").data(), StandardCharsets.US_ASCII));

        List<String> load = new String(e.get("etc/modules.load").data(), StandardCharsets.US_ASCII).lines().toList();
        for (String mod : List.of("libata.ko", "ata_piix.ko", "ata_generic.ko", "scsi_mod.ko", "sd_mod.ko", "fat.ko",
                "vfat.ko", "nls_cp437.ko", "nls_ascii.ko")) {
            assertTrue(load.stream().anyMatch(l -> l.endsWith("/" + mod)), mod + " in " + load);
        }
        assertTrue(indexOf(load, "libata.ko") < indexOf(load, "ata_piix.ko"), "dependencies load first");
        assertTrue(indexOf(load, "fat.ko") < indexOf(load, "vfat.ko"), "dependencies load first");
        for (String l : load) {
            byte[] ko = e.get("lib/modules/" + kver + "/" + l).data();
            assertEquals("\u007fELF", new String(ko, 0, 4, StandardCharsets.ISO_8859_1), l);
        }
        assertNotNull(e.get("lib/modules/" + kver + "/modules.dep"));
        assertTrue(e.values().stream().allMatch(x -> x.uid() == 0), "owned by root");
    }

    private static int indexOf(List<String> load, String mod) {
        for (int i = 0; i < load.size(); i++) {
            if (load.get(i).endsWith("/" + mod)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void diskImageIsAnMbrDiskWithSyslinuxOnFat16() throws IOException {
        ImageManifest m = ready("disk-i386");
        ImageManifest tiny = ready("tiny-i386");
        byte[] disk = Files.readAllBytes(m.file("boot.disk").orElseThrow());
        ByteBuffer d = ByteBuffer.wrap(disk).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xAA55, d.getShort(510) & 0xFFFF, "MBR signature");
        if (Files.isRegularFile(SYSLINUX_MBR)) {
            byte[] mbr = Files.readAllBytes(SYSLINUX_MBR);
            assertArrayEquals(Arrays.copyOf(mbr, 440), Arrays.copyOf(disk, 440), "Debian's syslinux mbr.bin");
        }
        int pe = 446;
        assertEquals(0x80, disk[pe] & 0xFF, "partition 1 active");
        assertEquals(0x0E, disk[pe + 4] & 0xFF, "FAT16 LBA");
        int start = d.getInt(pe + 8);
        int count = d.getInt(pe + 12);
        assertEquals(2048, start);
        assertEquals(disk.length / 512 - 2048, count);
        for (int i = 1; i < 4; i++) {
            assertEquals(0, d.getInt(pe + 16 * i + 12), "one partition only");
        }

        Fat16 fat = new Fat16(d, start * 512L);
        assertEquals("SYSLINUX", new String(disk, start * 512 + 3, 8, StandardCharsets.US_ASCII), "boot sector OEM");
        assertEquals(start, fat.hiddenSectors, "hidden sectors = partition start (SYSLINUX needs it)");
        assertEquals("FAT16   ", new String(disk, start * 512 + 0x36, 8, StandardCharsets.US_ASCII));
        assertEquals(0xAA55, d.getShort(start * 512 + 510) & 0xFFFF);

        assertEquals(m.require("testfile.text") + "\n", new String(fat.read("HELLO   TXT"), StandardCharsets.US_ASCII));
        assertArrayEquals(Files.readAllBytes(tiny.file("boot.kernel").orElseThrow()), fat.read("VMLINUZ    "));
        assertArrayEquals(Files.readAllBytes(tiny.file("boot.initrd").orElseThrow()), fat.read("INITRD  IMG"));
        String cfg = new String(fat.read("SYSLINUXCFG"), StandardCharsets.US_ASCII);
        assertTrue(cfg.startsWith("SERIAL 0 115200\n"), cfg);
        assertTrue(cfg.contains("APPEND " + m.require("boot.append") + "\n"), cfg);
        assertTrue(fat.read("LDLINUX SYS").length > 0 && fat.read("LDLINUX C32").length > 0, "SYSLINUX installed");
    }

    /** Just enough FAT16 to read a file of the root directory by its 8.3 name. */
    private static final class Fat16 {
        private final ByteBuffer d;
        private final long base;
        private final int bytesPerSector;
        private final int sectorsPerCluster;
        private final long fatStart;
        private final long rootStart;
        private final int rootEntries;
        private final long dataStart;
        final int hiddenSectors;

        Fat16(ByteBuffer d, long base) {
            this.d = d;
            this.base = base;
            bytesPerSector = d.getShort((int) base + 11) & 0xFFFF;
            sectorsPerCluster = d.get((int) base + 13) & 0xFF;
            int reserved = d.getShort((int) base + 14) & 0xFFFF;
            int fats = d.get((int) base + 16) & 0xFF;
            rootEntries = d.getShort((int) base + 17) & 0xFFFF;
            int fatSectors = d.getShort((int) base + 22) & 0xFFFF;
            hiddenSectors = d.getInt((int) base + 28);
            fatStart = base + (long) reserved * bytesPerSector;
            rootStart = fatStart + (long) fats * fatSectors * bytesPerSector;
            dataStart = rootStart + rootEntries * 32L;
            assertEquals(512, bytesPerSector);
        }

        byte[] read(String name83) {
            for (int i = 0; i < rootEntries; i++) {
                int e = (int) (rootStart + i * 32L);
                String n = new String(d.array(), e, 11, StandardCharsets.US_ASCII);
                if (n.equals(name83) && (d.get(e + 11) & 0x18) == 0) {
                    int cluster = d.getShort(e + 26) & 0xFFFF;
                    int size = d.getInt(e + 28);
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    int clusterBytes = sectorsPerCluster * bytesPerSector;
                    while (out.size() < size) {
                        assertTrue(cluster >= 2 && cluster < 0xFFF8, "cluster chain of " + name83);
                        int off = (int) (dataStart + (long) (cluster - 2) * clusterBytes);
                        out.write(d.array(), off, Math.min(clusterBytes, size - out.size()));
                        cluster = d.getShort((int) (fatStart + cluster * 2L)) & 0xFFFF;
                    }
                    return out.toByteArray();
                }
            }
            throw new AssertionError(name83 + " is not in the root directory (base " + base + ")");
        }
    }
}

package dev.vmm.devices.ide;

import static dev.vmm.devices.ide.IdeRig.COMMAND;
import static dev.vmm.devices.ide.IdeRig.COUNT;
import static dev.vmm.devices.ide.IdeRig.DEVICE;
import static dev.vmm.devices.ide.IdeRig.ERROR;
import static dev.vmm.devices.ide.IdeRig.FEATURE;
import static dev.vmm.devices.ide.IdeRig.LBA_HIGH;
import static dev.vmm.devices.ide.IdeRig.LBA_LOW;
import static dev.vmm.devices.ide.IdeRig.LBA_MID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An ATA disk on the primary channel, driven by PIO through ports 1F0h-1F7h and 3F6h. */
class AtaDiskTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;
    private final IdeRig rig = new IdeRig();
    private RawImage image;

    @AfterEach
    void close() throws IOException {
        if (image != null) {
            image.close();
        }
        rig.close();
    }

    private AtaDisk disk(Path file, RawImage.Mode mode) throws IOException {
        image = RawImage.open(file, mode);
        AtaDisk d = new AtaDisk(image, "VMM TEST DISK", "SN0001");
        rig.ide.connect(0, 0, d);
        return d;
    }

    private AtaDisk patterned(int sectors, RawImage.Mode mode) throws IOException {
        return disk(TestImages.create(dir, "disk.img", sectors, 512), mode);
    }

    @Test
    void identifyOfTenGibSparseDisk() throws IOException {
        disk(TestImages.sparse(dir, "10g.img", 10 * GIB), RawImage.Mode.READ_ONLY);
        int[] id = rig.identify(0, 0xEC);
        long sectors = 10 * GIB / 512;
        assertEquals(0x0040, id[0], "fixed ATA device");
        assertEquals(16383, id[1], "cylinders capped");
        assertEquals(16, id[3]);
        assertEquals(63, id[6]);
        assertEquals("SN0001", IdeRig.idString(id, 10, 10));
        assertEquals("0.1.0", IdeRig.idString(id, 23, 4));
        assertEquals("VMM TEST DISK", IdeRig.idString(id, 27, 20));
        assertEquals(0x8010, id[47], "READ/WRITE MULTIPLE up to 16 sectors");
        assertEquals(0x0300, id[49] & 0x0300, "LBA and DMA");
        assertEquals(sectors, id[60] | (long) id[61] << 16, "LBA28 capacity");
        assertEquals(sectors, id[100] | (long) id[101] << 16 | (long) id[102] << 32
                | (long) id[103] << 48, "LBA48 capacity");
        assertEquals(0x0400, id[83] & 0x0400, "48-bit feature set supported");
        assertEquals(0x3000, id[83] & 0x3000, "FLUSH CACHE and FLUSH CACHE EXT");
        assertEquals(0x0400, id[86] & 0x0400, "48-bit enabled");
        assertEquals(0x0007, id[63] & 0x07, "multiword DMA 0-2");
        assertEquals(0x003F, id[88] & 0x3F, "UDMA 0-5");
        assertEquals(0x50, rig.status(), "DRQ gone after 512 bytes");
        int sum = 0;
        for (int w : id) {
            sum += (w & 0xFF) + (w >>> 8);
        }
        assertEquals(0xA5, id[255] & 0xFF);
        assertEquals(0, sum & 0xFF, "integrity word");
    }

    @Test
    void lba48BeyondTheLba28Limit() throws IOException {
        Path p = TestImages.sparse(dir, "200g.img", 200 * GIB);
        long far = (1L << 28) + 12345;                     // past 128 GiB
        TestImages.writeAt(p, far * 512, TestImages.sector(far, 512));
        disk(p, RawImage.Mode.READ_ONLY);
        int[] id = rig.identify(0, 0xEC);
        assertEquals(0x0FFF_FFFFL, id[60] | (long) id[61] << 16, "LBA28 capacity saturates");
        assertEquals(200 * GIB / 512, id[100] | (long) id[101] << 16 | (long) id[102] << 32);
        rig.lba48(0, 0x24, far, 1);                         // READ SECTORS EXT
        assertEquals(0x58, rig.status());
        assertArrayEquals(TestImages.sector(far, 512), rig.insw(512));
        assertEquals(0x50, rig.status());
        // the address registers hold the sector read, with HOB giving bits 47-24
        assertEquals(far & 0xFF, rig.in8(LBA_LOW));
        rig.out8(IdeRig.CONTROL, 0x80);
        assertEquals((far >>> 24) & 0xFF, rig.in8(LBA_LOW));
        assertEquals(0, rig.in8(LBA_HIGH));
    }

    @Test
    void readSectorsOneDrqBlockAndInterruptPerSector() throws IOException {
        patterned(64, RawImage.Mode.READ_WRITE);
        rig.out8(IdeRig.CONTROL, 0x00);                     // interrupts on
        rig.lba28(0, 0x20, 5, 3);
        for (int s = 0; s < 3; s++) {
            assertTrue(rig.irq14.level(), "INTRQ for block " + s);
            assertEquals(0x58, rig.status(), "DRDY DSC DRQ");
            assertTrue(!rig.irq14.level(), "status read clears INTRQ");
            assertArrayEquals(TestImages.sector(5 + s, 512), rig.insw(512));
        }
        assertEquals(3, rig.irq14.risingEdges());
        assertEquals(0x50, rig.altStatus());
        assertEquals(7, rig.in8(LBA_LOW), "last sector read");
    }

    @Test
    void thirtyTwoBitPio() throws IOException {
        patterned(8, RawImage.Mode.READ_ONLY);
        rig.lba28(0, 0x20, 2, 2);
        assertArrayEquals(TestImages.sectors(2, 2, 512), concat(rig.insl(512), rig.insl(512)));
        assertEquals(0x50, rig.status());
    }

    @Test
    void writeSectorsReachTheFile() throws IOException {
        Path file = TestImages.create(dir, "rw.img", 32, 512);
        disk(file, RawImage.Mode.READ_WRITE);
        byte[] data = new byte[1024];
        Arrays.fill(data, (byte) 0x5A);
        rig.out8(IdeRig.CONTROL, 0x00);
        rig.lba28(0, 0x30, 10, 2);
        assertEquals(0x58, rig.altStatus(), "DRQ for the first block");
        assertEquals(0, rig.irq14.risingEdges(), "no interrupt before the first block");
        rig.outsw(Arrays.copyOf(data, 512));
        assertEquals(1, rig.irq14.risingEdges(), "interrupt asking for the second block");
        assertEquals(0x58, rig.status());
        rig.outsw(Arrays.copyOfRange(data, 512, 1024));
        assertEquals(2, rig.irq14.risingEdges(), "completion interrupt");
        assertEquals(0x50, rig.status());
        rig.out8(COMMAND, 0xE7);                            // FLUSH CACHE
        assertEquals(0x50, rig.status());
        byte[] f = Files.readAllBytes(file);
        assertArrayEquals(data, Arrays.copyOfRange(f, 10 * 512, 12 * 512));
        assertArrayEquals(TestImages.sector(12, 512), Arrays.copyOfRange(f, 12 * 512, 13 * 512));
    }

    @Test
    void writeToReadOnlyImageIsAbortedAndTheFileUntouched() throws IOException {
        Path file = TestImages.create(dir, "ro.img", 16, 512);
        byte[] before = Files.readAllBytes(file);
        AtaDisk d = disk(file, RawImage.Mode.READ_ONLY);
        rig.lba28(0, 0x30, 1, 1);
        assertEquals(0x41, rig.status(), "DRDY ERR, no DRQ");
        assertEquals(0x04, rig.in8(ERROR), "ABRT");
        rig.outsw(new byte[512]);                           // a driver that pushes on anyway
        rig.lba28(0, 0xCA, 1, 1);                           // WRITE DMA too
        assertEquals(0x41, rig.status());
        assertEquals(2, d.refusedWrites());
        assertArrayEquals(before, Files.readAllBytes(file));
        rig.lba28(0, 0x20, 1, 1);                           // reads still work
        assertArrayEquals(TestImages.sector(1, 512), rig.insw(512));
    }

    @Test
    void copyOnWriteGuestSeesItsWritesTheFileDoesNot() throws IOException {
        Path file = TestImages.create(dir, "cow.img", 300, 512);
        byte[] before = Files.readAllBytes(file);
        disk(file, RawImage.Mode.COPY_ON_WRITE);
        byte[] data = new byte[512];
        Arrays.fill(data, (byte) 0xC3);
        rig.lba28(0, 0x30, 130, 1);                         // second 64 KiB cluster
        rig.outsw(data);
        assertEquals(0x50, rig.status());
        rig.lba28(0, 0x20, 129, 3);
        assertArrayEquals(TestImages.sector(129, 512), rig.insw(512));
        assertArrayEquals(data, rig.insw(512));
        assertArrayEquals(TestImages.sector(131, 512), rig.insw(512));
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(1, image.overlay().orElseThrow().clusterCount());
    }

    @Test
    void readMultipleUsesTheSetBlockSize() throws IOException {
        patterned(64, RawImage.Mode.READ_ONLY);
        rig.out8(IdeRig.CONTROL, 0x00);
        rig.out8(DEVICE, 0xE0);
        rig.out8(COUNT, 3);
        rig.out8(COMMAND, 0xC6);                            // SET MULTIPLE 3: not a power of 2
        assertEquals(0x41, rig.status());
        rig.out8(COUNT, 4);
        rig.out8(COMMAND, 0xC6);
        assertEquals(0x50, rig.status());
        assertEquals(0x0104, rig.identify(0, 0xEC)[59], "multiple setting valid, 4");
        rig.irq14.clear();
        rig.lba28(0, 0xC4, 20, 10);                         // READ MULTIPLE: 4 + 4 + 2
        byte[] all = new byte[0];
        for (int block : new int[] {4, 4, 2}) {
            assertEquals(0x58, rig.status());
            all = concat(all, rig.insw(block * 512));
        }
        assertEquals(0x50, rig.status());
        assertEquals(3, rig.irq14.risingEdges());
        assertArrayEquals(TestImages.sectors(20, 10, 512), all);
        rig.lba48(0, 0x29, 30, 5);                          // READ MULTIPLE EXT: 4 + 1
        assertArrayEquals(TestImages.sectors(30, 4, 512), rig.insw(4 * 512));
        assertArrayEquals(TestImages.sector(34, 512), rig.insw(512));
        assertEquals(0x50, rig.status());
    }

    @Test
    void writeMultiple() throws IOException {
        Path file = TestImages.create(dir, "wm.img", 64, 512);
        disk(file, RawImage.Mode.READ_WRITE);
        rig.out8(DEVICE, 0xE0);
        rig.out8(COUNT, 2);
        rig.out8(COMMAND, 0xC6);
        byte[] data = new byte[3 * 512];
        Arrays.fill(data, (byte) 0x77);
        rig.lba28(0, 0xC5, 40, 3);
        rig.outsw(Arrays.copyOf(data, 1024));
        assertEquals(0x58, rig.status());
        rig.outsw(Arrays.copyOfRange(data, 1024, 1536));
        assertEquals(0x50, rig.status());
        assertArrayEquals(data, Arrays.copyOfRange(Files.readAllBytes(file), 40 * 512, 43 * 512));
    }

    @Test
    void readMultipleWithoutSetMultipleIsAborted() throws IOException {
        patterned(8, RawImage.Mode.READ_ONLY);
        rig.out8(COUNT, 0);
        rig.out8(COMMAND, 0xC6);                            // SET MULTIPLE 0: disables
        assertEquals(0x50, rig.status());
        rig.lba28(0, 0xC4, 0, 1);
        assertEquals(0x41, rig.status());
        assertEquals(0x04, rig.in8(ERROR));
    }

    @Test
    void rangePastTheEndReportsIdnf() throws IOException {
        patterned(16, RawImage.Mode.READ_ONLY);
        rig.lba28(0, 0x20, 15, 2);
        assertEquals(0x41, rig.status());
        assertEquals(0x10, rig.in8(ERROR), "IDNF");
        rig.lba28(0, 0x40, 15, 2);                          // READ VERIFY
        assertEquals(0x10, rig.in8(ERROR));
        rig.lba28(0, 0x40, 14, 2);
        assertEquals(0x50, rig.status());
    }

    @Test
    void chsAddressingWithDefaultAndInitializedGeometry() throws IOException {
        patterned(16 * 63 * 3, RawImage.Mode.READ_ONLY);
        // cylinder 1, head 2, sector 5: (1 * 16 + 2) * 63 + 4
        chsRead(1, 2, 5);
        assertArrayEquals(TestImages.sector(18 * 63 + 4, 512), rig.insw(512));
        // INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors per track
        rig.out8(COUNT, 17);
        rig.out8(DEVICE, 0xA0 | 3);
        rig.out8(COMMAND, 0x91);
        assertEquals(0x50, rig.status());
        int[] id = rig.identify(0, 0xEC);
        assertEquals(4, id[55]);
        assertEquals(17, id[56]);
        assertEquals(3024 / 68, id[54]);
        chsRead(2, 3, 17);
        assertArrayEquals(TestImages.sector((2 * 4 + 3) * 17 + 16, 512), rig.insw(512));
        chsRead(0, 0, 18);                                  // sector past the track
        assertEquals(0x41, rig.status());
        assertEquals(0x10, rig.in8(ERROR));
    }

    private void chsRead(int cyl, int head, int sector) {
        rig.out8(DEVICE, 0xA0 | head);
        rig.out8(COUNT, 1);
        rig.out8(LBA_LOW, sector);
        rig.out8(LBA_MID, cyl);
        rig.out8(LBA_HIGH, cyl >>> 8);
        rig.out8(COMMAND, 0x20);
    }

    @Test
    void unknownCommandsAbortAndPowerCommandsSucceed() throws IOException {
        AtaDisk d = patterned(8, RawImage.Mode.READ_ONLY);
        for (int cmd : new int[] {0x00, 0xA0, 0xA1, 0xB0, 0x08, 0xF8}) {
            rig.out8(COMMAND, cmd);
            assertEquals(0x41, rig.status(), String.format("command %02x", cmd));
            assertEquals(0x04, rig.in8(ERROR));
        }
        for (int cmd : new int[] {0xE0, 0xE1, 0xE3, 0x10, 0x70}) {
            rig.out8(COMMAND, cmd);
            assertEquals(0x50, rig.status(), String.format("command %02x", cmd));
        }
        rig.out8(COMMAND, 0xE5);                            // CHECK POWER MODE
        assertEquals(0xFF, rig.in8(COUNT));
        assertTrue(d.ignoredAccesses() > 0);
    }

    @Test
    void setFeaturesTransferModeShowsInIdentify() throws IOException {
        patterned(8, RawImage.Mode.READ_ONLY);
        rig.out8(FEATURE, 0x03);
        rig.out8(COUNT, 0x42);                              // UDMA 2
        rig.out8(COMMAND, 0xEF);
        assertEquals(0x50, rig.status());
        int[] id = rig.identify(0, 0xEC);
        assertEquals(0x043F, id[88]);
        assertEquals(0x0007, id[63]);
        rig.out8(FEATURE, 0x03);
        rig.out8(COUNT, 0x21);                              // multiword DMA 1
        rig.out8(COMMAND, 0xEF);
        id = rig.identify(0, 0xEC);
        assertEquals(0x0207, id[63]);
        assertEquals(0x003F, id[88]);
        rig.out8(FEATURE, 0x03);
        rig.out8(COUNT, 0x50);                              // no such mode
        rig.out8(COMMAND, 0xEF);
        assertEquals(0x41, rig.status());
        rig.out8(FEATURE, 0x82);                            // write cache off
        rig.out8(COMMAND, 0xEF);
        assertEquals(0x50, rig.status());
        assertEquals(0, rig.identify(0, 0xEC)[85] & 0x20);
    }

    @Test
    void sectorCountZeroMeans256() throws IOException {
        patterned(300, RawImage.Mode.READ_ONLY);
        rig.lba28(0, 0x20, 1, 0);
        byte[] all = new byte[0];
        for (int i = 0; i < 256; i++) {
            assertEquals(0x58, rig.status());
            all = concat(all, rig.insw(512));
        }
        assertEquals(0x50, rig.status());
        assertArrayEquals(TestImages.sectors(1, 256, 512), all);
    }

    @Test
    void hostReadFailureReportsUncorrectable() throws IOException {
        Path file = TestImages.create(dir, "bad.img", 16, 512);
        image = RawImage.open(file, RawImage.Mode.READ_ONLY);
        AtaDisk d = new AtaDisk(new FailingImage(image, 6));
        rig.ide.connect(0, 0, d);
        rig.lba28(0, 0x20, 5, 2);
        assertEquals(0x58, rig.status());
        rig.insw(512);
        assertEquals(0x41, rig.status(), "ERR on the second sector");
        assertEquals(0x40, rig.in8(ERROR), "UNC");
        assertEquals(6, rig.in8(LBA_LOW), "the failing sector");
        assertEquals(1, d.hostErrors());
        rig.prdTable(0, 0x9000, 0x20000, 1024);             // and by DMA
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        rig.lba28(0, 0xC8, 5, 2);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertEquals(BusMaster.ST_ERROR | BusMaster.ST_INTERRUPT, rig.bmStatus(0) & 0x07);
        assertEquals(0x41, rig.status());
        assertEquals(0x40, rig.in8(ERROR));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}

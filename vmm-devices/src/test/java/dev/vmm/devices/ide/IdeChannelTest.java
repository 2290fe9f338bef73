package dev.vmm.devices.ide;

import static dev.vmm.devices.ide.IdeRig.COMMAND;
import static dev.vmm.devices.ide.IdeRig.CONTROL;
import static dev.vmm.devices.ide.IdeRig.COUNT;
import static dev.vmm.devices.ide.IdeRig.DEVICE;
import static dev.vmm.devices.ide.IdeRig.ERROR;
import static dev.vmm.devices.ide.IdeRig.LBA_HIGH;
import static dev.vmm.devices.ide.IdeRig.LBA_LOW;
import static dev.vmm.devices.ide.IdeRig.LBA_MID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Task file, selection, reset, interrupts and absent drives of one channel. */
class IdeChannelTest {
    @TempDir
    Path dir;
    private final IdeRig rig = new IdeRig();
    private RawImage disk;
    private IsoImage iso;

    @AfterEach
    void close() throws IOException {
        if (disk != null) {
            disk.close();
        }
        if (iso != null) {
            iso.close();
        }
        rig.close();
    }

    private void diskAt(int unit) throws IOException {
        disk = RawImage.open(TestImages.create(dir, "d.img", 64, 512), RawImage.Mode.READ_ONLY);
        rig.ide.connect(0, unit, new AtaDisk(disk));
    }

    private void cdAt(int unit) throws IOException {
        iso = IsoImage.open(TestImages.create(dir, "cd.iso", 16, 2048));
        rig.ide.connect(0, unit, new AtapiCdrom(iso));
    }

    @Test
    void softResetLeavesAtaAndAtapiSignatures() throws IOException {
        diskAt(0);
        cdAt(1);
        rig.select(1);
        rig.out8(COUNT, 0x55);
        rig.out8(CONTROL, 0x06);
        assertEquals(0x80, rig.altStatus(), "BSY while SRST is set");
        rig.select(0);
        assertEquals(0x80, rig.status());
        rig.out8(CONTROL, 0x02);
        assertArrayEquals(new int[] {1, 1, 0, 0}, rig.signature(0), "ATA signature");
        assertEquals(0x50, rig.status());
        assertEquals(0x01, rig.in8(ERROR), "diagnostics passed");
        assertArrayEquals(new int[] {1, 1, 0x14, 0xEB}, rig.signature(1), "ATAPI signature");
        assertEquals(0x00, rig.status(), "ATAPI: DRDY clear after reset");
        assertEquals(0x01, rig.in8(ERROR));
        assertEquals(0, rig.irq14.risingEdges(), "reset does not interrupt");
    }

    @Test
    void resetSelectsDeviceZero() throws IOException {
        diskAt(0);
        cdAt(1);
        rig.select(1);
        rig.softReset();
        assertEquals(0, rig.in8(DEVICE) & 0x10);
        assertEquals(0x50, rig.status(), "device 0 answers");
    }

    @Test
    void libataDeviceCheckFindsPresentDrives() throws IOException {
        diskAt(0);
        for (int unit = 0; unit < 2; unit++) {              // ata_devchk
            rig.select(unit);
            rig.out8(COUNT, 0x55);
            rig.out8(LBA_LOW, 0xAA);
            rig.out8(COUNT, 0xAA);
            rig.out8(LBA_LOW, 0x55);
            rig.out8(COUNT, 0x55);
            rig.out8(LBA_LOW, 0xAA);
            assertEquals(0x55, rig.in8(COUNT));
            assertEquals(0xAA, rig.in8(LBA_LOW));
        }
        rig.softReset();                                    // classify: device 1 shows nothing
        rig.select(1);
        assertEquals(0, rig.status(), "absent device 1 reads status 00h");
        assertEquals(0, rig.in8(ERROR), "and error 00h: no device");
    }

    @Test
    void emptyChannelReadsZero() {
        for (int port = 0x170; port <= 0x177; port++) {
            assertEquals(0, rig.in8(port), String.format("port %x", port));
        }
        assertEquals(0, rig.in8(0x376));
        rig.out8(0x176, 0xA0);
        rig.out8(0x172, 0x55);
        rig.out8(0x173, 0xAA);
        assertEquals(0, rig.in8(0x172), "SeaBIOS's 55h/AAh probe fails");
        assertEquals(0, rig.in8(0x173));
        rig.out8(0x177, 0xEC);
        assertEquals(0, rig.in8(0x177));
        assertEquals(0, rig.bus.read(0x170, 2));
        assertEquals(0, rig.irq15.risingEdges());
        assertTrue(rig.ide.channel(1).ignoredAccesses() > 0);
    }

    @Test
    void absentSlaveBesideAMaster() throws IOException {
        diskAt(0);
        rig.select(1);
        assertEquals(0xB0, rig.in8(DEVICE));
        rig.out8(COUNT, 0x12);
        assertEquals(0x12, rig.in8(COUNT), "device 0 answers for device 1's registers");
        rig.out8(COMMAND, 0xEC);                            // IDENTIFY to nobody
        assertEquals(0, rig.status(), "status 00h: SeaBIOS skips the slave");
        assertEquals(0, rig.altStatus());
        assertFalse(rig.irq14.level());
        assertEquals(0, rig.bus.read(IdeRig.DATA, 2));
        rig.select(0);
        assertEquals(0x50, rig.status(), "device 0 untouched");
    }

    @Test
    void nienGatesIntrqAndStatusReadClearsIt() throws IOException {
        diskAt(0);
        rig.out8(CONTROL, 0x02);                            // nIEN
        rig.out8(COMMAND, 0xE7);                            // FLUSH CACHE
        assertFalse(rig.irq14.level(), "nIEN floats INTRQ");
        assertEquals(0x50, rig.altStatus());
        rig.out8(CONTROL, 0x00);
        assertTrue(rig.irq14.level(), "the pending interrupt shows once nIEN clears");
        assertEquals(0x50, rig.altStatus());
        assertTrue(rig.irq14.level(), "alternate status leaves it pending");
        assertEquals(0x50, rig.status());
        assertFalse(rig.irq14.level(), "status read clears it");
        rig.out8(CONTROL, 0x02);
        rig.out8(CONTROL, 0x00);
        assertFalse(rig.irq14.level(), "nothing pending any more");
    }

    @Test
    void onlyTheSelectedDriveDrivesIntrq() throws IOException {
        diskAt(0);
        cdAt(1);
        rig.out8(CONTROL, 0x00);
        rig.select(0);
        rig.out8(COMMAND, 0xE7);
        assertTrue(rig.irq14.level());
        rig.select(1);
        assertFalse(rig.irq14.level(), "device 1 selected: device 0's INTRQ floats");
        rig.select(0);
        assertTrue(rig.irq14.level());
    }

    @Test
    void newCommandMakesAFreshEdge() throws IOException {
        diskAt(0);
        rig.out8(CONTROL, 0x00);
        rig.out8(COMMAND, 0xE7);
        rig.out8(COMMAND, 0xE7);                            // the first was never acknowledged
        assertEquals(2, rig.irq14.risingEdges());
    }

    @Test
    void executeDeviceDiagnostic() throws IOException {
        diskAt(0);
        cdAt(1);
        rig.out8(CONTROL, 0x00);
        rig.select(1);
        rig.out8(LBA_MID, 0x77);
        rig.out8(COMMAND, 0x90);
        assertTrue(rig.irq14.level(), "device 0 interrupts");
        assertEquals(0, rig.in8(DEVICE) & 0x10, "device 0 selected");
        assertEquals(0x01, rig.in8(ERROR));
        assertArrayEquals(new int[] {1, 1, 0x14, 0xEB}, rig.signature(1));
        assertArrayEquals(new int[] {1, 1, 0, 0}, rig.signature(0));
    }

    @Test
    void hobReadsThePreviousBytes() throws IOException {
        diskAt(0);
        rig.out8(COUNT, 0x01);
        rig.out8(COUNT, 0x02);
        rig.out8(LBA_LOW, 0x11);
        rig.out8(LBA_LOW, 0x22);
        rig.out8(LBA_MID, 0x33);
        rig.out8(LBA_MID, 0x44);
        rig.out8(LBA_HIGH, 0x55);
        rig.out8(LBA_HIGH, 0x66);
        rig.out8(CONTROL, 0x82);
        assertEquals(0x01, rig.in8(COUNT));
        assertEquals(0x11, rig.in8(LBA_LOW));
        assertEquals(0x33, rig.in8(LBA_MID));
        assertEquals(0x55, rig.in8(LBA_HIGH));
        rig.out8(DEVICE, 0xE0);                             // a command block write clears HOB
        assertEquals(0x02, rig.in8(COUNT));
        assertEquals(0x66, rig.in8(LBA_HIGH));
    }

    @Test
    void identifyDeviceOnAtapiAbortsWithTheSignature() throws IOException {
        diskAt(0);
        cdAt(1);
        rig.select(1);
        rig.out8(LBA_MID, 0);
        rig.out8(LBA_HIGH, 0);
        rig.out8(COMMAND, 0xEC);
        assertEquals(0x41, rig.status());
        assertEquals(0x04, rig.in8(ERROR) & 0x04);
        assertEquals(0x14, rig.in8(LBA_MID));
        assertEquals(0xEB, rig.in8(LBA_HIGH));
        int[] id = rig.identify(1, 0xA1);
        assertEquals(0x85C0, id[0], "ATAPI CD-ROM, removable, 12-byte packets");
        assertEquals("VMM DVD-ROM", IdeRig.idString(id, 27, 20));
        rig.select(0);
        rig.out8(COMMAND, 0xA1);                            // IDENTIFY PACKET to the disk
        assertEquals(0x41, rig.status());
        assertEquals(0, rig.in8(LBA_MID), "an ATA disk keeps quiet about ATAPI");
    }

    @Test
    void commandsDuringSoftResetAreIgnored() throws IOException {
        diskAt(0);
        rig.out8(CONTROL, 0x04);
        rig.out8(COMMAND, 0xEC);
        assertEquals(0x80, rig.status());
        rig.out8(CONTROL, 0x00);
        assertEquals(0x50, rig.status(), "no IDENTIFY data pending");
        assertFalse(rig.irq14.level());
    }

    @Test
    void resetAbortsATransferInProgress() throws IOException {
        diskAt(0);
        rig.lba28(0, 0x20, 0, 4);
        rig.insw(100);
        rig.softReset();
        assertEquals(0x50, rig.status());
        assertEquals(0, rig.bus.read(IdeRig.DATA, 2), "no data after reset");
        rig.lba28(0, 0x20, 3, 1);
        assertArrayEquals(TestImages.sector(3, 512), rig.insw(512));
    }
}

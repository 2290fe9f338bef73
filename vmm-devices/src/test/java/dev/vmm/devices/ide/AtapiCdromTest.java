package dev.vmm.devices.ide;

import static dev.vmm.devices.ide.IdeRig.COMMAND;
import static dev.vmm.devices.ide.IdeRig.COUNT;
import static dev.vmm.devices.ide.IdeRig.ERROR;
import static dev.vmm.devices.ide.IdeRig.FEATURE;
import static dev.vmm.devices.ide.IdeRig.LBA_HIGH;
import static dev.vmm.devices.ide.IdeRig.LBA_MID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.IsoImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An ATAPI DVD-ROM as primary slave, driven as libata's ATAPI path and SeaBIOS drive it. */
class AtapiCdromTest {
    private static final int SECTORS = 64;

    @TempDir
    Path dir;
    private final IdeRig rig = new IdeRig();
    private IsoImage iso;
    private AtapiCdrom cd;
    /** Byte counts of the DRQ blocks of the last {@link #pioIn()}. */
    private final List<Integer> blocks = new ArrayList<>();

    @BeforeEach
    void drive() throws IOException {
        iso = IsoImage.open(TestImages.create(dir, "test.iso", SECTORS, 2048));
        cd = new AtapiCdrom(iso);
        rig.ide.connect(0, 1, cd);
        rig.out8(IdeRig.CONTROL, 0x00);
    }

    @AfterEach
    void close() throws IOException {
        iso.close();
        rig.close();
    }

    /** PACKET with {@code limit} in the byte count registers, then the 12-byte CDB. */
    private void packet(int limit, boolean dma, int... cdb) {
        rig.select(1);
        rig.out8(FEATURE, dma ? 1 : 0);
        rig.out8(LBA_MID, limit);
        rig.out8(LBA_HIGH, limit >>> 8);
        rig.out8(COMMAND, 0xA0);
        assertEquals(0x58, rig.altStatus() & 0xD9, "DRQ for the packet");
        assertEquals(0x01, rig.in8(COUNT) & 3, "interrupt reason: CoD");
        byte[] b = new byte[12];
        for (int i = 0; i < cdb.length; i++) {
            b[i] = (byte) cdb[i];
        }
        rig.outsw(b);
    }

    /** The data-in phase: DRQ blocks until the status shows completion. */
    private byte[] pioIn() {
        blocks.clear();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            assertTrue(rig.irq14.level(), "an interrupt per phase");
            int st = rig.status();
            if ((st & 0x08) == 0) {
                assertEquals(0x03, rig.in8(COUNT) & 3, "interrupt reason: CoD IO (status)");
                return out.toByteArray();
            }
            assertEquals(0x02, rig.in8(COUNT) & 3, "interrupt reason: IO (data to host)");
            int n = rig.in8(LBA_MID) | rig.in8(LBA_HIGH) << 8;
            blocks.add(n);
            out.writeBytes(rig.insw(n));
        }
    }

    private void assertGood() {
        assertEquals(0x50, rig.altStatus() & 0xD9, "DRDY, no CHECK");
    }

    private void assertCheck(int key) {
        assertTrue(rig.irq14.level());
        assertEquals(0x41, rig.status() & 0xC9, "CHECK CONDITION");
        assertEquals(key << 4, rig.in8(ERROR) & 0xF0, "sense key in the error register");
        assertEquals(0x03, rig.in8(COUNT) & 3);
    }

    private int[] requestSense() {
        packet(0xFFFE, false, 0x03, 0, 0, 0, 18);
        byte[] s = pioIn();
        assertEquals(18, s.length);
        assertEquals(0x70, s[0] & 0xFF);
        return new int[] {s[2] & 0x0F, s[12] & 0xFF, s[13] & 0xFF};
    }

    @Test
    void inquiry() {
        packet(0xFFFE, false, 0x12, 0, 0, 0, 36);
        byte[] d = pioIn();
        assertEquals(36, d.length);
        assertEquals(0x05, d[0], "CD/DVD device");
        assertEquals(0x80, d[1] & 0xFF, "removable");
        assertEquals("VMM     DVD-ROM", new String(d, 8, 24, java.nio.charset.StandardCharsets.US_ASCII)
                .trim());
        assertGood();
    }

    @Test
    void readCapacityAndTestUnitReady() {
        packet(0xFFFE, false, 0x00);
        assertTrue(rig.irq14.level());
        assertEquals(0x50, rig.status() & 0xD9);
        packet(0xFFFE, false, 0x25);
        byte[] d = pioIn();
        assertArrayEquals(new byte[] {0, 0, 0, SECTORS - 1, 0, 0, 8, 0}, d);
    }

    @Test
    void read10ByPioRespectsTheByteCountLimit() {
        // READ(10) of 5 sectors from LBA 3 with a 4096-byte limit: 4096 + 4096 + 2048
        packet(4096, false, 0x28, 0, 0, 0, 0, 3, 0, 0, 5);
        byte[] d = pioIn();
        assertEquals(List.of(4096, 4096, 2048), blocks);
        assertArrayEquals(TestImages.sectors(3, 5, 2048), d);
        assertGood();
        // an odd limit is rounded down to even: 2049 -> 2048 per block
        packet(2049, false, 0x28, 0, 0, 0, 0, 60, 0, 0, 2);
        assertArrayEquals(TestImages.sectors(60, 2, 2048), pioIn());
        assertEquals(List.of(2048, 2048), blocks);
    }

    @Test
    void read12() {
        packet(0xFFFE, false, 0xA8, 0, 0, 0, 0, 10, 0, 0, 0, 3);
        assertArrayEquals(TestImages.sectors(10, 3, 2048), pioIn());
    }

    @Test
    void readOutOfRangeThenRequestSense() {
        packet(0xFFFE, false, 0x28, 0, 0, 0, 0, 63, 0, 0, 2);
        assertCheck(AtapiCdrom.KEY_ILLEGAL_REQUEST);
        assertArrayEquals(new int[] {5, 0x21, 0}, requestSense(), "LBA out of range");
        assertArrayEquals(new int[] {0, 0, 0}, requestSense(), "sense is cleared once read");
    }

    @Test
    void invalidOpcode() {
        packet(0xFFFE, false, 0xFD);
        assertCheck(AtapiCdrom.KEY_ILLEGAL_REQUEST);
        assertArrayEquals(new int[] {5, 0x20, 0}, requestSense());
    }

    @Test
    void readTocFormatZeroInLbaAndMsf() {
        packet(0xFFFE, false, 0x43, 0, 0, 0, 0, 0, 0, 0, 100);
        byte[] d = pioIn();
        assertEquals(20, d.length);
        assertEquals(18, (d[0] << 8 | d[1] & 0xFF), "TOC data length");
        assertEquals(1, d[2]);
        assertEquals(1, d[3]);
        assertEquals(0x14, d[5], "data track");
        assertEquals(1, d[6]);
        assertArrayEquals(new byte[] {0, 0, 0, 0}, Arrays.copyOfRange(d, 8, 12));
        assertEquals((byte) 0xAA, d[14], "lead-out");
        assertArrayEquals(new byte[] {0, 0, 0, SECTORS}, Arrays.copyOfRange(d, 16, 20));
        packet(0xFFFE, false, 0x43, 0x02, 0, 0, 0, 0, 0, 0, 100);    // MSF
        d = pioIn();
        assertArrayEquals(new byte[] {0, 0, 2, 0}, Arrays.copyOfRange(d, 8, 12), "00:02:00");
        assertArrayEquals(new byte[] {0, 0, 2, SECTORS}, Arrays.copyOfRange(d, 16, 20),
                "lead-out at 00:02:64");
        packet(0xFFFE, false, 0x43, 0, 0, 0, 0, 0, 0xAA, 0, 100);    // from the lead-out
        assertEquals(12, pioIn().length);
        packet(0xFFFE, false, 0x43, 0, 0, 0, 0, 0, 2, 0, 100);       // no track 2
        assertCheck(AtapiCdrom.KEY_ILLEGAL_REQUEST);
    }

    @Test
    void readTocFormatOneMultiSession() {
        packet(0xFFFE, false, 0x43, 0, 1, 0, 0, 0, 0, 0, 12);
        byte[] d = pioIn();
        assertArrayEquals(new byte[] {0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0}, d);
        packet(0xFFFE, false, 0x43, 0, 0, 0, 0, 0, 0, 0, 12, 0x40);  // SFF-8020 format bits
        assertArrayEquals(d, pioIn());
        packet(0xFFFE, false, 0x43, 0, 0, 0, 0, 0, 0, 0, 4);         // allocation length 4
        assertEquals(4, pioIn().length);
    }

    @Test
    void modeSenseCapabilitiesPage() {
        packet(0xFFFE, false, 0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 128);
        byte[] d = pioIn();
        assertEquals(36, d.length);
        assertEquals(34, d[1], "mode data length");
        assertEquals(0x2A, d[8]);
        assertEquals(0x1A, d[9]);
        assertEquals(0x08, d[14] & 0x08, "can eject");
        packet(0xFFFE, false, 0x5A, 0, 0x3F, 0, 0, 0, 0, 0, 128);
        assertEquals(48, pioIn().length);
        packet(0xFFFE, false, 0x5A, 0, 0xC1, 0, 0, 0, 0, 0, 128);    // saved values
        assertCheck(AtapiCdrom.KEY_ILLEGAL_REQUEST);
        assertArrayEquals(new int[] {5, 0x39, 0}, requestSense());
        packet(0xFFFE, false, 0x5A, 0, 0x05, 0, 0, 0, 0, 0, 128);    // no such page
        assertCheck(AtapiCdrom.KEY_ILLEGAL_REQUEST);
    }

    @Test
    void getConfigurationReportsTheCdRomProfile() {
        packet(0xFFFE, false, 0x46, 0, 0, 0, 0, 0, 0, 0, 255);
        byte[] d = pioIn();
        assertEquals(0x0008, d[6] << 8 | d[7], "current profile CD-ROM");
        assertEquals(d.length - 4, d[3]);
        packet(0xFFFE, false, 0x46, 2, 0, 1, 0, 0, 0, 0, 255);       // RT 2, feature 1 only
        d = pioIn();
        assertEquals(20, d.length);
        assertEquals(1, d[9], "Core feature");
        assertEquals(2, d[15], "ATAPI interface");
    }

    @Test
    void mediaChangeUnitAttentionAndEvents() throws IOException {
        packet(0xFFFE, false, 0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8);
        byte[] e = pioIn();
        assertEquals(0, e[4], "no media event yet");
        assertEquals(0x02, e[5], "media present");
        IsoImage other = IsoImage.open(TestImages.create(dir, "other.iso", 8, 2048));
        try {
            cd.eject();
            packet(0xFFFE, false, 0x00);
            assertCheck(AtapiCdrom.KEY_UNIT_ATTENTION);
            packet(0xFFFE, false, 0x00);
            assertCheck(AtapiCdrom.KEY_NOT_READY);
            assertArrayEquals(new int[] {2, 0x3A, 1}, requestSense(), "medium not present");
            cd.insert(other);
            packet(0xFFFE, false, 0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8);
            e = pioIn();
            assertEquals(AtapiCdrom.EVENT_NEW_MEDIA, e[4]);
            assertArrayEquals(new int[] {6, 0x28, 0}, requestSense(), "medium may have changed");
            packet(0xFFFE, false, 0x25);
            assertEquals(7, pioIn()[3]);
        } finally {
            other.close();
        }
    }

    @Test
    void trayAndLock() {
        packet(0xFFFE, false, 0x1E, 0, 0, 0, 1);            // PREVENT MEDIUM REMOVAL
        assertGood();
        packet(0xFFFE, false, 0x1B, 0, 0, 0, 0x02);         // eject
        assertCheck(AtapiCdrom.KEY_ILLEGAL_REQUEST);
        assertArrayEquals(new int[] {5, 0x53, 2}, requestSense());
        packet(0xFFFE, false, 0x1E, 0, 0, 0, 0);
        packet(0xFFFE, false, 0x1B, 0, 0, 0, 0x02);
        assertGood();
        packet(0xFFFE, false, 0x00);
        assertCheck(AtapiCdrom.KEY_NOT_READY);
        assertArrayEquals(new int[] {2, 0x3A, 2}, requestSense(), "tray open");
        packet(0xFFFE, false, 0x1B, 0, 0, 0, 0x03);         // load
        packet(0xFFFE, false, 0x00);
        assertTrue(rig.irq14.level());
        assertEquals(0x50, rig.status() & 0xD9);
    }

    @Test
    void emptyDriveIsNotReady() throws IOException {
        IdeRig r2 = new IdeRig();
        try {
            r2.ide.connect(1, 0, new AtapiCdrom(null));
            r2.out8(0x176, 0xA0);
            r2.out8(0x171, 0);
            r2.out8(0x174, 0xFE);
            r2.out8(0x175, 0xFF);
            r2.out8(0x177, 0xA0);
            r2.outsw170(new byte[12]);                      // TEST UNIT READY
            assertTrue(r2.irq15.level());
            assertEquals(0x41, r2.in8(0x177) & 0xC9);
            assertEquals(0x20, r2.in8(0x171) & 0xF0, "NOT READY");
        } finally {
            r2.close();
        }
    }

    @Test
    void dmaRead() {
        rig.prdTable(0, 0x8000, 0x20000, 4096, 0x30000, 2048);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        packet(0, true, 0x28, 0, 0, 0, 0, 20, 0, 0, 3);
        assertEquals(0x02, rig.in8(COUNT) & 3, "data phase");
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertTrue(rig.irq14.level());
        assertEquals(BusMaster.ST_INTERRUPT, rig.bmStatus(0) & 0x07);
        assertEquals(0x50, rig.status() & 0xD9);
        assertEquals(0x03, rig.in8(COUNT) & 3);
        assertArrayEquals(TestImages.sectors(20, 2, 2048), rig.guest(0x20000, 4096));
        assertArrayEquals(TestImages.sector(22, 2048), rig.guest(0x30000, 2048));
        // a reply by DMA: INQUIRY
        rig.prdTable(0, 0x8000, 0x40000, 36);
        rig.out8(IdeRig.BM_BASE + 2, BusMaster.ST_INTERRUPT);
        packet(0, true, 0x12, 0, 0, 0, 36);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertEquals(0x05, rig.guest(0x40000, 1)[0]);
        assertEquals(0x50, rig.status() & 0xD9);
    }
}

package dev.vmm.devices.ide;

import static dev.vmm.devices.ide.IdeRig.BM_BASE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bus-master DMA of an ATA disk, programmed as ata_bmdma_setup/start and SeaBIOS do it. */
class BusMasterDmaTest {
    private static final long PRD = 0x10000;
    private static final int READ_DMA = 0xC8;
    private static final int WRITE_DMA = 0xCA;

    @TempDir
    Path dir;
    private final IdeRig rig = new IdeRig();
    private Path file;
    private RawImage image;

    @BeforeEach
    void disk() throws IOException {
        file = TestImages.create(dir, "dma.img", 256, 512);
        image = RawImage.open(file, RawImage.Mode.READ_WRITE);
        rig.ide.connect(0, 0, new AtaDisk(image));
        rig.out8(IdeRig.CONTROL, 0x00);
    }

    @AfterEach
    void close() throws IOException {
        image.close();
        rig.close();
    }

    @Test
    void readDmaThroughTwoPrdsRaisesTheInterrupt() {
        rig.prdTable(0, PRD, 0x20000, 1024, 0x30000 + 0xE00, 512);   // second crosses no page
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        rig.lba28(0, READ_DMA, 7, 3);
        assertEquals(0x58, rig.altStatus(), "DMA request pending: DRQ");
        assertFalse(rig.irq14.level());
        assertEquals(0, rig.bmStatus(0) & BusMaster.ST_ACTIVE);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertTrue(rig.irq14.level(), "completion interrupt");
        assertEquals(BusMaster.ST_INTERRUPT, rig.bmStatus(0) & 0x07, "INT set, ACTIVE clear");
        assertArrayEquals(TestImages.sectors(7, 2, 512), rig.guest(0x20000, 1024));
        assertArrayEquals(TestImages.sector(9, 512), rig.guest(0x30E00, 512));
        // the driver's interrupt handler: stop the engine, read status, clear INT
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        assertEquals(0x50, rig.status());
        assertFalse(rig.irq14.level());
        rig.out8(BM_BASE + 2, BusMaster.ST_INTERRUPT);
        assertEquals(0, rig.bmStatus(0) & 0x07);
        assertEquals(9, rig.in8(IdeRig.LBA_LOW), "last sector");
    }

    @Test
    void writeDmaFromGuestMemory() throws IOException {
        byte[] data = new byte[2048];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 13 + 1);
        }
        rig.mem.load(0x40000, data);
        rig.prdTable(0, PRD, 0x40000, 2048);
        rig.bmCommand(0, 0);
        rig.lba28(0, WRITE_DMA, 100, 4);
        rig.bmCommand(0, BusMaster.CMD_START);
        assertEquals(BusMaster.ST_INTERRUPT, rig.bmStatus(0) & 0x07);
        assertEquals(0x50, rig.status());
        image.flush();
        assertArrayEquals(data, Arrays.copyOfRange(Files.readAllBytes(file), 100 * 512, 104 * 512));
    }

    @Test
    void engineStartedBeforeTheCommand() {
        rig.prdTable(0, PRD, 0x50000, 512);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertEquals(BusMaster.ST_ACTIVE, rig.bmStatus(0) & 0x07, "active, waiting for the drive");
        rig.lba28(0, READ_DMA, 42, 1);
        assertEquals(BusMaster.ST_INTERRUPT, rig.bmStatus(0) & 0x07);
        assertArrayEquals(TestImages.sector(42, 512), rig.guest(0x50000, 512));
    }

    @Test
    void readDmaExtAndSixtyFourKibPrd() {
        rig.prdTable(0, PRD, 0x100000, 0);                  // count 0 = 64 KiB
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        rig.lba48(0, 0x25, 128, 128);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertEquals(BusMaster.ST_INTERRUPT, rig.bmStatus(0) & 0x07);
        assertArrayEquals(TestImages.sectors(128, 128, 512), rig.guest(0x100000, 65536));
        assertEquals(0x50, rig.status());
    }

    @Test
    void prdTableShorterThanTheTransfer() {
        rig.prdTable(0, PRD, 0x20000, 512);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        rig.lba28(0, READ_DMA, 0, 2);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertEquals(0, rig.bmStatus(0) & 0x07, "ACTIVE cleared, no interrupt");
        assertFalse(rig.irq14.level());
        assertEquals(0x50, rig.altStatus() & 0x58, "the drive dropped the command");
        assertArrayEquals(TestImages.sector(0, 512), rig.guest(0x20000, 512));
    }

    @Test
    void prdTableLongerThanTheTransferStaysActive() {
        rig.prdTable(0, PRD, 0x20000, 4096);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        rig.lba28(0, READ_DMA, 3, 1);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertEquals(BusMaster.ST_INTERRUPT | BusMaster.ST_ACTIVE, rig.bmStatus(0) & 0x07);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);          // stop clears ACTIVE
        assertEquals(BusMaster.ST_INTERRUPT, rig.bmStatus(0) & 0x07);
    }

    @Test
    void registersReadBackAsPiixDefines() {
        rig.out8(BM_BASE + 2, BusMaster.ST_DRIVE0_DMA | BusMaster.ST_DRIVE1_DMA | 0x01);
        assertEquals(0x60, rig.bmStatus(0), "capable bits R/W, ACTIVE read-only");
        rig.bus.write(BM_BASE + 4, 4, 0x12345677);
        assertEquals(0x12345674, rig.bus.read(BM_BASE + 4, 4), "PRD pointer is dword aligned");
        rig.bmCommand(1, 0xFF);
        assertEquals(0x09, rig.in8(BM_BASE + 8), "only start and direction");
        assertEquals(BusMaster.ST_ACTIVE, rig.bmStatus(1) & 1);
        rig.bmCommand(1, 0x01);
        assertEquals(0x09, rig.in8(BM_BASE + 8), "direction locked while started");
        assertEquals(0, rig.in8(BM_BASE + 1));
        assertEquals(0, rig.in8(BM_BASE + 3));
    }

    @Test
    void busMasterBaseMovesAndUnmaps() {
        rig.ide.setBusMasterBase(0xD001);                   // BAR4 value with the I/O flag
        assertEquals(0xD000, rig.ide.busMasterBase());
        rig.bus.write(0xD004, 4, 0x8000);
        assertEquals(0x8000, rig.bus.read(0xD004, 4));
        assertEquals(0xFF, rig.in8(BM_BASE + 4), "old ports unclaimed");
        rig.ide.setBusMasterBase(-1);
        assertEquals(-1, rig.ide.busMasterBase());
        assertEquals(0xFF, rig.in8(0xD004));
        rig.ide.setBusMasterBase(0xD000);
        assertEquals(0x8000, rig.bus.read(0xD004, 4), "registers kept while unmapped");
    }

    @Test
    void dmaIntoACodePageDropsItsDecodedInstructions() {
        java.util.List<Long> pages = new java.util.ArrayList<>();
        rig.mem.setCodeWriteListener(pages::add);
        rig.mem.markCode(0x61000);
        rig.prdTable(0, PRD, 0x60E00, 1024);                // last 512 bytes land in 0x61000
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        rig.lba28(0, READ_DMA, 0, 2);
        rig.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertEquals(java.util.List.of(0x61000L), pages);
        assertArrayEquals(TestImages.sectors(0, 2, 512), rig.guest(0x60E00, 1024));
    }

    @Test
    void interruptBitFollowsPioInterruptsToo() {
        rig.lba28(0, 0x20, 0, 1);                           // PIO read: INTRQ rises
        assertEquals(BusMaster.ST_INTERRUPT, rig.bmStatus(0) & 0x04);
        rig.out8(BM_BASE + 2, BusMaster.ST_INTERRUPT);
        assertEquals(0, rig.bmStatus(0) & 0x04, "cleared while INTRQ is still high");
        rig.insw(512);
        assertEquals(0, rig.bmStatus(0) & 0x04, "no new edge");
    }
}

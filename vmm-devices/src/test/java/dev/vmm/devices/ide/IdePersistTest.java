package dev.vmm.devices.ide;

import static dev.vmm.devices.ide.IdeRig.COMMAND;
import static dev.vmm.devices.ide.IdeRig.COUNT;
import static dev.vmm.devices.ide.IdeRig.FEATURE;
import static dev.vmm.devices.ide.IdeRig.LBA_HIGH;
import static dev.vmm.devices.ide.IdeRig.LBA_MID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Save in the middle of a transfer, restore into a second controller built from the same host
 * resources, and both go on identically.
 */
class IdePersistTest {
    @TempDir
    Path dir;
    private Path diskFile;
    private Path isoFile;
    private final List<AutoCloseable> open = new ArrayList<>();
    private IdeRig a;
    private IdeRig b;

    @BeforeEach
    void files() throws IOException {
        diskFile = TestImages.create(dir, "disk.img", 128, 512);
        isoFile = TestImages.create(dir, "cd.iso", 32, 2048);
        a = machine(RawImage.Mode.COPY_ON_WRITE);
        b = machine(RawImage.Mode.COPY_ON_WRITE);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** Disk as primary master, CD as primary slave, both images opened afresh. */
    private IdeRig machine(RawImage.Mode mode) throws IOException {
        IdeRig r = new IdeRig();
        RawImage disk = RawImage.open(diskFile, mode);
        IsoImage iso = IsoImage.open(isoFile);
        open.add(disk);
        open.add(iso);
        open.add(r);
        r.ide.connect(0, 0, new AtaDisk(disk));
        r.ide.connect(0, 1, new AtapiCdrom(iso));
        r.out8(IdeRig.CONTROL, 0x00);
        return r;
    }

    private void transfer() {
        IdeController.State s = a.ide.save();
        b.ide.restore(s);
        assertEquals(s, b.ide.save(), "restore then save gives the same state");
    }

    @Test
    void midPioReadMultiple() {
        a.out8(IdeRig.DEVICE, 0xE0);
        a.out8(COUNT, 4);
        a.out8(COMMAND, 0xC6);
        a.lba28(0, 0xC4, 10, 9);                            // 4 + 4 + 1
        a.status();
        a.insw(4 * 512);
        a.insw(700);                                        // into the second block
        transfer();
        for (IdeRig r : List.of(a, b)) {
            byte[] rest = r.insw(4 * 512 - 700);
            assertArrayEquals(Arrays.copyOfRange(TestImages.sectors(14, 4, 512), 700, 2048), rest);
            assertTrue(r.irq14.level() || r == b, "the third block's interrupt");
            assertEquals(0x58, r.status());
            assertArrayEquals(TestImages.sector(18, 512), r.insw(512));
            assertEquals(0x50, r.status());
        }
    }

    @Test
    void midPioWriteKeepsTheBufferedHalfBlock() {
        byte[] data = new byte[1024];
        Arrays.fill(data, (byte) 0xE1);
        a.lba28(0, 0x30, 50, 2);
        a.outsw(Arrays.copyOf(data, 300));                  // nothing has reached the image yet
        transfer();
        for (IdeRig r : List.of(a, b)) {
            r.outsw(Arrays.copyOfRange(data, 300, 512));
            assertEquals(0x58, r.status());
            r.outsw(Arrays.copyOfRange(data, 512, 1024));
            assertEquals(0x50, r.status());
            r.lba28(0, 0x20, 50, 2);
            assertArrayEquals(data, concat(r.insw(512), r.insw(512)));
        }
    }

    @Test
    void dmaCommandIssuedEngineNotYetStarted() {
        for (IdeRig r : List.of(a, b)) {                    // guest memory is restored elsewhere
            r.prdTable(0, 0x9000, 0x20000, 1536);
        }
        a.bmCommand(0, BusMaster.CMD_TO_MEMORY);
        a.lba28(0, 0xC8, 33, 3);
        transfer();
        assertEquals(0x58, b.altStatus(), "the restored drive waits for the bus master");
        b.bmCommand(0, BusMaster.CMD_TO_MEMORY | BusMaster.CMD_START);
        assertTrue(b.irq14.level());
        assertEquals(BusMaster.ST_INTERRUPT, b.bmStatus(0) & 0x07);
        assertArrayEquals(TestImages.sectors(33, 3, 512), b.guest(0x20000, 1536));
    }

    @Test
    void atapiMidPacketAndMidData() {
        a.select(1);
        a.out8(FEATURE, 0);
        a.out8(LBA_MID, 0x00);
        a.out8(LBA_HIGH, 0x10);                             // 4096-byte blocks
        a.out8(COMMAND, 0xA0);
        byte[] cdb = {0x28, 0, 0, 0, 0, 7, 0, 0, 5, 0, 0, 0};
        a.outsw(Arrays.copyOf(cdb, 6));                     // half the packet
        transfer();
        for (IdeRig r : List.of(a, b)) {
            r.outsw(Arrays.copyOfRange(cdb, 6, 12));
            assertEquals(0x58, r.status() & 0xD9);
            assertEquals(0x02, r.in8(COUNT) & 3);
            assertEquals(4096, r.in8(LBA_MID) | r.in8(LBA_HIGH) << 8);
            r.insw(1000);
        }
        transfer();                                         // and again, mid-data
        for (IdeRig r : List.of(a, b)) {
            byte[] d = concat(r.insw(3096), new byte[0]);
            assertEquals(0x58, r.status() & 0xD9);
            d = concat(d, r.insw(4096));
            assertEquals(0x58, r.status() & 0xD9);
            d = concat(d, r.insw(2048));
            assertEquals(0x50, r.status() & 0xD9);
            assertArrayEquals(Arrays.copyOfRange(TestImages.sectors(7, 5, 2048), 1000, 10240), d);
        }
    }

    @Test
    void senseSurvives() {
        a.select(1);
        a.out8(LBA_MID, 0xFE);
        a.out8(LBA_HIGH, 0xFF);
        a.out8(COMMAND, 0xA0);
        a.outsw(new byte[] {0x28, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0});   // LBA 65536
        transfer();
        b.select(1);
        b.out8(COMMAND, 0xA0);
        b.outsw(new byte[] {0x03, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0});
        byte[] s = b.insw(18);
        assertEquals(5, s[2]);
        assertEquals(0x21, s[12]);
    }

    @Test
    void snapshotMustMatchTheMachine() throws IOException {
        IdeRig plain = new IdeRig();
        open.add(plain);
        IdeController.State s = a.ide.save();
        assertThrows(IllegalArgumentException.class, () -> plain.ide.restore(s));
        IdeRig swapped = new IdeRig();
        open.add(swapped);
        IsoImage iso = IsoImage.open(isoFile);
        RawImage disk = RawImage.open(diskFile, RawImage.Mode.READ_ONLY);
        open.add(iso);
        open.add(disk);
        swapped.ide.connect(0, 0, new AtapiCdrom(iso));
        swapped.ide.connect(0, 1, new AtaDisk(disk));
        assertThrows(IllegalArgumentException.class, () -> swapped.ide.restore(s));
    }

    @Test
    void corruptTransferStateIsRefused() {
        a.lba28(0, 0x20, 0, 2);
        AtaDisk.State good = ((AtaDisk) a.ide.channel(0).drive(0)).save();
        IdeDrive.Transfer t = good.core().transfer();
        IdeDrive.Transfer bad = new IdeDrive.Transfer(t.phase(), t.buffer(), t.pos(), t.end(),
                t.pioOut(), t.position(), t.remaining(), 0, t.mode(), t.dmaRequest(),
                t.dmaToMemory(), t.dmaOffset(), t.dmaLeft());
        AtaDisk.State s = new AtaDisk.State(new IdeDrive.Core(good.core().registers(),
                good.core().intrq(), bad), good.multiple(), good.heads(), good.sectorsPerTrack(),
                good.dmaMode(), good.writeCache());
        AtaDisk target = (AtaDisk) b.ide.channel(0).drive(0);
        assertThrows(IllegalArgumentException.class, () -> target.restore(s));
        IdeDrive.Transfer window = new IdeDrive.Transfer(t.phase(), new byte[10], 0, 512,
                false, 0, 1, 1, 0, false, false, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> target.restore(new AtaDisk.State(
                new IdeDrive.Core(good.core().registers(), false, window), 16, 16, 63, 0x22,
                true)));
    }

    @Test
    void busMasterRegistersAndDriveSettingsRoundTrip() {
        a.out8(IdeRig.BM_BASE + 2, 0x60);
        a.bus.write(IdeRig.BM_BASE + 0x0C, 4, 0x1234_5678);
        a.out8(FEATURE, 0x82);                              // write cache off
        a.out8(COMMAND, 0xEF);
        a.out8(COUNT, 8);
        a.out8(IdeRig.DEVICE, 0xA7);
        a.out8(COMMAND, 0x91);                              // 8 heads, 8 sectors
        a.status();
        transfer();
        assertEquals(0x64, b.bmStatus(0), "capable bits, and INT from the two commands");
        assertEquals(0x1234_5678, b.bus.read(IdeRig.BM_BASE + 0x0C, 4));
        int[] id = b.identify(0, 0xEC);
        assertEquals(8, id[55]);
        assertEquals(8, id[56]);
        assertEquals(0, id[85] & 0x20);
    }

    private static byte[] concat(byte[] x, byte[] y) {
        return AtaDiskTest.concat(x, y);
    }
}

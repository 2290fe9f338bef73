package dev.vmm.devices.ide;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SeaBIOS's ata_detect, step by step (src/hw/ata.c): wait for !BSY, select, the 55h/AAh and
 * device register probe, one SRST per channel, IDENTIFY PACKET DEVICE, and if that fails a
 * non-zero status, DRDY and IDENTIFY DEVICE.
 */
class SeaBiosProbeTest {
    @TempDir
    Path dir;
    private final IdeRig rig = new IdeRig();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        rig.close();
    }

    private String detect(int base, int ctl, int slave, boolean[] didReset) {
        if ((rig.in8(base + 7) & 0x80) != 0) {
            return "busy";
        }
        int dh = slave == 0 ? 0xA0 : 0xB0;
        rig.out8(base + 6, dh);
        if ((rig.in8(base + 7) & 0x80) != 0) {
            return "busy";
        }
        int readDh = rig.in8(base + 6);
        rig.out8(base + 2, 0x55);
        rig.out8(base + 3, 0xAA);
        if (rig.in8(base + 2) != 0x55 || rig.in8(base + 3) != 0xAA || readDh != dh) {
            return "none";
        }
        if (!didReset[0]) {
            rig.out8(ctl, 0x0E);
            rig.out8(ctl, 0x0A);
            rig.out8(base + 6, slave == 0 ? 0xA0 : 0xB0);
            rig.out8(ctl, 0x08);
            didReset[0] = true;
        }
        if (identify(base, ctl, slave, 0xA1)) {
            return "atapi";
        }
        int st = rig.in8(base + 7);
        if (st == 0) {
            return "none";
        }
        if ((st & 0x40) == 0) {
            return "not ready";
        }
        return identify(base, ctl, slave, 0xEC) ? "ata" : "none";
    }

    /** send_ata_identity: nIEN, select, command, wait for DRQ without ERR, 256 words. */
    private boolean identify(int base, int ctl, int slave, int cmd) {
        rig.out8(ctl, 0x0A);
        rig.out8(base + 6, slave == 0 ? 0xA0 : 0xB0);
        rig.out8(base + 7, cmd);
        int st = rig.in8(base + 7);
        boolean ok = (st & 0x81) == 0 && (st & 0x08) != 0;
        if (ok) {
            for (int i = 0; i < 256; i++) {
                rig.bus.read(base, 2);
            }
            ok = (rig.in8(base + 7) & 0x89) == 0;
        }
        rig.out8(ctl, 0x08);
        return ok;
    }

    private List<String> probeAll() {
        List<String> found = new ArrayList<>();
        int[][] channels = {{0x1F0, 0x3F6}, {0x170, 0x376}};
        for (int[] c : channels) {
            boolean[] didReset = {false};
            for (int slave = 0; slave < 2; slave++) {
                found.add(detect(c[0], c[1], slave, didReset));
            }
        }
        return found;
    }

    @Test
    void diskAloneAndCdAlone() throws IOException {
        RawImage disk = RawImage.open(TestImages.create(dir, "d.img", 64, 512),
                RawImage.Mode.READ_ONLY);
        IsoImage iso = IsoImage.open(TestImages.create(dir, "c.iso", 4, 2048));
        open.add(disk);
        open.add(iso);
        rig.ide.connect(0, 0, new AtaDisk(disk));
        rig.ide.connect(1, 0, new AtapiCdrom(iso));
        assertEquals(List.of("ata", "none", "atapi", "none"), probeAll());
        assertEquals(0, rig.irq14.risingEdges() + rig.irq15.risingEdges(), "all polled, nIEN");
    }

    @Test
    void diskWithCdAsSlave() throws IOException {
        RawImage disk = RawImage.open(TestImages.create(dir, "d.img", 64, 512),
                RawImage.Mode.READ_ONLY);
        IsoImage iso = IsoImage.open(TestImages.create(dir, "c.iso", 4, 2048));
        open.add(disk);
        open.add(iso);
        rig.ide.connect(0, 0, new AtaDisk(disk));
        rig.ide.connect(0, 1, new AtapiCdrom(null));
        rig.ide.connect(1, 1, new AtapiCdrom(iso));
        assertEquals(List.of("ata", "atapi", "none", "atapi"), probeAll());
    }
}

package dev.vmm.devices.ide;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.testutil.DetClock;
import dev.vmm.devices.testutil.RecordingLine;

/**
 * A PIIX IDE controller on a port bus with 16 MiB of guest memory, driven the way ata_piix/libata
 * and SeaBIOS drive it: register writes, polling or interrupts, INSW/OUTSW on the data port.
 */
final class IdeRig implements AutoCloseable {
    static final int BM_BASE = 0xC000;
    static final int DATA = 0x1F0;
    static final int ERROR = 0x1F1;
    static final int FEATURE = 0x1F1;
    static final int COUNT = 0x1F2;
    static final int LBA_LOW = 0x1F3;
    static final int LBA_MID = 0x1F4;
    static final int LBA_HIGH = 0x1F5;
    static final int DEVICE = 0x1F6;
    static final int STATUS = 0x1F7;
    static final int COMMAND = 0x1F7;
    static final int ALT_STATUS = 0x3F6;
    static final int CONTROL = 0x3F6;

    final DetClock t = new DetClock();
    final RecordingLine irq14 = new RecordingLine(t.clock);
    final RecordingLine irq15 = new RecordingLine(t.clock);
    final PioBus bus = new PioBus();
    final PhysicalMemory mem = PhysicalMemory.create(16 << 20);
    final IdeController ide = new IdeController(mem, irq14, irq15);

    IdeRig() {
        ide.attach(bus);
        ide.setBusMasterBase(BM_BASE);
    }

    int in8(int port) {
        return bus.read(port, 1);
    }

    void out8(int port, int v) {
        bus.write(port, 1, v);
    }

    int status() {
        return in8(STATUS);
    }

    int altStatus() {
        return in8(ALT_STATUS);
    }

    void select(int unit) {
        out8(DEVICE, 0xA0 | unit << 4);
    }

    /** SRST as libata's ata_bus_softreset does it: SRST with nIEN, then nIEN alone. */
    void softReset() {
        out8(CONTROL, 0x06);
        out8(CONTROL, 0x02);
    }

    /** Count, LBA low, mid, high: the signature after a reset. */
    int[] signature(int unit) {
        select(unit);
        return new int[] {in8(COUNT), in8(LBA_LOW), in8(LBA_MID), in8(LBA_HIGH)};
    }

    /** A 28-bit command: LBA bits 27-24 in the device register with LBA set. */
    void lba28(int unit, int cmd, long lba, int count) {
        out8(DEVICE, 0xE0 | unit << 4 | (int) (lba >>> 24) & 0x0F);
        out8(COUNT, count);
        out8(LBA_LOW, (int) lba);
        out8(LBA_MID, (int) (lba >>> 8));
        out8(LBA_HIGH, (int) (lba >>> 16));
        out8(COMMAND, cmd);
    }

    /** A 48-bit command: previous (high) bytes written first, as libata's ata_sff_tf_load. */
    void lba48(int unit, int cmd, long lba, int count) {
        out8(DEVICE, 0xE0 | unit << 4);
        out8(COUNT, count >>> 8);
        out8(LBA_LOW, (int) (lba >>> 24));
        out8(LBA_MID, (int) (lba >>> 32));
        out8(LBA_HIGH, (int) (lba >>> 40));
        out8(COUNT, count);
        out8(LBA_LOW, (int) lba);
        out8(LBA_MID, (int) (lba >>> 8));
        out8(LBA_HIGH, (int) (lba >>> 16));
        out8(COMMAND, cmd);
    }

    /** INSW: {@code bytes} bytes from the data port. */
    byte[] insw(int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i += 2) {
            int w = bus.read(DATA, 2);
            b[i] = (byte) w;
            if (i + 1 < bytes) {
                b[i + 1] = (byte) (w >>> 8);
            }
        }
        return b;
    }

    /** INSD: 32-bit PIO. */
    byte[] insl(int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i += 4) {
            int w = bus.read(DATA, 4);
            for (int k = 0; k < 4; k++) {
                b[i + k] = (byte) (w >>> (8 * k));
            }
        }
        return b;
    }

    void outsw(byte[] b) {
        outsw(DATA, b);
    }

    /** OUTSW to the secondary channel's data port. */
    void outsw170(byte[] b) {
        outsw(0x170, b);
    }

    private void outsw(int port, byte[] b) {
        for (int i = 0; i < b.length; i += 2) {
            bus.write(port, 2, (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8);
        }
    }

    /** IDENTIFY (DEVICE or PACKET DEVICE) as 256 words. */
    int[] identify(int unit, int cmd) {
        select(unit);
        out8(COMMAND, cmd);
        assertEquals(0x08, status() & 0x89, "DRQ, no BSY or ERR");
        byte[] b = insw(512);
        int[] w = new int[256];
        for (int i = 0; i < 256; i++) {
            w[i] = (b[2 * i] & 0xFF) | (b[2 * i + 1] & 0xFF) << 8;
        }
        return w;
    }

    static String idString(int[] id, int first, int words) {
        StringBuilder s = new StringBuilder();
        for (int i = first; i < first + words; i++) {
            s.append((char) (id[i] >>> 8)).append((char) (id[i] & 0xFF));
        }
        return s.toString().trim();
    }

    // ---- bus master -----------------------------------------------------------------------

    int bmStatus(int channel) {
        return in8(BM_BASE + 8 * channel + 2);
    }

    void bmCommand(int channel, int v) {
        out8(BM_BASE + 8 * channel, v);
    }

    /** Writes a PRD table at {@code table}: pairs of (address, byte count), EOT on the last. */
    void prdTable(int channel, long table, long... entries) {
        for (int i = 0; i < entries.length; i += 2) {
            boolean last = i + 2 == entries.length;
            mem.write32(table + 4L * i, (int) entries[i]);
            mem.write32(table + 4L * i + 4, (int) (entries[i + 1] & 0xFFFF) | (last ? 1 << 31 : 0));
        }
        bus.write(BM_BASE + 8 * channel + 4, 4, (int) table);
    }

    byte[] guest(long pa, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) mem.read8(pa + i);
        }
        return b;
    }

    @Override
    public void close() {
        mem.close();
    }
}

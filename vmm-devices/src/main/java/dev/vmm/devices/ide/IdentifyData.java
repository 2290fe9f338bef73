package dev.vmm.devices.ide;

import java.util.Arrays;

/**
 * The 256 words of IDENTIFY DEVICE (ATA disk) and IDENTIFY PACKET DEVICE (ATAPI CD/DVD), in the
 * ATA/ATAPI-7 layout: little-endian words, strings two characters per word with the first in the
 * high byte, and word 255 = A5h plus a checksum byte that makes the block sum to 0.
 */
final class IdentifyData {
    static final int SIZE = 512;

    /**
     * What an ATA disk's IDENTIFY reports.
     *
     * @param cylinders cylinders of the default geometry (16 heads, 63 sectors per track)
     * @param heads heads of the current CHS translation
     * @param multiple the current READ/WRITE MULTIPLE block (0 = not set)
     * @param dmaMode the selected DMA mode, as SET FEATURES 03h takes it
     */
    record Disk(String model, String serial, String firmware, long sectors, int cylinders,
                int heads, int sectorsPerTrack, int multiple, int dmaMode, boolean writeCache) {
    }

    private IdentifyData() {
    }

    /** IDENTIFY DEVICE of a fixed disk with LBA48, multiword DMA 0-2 and UDMA 0-5. */
    static int ata(byte[] id, Disk d) {
        Arrays.fill(id, 0, SIZE, (byte) 0);
        long lba28 = Math.min(d.sectors(), 0x0FFF_FFFFL);
        int curCyl = (int) Math.min(65535, d.sectors() / ((long) d.heads() * d.sectorsPerTrack()));
        long curCapacity = (long) curCyl * d.heads() * d.sectorsPerTrack();
        word(id, 0, 0x0040);                                // fixed device
        word(id, 1, d.cylinders());
        word(id, 3, AtaDisk.DEFAULT_HEADS);
        word(id, 6, AtaDisk.DEFAULT_SECTORS_PER_TRACK);
        strings(id, d.model(), d.serial(), d.firmware());
        word(id, 47, 0x8000 | AtaDisk.MAX_MULTIPLE);
        word(id, 48, 0x0001);                               // 32-bit PIO
        word(id, 49, 0x0B00);                               // IORDY, LBA, DMA
        word(id, 50, 0x4000);
        word(id, 51, 0x0200);                               // PIO timing mode 2 (obsolete)
        word(id, 52, 0x0200);
        word(id, 53, 0x0007);                               // words 54-58, 64-70, 88 valid
        word(id, 54, curCyl);
        word(id, 55, d.heads());
        word(id, 56, d.sectorsPerTrack());
        word(id, 57, (int) curCapacity);
        word(id, 58, (int) (curCapacity >>> 16));
        word(id, 59, d.multiple() == 0 ? 0 : 0x0100 | d.multiple());
        word(id, 60, (int) lba28);
        word(id, 61, (int) (lba28 >>> 16));
        transferModes(id, d.dmaMode());
        word(id, 80, 0x00F0);                               // ATA/ATAPI-4 to -7
        word(id, 82, 0x4020);                               // NOP, write cache
        word(id, 83, 0x7400);                               // FLUSH CACHE (EXT), 48-bit
        word(id, 84, 0x4000);
        word(id, 85, 0x4000 | (d.writeCache() ? 0x0020 : 0));
        word(id, 86, 0x3400);
        word(id, 87, 0x4000);
        word(id, 93, 0x6001);                               // 80-conductor cable, dev 0 passed
        for (int w = 0; w < 4; w++) {
            word(id, 100 + w, (int) (d.sectors() >>> (16 * w)));
        }
        checksum(id);
        return SIZE;
    }

    /** IDENTIFY PACKET DEVICE: a removable CD-ROM class device, 12-byte packets, 50 us DRQ. */
    static int atapi(byte[] id, String model, String serial, String firmware, int dmaMode) {
        Arrays.fill(id, 0, SIZE, (byte) 0);
        word(id, 0, 0x85C0);
        strings(id, model, serial, firmware);
        word(id, 49, 0x0B00);                               // IORDY, LBA, DMA
        word(id, 50, 0x4000);
        word(id, 53, 0x0007);
        transferModes(id, dmaMode);
        word(id, 71, 30);                                   // PACKET to bus release, ns
        word(id, 72, 30);
        word(id, 80, 0x0070);                               // ATA/ATAPI-4 to -6
        word(id, 82, 0x4014);                               // NOP, PACKET, removable media
        word(id, 83, 0x4000);
        word(id, 84, 0x4000);
        word(id, 85, 0x4014);
        word(id, 87, 0x4000);
        word(id, 93, 0x6001);
        checksum(id);
        return SIZE;
    }

    private static void strings(byte[] id, String model, String serial, String firmware) {
        string(id, 10, 10, serial);
        string(id, 23, 4, firmware);
        string(id, 27, 20, model);
    }

    /** PIO 3-4, multiword DMA 0-2 and UDMA 0-5 supported, with the selected DMA mode marked. */
    private static void transferModes(byte[] id, int dmaMode) {
        boolean mw = dmaMode >= 0x20 && dmaMode <= 0x22;
        word(id, 63, 0x0007 | (mw ? 0x100 << (dmaMode & 7) : 0));
        word(id, 64, 0x0003);
        word(id, 65, 120);                                  // cycle times, ns
        word(id, 66, 120);
        word(id, 67, 120);
        word(id, 68, 120);
        word(id, 88, 0x003F | (mw ? 0 : 0x100 << (dmaMode & 7)));
    }

    static void word(byte[] id, int index, int v) {
        id[index * 2] = (byte) v;
        id[index * 2 + 1] = (byte) (v >>> 8);
    }

    private static void string(byte[] id, int firstWord, int words, String s) {
        for (int i = 0; i < words * 2; i++) {
            char c = i < s.length() ? s.charAt(i) : ' ';
            id[firstWord * 2 + (i ^ 1)] = (byte) (c < 0x20 || c > 0x7E ? '?' : c);
        }
    }

    private static void checksum(byte[] id) {
        id[510] = (byte) 0xA5;
        int sum = 0;
        for (int i = 0; i < 511; i++) {
            sum += id[i];
        }
        id[511] = (byte) -sum;
    }
}

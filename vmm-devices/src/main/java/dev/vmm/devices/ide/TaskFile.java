package dev.vmm.devices.ide;

/**
 * One device's copy of the ATA command block registers. The host's writes reach both devices of a
 * channel; each keeps its own copy, so each can show its own signature and results.
 *
 * <p>The 48-bit feature set makes the features, sector count and LBA registers two bytes deep: a
 * write pushes the previous value into the "previous" byte, which the host reads with HOB set.
 */
public final class TaskFile {
    static final int REG_ERROR = 1;
    static final int REG_COUNT = 2;
    static final int REG_LBA_LOW = 3;
    static final int REG_LBA_MID = 4;
    static final int REG_LBA_HIGH = 5;
    static final int REG_DEVICE = 6;

    /** Device register: LBA addressing. */
    static final int DEV_LBA = 0x40;
    /** Device register: device 1 selected. */
    static final int DEV_DEV = 0x10;
    /** Device register bits 7 and 5, obsolete, read back as ones. */
    static final int DEV_OBSOLETE = 0xA0;

    /** The registers as saved. */
    public record State(int error, int feature, int featureHob, int count, int countHob,
                        int lbaLow, int lbaLowHob, int lbaMid, int lbaMidHob, int lbaHigh,
                        int lbaHighHob, int device, int status) {
    }

    int error;
    int feature;
    int featureHob;
    int count;
    int countHob;
    int lbaLow;
    int lbaLowHob;
    int lbaMid;
    int lbaMidHob;
    int lbaHigh;
    int lbaHighHob;
    int device = DEV_OBSOLETE;
    int status;

    TaskFile() {
    }

    /** A host write to command block register {@code reg} (1-6). */
    void write(int reg, int v) {
        v &= 0xFF;
        switch (reg) {
            case REG_ERROR -> {
                featureHob = feature;
                feature = v;
            }
            case REG_COUNT -> {
                countHob = count;
                count = v;
            }
            case REG_LBA_LOW -> {
                lbaLowHob = lbaLow;
                lbaLow = v;
            }
            case REG_LBA_MID -> {
                lbaMidHob = lbaMid;
                lbaMid = v;
            }
            case REG_LBA_HIGH -> {
                lbaHighHob = lbaHigh;
                lbaHigh = v;
            }
            default -> device = v | DEV_OBSOLETE;
        }
    }

    /** A host read of register {@code reg} (1-6); {@code hob} selects the previous bytes. */
    int read(int reg, boolean hob) {
        return switch (reg) {
            case REG_ERROR -> hob ? featureHob : error;
            case REG_COUNT -> hob ? countHob : count;
            case REG_LBA_LOW -> hob ? lbaLowHob : lbaLow;
            case REG_LBA_MID -> hob ? lbaMidHob : lbaMid;
            case REG_LBA_HIGH -> hob ? lbaHighHob : lbaHigh;
            default -> device;
        };
    }

    boolean lbaMode() {
        return (device & DEV_LBA) != 0;
    }

    /** The 28-bit LBA of the current and device registers. */
    long lba28() {
        return (long) (device & 0x0F) << 24 | lbaHigh << 16 | lbaMid << 8 | lbaLow;
    }

    /** The 48-bit LBA (previous bytes on top). */
    long lba48() {
        return (long) lbaHighHob << 40 | (long) lbaMidHob << 32 | (long) lbaLowHob << 24
                | lbaHigh << 16 | lbaMid << 8 | lbaLow;
    }

    /** Sector count of a 28-bit command: 0 means 256. */
    int count28() {
        return count == 0 ? 256 : count;
    }

    /** Sector count of a 48-bit command: 0 means 65536. */
    int count48() {
        int c = countHob << 8 | count;
        return c == 0 ? 65536 : c;
    }

    void setLba28(long lba) {
        lbaLow = (int) lba & 0xFF;
        lbaMid = (int) (lba >>> 8) & 0xFF;
        lbaHigh = (int) (lba >>> 16) & 0xFF;
        device = (device & 0xF0) | (int) (lba >>> 24) & 0x0F;
    }

    void setLba48(long lba) {
        lbaLow = (int) lba & 0xFF;
        lbaMid = (int) (lba >>> 8) & 0xFF;
        lbaHigh = (int) (lba >>> 16) & 0xFF;
        lbaLowHob = (int) (lba >>> 24) & 0xFF;
        lbaMidHob = (int) (lba >>> 32) & 0xFF;
        lbaHighHob = (int) (lba >>> 40) & 0xFF;
    }

    /** The byte count of an ATAPI data block (LBA mid/high, "cylinder" registers). */
    int byteCount() {
        return lbaHigh << 8 | lbaMid;
    }

    void setByteCount(int n) {
        lbaMid = n & 0xFF;
        lbaHigh = (n >>> 8) & 0xFF;
    }

    /**
     * The signature a device leaves after reset or diagnostics: ATA 01 01 00 00, ATAPI 01 01 14
     * EB (count, LBA low, mid, high), error 01 (passed). Selection and the LBA bit are kept.
     */
    void signature(boolean atapi) {
        count = 1;
        lbaLow = 1;
        lbaMid = atapi ? 0x14 : 0;
        lbaHigh = atapi ? 0xEB : 0;
        countHob = lbaLowHob = lbaMidHob = lbaHighHob = featureHob = 0;
        device &= DEV_DEV | DEV_OBSOLETE;
        error = 1;
    }

    State save() {
        return new State(error, feature, featureHob, count, countHob, lbaLow, lbaLowHob, lbaMid,
                lbaMidHob, lbaHigh, lbaHighHob, device, status);
    }

    void restore(State s) {
        error = s.error();
        feature = s.feature();
        featureHob = s.featureHob();
        count = s.count();
        countHob = s.countHob();
        lbaLow = s.lbaLow();
        lbaLowHob = s.lbaLowHob();
        lbaMid = s.lbaMid();
        lbaMidHob = s.lbaMidHob();
        lbaHigh = s.lbaHigh();
        lbaHighHob = s.lbaHighHob();
        device = s.device();
        status = s.status();
    }
}

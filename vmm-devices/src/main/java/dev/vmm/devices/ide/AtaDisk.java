package dev.vmm.devices.ide;

import dev.vmm.core.persist.Persist;
import dev.vmm.devices.storage.BlockDevice;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ATA hard disk (ATA/ATAPI-7 command subset) on a {@link BlockDevice} of 512-byte sectors.
 *
 * <p>Commands: IDENTIFY DEVICE; READ/WRITE SECTORS, MULTIPLE and DMA, each also EXT (48-bit);
 * READ VERIFY SECTORS (EXT); SET MULTIPLE MODE (1-16 sectors); SET FEATURES (transfer mode,
 * write cache, look-ahead, defaults); FLUSH CACHE (EXT); INITIALIZE DEVICE PARAMETERS;
 * RECALIBRATE, SEEK, IDLE/STANDBY (IMMEDIATE), SLEEP and CHECK POWER MODE (accepted, always
 * active). Anything else is aborted (ABRT). Addresses are CHS (with the geometry of INITIALIZE
 * DEVICE PARAMETERS, default 16 heads x 63 sectors), LBA28 or LBA48; a range past the end reports
 * IDNF. A write to a read-only image is aborted before any data moves, and the image is never
 * touched; a host I/O failure reports UNC (read) or DF + ABRT (write).
 */
public final class AtaDisk extends IdeDrive implements Persist<AtaDisk.State> {
    private static final Logger log = LoggerFactory.getLogger(AtaDisk.class);

    /** The largest READ/WRITE MULTIPLE block, in sectors. */
    public static final int MAX_MULTIPLE = 16;
    public static final int DEFAULT_HEADS = 16;
    public static final int DEFAULT_SECTORS_PER_TRACK = 63;
    public static final int MAX_CYLINDERS = 16383;
    static final int SECTOR = 512;
    static final int CHS = 0;
    static final int LBA28 = 1;
    static final int LBA48 = 2;
    /** Transfer mode after power-on: multiword DMA mode 2 (what a PIIX3 runs). */
    static final int DEFAULT_DMA_MODE = 0x22;

    /**
     * The disk's state.
     *
     * @param multiple sectors per READ/WRITE MULTIPLE block (0 = not set)
     * @param heads heads of the CHS translation (INITIALIZE DEVICE PARAMETERS)
     * @param sectorsPerTrack sectors per track of the CHS translation
     * @param dmaMode the selected DMA mode as SET FEATURES 03h writes it (20h-22h, 40h-45h)
     */
    public record State(Core core, int multiple, int heads, int sectorsPerTrack, int dmaMode,
                        boolean writeCache) implements Snapshot {
    }

    private final BlockDevice image;
    private final String model;
    private final String serial;
    private final String firmware;
    private final long sectors;
    private final int cylinders;
    private int multiple = MAX_MULTIPLE;
    private int heads = DEFAULT_HEADS;
    private int sectorsPerTrack = DEFAULT_SECTORS_PER_TRACK;
    private int dmaMode = DEFAULT_DMA_MODE;
    private boolean writeCache = true;
    private long hostErrors;
    private long refusedWrites;

    /** A disk named "VMM HARDDISK" with a serial number derived from the image name. */
    public AtaDisk(BlockDevice image) {
        this(image, "VMM HARDDISK", String.format("VMM%08X", image.name().hashCode()));
    }

    /** {@code model} (at most 40 characters) and {@code serial} (at most 20) as IDENTIFY shows. */
    public AtaDisk(BlockDevice image, String model, String serial) {
        if (image.sectorSize() != SECTOR) {
            throw new IllegalArgumentException("an ATA disk needs 512-byte sectors: " + image);
        }
        this.image = image;
        this.model = model;
        this.serial = serial;
        this.firmware = "0.1.0";
        this.sectors = image.sectors();
        this.cylinders = (int) Math.max(1, Math.min(MAX_CYLINDERS,
                sectors / (DEFAULT_HEADS * DEFAULT_SECTORS_PER_TRACK)));
        reset();
    }

    @Override
    public boolean atapi() {
        return false;
    }

    public BlockDevice image() {
        return image;
    }

    /** Capacity in 512-byte sectors. */
    public long sectors() {
        return sectors;
    }

    /** Cylinders of the default geometry (16 heads, 63 sectors per track), at most 16383. */
    public int cylinders() {
        return cylinders;
    }

    /** Host I/O failures reported to the guest. */
    public long hostErrors() {
        return hostErrors;
    }

    /** Guest writes refused because the image is read-only. */
    public long refusedWrites() {
        return refusedWrites;
    }

    @Override
    void reset() {
        cancel();
        tf.signature(false);
        tf.status = DRDY | DSC;
        intrq = false;
    }

    @Override
    void command(int cmd) {
        cancel();
        tf.error = 0;
        switch (cmd) {
            case 0x20, 0x21 -> pio(false, false, false);
            case 0x24 -> pio(false, true, false);
            case 0xC4 -> pio(false, false, true);
            case 0x29 -> pio(false, true, true);
            case 0x30, 0x31 -> pio(true, false, false);
            case 0x34 -> pio(true, true, false);
            case 0xC5 -> pio(true, false, true);
            case 0x39 -> pio(true, true, true);
            case 0xC8, 0xC9 -> dma(false, false);
            case 0x25 -> dma(false, true);
            case 0xCA, 0xCB -> dma(true, false);
            case 0x35 -> dma(true, true);
            case 0x40, 0x41 -> verify(false);
            case 0x42 -> verify(true);
            case 0xEC -> identify();
            case 0xC6 -> setMultiple();
            case 0xEF -> setFeatures();
            case 0xE7, 0xEA -> flushCache();
            case 0x91 -> initializeParameters();
            case 0xE5, 0x98 -> {
                tf.count = 0xFF;                            // active or idle
                complete();
            }
            case 0x70, 0xE0, 0xE1, 0xE2, 0xE3, 0xE6, 0x94, 0x95, 0x96, 0x97, 0x99 -> complete();
            case 0xA0, 0xA1 -> abort();     // PACKET, IDENTIFY PACKET DEVICE: how drivers tell ATA from ATAPI
            default -> {
                if ((cmd & 0xF0) == 0x10) {
                    complete();                             // RECALIBRATE
                } else {
                    ignored(String.format("unsupported command %02Xh aborted", cmd));
                    abort();
                }
            }
        }
    }

    private void complete() {
        finish(DRDY | DSC, true);
    }

    // ---- addressing -----------------------------------------------------------------------

    /** The command's first sector, or -1 after reporting IDNF. Sets {@link #mode}. */
    private long start(boolean ext, int count) {
        long lba;
        if (ext) {
            mode = LBA48;
            lba = tf.lba48();
        } else if (tf.lbaMode()) {
            mode = LBA28;
            lba = tf.lba28();
        } else {
            mode = CHS;
            lba = chsToLba();
        }
        if (lba < 0 || lba + count > sectors) {
            tf.error = ERR_IDNF;
            finish(DRDY | ERR, true);
            return -1;
        }
        return lba;
    }

    private long chsToLba() {
        int cyl = tf.lbaHigh << 8 | tf.lbaMid;
        int head = tf.device & 0x0F;
        int sector = tf.lbaLow;
        if (sector == 0 || sector > sectorsPerTrack || head >= heads) {
            return -1;
        }
        return ((long) cyl * heads + head) * sectorsPerTrack + sector - 1;
    }

    /** Leaves {@code lba} (the last sector transferred) in the address registers. */
    private void setAddress(long lba) {
        switch (mode) {
            case LBA48 -> tf.setLba48(lba);
            case LBA28 -> tf.setLba28(lba);
            default -> {
                long track = lba / sectorsPerTrack;
                long cyl = track / heads;
                tf.lbaLow = (int) (lba % sectorsPerTrack) + 1;
                tf.lbaMid = (int) cyl & 0xFF;
                tf.lbaHigh = (int) (cyl >>> 8) & 0xFF;
                tf.device = (tf.device & 0xF0) | (int) (track % heads);
            }
        }
    }

    // ---- PIO ------------------------------------------------------------------------------

    private void pio(boolean write, boolean ext, boolean multi) {
        if (multi && multiple == 0) {
            abort();
            return;
        }
        int count = ext ? tf.count48() : tf.count28();
        long lba = start(ext, count);
        if (lba < 0) {
            return;
        }
        if (write && image.readOnly()) {
            refuseWrite();
            return;
        }
        position = lba;
        remaining = count;
        block = multi ? multiple : 1;
        if (write) {
            writeBlock(false);
        } else {
            readBlock();
        }
    }

    private void readBlock() {
        int n = (int) Math.min(block, remaining);
        try {
            image.read(position * SECTOR, buffer, 0, n * SECTOR);
        } catch (IOException e) {
            hostError("read", e);
            setAddress(position);
            tf.error = ERR_UNC;
            finish(DRDY | ERR, true);
            return;
        }
        setAddress(position + n - 1);
        pioBlock(Phase.ATA_READ, 0, n * SECTOR, false, true);
    }

    private void writeBlock(boolean irq) {
        int n = (int) Math.min(block, remaining);
        pioBlock(Phase.ATA_WRITE, 0, n * SECTOR, true, irq);
    }

    @Override
    void endOfBlock() {
        int n = end / SECTOR;
        switch (phase) {
            case ATA_READ -> {
                position += n;
                remaining -= n;
                if (remaining > 0) {
                    readBlock();
                } else {
                    finish(DRDY | DSC, false);
                }
            }
            case ATA_WRITE -> {
                try {
                    image.write(position * SECTOR, buffer, 0, n * SECTOR);
                } catch (IOException e) {
                    writeFailed(position, e);
                    return;
                }
                setAddress(position + n - 1);
                position += n;
                remaining -= n;
                if (remaining > 0) {
                    writeBlock(true);
                } else {
                    endWrite();
                }
            }
            default -> finish(DRDY | DSC, false);           // IDENTIFY
        }
    }

    private void endWrite() {
        if (!writeCache) {
            try {
                image.flush();
            } catch (IOException e) {
                writeFailed(position - 1, e);
                return;
            }
        }
        complete();
    }

    private void writeFailed(long lba, IOException e) {
        hostError("write", e);
        setAddress(lba);
        tf.error = ERR_ABRT;
        finish(DRDY | DF | ERR, true);
    }

    private void refuseWrite() {
        if (refusedWrites++ == 0) {
            log.warn("IDE disk {}: the image is read-only; guest writes are refused", image.name());
        }
        abort();
    }

    private void hostError(String what, IOException e) {
        if (hostErrors++ < 4) {
            log.warn("IDE disk {}: host {} failed: {}", image.name(), what, e.toString());
        }
    }

    // ---- DMA ------------------------------------------------------------------------------

    private void dma(boolean write, boolean ext) {
        int count = ext ? tf.count48() : tf.count28();
        long lba = start(ext, count);
        if (lba < 0) {
            return;
        }
        if (write && image.readOnly()) {
            refuseWrite();
            return;
        }
        position = lba;
        remaining = count;
        requestDma(!write, lba * SECTOR, (long) count * SECTOR);
    }

    @Override
    void dmaIn(byte[] dst, int n) throws IOException {
        image.read(dmaOffset, dst, 0, n);
        dmaOffset += n;
        dmaLeft -= n;
    }

    @Override
    void dmaOut(byte[] src, int n) throws IOException {
        image.write(dmaOffset, src, 0, n);
        dmaOffset += n;
        dmaLeft -= n;
    }

    @Override
    void dmaEnd(DmaEnd how) {
        dmaRequest = false;
        switch (how) {
            case COMPLETE -> {
                setAddress(position + remaining - 1);
                position += remaining;
                if (dmaToMemory) {
                    complete();
                } else {
                    endWrite();
                }
            }
            case SHORT_PRD -> finish(DRDY | DSC, false);
            case ERROR -> {
                hostErrors++;
                setAddress(dmaOffset / SECTOR);
                tf.error = dmaToMemory ? ERR_UNC : ERR_ABRT;
                finish(DRDY | ERR | (dmaToMemory ? 0 : DF), true);
            }
        }
    }

    // ---- other commands -------------------------------------------------------------------

    private void verify(boolean ext) {
        int count = ext ? tf.count48() : tf.count28();
        long lba = start(ext, count);
        if (lba >= 0) {
            setAddress(lba + count - 1);
            complete();
        }
    }

    private void setMultiple() {
        int n = tf.count;
        if (n > MAX_MULTIPLE || (n & (n - 1)) != 0) {
            abort();
            return;
        }
        multiple = n;
        complete();
    }

    private void setFeatures() {
        switch (tf.feature) {
            case 0x03 -> {
                int m = tf.count;
                boolean pio = m <= 0x01 || m >= 0x08 && m <= 0x0C;
                boolean mwdma = m >= 0x20 && m <= 0x22;
                boolean udma = m >= 0x40 && m <= 0x45;
                if (!pio && !mwdma && !udma) {
                    abort();
                    return;
                }
                if (!pio) {
                    dmaMode = m;
                }
                complete();
            }
            case 0x02 -> {
                writeCache = true;
                complete();
            }
            case 0x82 -> {
                writeCache = false;
                flushCache();
            }
            case 0x55, 0xAA, 0x66, 0xCC -> complete();      // look-ahead, revert to defaults
            default -> abort();
        }
    }

    private void flushCache() {
        try {
            image.flush();
        } catch (IOException e) {
            hostError("flush", e);
            tf.error = ERR_ABRT;
            finish(DRDY | DF | ERR, true);
            return;
        }
        complete();
    }

    private void initializeParameters() {
        int spt = tf.count;
        if (spt == 0) {
            abort();
            return;
        }
        sectorsPerTrack = spt;
        heads = (tf.device & 0x0F) + 1;
        complete();
    }

    private void identify() {
        length = IdentifyData.ata(buffer, new IdentifyData.Disk(model, serial, firmware, sectors,
                cylinders, heads, sectorsPerTrack, multiple, dmaMode, writeCache));
        pioBlock(Phase.DATA_IN, 0, SECTOR, false, true);
    }

    // ---- persist --------------------------------------------------------------------------

    @Override
    public State save() {
        return new State(saveCore(), multiple, heads, sectorsPerTrack, dmaMode, writeCache);
    }

    @Override
    public void restore(State s) {
        if (s.heads() < 1 || s.heads() > 16 || s.sectorsPerTrack() < 1
                || s.sectorsPerTrack() > 255 || s.multiple() < 0 || s.multiple() > MAX_MULTIPLE) {
            throw new IllegalArgumentException("ATA disk state has a bad geometry: " + s);
        }
        IdeDrive.Transfer t = s.core().transfer();
        boolean sectorPhase = t.phase() == Phase.ATA_READ || t.phase() == Phase.ATA_WRITE;
        if (sectorPhase && (t.block() < 1 || t.block() > MAX_MULTIPLE)
                || t.phase() == Phase.PACKET || t.phase() == Phase.ATAPI_READ
                || t.phase() == Phase.ATAPI_REPLY) {
            throw new IllegalArgumentException("ATA disk state has a bad transfer: " + t);
        }
        restoreCore(s.core());
        multiple = s.multiple();
        heads = s.heads();
        sectorsPerTrack = s.sectorsPerTrack();
        dmaMode = s.dmaMode();
        writeCache = s.writeCache();
    }

    @Override
    Snapshot snapshot() {
        return save();
    }

    @Override
    void restoreSnapshot(Snapshot s) {
        if (!(s instanceof State st)) {
            throw new IllegalArgumentException("snapshot holds an ATAPI drive where the machine "
                    + "has the disk " + image.name());
        }
        restore(st);
    }
}

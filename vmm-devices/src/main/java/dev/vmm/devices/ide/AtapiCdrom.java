package dev.vmm.devices.ide;

import dev.vmm.core.persist.Persist;
import dev.vmm.devices.storage.BlockDevice;
import java.io.IOException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ATAPI CD/DVD-ROM drive: the ATA PACKET protocol carrying 12-byte MMC commands, by PIO or
 * DMA, on a medium of 2048-byte sectors (or an empty tray).
 *
 * <p>ATA commands: PACKET, IDENTIFY PACKET DEVICE, DEVICE RESET, SET FEATURES, CHECK POWER MODE,
 * IDLE/STANDBY/SLEEP (accepted); IDENTIFY DEVICE is aborted with the ATAPI signature left in the
 * task file, as drivers expect. Packet commands: TEST UNIT READY, REQUEST SENSE, INQUIRY, START
 * STOP UNIT (tray), PREVENT ALLOW MEDIUM REMOVAL, READ CAPACITY, READ(10), READ(12), SEEK(10),
 * SET CD SPEED, READ TOC (formats 0 and 1, LBA or MSF), MODE SENSE(10) (pages 01h, 2Ah),
 * GET CONFIGURATION and GET EVENT STATUS NOTIFICATION (media class, polled). Errors report a sense
 * key in the error register (bits 7-4) and CHECK (ERR) in the status; REQUEST SENSE returns the
 * key, ASC and ASCQ. A medium change raises UNIT ATTENTION (28h) on the next command.
 *
 * <p>The interrupt reason (sector count register): CoD (bit 0) and IO (bit 1): 01b while the
 * drive wants the packet, 10b for a data-in block (byte count in LBA mid/high), 11b at the end.
 */
public final class AtapiCdrom extends IdeDrive implements Persist<AtapiCdrom.State> {
    private static final Logger log = LoggerFactory.getLogger(AtapiCdrom.class);

    static final int CD_SECTOR = 2048;
    static final int REASON_COD = 0x01;
    static final int REASON_IO = 0x02;
    static final int KEY_NOT_READY = 2;
    static final int KEY_MEDIUM_ERROR = 3;
    static final int KEY_ILLEGAL_REQUEST = 5;
    static final int KEY_UNIT_ATTENTION = 6;
    static final int EVENT_NEW_MEDIA = 2;
    static final int EVENT_MEDIA_REMOVAL = 3;

    /**
     * The drive's state.
     *
     * @param mediaEvent the media event GET EVENT STATUS NOTIFICATION reports next (0 = none)
     * @param dmaMode the DMA mode SET FEATURES selected
     */
    public record State(Core core, int senseKey, int asc, int ascq, boolean unitAttention,
                        boolean locked, boolean trayOpen, int mediaEvent, int dmaMode)
            implements Snapshot {
    }

    private final String model;
    private final String serial;
    private BlockDevice medium;
    private int senseKey;
    private int asc;
    private int ascq;
    private boolean unitAttention;
    private boolean locked;
    private boolean trayOpen;
    private int mediaEvent;
    private int dmaMode = AtaDisk.DEFAULT_DMA_MODE;
    private long hostErrors;

    /** A drive named "VMM DVD-ROM" holding {@code medium} (null: empty, tray closed). */
    public AtapiCdrom(BlockDevice medium) {
        this(medium, "VMM DVD-ROM", "VMMCD0001");
    }

    public AtapiCdrom(BlockDevice medium, String model, String serial) {
        check(medium);
        this.medium = medium;
        this.model = model;
        this.serial = serial;
        reset();
    }

    private static void check(BlockDevice m) {
        if (m != null && m.sizeBytes() % CD_SECTOR != 0) {
            throw new IllegalArgumentException("a CD medium needs 2048-byte sectors: " + m);
        }
    }

    @Override
    public boolean atapi() {
        return true;
    }

    /** The medium in the drive (null when empty); the tray may be open. */
    public BlockDevice medium() {
        synchronized (lock()) {
            return medium;
        }
    }

    /** Host side: puts {@code m} in the drive and closes the tray; the guest sees a media change. */
    public void insert(BlockDevice m) {
        check(m);
        synchronized (lock()) {
            medium = m;
            trayOpen = false;
            unitAttention = true;
            mediaEvent = EVENT_NEW_MEDIA;
        }
    }

    /** Host side: takes the medium out (even if the guest locked it) and returns it. */
    public BlockDevice eject() {
        synchronized (lock()) {
            BlockDevice m = medium;
            medium = null;
            mediaEvent = EVENT_MEDIA_REMOVAL;
            unitAttention = true;
            return m;
        }
    }

    private boolean present() {
        return medium != null && !trayOpen;
    }

    private long sectors() {
        return medium.sizeBytes() / CD_SECTOR;
    }

    @Override
    void reset() {
        cancel();
        tf.signature(true);
        tf.status = 0;                                      // DRDY is not set on ATAPI
        intrq = false;
    }

    @Override
    void command(int cmd) {
        cancel();
        tf.error = 0;
        switch (cmd) {
            case 0xA0 -> packet();
            case 0xA1 -> {
                length = IdentifyData.atapi(buffer, model, serial, "0.1.0", dmaMode);
                pioBlock(Phase.DATA_IN, 0, length, false, true);
            }
            case 0xEC -> {
                tf.signature(true);                         // "I am ATAPI"
                abort();
            }
            case 0x08 -> reset();                           // DEVICE RESET: no interrupt
            case 0xEF -> {
                int m = tf.count;
                if (tf.feature == 0x03 && (m >= 0x20 && m <= 0x22 || m >= 0x40 && m <= 0x45)) {
                    dmaMode = m;
                }
                finish(DRDY | DSC, true);
            }
            case 0xE5, 0x98 -> {
                tf.count = 0xFF;
                finish(DRDY | DSC, true);
            }
            case 0xE0, 0xE1, 0xE2, 0xE3, 0xE6, 0x94, 0x95, 0x96, 0x97, 0x99 ->
                    finish(DRDY | DSC, true);
            default -> {
                ignored(String.format("unsupported ATA command %02Xh aborted", cmd));
                abort();
            }
        }
    }

    private void packet() {
        mode = tf.feature & 1;                              // DMA
        block = tf.byteCount();
        length = 0;
        tf.count = (tf.count & ~7) | REASON_COD;
        pioBlock(Phase.PACKET, 0, 12, true, false);        // accelerated DRQ: no interrupt
    }

    @Override
    void endOfBlock() {
        switch (phase) {
            case PACKET -> execute(Arrays.copyOf(buffer, 12));
            case ATAPI_READ, ATAPI_REPLY -> {
                int n = phase == Phase.ATAPI_REPLY ? end - (int) position : end;
                position += n;
                remaining -= n;
                if (remaining > 0) {
                    nextBlock();
                } else {
                    ok();
                }
            }
            default -> finish(DRDY | DSC, false);           // IDENTIFY PACKET DEVICE
        }
    }

    // ---- completion -----------------------------------------------------------------------

    private void ok() {
        tf.count = (tf.count & ~7) | REASON_IO | REASON_COD;
        finish(DRDY | DSC, true);
    }

    private void fail(int key, int code, int qualifier) {
        senseKey = key;
        asc = code;
        ascq = qualifier;
        tf.error = key << 4;
        tf.count = (tf.count & ~7) | REASON_IO | REASON_COD;
        finish(DRDY | ERR, true);
    }

    /** True if a medium is ready; else fails with NOT READY, MEDIUM NOT PRESENT. */
    private boolean ready() {
        if (present()) {
            return true;
        }
        fail(KEY_NOT_READY, 0x3A, trayOpen ? 0x02 : 0x01);
        return false;
    }

    // ---- data in --------------------------------------------------------------------------

    /** Sends {@code len} bytes (at most {@code alloc}) already built at the buffer's start. */
    private void reply(int len, int alloc) {
        int n = Math.min(len, alloc);
        if (n == 0) {
            ok();
            return;
        }
        length = n;
        dataIn(Phase.ATAPI_REPLY, 0, n);
    }

    private void dataIn(Phase p, long offset, long total) {
        phase = p;
        position = offset;
        remaining = total;
        if (mode != 0) {
            tf.count = (tf.count & ~7) | REASON_IO;
            requestDma(true, offset, total);
        } else {
            nextBlock();
        }
    }

    private void nextBlock() {
        int limit = block & 0xFFFE;
        if (limit == 0) {
            limit = 0xFFFE;
        }
        int n = (int) Math.min(remaining, limit);
        int start = 0;
        if (phase == Phase.ATAPI_READ) {
            try {
                medium.read(position, buffer, 0, n);
            } catch (IOException e) {
                hostError(e);
                fail(KEY_MEDIUM_ERROR, 0x11, 0);            // unrecovered read error
                return;
            }
        } else {
            start = (int) position;
        }
        tf.setByteCount(n);
        tf.count = (tf.count & ~7) | REASON_IO;
        pioBlock(phase, start, n, false, true);
    }

    private void hostError(IOException e) {
        if (hostErrors++ < 4) {
            log.warn("ATAPI drive: host read of {} failed: {}", medium.name(), e.toString());
        }
    }

    @Override
    void dmaIn(byte[] dst, int n) throws IOException {
        if (phase == Phase.ATAPI_READ) {
            medium.read(dmaOffset, dst, 0, n);
        } else {
            System.arraycopy(buffer, (int) dmaOffset, dst, 0, n);
        }
        dmaOffset += n;
        dmaLeft -= n;
    }

    @Override
    void dmaOut(byte[] src, int n) {
        dmaOffset += n;                                     // no data-out commands: dropped
        dmaLeft -= n;
    }

    @Override
    void dmaEnd(DmaEnd how) {
        dmaRequest = false;
        switch (how) {
            case COMPLETE -> ok();
            case SHORT_PRD -> finish(DRDY | DSC, false);
            case ERROR -> {
                hostErrors++;
                fail(KEY_MEDIUM_ERROR, 0x11, 0);
            }
        }
    }

    // ---- packet commands ------------------------------------------------------------------

    private void execute(byte[] cdb) {
        int op = cdb[0] & 0xFF;
        if (op != 0x03) {
            senseKey = asc = ascq = 0;
        }
        if (unitAttention && op != 0x03 && op != 0x12 && op != 0x4A) {
            unitAttention = false;
            fail(KEY_UNIT_ATTENTION, 0x28, 0);              // not ready to ready: medium changed
            return;
        }
        switch (op) {
            case 0x00 -> {
                if (ready()) {
                    ok();
                }
            }
            case 0x03 -> requestSense(cdb[4] & 0xFF);
            case 0x12 -> {
                if ((cdb[1] & 1) != 0) {
                    fail(KEY_ILLEGAL_REQUEST, 0x24, 0);     // no VPD pages
                } else {
                    reply(AtapiData.inquiry(buffer, model.replace("VMM ", ""), "0.1"),
                            AtapiData.be16(cdb, 3));
                }
            }
            case 0x1B -> startStop(cdb[4] & 0xFF);
            case 0x1E -> {
                locked = (cdb[4] & 1) != 0;
                ok();
            }
            case 0x25 -> {
                if (ready()) {
                    reply(AtapiData.capacity(buffer, sectors()), 8);
                }
            }
            case 0x28 -> read(AtapiData.be32(cdb, 2), AtapiData.be16(cdb, 7));
            case 0xA8 -> read(AtapiData.be32(cdb, 2), AtapiData.be32(cdb, 6));
            case 0x2B, 0xBB -> ok();                        // SEEK(10), SET CD SPEED
            case 0x43 -> readToc(cdb);
            case 0x5A -> modeSense(cdb);
            case 0x46 -> reply(AtapiData.configuration(buffer, cdb[1] & 3, AtapiData.be16(cdb, 2),
                    profile()), AtapiData.be16(cdb, 7));
            case 0x4A -> eventStatus(cdb);
            default -> {
                ignored(String.format("unsupported packet command %02Xh", op));
                fail(KEY_ILLEGAL_REQUEST, 0x20, 0);         // invalid command operation code
            }
        }
    }

    private void requestSense(int alloc) {
        int k = senseKey;
        int c = asc;
        int q = ascq;
        if (k == 0 && unitAttention) {
            unitAttention = false;
            k = KEY_UNIT_ATTENTION;
            c = 0x28;
            q = 0;
        }
        senseKey = asc = ascq = 0;
        reply(AtapiData.sense(buffer, k, c, q), alloc);
    }

    private void read(long lba, long count) {
        if (!ready()) {
            return;
        }
        if (count == 0) {
            ok();
        } else if (lba + count > sectors()) {
            fail(KEY_ILLEGAL_REQUEST, 0x21, 0);             // LBA out of range
        } else {
            dataIn(Phase.ATAPI_READ, lba * CD_SECTOR, count * CD_SECTOR);
        }
    }

    private void readToc(byte[] cdb) {
        if (!ready()) {
            return;
        }
        int format = cdb[2] & 0x0F;
        if (format == 0) {
            format = (cdb[9] & 0xFF) >> 6;                  // SFF-8020 placement
        }
        int len = AtapiData.toc(buffer, format, cdb[6] & 0xFF, (cdb[1] & 2) != 0, sectors());
        if (len < 0) {
            fail(KEY_ILLEGAL_REQUEST, 0x24, 0);
        } else {
            reply(len, AtapiData.be16(cdb, 7));
        }
    }

    private void modeSense(byte[] cdb) {
        int len = AtapiData.modeSense(buffer, cdb[2] & 0x3F, (cdb[2] & 0xFF) >> 6, locked);
        if (len == AtapiData.SAVING_UNSUPPORTED) {
            fail(KEY_ILLEGAL_REQUEST, 0x39, 0);
        } else if (len < 0) {
            fail(KEY_ILLEGAL_REQUEST, 0x24, 0);
        } else {
            reply(len, AtapiData.be16(cdb, 7));
        }
    }

    private int profile() {
        if (!present()) {
            return AtapiData.PROFILE_NONE;
        }
        return sectors() > AtapiData.CD_MAX_SECTORS ? AtapiData.PROFILE_DVD_ROM
                : AtapiData.PROFILE_CD_ROM;
    }

    private void eventStatus(byte[] cdb) {
        if ((cdb[1] & 1) == 0) {
            fail(KEY_ILLEGAL_REQUEST, 0x24, 0);             // only polled operation
            return;
        }
        int classes = cdb[4] & 0xFF;
        int len = AtapiData.eventStatus(buffer, classes, mediaEvent, present(), trayOpen);
        if ((classes & 0x10) != 0) {
            mediaEvent = 0;
        }
        reply(len, AtapiData.be16(cdb, 7));
    }

    private void startStop(int b4) {
        if ((b4 & 0x02) != 0) {                             // LoEj
            if ((b4 & 0x01) != 0) {
                if (trayOpen) {
                    trayOpen = false;
                    if (medium != null) {
                        mediaEvent = EVENT_NEW_MEDIA;
                    }
                }
            } else if (locked) {
                fail(KEY_ILLEGAL_REQUEST, 0x53, 0x02);      // medium removal prevented
                return;
            } else {
                trayOpen = true;
                mediaEvent = EVENT_MEDIA_REMOVAL;
            }
        }
        ok();
    }

    // ---- persist --------------------------------------------------------------------------

    @Override
    public State save() {
        synchronized (lock()) {
            return new State(saveCore(), senseKey, asc, ascq, unitAttention, locked, trayOpen,
                    mediaEvent, dmaMode);
        }
    }

    @Override
    public void restore(State s) {
        IdeDrive.Transfer t = s.core().transfer();
        int len = t.buffer().length;
        boolean reply = t.phase() == Phase.ATAPI_REPLY;
        if (reply && (t.position() < 0 || t.position() + t.remaining() > len
                || t.dmaRequest() && (t.dmaOffset() < 0 || t.dmaOffset() + t.dmaLeft() > len))
                || t.phase() == Phase.ATA_READ || t.phase() == Phase.ATA_WRITE) {
            throw new IllegalArgumentException("ATAPI drive state has a bad transfer: " + t);
        }
        synchronized (lock()) {
            restoreCore(s.core());
            senseKey = s.senseKey();
            asc = s.asc();
            ascq = s.ascq();
            unitAttention = s.unitAttention();
            locked = s.locked();
            trayOpen = s.trayOpen();
            mediaEvent = s.mediaEvent();
            dmaMode = s.dmaMode();
        }
    }

    @Override
    Snapshot snapshot() {
        return save();
    }

    @Override
    void restoreSnapshot(Snapshot s) {
        if (!(s instanceof State st)) {
            throw new IllegalArgumentException(
                    "snapshot holds an ATA disk where the machine has an ATAPI drive");
        }
        restore(st);
    }
}

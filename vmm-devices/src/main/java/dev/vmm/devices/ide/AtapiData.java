package dev.vmm.devices.ide;

import java.util.Arrays;

/**
 * The data blocks an ATAPI CD/DVD drive returns (MMC-3/SPC layouts): INQUIRY, fixed-format sense, READ CAPACITY, READ TOC formats 0 and 1, MODE SENSE pages 01h and
 * 2Ah, GET CONFIGURATION and GET EVENT STATUS NOTIFICATION (media class). Multi-byte fields are
 * big-endian, as SCSI has them. Each builder writes into {@code b} from 0 and returns the length.
 */
final class AtapiData {
    static final int PROFILE_NONE = 0;
    static final int PROFILE_CD_ROM = 0x0008;
    static final int PROFILE_DVD_ROM = 0x0010;
    /** The largest CD (80 minutes); bigger media are DVDs. */
    static final long CD_MAX_SECTORS = 360_000;
    /** MODE SENSE: a bad page or field, and saved values requested. */
    static final int INVALID = -1;
    static final int SAVING_UNSUPPORTED = -2;

    private AtapiData() {
    }

    static void be16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void be32(byte[] b, int off, long v) {
        be16(b, off, (int) (v >>> 16));
        be16(b, off + 2, (int) v);
    }

    static int be16(byte[] b, int off) {
        return (b[off] & 0xFF) << 8 | b[off + 1] & 0xFF;
    }

    static long be32(byte[] b, int off) {
        return (long) be16(b, off) << 16 | be16(b, off + 2);
    }

    private static void ascii(byte[] b, int off, int len, String s) {
        for (int i = 0; i < len; i++) {
            b[off + i] = (byte) (i < s.length() ? s.charAt(i) : ' ');
        }
    }

    /** Standard INQUIRY data: CD/DVD device, removable, ATAPI. */
    static int inquiry(byte[] b, String product, String revision) {
        Arrays.fill(b, 0, 36, (byte) 0);
        b[0] = 0x05;                                        // CD/DVD device
        b[1] = (byte) 0x80;                                 // removable medium
        b[2] = 0x00;                                        // no SCSI version claimed (ATAPI)
        b[3] = 0x21;                                        // ATAPI transport, response format 1
        b[4] = 31;                                          // additional length
        ascii(b, 8, 8, "VMM");
        ascii(b, 16, 16, product);
        ascii(b, 32, 4, revision);
        return 36;
    }

    /** Fixed-format sense data. */
    static int sense(byte[] b, int key, int asc, int ascq) {
        Arrays.fill(b, 0, 18, (byte) 0);
        b[0] = 0x70;                                        // current error, fixed format
        b[2] = (byte) key;
        b[7] = 10;                                          // additional sense length
        b[12] = (byte) asc;
        b[13] = (byte) ascq;
        return 18;
    }

    /** READ CAPACITY: last LBA and the 2048-byte block length. */
    static int capacity(byte[] b, long sectors) {
        be32(b, 0, sectors - 1);
        be32(b, 4, 2048);
        return 8;
    }

    /** A 4-byte TOC address: LBA, or MSF of LBA + 150 (two seconds of lead-in). */
    private static void address(byte[] b, int off, long lba, boolean msf) {
        if (!msf) {
            be32(b, off, lba);
            return;
        }
        long f = lba + 150;
        b[off] = 0;
        b[off + 1] = (byte) (f / (75 * 60));
        b[off + 2] = (byte) (f / 75 % 60);
        b[off + 3] = (byte) (f % 75);
    }

    /**
     * READ TOC of a single-session disc with one data track. Format 0: the track descriptors from
     * {@code track} on, and the lead-out (AAh); format 1: the first track of the last session.
     * Returns {@link #INVALID} for other formats or a track past the lead-out.
     */
    static int toc(byte[] b, int format, int track, boolean msf, long sectors) {
        Arrays.fill(b, 0, 32, (byte) 0);
        b[2] = 1;                                           // first track / session
        b[3] = 1;                                           // last track / session
        switch (format) {
            case 0 -> {
                if (track > 1 && track != 0xAA) {
                    return INVALID;
                }
                int p = 4;
                if (track <= 1) {
                    b[p + 1] = 0x14;                        // ADR 1, data track
                    b[p + 2] = 1;
                    address(b, p + 4, 0, msf);
                    p += 8;
                }
                b[p + 1] = 0x14;
                b[p + 2] = (byte) 0xAA;                     // lead-out
                address(b, p + 4, sectors, msf);
                p += 8;
                be16(b, 0, p - 2);
                return p;
            }
            case 1 -> {
                be16(b, 0, 10);
                b[5] = 0x14;
                b[6] = 1;
                address(b, 8, 0, msf);
                return 12;
            }
            default -> {
                return INVALID;
            }
        }
    }

    private static int errorRecoveryPage(byte[] b, int p, boolean changeable) {
        b[p] = 0x01;
        b[p + 1] = 0x0A;
        if (!changeable) {
            b[p + 3] = 5;                                   // read retry count
        }
        return p + 12;
    }

    private static int capabilitiesPage(byte[] b, int p, boolean changeable, boolean locked) {
        b[p] = 0x2A;
        b[p + 1] = 0x1A;
        if (changeable) {
            return p + 28;
        }
        b[p + 2] = 0x3B;            // reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM; no writing
        b[p + 4] = 0x71;            // audio play, mode 2 form 1 and 2, multi-session
        b[p + 5] = 0x00;
        b[p + 6] = (byte) (0x29 | (locked ? 0x02 : 0));     // tray, eject, lock (+ state)
        be16(b, p + 8, 706);        // max read speed 4x (KB/s)
        be16(b, p + 12, 512);       // buffer KiB
        be16(b, p + 14, 706);       // current read speed
        return p + 28;
    }

    /**
     * MODE SENSE(10) with an 8-byte header and no block descriptors. Page 01h (read error
     * recovery), 2Ah (capabilities and mechanical status) or 3Fh (both).
     */
    static int modeSense(byte[] b, int page, int control, boolean locked) {
        if (control == 3) {
            return SAVING_UNSUPPORTED;
        }
        boolean changeable = control == 1;
        Arrays.fill(b, 0, 64, (byte) 0);
        int p = 8;
        switch (page) {
            case 0x01 -> p = errorRecoveryPage(b, p, changeable);
            case 0x2A -> p = capabilitiesPage(b, p, changeable, locked);
            case 0x3F -> p = capabilitiesPage(b, errorRecoveryPage(b, p, changeable), changeable,
                    locked);
            default -> {
                return INVALID;
            }
        }
        be16(b, 0, p - 2);
        return p;
    }

    /**
     * GET CONFIGURATION: Profile List (DVD-ROM, CD-ROM), Core (ATAPI) and Removable Medium
     * features, from feature {@code start} on ({@code rt} 0 and 1), or that one feature (2).
     */
    static int configuration(byte[] b, int rt, int start, int profile) {
        Arrays.fill(b, 0, 64, (byte) 0);
        be16(b, 6, profile);
        int p = 8;
        if (wanted(0x0000, rt, start)) {
            b[p + 2] = 0x03;                                // persistent, current
            b[p + 3] = 8;
            be16(b, p + 4, PROFILE_DVD_ROM);
            b[p + 6] = (byte) (profile == PROFILE_DVD_ROM ? 1 : 0);
            be16(b, p + 8, PROFILE_CD_ROM);
            b[p + 10] = (byte) (profile == PROFILE_CD_ROM ? 1 : 0);
            p += 12;
        }
        if (wanted(0x0001, rt, start)) {
            be16(b, p, 0x0001);
            b[p + 2] = 0x0B;                                // version 2, persistent, current
            b[p + 3] = 8;
            be32(b, p + 4, 2);                              // ATAPI
            p += 12;
        }
        if (wanted(0x0003, rt, start)) {
            be16(b, p, 0x0003);
            b[p + 2] = 0x03;
            b[p + 3] = 4;
            b[p + 4] = 0x29;                                // tray, eject, lock
            p += 8;
        }
        be32(b, 0, p - 4);
        return p;
    }

    private static boolean wanted(int feature, int rt, int start) {
        return rt == 2 ? feature == start : feature >= start;
    }

    /** GET EVENT STATUS NOTIFICATION (polled): the media class, or "no event available". */
    static int eventStatus(byte[] b, int classes, int event, boolean present, boolean trayOpen) {
        Arrays.fill(b, 0, 8, (byte) 0);
        b[3] = 0x10;                                        // supported: media
        if ((classes & 0x10) == 0) {
            be16(b, 0, 2);
            b[2] = (byte) 0x80;                             // NEA
            return 4;
        }
        be16(b, 0, 6);
        b[2] = 0x04;                                        // media class
        b[4] = (byte) event;
        b[5] = (byte) ((present ? 0x02 : 0) | (trayOpen ? 0x01 : 0));
        return 8;
    }
}

package dev.vmm.firmware.bios;

import dev.vmm.devices.storage.BlockDevice;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Finds the PC BIOS boot image of a CD (El Torito, "Bootable CD-ROM Format Specification" 1.0,
 * Phoenix/IBM 1995). The ISO 9660 volume descriptors start at sector 16; the Boot Record Volume
 * Descriptor (type 0, "CD001", version 1, system identifier "EL TORITO SPECIFICATION") holds the
 * sector of the boot catalog at byte 0x47. The catalog starts with a validation entry (header ID
 * 01h, platform ID, 55h AAh at bytes 30-31, the sixteen 16-bit words summing to zero) followed by
 * the initial/default entry (boot indicator 88h, media type, load segment, sector count in
 * 512-byte "virtual sectors", load RBA); section headers (90h, 91h for the last one) may add
 * entries for other platforms. The image for platform 0 (80x86) is the one a PC BIOS boots.
 */
public final class ElTorito {
    public static final int SECTOR = 2048;
    /** Sector of the first ISO 9660 volume descriptor. */
    public static final int FIRST_DESCRIPTOR = 16;
    /** At most this many volume descriptors are examined. */
    static final int MAX_DESCRIPTORS = 32;
    static final String SYSTEM_ID = "EL TORITO SPECIFICATION";
    static final int PLATFORM_X86 = 0;
    static final int BOOTABLE = 0x88;
    /** Where a load segment of 0 puts the image (07C0h). */
    public static final int DEFAULT_LOAD_SEGMENT = 0x07C0;

    /** Boot media types (the low 4 bits of the entry's media byte). */
    public static final int NO_EMULATION = 0;
    public static final int FLOPPY_1200K = 1;
    public static final int FLOPPY_1440K = 2;
    public static final int FLOPPY_2880K = 3;
    public static final int HARD_DISK = 4;

    /**
     * The boot image of a CD.
     *
     * @param catalogSector sector (2048 bytes) of the boot catalog
     * @param media         the emulation type: {@link #NO_EMULATION}, a floppy or {@link #HARD_DISK}
     * @param loadSegment   where the image goes (0 in the catalog is reported as 07C0h)
     * @param sectorCount   the number of 512-byte virtual sectors to load
     * @param loadRba       the sector (2048 bytes) where the image starts
     */
    public record BootImage(long catalogSector, int media, int loadSegment, int sectorCount, long loadRba) {
        /** Bytes the BIOS loads: {@code sectorCount} virtual sectors, at least one (a count of 0 loads 512). */
        public int loadBytes() {
            return Math.max(1, sectorCount) * 512;
        }

        public String mediaName() {
            return switch (media) {
                case NO_EMULATION -> "no emulation";
                case FLOPPY_1200K -> "1.2 MB floppy emulation";
                case FLOPPY_1440K -> "1.44 MB floppy emulation";
                case FLOPPY_2880K -> "2.88 MB floppy emulation";
                case HARD_DISK -> "hard disk emulation";
                default -> "media type " + media;
            };
        }
    }

    /** Why a CD does not boot, in one line. */
    public static final class NotBootableException extends Exception {
        private static final long serialVersionUID = 1L;

        public NotBootableException(String message) {
            super(message);
        }
    }

    private ElTorito() {
    }

    /**
     * The PC boot image of {@code cd}.
     *
     * @throws NotBootableException when the CD has no El Torito boot record, its catalog is malformed
     *                              or it holds no bootable 80x86 entry
     * @throws IOException          when reading the image fails
     */
    public static BootImage find(BlockDevice cd) throws IOException, NotBootableException {
        long catalog = catalogSector(cd);
        if (catalog < FIRST_DESCRIPTOR || (catalog + 1) * SECTOR > cd.sizeBytes()) {
            throw new NotBootableException("the El Torito boot catalog sector " + catalog + " lies outside the image");
        }
        byte[] c = new byte[SECTOR];
        cd.read(catalog * SECTOR, c);
        checkValidation(c, catalog);
        int platform = c[1] & 0xFF;
        // The initial/default entry belongs to the validation entry's platform.
        if (platform == PLATFORM_X86) {
            return entry(c, 32, catalog);
        }
        // Otherwise look for an 80x86 section.
        for (int off = 64; off + 32 <= SECTOR; ) {
            int header = c[off] & 0xFF;
            if (header != 0x90 && header != 0x91) {
                break;
            }
            int sectionPlatform = c[off + 1] & 0xFF;
            int entries = u16(c, off + 2);
            off += 32;
            for (int k = 0; k < entries && off + 32 <= SECTOR; k++, off += 32) {
                if (sectionPlatform == PLATFORM_X86 && (c[off] & 0xFF) == BOOTABLE) {
                    return entry(c, off, catalog);
                }
                while (off + 32 < SECTOR && (c[off + 32] & 0xFF) == 0x44) {
                    off += 32;      // section entry extensions
                }
            }
            if (header == 0x91) {
                break;
            }
        }
        throw new NotBootableException(String.format(
                "the El Torito boot catalog has no entry for a PC BIOS (platform 0x%02X only)", platform));
    }

    private static long catalogSector(BlockDevice cd) throws IOException, NotBootableException {
        byte[] d = new byte[SECTOR];
        for (int n = 0; n < MAX_DESCRIPTORS; n++) {
            long sector = FIRST_DESCRIPTOR + n;
            if ((sector + 1) * SECTOR > cd.sizeBytes()) {
                break;
            }
            cd.read(sector * SECTOR, d);
            if (!"CD001".equals(new String(d, 1, 5, StandardCharsets.US_ASCII)) || d[6] != 1) {
                break;      // not a volume descriptor: the set has ended
            }
            int type = d[0] & 0xFF;
            if (type == 0xFF) {
                break;      // set terminator
            }
            if (type == 0 && new String(d, 7, 32, StandardCharsets.US_ASCII).startsWith(SYSTEM_ID)) {
                return u32(d, 0x47);
            }
        }
        throw new NotBootableException("no El Torito boot record: not a bootable CD image");
    }

    private static void checkValidation(byte[] c, long catalog) throws NotBootableException {
        if (c[0] != 1 || (c[30] & 0xFF) != 0x55 || (c[31] & 0xFF) != 0xAA) {
            throw new NotBootableException("the El Torito boot catalog at sector " + catalog
                    + " does not start with a validation entry");
        }
        int sum = 0;
        for (int i = 0; i < 32; i += 2) {
            sum += u16(c, i);
        }
        if ((sum & 0xFFFF) != 0) {
            throw new NotBootableException(String.format(
                    "the El Torito validation entry at sector %d has a bad checksum (words sum to 0x%04X)", catalog,
                    sum & 0xFFFF));
        }
    }

    private static BootImage entry(byte[] c, int off, long catalog) throws NotBootableException {
        if ((c[off] & 0xFF) != BOOTABLE) {
            throw new NotBootableException(String.format(
                    "the El Torito default entry is not bootable (boot indicator 0x%02X)", c[off] & 0xFF));
        }
        int segment = u16(c, off + 2);
        return new BootImage(catalog, c[off + 1] & 0x0F, segment == 0 ? DEFAULT_LOAD_SEGMENT : segment,
                u16(c, off + 6), u32(c, off + 8));
    }

    static int u16(byte[] b, int at) {
        return b[at] & 0xFF | (b[at + 1] & 0xFF) << 8;
    }

    static long u32(byte[] b, int at) {
        return (u16(b, at) | (long) u16(b, at + 2) << 16) & 0xFFFF_FFFFL;
    }
}

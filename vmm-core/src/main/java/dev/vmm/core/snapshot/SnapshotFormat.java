package dev.vmm.core.snapshot;

import java.nio.charset.StandardCharsets;

/** Constants of the snapshot container format (see docs/snapshot-format.md). */
final class SnapshotFormat {
    /** "VMMSNAP\0". */
    static final byte[] MAGIC = "VMMSNAP\0".getBytes(StandardCharsets.US_ASCII);
    /**
     * The container format version this vmm writes, and the newest it reads. 2: the trailer's
     * checksum is a CRC-32C of the file (1: a SHA-256, still read).
     */
    static final int VERSION = 2;
    /** Section flag: a reader that does not know the section may skip it. */
    static final int SECTION_OPTIONAL = 1;
    /** The longest section name, in UTF-8 bytes. */
    static final int MAX_NAME = 255;
    /** The longest creation note, in UTF-8 bytes. */
    static final int MAX_NOTE = 0xFFFF;
    /** Bytes of the SHA-256 in a version 1 trailer. */
    static final int SHA256_BYTES = 32;
    /** Bytes of the CRC-32C in a version 2 trailer. */
    static final int CRC_BYTES = 4;

    private SnapshotFormat() {
    }
}

package dev.vmm.core.snapshot;

import java.io.IOException;

/**
 * A snapshot file that cannot be loaded: wrong magic, a newer format or section version, a
 * truncated file, a checksum mismatch, an unknown required section, or a payload that does not
 * decode. The message is one line naming the problem (and the section and offset where there is one).
 */
public final class SnapshotFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public SnapshotFormatException(String message) {
        super(message);
    }

    /** A problem at byte {@code offset} of the payload of section {@code section}. */
    public static SnapshotFormatException inSection(String section, long offset, String problem) {
        return new SnapshotFormatException("section '" + section + "' at payload offset " + offset + ": " + problem);
    }
}

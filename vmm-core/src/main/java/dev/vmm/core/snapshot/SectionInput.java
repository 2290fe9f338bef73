package dev.vmm.core.snapshot;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * Reads a section payload written by {@link SectionOutput}. Every read is bounds-checked: reading
 * past the payload's end raises {@link SnapshotFormatException} naming the section and offset.
 */
public final class SectionInput {
    private final String section;
    private final int version;
    private final byte[] buf;
    private int pos;

    public SectionInput(String section, int version, byte[] payload) {
        this.section = section;
        this.version = version;
        this.buf = payload;
    }

    /** The section's name. */
    public String section() {
        return section;
    }

    /** The section's version (what its writer's codec wrote). */
    public int version() {
        return version;
    }

    public int position() {
        return pos;
    }

    public int remaining() {
        return buf.length - pos;
    }

    /** An error at the current offset of this section. */
    public SnapshotFormatException error(String problem) {
        return SnapshotFormatException.inSection(section, pos, problem);
    }

    private void need(long count) throws SnapshotFormatException {
        if (count < 0 || count > buf.length - pos) {
            throw error("needs " + count + " bytes, only " + (buf.length - pos) + " left in the "
                    + buf.length + "-byte payload");
        }
    }

    public int u8() throws SnapshotFormatException {
        need(1);
        return buf[pos++] & 0xFF;
    }

    /** A u8 that must be 0 or 1. */
    public boolean bool() throws SnapshotFormatException {
        int v = u8();
        if (v > 1) {
            pos--;
            throw error("boolean byte is " + v);
        }
        return v == 1;
    }

    public int u16() throws SnapshotFormatException {
        need(2);
        int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8;
        pos += 2;
        return v;
    }

    public long u32() throws SnapshotFormatException {
        need(4);
        long v = 0;
        for (int k = 0; k < 4; k++) {
            v |= (long) (buf[pos + k] & 0xFF) << (8 * k);
        }
        pos += 4;
        return v;
    }

    public long u64() throws SnapshotFormatException {
        need(8);
        long v = 0;
        for (int k = 0; k < 8; k++) {
            v |= (long) (buf[pos + k] & 0xFF) << (8 * k);
        }
        pos += 8;
        return v;
    }

    public byte[] bytes(long count) throws SnapshotFormatException {
        need(count);
        byte[] b = new byte[(int) count];
        System.arraycopy(buf, pos, b, 0, b.length);
        pos += b.length;
        return b;
    }

    /** A string written by {@link SectionOutput#utf8}: u32 length, UTF-8 bytes (malformed UTF-8 is refused). */
    public String utf8() throws SnapshotFormatException {
        int at = pos;
        byte[] b = bytes(u32());
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw SnapshotFormatException.inSection(section, at, "malformed UTF-8 string");
        }
    }

    /** Refuses bytes left over after the codec read everything its version defines. */
    public void expectEnd() throws SnapshotFormatException {
        if (pos != buf.length) {
            throw error((buf.length - pos) + " unexpected trailing bytes");
        }
    }
}

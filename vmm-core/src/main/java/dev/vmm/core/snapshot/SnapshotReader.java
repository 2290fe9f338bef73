package dev.vmm.core.snapshot;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and verifies a snapshot file (format in docs/snapshot-format.md) before anything is
 * restored from it. Refused, each with a one-line {@link SnapshotFormatException}: a wrong magic, a
 * newer format version, a truncated file, a section whose CRC32C does not match (named), an unknown
 * section not marked optional, a trailer whose section count or SHA-256 does not match, bytes after
 * the trailer.
 */
public final class SnapshotReader {
    private static final Logger log = LoggerFactory.getLogger(SnapshotReader.class);

    /** The sections of vmm-core: the CPU and RAM. */
    public static final Set<String> CORE_SECTIONS = Set.of(CpuSection.NAME, RamSection.NAME);

    private SnapshotReader() {
    }

    /**
     * Loads {@code file}, keeping the sections named in {@code known} and skipping unknown optional
     * ones. Section versions are checked by the sections' codecs, not here.
     */
    public static Snapshot read(Path file, Set<String> known) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            Source s = new Source(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16), size);
            return read(s, known);
        }
    }

    private static Snapshot read(Source s, Set<String> known) throws IOException {
        int m = (int) Math.min(SnapshotFormat.MAGIC.length, s.remaining());
        byte[] magic = s.bytes(m, "the magic");
        if (!Arrays.equals(magic, 0, m, SnapshotFormat.MAGIC, 0, m)) {
            throw new SnapshotFormatException("not a vmm snapshot (wrong magic)");
        }
        if (m < SnapshotFormat.MAGIC.length) {
            throw new SnapshotFormatException("truncated file: ends at byte " + m + " inside the magic");
        }
        byte[] versionBytes = s.bytes(2, "the header");
        int version = (versionBytes[0] & 0xFF) | (versionBytes[1] & 0xFF) << 8;
        if (version > SnapshotFormat.VERSION) {
            throw new SnapshotFormatException("written by a newer vmm: format version " + version
                    + ", this vmm reads up to " + SnapshotFormat.VERSION);
        }
        if (version < 1) {
            throw new SnapshotFormatException("invalid format version " + version);
        }
        // The trailer's checksum covers every byte from the magic on: version 1 a SHA-256, version 2 a CRC-32C.
        FileSum sum = version == 1 ? new Sha256Sum() : new Crc32cSum();
        sum.update(magic, 0, magic.length);
        sum.update(versionBytes, 0, 2);
        s.sum = sum;
        s.u16("the header"); // header flags: none defined, ignored
        String note = utf8(s.bytes(s.u16("the header"), "the header's note"), "the header's note");
        List<Snapshot.Section> sections = new ArrayList<>();
        int count = 0;
        while (true) {
            int nameLen = s.u16("a section header");
            if (nameLen == 0) {
                break;
            }
            String name = utf8(s.bytes(nameLen, "a section name"), "a section name");
            String what = "section '" + name + "'";
            int sectionVersion = s.u16(what);
            int flags = s.u16(what);
            long length = s.u64(what);
            if (length < 0 || length > s.remaining()) {
                throw new SnapshotFormatException("truncated file: " + what + " declares " + Long.toUnsignedString(length)
                        + " payload bytes, the file has " + s.remaining() + " left");
            }
            if (length > Integer.MAX_VALUE - 16) {
                throw new SnapshotFormatException(what + " is over 2 GiB: not supported by this vmm");
            }
            byte[] payload = s.bytes(length, what + "'s payload");
            long crc = s.u32(what + "'s checksum");
            CRC32C c = new CRC32C();
            c.update(payload);
            if (c.getValue() != crc) {
                throw new SnapshotFormatException("corrupted file: checksum mismatch in " + what);
            }
            count++;
            boolean optional = (flags & SnapshotFormat.SECTION_OPTIONAL) != 0;
            if (!known.contains(name)) {
                if (!optional) {
                    throw new SnapshotFormatException("unknown required " + what + " (version " + sectionVersion
                            + "): written by a newer vmm or another machine type; this vmm cannot restore it");
                }
                log.info("skipping unknown optional {} (version {}, {} bytes)", what, sectionVersion, length);
                continue;
            }
            if ((flags & ~SnapshotFormat.SECTION_OPTIONAL) != 0) {
                throw new SnapshotFormatException(what + " has unknown flags 0x" + Integer.toHexString(flags)
                        + ": written by a newer vmm");
            }
            for (Snapshot.Section prev : sections) {
                if (prev.name().equals(name)) {
                    throw new SnapshotFormatException("corrupted file: duplicate " + what);
                }
            }
            sections.add(new Snapshot.Section(name, sectionVersion, flags, payload));
        }
        long declared = s.u32("the trailer");
        s.sum = null;
        byte[] expected = sum.value();
        byte[] digest = s.bytes(expected.length, "the trailer's " + sum.name());
        if (declared != count) {
            throw new SnapshotFormatException("corrupted file: the trailer counts " + declared + " sections, the file has " + count);
        }
        if (!MessageDigest.isEqual(expected, digest)) {
            throw new SnapshotFormatException("corrupted file: " + sum.name() + " mismatch (expected "
                    + HexFormat.of().formatHex(digest) + ", computed " + HexFormat.of().formatHex(expected) + ")");
        }
        if (s.remaining() != 0) {
            throw new SnapshotFormatException("corrupted file: " + s.remaining() + " bytes after the trailer");
        }
        return new Snapshot(version, note, sections);
    }

    private static String utf8(byte[] b, String what) throws SnapshotFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new SnapshotFormatException("corrupted file: malformed UTF-8 in " + what);
        }
    }

    /** The trailer's checksum of the file, fed with every byte read before it. */
    private interface FileSum {
        void update(byte[] b, int off, int len);

        /** The value as the trailer stores it. */
        byte[] value();

        String name();
    }

    /** Format 1: SHA-256. */
    private static final class Sha256Sum implements FileSum {
        private final MessageDigest sha;

        Sha256Sum() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 missing from the JDK", e);
            }
        }

        @Override
        public void update(byte[] b, int off, int len) {
            sha.update(b, off, len);
        }

        @Override
        public byte[] value() {
            return sha.digest();
        }

        @Override
        public String name() {
            return "SHA-256";
        }
    }

    /** Format 2: CRC-32C, little-endian. */
    private static final class Crc32cSum implements FileSum {
        private final CRC32C crc = new CRC32C();

        @Override
        public void update(byte[] b, int off, int len) {
            crc.update(b, off, len);
        }

        @Override
        public byte[] value() {
            long v = crc.getValue();
            return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
        }

        @Override
        public String name() {
            return "CRC-32C";
        }
    }

    /** Little-endian reads with truncation reported as a {@link SnapshotFormatException}. */
    private static final class Source {
        private final InputStream in;
        private final long size;
        private long pos;
        /** Where the bytes read go (the file's checksum), or null. */
        FileSum sum;

        Source(InputStream in, long size) {
            this.in = in;
            this.size = size;
        }

        long remaining() {
            return size - pos;
        }

        byte[] bytes(long n, String what) throws IOException {
            if (n > remaining()) {
                throw truncated(what);
            }
            byte[] b = new byte[(int) n];
            try {
                int off = 0;
                while (off < b.length) {
                    int k = in.read(b, off, b.length - off);
                    if (k < 0) {
                        throw new EOFException();
                    }
                    off += k;
                }
            } catch (EOFException e) {
                throw truncated(what);
            }
            pos += n;
            if (sum != null) {
                sum.update(b, 0, b.length);
            }
            return b;
        }

        private SnapshotFormatException truncated(String what) {
            return new SnapshotFormatException("truncated file: ends at byte " + size + " inside " + what);
        }

        long le(int n, String what) throws IOException {
            byte[] b = bytes(n, what);
            long v = 0;
            for (int k = 0; k < n; k++) {
                v |= (long) (b[k] & 0xFF) << (8 * k);
            }
            return v;
        }

        int u16(String what) throws IOException {
            return (int) le(2, what);
        }

        long u32(String what) throws IOException {
            return le(4, what);
        }

        long u64(String what) throws IOException {
            return le(8, what);
        }
    }
}

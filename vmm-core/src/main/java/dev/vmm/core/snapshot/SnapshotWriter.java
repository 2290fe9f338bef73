package dev.vmm.core.snapshot;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a snapshot file (format in docs/snapshot-format.md): the header, one frame per section
 * added with {@link #section}, and the trailer.
 *
 * <p>Payload writers run during {@link #writeTo(Path)}, in the order the sections were added. The
 * file is written to a temporary file in the target's directory, forced to disk, then atomically
 * renamed over the target: a failure at any point (a payload writer throwing, a full disk) leaves
 * an existing file at the target untouched and removes the temporary file.
 */
public final class SnapshotWriter {
    private static final Logger log = LoggerFactory.getLogger(SnapshotWriter.class);

    /** Produces a section's payload. */
    @FunctionalInterface
    public interface PayloadWriter {
        void write(SectionOutput out) throws IOException;
    }

    private record Pending(String name, int version, int flags, PayloadWriter writer) {
    }

    private final String note;
    private final List<Pending> sections = new ArrayList<>();

    /** A writer whose header carries {@code note} (free text: who wrote the file, when, why). */
    public SnapshotWriter(String note) {
        if (note.getBytes(StandardCharsets.UTF_8).length > SnapshotFormat.MAX_NOTE) {
            throw new IllegalArgumentException("creation note over " + SnapshotFormat.MAX_NOTE + " bytes");
        }
        this.note = note;
    }

    /**
     * Adds a section. {@code optional}: a reader that does not know {@code name} may skip it (use
     * for state a restore can do without); otherwise such a reader refuses the file.
     */
    public SnapshotWriter section(String name, int version, boolean optional, PayloadWriter writer) {
        int len = name.getBytes(StandardCharsets.UTF_8).length;
        if (len == 0 || len > SnapshotFormat.MAX_NAME) {
            throw new IllegalArgumentException("section name must be 1-" + SnapshotFormat.MAX_NAME + " bytes: '" + name + "'");
        }
        if (version < 0 || version > 0xFFFF) {
            throw new IllegalArgumentException("section version out of range: " + version);
        }
        for (Pending p : sections) {
            if (p.name.equals(name)) {
                throw new IllegalArgumentException("duplicate section '" + name + "'");
            }
        }
        sections.add(new Pending(name, version, optional ? SnapshotFormat.SECTION_OPTIONAL : 0, writer));
        return this;
    }

    /** Writes the snapshot to {@code target} (temporary file, fsync, atomic rename). */
    public void writeTo(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            long size;
            long t0 = System.nanoTime();
            long t1;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream raw = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                size = writeBody(raw);
                raw.flush();
                t1 = System.nanoTime();
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            syncDirectory(dir);
            log.debug("wrote snapshot {}: {} sections, {} bytes; payloads and writing {} ms, fsync and rename {} ms",
                    abs, sections.size(), size, (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private long writeBody(OutputStream raw) throws IOException {
        CRC32C sum = new CRC32C();
        CheckedOutputStream out = new CheckedOutputStream(raw, sum);
        Counter c = new Counter(out);
        c.bytes(SnapshotFormat.MAGIC);
        c.u16(SnapshotFormat.VERSION);
        c.u16(0); // header flags: none defined
        byte[] noteBytes = note.getBytes(StandardCharsets.UTF_8);
        c.u16(noteBytes.length);
        c.bytes(noteBytes);
        for (Pending p : sections) {
            SectionOutput payload = new SectionOutput();
            p.writer.write(payload);
            byte[] name = p.name.getBytes(StandardCharsets.UTF_8);
            c.u16(name.length);
            c.bytes(name);
            c.u16(p.version);
            c.u16(p.flags);
            c.u64(payload.size());
            out.write(payload.buffer(), 0, payload.size());
            c.count += payload.size();
            CRC32C crc = new CRC32C();
            crc.update(payload.buffer(), 0, payload.size());
            c.u32(crc.getValue());
        }
        c.u16(0); // end marker: a zero-length name
        c.u32(sections.size());
        long whole = sum.getValue();
        for (int k = 0; k < SnapshotFormat.CRC_BYTES; k++) {
            raw.write((int) (whole >>> (8 * k)));
        }
        return c.count + SnapshotFormat.CRC_BYTES;
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename durable; not every platform can open a directory (then it is skipped).
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            log.debug("cannot sync directory {}: {}", dir, e.toString());
        }
    }

    /** Little-endian writes that count bytes. */
    private static final class Counter {
        private final OutputStream out;
        long count;

        Counter(OutputStream out) {
            this.out = out;
        }

        void bytes(byte[] b) throws IOException {
            out.write(b);
            count += b.length;
        }

        void u16(int v) throws IOException {
            out.write(v);
            out.write(v >>> 8);
            count += 2;
        }

        void u32(long v) throws IOException {
            for (int k = 0; k < 4; k++) {
                out.write((int) (v >>> (8 * k)));
            }
            count += 4;
        }

        void u64(long v) throws IOException {
            for (int k = 0; k < 8; k++) {
                out.write((int) (v >>> (8 * k)));
            }
            count += 8;
        }
    }
}

package dev.vmm.devices.ide;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Image files with a known pattern: each sector starts with its LBA, then counts. */
final class TestImages {
    private TestImages() {
    }

    /** The expected content of sector {@code lba} of {@code size}-byte sectors. */
    static byte[] sector(long lba, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (lba * 31 + i * 7);
        }
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (lba >>> (8 * i));
        }
        return b;
    }

    static byte[] sectors(long lba, int count, int size) {
        byte[] b = new byte[count * size];
        for (int i = 0; i < count; i++) {
            System.arraycopy(sector(lba + i, size), 0, b, i * size, size);
        }
        return b;
    }

    /** A file of {@code count} patterned sectors of {@code size} bytes. */
    static Path create(Path dir, String name, int count, int size) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, sectors(0, count, size));
        return p;
    }

    /**
     * A sparse file of {@code bytes} bytes (RandomAccessFile.setLength); the test is skipped where
     * the temporary directory's file system cannot hold a file that large.
     */
    static Path sparse(Path dir, String name, long bytes) {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        } catch (IOException e) {
            Assumptions.abort("no sparse file of " + bytes + " bytes here: " + e);
        }
        return p;
    }

    static void writeAt(Path p, long offset, byte[] data) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.seek(offset);
            f.write(data);
        }
    }
}

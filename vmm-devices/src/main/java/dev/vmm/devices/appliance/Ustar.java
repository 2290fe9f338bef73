package dev.vmm.devices.appliance;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Minimal POSIX ustar: 512-byte headers (name up to 99 ASCII characters, octal fields, the
 * header checksum), the data padded to 512 bytes, two zero blocks at the end.
 */
final class Ustar {
    static final int BLOCK = 512;
    /** The largest size an 11-digit octal field holds. */
    static final long MAX_SIZE = 077777777777L;

    private Ustar() {
    }

    /** Refuses names a ustar header cannot hold or an importer should not trust. */
    static void checkName(String name) throws IOException {
        if (name.isEmpty() || name.length() >= 100) {
            throw new IOException("tar entry name \"" + name + "\": must be 1 to 99 characters");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '/' || c == '\\') {
                throw new IOException("tar entry name \"" + name
                        + "\": only printable ASCII without path separators");
            }
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IOException("tar entry name \"" + name + "\": not a file name");
        }
    }

    /** A regular-file header for {@code name} of {@code size} bytes. */
    static byte[] header(String name, long size, long mtimeSeconds) throws IOException {
        checkName(name);
        if (size < 0 || size > MAX_SIZE) {
            throw new IOException("tar entry " + name + ": size " + size
                    + " does not fit a ustar header (8 GiB at most)");
        }
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, name);
        put(h, 100, 8, "0000644");
        put(h, 108, 8, "0000000");
        put(h, 116, 8, "0000000");
        put(h, 124, 12, octal(size, 11));
        put(h, 136, 12, octal(mtimeSeconds, 11));
        h[156] = '0';
        put(h, 257, 6, "ustar");
        h[263] = '0';
        h[264] = '0';
        put(h, 265, 32, "vmm");
        put(h, 297, 32, "vmm");
        put(h, 329, 8, "0000000");
        put(h, 337, 8, "0000000");
        put(h, 148, 8, octal(checksum(h), 6));
        h[155] = ' ';
        return h;
    }

    /** The header checksum: the byte sum with the checksum field counted as spaces. */
    static long checksum(byte[] h) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        return sum;
    }

    private static String octal(long v, int digits) {
        String s = Long.toOctalString(v);
        return "0".repeat(Math.max(0, digits - s.length())) + s;
    }

    private static void put(byte[] h, int off, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, Math.min(len, b.length));
    }

    /** Writes the zero padding after {@code size} bytes of data. */
    static void pad(OutputStream out, long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }

    /** Writes the end-of-archive marker. */
    static void end(OutputStream out) throws IOException {
        out.write(new byte[2 * BLOCK]);
    }

    /** A parsed header. */
    record Header(String name, char type, long size) {
    }

    /**
     * Parses a header block; returns null for a zero block. Refuses a bad checksum, a bad
     * number field, and entries other than regular files.
     */
    static Header parse(byte[] h, long at, String archive) throws IOException {
        boolean zero = true;
        for (byte b : h) {
            if (b != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return null;
        }
        long stored = number(h, 148, 8, at, archive, "checksum");
        if (stored != checksum(h)) {
            throw new IOException(archive + ": corrupt tar header at byte " + at
                    + " (checksum mismatch)");
        }
        String name = string(h, 0, 100);
        boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        if (ustar) {
            String prefix = string(h, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
        }
        char type = (char) (h[156] & 0xff);
        long size = number(h, 124, 12, at, archive, "size");
        return new Header(name, type, size);
    }

    private static String string(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.ISO_8859_1);
    }

    private static long number(byte[] h, int off, int len, long at, String archive,
                               String field) throws IOException {
        if ((h[off] & 0x80) != 0) {
            // GNU base-256: big-endian, the top bit of the first byte is the marker
            long v = h[off] & 0x3f;
            for (int i = off + 1; i < off + len; i++) {
                if ((v >>> 55) != 0) {
                    throw new IOException(archive + ": tar header at byte " + at + ": " + field
                            + " too large");
                }
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        String s = string(h, off, len).strip();
        if (s.isEmpty() || s.length() > 12 || !s.chars().allMatch(c -> c >= '0' && c <= '7')) {
            throw new IOException(archive + ": corrupt tar header at byte " + at + " (bad "
                    + field + " field \"" + s + "\")");
        }
        return Long.parseLong(s, 8);
    }

    static byte[] zeroBlock() {
        return new byte[BLOCK];
    }

    static boolean isZero(byte[] b) {
        return Arrays.equals(b, zeroBlock());
    }
}

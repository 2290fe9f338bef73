package dev.vmm.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds and takes apart tar archives for the OVA tests, independently of the code tested. */
final class Tar {
    private Tar() {
    }

    /** The entries of a tar (POSIX or GNU headers), in order, by name. */
    static LinkedHashMap<String, byte[]> entries(byte[] tar) {
        LinkedHashMap<String, byte[]> out = new LinkedHashMap<>();
        int pos = 0;
        while (pos + 512 <= tar.length && tar[pos] != 0) {
            String name = field(tar, pos, 100);
            int size = Integer.parseInt(field(tar, pos + 124, 12).strip(), 8);
            out.put(name, Arrays.copyOfRange(tar, pos + 512, pos + 512 + size));
            pos += 512 + (size + 511) / 512 * 512;
        }
        return out;
    }

    /** The offset of the header of entry {@code name}. */
    static int headerOf(byte[] tar, String name) {
        int pos = 0;
        while (pos + 512 <= tar.length && tar[pos] != 0) {
            if (field(tar, pos, 100).equals(name)) {
                return pos;
            }
            int size = Integer.parseInt(field(tar, pos + 124, 12).strip(), 8);
            pos += 512 + (size + 511) / 512 * 512;
        }
        throw new AssertionError(name + " not in the archive");
    }

    private static String field(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.ISO_8859_1);
    }

    /** A header block; {@code gnu} selects the GNU magic "ustar  \0" over POSIX "ustar\0" "00". */
    static byte[] header(String name, long size, char type, boolean gnu, String owner,
                         String group) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000600");
        put(h, 108, "0001750");
        put(h, 116, "0001750");
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 1_700_000_000L));
        h[156] = (byte) type;
        if (gnu) {
            put(h, 257, "ustar  ");
        } else {
            put(h, 257, "ustar");
            put(h, 263, "00");
        }
        put(h, 265, owner);
        put(h, 297, group);
        rechecksum(h, 0);
        return h;
    }

    /** Recomputes the header checksum of the header at {@code at} after a change. */
    static void rechecksum(byte[] tar, int at) {
        Arrays.fill(tar, at + 148, at + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += tar[at + i] & 0xff;
        }
        put(tar, at + 148, String.format("%06o", sum));
        tar[at + 154] = 0;
        tar[at + 155] = ' ';
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    /**
     * An OVA of {@code files} (the .ovf first) with a manifest {@code mfName} of SHA-256
     * digests, placed second ({@code mfSecond}, as VirtualBox does) or last; {@code vboxStyle}
     * writes the lines as "SHA256 (name) = hex".
     */
    static byte[] ova(Map<String, byte[]> files, String mfName, boolean mfSecond,
                      boolean vboxStyle, boolean gnu) {
        StringBuilder mf = new StringBuilder();
        for (var e : files.entrySet()) {
            String hex = HexFormat.of().formatHex(sha256(e.getValue()));
            mf.append(vboxStyle ? "SHA256 (" + e.getKey() + ") = " + hex
                    : "SHA256(" + e.getKey() + ")= " + hex).append('\n');
        }
        byte[] m = mf.toString().getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean first = true;
        for (var e : files.entrySet()) {
            add(out, e.getKey(), e.getValue(), gnu);
            if (first && mfSecond) {
                add(out, mfName, m, gnu);
            }
            first = false;
        }
        if (!mfSecond) {
            add(out, mfName, m, gnu);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void add(ByteArrayOutputStream out, String name, byte[] data, boolean gnu) {
        out.writeBytes(header(name, data.length, '0', gnu, "vboxovf10", "vbox_v7.0.18r162988"));
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.vmm.devices.storage.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The qcow2 header (the first cluster of the file): the fixed fields of version 2 (72 bytes) and
 * version 3 (at least 104), the header extensions behind them, and the backing file name.
 * All numbers are big-endian.
 *
 * @param version               2 or 3
 * @param backingFileOffset     where the backing file name is, 0 without a backing file
 * @param backingFileSize       its length (at most 1023 bytes)
 * @param clusterBits           log2 of the cluster size, 9 to 21
 * @param size                  the virtual disk size in bytes
 * @param cryptMethod           0 none, 1 AES, 2 LUKS
 * @param l1Size                entries in the active L1 table
 * @param l1TableOffset         where the L1 table is (cluster aligned)
 * @param refcountTableOffset   where the refcount table is (cluster aligned)
 * @param refcountTableClusters its length in clusters
 * @param nbSnapshots           internal snapshots
 * @param snapshotsOffset       where the snapshot table is
 * @param incompatibleFeatures  bits an implementation must understand to open the image
 * @param compatibleFeatures    bits that may be ignored
 * @param autoclearFeatures     bits a writer that does not understand them must clear
 * @param refcountOrder         refcount width is {@code 1 << refcountOrder} bits (4 in v2)
 * @param headerLength          72 in v2, at least 104 in v3
 * @param compressionType       0 zlib, 1 zstd
 * @param backingFile           the backing file name, or null
 * @param backingFormat         the backing format from the header extension, or null
 * @param featureNames          names from the feature name table, keyed "type:bit"
 */
public record Qcow2Header(int version, long backingFileOffset, int backingFileSize,
                          int clusterBits, long size, int cryptMethod, int l1Size,
                          long l1TableOffset, long refcountTableOffset,
                          int refcountTableClusters, int nbSnapshots, long snapshotsOffset,
                          long incompatibleFeatures, long compatibleFeatures,
                          long autoclearFeatures, int refcountOrder, int headerLength,
                          int compressionType, String backingFile, String backingFormat,
                          Map<String, String> featureNames) {
    /** "QFI\xfb". */
    public static final int MAGIC = 0x514649fb;
    static final int V2_LENGTH = 72;
    static final int V3_LENGTH = 112;

    static final long INCOMPAT_DIRTY = 1;
    static final long INCOMPAT_CORRUPT = 1 << 1;
    static final long INCOMPAT_DATA_FILE = 1 << 2;
    static final long INCOMPAT_COMPRESSION = 1 << 3;
    static final long INCOMPAT_EXTL2 = 1 << 4;
    static final long INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE
            | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;

    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int EXT_FEATURE_NAMES = 0x6803f857;
    static final int EXT_DATA_FILE = 0x44415441;

    /** Offset of the refcount table offset and cluster count fields (12 bytes). */
    static final int REFCOUNT_TABLE_FIELD = 48;
    /** Offset of the autoclear feature field (8 bytes). */
    static final int AUTOCLEAR_FIELD = 88;
    /** qemu's limit on the L1 table: 32 MiB. */
    static final long MAX_L1_BYTES = 32L << 20;
    /** qemu's limit on the refcount table: 8 MiB. */
    static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;
    static final int MAX_BACKING_NAME = 1023;

    public Qcow2Header {
        featureNames = Map.copyOf(featureNames);
    }

    public int clusterSize() {
        return 1 << clusterBits;
    }

    /** Refcount bits per cluster: 1 to 64. */
    public int refcountBits() {
        return 1 << refcountOrder;
    }

    /** Reads and checks the header of {@code ch}; {@code where} names the image in messages. */
    static Qcow2Header read(FileChannel ch, String where) throws IOException {
        long fileSize = ch.size();
        if (fileSize < V2_LENGTH) {
            throw new IOException(where + ": truncated (" + fileSize
                    + " bytes, shorter than a qcow2 header)");
        }
        ByteBuffer fixed = ByteBuffer.allocate((int) Math.min(V3_LENGTH, fileSize));
        HostFile.readFully(ch, 0, fixed, where, "header");
        fixed.flip();
        int magic = fixed.getInt(0);
        if (magic != MAGIC) {
            throw new IOException(where + ": bad magic 0x" + Integer.toHexString(magic)
                    + " (expected 0x514649fb \"QFI\\xfb\"): not a qcow2 image");
        }
        int version = fixed.getInt(4);
        if (version != 2 && version != 3) {
            throw new IOException(where + ": unsupported qcow version " + version
                    + " (2 and 3 are supported)");
        }
        int clusterBits = fixed.getInt(20);
        if (clusterBits < 9 || clusterBits > 21) {
            throw new IOException(where + ": unsupported cluster size 2^" + clusterBits
                    + " (512 bytes to 2 MiB)");
        }
        int headerLength = V2_LENGTH;
        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;
        int compressionType = 0;
        if (version == 3) {
            if (fixed.limit() < 104) {
                throw new IOException(where + ": truncated version 3 header");
            }
            incompatible = fixed.getLong(72);
            compatible = fixed.getLong(80);
            autoclear = fixed.getLong(88);
            refcountOrder = fixed.getInt(96);
            headerLength = fixed.getInt(100);
            if (headerLength < 104 || headerLength % 8 != 0 || headerLength > (1 << clusterBits)) {
                throw new IOException(where + ": bad header length " + headerLength);
            }
            if (headerLength > 104 && fixed.limit() > 104) {
                compressionType = fixed.get(104) & 0xff;
            }
            if (refcountOrder > 6 || refcountOrder < 0) {
                throw new IOException(where + ": bad refcount order " + refcountOrder
                        + " (0 to 6)");
            }
        }
        int cs = 1 << clusterBits;
        ByteBuffer first = ByteBuffer.allocate((int) Math.min(cs, fileSize));
        HostFile.readFully(ch, 0, first, where, "header cluster");
        first.flip();
        Map<String, String> names = new HashMap<>();
        String[] strings = new String[2];
        extensions(first, headerLength, where, names, strings);

        long backingOffset = first.getLong(8);
        int backingSize = first.getInt(16);
        String backingFile = null;
        if (backingOffset != 0) {
            if (backingSize <= 0 || backingSize > MAX_BACKING_NAME) {
                throw new IOException(where + ": bad backing file name length " + backingSize);
            }
            if (backingOffset < headerLength || backingOffset + backingSize > cs
                    || backingOffset + backingSize > fileSize) {
                throw new IOException(where + ": backing file name at byte " + backingOffset
                        + " lies outside the header cluster");
            }
            byte[] name = new byte[backingSize];
            first.get((int) backingOffset, name);
            backingFile = new String(name, StandardCharsets.UTF_8);
        }
        Qcow2Header h = new Qcow2Header(version, backingOffset, backingSize, clusterBits,
                first.getLong(24), first.getInt(32), first.getInt(36), first.getLong(40),
                first.getLong(48), first.getInt(56), first.getInt(60), first.getLong(64),
                incompatible, compatible, autoclear, refcountOrder, headerLength,
                compressionType, backingFile, strings[0], names);
        h.check(fileSize, where, strings[1]);
        return h;
    }

    /** Parses the extensions behind the header; strings[0] = backing format, [1] = data file. */
    private static void extensions(ByteBuffer first, int start, String where,
                                   Map<String, String> names, String[] strings)
            throws IOException {
        int pos = start;
        while (pos + 8 <= first.limit()) {
            int type = first.getInt(pos);
            int len = first.getInt(pos + 4);
            if (type == EXT_END) {
                return;
            }
            if (len < 0 || pos + 8L + len > first.limit()) {
                throw new IOException(where + ": header extension 0x" + Integer.toHexString(type)
                        + " runs past the header cluster");
            }
            byte[] data = new byte[len];
            first.get(pos + 8, data);
            switch (type) {
                case EXT_BACKING_FORMAT -> strings[0] = ascii(data);
                case EXT_DATA_FILE -> strings[1] = ascii(data);
                case EXT_FEATURE_NAMES -> {
                    for (int i = 0; i + 48 <= len; i += 48) {
                        String name = ascii(java.util.Arrays.copyOfRange(data, i + 2, i + 48));
                        names.put((data[i] & 0xff) + ":" + (data[i + 1] & 0xff), name);
                    }
                }
                default -> {
                    // unknown extensions may be ignored (qcow2 spec)
                }
            }
            pos += 8 + (len + 7) / 8 * 8;
        }
    }

    private static String ascii(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private void check(long fileSize, String where, String dataFile) throws IOException {
        long unknown = incompatibleFeatures & ~INCOMPAT_KNOWN;
        if (unknown != 0) {
            int bit = Long.numberOfTrailingZeros(unknown);
            String name = featureNames.get("0:" + bit);
            throw new IOException(where + ": unknown incompatible feature bit " + bit
                    + (name != null && !name.isEmpty() ? " (\"" + name + "\")" : "")
                    + ": not supported");
        }
        if ((incompatibleFeatures & INCOMPAT_DATA_FILE) != 0) {
            throw new IOException(where + ": uses an external data file"
                    + (dataFile != null ? " (" + dataFile + ")" : "")
                    + " (incompatible feature bit 2): not supported");
        }
        if ((incompatibleFeatures & INCOMPAT_EXTL2) != 0) {
            throw new IOException(where + ": uses extended L2 entries (subclusters,"
                    + " incompatible feature bit 4): not supported");
        }
        if ((incompatibleFeatures & INCOMPAT_COMPRESSION) != 0 || compressionType != 0) {
            throw new IOException(where + ": compression type "
                    + (compressionType == 1 ? "zstd" : Integer.toString(compressionType))
                    + " is not supported (only zlib)");
        }
        if (cryptMethod != 0) {
            throw new IOException(where + ": encrypted ("
                    + (cryptMethod == 1 ? "AES" : cryptMethod == 2 ? "LUKS"
                    : "method " + cryptMethod) + "): encrypted images are not supported");
        }
        if (size <= 0 || size % 512 != 0) {
            throw new IOException(where + ": virtual size " + size
                    + " is not a positive multiple of 512");
        }
        if (size > (1L << 56)) {
            throw new IOException(where + ": virtual size " + size + " is too large");
        }
        int cs = clusterSize();
        long l2Entries = cs / 8;
        long needL1 = ceilDiv(ceilDiv(size, cs), l2Entries);
        if (l1Size < needL1) {
            throw new IOException(where + ": L1 table of " + Integer.toUnsignedString(l1Size)
                    + " entries is too small for " + size + " bytes (needs " + needL1 + ")");
        }
        if (l1Size * 8L > MAX_L1_BYTES) {
            throw new IOException(where + ": L1 table of " + l1Size + " entries is too large");
        }
        if (l1TableOffset % cs != 0 || l1TableOffset <= 0) {
            throw new IOException(where + ": L1 table offset " + l1TableOffset
                    + " is not cluster aligned");
        }
        if (l1TableOffset + l1Size * 8L > fileSize) {
            throw new IOException(where + ": L1 table at byte " + l1TableOffset + " ("
                    + l1Size + " entries) lies beyond the end of the file (" + fileSize
                    + " bytes, truncated)");
        }
        if (refcountTableOffset % cs != 0 || refcountTableOffset <= 0
                || refcountTableClusters <= 0) {
            throw new IOException(where + ": bad refcount table (offset "
                    + refcountTableOffset + ", " + refcountTableClusters + " clusters)");
        }
        if ((long) refcountTableClusters * cs > MAX_REFCOUNT_TABLE_BYTES) {
            throw new IOException(where + ": refcount table of " + refcountTableClusters
                    + " clusters is too large");
        }
        if (refcountTableOffset + (long) refcountTableClusters * cs > fileSize) {
            throw new IOException(where + ": refcount table at byte " + refcountTableOffset
                    + " lies beyond the end of the file (truncated)");
        }
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /**
     * Encodes a fresh version 3 header cluster (refcount order 4, no features) with the backing
     * format extension and the backing file name when {@code backingFile} is not null.
     */
    static byte[] encodeV3(int clusterBits, long size, int l1Size, long l1Offset,
                           long refcountTableOffset, int refcountTableClusters,
                           String backingFile, String backingFormat) throws IOException {
        int cs = 1 << clusterBits;
        ByteBuffer b = ByteBuffer.allocate(cs);
        b.putInt(MAGIC).putInt(3).putLong(0).putInt(0).putInt(clusterBits).putLong(size)
                .putInt(0).putInt(l1Size).putLong(l1Offset).putLong(refcountTableOffset)
                .putInt(refcountTableClusters).putInt(0).putLong(0)
                .putLong(0).putLong(0).putLong(0).putInt(4).putInt(V3_LENGTH)
                .put((byte) 0); // compression type zlib, then padding to 112
        b.position(V3_LENGTH);
        if (backingFile != null) {
            byte[] name = backingFile.getBytes(StandardCharsets.UTF_8);
            if (name.length == 0 || name.length > MAX_BACKING_NAME) {
                throw new IOException("backing file name must be 1 to " + MAX_BACKING_NAME
                        + " bytes: " + backingFile);
            }
            if (backingFormat != null) {
                byte[] fmt = backingFormat.getBytes(StandardCharsets.US_ASCII);
                b.putInt(EXT_BACKING_FORMAT).putInt(fmt.length).put(fmt);
                b.position((b.position() + 7) / 8 * 8);
            }
            b.putInt(EXT_END).putInt(0);
            int at = b.position();
            if (at + name.length > cs) {
                throw new IOException("backing file name too long for a " + cs
                        + "-byte cluster: " + backingFile);
            }
            b.put(name);
            b.putLong(8, at).putInt(16, name.length);
        } else {
            b.putInt(EXT_END).putInt(0);
        }
        return b.array();
    }
}

package dev.vmm.devices.storage.vmdk;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.Deflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VMDK "streamOptimized" sparse format (VMware Virtual Disk Format 5.0): the format of the
 * disks inside an OVA.
 *
 * <p>Layout written here, every structure sector-aligned:
 * <ol>
 *   <li>sector 0: the sparse extent header (magic {@code KDMV}, version 3, flags
 *       {@code 0x30001} = valid new-line test + compressed grains + markers, {@code gdOffset}
 *       = {@code GD_AT_END}, compressAlgorithm 1 = deflate);</li>
 *   <li>sector 1..: the embedded text descriptor ({@code createType="streamOptimized"});</li>
 *   <li>the grains of 128 sectors (64 KiB), each a grain marker (LBA 8 bytes, compressed size
 *       4 bytes) then the zlib stream, padded to a sector; all-zero grains are omitted;</li>
 *   <li>after the grains of each 512-grain range, a GT marker sector and its grain table
 *       (512 little-endian sector offsets of grain markers, 0 = not present); ranges without
 *       any grain get no table (GD entry 0);</li>
 *   <li>a GD marker sector and the grain directory (sector offsets of the tables);</li>
 *   <li>a footer marker sector and the footer (a copy of the header with the real
 *       {@code gdOffset});</li>
 *   <li>the end-of-stream marker sector.</li>
 * </ol>
 * Other metadata markers are a full sector: {@code val} (sectors of metadata that follow),
 * {@code size} 0, {@code type} (0 EOS, 1 GT, 2 GD, 3 footer).
 *
 * <p>The output is written to a temporary file beside the target and renamed onto it at the end,
 * so a failure never leaves a half-written VMDK.
 */
public final class StreamOptimizedVmdk {
    private static final Logger LOG = LoggerFactory.getLogger(StreamOptimizedVmdk.class);

    /** "KDMV" read as a little-endian uint32. */
    static final int MAGIC = 0x564d444b;
    static final int SECTOR = 512;
    static final long GRAIN_SECTORS = 128;
    static final int GRAIN_BYTES = (int) GRAIN_SECTORS * SECTOR;
    static final int GTES_PER_GT = 512;
    static final long GD_AT_END = -1L;

    static final int FLAG_NL_TEST = 1;
    static final int FLAG_REDUNDANT_GT = 1 << 1;
    static final int FLAG_ZERO_GRAIN = 1 << 2;
    static final int FLAG_COMPRESSED = 1 << 16;
    static final int FLAG_MARKERS = 1 << 17;
    static final int KNOWN_FLAGS = FLAG_NL_TEST | FLAG_REDUNDANT_GT | FLAG_ZERO_GRAIN
            | FLAG_COMPRESSED | FLAG_MARKERS;
    static final int STREAM_FLAGS = FLAG_NL_TEST | FLAG_COMPRESSED | FLAG_MARKERS;

    static final int MARKER_EOS = 0;
    static final int MARKER_GT = 1;
    static final int MARKER_GD = 2;
    static final int MARKER_FOOTER = 3;

    static final int COMPRESS_NONE = 0;
    static final int COMPRESS_DEFLATE = 1;

    private StreamOptimizedVmdk() {
    }

    /** The fields of a sparse extent header (the on-disk struct is packed, little-endian). */
    record Header(int version, int flags, long capacity, long grainSize, long descriptorOffset,
                  long descriptorSize, int numGTEsPerGT, long rgdOffset, long gdOffset,
                  long overHead, int compressAlgorithm) {

        byte[] encode() {
            ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(MAGIC).putInt(version).putInt(flags).putLong(capacity).putLong(grainSize)
                    .putLong(descriptorOffset).putLong(descriptorSize).putInt(numGTEsPerGT)
                    .putLong(rgdOffset).putLong(gdOffset).putLong(overHead)
                    .put((byte) 0) // uncleanShutdown
                    .put((byte) '\n').put((byte) ' ').put((byte) '\r').put((byte) '\n')
                    .putShort((short) compressAlgorithm);
            return b.array();
        }

        /** Decodes a header sector; {@code where} names it in messages. */
        static Header decode(ByteBuffer sector, String where) throws IOException {
            ByteBuffer b = sector.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int magic = b.getInt(0);
            if (magic != MAGIC) {
                throw new IOException(where + ": bad magic 0x"
                        + Integer.toHexString(Integer.reverseBytes(magic))
                        + " (expected 0x4b444d56 \"KDMV\")");
            }
            Header h = new Header(b.getInt(4), b.getInt(8), b.getLong(12), b.getLong(20),
                    b.getLong(28), b.getLong(36), b.getInt(44), b.getLong(48), b.getLong(56),
                    b.getLong(64), Short.toUnsignedInt(b.getShort(77)));
            if (h.version < 1 || h.version > 3) {
                throw new IOException(where + ": unsupported VMDK version " + h.version
                        + " (1 to 3 are supported)");
            }
            if ((h.flags & ~KNOWN_FLAGS) != 0) {
                throw new IOException(where + ": unsupported flags 0x"
                        + Integer.toHexString(h.flags));
            }
            if ((h.flags & FLAG_NL_TEST) != 0 && (b.get(73) != '\n' || b.get(74) != ' '
                    || b.get(75) != '\r' || b.get(76) != '\n')) {
                throw new IOException(where
                        + ": corrupt new-line test bytes (file transferred in text mode?)");
            }
            if (h.compressAlgorithm != COMPRESS_NONE && h.compressAlgorithm != COMPRESS_DEFLATE) {
                throw new IOException(where + ": unsupported compression algorithm "
                        + h.compressAlgorithm);
            }
            boolean compressed = (h.flags & FLAG_COMPRESSED) != 0;
            if (compressed != (h.compressAlgorithm == COMPRESS_DEFLATE)) {
                throw new IOException(where + ": flags 0x" + Integer.toHexString(h.flags)
                        + " disagree with compression algorithm " + h.compressAlgorithm);
            }
            if (compressed && (h.flags & FLAG_MARKERS) == 0) {
                throw new IOException(where + ": compressed grains without markers are not"
                        + " supported");
            }
            if (h.grainSize < 8 || h.grainSize > 2048 || Long.bitCount(h.grainSize) != 1) {
                throw new IOException(where + ": unsupported grain size " + h.grainSize
                        + " sectors (a power of two from 8 to 2048)");
            }
            if (h.numGTEsPerGT < 1 || h.numGTEsPerGT > 4096) {
                throw new IOException(where + ": unsupported grain table size "
                        + h.numGTEsPerGT);
            }
            if (h.capacity <= 0 || h.capacity > (1L << 41)) {
                throw new IOException(where + ": bad capacity " + h.capacity + " sectors");
            }
            return h;
        }
    }

    /**
     * Writes the raw image {@code raw} as a streamOptimized VMDK at {@code out}. A raw file whose
     * size is not a multiple of 512 is padded with zeros to the next sector.
     */
    public static void write(Path raw, Path out) throws IOException {
        long size = Files.size(raw);
        if (size == 0) {
            throw new IOException("raw image " + raw + ": empty");
        }
        try (FileChannel in = FileChannel.open(raw, StandardOpenOption.READ)) {
            write((offset, dst) -> {
                while (dst.hasRemaining()) {
                    int n = in.read(dst, offset);
                    if (n < 0) {
                        // past the end of a file that is not a multiple of a sector: zeros
                        while (dst.hasRemaining()) {
                            dst.put((byte) 0);
                        }
                        return;
                    }
                    offset += n;
                }
            }, (size + SECTOR - 1) / SECTOR, out, Progress.NONE);
        }
    }

    /** Writes the contents of {@code source} as a streamOptimized VMDK at {@code out}. */
    public static void write(BlockDevice source, Path out) throws IOException {
        write(source, out, Progress.NONE);
    }

    /** As {@link #write(BlockDevice, Path)}, reporting the bytes of {@code source} read. */
    public static void write(BlockDevice source, Path out, Progress progress) throws IOException {
        if (source.sizeBytes() % SECTOR != 0 || source.sizeBytes() == 0) {
            throw new IOException(source.name() + ": size " + source.sizeBytes()
                    + " is not a non-zero multiple of 512");
        }
        write(source::read, source.sizeBytes() / SECTOR, out, progress);
    }

    /** Reads source bytes at an offset into a buffer (from position to limit). */
    @FunctionalInterface
    private interface Source {
        void read(long offset, ByteBuffer dst) throws IOException;
    }

    private static void write(Source src, long capacitySectors, Path out, Progress progress)
            throws IOException {
        Path target = out.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                new Writer(ch, src, capacitySectors, target.getFileName().toString(), progress)
                        .run();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            LOG.debug("wrote streamOptimized VMDK {} ({} sectors)", target, capacitySectors);
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** The text descriptor embedded after the header. */
    static String descriptor(long capacitySectors, String fileName) {
        long cylinders = Math.min(65535, Math.max(1, capacitySectors / (16 * 63)));
        int cid = ThreadLocalRandom.current().nextInt() & 0x7fffffff;
        return "# Disk DescriptorFile\n"
                + "version=1\n"
                + "CID=" + String.format(Locale.ROOT, "%08x", cid) + "\n"
                + "parentCID=ffffffff\n"
                + "createType=\"streamOptimized\"\n"
                + "\n"
                + "# Extent description\n"
                + "RW " + capacitySectors + " SPARSE \"" + fileName.replace("\"", "") + "\"\n"
                + "\n"
                + "# The Disk Data Base\n"
                + "#DDB\n"
                + "\n"
                + "ddb.virtualHWVersion = \"4\"\n"
                + "ddb.geometry.cylinders = \"" + cylinders + "\"\n"
                + "ddb.geometry.heads = \"16\"\n"
                + "ddb.geometry.sectors = \"63\"\n"
                + "ddb.adapterType = \"ide\"\n";
    }

    /** One pass over the source, appending to the channel. */
    private static final class Writer {
        private final FileChannel ch;
        private final Source src;
        private final long capacity;
        private final String fileName;
        private final Progress progress;
        private final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        private final byte[] grain = new byte[GRAIN_BYTES];
        private byte[] compressed = new byte[GRAIN_BYTES + 1024];
        private long pos;

        Writer(FileChannel ch, Source src, long capacity, String fileName, Progress progress) {
            this.ch = ch;
            this.src = src;
            this.capacity = capacity;
            this.fileName = fileName;
            this.progress = progress;
        }

        void run() throws IOException {
            try {
                doRun();
            } finally {
                deflater.end();
            }
        }

        private void doRun() throws IOException {
            byte[] desc = descriptor(capacity, fileName).getBytes(StandardCharsets.US_ASCII);
            long descSectors = (desc.length + SECTOR - 1) / SECTOR;
            long overHead = 1 + descSectors;
            Header header = new Header(3, STREAM_FLAGS, capacity, GRAIN_SECTORS, 1, descSectors,
                    GTES_PER_GT, 0, GD_AT_END, overHead, COMPRESS_DEFLATE);
            append(header.encode());
            append(Arrays.copyOf(desc, (int) (descSectors * SECTOR)));

            long grains = (capacity + GRAIN_SECTORS - 1) / GRAIN_SECTORS;
            int gdEntries = (int) ((grains + GTES_PER_GT - 1) / GTES_PER_GT);
            int[] gd = new int[gdEntries];
            int[] gt = new int[GTES_PER_GT];
            for (int t = 0; t < gdEntries; t++) {
                Arrays.fill(gt, 0);
                boolean any = false;
                for (int e = 0; e < GTES_PER_GT; e++) {
                    long g = (long) t * GTES_PER_GT + e;
                    if (g >= grains) {
                        break;
                    }
                    long lba = g * GRAIN_SECTORS;
                    int bytes = (int) (Math.min(GRAIN_SECTORS, capacity - lba) * SECTOR);
                    Arrays.fill(grain, bytes, GRAIN_BYTES, (byte) 0);
                    src.read(lba * SECTOR, ByteBuffer.wrap(grain, 0, bytes));
                    progress.update(lba * SECTOR + bytes, capacity * SECTOR);
                    if (allZero(grain)) {
                        continue;
                    }
                    gt[e] = sectorOffset();
                    appendGrain(lba);
                    any = true;
                }
                if (any) {
                    appendMarker(GTES_PER_GT * 4 / SECTOR, MARKER_GT);
                    gd[t] = sectorOffset();
                    append(ints(gt, GTES_PER_GT * 4));
                }
            }
            int gdBytes = (int) ((gdEntries * 4L + SECTOR - 1) / SECTOR * SECTOR);
            appendMarker(gdBytes / SECTOR, MARKER_GD);
            long gdOffset = pos / SECTOR;
            append(ints(gd, gdBytes));
            appendMarker(1, MARKER_FOOTER);
            append(new Header(3, STREAM_FLAGS, capacity, GRAIN_SECTORS, 1, descSectors,
                    GTES_PER_GT, 0, gdOffset, overHead, COMPRESS_DEFLATE).encode());
            appendMarker(0, MARKER_EOS);
        }

        private int sectorOffset() throws IOException {
            long s = pos / SECTOR;
            if (s > 0xffffffffL) {
                throw new IOException("VMDK " + fileName + ": grows beyond 2 TiB of sectors");
            }
            return (int) s;
        }

        private void appendGrain(long lba) throws IOException {
            deflater.reset();
            deflater.setInput(grain);
            deflater.finish();
            int n = 0;
            while (!deflater.finished()) {
                if (n == compressed.length) {
                    compressed = Arrays.copyOf(compressed, compressed.length * 2);
                }
                n += deflater.deflate(compressed, n, compressed.length - n);
            }
            int total = (12 + n + SECTOR - 1) / SECTOR * SECTOR;
            ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(lba).putInt(n).put(compressed, 0, n);
            append(b.array());
        }

        private void appendMarker(long val, int type) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(val).putInt(0).putInt(type);
            append(b.array());
        }

        private void append(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
        }
    }

    static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ints(int[] values, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    /** Opens a streamOptimized (or monolithicSparse) VMDK read-only. */
    public static VmdkImage read(Path file) throws IOException {
        return VmdkImage.open(file);
    }
}

package dev.vmm.devices.storage.vmdk;

import static dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk.COMPRESS_DEFLATE;
import static dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk.FLAG_ZERO_GRAIN;
import static dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk.GD_AT_END;
import static dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk.MARKER_EOS;
import static dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk.MARKER_FOOTER;
import static dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk.SECTOR;

import dev.vmm.devices.storage.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A sparse VMDK opened read-only as a {@link BlockDevice}: streamOptimized (deflate-compressed
 * grains behind grain markers, grain directory found through the footer) and, uncompressed,
 * monolithicSparse hosted disks (grain directory named by the header).
 *
 * <p>Corrupt files are refused with a message naming the file and the problem: a bad magic, an
 * unsupported version or flag, a missing footer, a table or grain beyond the end of the file
 * (truncated), a grain whose marker names another LBA or lies beyond the capacity, a grain that
 * does not inflate. Grain tables are loaded on first use; the last inflated grain is cached.
 * Entry points are synchronized.
 */
public final class VmdkImage implements BlockDevice {
    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final StreamOptimizedVmdk.Header header;
    private final boolean compressed;
    private final int grainBytes;
    private final long grains;
    private final int[] gd;
    private final int[][] gts;
    private final Inflater inflater = new Inflater();
    private final byte[] grainBuf;
    private long cachedGrain = -1;
    private boolean closed;

    private VmdkImage(Path path, FileChannel channel, StreamOptimizedVmdk.Header header,
                      int[] gd) throws IOException {
        this.path = path;
        this.channel = channel;
        this.fileSize = channel.size();
        this.header = header;
        this.compressed = header.compressAlgorithm() == COMPRESS_DEFLATE;
        this.grainBytes = (int) header.grainSize() * SECTOR;
        this.grains = (header.capacity() + header.grainSize() - 1) / header.grainSize();
        this.gd = gd;
        this.gts = new int[gd.length][];
        this.grainBuf = new byte[grainBytes];
    }

    /** Opens {@code file}; refuses it with an {@link IOException} if it is not a valid VMDK. */
    public static VmdkImage open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("VMDK " + file + ": no such regular file");
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            String where = "VMDK " + file;
            if (size < SECTOR) {
                throw new IOException(where + ": truncated (" + size
                        + " bytes, shorter than the header)");
            }
            StreamOptimizedVmdk.Header h = StreamOptimizedVmdk.Header.decode(
                    readAt(ch, 0, SECTOR, where, "header"), where);
            if (h.gdOffset() == GD_AT_END) {
                h = footer(ch, size, where);
            }
            long grainCount = (h.capacity() + h.grainSize() - 1) / h.grainSize();
            long gdEntries = (grainCount + h.numGTEsPerGT() - 1) / h.numGTEsPerGT();
            if (gdEntries > (1 << 24)) {
                throw new IOException(where + ": grain directory too large (" + gdEntries
                        + " entries)");
            }
            if (h.gdOffset() <= 0 || h.gdOffset() * SECTOR + gdEntries * 4 > size) {
                throw new IOException(where + ": grain directory at sector " + h.gdOffset()
                        + " lies beyond the end of the file (truncated)");
            }
            ByteBuffer b = readAt(ch, h.gdOffset() * SECTOR, (int) gdEntries * 4, where,
                    "grain directory");
            int[] gd = new int[(int) gdEntries];
            for (int i = 0; i < gd.length; i++) {
                gd[i] = b.getInt();
            }
            return new VmdkImage(file, ch, h, gd);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Reads the footer marker, footer and end-of-stream marker from the last 3 sectors. */
    private static StreamOptimizedVmdk.Header footer(FileChannel ch, long size, String where)
            throws IOException {
        if (size < 4L * SECTOR || size % SECTOR != 0) {
            throw new IOException(where + ": truncated (no footer and end-of-stream marker at"
                    + " the end of the file)");
        }
        ByteBuffer b = readAt(ch, size - 3L * SECTOR, 3 * SECTOR, where, "footer");
        if (b.getLong(2 * SECTOR) != 0 || b.getInt(2 * SECTOR + 8) != 0
                || b.getInt(2 * SECTOR + 12) != MARKER_EOS) {
            throw new IOException(where + ": no end-of-stream marker at the end of the file"
                    + " (truncated?)");
        }
        if (b.getInt(8) != 0 || b.getInt(12) != MARKER_FOOTER) {
            throw new IOException(where + ": no footer marker before the end-of-stream marker"
                    + " (truncated?)");
        }
        StreamOptimizedVmdk.Header h = StreamOptimizedVmdk.Header.decode(
                b.slice(SECTOR, SECTOR), where + " footer");
        if (h.gdOffset() == GD_AT_END) {
            throw new IOException(where + ": the footer does not locate the grain directory");
        }
        return h;
    }

    private static ByteBuffer readAt(FileChannel ch, long offset, int len, String where,
                                     String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new IOException(where + ": truncated " + what + " at byte " + offset);
            }
        }
        return b.flip();
    }

    /** The createType of the embedded descriptor, or null if there is none. */
    public synchronized String createType() throws IOException {
        ensureOpen();
        if (header.descriptorOffset() <= 0 || header.descriptorSize() <= 0
                || header.descriptorSize() > 2048) {
            return null;
        }
        long off = header.descriptorOffset() * SECTOR;
        int len = (int) Math.min(header.descriptorSize() * SECTOR, fileSize - off);
        if (len <= 0) {
            return null;
        }
        String text = StandardCharsets.US_ASCII.decode(readAt(channel, off, len, where(),
                "descriptor")).toString();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.startsWith("createType")) {
                int eq = l.indexOf('=');
                return eq < 0 ? null : l.substring(eq + 1).strip().replace("\"", "");
            }
        }
        return null;
    }

    /** True for a compressed (streamOptimized) image. */
    public boolean compressed() {
        return compressed;
    }

    @Override
    public int sectorSize() {
        return SECTOR;
    }

    @Override
    public long sizeBytes() {
        return header.capacity() * SECTOR;
    }

    @Override
    public String name() {
        return String.valueOf(path.getFileName());
    }

    private String where() {
        return "VMDK " + path;
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        ensureOpen();
        int len = dst.remaining();
        if (offset < 0 || offset > sizeBytes() - len) {
            throw new IOException(where() + ": read of " + len + " bytes at " + offset
                    + " outside the disk (" + sizeBytes() + " bytes)");
        }
        while (dst.hasRemaining()) {
            long g = offset / grainBytes;
            int in = (int) (offset % grainBytes);
            int n = Math.min(dst.remaining(), grainBytes - in);
            loadGrain(g);
            dst.put(grainBuf, in, n);
            offset += n;
        }
    }

    private void loadGrain(long g) throws IOException {
        if (g == cachedGrain) {
            return;
        }
        cachedGrain = -1;
        int entry = gtEntry(g);
        long lba = g * header.grainSize();
        if (entry == 0 || (entry == 1 && (header.flags() & FLAG_ZERO_GRAIN) != 0)) {
            java.util.Arrays.fill(grainBuf, (byte) 0);
        } else if (!compressed) {
            long off = (long) entry * SECTOR;
            if (off + grainBytes > fileSize) {
                throw new IOException(where() + ": truncated grain at LBA " + lba
                        + " (sector " + entry + " beyond the end of the file)");
            }
            ByteBuffer b = ByteBuffer.wrap(grainBuf);
            while (b.hasRemaining()) {
                channel.read(b, off + b.position());
            }
        } else {
            inflateGrain(Integer.toUnsignedLong(entry) * SECTOR, lba);
        }
        cachedGrain = g;
    }

    private void inflateGrain(long off, long lba) throws IOException {
        if (off + 12 > fileSize) {
            throw new IOException(where() + ": truncated grain at LBA " + lba
                    + " (marker beyond the end of the file)");
        }
        ByteBuffer m = readAt(channel, off, 12, where(), "grain marker");
        long markerLba = m.getLong();
        long size = Integer.toUnsignedLong(m.getInt());
        if (markerLba >= header.capacity()) {
            throw new IOException(where() + ": grain beyond capacity (marker LBA " + markerLba
                    + ", capacity " + header.capacity() + " sectors)");
        }
        if (markerLba != lba) {
            throw new IOException(where() + ": grain marker LBA " + markerLba
                    + " does not match the grain table's LBA " + lba);
        }
        if (size == 0 || off + 12 + size > fileSize) {
            throw new IOException(where() + ": truncated grain at LBA " + lba + " ("
                    + size + " compressed bytes at offset " + (off + 12) + ", file has "
                    + fileSize + ")");
        }
        if (size > 4L * grainBytes + 1024) {
            throw new IOException(where() + ": grain at LBA " + lba + " claims " + size
                    + " compressed bytes, too many for a grain");
        }
        ByteBuffer data = readAt(channel, off + 12, (int) size, where(), "grain");
        int need = (int) (Math.min(header.grainSize(), header.capacity() - lba) * SECTOR);
        inflater.reset();
        inflater.setInput(data);
        int n = 0;
        try {
            while (n < grainBytes && !inflater.finished()) {
                int k = inflater.inflate(grainBuf, n, grainBytes - n);
                if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += k;
            }
        } catch (DataFormatException e) {
            throw new IOException(where() + ": corrupt compressed grain at LBA " + lba + ": "
                    + e.getMessage(), e);
        }
        if (!inflater.finished() || n < need) {
            throw new IOException(where() + ": truncated grain at LBA " + lba + " (inflates to "
                    + n + " bytes, expected " + need + ")");
        }
        java.util.Arrays.fill(grainBuf, n, grainBytes, (byte) 0);
    }

    private int gtEntry(long g) throws IOException {
        int per = header.numGTEsPerGT();
        int t = (int) (g / per);
        if (gd[t] == 0) {
            return 0;
        }
        int[] gt = gts[t];
        if (gt == null) {
            long off = Integer.toUnsignedLong(gd[t]) * SECTOR;
            if (off + per * 4L > fileSize) {
                throw new IOException(where() + ": grain table " + t + " at sector "
                        + Integer.toUnsignedString(gd[t])
                        + " lies beyond the end of the file (truncated)");
            }
            ByteBuffer b = readAt(channel, off, per * 4, where(), "grain table");
            gt = new int[per];
            for (int i = 0; i < per; i++) {
                gt[i] = b.getInt();
                long grain = (long) t * per + i;
                if (grain >= grains && gt[i] != 0) {
                    throw new IOException(where() + ": grain beyond capacity (grain table " + t
                            + " entry " + i + " maps LBA " + grain * header.grainSize()
                            + ", capacity " + header.capacity() + " sectors)");
                }
            }
            gts[t] = gt;
        }
        return gt[(int) (g % per)];
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        throw new IOException(where() + ": read-only (VMDK images are opened read-only)");
    }

    @Override
    public void flush() {
        // nothing is ever written
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(where() + ": closed");
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            inflater.end();
            channel.close();
        }
    }
}

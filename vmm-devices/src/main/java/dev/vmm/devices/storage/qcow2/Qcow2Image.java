package dev.vmm.devices.storage.qcow2;

import static dev.vmm.devices.storage.qcow2.ClusterMap.COMPRESSED;
import static dev.vmm.devices.storage.qcow2.ClusterMap.COPIED;
import static dev.vmm.devices.storage.qcow2.ClusterMap.OFFSET_MASK;
import static dev.vmm.devices.storage.qcow2.ClusterMap.ZERO;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A qcow2 image (version 3, and version 2) as a {@link BlockDevice}: L1/L2 cluster mapping,
 * refcounted cluster allocation on write, a backing image read through for unallocated clusters
 * (raw or qcow2, opened read-only and never written), zero clusters, and zlib-compressed clusters
 * (read; a write into one moves it to a new, uncompressed cluster).
 *
 * <p><b>Crash safety.</b> Guest data written into a cluster the image already owns (refcount 1)
 * goes to the file at once. Everything else is allocated at a new cluster whose data is written
 * at once but whose metadata (refcounts, L2 and L1 entries) stays in memory until
 * {@link #flush()}, which writes it in this order, with an fsync after each step:
 * <ol>
 *   <li>A: new L2 tables, new and changed refcount blocks, a relocated refcount table (nothing
 *       on disk refers to these yet; the fsync also makes the data clusters durable);</li>
 *   <li>B: the refcount table entries of new blocks, or the header's pointer to a relocated
 *       table (one 12-byte write inside a sector);</li>
 *   <li>C: the changed L2 tables and the L1 table: the new clusters become visible;</li>
 *   <li>D: the decrements of clusters that lost their last reference (a rewritten compressed
 *       cluster, the old refcount table).</li>
 * </ol>
 * Each step only adds references to clusters whose refcounts and contents are already durable, or
 * drops refcounts whose references are already gone, so a crash between any two writes leaves an
 * image that {@code qemu-img check} finds free of errors: at worst some clusters are leaked
 * (refcount 1, unreferenced). A freed cluster is reused only after step D. The guest sees the
 * state of its last flush plus, possibly, some of its later writes, as with a real disk's cache.
 *
 * <p>Images with internal snapshots, the dirty or corrupt bit, encryption, an external data file,
 * extended L2 entries, zstd compression or unknown incompatible features are refused (the first
 * three for writing only) with a message naming the problem. Entry points are synchronized.
 */
public final class Qcow2Image implements BlockDevice {
    private static final int MAX_CHAIN = 16;

    private final Path path;
    private final String where;
    private final FileChannel channel;
    private final FileLock lock;
    private final Qcow2Header header;
    private final boolean writable;
    private final BlockDevice backing;
    private final int clusterBits;
    private final int clusterSize;
    private final ClusterMap map;
    private final Refcounts refcounts;
    private final Inflater inflater = new Inflater(true);
    private final byte[] clusterBuf;
    private final byte[] inflated;
    private long inflatedEntry = -1;
    private long fileEnd;
    private FlushHook hook;
    private boolean closed;

    /** Called after each flush step, for the crash tests. */
    @FunctionalInterface
    interface FlushHook {
        void after(char step) throws IOException;
    }

    /**
     * What a new image looks like.
     *
     * @param clusterBits   log2 of the cluster size (16: 64 KiB, qemu's default)
     * @param backingFile   the backing file name as written in the header (relative names are
     *                      relative to the image's directory), or null
     * @param backingFormat "raw" or "qcow2", or null (then readers probe)
     */
    public record CreateOptions(int clusterBits, String backingFile, String backingFormat) {
        public static CreateOptions defaults() {
            return new CreateOptions(16, null, null);
        }

        public CreateOptions withBacking(String file, String format) {
            return new CreateOptions(clusterBits, file, format);
        }

        public CreateOptions withClusterBits(int bits) {
            return new CreateOptions(bits, backingFile, backingFormat);
        }
    }

    private Qcow2Image(Path path, String where, FileChannel channel, FileLock lock, Qcow2Header h,
                       boolean writable, BlockDevice backing) throws IOException {
        this.path = path;
        this.where = where;
        this.channel = channel;
        this.lock = lock;
        this.header = h;
        this.writable = writable;
        this.backing = backing;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.map = new ClusterMap(channel, where, h);
        this.refcounts = writable ? new Refcounts(channel, where, h) : null;
        this.clusterBuf = new byte[clusterSize];
        this.inflated = new byte[clusterSize];
        this.fileEnd = channel.size();
    }

    // ---- creating and opening

    /**
     * Creates an empty image of {@code size} bytes at {@code file} (through a temporary file and a
     * rename; an existing file is replaced). Layout: header, refcount table, refcount blocks, L1.
     */
    public static void create(Path file, long size, CreateOptions o) throws IOException {
        Qcow2Creator.create(file, size, o);
    }

    /** Opens {@code file}; its backing chain is opened read-only. */
    public static Qcow2Image open(Path file, boolean writable) throws IOException {
        return open(file, writable, null, 0);
    }

    /**
     * Opens {@code file} with {@code backing} (already open, not reopened) as its backing image;
     * the image owns it from now on and closes it.
     */
    static Qcow2Image open(Path file, boolean writable, BlockDevice backing, int depth)
            throws IOException {
        String where = "qcow2 image " + file;
        if (!Files.isRegularFile(file)) {
            throw new IOException(where + ": no such file");
        }
        if (!Files.isReadable(file)) {
            throw new IOException(where + ": not readable (permission denied)");
        }
        if (writable && !Files.isWritable(file)) {
            throw new IOException(where + ": not writable (open it read-only)");
        }
        FileChannel ch = writable
                ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ);
        BlockDevice opened = null;
        try {
            Qcow2Header h = Qcow2Header.read(ch, where);
            FileLock lock = null;
            if (writable) {
                checkWritable(h, where);
                lock = lock(ch, where);
            }
            BlockDevice back = backing;
            if (h.backingFile() != null && back == null) {
                back = opened = openBacking(file, h, where, depth);
            }
            Qcow2Image img = new Qcow2Image(file, where, ch, lock, h, writable, back);
            if (writable && h.autoclearFeatures() != 0) {
                // bits we do not understand (bitmaps) must be cleared before we write
                HostFile.writeFully(ch, Qcow2Header.AUTOCLEAR_FIELD, new byte[8]);
                ch.force(false);
            }
            return img;
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (opened != null) {
                opened.close();
            }
            throw e;
        }
    }

    private static void checkWritable(Qcow2Header h, String where) throws IOException {
        if (h.nbSnapshots() != 0) {
            throw new IOException(where + ": has " + h.nbSnapshots() + " internal snapshot(s);"
                    + " writing such images is not supported (open it read-only)");
        }
        if ((h.incompatibleFeatures() & Qcow2Header.INCOMPAT_CORRUPT) != 0) {
            throw new IOException(where + ": marked corrupt (incompatible feature bit 1);"
                    + " repair it with qemu-img check -r all before writing");
        }
        if ((h.incompatibleFeatures() & Qcow2Header.INCOMPAT_DIRTY) != 0) {
            throw new IOException(where + ": marked dirty (lazy refcounts not written back);"
                    + " repair it with qemu-img check -r all before writing");
        }
    }

    private static FileLock lock(FileChannel ch, String where) throws IOException {
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            throw new IOException(where + ": already opened for writing by another VM or process");
        }
        return l;
    }

    private static BlockDevice openBacking(Path file, Qcow2Header h, String where, int depth)
            throws IOException {
        if (depth >= MAX_CHAIN) {
            throw new IOException(where + ": backing chain longer than " + MAX_CHAIN
                    + " images (a loop?)");
        }
        Path p = backingPath(file, h.backingFile());
        if (!Files.exists(p)) {
            throw new IOException(where + ": backing file " + p + " not found");
        }
        String fmt = h.backingFormat() != null ? h.backingFormat() : probe(p);
        try {
            return switch (fmt) {
                case "raw" -> RawImage.open(p, RawImage.Mode.READ_ONLY);
                case "qcow2" -> open(p, false, null, depth + 1);
                default -> throw new IOException("format " + fmt + " is not supported as a"
                        + " backing format (raw or qcow2)");
            };
        } catch (IOException e) {
            throw new IOException(where + ": backing file: " + e.getMessage(), e);
        }
    }

    /** The backing file named {@code name} in the header of {@code image}. */
    public static Path backingPath(Path image, String name) {
        Path p = Path.of(name);
        return p.isAbsolute() ? p : image.toAbsolutePath().getParent().resolve(p);
    }

    /** "qcow2" if the file starts with the qcow2 magic, else "raw". */
    static String probe(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            HostFile.readZeroPadded(ch, 0, b);
            return b.getInt(0) == Qcow2Header.MAGIC ? "qcow2" : "raw";
        }
    }

    // ---- properties

    public Path path() {
        return path;
    }

    public Qcow2Header header() {
        return header;
    }

    /** The backing image, if the header names one. */
    public Optional<BlockDevice> backing() {
        return Optional.ofNullable(backing);
    }

    @Override
    public int sectorSize() {
        return 512;
    }

    @Override
    public long sizeBytes() {
        return header.size();
    }

    @Override
    public String name() {
        return String.valueOf(path.getFileName());
    }

    @Override
    public boolean readOnly() {
        return !writable;
    }

    /** Bytes of guest data this file holds itself (allocated and compressed clusters). */
    public synchronized long allocatedBytes() throws IOException {
        ensureOpen();
        long n = 0;
        for (int i : map.allocatedTables()) {
            for (long e : map.entries(i)) {
                if ((e & COMPRESSED) != 0 || ((e & OFFSET_MASK) != 0 && (e & ZERO) == 0)) {
                    n++;
                }
            }
        }
        return n * clusterSize;
    }

    // ---- reading

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            long gc = pos >>> clusterBits;
            int in = (int) (pos & (clusterSize - 1));
            int n = Math.min(dst.remaining(), clusterSize - in);
            ByteBuffer part = dst.slice(dst.position(), n);
            readCluster(gc, in, part, pos);
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    private void readCluster(long gc, int in, ByteBuffer part, long guestOffset)
            throws IOException {
        long e = map.entry(gc);
        if ((e & COMPRESSED) != 0) {
            inflate(gc, e);
            part.put(inflated, in, part.remaining());
        } else if ((e & ZERO) != 0) {
            zero(part);
        } else {
            long host = e & OFFSET_MASK;
            if (host == 0) {
                readBacking(guestOffset, part);
            } else {
                HostFile.readZeroPadded(channel, checkData(gc, host) + in, part);
            }
        }
    }

    private long checkData(long gc, long host) throws IOException {
        if (host % clusterSize != 0) {
            throw new IOException(where + ": guest cluster " + gc + " maps to byte " + host
                    + ", not cluster aligned (corrupt)");
        }
        if (host >= fileEnd) {
            throw new IOException(where + ": data cluster of guest cluster " + gc + " at byte "
                    + host + " lies beyond the end of the file (truncated)");
        }
        return host;
    }

    private void readBacking(long guestOffset, ByteBuffer part) throws IOException {
        int n = part.remaining();
        int inBacking = backing == null ? 0
                : (int) Math.max(0, Math.min(n, backing.sizeBytes() - guestOffset));
        if (inBacking > 0) {
            backing.read(guestOffset, part.slice(part.position(), inBacking));
            part.position(part.position() + inBacking);
        }
        zero(part);
    }

    private static void zero(ByteBuffer b) {
        while (b.hasRemaining()) {
            b.put((byte) 0);
        }
    }

    /** Inflates the compressed cluster described by L2 entry {@code e} into {@link #inflated}. */
    private void inflate(long gc, long e) throws IOException {
        if (e == inflatedEntry) {
            return;
        }
        inflatedEntry = -1;
        int x = 62 - (clusterBits - 8);
        long coff = e & ((1L << x) - 1);
        long sectors = ((e & ~COPIED & ~COMPRESSED) >>> x) + 1;
        int csize = (int) ((coff & ~511L) + sectors * 512 - coff);
        if (coff >= fileEnd) {
            throw new IOException(where + ": compressed cluster of guest cluster " + gc
                    + " at byte " + coff + " lies beyond the end of the file (truncated)");
        }
        byte[] comp = new byte[csize + 1]; // one spare byte: raw inflate may ask for it
        HostFile.readZeroPadded(channel, coff, ByteBuffer.wrap(comp, 0, csize));
        inflater.reset();
        inflater.setInput(comp);
        int n = 0;
        try {
            while (n < clusterSize) {
                int k = inflater.inflate(inflated, n, clusterSize - n);
                if (k == 0 && (inflater.finished() || inflater.needsInput()
                        || inflater.needsDictionary())) {
                    break;
                }
                n += k;
            }
        } catch (DataFormatException ex) {
            throw new IOException(where + ": corrupt compressed cluster for guest cluster " + gc
                    + ": " + ex.getMessage(), ex);
        }
        if (n < clusterSize) {
            throw new IOException(where + ": compressed cluster for guest cluster " + gc
                    + " inflates to " + n + " bytes, not " + clusterSize + " (corrupt)");
        }
        inflatedEntry = e;
    }

    // ---- writing

    @Override
    public synchronized void write(long offset, ByteBuffer src) throws IOException {
        check(offset, src.remaining());
        if (!writable) {
            throw new IOException(where + " is read-only");
        }
        long pos = offset;
        while (src.hasRemaining()) {
            long gc = pos >>> clusterBits;
            int in = (int) (pos & (clusterSize - 1));
            int n = Math.min(src.remaining(), clusterSize - in);
            writeCluster(gc, in, src.slice(src.position(), n));
            src.position(src.position() + n);
            pos += n;
        }
    }

    private void writeCluster(long gc, int in, ByteBuffer src) throws IOException {
        long e = map.entry(gc);
        long host = e & OFFSET_MASK;
        boolean compressed = (e & COMPRESSED) != 0;
        boolean zero = !compressed && (e & ZERO) != 0;
        boolean owned = !compressed && host != 0 && (e & COPIED) != 0
                && map.tableCopied(gc);
        if (owned && !zero) {
            writeData(checkData(gc, host) + in, src);
            return;
        }
        int n = src.remaining();
        int valid = (int) Math.min(clusterSize, sizeBytes() - (gc << clusterBits));
        byte[] buf = clusterBuf;
        if (in != 0 || n < valid) {
            oldContents(gc, e, buf, valid);
        }
        src.get(buf, in, n);
        Arrays.fill(buf, valid, clusterSize, (byte) 0);
        if (owned) {
            // a preallocated zero cluster of ours: fill it, then drop the zero flag
            if (host % clusterSize != 0) {
                throw new IOException(where + ": guest cluster " + gc + " maps to byte " + host
                        + ", not cluster aligned (corrupt)");
            }
            writeData(host, ByteBuffer.wrap(buf));
            map.set(gc, host | COPIED);
            return;
        }
        boolean unallocated = !compressed && !zero && host == 0;
        if (HostFile.allZero(buf, 0, valid)) {
            if (unallocated && backing == null) {
                return;
            }
            if (header.version() >= 3) {
                ensureTable(gc);
                map.set(gc, ZERO);
                release(e);
                return;
            }
        }
        ensureTable(gc);
        long fresh = refcounts.allocate(1);
        writeData(fresh, ByteBuffer.wrap(buf));
        map.set(gc, fresh | COPIED);
        release(e);
    }

    /** The guest cluster's bytes before a partial write: data, zeros, inflated or backing. */
    private void oldContents(long gc, long e, byte[] buf, int valid) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, valid);
        if ((e & COMPRESSED) != 0) {
            inflate(gc, e);
            System.arraycopy(inflated, 0, buf, 0, clusterSize);
        } else if ((e & ZERO) != 0) {
            Arrays.fill(buf, (byte) 0);
        } else if ((e & OFFSET_MASK) != 0) {
            HostFile.readZeroPadded(channel, checkData(gc, e & OFFSET_MASK), b);
        } else {
            readBacking(gc << clusterBits, b);
        }
    }

    private void ensureTable(long gc) throws IOException {
        if (!map.hasTable(gc)) {
            map.createTable(gc, refcounts.allocate(1));
        } else if (!map.tableCopied(gc)) {
            throw new IOException(where + ": the L2 table of guest cluster " + gc
                    + " is shared (no COPIED flag); writing such images is not supported");
        }
    }

    /** Drops this image's reference to the host cluster(s) entry {@code e} pointed to. */
    private void release(long e) {
        if ((e & COMPRESSED) != 0) {
            int x = 62 - (clusterBits - 8);
            long coff = e & ((1L << x) - 1);
            long sectors = ((e & ~COPIED & ~COMPRESSED) >>> x) + 1;
            refcounts.free(coff & ~511L, sectors * 512);
        } else if ((e & OFFSET_MASK) != 0) {
            refcounts.free(e & OFFSET_MASK, clusterSize);
        }
    }

    private void writeData(long at, ByteBuffer src) throws IOException {
        int n = src.remaining();
        HostFile.writeFully(channel, at, src);
        fileEnd = Math.max(fileEnd, at + n);
    }

    // ---- flushing and closing

    /** Writes the metadata in the crash-safe order of the class comment, and syncs the file. */
    @Override
    public synchronized void flush() throws IOException {
        if (closed || !writable) {
            return;
        }
        if (!map.dirty() && !refcounts.dirty()) {
            channel.force(false);
            return;
        }
        refcounts.place();
        map.writeFreshTables();
        refcounts.writeBlocks();
        channel.force(false);
        step('A');
        if (refcounts.commitTable()) {
            channel.force(false);
        }
        step('B');
        if (map.writeChanged()) {
            channel.force(false);
        }
        step('C');
        if (refcounts.applyFrees()) {
            refcounts.writeBlocks();
            channel.force(false);
            inflatedEntry = -1;
        }
        step('D');
        fileEnd = channel.size();
    }

    private void step(char s) throws IOException {
        if (hook != null) {
            hook.after(s);
        }
    }

    void flushHook(FlushHook h) {
        this.hook = h;
    }

    /** The cluster mapping (tests: its cache). */
    ClusterMap clusterMap() {
        return map;
    }

    /** Drops the image without flushing, as a crash would (tests only). */
    synchronized void abandon() throws IOException {
        abandonKeepingBacking();
        if (backing != null) {
            backing.close();
        }
    }

    /** Closes the file without flushing and leaves the backing device open. */
    synchronized void abandonKeepingBacking() throws IOException {
        closed = true;
        inflater.end();
        channel.close();
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            flush();
        } finally {
            closed = true;
            inflater.end();
            try {
                if (lock != null && lock.isValid()) {
                    lock.release();
                }
            } finally {
                channel.close();
                if (backing != null) {
                    backing.close();
                }
            }
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(where + " is closed");
        }
    }

    private void check(long offset, int len) throws IOException {
        ensureOpen();
        if (offset < 0 || offset > sizeBytes() - len) {
            throw new IOException(where + ": access of " + len + " bytes at " + offset
                    + " beyond the end (" + sizeBytes() + ")");
        }
    }

    @Override
    public String toString() {
        return where + " (v" + header.version() + ", " + sizeBytes() + " bytes"
                + (backing != null ? ", backing " + header.backingFile() : "")
                + (writable ? "" : ", read-only") + ")";
    }
}

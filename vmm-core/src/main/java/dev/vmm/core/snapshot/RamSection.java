package dev.vmm.core.snapshot;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import dev.vmm.core.monitor.ResidentMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The guest RAM section ("ram"): sparse and compressed.
 *
 * <p>Payload: u64 RAM size in bytes, u32 page size (4096), u32 pages per chunk, then for each chunk
 * (the last may hold fewer pages): a page bitmap (one bit per page of the chunk, LSB first, padded
 * to whole bytes; a 1 is a page with a nonzero byte), u32 length of the compressed data, and the
 * present pages concatenated and compressed (length 0 when no page of the chunk is present).
 * All-zero pages are omitted and read back as zeros. Version 2 compresses each chunk as one zstd
 * frame (level 1, with the frame checksum; the reference libzstd through zstd-jni); version 1, still read, used
 * {@link Deflater} (zlib format, a fresh stream per chunk). Chunks are compressed in parallel.
 */
public final class RamSection {
    public static final String NAME = "ram";
    public static final int VERSION = 2;
    static final int PAGE = 4096;
    /** Pages per chunk: 1 MiB of RAM. */
    static final int CHUNK_PAGES = 256;
    /** zstd level: the fastest of the standard levels; RAM compresses well enough at it. */
    static final int ZSTD_LEVEL = 1;

    private RamSection() {
    }

    /** Writes {@code ram} (a multiple of 4 KiB long) as version {@link #VERSION}. */
    public static void write(SectionOutput out, MemorySegment ram) {
        long pages = header(out, ram);
        int chunks = (int) ((pages + CHUNK_PAGES - 1) / CHUNK_PAGES);
        byte[][] packed = new byte[chunks][];
        // one compressor and one set of buffers per worker; chunks interleaved between the workers
        int workers = Math.max(1, Math.min(chunks, Runtime.getRuntime().availableProcessors()));
        IntStream.range(0, workers).parallel().forEach(w -> {
            try (ZstdCompressCtx z = new ZstdCompressCtx()) {
                z.setLevel(ZSTD_LEVEL);
                z.setChecksum(true);
                byte[] plain = new byte[CHUNK_PAGES * PAGE];
                byte[] dst = new byte[(int) Zstd.compressBound(plain.length)];
                for (int c = w; c < chunks; c += workers) {
                    long first = (long) c * CHUNK_PAGES;
                    packed[c] = zstdChunk(z, ram, first, (int) Math.min(CHUNK_PAGES, pages - first), plain, dst);
                }
            }
        });
        for (byte[] p : packed) {
            out.bytes(p);
        }
    }

    private static long header(SectionOutput out, MemorySegment ram) {
        long size = ram.byteSize();
        if (size % PAGE != 0) {
            throw new IllegalArgumentException("RAM size " + size + " is not a multiple of " + PAGE);
        }
        out.u64(size).u32(PAGE).u32(CHUNK_PAGES);
        return size / PAGE;
    }

    /** One chunk: its bitmap, u32 length and the zstd frame of its present pages. */
    private static byte[] zstdChunk(ZstdCompressCtx z, MemorySegment ram, long first, int n, byte[] plain,
                                    byte[] dst) {
        int bitmapBytes = (n + 7) / 8;
        byte[] bitmap = new byte[bitmapBytes];
        int used = 0;
        for (int k = untouched(ram, first, n) ? n : 0; k < n; k++) {
            long off = (first + k) * PAGE;
            if (ram.asSlice(off, PAGE).mismatch(ZERO_PAGE) != -1) {
                bitmap[k >>> 3] |= (byte) (1 << (k & 7));
                MemorySegment.copy(ram, ValueLayout.JAVA_BYTE, off, plain, used, PAGE);
                used += PAGE;
            }
        }
        int len = used == 0 ? 0 : z.compressByteArray(dst, 0, dst.length, plain, 0, used);
        byte[] chunk = new byte[bitmapBytes + 4 + len];
        System.arraycopy(bitmap, 0, chunk, 0, bitmapBytes);
        for (int k = 0; k < 4; k++) {
            chunk[bitmapBytes + k] = (byte) (len >>> (8 * k));
        }
        System.arraycopy(dst, 0, chunk, bitmapBytes + 4, len);
        return chunk;
    }

    /** Writes {@code ram} as version 1 (deflate): the golden v1 fixture's writer. */
    static void writeV1(SectionOutput out, MemorySegment ram) {
        long pages = header(out, ram);
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            byte[] plain = new byte[CHUNK_PAGES * PAGE];
            byte[] packed = new byte[4096];
            for (long first = 0; first < pages; first += CHUNK_PAGES) {
                int n = (int) Math.min(CHUNK_PAGES, pages - first);
                byte[] bitmap = new byte[(n + 7) / 8];
                int used = 0;
                for (int k = 0; k < n; k++) {
                    MemorySegment page = ram.asSlice((first + k) * PAGE, PAGE);
                    if (!zero(page)) {
                        bitmap[k >>> 3] |= (byte) (1 << (k & 7));
                        MemorySegment.copy(page, ValueLayout.JAVA_BYTE, 0, plain, used, PAGE);
                        used += PAGE;
                    }
                }
                out.bytes(bitmap);
                if (used == 0) {
                    out.u32(0);
                    continue;
                }
                deflater.reset();
                deflater.setInput(plain, 0, used);
                deflater.finish();
                SectionOutput chunk = new SectionOutput();
                while (!deflater.finished()) {
                    int k = deflater.deflate(packed);
                    chunk.bytes(packed, 0, k);
                }
                out.u32(chunk.size());
                out.bytes(chunk.buffer(), 0, chunk.size());
            }
        } finally {
            deflater.end();
        }
    }

    /** Reads the section into {@code ram}, which must be exactly the saved RAM's size. */
    public static void read(SectionInput in, MemorySegment ram) throws SnapshotFormatException {
        if (in.version() < 1 || in.version() > VERSION) {
            throw newerVersion(in, VERSION);
        }
        long size = in.u64();
        if (size != ram.byteSize()) {
            throw in.error("RAM size " + size + " differs from this machine's " + ram.byteSize());
        }
        long pageSize = in.u32();
        long chunkPages = in.u32();
        if (pageSize != PAGE || chunkPages == 0 || chunkPages > 1 << 16 || size % PAGE != 0) {
            throw in.error("bad RAM layout: page size " + pageSize + ", " + chunkPages + " pages per chunk");
        }
        long pages = size / PAGE;
        List<Chunk> chunks = new ArrayList<>();
        for (long first = 0; first < pages; first += chunkPages) {
            int n = (int) Math.min(chunkPages, pages - first);
            byte[] bitmap = in.bytes((n + 7) / 8);
            int present = 0;
            for (byte x : bitmap) {
                present += Integer.bitCount(x & 0xFF);
            }
            for (int k = n; k < bitmap.length * 8; k++) {
                if ((bitmap[k >>> 3] & (1 << (k & 7))) != 0) {
                    throw in.error("bitmap padding bit set in the last RAM chunk");
                }
            }
            int at = in.position();
            byte[] packed = in.bytes(in.u32());
            if (present == 0 && packed.length != 0) {
                throw SnapshotFormatException.inSection(in.section(), at, "data for an empty RAM chunk");
            }
            chunks.add(new Chunk(first, n, bitmap, present, packed, at));
        }
        in.expectEnd();
        // Decompress and place the chunks in parallel, one buffer (and inflater) per worker.
        int workers = Math.max(1, Math.min(chunks.size(), Runtime.getRuntime().availableProcessors()));
        AtomicReference<SnapshotFormatException> failure = new AtomicReference<>();
        IntStream.range(0, workers).parallel().forEach(w -> {
            Inflater inflater = in.version() == 1 ? new Inflater() : null;
            try {
                byte[] plain = new byte[0];
                for (int c = w; c < chunks.size() && failure.get() == null; c += workers) {
                    Chunk ch = chunks.get(c);
                    if (plain.length < ch.present() * PAGE) {
                        plain = new byte[ch.present() * PAGE];
                    }
                    place(in, ch, plain, inflater, ram);
                }
            } catch (SnapshotFormatException e) {
                failure.compareAndSet(null, e);
            } finally {
                if (inflater != null) {
                    inflater.end();
                }
            }
        });
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /** One chunk of the section, parsed. */
    private record Chunk(long first, int n, byte[] bitmap, int present, byte[] packed, int at) {
    }

    /** Decompresses {@code ch} into {@code plain} and copies its pages into {@code ram}; clears its absent pages. */
    private static void place(SectionInput in, Chunk ch, byte[] plain, Inflater inflater, MemorySegment ram)
            throws SnapshotFormatException {
        boolean zeroed = untouched(ram, ch.first(), ch.n());
        int len = ch.present() * PAGE;
        if (ch.present() > 0) {
            boolean ok = inflater != null ? inflate(inflater, ch.packed(), plain, len) : unzstd(ch.packed(), plain, len);
            if (!ok) {
                throw SnapshotFormatException.inSection(in.section(), ch.at(),
                        "RAM chunk at page " + ch.first() + " does not decompress to " + ch.present() + " pages");
            }
        }
        int used = 0;
        for (int k = 0; k < ch.n(); k++) {
            long off = (ch.first() + k) * PAGE;
            if ((ch.bitmap()[k >>> 3] & (1 << (k & 7))) != 0) {
                MemorySegment.copy(plain, used, ram, ValueLayout.JAVA_BYTE, off, PAGE);
                used += PAGE;
            } else if (!zeroed && !zero(ram.asSlice(off, PAGE))) {
                ram.asSlice(off, PAGE).fill((byte) 0);   // a page never touched stays unbacked
            }
        }
    }

    private static boolean inflate(Inflater inflater, byte[] packed, byte[] plain, int len) {
        inflater.reset();
        inflater.setInput(packed);
        try {
            int got = 0;
            while (got < len && !inflater.finished()) {
                int k = inflater.inflate(plain, got, len - got);
                if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                got += k;
            }
            return got == len && inflater.finished() && inflater.getRemaining() == 0;
        } catch (DataFormatException e) {
            return false;
        }
    }

    private static boolean unzstd(byte[] packed, byte[] plain, int len) {
        long size = Zstd.getFrameContentSize(packed);
        if (size != len) {
            return false;
        }
        try {
            long k = Zstd.decompressByteArray(plain, 0, len, packed, 0, packed.length);
            return !Zstd.isError(k) && k == len;
        } catch (RuntimeException e) {   // ZstdException: malformed frame
            return false;
        }
    }

    /**
     * Compresses and decompresses one page and asks mincore about one: loads zstd's native library, makes
     * the mincore downcall and loads the codec's classes (a fresh JVM's restore does it on another thread
     * while it reads the file).
     */
    public static void warmUp() {
        byte[] page = new byte[PAGE];
        page[1] = 1;
        byte[] packed = Zstd.compress(page, ZSTD_LEVEL);
        if (!unzstd(packed, new byte[PAGE], PAGE)) {
            throw new IllegalStateException("zstd does not decompress what it compressed");
        }
        try (Arena arena = Arena.ofConfined()) {
            untouched(arena.allocate(PAGE, PAGE), 0, 1);     // mincore's downcall
        }
    }

    /**
     * True if no page of the {@code n} pages from {@code first} is backed by the host (mincore): they
     * read as zeros, so they need no check, and checking would back them with the zero page (a fresh
     * 256 MiB board has some 60,000 of them, each a page fault).
     */
    private static boolean untouched(MemorySegment ram, long first, int n) {
        return ResidentMemory.residentBytes(ram.asSlice(first * PAGE, (long) n * PAGE)) == 0;
    }

    private static final MemorySegment ZERO_PAGE = MemorySegment.ofArray(new byte[PAGE]);

    private static boolean zero(MemorySegment page) {
        return page.mismatch(ZERO_PAGE) == -1;
    }

    static SnapshotFormatException newerVersion(SectionInput in, int supported) {
        return new SnapshotFormatException("section '" + in.section() + "' has version " + in.version()
                + ", this vmm reads up to " + supported);
    }
}

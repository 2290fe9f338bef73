package dev.vmm.core.snapshot;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The guest RAM section ("ram", version 1): sparse and compressed.
 *
 * <p>Payload: u64 RAM size in bytes, u32 page size (4096), u32 pages per chunk, then for each chunk
 * (the last may hold fewer pages): a page bitmap (one bit per page of the chunk, LSB first, padded
 * to whole bytes; a 1 is a page with a nonzero byte), u32 length of the compressed data, and the
 * present pages concatenated and compressed with {@link Deflater} (zlib format, a fresh stream per
 * chunk; length 0 when no page of the chunk is present). All-zero pages are omitted and read back as
 * zeros. A later section version may replace Deflater by zstd or LZ4; version 1 stays readable.
 */
public final class RamSection {
    public static final String NAME = "ram";
    public static final int VERSION = 1;
    static final int PAGE = 4096;
    /** Pages per chunk: 1 MiB of RAM. */
    static final int CHUNK_PAGES = 256;

    private RamSection() {
    }

    /** Writes {@code ram} (a multiple of 4 KiB long). */
    public static void write(SectionOutput out, MemorySegment ram) {
        long size = ram.byteSize();
        if (size % PAGE != 0) {
            throw new IllegalArgumentException("RAM size " + size + " is not a multiple of " + PAGE);
        }
        long pages = size / PAGE;
        out.u64(size).u32(PAGE).u32(CHUNK_PAGES);
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            byte[] page = new byte[PAGE];
            byte[] plain = new byte[CHUNK_PAGES * PAGE];
            byte[] packed = new byte[4096];
            for (long first = 0; first < pages; first += CHUNK_PAGES) {
                int n = (int) Math.min(CHUNK_PAGES, pages - first);
                byte[] bitmap = new byte[(n + 7) / 8];
                int used = 0;
                for (int k = 0; k < n; k++) {
                    MemorySegment.copy(ram, ValueLayout.JAVA_BYTE, (first + k) * PAGE, page, 0, PAGE);
                    if (!zero(page)) {
                        bitmap[k >>> 3] |= (byte) (1 << (k & 7));
                        System.arraycopy(page, 0, plain, used, PAGE);
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
        if (in.version() != VERSION) {
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
        Inflater inflater = new Inflater();
        try {
            for (long first = 0; first < pages; first += chunkPages) {
                int n = (int) Math.min(chunkPages, pages - first);
                byte[] bitmap = in.bytes((n + 7) / 8);
                int present = 0;
                for (byte b : bitmap) {
                    present += Integer.bitCount(b & 0xFF);
                }
                int at = in.position();
                byte[] packed = in.bytes(in.u32());
                byte[] plain = new byte[present * PAGE];
                if (present > 0) {
                    inflater.reset();
                    inflater.setInput(packed);
                    try {
                        int got = 0;
                        while (got < plain.length && !inflater.finished()) {
                            int k = inflater.inflate(plain, got, plain.length - got);
                            if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                                break;
                            }
                            got += k;
                        }
                        if (got != plain.length || !inflater.finished() || inflater.getRemaining() != 0) {
                            throw SnapshotFormatException.inSection(in.section(), at,
                                    "RAM chunk at page " + first + " does not inflate to " + present + " pages");
                        }
                    } catch (DataFormatException e) {
                        throw SnapshotFormatException.inSection(in.section(), at,
                                "RAM chunk at page " + first + " is not valid deflate data");
                    }
                } else if (packed.length != 0) {
                    throw SnapshotFormatException.inSection(in.section(), at, "data for an empty RAM chunk");
                }
                int used = 0;
                for (int k = 0; k < n; k++) {
                    long off = (first + k) * PAGE;
                    if ((bitmap[k >>> 3] & (1 << (k & 7))) != 0) {
                        MemorySegment.copy(plain, used, ram, ValueLayout.JAVA_BYTE, off, PAGE);
                        used += PAGE;
                    } else {
                        ram.asSlice(off, PAGE).fill((byte) 0);
                    }
                }
                for (int k = n; k < bitmap.length * 8; k++) {
                    if ((bitmap[k >>> 3] & (1 << (k & 7))) != 0) {
                        throw in.error("bitmap padding bit set in the last RAM chunk");
                    }
                }
            }
        } finally {
            inflater.end();
        }
        in.expectEnd();
    }

    private static boolean zero(byte[] page) {
        for (byte b : page) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    static SnapshotFormatException newerVersion(SectionInput in, int supported) {
        return new SnapshotFormatException("section '" + in.section() + "' has version " + in.version()
                + ", this vmm reads up to " + supported);
    }
}

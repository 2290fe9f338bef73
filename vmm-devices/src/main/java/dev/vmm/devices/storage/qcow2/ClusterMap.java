package dev.vmm.devices.storage.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The guest-to-host cluster mapping of a qcow2 image: the active L1 table (in memory) and the
 * L2 tables, loaded on first use and cached. Clean tables are evicted beyond a budget; changed
 * ones stay until the next flush writes them.
 */
final class ClusterMap {
    static final long OFFSET_MASK = 0x00fffffffffffe00L;
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO = 1L;
    /** Clean L2 tables kept in memory: 32 MiB worth. */
    private static final long CACHE_BYTES = 32L << 20;

    private final FileChannel ch;
    private final String where;
    private final int clusterSize;
    private final int l2Bits;
    private final long l1Offset;
    private final long[] l1;
    private boolean l1Dirty;
    private int cacheTables;
    /** Loaded tables by L1 index, in access order. */
    private final LinkedHashMap<Integer, L2> tables = new LinkedHashMap<>(64, 0.75f, true);

    /** One L2 table: where it is, its entries, and whether memory differs from the file. */
    private static final class L2 {
        final long offset;
        final long[] entries;
        boolean dirty;
        /** Created since the last flush: no L1 entry on disk names it yet. */
        boolean fresh;

        L2(long offset, long[] entries) {
            this.offset = offset;
            this.entries = entries;
        }
    }

    ClusterMap(FileChannel ch, String where, Qcow2Header h) throws IOException {
        this.ch = ch;
        this.where = where;
        this.clusterSize = h.clusterSize();
        this.l2Bits = h.clusterBits() - 3;
        this.l1Offset = h.l1TableOffset();
        this.cacheTables = (int) Math.max(16, CACHE_BYTES / clusterSize);
        ByteBuffer b = ByteBuffer.allocate(h.l1Size() * 8);
        HostFile.readFully(ch, l1Offset, b, where, "L1 table");
        b.flip();
        l1 = new long[h.l1Size()];
        for (int i = 0; i < l1.length; i++) {
            l1[i] = b.getLong();
        }
    }

    /** Keeps at most {@code n} clean tables in memory (tests use small numbers). */
    void cacheTables(int n) {
        this.cacheTables = n;
        evict();
    }

    /** Tables in memory now. */
    int cachedTables() {
        return tables.size();
    }

    /** The L2 entry of guest cluster {@code gc}, 0 if its table is not allocated. */
    long entry(long gc) throws IOException {
        L2 t = table(l1Index(gc));
        return t == null ? 0 : t.entries[(int) (gc & ((1L << l2Bits) - 1))];
    }

    /** Sets the L2 entry of {@code gc}; its table must exist ({@link #hasTable}). */
    void set(long gc, long entry) throws IOException {
        L2 t = table(l1Index(gc));
        t.entries[(int) (gc & ((1L << l2Bits) - 1))] = entry;
        t.dirty = true;
    }

    boolean hasTable(long gc) {
        return (l1[l1Index(gc)] & OFFSET_MASK) != 0;
    }

    /** True if the L1 entry of {@code gc}'s table carries the COPIED flag (refcount 1). */
    boolean tableCopied(long gc) {
        return (l1[l1Index(gc)] & COPIED) != 0;
    }

    /** Installs a new, empty L2 table for {@code gc} at host offset {@code offset}. */
    void createTable(long gc, long offset) {
        int i = l1Index(gc);
        L2 t = new L2(offset, new long[1 << l2Bits]);
        t.dirty = true;
        t.fresh = true;
        tables.put(i, t);
        l1[i] = offset | COPIED;
        l1Dirty = true;
        evict(i);
    }

    private int l1Index(long gc) {
        return (int) (gc >>> l2Bits);
    }

    private L2 table(int i) throws IOException {
        L2 t = tables.get(i);
        if (t != null) {
            return t;
        }
        long off = l1[i] & OFFSET_MASK;
        if (off == 0) {
            return null;
        }
        if (off % clusterSize != 0) {
            throw new IOException(where + ": L1 entry " + i + " names an L2 table at byte " + off
                    + ", not cluster aligned (corrupt)");
        }
        if (off + clusterSize > ch.size()) {
            throw new IOException(where + ": L2 table " + i + " at byte " + off
                    + " lies beyond the end of the file (truncated)");
        }
        ByteBuffer b = ByteBuffer.allocate(clusterSize);
        HostFile.readFully(ch, off, b, where, "L2 table " + i);
        b.flip();
        long[] e = new long[1 << l2Bits];
        for (int k = 0; k < e.length; k++) {
            e[k] = b.getLong();
        }
        t = new L2(off, e);
        tables.put(i, t);
        evict(i);
        return t;
    }

    private void evict() {
        evict(-1);
    }

    /**
     * Drops the least recently used clean tables beyond the budget, never {@code keep} (the
     * table the caller is about to use: dropping it would lose the caller's change).
     */
    private void evict(int keep) {
        if (tables.size() <= cacheTables) {
            return;
        }
        Iterator<Map.Entry<Integer, L2>> it = tables.entrySet().iterator();
        while (tables.size() > cacheTables && it.hasNext()) {
            Map.Entry<Integer, L2> e = it.next();
            if (!e.getValue().dirty && e.getKey() != keep) {
                it.remove();
            }
        }
    }

    boolean dirty() {
        if (l1Dirty) {
            return true;
        }
        for (L2 t : tables.values()) {
            if (t.dirty) {
                return true;
            }
        }
        return false;
    }

    /** Phase A: writes the tables no L1 entry on disk names yet. */
    void writeFreshTables() throws IOException {
        for (L2 t : tables.values()) {
            if (t.fresh) {
                HostFile.writeFully(ch, t.offset, HostFile.longs(t.entries, 0, t.entries.length));
                t.fresh = false;
                t.dirty = false;
            }
        }
    }

    /** Phase C: writes the changed tables in place, then the L1 table; false if none. */
    boolean writeChanged() throws IOException {
        boolean any = false;
        for (L2 t : tables.values()) {
            if (t.dirty) {
                HostFile.writeFully(ch, t.offset, HostFile.longs(t.entries, 0, t.entries.length));
                t.dirty = false;
                any = true;
            }
        }
        if (l1Dirty) {
            HostFile.writeFully(ch, l1Offset, HostFile.longs(l1, 0, l1.length));
            l1Dirty = false;
            any = true;
        }
        evict();
        return any;
    }

    /** The L1 indices that have an L2 table (for counting what the image holds). */
    List<Integer> allocatedTables() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < l1.length; i++) {
            if ((l1[i] & OFFSET_MASK) != 0) {
                out.add(i);
            }
        }
        return out;
    }

    /** A copy of the entries of the table at L1 index {@code i}. */
    long[] entries(int i) throws IOException {
        L2 t = table(i);
        return t == null ? new long[1 << l2Bits] : t.entries.clone();
    }

    int l2Bits() {
        return l2Bits;
    }
}

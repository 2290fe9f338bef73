package dev.vmm.devices.storage.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The host-cluster reference counts of a writable qcow2 image: the refcount table and its
 * blocks, held in memory once loaded, and the allocator.
 *
 * <p>Changes stay in memory until {@link Qcow2Image#flush()} writes them in its crash-safe
 * order: increments (new clusters) are written before anything references the clusters,
 * decrements ({@link #free}) only after the references are gone, and are applied in memory only
 * then too, so a cluster freed since the last flush is never reused before the flush that makes
 * its release durable. New refcount blocks and a grown refcount table are placed at flush time
 * ({@link #place()}).
 */
final class Refcounts {
    private static final long OFFSET_MASK = 0x00fffffffffffe00L;

    private final FileChannel ch;
    private final String where;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    /** log2 of the refcount entries per block. */
    private final int blockBits;
    private final long maxRefcount;

    private long tableOffset;
    private int tableClusters;
    /** The table in memory; may be longer than the on-disk table until {@link #place()}. */
    private long[] table;
    private final BitSet dirtyEntries = new BitSet();
    private final Map<Integer, byte[]> blocks = new HashMap<>();
    private final BitSet dirtyBlocks = new BitSet();
    /** Blocks created in memory that have no cluster yet, by table index. */
    private final BitSet unplaced = new BitSet();
    /** Decrements waiting for the flush that removes their references: cluster -> count. */
    private final TreeMap<Long, Integer> pendingFrees = new TreeMap<>();
    /** A relocated table not yet named by the header: offset and clusters, or -1. */
    private long newTableOffset = -1;
    private int newTableClusters;
    private long freeHint;

    Refcounts(FileChannel ch, String where, Qcow2Header h) throws IOException {
        this.ch = ch;
        this.where = where;
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.order = h.refcountOrder();
        this.blockBits = clusterBits + 3 - order;
        this.maxRefcount = order == 6 ? Long.MAX_VALUE : (1L << (1 << order)) - 1;
        this.tableOffset = h.refcountTableOffset();
        this.tableClusters = h.refcountTableClusters();
        int entries = tableClusters * (clusterSize / 8);
        ByteBuffer b = ByteBuffer.allocate(entries * 8);
        HostFile.readFully(ch, tableOffset, b, where, "refcount table");
        b.flip();
        table = new long[entries];
        for (int i = 0; i < entries; i++) {
            table[i] = b.getLong();
            long off = table[i] & OFFSET_MASK;
            if (off % clusterSize != 0) {
                throw new IOException(where + ": refcount table entry " + i + " (offset " + off
                        + ") is not cluster aligned (corrupt)");
            }
        }
    }

    /** The reference count of host cluster {@code cluster}. */
    long get(long cluster) throws IOException {
        int ti = tableIndex(cluster);
        byte[] block = block(ti, false);
        return block == null ? 0 : read(block, (int) (cluster & ((1L << blockBits) - 1)));
    }

    private int tableIndex(long cluster) throws IOException {
        long ti = cluster >>> blockBits;
        if (ti > Integer.MAX_VALUE / 2) {
            throw new IOException(where + ": host cluster " + cluster + " out of range");
        }
        return (int) ti;
    }

    private void set(long cluster, long value) throws IOException {
        int ti = tableIndex(cluster);
        byte[] block = block(ti, true);
        write(block, (int) (cluster & ((1L << blockBits) - 1)), value);
        dirtyBlocks.set(ti);
    }

    /** The block of table index {@code ti}, loaded on first use; created if {@code create}. */
    private byte[] block(int ti, boolean create) throws IOException {
        byte[] b = blocks.get(ti);
        if (b != null) {
            return b;
        }
        long off = ti < table.length ? table[ti] & OFFSET_MASK : 0;
        if (off == 0) {
            if (!create) {
                return null;
            }
            b = new byte[clusterSize];
            blocks.put(ti, b);
            unplaced.set(ti);
            return b;
        }
        b = new byte[clusterSize];
        HostFile.readFully(ch, off, ByteBuffer.wrap(b), where, "refcount block " + ti);
        blocks.put(ti, b);
        return b;
    }

    private long read(byte[] b, int i) {
        return switch (order) {
            case 0, 1, 2 -> {
                int bits = 1 << order;
                int bit = i * bits;
                yield (b[bit >>> 3] >>> (bit & 7)) & ((1 << bits) - 1);
            }
            case 3 -> b[i] & 0xffL;
            case 4 -> ((b[2 * i] & 0xffL) << 8) | (b[2 * i + 1] & 0xffL);
            case 5 -> ByteBuffer.wrap(b).getInt(4 * i) & 0xffffffffL;
            default -> ByteBuffer.wrap(b).getLong(8 * i);
        };
    }

    private void write(byte[] b, int i, long v) {
        switch (order) {
            case 0, 1, 2 -> {
                int bits = 1 << order;
                int bit = i * bits;
                int mask = ((1 << bits) - 1) << (bit & 7);
                b[bit >>> 3] = (byte) ((b[bit >>> 3] & ~mask) | ((int) v << (bit & 7) & mask));
            }
            case 3 -> b[i] = (byte) v;
            case 4 -> {
                b[2 * i] = (byte) (v >>> 8);
                b[2 * i + 1] = (byte) v;
            }
            case 5 -> ByteBuffer.wrap(b).putInt(4 * i, (int) v);
            default -> ByteBuffer.wrap(b).putLong(8 * i, v);
        }
    }

    /**
     * Allocates {@code count} contiguous free clusters, sets their refcounts to 1 and returns
     * the byte offset of the first.
     */
    long allocate(int count) throws IOException {
        long start = freeHint;
        int run = 0;
        while (run < count) {
            if (get(start + run) == 0) {
                run++;
            } else {
                start += run + 1;
                run = 0;
            }
        }
        if (((start + count) << clusterBits) > (1L << 56)) {
            throw new IOException(where + ": the image file would grow beyond 64 PiB");
        }
        for (int i = 0; i < count; i++) {
            set(start + i, 1);
        }
        if (count == 1 || start == freeHint) {
            freeHint = start + count;
        }
        return start << clusterBits;
    }

    /** Adds one reference to the cluster at byte {@code offset} (metadata of a new image). */
    void increment(long offset) throws IOException {
        long c = offset >>> clusterBits;
        long v = get(c);
        if (v >= maxRefcount) {
            throw new IOException(where + ": refcount of cluster " + c + " would overflow");
        }
        set(c, v + 1);
    }

    /**
     * Drops one reference from every cluster touched by the byte range, once the flush has made
     * the removal of the reference durable.
     */
    void free(long offset, long length) {
        long first = offset >>> clusterBits;
        long last = (offset + length - 1) >>> clusterBits;
        for (long c = first; c <= last; c++) {
            pendingFrees.merge(c, 1, Integer::sum);
        }
    }

    boolean dirty() {
        return !dirtyBlocks.isEmpty() || !dirtyEntries.isEmpty() || !unplaced.isEmpty()
                || !pendingFrees.isEmpty();
    }

    /**
     * Gives every new refcount block a cluster, and the table a new, larger place if it no longer
     * holds all blocks. Both allocations may create further blocks, so this repeats until stable.
     */
    void place() throws IOException {
        while (true) {
            int ti = unplaced.nextSetBit(0);
            if (ti >= 0) {
                long off = allocate(1);
                unplaced.clear(ti);
                setEntry(ti, off);
                continue;
            }
            int needed = table.length;
            while (needed > 0 && table[needed - 1] == 0) {
                needed--;
            }
            long capacity = (long) (newTableOffset >= 0 ? newTableClusters : tableClusters)
                    * clusterSize / 8;
            if (needed <= capacity) {
                return;
            }
            if (newTableOffset >= 0) {
                // never referenced by the header: give it back at once
                for (int i = 0; i < newTableClusters; i++) {
                    set((newTableOffset >>> clusterBits) + i, 0);
                }
                freeHint = Math.min(freeHint, newTableOffset >>> clusterBits);
            }
            int clusters = (int) Qcow2Header.ceilDiv(needed * 8L * 2, clusterSize);
            if ((long) clusters * clusterSize > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES) {
                throw new IOException(where + ": the refcount table would exceed 8 MiB");
            }
            newTableClusters = clusters;
            newTableOffset = allocate(clusters);
        }
    }

    private void setEntry(int ti, long offset) {
        if (ti >= table.length) {
            table = Arrays.copyOf(table, Math.max(ti + 1, table.length * 2));
        }
        table[ti] = offset;
        dirtyEntries.set(ti);
    }

    /** Phase A: writes the dirty blocks and a relocated table (nothing names them yet). */
    void writeBlocks() throws IOException {
        if (!unplaced.isEmpty()) {
            throw new IllegalStateException("refcount blocks not placed");
        }
        for (int ti = dirtyBlocks.nextSetBit(0); ti >= 0; ti = dirtyBlocks.nextSetBit(ti + 1)) {
            HostFile.writeFully(ch, table[ti] & OFFSET_MASK, blocks.get(ti));
        }
        dirtyBlocks.clear();
        if (newTableOffset >= 0) {
            int entries = newTableClusters * clusterSize / 8;
            long[] t = Arrays.copyOf(table, entries);
            HostFile.writeFully(ch, newTableOffset, HostFile.longs(t, 0, entries));
        }
    }

    /**
     * Phase B: makes the blocks reachable: the header names a relocated table, or the new entries
     * are written into the table in place. Returns false if there was nothing to write.
     */
    boolean commitTable() throws IOException {
        if (newTableOffset >= 0) {
            ByteBuffer f = ByteBuffer.allocate(12).putLong(newTableOffset).putInt(newTableClusters);
            HostFile.writeFully(ch, Qcow2Header.REFCOUNT_TABLE_FIELD, f.flip());
            free(tableOffset, (long) tableClusters * clusterSize);
            tableOffset = newTableOffset;
            tableClusters = newTableClusters;
            table = Arrays.copyOf(table, tableClusters * clusterSize / 8);
            newTableOffset = -1;
            dirtyEntries.clear();
            return true;
        }
        if (dirtyEntries.isEmpty()) {
            return false;
        }
        for (int ti = dirtyEntries.nextSetBit(0); ti >= 0; ti = dirtyEntries.nextSetBit(ti + 1)) {
            HostFile.writeFully(ch, tableOffset + ti * 8L, HostFile.longs(table, ti, 1));
        }
        dirtyEntries.clear();
        return true;
    }

    /** Phase D: applies the decrements in memory; returns false if there were none. */
    boolean applyFrees() throws IOException {
        if (pendingFrees.isEmpty()) {
            return false;
        }
        List<Long> released = new ArrayList<>();
        for (Map.Entry<Long, Integer> e : pendingFrees.entrySet()) {
            long c = e.getKey();
            long v = get(c);
            if (v < e.getValue()) {
                throw new IOException(where + ": refcount of cluster " + c
                        + " would drop below 0 (corrupt)");
            }
            set(c, v - e.getValue());
            if (v == e.getValue()) {
                released.add(c);
            }
        }
        pendingFrees.clear();
        if (!released.isEmpty()) {
            freeHint = Math.min(freeHint, released.get(0));
        }
        return true;
    }
}

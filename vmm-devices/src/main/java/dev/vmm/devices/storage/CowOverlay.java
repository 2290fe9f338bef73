package dev.vmm.devices.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The in-memory copy-on-write layer of a {@link RawImage} opened
 * {@link RawImage.Mode#COPY_ON_WRITE}: the image file is never written; the first write into a
 * 64 KiB cluster copies that cluster from the file into memory, and later reads of the cluster come
 * from here. Untouched clusters cost nothing.
 *
 * <p>This is a host-side object, not device state: a snapshot saves it separately (through
 * {@link #clusterIndices()}, {@link #cluster(long)} and {@link #putCluster(long, byte[])}).
 */
public final class CowOverlay {
    /** Bytes per cluster. */
    public static final int CLUSTER_SIZE = 64 * 1024;
    private static final int SHIFT = 16;

    /** Reads the unmodified bytes underneath the overlay. */
    @FunctionalInterface
    interface Base {
        void read(long offset, ByteBuffer dst) throws IOException;
    }

    private final Map<Long, byte[]> clusters = new HashMap<>();
    private final long size;
    private final Base base;

    CowOverlay(long size, Base base) {
        this.size = size;
        this.base = base;
    }

    /** Reads {@code dst.remaining()} bytes at {@code offset}, merging overlay and base. */
    void read(long offset, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            long index = offset >>> SHIFT;
            int inCluster = (int) (offset & (CLUSTER_SIZE - 1));
            int n = Math.min(dst.remaining(), CLUSTER_SIZE - inCluster);
            byte[] c = clusters.get(index);
            if (c != null) {
                dst.put(c, inCluster, n);
            } else {
                ByteBuffer part = dst.slice(dst.position(), n);
                base.read(offset, part);
                dst.position(dst.position() + n);
            }
            offset += n;
        }
    }

    /** Writes {@code src.remaining()} bytes at {@code offset} into overlay clusters. */
    void write(long offset, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            long index = offset >>> SHIFT;
            int inCluster = (int) (offset & (CLUSTER_SIZE - 1));
            int n = Math.min(src.remaining(), CLUSTER_SIZE - inCluster);
            byte[] c = clusters.get(index);
            if (c == null) {
                c = new byte[CLUSTER_SIZE];
                long start = index << SHIFT;
                int valid = (int) Math.min(CLUSTER_SIZE, size - start);
                if (inCluster != 0 || n != valid) {
                    base.read(start, ByteBuffer.wrap(c, 0, valid));
                }
                clusters.put(index, c);
            }
            src.get(c, inCluster, n);
            offset += n;
        }
    }

    /** How many clusters hold written data. */
    public int clusterCount() {
        return clusters.size();
    }

    /** Host memory held by the overlay, in bytes. */
    public long bytesHeld() {
        return (long) clusters.size() * CLUSTER_SIZE;
    }

    /** The indices (offset / {@link #CLUSTER_SIZE}) of the written clusters, ascending. */
    public long[] clusterIndices() {
        long[] a = clusters.keySet().stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a;
    }

    /** A copy of cluster {@code index}, or null if the guest never wrote into it. */
    public byte[] cluster(long index) {
        byte[] c = clusters.get(index);
        return c == null ? null : c.clone();
    }

    /** Puts back a saved cluster (exactly {@link #CLUSTER_SIZE} bytes). */
    public void putCluster(long index, byte[] data) {
        if (data.length != CLUSTER_SIZE || index < 0 || (index << SHIFT) >= size) {
            throw new IllegalArgumentException("bad overlay cluster " + index);
        }
        clusters.put(index, data.clone());
    }

    /** Drops every written cluster: the guest sees the image file again. */
    public void clear() {
        clusters.clear();
    }
}

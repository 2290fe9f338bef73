package dev.vmm.core.cpu;

/**
 * A segment register with its hidden descriptor cache. {@link #attr} holds the descriptor's
 * attribute bits in the "access rights" layout: bits 0-7 = type, S, DPL, P (descriptor bits
 * 40-47), bits 12-15 = AVL, L, D/B, G (descriptor bits 52-55). {@link #limit} is the byte-granular
 * limit.
 */
public final class Segment {
    public static final int A_ACCESSED = 0x01;
    public static final int A_RW = 0x02;         // readable (code) / writable (data)
    public static final int A_DC = 0x04;         // conforming (code) / expand-down (data)
    public static final int A_CODE = 0x08;
    public static final int A_S = 0x10;          // code/data (not system)
    public static final int A_P = 0x80;
    public static final int A_L = 0x2000;
    public static final int A_DB = 0x4000;
    public static final int A_G = 0x8000;

    public int selector;
    public long base;
    public long limit;
    public int attr;
    /** False for a null selector loaded in protected mode (any access faults). */
    public boolean usable;

    // Derived by refresh(): the valid offset range and access rights.
    long lo;
    long hi;
    boolean readable;
    boolean writable;
    /**
     * A flat 32-bit data segment: usable, base 0, every offset valid (expand-up, limit 4 GiB),
     * readable, writable and big. Compiled code specializes its accesses for such segments ({@link JitMem}).
     */
    boolean flat;

    /** Recomputes the derived fields after selector/base/limit/attr changed. */
    public void refresh() {
        boolean code = (attr & A_CODE) != 0 && (attr & A_S) != 0;
        readable = usable && (!code || (attr & A_RW) != 0);
        writable = usable && !code && (attr & A_RW) != 0 && (attr & A_S) != 0;
        if (!code && (attr & A_DC) != 0 && (attr & A_S) != 0) {
            lo = limit + 1;
            hi = (attr & A_DB) != 0 ? 0xFFFF_FFFFL : 0xFFFF;
        } else {
            lo = 0;
            hi = limit;
        }
        flat = base == 0 && lo == 0 && hi == 0xFFFF_FFFFL && readable && writable && big();
    }

    public int dpl() {
        return (attr >>> 5) & 3;
    }

    public boolean big() {
        return (attr & A_DB) != 0;
    }

    /** Sets the cache as a real-mode (or v86) load of {@code sel} does. */
    void loadReal(int sel) {
        selector = sel & 0xFFFF;
        base = (long) selector << 4;
    }

    void set(int sel, long base, long limit, int attr) {
        this.selector = sel & 0xFFFF;
        this.base = base;
        this.limit = limit;
        this.attr = attr;
        this.usable = true;
        refresh();
    }

    void copyFrom(Segment o) {
        selector = o.selector;
        base = o.base;
        limit = o.limit;
        attr = o.attr;
        usable = o.usable;
        refresh();
    }

    @Override
    public String toString() {
        return String.format("%04x base=%08x limit=%08x attr=%04x%s", selector, base, limit, attr, usable ? "" : " unusable");
    }
}

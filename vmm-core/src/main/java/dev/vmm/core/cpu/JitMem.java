package dev.vmm.core.cpu;

import java.lang.foreign.ValueLayout;

/**
 * The memory accesses of compiled blocks ({@link JitEmit}). The fast path, an access within the
 * segment's limits and within one page that the JIT's TLB ({@link Mmu#jitRTag}, {@link Mmu#jitWTag})
 * maps to RAM for this kind of access and privilege, reads or writes guest RAM directly; anything
 * else (a miss, a page crossing, MMIO, ROM, a code page, a fault) takes the interpreter's path
 * through the interpreter ({@link Miss}), which does the same with every check, and then enters the
 * page in the JIT's TLB if it qualifies.
 *
 * <p>Compiled blocks run only while no debug register is active, so the data breakpoints the full
 * path checks cannot fire here. The segment is the CPU's own {@link Segment} object (a constant of
 * the compiled block).
 *
 * <p>As the fast path neither writes code nor touches devices, the block need not check for a code
 * write or an interrupt hint after its accesses.
 */
final class JitMem {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    private JitMem() {
    }

    /** The physical address of a {@code size}-byte read at {@code s:off} if the fast path may do it, else -1. */
    private static long readPa(Cpu c, Segment s, long off, int size) {
        long lin = (s.base + off) & 0xFFFF_FFFFL;
        if (!s.readable || off < s.lo || off + size - 1 > s.hi || (lin & 0xFFF) > 0x1000 - size) {
            return -1;
        }
        Mmu m = c.mmu;
        int k = (int) (lin >>> 12) & (m.jitRTag.length - 1);
        if (m.jitRTag[k] != ((lin >>> 12) | (c.cpl == 3 ? Mmu.USER_TAG : 0))) {
            return -1;
        }
        return m.jitRPa[k] | (lin & 0xFFF);
    }

    /** As {@link #readPa}, for a write. */
    private static long writePa(Cpu c, Segment s, long off, int size) {
        long lin = (s.base + off) & 0xFFFF_FFFFL;
        if (!s.writable || off < s.lo || off + size - 1 > s.hi || (lin & 0xFFF) > 0x1000 - size) {
            return -1;
        }
        Mmu m = c.mmu;
        int k = (int) (lin >>> 12) & (m.jitWTag.length - 1);
        if (m.jitWTag[k] != ((lin >>> 12) | (c.cpl == 3 ? Mmu.USER_TAG : 0))) {
            return -1;
        }
        return m.jitWPa[k] | (lin & 0xFFF);
    }

    /**
     * Thrown (preallocated, without stack trace) when an access cannot take the fast path. The
     * compiled block catches it, rewinds to the instruction's start (nothing of it has happened: the
     * inline forms write registers, memory and flags only after their last access) and runs that
     * instruction in the interpreter ({@link JitOps#miss}), which also fills the JIT's TLB, then
     * leaves. The fast path thus never merges with a call, and HotSpot keeps the block's state in
     * machine registers across its accesses.
     */
    static final class Miss extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Miss() {
            super(null, null, false, false);
        }
    }

    static long read8(Cpu c, Segment s, long off) {
        long pa = readPa(c, s, off, 1);
        if (pa >= 0) {
            return c.mmu.ram.get(ValueLayout.JAVA_BYTE, pa) & 0xFF;
        }
        throw c.mmu.jitMiss;
    }

    static long read16(Cpu c, Segment s, long off) {
        long pa = readPa(c, s, off, 2);
        if (pa >= 0) {
            return c.mmu.ram.get(U16, pa) & 0xFFFF;
        }
        throw c.mmu.jitMiss;
    }

    static long read32(Cpu c, Segment s, long off) {
        long pa = readPa(c, s, off, 4);
        if (pa >= 0) {
            return c.mmu.ram.get(U32, pa) & 0xFFFF_FFFFL;
        }
        throw c.mmu.jitMiss;
    }

    static void write8(Cpu c, Segment s, long off, long v) {
        long pa = writePa(c, s, off, 1);
        if (pa >= 0) {
            c.mmu.ram.set(ValueLayout.JAVA_BYTE, pa, (byte) v);
            return;
        }
        throw c.mmu.jitMiss;
    }

    static void write16(Cpu c, Segment s, long off, long v) {
        long pa = writePa(c, s, off, 2);
        if (pa >= 0) {
            c.mmu.ram.set(U16, pa, (short) v);
            return;
        }
        throw c.mmu.jitMiss;
    }

    static void write32(Cpu c, Segment s, long off, long v) {
        long pa = writePa(c, s, off, 4);
        if (pa >= 0) {
            c.mmu.ram.set(U32, pa, (int) v);
            return;
        }
        throw c.mmu.jitMiss;
    }
}

package dev.vmm.core.cpu;

import dev.vmm.core.memory.PhysicalMemory;
import java.lang.foreign.ValueLayout;

/**
 * The memory accesses of compiled blocks ({@link JitEmit}): a fast path for the common case, an
 * access within the segment's limits to a RAM page whose translation the TLB holds with the needed
 * rights (and, for a write, a page without decoded code), that reads or writes guest RAM directly;
 * anything else (a miss, a page crossing, MMIO, ROM, a code page, a fault) takes the interpreter's
 * path ({@link Cpu#read}, {@link Cpu#write}), which does the same with every check.
 *
 * <p>Compiled blocks run only while no debug register is active, so the data breakpoints the full
 * path checks cannot fire here.
 */
final class JitMem {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    private JitMem() {
    }

    /** The physical address of a {@code size}-byte read at {@code sg:off} within one RAM page, or -1. */
    private static long readPa(Cpu c, int sg, long off, int size) {
        Segment s = c.seg[sg];
        if (!s.readable || off < s.lo || off + size - 1 > s.hi) {
            return -1;
        }
        long lin = (s.base + off) & 0xFFFF_FFFFL;
        if ((lin & 0xFFF) > 0x1000 - size) {
            return -1;
        }
        long pa = c.mmu.fastPa(lin, c.cpl == 3 ? Mmu.NEED_USER : 0);
        return pa >= 0 && (c.mmu.mem().kind(pa) & 0xF) == PhysicalMemory.RAM ? pa : -1;
    }

    /** The physical address of a {@code size}-byte write at {@code sg:off} within one RAM page without code, or -1. */
    private static long writePa(Cpu c, int sg, long off, int size) {
        Segment s = c.seg[sg];
        if (!s.writable || off < s.lo || off + size - 1 > s.hi) {
            return -1;
        }
        long lin = (s.base + off) & 0xFFFF_FFFFL;
        if ((lin & 0xFFF) > 0x1000 - size) {
            return -1;
        }
        long pa = c.mmu.fastPa(lin, c.cpl == 3 ? Mmu.NEED_WRITE | Mmu.NEED_USER : Mmu.NEED_WRITE);
        return pa >= 0 && c.mmu.mem().kind(pa) == PhysicalMemory.RAM ? pa : -1;
    }

    static long read8(Cpu c, int sg, long off) {
        long pa = readPa(c, sg, off, 1);
        return pa >= 0 ? c.mmu.mem().ram().get(ValueLayout.JAVA_BYTE, pa) & 0xFF : c.read8(sg, off);
    }

    static long read16(Cpu c, int sg, long off) {
        long pa = readPa(c, sg, off, 2);
        return pa >= 0 ? c.mmu.mem().ram().get(U16, pa) & 0xFFFF : c.read16(sg, off);
    }

    static long read32(Cpu c, int sg, long off) {
        long pa = readPa(c, sg, off, 4);
        return pa >= 0 ? c.mmu.mem().ram().get(U32, pa) & 0xFFFF_FFFFL : c.read32(sg, off);
    }

    static void write8(Cpu c, int sg, long off, long v) {
        long pa = writePa(c, sg, off, 1);
        if (pa >= 0) {
            c.mmu.mem().ram().set(ValueLayout.JAVA_BYTE, pa, (byte) v);
        } else {
            c.write(sg, off, 1, v);
        }
    }

    static void write16(Cpu c, int sg, long off, long v) {
        long pa = writePa(c, sg, off, 2);
        if (pa >= 0) {
            c.mmu.mem().ram().set(U16, pa, (short) v);
        } else {
            c.write(sg, off, 2, v);
        }
    }

    static void write32(Cpu c, int sg, long off, long v) {
        long pa = writePa(c, sg, off, 4);
        if (pa >= 0) {
            c.mmu.mem().ram().set(U32, pa, (int) v);
        } else {
            c.write(sg, off, 4, v);
        }
    }
}

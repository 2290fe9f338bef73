package dev.vmm.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.vmm.core.memory.PhysicalMemory;

/**
 * The memory accesses of compiled blocks ({@link JitEmit}). The fast path, an access within the
 * segment's limits and within one page that the JIT's TLB ({@link Mmu#jitRTag}, {@link Mmu#jitWTag})
 * maps to RAM for this kind of access and privilege, reads or writes guest RAM directly; anything
 * else (a miss, a page crossing, MMIO, ROM, a code page, a fault) takes the interpreter's path
 * through the interpreter ({@link Miss}), which does the same with every check, and then enters the
 * page in the JIT's TLB if it qualifies.
 *
 * <p>Compiled blocks run only while no debug register is active, so the data breakpoints the full
 * path checks cannot fire here. The segment (the CPU's own {@link Segment} object), the JIT TLB's
 * arrays and guest RAM are constants of the compiled block, so that HotSpot folds their addresses
 * and lengths into the code; the privilege tag is a local the block sets at entry (nothing that
 * changes the CPL runs inside a compiled region).
 *
 * <p>As the fast path neither writes code nor touches devices, the block need not check for a code
 * write or an interrupt hint after its accesses.
 */
final class JitMem {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** The one {@link Miss}: it carries nothing (no message, no stack trace, no suppressed exceptions). */
    static final Miss MISS = new Miss();

    /**
     * Where the physical accesses' window of RAM starts ({@link #read32p}): below 1 MiB lie the
     * legacy holes (VGA memory, option ROMs, the BIOS), which the full path handles.
     */
    static final long LOW_RAM = 0x10_0000;

    private JitMem() {
    }

    /**
     * The linear address of a {@code size}-byte access at {@code s:off} if the segment allows it
     * ({@code ok}: its readable or writable bit, the offset within its limits), else throws {@link #MISS}.
     */
    private static long linear(Segment s, boolean ok, long off, int size) {
        if (!ok || off < s.lo || off + size - 1 > s.hi) {
            throw MISS;
        }
        return (s.base + off) & 0xFFFF_FFFFL;
    }

    /**
     * The physical address of a {@code size}-byte access at linear address {@code lin} if the fast
     * path may do it through the JIT TLB {@code tag}/{@code pa} ({@link Mmu#jitRTag} and
     * {@link Mmu#jitRPa} for reads, the write ones for writes) with the privilege tag {@code user} (0
     * or {@link Mmu#USER_TAG}): within one page that the TLB maps. Else -1.
     */
    private static long pa(long[] tag, long[] pa, long lin, int size, long user) {
        if ((lin & 0xFFF) > 0x1000 - size) {
            return -1;
        }
        int k = (int) (lin >>> 12) & (tag.length - 1);
        if (tag[k] != ((lin >>> 12) | user)) {
            return -1;
        }
        return pa[k] | (lin & 0xFFF);
    }

    /**
     * Throws {@link #MISS} unless {@code s} is still {@link Segment#flat}. A region whose accesses
     * through a segment were compiled for a flat one checks this once at entry: nothing that runs
     * inside a region loads a segment register (such instructions end their block and do not chain).
     */
    static void requireFlat(Segment s) {
        if (!s.flat) {
            throw MISS;
        }
    }

    /**
     * Throws {@link #MISS} unless linear addresses are still physical ones ({@link Mmu#physical}) and
     * the physical layout is still the one of count {@code layout} ({@link Mmu#jitLayout}). A region
     * compiled with physical accesses checks this once at entry: nothing that runs inside a region
     * writes CR0 or moves the A20 gate (such instructions end their block and do not chain), and a
     * device that changes the layout does so between blocks.
     */
    static void requirePhysical(Mmu m, int layout) {
        if (!m.physical() || m.jitLayout != layout) {
            throw MISS;
        }
    }

    /**
     * True if a {@code size}-byte access at physical address {@code pa} lies within the window of
     * RAM from {@link #LOW_RAM} that is {@code span} bytes long (a constant of the compiled code).
     */
    private static boolean inWindow(long pa, int size, long span) {
        return Long.compareUnsigned(pa - LOW_RAM, span - size) <= 0;
    }

    /**
     * True if a {@code size}-byte write at {@code pa}, within the window, may go to RAM directly:
     * it stays within one page, and that page is RAM without decoded code ({@code kinds}, the page
     * kinds of {@link dev.vmm.core.memory.PhysicalMemory#pageKinds}).
     */
    private static boolean writable(byte[] kinds, long pa, int size, long span) {
        return inWindow(pa, size, span) && (pa & 0xFFF) <= 0x1000 - size
                && kinds[(int) (pa >>> 12)] == PhysicalMemory.RAM;
    }

    /**
     * True if the code at {@code cs:c.rip} is block {@code t}, at physical address {@code pa}, as a
     * lookup would find it: the JIT TLB ({@code tag}/{@code tpa}, the read ones) maps rip's linear page
     * at privilege tag {@code user} to {@code t}'s page (so the main TLB holds that translation with
     * read rights, which are the execute rights while EFER.NXE is clear), and {@code t} is still the
     * page's block there ({@link Block#home}). The offset in the page is right by construction: a
     * member's rip differs from the head's by what their linear addresses differed when the region
     * was made, and translation keeps the offset in the page. The mode and the CS limit the region
     * checks itself. A compiled region enters its members on other pages than its head's only
     * through this check ({@link Jit}).
     */
    static boolean codeAt(long[] tag, long[] tpa, Segment cs, Cpu c, long user, long pa, Block t) {
        long lin = (cs.base + c.rip) & 0xFFFF_FFFFL;
        int k = (int) (lin >>> 12) & (tag.length - 1);
        return tag[k] == ((lin >>> 12) | user) && tpa[k] == (pa & ~0xFFFL) && t.home != null
                && (c.efer & Cpu.EFER_NXE) == 0;
    }

    /**
     * True if the linear page after rip's ({@code cs:c.rip}) leads to {@code tail}, the page a
     * crossing block's last bytes came from ({@link Block#tail}), as {@link #codeAt} checks a page:
     * through the JIT TLB, which the code cache fills for that page when it looks such a block up.
     * The block's bytes there are still those decoded, or a write there would have dropped it.
     */
    static boolean tailAt(long[] tag, long[] tpa, Segment cs, Cpu c, long user, long tail) {
        long next = ((((cs.base + c.rip) & 0xFFFF_FFFFL) >>> 12) + 1) & 0xF_FFFF;
        int k = (int) next & (tag.length - 1);
        return tag[k] == (next | user) && tpa[k] == tail && (c.efer & Cpu.EFER_NXE) == 0;
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

    static long read8(long[] tag, long[] tpa, MemorySegment ram, Segment s, long off, long user) {
        return read8f(tag, tpa, ram, linear(s, s.readable, off, 1), user);
    }

    static long read16(long[] tag, long[] tpa, MemorySegment ram, Segment s, long off, long user) {
        return read16f(tag, tpa, ram, linear(s, s.readable, off, 2), user);
    }

    static long read32(long[] tag, long[] tpa, MemorySegment ram, Segment s, long off, long user) {
        return read32f(tag, tpa, ram, linear(s, s.readable, off, 4), user);
    }

    /** A 32-bit stack write at {@code ss:off} ({@link #write32}), if SS is a 32-bit stack segment (else the full path). */
    static void push32(long[] tag, long[] tpa, MemorySegment ram, Segment ss, long off, long v, long user) {
        if (!ss.big()) {
            throw MISS;
        }
        write32(tag, tpa, ram, ss, off, v, user);
    }

    /** A 32-bit stack read at {@code ss:off} ({@link #read32}), if SS is a 32-bit stack segment (else the full path). */
    static long pop32(long[] tag, long[] tpa, MemorySegment ram, Segment ss, long off, long user) {
        if (!ss.big()) {
            throw MISS;
        }
        return read32(tag, tpa, ram, ss, off, user);
    }

    static void write8(long[] tag, long[] tpa, MemorySegment ram, Segment s, long off, long v, long user) {
        write8f(tag, tpa, ram, linear(s, s.writable, off, 1), v, user);
    }

    static void write16(long[] tag, long[] tpa, MemorySegment ram, Segment s, long off, long v, long user) {
        write16f(tag, tpa, ram, linear(s, s.writable, off, 2), v, user);
    }

    static void write32(long[] tag, long[] tpa, MemorySegment ram, Segment s, long off, long v, long user) {
        write32f(tag, tpa, ram, linear(s, s.writable, off, 4), v, user);
    }

    // The accesses at a linear address: through a flat segment (checked at the region's entry,
    // requireFlat), where the offset (at most 32 bits, as every offset compiled code computes) is
    // the linear address, and for the accesses above after their segment checks.

    static long read8f(long[] tag, long[] tpa, MemorySegment ram, long lin, long user) {
        long pa = pa(tag, tpa, lin, 1, user);
        if (pa >= 0) {
            return ram.get(ValueLayout.JAVA_BYTE, pa) & 0xFF;
        }
        throw MISS;
    }

    static long read16f(long[] tag, long[] tpa, MemorySegment ram, long lin, long user) {
        long pa = pa(tag, tpa, lin, 2, user);
        if (pa >= 0) {
            return ram.get(U16, pa) & 0xFFFF;
        }
        throw MISS;
    }

    static long read32f(long[] tag, long[] tpa, MemorySegment ram, long lin, long user) {
        long pa = pa(tag, tpa, lin, 4, user);
        if (pa >= 0) {
            return ram.get(U32, pa) & 0xFFFF_FFFFL;
        }
        throw MISS;
    }

    static void write8f(long[] tag, long[] tpa, MemorySegment ram, long lin, long v, long user) {
        long pa = pa(tag, tpa, lin, 1, user);
        if (pa >= 0) {
            ram.set(ValueLayout.JAVA_BYTE, pa, (byte) v);
            return;
        }
        throw MISS;
    }

    static void write16f(long[] tag, long[] tpa, MemorySegment ram, long lin, long v, long user) {
        long pa = pa(tag, tpa, lin, 2, user);
        if (pa >= 0) {
            ram.set(U16, pa, (short) v);
            return;
        }
        throw MISS;
    }

    static void write32f(long[] tag, long[] tpa, MemorySegment ram, long lin, long v, long user) {
        long pa = pa(tag, tpa, lin, 4, user);
        if (pa >= 0) {
            ram.set(U32, pa, (int) v);
            return;
        }
        throw MISS;
    }

    // The accesses of a region compiled while linear addresses were physical ones (paging off, A20
    // on: requirePhysical), through a flat segment: within the window of RAM above 1 MiB, known
    // when the region was compiled, the linear address is the offset in guest RAM, without the
    // TLB; outside it (the first MiB, devices) they take the TLB's path above.

    static long read8p(long[] tag, long[] tpa, MemorySegment ram, long lin, long user, long span) {
        return inWindow(lin, 1, span) ? ram.get(ValueLayout.JAVA_BYTE, lin) & 0xFF : read8f(tag, tpa, ram, lin, user);
    }

    static long read16p(long[] tag, long[] tpa, MemorySegment ram, long lin, long user, long span) {
        return inWindow(lin, 2, span) ? ram.get(U16, lin) & 0xFFFF : read16f(tag, tpa, ram, lin, user);
    }

    static long read32p(long[] tag, long[] tpa, MemorySegment ram, long lin, long user, long span) {
        return inWindow(lin, 4, span) ? ram.get(U32, lin) & 0xFFFF_FFFFL : read32f(tag, tpa, ram, lin, user);
    }

    static void write8p(long[] tag, long[] tpa, MemorySegment ram, byte[] kinds, long lin, long v, long user, long span) {
        if (writable(kinds, lin, 1, span)) {
            ram.set(ValueLayout.JAVA_BYTE, lin, (byte) v);
        } else {
            write8f(tag, tpa, ram, lin, v, user);
        }
    }

    static void write16p(long[] tag, long[] tpa, MemorySegment ram, byte[] kinds, long lin, long v, long user, long span) {
        if (writable(kinds, lin, 2, span)) {
            ram.set(U16, lin, (short) v);
        } else {
            write16f(tag, tpa, ram, lin, v, user);
        }
    }

    static void write32p(long[] tag, long[] tpa, MemorySegment ram, byte[] kinds, long lin, long v, long user, long span) {
        if (writable(kinds, lin, 4, span)) {
            ram.set(U32, lin, (int) v);
        } else {
            write32f(tag, tpa, ram, lin, v, user);
        }
    }
}

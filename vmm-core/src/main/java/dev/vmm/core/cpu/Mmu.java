package dev.vmm.core.cpu;

import dev.vmm.core.memory.PhysicalMemory;
import java.lang.foreign.ValueLayout;

/**
 * Linear-to-physical translation: 2-level paging with PSE (and PSE-36), PAE with NX, global pages,
 * accessed/dirty bits, CR0.WP, precise #PF error codes and CR2; and a direct-mapped software TLB.
 *
 * <p>A TLB entry caches one 4 KiB translation with its combined rights. The fast path of a lookup
 * is one tag compare plus a rights test; anything else (miss, first write to a clean page, a
 * rights violation) walks the tables, which raises the fault precisely. The data accesses of the
 * interpreter ({@link #read32} and the others) try the JIT's TLB ({@link #jitRTag}) first: a hit
 * reads or writes guest RAM directly.
 */
public final class Mmu {
    static final int READ = 0;
    static final int WRITE = 1;
    static final int EXEC = 2;

    private static final int TLB_BITS = 10;
    private static final int TLB_SIZE = 1 << TLB_BITS;
    // Entry rights bits.
    private static final int T_USER = 1;
    private static final int T_WRITE = 2;
    private static final int T_DIRTY = 4;
    private static final int T_NX = 8;
    private static final int T_GLOBAL = 16;
    private static final int T_LARGE = 32;
    private static final long MAXPHY_MASK = (1L << 36) - 1;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long PAE_RESERVED = ~MAXPHY_MASK & 0x7FFF_FFFF_FFFF_FFFFL;

    private final Cpu cpu;
    private final PhysicalMemory mem;
    private final long[] tag = new long[TLB_SIZE];
    private final long[] phys = new long[TLB_SIZE];
    private final int[] rights = new int[TLB_SIZE];
    private boolean largeCached;
    private final long[] pdpte = new long[4];
    long a20Mask = -1L;
    /** Bumped by every TLB flush or invalidation: caches of translations (the code fetch's) compare it. */
    int epoch;

    /**
     * The JIT's TLB ({@link JitMem}): per TLB index, the tag {@code vpn | USER_TAG (user access)} of a
     * translation the main TLB holds with read (write) rights for that privilege, to a RAM page
     * (without decoded code, for writes), and its physical page. Always a subset of the main TLB:
     * every flush, invalidation or refill of an index clears it there.
     */
    final long[] jitRTag = new long[TLB_SIZE];
    final long[] jitRPa = new long[TLB_SIZE];
    final long[] jitWTag = new long[TLB_SIZE];
    final long[] jitWPa = new long[TLB_SIZE];
    static final long USER_TAG = 1L << 40;
    /** Counts the changes of the physical layout (pages that became or stopped being RAM), see {@link JitMem#requirePhysical}. */
    int jitLayout;
    /** {@link #jitWindow}, as found at layout count {@link #windowLayout}. */
    private long window;
    private int windowLayout = -1;
    /** Guest RAM, for the JIT's direct accesses. */
    final java.lang.foreign.MemorySegment ram;

    Mmu(Cpu cpu, PhysicalMemory mem) {
        this.cpu = cpu;
        this.mem = mem;
        this.ram = mem.ram();
        mem.setLayoutListener(() -> {     // a page that stopped being RAM must leave the JIT's TLB and window
            jitFlush();
            jitLayout++;
        });
        flushAll();
    }

    /** True if linear addresses are physical addresses: paging is off and the A20 gate is open. */
    boolean physical() {
        return (cpu.cr0 & Cpu.CR0_PG) == 0 && a20Mask == -1L;
    }

    /**
     * The length of the window of RAM from {@link JitMem#LOW_RAM}: the pages from there on that are
     * RAM (with or without decoded code), up to the first that is not. 0 if there is none.
     */
    long jitWindow() {
        if (windowLayout != jitLayout) {
            long pa = JitMem.LOW_RAM;
            while (mem.ramOffset(pa) >= 0) {
                pa += 4096;
            }
            window = pa - JitMem.LOW_RAM;
            windowLayout = jitLayout;
        }
        return window;
    }

    PhysicalMemory mem() {
        return mem;
    }

    // ---- TLB maintenance ------------------------------------------------------------------

    public void flushAll() {
        java.util.Arrays.fill(tag, -1L);
        jitFlush();
        largeCached = false;
        epoch++;
    }

    /** A CR3 load: drops every entry but global ones (when CR4.PGE is on). */
    public void flushNonGlobal() {
        boolean pge = (cpu.cr4 & Cpu.CR4_PGE) != 0;
        epoch++;
        jitFlush();
        for (int k = 0; k < TLB_SIZE; k++) {
            if (!pge || (rights[k] & T_GLOBAL) == 0) {
                tag[k] = -1L;
            }
        }
    }

    /** INVLPG: drops the translation of {@code lin} (all entries if a large page may cover it). */
    public void invalidate(long lin) {
        if (largeCached) {
            flushAll();
            return;
        }
        int k = (int) (lin >>> 12) & (TLB_SIZE - 1);
        epoch++;
        if (tag[k] == lin >>> 12) {
            tag[k] = -1L;
        }
        jitRTag[k] = -1L;
        jitWTag[k] = -1L;
    }

    /** Loads the four PAE page-directory-pointer entries from CR3 (done on CR3/CR0/CR4 writes). */
    void loadPdptes() {
        long base = cpu.cr3 & 0xFFFF_FFE0L;
        for (int k = 0; k < 4; k++) {
            pdpte[k] = mem.read64((base + k * 8L) & a20Mask);
        }
    }

    // ---- translation ------------------------------------------------------------------------

    /** Translates {@code lin} for an access of kind {@code acc} at user privilege {@code user}. */
    long translate(long lin, int acc, boolean user) {
        if ((cpu.cr0 & Cpu.CR0_PG) == 0) {
            return lin & a20Mask;
        }
        long vpn = lin >>> 12;
        int k = (int) vpn & (TLB_SIZE - 1);
        if (tag[k] == vpn) {
            int r = rights[k];
            if (allowed(r, acc, user)) {
                return phys[k] | (lin & 0xFFF);
            }
        }
        return walk(lin, acc, user);
    }

    private boolean allowed(int r, int acc, boolean user) {
        if (user && (r & T_USER) == 0) {
            return false;
        }
        return switch (acc) {
            case WRITE -> (r & T_DIRTY) != 0 && ((r & T_WRITE) != 0 || (!user && (cpu.cr0 & Cpu.CR0_WP) == 0));
            case EXEC -> (r & T_NX) == 0;
            default -> true;
        };
    }

    private void jitFlush() {
        java.util.Arrays.fill(jitRTag, -1L);
        java.util.Arrays.fill(jitWTag, -1L);
    }

    /**
     * After an access through the full path: enters {@code lin}'s page in the JIT's TLB if the main
     * TLB (or the absence of paging) gives it the rights of that access at that privilege and the
     * page is RAM (without decoded code, for a write).
     */
    void jitFill(long lin, boolean write, boolean user) {
        long vpn = lin >>> 12;
        int k = (int) vpn & (TLB_SIZE - 1);
        long page;
        if ((cpu.cr0 & Cpu.CR0_PG) == 0) {
            page = (lin & a20Mask) & ~0xFFFL;
        } else if (tag[k] == vpn && allowed(rights[k], write ? WRITE : READ, user)) {
            page = phys[k];
        } else {
            return;
        }
        int kind = mem.kind(page);
        long t = vpn | (user ? USER_TAG : 0);
        if (write) {
            if (kind == PhysicalMemory.RAM) {
                jitWTag[k] = t;
                jitWPa[k] = page;
            }
        } else if ((kind & 0xF) == PhysicalMemory.RAM) {
            jitRTag[k] = t;
            jitRPa[k] = page;
        }
    }

    /** A page now holds decoded code: writes to it must take the full path (its write listener). */
    void jitCodePage(long pa) {
        long page = pa & ~0xFFFL;
        for (int k = 0; k < TLB_SIZE; k++) {
            if (jitWPa[k] == page) {
                jitWTag[k] = -1L;
            }
        }
    }

    private long walk(long lin, int acc, boolean user) {
        boolean pae = (cpu.cr4 & Cpu.CR4_PAE) != 0;
        boolean nxe = (cpu.efer & Cpu.EFER_NXE) != 0;
        long leaf;
        long leafAddr;
        long pdeAddr = -1;
        long pde;
        long pageBase;
        boolean large;
        int r;
        boolean wide = pae;
        if (pae) {
            long p = pdpte[(int) (lin >>> 30) & 3];
            if ((p & 1) == 0) {
                throw pageFault(lin, acc, user, 0);
            }
            if ((p & (PAE_RESERVED | 0x1E6L | (1L << 63))) != 0) {
                throw pageFault(lin, acc, user, 1 | 8);
            }
            pdeAddr = ((p & MAXPHY_MASK & ~0xFFFL) + ((lin >>> 21) & 0x1FF) * 8) & a20Mask;
            pde = mem.read64(pdeAddr);
            if ((pde & 1) == 0) {
                throw pageFault(lin, acc, user, 0);
            }
            long rsvd = PAE_RESERVED | (nxe ? 0 : 1L << 63);
            large = (pde & 0x80) != 0;
            if (large) {
                rsvd |= 0x1FE000L;
            }
            if ((pde & rsvd) != 0) {
                throw pageFault(lin, acc, user, 1 | 8);
            }
            if (large) {
                leaf = pde;
                leafAddr = pdeAddr;
                pageBase = (pde & MAXPHY_MASK & ~0x1FFFFFL) | (lin & 0x1FF000L);
                r = rightsOf(pde, pde, nxe);
            } else {
                leafAddr = ((pde & MAXPHY_MASK & ~0xFFFL) + ((lin >>> 12) & 0x1FF) * 8) & a20Mask;
                leaf = mem.read64(leafAddr);
                if ((leaf & 1) == 0) {
                    throw pageFault(lin, acc, user, 0);
                }
                if ((leaf & (PAE_RESERVED | (nxe ? 0 : 1L << 63))) != 0) {
                    throw pageFault(lin, acc, user, 1 | 8);
                }
                pageBase = leaf & MAXPHY_MASK & ~0xFFFL;
                r = rightsOf(pde, leaf, nxe);
            }
        } else {
            pdeAddr = ((cpu.cr3 & 0xFFFF_F000L) + ((lin >>> 22) & 0x3FF) * 4) & a20Mask;
            pde = mem.read32(pdeAddr) & 0xFFFF_FFFFL;
            if ((pde & 1) == 0) {
                throw pageFault(lin, acc, user, 0);
            }
            large = (pde & 0x80) != 0 && (cpu.cr4 & Cpu.CR4_PSE) != 0;
            if (large) {
                if ((pde & 0x200000L) != 0 || ((pde >>> 13) & 0xFF) > 0xF) {
                    throw pageFault(lin, acc, user, 1 | 8);
                }
                leaf = pde;
                leafAddr = pdeAddr;
                pageBase = (pde & 0xFFC0_0000L) | ((pde >>> 13) & 0xF) << 32 | (lin & 0x3FF000L);
                r = rightsOf(pde, pde, false);
            } else {
                leafAddr = ((pde & 0xFFFF_F000L) + ((lin >>> 12) & 0x3FF) * 4) & a20Mask;
                leaf = mem.read32(leafAddr) & 0xFFFF_FFFFL;
                if ((leaf & 1) == 0) {
                    throw pageFault(lin, acc, user, 0);
                }
                pageBase = leaf & 0xFFFF_F000L;
                r = rightsOf(pde, leaf, false);
            }
        }
        // Rights check (D not yet considered).
        int need = r | T_DIRTY;
        if (!allowed(need, acc, user)) {
            throw pageFault(lin, acc, user, 1);
        }
        // Accessed and dirty bits.
        if ((pde & 0x20) == 0 && !large) {
            setBit(pdeAddr, wide, 0x20);
        }
        long set = 0x20 | (acc == WRITE ? 0x40 : 0);
        if ((leaf & set) != set) {
            setBit(leafAddr, wide, set);
            leaf |= set;
        }
        if ((leaf & 0x40) != 0) {
            r |= T_DIRTY;
        }
        if (large) {
            r |= T_LARGE;
            largeCached = true;
        }
        long vpn = lin >>> 12;
        int k = (int) vpn & (TLB_SIZE - 1);
        tag[k] = vpn;
        jitRTag[k] = -1L;
        jitWTag[k] = -1L;
        phys[k] = pageBase & a20Mask;
        rights[k] = r;
        return (pageBase | (lin & 0xFFF)) & a20Mask;
    }

    private int rightsOf(long pde, long leaf, boolean nxe) {
        int r = 0;
        if ((pde & leaf & 4) != 0) {
            r |= T_USER;
        }
        if ((pde & leaf & 2) != 0) {
            r |= T_WRITE;
        }
        if (nxe && ((pde | leaf) & (1L << 63)) != 0) {
            r |= T_NX;
        }
        if ((leaf & 0x100) != 0 && (cpu.cr4 & Cpu.CR4_PGE) != 0) {
            r |= T_GLOBAL;
        }
        return r;
    }

    private void setBit(long addr, boolean wide, long bit) {
        if (wide) {
            mem.write64(addr, mem.read64(addr) | bit);
        } else {
            mem.write32(addr, mem.read32(addr) | (int) bit);
        }
    }

    private CpuFault pageFault(long lin, int acc, boolean user, int bits) {
        int err = bits;
        if (acc == WRITE) {
            err |= 2;
        }
        if (user) {
            err |= 4;
        }
        if (acc == EXEC && (cpu.efer & Cpu.EFER_NXE) != 0 && (cpu.cr4 & Cpu.CR4_PAE) != 0) {
            err |= 16;
        }
        cpu.cr2 = lin;
        return cpu.fault(Exceptions.PF, err);
    }

    // ---- linear accesses --------------------------------------------------------------------

    /** Fetches one instruction byte at {@code lin} (offset {@code ip} in CS), checking the CS limit. */
    int read8Exec(long lin, boolean user, long ip, Segment cs) {
        if (ip > cs.limit) {
            throw cpu.gp(0);
        }
        return mem.read8(translate(lin & 0xFFFF_FFFFL, EXEC, user));
    }

    // The data accesses below first try the JIT's TLB (jitRTag/jitWTag): a hit is a page the main
    // TLB maps with this access's rights at this privilege to RAM (without decoded code, for a
    // write), so guest RAM is read or written directly, as the full path would. Anything else takes
    // the full path, which afterwards enters the page in the JIT's TLB if it qualifies.

    /** The JIT TLB's tag of {@code lin}'s page at privilege {@code user}. */
    private static long jitTag(long lin, boolean user) {
        return (lin >>> 12) | (user ? USER_TAG : 0);
    }

    /** The physical address the JIT's TLB gives a write at {@code lin} (plain RAM), or -1 if it has no entry for it. */
    long jitWritable(long lin, boolean user) {
        int k = jitIndex(lin);
        return jitWTag[k] == jitTag(lin, user) ? jitWPa[k] | (lin & 0xFFF) : -1;
    }

    /** The physical address the JIT's TLB gives a read at {@code lin} (RAM), or -1 if it has no entry for it. */
    long jitReadable(long lin, boolean user) {
        int k = jitIndex(lin);
        return jitRTag[k] == jitTag(lin, user) ? jitRPa[k] | (lin & 0xFFF) : -1;
    }

    private static int jitIndex(long lin) {
        return (int) (lin >>> 12) & (TLB_SIZE - 1);
    }

    int read8(long lin, boolean user) {
        int k = jitIndex(lin);
        if (jitRTag[k] == jitTag(lin, user)) {
            return ram.get(ValueLayout.JAVA_BYTE, jitRPa[k] | (lin & 0xFFF)) & 0xFF;
        }
        int v = mem.read8(translate(lin, READ, user));
        jitFill(lin, false, user);
        return v;
    }

    int read16(long lin, boolean user) {
        int k = jitIndex(lin);
        if (jitRTag[k] == jitTag(lin, user) && (lin & 0xFFF) <= 0xFFE) {
            return ram.get(U16, jitRPa[k] | (lin & 0xFFF)) & 0xFFFF;
        }
        return read16Slow(lin, user);
    }

    private int read16Slow(long lin, boolean user) {
        if ((lin & 0xFFF) == 0xFFF) {
            long p0 = translate(lin, READ, user);
            long p1 = translate((lin + 1) & 0xFFFF_FFFFL, READ, user);
            return mem.read8(p0) | mem.read8(p1) << 8;
        }
        int v = mem.read16(translate(lin, READ, user));
        jitFill(lin, false, user);
        return v;
    }

    int read32(long lin, boolean user) {
        int k = jitIndex(lin);
        if (jitRTag[k] == jitTag(lin, user) && (lin & 0xFFF) <= 0xFFC) {
            return ram.get(U32, jitRPa[k] | (lin & 0xFFF));
        }
        return read32Slow(lin, user);
    }

    private int read32Slow(long lin, boolean user) {
        if ((lin & 0xFFF) > 0xFFC) {
            return (int) crossRead(lin, 4, user);
        }
        int v = mem.read32(translate(lin, READ, user));
        jitFill(lin, false, user);
        return v;
    }

    long read64(long lin, boolean user) {
        int k = jitIndex(lin);
        if (jitRTag[k] == jitTag(lin, user) && (lin & 0xFFF) <= 0xFF8) {
            return ram.get(U64, jitRPa[k] | (lin & 0xFFF));
        }
        return read64Slow(lin, user);
    }

    private long read64Slow(long lin, boolean user) {
        if ((lin & 0xFFF) > 0xFF8) {
            return crossRead(lin, 8, user);
        }
        long v = mem.read64(translate(lin, READ, user));
        jitFill(lin, false, user);
        return v;
    }

    private long crossRead(long lin, int size, boolean user) {
        int first = (int) (0x1000 - (lin & 0xFFF));
        long p0 = translate(lin, READ, user);
        long p1 = translate((lin + first) & 0xFFFF_FFFFL, READ, user);
        long v = 0;
        for (int k = 0; k < size; k++) {
            long pa = k < first ? p0 + k : p1 + (k - first);
            v |= (long) mem.read8(pa) << (8 * k);
        }
        return v;
    }

    void write8(long lin, int v, boolean user) {
        int k = jitIndex(lin);
        if (jitWTag[k] == jitTag(lin, user)) {
            ram.set(ValueLayout.JAVA_BYTE, jitWPa[k] | (lin & 0xFFF), (byte) v);
            return;
        }
        mem.write8(translate(lin, WRITE, user), v);
        jitFill(lin, true, user);
    }

    void write16(long lin, int v, boolean user) {
        int k = jitIndex(lin);
        if (jitWTag[k] == jitTag(lin, user) && (lin & 0xFFF) <= 0xFFE) {
            ram.set(U16, jitWPa[k] | (lin & 0xFFF), (short) v);
            return;
        }
        write16Slow(lin, v, user);
    }

    private void write16Slow(long lin, int v, boolean user) {
        if ((lin & 0xFFF) == 0xFFF) {
            crossWrite(lin, 2, v, user);
            return;
        }
        mem.write16(translate(lin, WRITE, user), v);
        jitFill(lin, true, user);
    }

    void write32(long lin, int v, boolean user) {
        int k = jitIndex(lin);
        if (jitWTag[k] == jitTag(lin, user) && (lin & 0xFFF) <= 0xFFC) {
            ram.set(U32, jitWPa[k] | (lin & 0xFFF), v);
            return;
        }
        write32Slow(lin, v, user);
    }

    private void write32Slow(long lin, int v, boolean user) {
        if ((lin & 0xFFF) > 0xFFC) {
            crossWrite(lin, 4, v & 0xFFFF_FFFFL, user);
            return;
        }
        mem.write32(translate(lin, WRITE, user), v);
        jitFill(lin, true, user);
    }

    void write64(long lin, long v, boolean user) {
        int k = jitIndex(lin);
        if (jitWTag[k] == jitTag(lin, user) && (lin & 0xFFF) <= 0xFF8) {
            ram.set(U64, jitWPa[k] | (lin & 0xFFF), v);
            return;
        }
        write64Slow(lin, v, user);
    }

    private void write64Slow(long lin, long v, boolean user) {
        if ((lin & 0xFFF) > 0xFF8) {
            crossWrite(lin, 8, v, user);
            return;
        }
        mem.write64(translate(lin, WRITE, user), v);
        jitFill(lin, true, user);
    }

    /** A write that spans two pages: both are translated (and may fault) before any byte is written. */
    private void crossWrite(long lin, int size, long v, boolean user) {
        int first = (int) (0x1000 - (lin & 0xFFF));
        long p0 = translate(lin, WRITE, user);
        long p1 = translate((lin + first) & 0xFFFF_FFFFL, WRITE, user);
        for (int k = 0; k < size; k++) {
            long pa = k < first ? p0 + k : p1 + (k - first);
            mem.write8(pa, (int) (v >>> (8 * k)));
        }
    }

    /** Checks that {@code size} bytes at {@code lin} are writable, without writing (for precise multi-part writes). */
    void probeWrite(long lin, int size, boolean user) {
        translate(lin, WRITE, user);
        if (((lin & 0xFFF) + size - 1) > 0xFFF) {
            translate(((lin | 0xFFF) + 1) & 0xFFFF_FFFFL, WRITE, user);   // a fault reports the page's first byte
        }
    }

    /** Checks that {@code size} bytes at {@code lin} are readable. */
    void probeRead(long lin, int size, boolean user) {
        translate(lin, READ, user);
        if (((lin & 0xFFF) + size - 1) > 0xFFF) {
            translate(((lin | 0xFFF) + 1) & 0xFFFF_FFFFL, READ, user);
        }
    }
}

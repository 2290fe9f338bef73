package dev.vmm.core.memory;

import dev.vmm.core.bus.MmioBus;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The guest physical address space: RAM from address 0, ROMs and MMIO regions laid over it, and
 * unmapped holes that read all ones.
 *
 * <p>Each 4 KiB page below {@link #pageLimit()} has a kind byte; the fast path for plain RAM is one
 * array lookup. Pages that hold decoded guest code carry the {@link #CODE} bit: a write to such a
 * page notifies the code-write listener (the CPU drops its decoded instructions for the page) and
 * clears the bit.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final int UNMAPPED = 0;
    public static final int RAM = 1;
    public static final int ROM = 2;
    public static final int MMIO = 3;
    /** Bit set in a page's kind while decoded instructions of that page are cached. */
    public static final int CODE = 0x10;
    private static final int KIND = 0x0F;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private final Ram ram;
    private final MemorySegment ramSeg;
    private final long ramSize;
    private final byte[] kinds;
    private final MmioBus mmio = new MmioBus();
    private final List<RomRegion> roms = new ArrayList<>();
    private LongConsumer codeWriteListener = page -> { };
    private Runnable layoutListener = () -> { };

    private record RomRegion(long base, MemorySegment data) {
    }

    private PhysicalMemory(long ramSize) {
        this.ram = Ram.allocate(ramSize);
        this.ramSeg = ram.segment();
        this.ramSize = ramSize;
        long limit = Math.max(ramSize, 1L << 32);
        this.kinds = new byte[(int) (limit >>> 12)];
        for (int p = 0; p < (int) (ramSize >>> 12); p++) {
            kinds[p] = RAM;
        }
    }

    /** Creates an address space with {@code ramSize} bytes of RAM at physical address 0. */
    public static PhysicalMemory create(long ramSize) {
        return new PhysicalMemory(ramSize);
    }

    public MemorySegment ram() {
        return ramSeg;
    }

    public long ramSize() {
        return ramSize;
    }

    public MmioBus mmio() {
        return mmio;
    }

    /** Pages at or above this limit (in bytes) are unmapped. */
    public long pageLimit() {
        return (long) kinds.length << 12;
    }

    /** Maps a read-only copy of {@code image} at {@code base} (page aligned), shadowing RAM. */
    public void addRom(long base, byte[] image) {
        if ((base & 0xFFF) != 0) {
            throw new IllegalArgumentException("ROM base must be page aligned");
        }
        long size = (image.length + 0xFFFL) & ~0xFFFL;
        byte[] padded = new byte[(int) size];
        System.arraycopy(image, 0, padded, 0, image.length);
        roms.add(new RomRegion(base, MemorySegment.ofArray(padded)));
        setKind(base, size, ROM);
    }

    /** Registers an MMIO region, shadowing RAM. */
    public void addMmio(long base, long size, String name, dev.vmm.core.bus.MmioDevice device) {
        mmio.register(base, size, name, device);
        setKind(base & ~0xFFFL, ((base + size + 0xFFF) & ~0xFFFL) - (base & ~0xFFFL), MMIO);
    }

    /**
     * Removes an MMIO region added with {@link #addMmio}: its pages show again what lies beneath
     * (another MMIO region sharing the page, a ROM, RAM, or nothing). Decoded code of those pages
     * is dropped, as their contents may have changed behind the device.
     */
    public void removeMmio(long base, long size) {
        mmio.unregister(base, size);
        for (long a = base & ~0xFFFL; a < base + size; a += 4096) {
            int p = (int) (a >>> 12);
            if (p >= kinds.length) {
                break;
            }
            kinds[p] = (byte) underlyingKind(a);
            codeWriteListener.accept(a);
        }
        layoutListener.run();
    }

    private int underlyingKind(long page) {
        for (MmioBus.Region r : mmio.regions()) {
            if (r.base() < page + 4096 && page < r.base() + r.length()) {
                return MMIO;
            }
        }
        for (RomRegion r : roms) {
            if (page >= r.base() && page < r.base() + r.data().byteSize()) {
                return ROM;
            }
        }
        return page < ramSize ? RAM : UNMAPPED;
    }

    private void setKind(long base, long size, int kind) {
        for (long a = base; a < base + size; a += 4096) {
            int p = (int) (a >>> 12);
            if (p < kinds.length) {
                kinds[p] = (byte) kind;
            }
        }
        layoutListener.run();
    }

    /**
     * The kind of every page by page number, as {@link #kind} gives it: the array itself, for the
     * JIT's compiled writes to check a page at the cost of one load. Callers must not change it.
     */
    public byte[] pageKinds() {
        return kinds;
    }

    /** The kind of the page holding {@code pa} (one of the constants, possibly with {@link #CODE}). */
    public int kind(long pa) {
        long p = pa >>> 12;
        return p < kinds.length ? kinds[(int) p] : UNMAPPED;
    }

    /** RAM offset of {@code pa} if its page is plain RAM (code bit allowed), else -1. */
    public long ramOffset(long pa) {
        return (kind(pa) & KIND) == RAM ? pa : -1;
    }

    /** Sets the listener told about writes to pages marked {@link #CODE}. */
    public void setCodeWriteListener(LongConsumer listener) {
        this.codeWriteListener = listener;
    }

    /**
     * Sets the listener told after the kind of a page changed (an MMIO region added or removed, a
     * ROM added): caches of which pages are RAM (the CPU's direct RAM accesses) must forget them.
     */
    public void setLayoutListener(Runnable listener) {
        this.layoutListener = listener;
    }

    /** Marks the page of {@code pa} as holding decoded code. */
    public void markCode(long pa) {
        long p = pa >>> 12;
        if (p < kinds.length) {
            kinds[(int) p] |= CODE;
        }
    }

    /** True if the page holding {@code pa} holds decoded code. */
    public boolean isCode(long pa) {
        return (kind(pa) & CODE) != 0;
    }

    private void codeWritten(long pa) {
        int p = (int) (pa >>> 12);
        kinds[p] &= ~CODE;
        codeWriteListener.accept(pa & ~0xFFFL);
    }

    // ---- reads ------------------------------------------------------------------------------

    public int read8(long pa) {
        int k = kind(pa) & KIND;
        if (k == RAM) {
            return ramSeg.get(ValueLayout.JAVA_BYTE, pa) & 0xFF;
        }
        return (int) slowRead(pa, 1, k);
    }

    public int read16(long pa) {
        if ((pa & 0xFFF) <= 0xFFE) {
            int k = kind(pa) & KIND;
            if (k == RAM) {
                return ramSeg.get(U16, pa) & 0xFFFF;
            }
            return (int) slowRead(pa, 2, k);
        }
        return read8(pa) | read8(pa + 1) << 8;
    }

    public int read32(long pa) {
        if ((pa & 0xFFF) <= 0xFFC) {
            int k = kind(pa) & KIND;
            if (k == RAM) {
                return ramSeg.get(U32, pa);
            }
            return (int) slowRead(pa, 4, k);
        }
        return read16(pa) | read16(pa + 2) << 16;
    }

    public long read64(long pa) {
        if ((pa & 0xFFF) <= 0xFF8) {
            int k = kind(pa) & KIND;
            if (k == RAM) {
                return ramSeg.get(U64, pa);
            }
            return slowRead(pa, 8, k);
        }
        return (read32(pa) & 0xFFFFFFFFL) | (long) read32(pa + 4) << 32;
    }

    private long slowRead(long pa, int size, int kind) {
        switch (kind) {
            case ROM -> {
                for (RomRegion r : roms) {
                    long off = pa - r.base();
                    if (off >= 0 && off + size <= r.data().byteSize()) {
                        return switch (size) {
                            case 1 -> r.data().get(ValueLayout.JAVA_BYTE, off) & 0xFF;
                            case 2 -> r.data().get(U16, off) & 0xFFFF;
                            case 4 -> r.data().get(U32, off) & 0xFFFFFFFFL;
                            default -> r.data().get(U64, off);
                        };
                    }
                }
                return ones(size);
            }
            case MMIO -> {
                MmioBus.Region r = mmio.find(pa);
                return r == null ? ones(size) : r.device().mmioRead(pa - r.base(), size) & mask(size);
            }
            default -> {
                return ones(size);
            }
        }
    }

    // ---- writes -----------------------------------------------------------------------------

    public void write8(long pa, int v) {
        int k = kind(pa);
        if (k == RAM) {
            ramSeg.set(ValueLayout.JAVA_BYTE, pa, (byte) v);
            return;
        }
        slowWrite(pa, 1, v, k);
    }

    public void write16(long pa, int v) {
        if ((pa & 0xFFF) <= 0xFFE) {
            int k = kind(pa);
            if (k == RAM) {
                ramSeg.set(U16, pa, (short) v);
                return;
            }
            slowWrite(pa, 2, v, k);
            return;
        }
        write8(pa, v);
        write8(pa + 1, v >>> 8);
    }

    public void write32(long pa, int v) {
        if ((pa & 0xFFF) <= 0xFFC) {
            int k = kind(pa);
            if (k == RAM) {
                ramSeg.set(U32, pa, v);
                return;
            }
            slowWrite(pa, 4, v & 0xFFFFFFFFL, k);
            return;
        }
        write16(pa, v);
        write16(pa + 2, v >>> 16);
    }

    public void write64(long pa, long v) {
        if ((pa & 0xFFF) <= 0xFF8) {
            int k = kind(pa);
            if (k == RAM) {
                ramSeg.set(U64, pa, v);
                return;
            }
            slowWrite(pa, 8, v, k);
            return;
        }
        write32(pa, (int) v);
        write32(pa + 4, (int) (v >>> 32));
    }

    private void slowWrite(long pa, int size, long v, int kind) {
        if ((kind & CODE) != 0) {
            codeWritten(pa);
            kind &= KIND;
            if (kind == RAM) {
                switch (size) {
                    case 1 -> ramSeg.set(ValueLayout.JAVA_BYTE, pa, (byte) v);
                    case 2 -> ramSeg.set(U16, pa, (short) v);
                    case 4 -> ramSeg.set(U32, pa, (int) v);
                    default -> ramSeg.set(U64, pa, v);
                }
                return;
            }
        }
        if (kind == MMIO) {
            MmioBus.Region r = mmio.find(pa);
            if (r != null) {
                r.device().mmioWrite(pa - r.base(), size, v & mask(size));
            }
        }
        // ROM and unmapped: writes are dropped, as on real boards.
    }

    /**
     * Writes {@code data} to guest physical memory from {@code pa} as byte writes would (loaders):
     * a page of plain RAM without decoded code in one copy, any other page byte by byte
     * ({@link #write8}: a code page's instructions are dropped, ROM and holes ignore it, MMIO gets
     * the bytes).
     */
    public void load(long pa, byte[] data) {
        int i = 0;
        while (i < data.length) {
            long a = pa + i;
            int n = (int) Math.min(data.length - i, 0x1000 - (a & 0xFFF));
            if (kind(a) == RAM) {
                MemorySegment.copy(data, i, ramSeg, ValueLayout.JAVA_BYTE, a, n);
            } else {
                for (int k = 0; k < n; k++) {
                    write8(a + k, data[i + k]);
                }
            }
            i += n;
        }
    }

    private static long ones(int size) {
        return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }

    private static long mask(int size) {
        return ones(size);
    }

    @Override
    public void close() {
        ram.close();
    }
}

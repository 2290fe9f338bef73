package dev.vmm.firmware.linux;

import dev.vmm.core.memory.PhysicalMemory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One entry of the BIOS E820 memory map as the loader needs it: {@code [base, base + length)} of
 * {@code type} ({@link #USABLE}, {@link #RESERVED}, {@link #ACPI}, {@link #NVS}, ...). A record
 * with these three accessors implements it as is.
 */
public interface E820Entry {
    int USABLE = 1;
    int RESERVED = 2;
    int ACPI = 3;
    int NVS = 4;
    int UNUSABLE = 5;

    long base();

    long length();

    int type();

    default long end() {
        return base() + length();
    }

    static E820Entry of(long base, long length, int type) {
        return new Simple(base, length, type);
    }

    /**
     * A plain PC map for {@code ramSize} bytes of RAM at 0 when no firmware tables are built:
     * conventional memory below the EBDA, the EBDA and BIOS area reserved, RAM from 1 MiB.
     */
    static List<E820Entry> defaultMap(long ramSize) {
        return List.of(
                of(0, 0x9FC00, USABLE),
                of(0x9FC00, 0x400, RESERVED),
                of(0xF0000, 0x10000, RESERVED),
                of(0x100000, ramSize - 0x100000, USABLE));
    }

    /**
     * The usable RAM {@code map} offers, below 4 GiB and {@code ramSize}, with every non-usable
     * entry cut out (in case entries overlap), sorted, as [start, end) pairs.
     */
    static List<long[]> usableRanges(List<? extends E820Entry> map, long ramSize) {
        long top = Math.min(1L << 32, ramSize);
        List<long[]> out = new ArrayList<>();
        for (E820Entry e : map) {
            if (e.type() == USABLE && e.length() > 0) {
                long s = Math.max(0, e.base());
                long t = Math.min(top, e.end());
                if (s < t) {
                    out.add(new long[] {s, t});
                }
            }
        }
        for (E820Entry e : map) {
            if (e.type() != USABLE && e.length() > 0) {
                List<long[]> next = new ArrayList<>();
                for (long[] r : out) {
                    if (e.end() <= r[0] || e.base() >= r[1]) {
                        next.add(r);
                        continue;
                    }
                    if (r[0] < e.base()) {
                        next.add(new long[] {r[0], e.base()});
                    }
                    if (e.end() < r[1]) {
                        next.add(new long[] {e.end(), r[1]});
                    }
                }
                out = next;
            }
        }
        out.sort(Comparator.comparingLong(r -> r[0]));
        return out;
    }

    /** The plain implementation. */
    record Simple(long base, long length, int type) implements E820Entry {
    }

    /**
     * Checks that {@code [base, base+size)} lies in one of the {@code usable} ranges (from
     * {@link #usableRanges}) and that every page of it is guest RAM; a loader calls this before it
     * writes anything there.
     *
     * @throws KernelLoadException naming {@code what} when it does not
     */
    static void requireUsable(PhysicalMemory mem, List<long[]> usable, long base, long size, String what) {
        long end = base + size;
        boolean inMap = usable.stream().anyMatch(r -> r[0] <= base && end <= r[1]);
        if (!inMap) {
            long top = usable.isEmpty() ? 0 : usable.getLast()[1];
            throw new KernelLoadException(String.format(
                    "%s at 0x%x-0x%x is not in usable RAM (usable RAM below 4 GiB ends at 0x%x)", what, base, end,
                    top));
        }
        for (long a = base & ~0xFFFL; a < end; a += 0x1000) {
            if ((mem.kind(a) & 0x0F) != PhysicalMemory.RAM) {
                throw new KernelLoadException(String.format(
                        "%s at 0x%x-0x%x overlaps a non-RAM page at 0x%x although the memory map calls it usable",
                        what, base, end, a));
            }
        }
    }
}

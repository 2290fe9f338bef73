package dev.vmm.core.bus;

import java.util.ArrayList;
import java.util.List;

/**
 * Memory-mapped I/O regions of the physical address space. Regions never overlap; lookups are a
 * linear scan over a handful of regions sorted by base (machines have few MMIO regions).
 */
public final class MmioBus {
    /** A claimed region. */
    public record Region(long base, long length, String name, MmioDevice device) {
        boolean contains(long addr) {
            return addr - base >= 0 && addr - base < length;
        }
    }

    private Region[] regions = new Region[0];

    /** Claims {@code [base, base+length)} for {@code device}; overlapping claims are refused. */
    public void register(long base, long length, String name, MmioDevice device) {
        if (length <= 0) {
            throw new IllegalArgumentException("empty MMIO region: " + name);
        }
        for (Region r : regions) {
            if (base < r.base() + r.length() && r.base() < base + length) {
                throw new IllegalArgumentException(String.format(
                        "MMIO region %s at 0x%x overlaps %s at 0x%x", name, base, r.name(), r.base()));
            }
        }
        List<Region> list = new ArrayList<>(List.of(regions));
        list.add(new Region(base, length, name, device));
        list.sort((a, b) -> Long.compareUnsigned(a.base(), b.base()));
        regions = list.toArray(Region[]::new);
    }

    /** Releases the region registered at exactly {@code base} with {@code length}. */
    public void unregister(long base, long length) {
        List<Region> list = new ArrayList<>(List.of(regions));
        if (!list.removeIf(r -> r.base() == base && r.length() == length)) {
            throw new IllegalArgumentException(String.format("no MMIO region at 0x%x of 0x%x bytes", base, length));
        }
        regions = list.toArray(Region[]::new);
    }

    /** The region containing {@code addr}, or null. */
    public Region find(long addr) {
        for (Region r : regions) {
            if (r.contains(addr)) {
                return r;
            }
        }
        return null;
    }

    public List<Region> regions() {
        return List.of(regions);
    }
}

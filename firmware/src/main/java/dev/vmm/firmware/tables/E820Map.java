package dev.vmm.firmware.tables;

import dev.vmm.devices.apic.IoApic;
import dev.vmm.devices.apic.LocalApic;
import dev.vmm.devices.hpet.Hpet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The BIOS memory map (INT 15h E820, and the Linux zero page's e820_table) of the board:
 * <pre>
 *   0 - 0x9FC00                 usable
 *   0x9FC00 - 0xA0000           reserved (EBDA)
 *   0xF0000 - 0x100000          reserved (BIOS)
 *   0x100000 - table region     usable
 *   table region                ACPI NVS (the FACS page), then ACPI reclaimable
 *   after the region - RAM top  usable (if any)
 *   0xFEC00000 + 4 KiB          reserved (I/O APIC)
 *   0xFED00000 + 4 KiB          reserved (HPET)
 *   0xFEE00000 + 4 KiB          reserved (local APIC)
 *   0xFFFC0000 - 0x100000000    reserved (BIOS flash)
 * </pre>
 * RAM must end below the PCI hole (at most 0xE0000000); memory above 4 GiB is not described.
 */
public record E820Map(List<Entry> entries) {
    public static final int RAM = 1;
    public static final int RESERVED = 2;
    public static final int ACPI = 3;
    public static final int NVS = 4;
    public static final int ENTRY_SIZE = 20;
    public static final long EBDA = 0x9FC00;
    public static final long MAX_RAM = 0xE000_0000L;

    /** One range. */
    public record Entry(long base, long length, int type) {
        public long end() {
            return base + length;
        }
    }

    public E820Map {
        entries = List.copyOf(entries);
    }

    /**
     * The map for {@code ramBytes} of RAM with the ACPI tables of {@code layout}, which must lie in
     * RAM above 1 MiB.
     */
    public static E820Map of(long ramBytes, TableLayout layout) {
        return of(ramBytes, layout.regionBase(), layout.nvsLength(), layout.reclaimLength());
    }

    /** The map with an ACPI region of {@code nvsLength} NVS bytes then {@code acpiLength} reclaimable ones. */
    public static E820Map of(long ramBytes, long regionBase, long nvsLength, long acpiLength) {
        long regionEnd = regionBase + nvsLength + acpiLength;
        if (ramBytes < 0x20_0000 || ramBytes > MAX_RAM) {
            throw new IllegalArgumentException("RAM must be 2 MiB..3.5 GiB: " + ramBytes);
        }
        if (regionBase < 0x10_0000 || regionEnd > ramBytes) {
            throw new IllegalArgumentException("ACPI region must lie in RAM above 1 MiB");
        }
        List<Entry> e = new ArrayList<>();
        e.add(new Entry(0, EBDA, RAM));
        e.add(new Entry(EBDA, 0xA0000 - EBDA, RESERVED));
        e.add(new Entry(0xF0000, 0x10000, RESERVED));
        e.add(new Entry(0x10_0000, regionBase - 0x10_0000, RAM));
        e.add(new Entry(regionBase, nvsLength, NVS));
        e.add(new Entry(regionBase + nvsLength, acpiLength, ACPI));
        e.add(new Entry(regionEnd, ramBytes - regionEnd, RAM));
        e.add(new Entry(IoApic.DEFAULT_BASE, 0x1000, RESERVED));
        e.add(new Entry(Hpet.DEFAULT_BASE, 0x1000, RESERVED));
        e.add(new Entry(LocalApic.DEFAULT_BASE, 0x1000, RESERVED));
        e.add(new Entry(0xFFFC_0000L, 0x4_0000, RESERVED));
        e.removeIf(x -> x.length() == 0);
        e.sort(Comparator.comparingLong(Entry::base));
        return new E820Map(e);
    }

    /** The entries in the 20-byte E820 format: base (8), length (8), type (4), little-endian. */
    public byte[] toBytes() {
        ByteSink s = new ByteSink();
        for (Entry x : entries) {
            s.u64(x.base()).u64(x.length()).u32(x.type());
        }
        return s.toArray();
    }

    /** Bytes of usable RAM. */
    public long usableBytes() {
        return entries.stream().filter(x -> x.type() == RAM).mapToLong(Entry::length).sum();
    }
}

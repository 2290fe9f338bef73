package dev.vmm.firmware.tables;

import dev.vmm.core.memory.PhysicalMemory;
import java.util.List;

/**
 * The board's firmware tables as one consistent set, the same whichever way the guest boots:
 * the ACPI tables (RSDP at {@link #RSDP_ADDRESS}, the other tables in the last
 * {@link AcpiTables#REGION_SIZE} bytes of RAM), the MP floating pointer and configuration table at
 * {@link #MP_ADDRESS}, and the E820 map that reserves them (0xF0000-0xFFFFF reserved, the table
 * region ACPI NVS then ACPI reclaimable). Both addresses lie in the 0xE0000-0xFFFFF area that
 * operating systems scan for the RSDP and the MP floating pointer.
 *
 * @param ramBytes the RAM the tables describe (at most {@link E820Map#MAX_RAM})
 * @param acpi     the ACPI tables
 * @param mpTable  the MP floating pointer followed by the configuration table
 * @param e820     the memory map
 */
public record FirmwareTables(long ramBytes, TableLayout acpi, byte[] mpTable, E820Map e820) {
    /** Where the RSDP lives: the first bytes of the BIOS segment. */
    public static final long RSDP_ADDRESS = 0xF0000;
    /** Where the MP floating pointer and table live. */
    public static final long MP_ADDRESS = 0xF1000;

    public FirmwareTables {
        mpTable = mpTable.clone();
    }

    @Override
    public byte[] mpTable() {
        return mpTable.clone();
    }

    /** The tables for a board with {@code ramBytes} of RAM (more than {@link E820Map#MAX_RAM} is not described). */
    public static FirmwareTables build(long ramBytes, PirqRouting pirq) {
        long ram = Math.min(ramBytes, E820Map.MAX_RAM);
        long regionBase = ram - AcpiTables.REGION_SIZE;
        AcpiTables.Config config = new AcpiTables.Config(ram, pirq, List.of(true, false, false, false));
        TableLayout acpi = AcpiTables.build(config, regionBase, RSDP_ADDRESS);
        return new FirmwareTables(ram, acpi, MpTable.build(MP_ADDRESS, pirq), E820Map.of(ram, acpi));
    }

    /** Copies the ACPI table region into RAM (the RSDP and MP table go wherever the caller maps the BIOS area). */
    public void writeRegion(PhysicalMemory mem) {
        mem.load(acpi.regionBase(), acpi.region());
    }

    /**
     * Writes every table into RAM: the RSDP and the MP table into the BIOS area (for a boot
     * without a BIOS ROM there, such as a kernel loaded directly), and the ACPI region.
     */
    public void writeAll(PhysicalMemory mem) {
        for (long a = RSDP_ADDRESS; a < 0x10_0000; a += 0x1000) {
            if ((mem.kind(a) & 0x0F) != PhysicalMemory.RAM) {
                throw new IllegalStateException(String.format("the BIOS area at 0x%x is not RAM", a));
            }
        }
        mem.load(acpi.rsdpAddress(), acpi.rsdp());
        mem.load(MP_ADDRESS, mpTable);
        writeRegion(mem);
    }
}

package dev.vmm.firmware.boot;

import dev.vmm.devices.board.PcBoard;
import dev.vmm.firmware.linux.E820Entry;
import dev.vmm.firmware.tables.FirmwareTables;
import dev.vmm.firmware.tables.PirqRouting;
import java.util.List;

/**
 * What a boot without the BIOS (a kernel loaded straight into memory) still needs from the
 * firmware, so that the guest sees the same platform as after the BIOS: the ACPI tables (RSDP in
 * the 0xE0000-0xFFFFF area Linux scans, the others at the top of RAM), the MP table, the chipset's
 * interrupt routing that those tables describe, and the E820 map that reserves the tables.
 */
public final class DirectBoot {
    private DirectBoot() {
    }

    /**
     * Writes the firmware tables into {@code board}'s RAM and sets the chipset up.
     *
     * @return the tables (their {@link FirmwareTables#e820()} is the map to give the kernel)
     */
    public static FirmwareTables prepare(PcBoard board) {
        FirmwareTables t = FirmwareTables.build(board.config().memoryBytes(), PirqRouting.SEABIOS);
        t.writeAll(board.memory());
        Chipset.configure(board.pci(), board.io(), PirqRouting.SEABIOS);
        return t;
    }

    /** The map of {@code tables} in the loaders' form. */
    public static List<E820Entry> e820(FirmwareTables tables) {
        return tables.e820().entries().stream()
                .map(e -> E820Entry.of(e.base(), e.length(), e.type()))
                .toList();
    }
}

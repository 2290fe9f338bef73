package dev.vmm.firmware.tables;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the ACPI tables live and what to copy there: the RSDP (in the BIOS area, found by the OS's
 * scan of 0xE0000-0xFFFFF) and one contiguous table region. The region starts with one 4 KiB page
 * of ACPI NVS holding the FACS; the other tables follow in ACPI reclaimable memory.
 *
 * @param rsdpAddress   physical address of the RSDP (16-byte aligned)
 * @param rsdp          the 36-byte RSDP
 * @param regionBase    physical address of the table region (4 KiB aligned)
 * @param region        the table region's bytes (length a multiple of 4 KiB)
 * @param nvsLength     bytes at the start of the region that are ACPI NVS (the FACS page)
 * @param tableAddress  each table's address by signature ("FACS", "DSDT", "FACP", "APIC", "HPET", "RSDT", "XSDT")
 */
public record TableLayout(long rsdpAddress, byte[] rsdp, long regionBase, byte[] region, long nvsLength,
                          Map<String, Long> tableAddress) {

    public TableLayout {
        rsdp = rsdp.clone();
        region = region.clone();
        tableAddress = Collections.unmodifiableMap(new LinkedHashMap<>(tableAddress));
    }

    @Override
    public byte[] rsdp() {
        return rsdp.clone();
    }

    @Override
    public byte[] region() {
        return region.clone();
    }

    /** Start of the ACPI reclaimable part (the tables after the FACS page). */
    public long reclaimBase() {
        return regionBase + nvsLength;
    }

    public long reclaimLength() {
        return region.length - nvsLength;
    }

    public long address(String signature) {
        Long a = tableAddress.get(signature);
        if (a == null) {
            throw new IllegalArgumentException("no table " + signature);
        }
        return a;
    }

    /** A copy of one table's bytes (its length read from its header). */
    public byte[] table(String signature) {
        int off = (int) (address(signature) - regionBase);
        int len = region[off + 4] & 0xFF | (region[off + 5] & 0xFF) << 8 | (region[off + 6] & 0xFF) << 16
                | (region[off + 7] & 0xFF) << 24;
        return Arrays.copyOfRange(region, off, off + len);
    }
}

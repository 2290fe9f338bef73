package dev.vmm.firmware.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.firmware.boot.DirectBoot;
import dev.vmm.firmware.tables.FirmwareTables;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A kernel loaded directly (no BIOS) finds the ACPI and MP tables where Linux looks for them: the
 * RSDP on a 16-byte boundary in 0xE0000-0xFFFFF (ACPI 6.x section 5.2.5.1), the MP floating
 * pointer in the same range (MP spec 1.4 section 4), every table with a zero checksum, and an
 * E820 map in boot_params that reserves them. The walk below is what the kernel's
 * acpi_find_root_pointer and mpparse do.
 */
class DirectBootTablesTest {
    static final long RAM = 64L << 20;

    @Test
    void directKernelBootSeesValidAcpiAndMpTables() {
        ByteArrayOutputStream con = new ByteArrayOutputStream();
        try (PcBoard board = BoardConfig.builder().memory(RAM).deterministic(true).debugExit(true)
                .debugConsole(con).build()) {
            FirmwareTables t = DirectBoot.prepare(board);
            LinuxLoader.load(board.memory(), board.cpu(), BzImage.parse(SyntheticKernel.image()), "acpi=force",
                    (byte[]) null, DirectBoot.e820(t));
            PcBoard.Exit exit = board.run(10_000_000L);
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind());
            assertEquals("Kacpi=force", con.toString(StandardCharsets.US_ASCII), "the kernel ran");
            PhysicalMemory m = board.memory();

            long rsdp = scan(m, "RSD PTR ");
            assertTrue(rsdp >= 0, "RSDP in 0xE0000-0xFFFFF");
            assertEquals(0, sum(m, rsdp, 20), "RSDP checksum (first 20 bytes)");
            assertEquals(2, m.read8(rsdp + 15), "revision 2: XSDT present");
            assertEquals(36, m.read32(rsdp + 20), "RSDP length");
            assertEquals(0, sum(m, rsdp, 36), "RSDP extended checksum");
            long rsdt = m.read32(rsdp + 16) & 0xFFFF_FFFFL;
            long xsdt = m.read64(rsdp + 24);
            assertTable(m, rsdt, "RSDT");
            assertTable(m, xsdt, "XSDT");
            long madt = -1;
            long hpet = -1;
            long fadt = -1;
            int entries = (m.read32(xsdt + 4) - 36) / 8;
            for (int i = 0; i < entries; i++) {
                long a = m.read64(xsdt + 36 + 8L * i);
                String sig = signature(m, a);
                assertTable(m, a, sig);
                switch (sig) {
                    case "APIC" -> madt = a;
                    case "HPET" -> hpet = a;
                    case "FACP" -> fadt = a;
                    default -> { }
                }
            }
            assertTrue(madt > 0 && hpet > 0 && fadt > 0, "MADT, HPET and FADT listed in the XSDT");
            assertTable(m, m.read32(fadt + 40) & 0xFFFF_FFFFL, "DSDT");
            assertEquals(0xFEC00000L, ioApicAddress(m, madt), "the MADT's I/O APIC");
            assertEquals(0xFED00000L, m.read64(hpet + 44), "the HPET's base address");

            long mp = scan(m, "_MP_");
            assertTrue(mp >= 0, "MP floating pointer in 0xE0000-0xFFFFF");
            assertEquals(0, sum(m, mp, 16), "MP floating pointer checksum");
            long mpc = m.read32(mp + 4) & 0xFFFF_FFFFL;
            assertEquals("PCMP", signature(m, mpc));
            assertEquals(0, sum(m, mpc, m.read16(mpc + 4)), "MP configuration table checksum");

            // boot_params' E820 map reserves what the tables occupy.
            long bp = LinuxLoader.BOOT_PARAMS;
            int n = m.read8(bp + 0x1E8);
            assertEquals(2, typeAt(m, bp, n, rsdp), "RSDP area reserved");
            assertEquals(3, typeAt(m, bp, n, xsdt), "XSDT in ACPI reclaimable memory");
            assertEquals(4, typeAt(m, bp, n, m.read32(fadt + 36) & 0xFFFF_FFFFL), "FACS in ACPI NVS");
            assertEquals(1, typeAt(m, bp, n, 0x200000), "RAM at 2 MiB usable");
            // The chipset routes PCI interrupts as the tables say: PIRQA-D = IRQ 10, 10, 11, 11.
            assertEquals(0x0B0B_0A0A, board.pci().configRead(1, 0, 0x60, 4));
        }
    }

    private static long scan(PhysicalMemory m, String sig) {
        for (long a = 0xE0000; a < 0x100000; a += 16) {
            if (signature(m, a, sig.length()).equals(sig)) {
                return a;
            }
        }
        return -1;
    }

    private static void assertTable(PhysicalMemory m, long a, String sig) {
        assertEquals(sig, signature(m, a));
        int len = m.read32(a + 4);
        assertTrue(len >= 36, sig + " length " + len);
        assertEquals(0, sum(m, a, len), sig + " checksum");
    }

    private static long ioApicAddress(PhysicalMemory m, long madt) {
        int len = m.read32(madt + 4);
        for (long p = madt + 44; p < madt + len; p += m.read8(p + 1)) {
            if (m.read8(p) == 1) {
                return m.read32(p + 4) & 0xFFFF_FFFFL;
            }
        }
        return -1;
    }

    private static int typeAt(PhysicalMemory m, long bp, int n, long addr) {
        for (int i = 0; i < n; i++) {
            long e = bp + 0x2D0 + 20L * i;
            long base = m.read64(e);
            if (addr >= base && addr < base + m.read64(e + 8)) {
                return m.read32(e + 16);
            }
        }
        return -1;
    }

    private static String signature(PhysicalMemory m, long a) {
        return signature(m, a, 4);
    }

    private static String signature(PhysicalMemory m, long a, int len) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < len; i++) {
            s.append((char) m.read8(a + i));
        }
        return s.toString();
    }

    private static int sum(PhysicalMemory m, long a, int len) {
        int s = 0;
        for (int i = 0; i < len; i++) {
            s += m.read8(a + i);
        }
        return s & 0xFF;
    }
}

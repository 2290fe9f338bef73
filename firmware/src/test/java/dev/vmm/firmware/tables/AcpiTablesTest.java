package dev.vmm.firmware.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.acpi.AcpiPm;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.hpet.Hpet;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class AcpiTablesTest {
    static final long RAM = 128L << 20;
    static final long BASE = RAM - 0x10000;
    static final long RSDP_AT = 0xF0000;

    static TableLayout layout() {
        return AcpiTables.build(AcpiTables.Config.of(RAM), BASE, RSDP_AT);
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String ascii(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.US_ASCII);
    }

    @Test
    void rsdpChecksumsAndPointers() {
        TableLayout l = layout();
        byte[] r = l.rsdp();
        assertEquals(36, r.length);
        assertEquals("RSD PTR ", ascii(r, 0, 8));
        assertEquals("VMMJVM", ascii(r, 9, 6));
        assertEquals(2, r[15]);
        assertEquals(0, ByteSink.sum(r, 0, 20));
        assertEquals(0, ByteSink.sum(r, 0, 36));
        assertEquals(l.address("RSDT"), le(r).getInt(16) & 0xFFFF_FFFFL);
        assertEquals(36, le(r).getInt(20));
        assertEquals(l.address("XSDT"), le(r).getLong(24));
        assertEquals(RSDP_AT, l.rsdpAddress());
    }

    @Test
    void everyTableHasAValidHeaderAndChecksum() {
        TableLayout l = layout();
        for (String sig : List.of("DSDT", "FACP", "APIC", "HPET", "RSDT", "XSDT")) {
            byte[] t = l.table(sig);
            assertEquals(sig, ascii(t, 0, 4));
            assertEquals(t.length, le(t).getInt(4));
            assertEquals(0, ByteSink.sum(t, 0, t.length), sig + " checksum");
            assertEquals("VMMJVM", ascii(t, 10, 6));
            assertEquals(0, l.address(sig) % 16, sig + " alignment");
        }
        assertEquals(BASE, l.address("FACS"));
        assertEquals(0, l.address("FACS") % 64);
        assertEquals(0, l.region().length % 4096);
        assertEquals(AcpiTables.NVS_SIZE, l.nvsLength());
    }

    @Test
    void rootTablesPointAtFadtMadtHpet() {
        TableLayout l = layout();
        ByteBuffer rsdt = le(l.table("RSDT"));
        ByteBuffer xsdt = le(l.table("XSDT"));
        assertEquals(36 + 12, rsdt.capacity());
        assertEquals(36 + 24, xsdt.capacity());
        List<String> sigs = List.of("FACP", "APIC", "HPET");
        for (int i = 0; i < 3; i++) {
            assertEquals(l.address(sigs.get(i)), rsdt.getInt(36 + 4 * i) & 0xFFFF_FFFFL);
            assertEquals(l.address(sigs.get(i)), xsdt.getLong(36 + 8 * i));
        }
    }

    @Test
    void fadtFields() {
        TableLayout l = layout();
        byte[] f = l.table("FACP");
        ByteBuffer b = le(f);
        assertEquals(244, f.length);
        assertEquals(3, f[8]);
        assertEquals(l.address("FACS"), b.getInt(36));
        assertEquals(l.address("DSDT"), b.getInt(40));
        assertEquals(PcBoard.SCI_IRQ, b.getShort(46));
        assertEquals(0, b.getInt(48));
        assertEquals(PcBoard.PM_BASE, b.getInt(56));
        assertEquals(PcBoard.PM_BASE + 4, b.getInt(64));
        assertEquals(PcBoard.PM_BASE + 8, b.getInt(76));
        assertEquals(PcBoard.PM_BASE + 0x20, b.getInt(80));
        assertEquals(4, f[88]);
        assertEquals(2, f[89]);
        assertEquals(4, f[91]);
        assertEquals(8, f[92]);
        assertEquals(3, b.getShort(109));
        int flags = b.getInt(112);
        assertEquals(0, flags & 1 << 8, "TMR_VAL_EXT must be clear: the PM timer has 24 bits");
        assertTrue((flags & 1 << 10) != 0);
        assertEquals(1, f[116]);
        assertEquals(0xCF9, b.getLong(120));
        assertEquals(6, f[128]);
        assertEquals(l.address("FACS"), b.getLong(132));
        assertEquals(l.address("DSDT"), b.getLong(140));
        assertEquals(PcBoard.PM_BASE, b.getLong(152));
        assertEquals(PcBoard.PM_BASE + AcpiPm.PM_TMR_OFFSET, b.getLong(212));
    }

    @Test
    void madtEntries() {
        byte[] m = layout().table("APIC");
        ByteBuffer b = le(m);
        assertEquals(0xFEE0_0000, b.getInt(36));
        assertEquals(1, b.getInt(40));
        int off = 44;
        int overrides = 0;
        boolean ioapic = false;
        boolean lapic = false;
        while (off < m.length) {
            int type = m[off];
            int len = m[off + 1];
            assertTrue(len > 0);
            switch (type) {
                case 0 -> lapic = m[off + 3] == 0 && b.getInt(off + 4) == 1;
                case 1 -> ioapic = m[off + 2] == 0 && b.getInt(off + 4) == 0xFEC0_0000 && b.getInt(off + 8) == 0;
                case 2 -> {
                    overrides++;
                    int src = m[off + 3];
                    int gsi = b.getInt(off + 4);
                    int flags = b.getShort(off + 8);
                    if (src == 0) {
                        assertEquals(2, gsi);
                        assertEquals(0, flags);
                    } else {
                        assertEquals(src, gsi);
                        assertEquals(0x0D, flags);
                    }
                }
                default -> { }
            }
            off += len;
        }
        assertEquals(m.length, off);
        assertTrue(lapic && ioapic);
        assertEquals(4, overrides); // IRQ0, SCI 9, PIRQ IRQs 10 and 11
    }

    @Test
    void hpetTable() {
        byte[] h = layout().table("HPET");
        ByteBuffer b = le(h);
        assertEquals(56, h.length);
        assertEquals(0x8086A201, b.getInt(36));
        assertEquals((int) Hpet.CAPABILITIES, b.getInt(36));
        assertEquals(0, h[40]);
        assertEquals(Hpet.DEFAULT_BASE, b.getLong(44));
        assertEquals(AcpiTables.HPET_MIN_TICK, b.getShort(53));
    }

    @Test
    void dsdtContainsTheNamesTheOsLooksFor() {
        String aml = new String(layout().table("DSDT"), StandardCharsets.ISO_8859_1);
        for (String n : List.of("PCI0", "_PRT", "_S5_", "ISA_", "RTC_", "KBD_", "MOU_", "COM1", "HPET", "LNKA",
                "LNKD")) {
            assertTrue(aml.contains(n), n);
        }
    }
}

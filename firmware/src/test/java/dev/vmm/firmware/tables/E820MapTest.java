package dev.vmm.firmware.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.firmware.tables.E820Map.Entry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class E820MapTest {
    @Test
    void mapOf128MiB() {
        long ram = 128L << 20;
        TableLayout l = AcpiTables.build(AcpiTables.Config.of(ram), ram - 0x10000, 0xF0000);
        E820Map m = E820Map.of(ram, l);
        long acpiEnd = l.regionBase() + l.region().length;
        assertEquals(List.of(
                new Entry(0, 0x9FC00, E820Map.RAM),
                new Entry(0x9FC00, 0x400, E820Map.RESERVED),
                new Entry(0xF0000, 0x10000, E820Map.RESERVED),
                new Entry(0x100000, l.regionBase() - 0x100000, E820Map.RAM),
                new Entry(l.regionBase(), 0x1000, E820Map.NVS),
                new Entry(l.regionBase() + 0x1000, l.reclaimLength(), E820Map.ACPI),
                new Entry(acpiEnd, ram - acpiEnd, E820Map.RAM),
                new Entry(0xFEC00000L, 0x1000, E820Map.RESERVED),
                new Entry(0xFED00000L, 0x1000, E820Map.RESERVED),
                new Entry(0xFEE00000L, 0x1000, E820Map.RESERVED),
                new Entry(0xFFFC0000L, 0x40000, E820Map.RESERVED)), m.entries());
        for (int i = 1; i < m.entries().size(); i++) {
            assertTrue(m.entries().get(i - 1).end() <= m.entries().get(i).base(), "sorted, no overlap");
        }
        assertEquals(ram - 0x60400 - l.region().length, m.usableBytes());
    }

    @Test
    void zeroPageFormat() {
        E820Map m = E820Map.of(64L << 20, (64L << 20) - 0x4000, 0x1000, 0x3000);
        byte[] b = m.toBytes();
        assertEquals(20 * m.entries().size(), b.length);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, bb.getLong(0));
        assertEquals(0x9FC00, bb.getLong(8));
        assertEquals(1, bb.getInt(16));
        int last = (m.entries().size() - 1) * 20;
        assertEquals(0xFFFC0000L, bb.getLong(last));
        assertEquals(0x40000, bb.getLong(last + 8));
        assertEquals(2, bb.getInt(last + 16));
        // Region flush with the top of RAM: no empty RAM entry after it.
        assertEquals(E820Map.ACPI, m.entries().get(5).type());
        assertEquals(0xFEC00000L, m.entries().get(6).base());
    }

    @Test
    void rejectsRegionsOutsideRam() {
        assertThrows(IllegalArgumentException.class, () -> E820Map.of(64L << 20, 64L << 20, 0x1000, 0x1000));
        assertThrows(IllegalArgumentException.class, () -> E820Map.of(4L << 30, 1L << 30, 0x1000, 0x1000));
    }
}

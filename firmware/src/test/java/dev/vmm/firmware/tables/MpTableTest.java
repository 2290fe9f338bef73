package dev.vmm.firmware.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MpTableTest {
    static final long AT = 0xF0100;

    @Test
    void parsesAsTheSpecSays() {
        byte[] t = MpTable.build(AT, PirqRouting.SEABIOS);
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        // Floating pointer.
        assertEquals("_MP_", new String(t, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(AT + 16, b.getInt(4));
        assertEquals(1, t[8]);
        assertEquals(4, t[9]);
        assertEquals(0, ByteSink.sum(t, 0, 16));
        assertEquals(0, t[11], "feature byte 1: a configuration table is present");
        // Configuration table header.
        int c = 16;
        assertEquals("PCMP", new String(t, c, 4, StandardCharsets.US_ASCII));
        int len = b.getShort(c + 4) & 0xFFFF;
        assertEquals(t.length - 16, len);
        assertEquals(0, ByteSink.sum(t, c, len));
        int count = b.getShort(c + 34);
        assertEquals(0xFEE0_0000, b.getInt(c + 36));
        // Walk the entries.
        int off = c + 44;
        int lastType = 0;
        int processors = 0;
        Map<String, Integer> buses = new HashMap<>();
        Map<Integer, Integer> isa = new HashMap<>();
        Map<Integer, Integer> pci = new HashMap<>();
        int[] lint = {-1, -1};
        for (int i = 0; i < count; i++) {
            int type = t[off];
            assertTrue(type >= lastType, "entries sorted by type");
            lastType = type;
            switch (type) {
                case 0 -> {
                    processors++;
                    assertEquals(3, t[off + 3]);
                    off += 20;
                }
                case 1 -> {
                    buses.put(new String(t, off + 2, 6, StandardCharsets.US_ASCII).trim(), (int) t[off + 1]);
                    off += 8;
                }
                case 2 -> {
                    assertEquals(0, t[off + 1]);
                    assertEquals(1, t[off + 3]);
                    assertEquals(0xFEC0_0000, b.getInt(off + 4));
                    off += 8;
                }
                case 3 -> {
                    assertEquals(0, t[off + 1]);
                    int bus = t[off + 4];
                    int irq = t[off + 5] & 0xFF;
                    int pin = t[off + 7];
                    (bus == 1 ? isa : pci).put(irq, pin);
                    off += 8;
                }
                case 4 -> {
                    lint[t[off + 7]] = t[off + 1];
                    off += 8;
                }
                default -> throw new AssertionError("entry type " + type);
            }
        }
        assertEquals(t.length, off);
        assertEquals(1, processors);
        assertEquals(Map.of("PCI", 0, "ISA", 1), buses);
        assertEquals(15, isa.size());
        assertEquals(2, isa.get(0));
        assertFalse(isa.containsKey(2));
        for (int irq = 1; irq < 16; irq++) {
            if (irq != 2) {
                assertEquals(irq, isa.get(irq));
            }
        }
        assertEquals(31 * 4, pci.size());
        // Slot 1 INTA -> PIRQA (10); slot 2 INTA -> PIRQB (10); slot 3 INTA -> PIRQC (11); slot 1 INTD -> PIRQD.
        assertEquals(10, pci.get(1 << 2));
        assertEquals(10, pci.get(2 << 2));
        assertEquals(11, pci.get(3 << 2));
        assertEquals(11, pci.get(1 << 2 | 3));
        assertEquals(3, lint[0], "LINT0 ExtINT");
        assertEquals(1, lint[1], "LINT1 NMI");
    }
}

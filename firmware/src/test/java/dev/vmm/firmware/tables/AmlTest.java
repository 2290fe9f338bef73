package dev.vmm.firmware.tables;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AmlTest {
    private static byte[] b(int... v) {
        byte[] r = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (byte) v[i];
        }
        return r;
    }

    @Test
    void pkgLengthEncodings() {
        assertArrayEquals(b(0x01), Aml.pkgLength(0));
        assertArrayEquals(b(0x3F), Aml.pkgLength(62));
        // 63 body bytes: two-byte encoding, total 65 = 0x41.
        assertArrayEquals(b(0x41, 0x04), Aml.pkgLength(63));
        // 4093 body + 2 = 4095, the largest two-byte value.
        assertArrayEquals(b(0x4F, 0xFF), Aml.pkgLength(4093));
        // 4094 body + 3 = 4097 = 0x1001.
        assertArrayEquals(b(0x81, 0x00, 0x01), Aml.pkgLength(4094));
        assertArrayEquals(b(0xC0, 0x03, 0x00, 0x01), Aml.pkgLength(0x100000 - 4 + 0x30));
    }

    @Test
    void integersUseTheShortestForm() {
        assertArrayEquals(b(0x00), Aml.integer(0));
        assertArrayEquals(b(0x01), Aml.integer(1));
        assertArrayEquals(b(0xFF), Aml.integer(-1));
        assertArrayEquals(b(0x0A, 0x0B), Aml.integer(0x0B));
        assertArrayEquals(b(0x0B, 0x34, 0x12), Aml.integer(0x1234));
        assertArrayEquals(b(0x0C, 0x00, 0x00, 0x01, 0x00), Aml.integer(0x1_0000));
        assertArrayEquals(b(0x0E, 0, 0, 0, 0, 1, 0, 0, 0), Aml.integer(1L << 32));
    }

    @Test
    void eisaIdAndNames() {
        assertEquals(0x030AD041L, Aml.eisaIdValue("PNP0A03"));
        assertEquals(0x000BD041L, Aml.eisaIdValue("PNP0B00"));
        assertArrayEquals(b('_', 'H', 'I', 'D'), Aml.nameString("_HID"));
        assertArrayEquals(b('I', 'S', 'A', '_'), Aml.nameString("ISA"));
        assertArrayEquals(b(0x5C, '_', 'S', '5', '_'), Aml.nameString("\\_S5"));
        assertArrayEquals(b(0x5C, 0x2E, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'), Aml.nameString("\\_SB.PCI0"));
        assertArrayEquals(b(0x2F, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_'),
                Aml.nameString("A.B.C"));
        assertArrayEquals(b(0x5E, 'L', 'N', 'K', 'A'), Aml.nameString("^LNKA"));
        assertArrayEquals(b(0x5C, 0x00), Aml.nameString("\\"));
        assertThrows(IllegalArgumentException.class, () -> Aml.nameString("TOOLONG"));
    }

    @Test
    void containers() {
        // Name(_S5, Package(){Zero, One}) = 08 '_S5_' 12 04 02 00 01
        assertArrayEquals(b(0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x01),
                Aml.name("_S5", Aml.pkg(Aml.zero(), Aml.one())));
        // Device(DEV) {} = 5B 82 05 'DEV_'
        assertArrayEquals(b(0x5B, 0x82, 0x05, 'D', 'E', 'V', '_'), Aml.device("DEV"));
        // Method(_STA) { Return(0x0F) } = 14 09 '_STA' 00 A4 0A 0F
        assertArrayEquals(b(0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x0A, 0x0F),
                Aml.method("_STA", 0, false, Aml.ret(Aml.integer(15))));
        // ResourceTemplate() { IRQNoFlags() {1} } = 11 08 0A 05 22 02 00 79 00
        assertArrayEquals(b(0x11, 0x08, 0x0A, 0x05, 0x22, 0x02, 0x00, 0x79, 0x00),
                Aml.resourceTemplate(Aml.irqNoFlags(1)));
        assertArrayEquals(b(0x0D, 'h', 'i', 0x00), Aml.string("hi"));
        // A long scope gets a multi-byte PkgLength that counts itself.
        byte[] big = Aml.scope("\\_SB", new byte[100]);
        assertEquals(2 + 1 + 4 + 100, (big[1] & 0x0F | (big[2] & 0xFF) << 4));
    }
}

package dev.vmm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The PIIX3 IDE function: identity, BMIBA (BAR4) and its callback, timing registers. */
class PiixIdeTest {
    private final PciTestBoard b = new PciTestBoard();

    @Test
    void identityAndPowerOnValues() {
        assertEquals(0x7010_8086, b.cfgRead(1, 1, 0x00, 4));
        assertEquals(0x0280_0000, b.cfgRead(1, 1, 0x04, 4), "command 0, status fast b2b + DEVSEL medium");
        assertEquals(0x0101_8000, b.cfgRead(1, 1, 0x08, 4), "class 0101, prog-if 80, rev 00");
        assertEquals(0x0000_0001, b.cfgRead(1, 1, 0x20, 4));
        for (int bar = 0x10; bar < 0x20; bar += 4) {
            b.cfgWrite(1, 1, bar, 4, 0xFFFF_FFFF);
            assertEquals(0, b.cfgRead(1, 1, bar, 4), "compatibility mode: no BAR at 0x" + Integer.toHexString(bar));
        }
    }

    @Test
    void bmibaSizesAs16Ports() {
        b.cfgWrite(1, 1, 0x20, 4, 0xFFFF_FFFF);
        assertEquals(0xFFFF_FFF1, b.cfgRead(1, 1, 0x20, 4), "32-bit sizing pattern: 16 ports");
        assertEquals(List.of(), b.busMasterBases, "the sizing pattern never decodes");
        b.cfgWrite(1, 1, 0x20, 4, 0x0000_C000);
        assertEquals(0x0000_C001, b.cfgRead(1, 1, 0x20, 4));
    }

    @Test
    void busMasterBaseFollowsBmibaAndIoSpaceEnable() {
        b.cfgWrite(1, 1, 0x20, 4, 0xC000);                               // SeaBIOS assigns I/O from 0xC000
        assertEquals(List.of(), b.busMasterBases);
        b.cfgWrite(1, 1, 0x04, 2, 0x0005);                               // I/O space + bus master
        assertEquals(List.of(0xC000), b.busMasterBases);
        assertTrue(b.ide.busMasterEnabled());
        b.cfgWrite(1, 1, 0x21, 1, 0xC1);                                 // byte write to BMIBA bits 15:8
        assertEquals(List.of(0xC000, -1, 0xC100), b.busMasterBases);
        b.cfgWrite(1, 1, 0x04, 2, 0x0004);
        assertEquals(List.of(0xC000, -1, 0xC100, -1), b.busMasterBases);
        assertTrue(b.ide.busMasterEnabled());
        b.cfgWrite(1, 1, 0x04, 2, 0xFFFF);
        assertEquals(0x0005, b.cfgRead(1, 1, 0x04, 2), "memory space is not implemented");
        assertEquals(List.of(0xC000, -1, 0xC100, -1, 0xC100), b.busMasterBases);
        b.pci.reset();
        assertEquals(-1, (int) b.busMasterBases.getLast());
        assertFalse(b.ide.busMasterEnabled());
    }

    @Test
    void timingRegistersAreStored() {
        b.cfgWrite(1, 1, 0x40, 2, 0x8000);                               // SeaBIOS piix_ide_setup
        b.cfgWrite(1, 1, 0x42, 2, 0x8000);
        assertTrue(b.ide.channelDecodeEnabled(0));
        assertTrue(b.ide.channelDecodeEnabled(1));
        b.cfgWrite(1, 1, 0x40, 4, 0xFFFF_FFFF);
        assertEquals(0xF3FF_F3FF, b.cfgRead(1, 1, 0x40, 4), "IDETIM bits 11:10 are reserved");
        b.cfgWrite(1, 1, 0x44, 1, 0x5A);
        assertEquals(0x5A, b.cfgRead(1, 1, 0x44, 1));
        b.cfgWrite(1, 1, 0x42, 2, 0x0000);
        assertFalse(b.ide.channelDecodeEnabled(1));
    }
}

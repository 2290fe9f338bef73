package dev.vmm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Configuration mechanism #1 at 0xCF8/0xCFC, driven as SeaBIOS and Linux drive it. */
class PciBusTest {
    private final PciTestBoard b = new PciTestBoard();

    /** Linux pci_scan_slot / SeaBIOS pci_probe_devices: function 0 first, more only if multi-function. */
    @Test
    void enumerationFindsTheBoardLikeABios() {
        List<String> found = new ArrayList<>();
        for (int dev = 0; dev < 32; dev++) {
            for (int fn = 0; fn < 8; fn++) {
                int id = b.cfgRead(dev, fn, 0x00, 4);
                if ((id & 0xFFFF) == 0xFFFF) {
                    if (fn == 0) {
                        break;
                    }
                    continue;
                }
                int classRev = b.cfgRead(dev, fn, 0x08, 4);
                int header = b.cfgRead(dev, fn, 0x0E, 1);
                found.add(String.format("00:%02x.%d %04x:%04x class %06x rev %02x hdr %02x", dev, fn,
                        id & 0xFFFF, id >>> 16, classRev >>> 8, classRev & 0xFF, header));
                if (fn == 0 && (header & 0x80) == 0) {
                    break;
                }
            }
        }
        assertEquals(List.of(
                "00:00.0 8086:1237 class 060000 rev 02 hdr 00",
                "00:01.0 8086:7000 class 060100 rev 00 hdr 80",
                "00:01.1 8086:7010 class 010180 rev 00 hdr 00",
                "00:03.0 1234:5678 class 020000 rev 01 hdr 00",
                "00:04.0 1234:5678 class 020000 rev 01 hdr 00"), found);
    }

    @Test
    void fullScanOfAllFunctionsSeesOnlyTheFunctionsThatExist() {
        int present = 0;
        for (int dev = 0; dev < 32; dev++) {
            for (int fn = 0; fn < 8; fn++) {
                if (b.cfgRead(dev, fn, 0, 4) != -1) {
                    present++;
                }
            }
        }
        assertEquals(5, present);
        assertEquals(0x00, b.cfgRead(1, 1, 0x3D, 1), "IDE in compatibility mode has no INTx pin");
        assertEquals(0x01, b.cfgRead(3, 0, 0x3D, 1));
    }

    @Test
    void absentFunctionsOtherBusesAndDisabledCyclesFloatHigh() {
        assertEquals(0xFFFFFFFF, b.cfgRead(2, 0, 0, 4));
        assertEquals(0xFFFF, b.cfgRead(2, 0, 2, 2));
        assertEquals(0xFF, b.cfgRead(31, 7, 0x3F, 1));
        b.io.write(0xCF8, 4, PciBus.ENABLE | 1 << 16);                   // bus 1, device 0
        assertEquals(0xFFFFFFFF, b.io.read(0xCFC, 4));
        b.io.write(0xCF8, 4, 0x0000_0000);                               // enable clear: plain I/O
        assertEquals(0xFFFFFFFF, b.io.read(0xCFC, 4));
        b.io.write(0xCFC, 4, 0);                                         // dropped
        assertEquals(0x12378086, b.cfgRead(0, 0, 0, 4));
        b.cfgWrite(2, 0, 0x3C, 1, 0x0B);                                 // to nobody
        assertEquals(0xFF, b.cfgRead(2, 0, 0x3C, 1));
    }

    @Test
    void configAddressIsA32BitRegisterWithReservedBitsReadingZero() {
        b.io.write(0xCF8, 4, 0xFFFFFFFF);
        assertEquals(0x80FFFFFC, b.io.read(0xCF8, 4));
        b.io.write(0xCF8, 4, 0x8000_0800);
        b.io.write(0xCF8, 1, 0x00);                                      // byte: not CONFIG_ADDRESS
        b.io.write(0xCF8, 2, 0x0000);
        assertEquals(0x8000_0800, b.io.read(0xCF8, 4));
        assertEquals(0xFF, b.io.read(0xCF8, 1));
        assertEquals(0xFFFF, b.io.read(0xCF8, 2));
        assertEquals(0x8000_0800, b.pci.configAddress());
    }

    /** arch/x86/pci/direct.c: pci_check_type1() must succeed and pci_check_type2() must fail. */
    @Test
    void linuxDetectsMechanism1AndNotMechanism2() {
        b.io.write(0xCFB, 1, 0x01);
        int tmp = b.io.read(0xCF8, 4);
        b.io.write(0xCF8, 4, 0x8000_0000);
        assertEquals(0x8000_0000, b.io.read(0xCF8, 4), "type 1 probe");
        b.io.write(0xCF8, 4, tmp);
        // pci_sanity_check: a host bridge or display class at 00:00.0, or vendor Intel/Compaq.
        assertEquals(0x0600, b.cfgRead(0, 0, 0x0A, 2));

        b.io.write(0xCFB, 1, 0x00);
        b.io.write(0xCF8, 1, 0x00);
        b.io.write(0xCFA, 1, 0x00);
        boolean type2 = b.io.read(0xCF8, 1) == 0x00 && b.io.read(0xCFA, 1) == 0x00;
        assertFalse(type2, "type 2 probe");
    }

    @Test
    void byteAndWordAccessesAtEveryOffsetOfTheDataWindow() {
        b.io.write(0xCF8, 4, PciTestBoard.address(1, 1, 0x00));
        assertEquals(0x86, b.io.read(0xCFC, 1));
        assertEquals(0x80, b.io.read(0xCFD, 1));
        assertEquals(0x10, b.io.read(0xCFE, 1));
        assertEquals(0x70, b.io.read(0xCFF, 1));
        assertEquals(0x7010, b.io.read(0xCFE, 2));
        assertEquals(0x1080, b.io.read(0xCFD, 2), "word at an odd offset");
        b.io.write(0xCF8, 4, PciTestBoard.address(1, 1, 0x08));
        assertEquals(0x01, b.io.read(0xCFE, 1), "subclass");
        assertEquals(0x0180, b.io.read(0xCFD, 2), "prog-if and subclass");

        // Latency timer (0x0D) by byte at 0xCFD; cache line (0x0C) is read-only on the PIIX IDE.
        b.cfgWrite(1, 1, 0x0D, 1, 0x40);
        assertEquals(0x40, b.cfgRead(1, 1, 0x0D, 1));
        b.cfgWrite(1, 1, 0x0C, 1, 0x10);
        assertEquals(0x0000_4000, b.cfgRead(1, 1, 0x0C, 4));
        // Word write at an odd offset: interrupt line 0x3D..0x3E of the test device covers pin (RO).
        b.cfgWrite(3, 0, 0x3C, 2, 0x0A0B);
        assertEquals(0x0B, b.cfgRead(3, 0, 0x3C, 1));
        assertEquals(0x01, b.cfgRead(3, 0, 0x3D, 1), "interrupt pin is read-only");
        b.io.write(0xCF8, 4, PciTestBoard.address(3, 0, 0x3C));
        b.io.write(0xCFD, 2, 0x0C0D);                                    // 0x3D-0x3E: RO pin, min-grant
        assertEquals(0x0000_010B, b.io.read(0xCFC, 4) & 0xFFFF);
        // A word at 0xCFF reaches past the end of the dword: bytes 0x3F and 0x40.
        b.cfgWrite(3, 0, 0x40, 4, 0x11223344);
        b.io.write(0xCF8, 4, PciTestBoard.address(3, 0, 0x3C));
        assertEquals(0x4400, b.io.read(0xCFF, 2));
    }

    @Test
    void wordAtTheLastByteOfConfigSpaceReadsOnesBeyondIt() {
        b.cfgWrite(3, 0, 0xFC, 4, 0xA1B2C3D4);
        b.io.write(0xCF8, 4, PciTestBoard.address(3, 0, 0xFC));
        assertEquals(0xFFA1, b.io.read(0xCFF, 2));
        b.io.write(0xCFF, 2, 0x5566);
        assertEquals(0x66B2C3D4, b.cfgRead(3, 0, 0xFC, 4));
    }

    @Test
    void javaFirmwareApiMatchesThePorts() {
        assertEquals(b.cfgRead(1, 0, 0, 4), b.pci.configRead(1, 0, 0, 4));
        b.pci.configWrite(3, 0, 0x3C, 1, 0x0A);
        assertEquals(0x0A, b.cfgRead(3, 0, 0x3C, 1));
        assertEquals(-1, b.pci.configRead(9, 0, 0, 4));
        assertEquals(b.dev3, b.pci.function(3, 0));
    }

    @Test
    void readOnlyHeaderFieldsIgnoreWrites() {
        b.cfgWrite(3, 0, 0x00, 4, 0);
        b.cfgWrite(3, 0, 0x08, 4, 0);
        b.cfgWrite(3, 0, 0x0E, 1, 0x80);
        b.cfgWrite(3, 0, 0x2C, 4, 0);
        assertEquals(0x56781234, b.cfgRead(3, 0, 0x00, 4));
        assertEquals(0x02000001, b.cfgRead(3, 0, 0x08, 4));
        assertEquals(0x00, b.cfgRead(3, 0, 0x0E, 1));
        assertEquals(0x00011AF4, b.cfgRead(3, 0, 0x2C, 4));
        assertNotEquals(0, b.cfgRead(3, 0, 0x10, 4), "I/O BAR reads bit 0 set");
    }

    @Test
    void slotsAreCheckedWhenTheBoardIsBuilt() {
        assertThrows(IllegalArgumentException.class, () -> b.pci.add(3, 0, new TestFunction(b.io, "x")));
        assertThrows(IllegalArgumentException.class, () -> b.pci.add(32, 0, new TestFunction(b.io, "x")));
        assertThrows(IllegalArgumentException.class, () -> b.pci.add(5, 8, new TestFunction(b.io, "x")));
    }
}

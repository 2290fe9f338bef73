package dev.vmm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.irq.IrqLine;
import org.junit.jupiter.api.Test;

/** PIRQ routing and the reset control register of the PIIX3 ISA bridge. */
class Piix3IsaBridgeTest {
    private final PciTestBoard b = new PciTestBoard();

    /** SeaBIOS piix_isa_bridge_setup(): PIRQA-D -> IRQ 10, 10, 11, 11. */
    private void seabiosRouting() {
        int[] irqs = {10, 10, 11, 11};
        for (int i = 0; i < 4; i++) {
            b.cfgWrite(1, 0, 0x60 + i, 1, irqs[i]);
        }
    }

    @Test
    void routesResetToDisabled() {
        assertEquals(0x80808080, b.cfgRead(1, 0, 0x60, 4));
        IrqLine a = b.piix3.pirq(0);
        a.raise();
        assertTrue(b.piix3.pirqLevel(0));
        for (int irq = 0; irq < 16; irq++) {
            assertFalse(b.isaLevel[irq], "IRQ" + irq);
        }
        assertEquals(-1, b.piix3.routedIrq(0));
    }

    @Test
    void routedPirqDrivesItsIsaIrq() {
        seabiosRouting();
        assertEquals(0x0B0B0A0A, b.cfgRead(1, 0, 0x60, 4));
        IrqLine c = b.piix3.pirq(2);
        c.raise();
        assertTrue(b.isaLevel[11]);
        assertFalse(b.isaLevel[10]);
        c.lower();
        assertFalse(b.isaLevel[11]);
        assertEquals(1, b.isaRaises[11]);
    }

    @Test
    void disabledAndReservedRoutesDeliverNothing() {
        IrqLine a = b.piix3.pirq(0);
        a.raise();
        b.cfgWrite(1, 0, 0x60, 1, 0x80 | 10);                            // bit 7 set: route disabled
        assertFalse(b.isaLevel[10]);
        for (int reserved : new int[] {0, 1, 2, 8, 13}) {
            b.cfgWrite(1, 0, 0x60, 1, reserved);
            assertEquals(-1, b.piix3.routedIrq(0));
            assertFalse(b.isaLevel[reserved], "reserved value " + reserved);
        }
        b.cfgWrite(1, 0, 0x60, 1, 0x7A);                                 // bits 6:4 are reserved, read 0
        assertEquals(0x0A, b.cfgRead(1, 0, 0x60, 1));
        assertTrue(b.isaLevel[10]);
        b.cfgWrite(1, 0, 0x60, 1, 0x8A);
        assertFalse(b.isaLevel[10], "disabling the route drops the ISA line");
    }

    @Test
    void rerouteMovesAnAssertedLevel() {
        seabiosRouting();
        IrqLine a = b.piix3.pirq(0);
        a.raise();
        assertTrue(b.isaLevel[10]);
        b.cfgWrite(1, 0, 0x60, 1, 5);
        assertFalse(b.isaLevel[10]);
        assertTrue(b.isaLevel[5]);
    }

    @Test
    void devicesSharingAPirqKeepItAssertedUntilTheLastLowers() {
        seabiosRouting();
        IrqLine first = b.piix3.pirq(1);
        IrqLine second = b.piix3.pirq(1);
        first.raise();
        second.raise();
        first.lower();
        assertTrue(b.isaLevel[10], "the second device still asserts PIRQB");
        second.lower();
        assertFalse(b.isaLevel[10]);
        assertEquals(1, b.isaRaises[10], "one rising edge for the shared level");
    }

    @Test
    void twoPirqsRoutedToOneIrqShareIt() {
        seabiosRouting();                                                // A and B both on IRQ10
        IrqLine a = b.piix3.pirq(0);
        IrqLine bb = b.piix3.pirq(1);
        a.raise();
        bb.raise();
        a.lower();
        assertTrue(b.isaLevel[10]);
        bb.lower();
        assertFalse(b.isaLevel[10]);
    }

    @Test
    void interruptPinsAreSwizzledAcrossSlots() {
        // INTA# of device d is on PIRQ[(d - 1) & 3], as SeaBIOS's piix_pci_slot_get_irq and QEMU wire it.
        assertEquals(0, Piix3IsaBridge.pirqOf(1, 1));
        assertEquals(1, Piix3IsaBridge.pirqOf(2, 1));
        assertEquals(2, Piix3IsaBridge.pirqOf(3, 1));
        assertEquals(3, Piix3IsaBridge.pirqOf(4, 1));
        assertEquals(0, Piix3IsaBridge.pirqOf(5, 1));
        assertEquals(3, Piix3IsaBridge.pirqOf(3, 2), "INTB# of device 3");
        assertEquals(1, Piix3IsaBridge.pirqOf(3, 4), "INTD# of device 3");
        b.cfgWrite(1, 0, 0x62, 1, 11);                                   // PIRQC
        b.cfgWrite(1, 0, 0x63, 1, 5);                                    // PIRQD
        b.dev3.interrupt(true);
        assertTrue(b.isaLevel[11], "00:03.0 INTA# -> PIRQC -> IRQ11");
        b.dev4.interrupt(true);
        assertTrue(b.isaLevel[5], "00:04.0 INTA# -> PIRQD -> IRQ5");
        b.dev3.interrupt(false);
        assertFalse(b.isaLevel[11]);
    }

    /** arch/x86/kernel/reboot.c (reboot=pci) and SeaBIOS: inb, outb(cf9|2), outb(cf9|6). */
    @Test
    void resetControlStartsAResetOnARisingRcpu() {
        assertEquals(0x00, b.io.read(0xCF9, 1));
        int cf9 = b.io.read(0xCF9, 1) & ~6;
        b.io.write(0xCF9, 1, cf9 | 2);
        assertEquals(0, b.resets);
        assertEquals(0x02, b.io.read(0xCF9, 1));
        b.io.write(0xCF9, 1, cf9 | 6);
        assertEquals(1, b.resets);
        assertEquals(0x06, b.io.read(0xCF9, 1));
        b.io.write(0xCF9, 1, 0x06);
        assertEquals(1, b.resets, "no 0-to-1 transition of RCPU");
        b.io.write(0xCF9, 1, 0xFB);                                       // reserved bits read 0
        assertEquals(0x02, b.io.read(0xCF9, 1));
        b.io.write(0xCF9, 1, 0x04);                                       // soft reset type
        assertEquals(2, b.resets);
        b.pci.reset();
        assertEquals(0x00, b.io.read(0xCF9, 1), "a hard reset clears the register");
        b.io.write(0xCF9, 1, 0x06);
        assertEquals(3, b.resets);
    }

    @Test
    void resetControlSharesTheConfigAddressDword() {
        b.io.write(0xCF8, 4, PciTestBoard.address(1, 0, 0x60));         // 32-bit: CONFIG_ADDRESS
        assertEquals(0, b.resets);
        b.io.write(0xCF9, 1, 0x02);                                       // 8-bit: reset control
        assertEquals(PciTestBoard.address(1, 0, 0x60), b.io.read(0xCF8, 4));
        assertEquals(0x80, b.io.read(0xCFC, 1));
        assertEquals(0x02, b.piix3.resetControl());
    }

    @Test
    void bridgeResetDisablesRoutesAndLowersTheirLines() {
        seabiosRouting();
        b.piix3.pirq(3).raise();
        assertTrue(b.isaLevel[11]);
        b.pci.reset();
        assertFalse(b.isaLevel[11]);
        assertEquals(0x80808080, b.cfgRead(1, 0, 0x60, 4));
        assertEquals(0x4D, b.cfgRead(1, 0, 0x4C, 1), "IORT power-on value");
    }
}

package dev.vmm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** BAR sizing and decoding, the command and status registers and INTx of a type-0 function. */
class PciFunctionTest {
    private static final int BAR0 = 0x10;
    private static final int BAR1 = 0x14;
    private static final int BAR2 = 0x18;
    private static final int CMD = 0x04;
    private final PciTestBoard b = new PciTestBoard();
    private final TestFunction d = b.dev3;

    /** drivers/pci/probe.c __pci_read_base: save, write all ones, read the mask, restore. */
    private int size(int bar) {
        int orig = b.cfgRead(3, 0, bar, 4);
        b.cfgWrite(3, 0, bar, 4, 0xFFFFFFFF);
        int mask = b.cfgRead(3, 0, bar, 4);
        b.cfgWrite(3, 0, bar, 4, orig);
        assertEquals(orig, b.cfgRead(3, 0, bar, 4), "restored");
        return mask;
    }

    @Test
    void barSizingReadsBackTheSizeMask() {
        assertEquals(0x0000_0001, b.cfgRead(3, 0, BAR0, 4), "I/O BAR at reset");
        assertEquals(0x0000_0008, b.cfgRead(3, 0, BAR2, 4), "prefetchable memory BAR at reset");
        assertEquals(0xFFFF_FFE1, size(BAR0), "32 ports, I/O space indicator");
        assertEquals(0xFFFF_F000, size(BAR1), "4 KiB, 32-bit, not prefetchable");
        assertEquals(0xFFF0_0008, size(BAR2), "1 MiB, prefetchable");
        assertEquals(0x0000_0000, size(0x1C), "BAR3 is not implemented");
        assertEquals(0x0000_0000, size(0x30), "no expansion ROM");
        // Linux's size computation: ~(mask & ~0xF) + 1 for memory, (~(mask & ~3) & 0xFFFF) + 1 for I/O.
        assertEquals(32, (~(size(BAR0) & ~3) & 0xFFFF) + 1);
        assertEquals(0x1000, ~(size(BAR1) & ~0xF) + 1);
        assertEquals(List.of(), d.takeEvents(), "sizing with decoding off maps nothing");
    }

    @Test
    void barLowBitsAreReadOnlyAndTheBaseIsAlignedToTheSize() {
        b.cfgWrite(3, 0, BAR0, 4, 0xC01F);
        assertEquals(0xC001, b.cfgRead(3, 0, BAR0, 4));
        b.cfgWrite(3, 0, BAR1, 4, 0xFEBF_1FFF);
        assertEquals(0xFEBF_1000, b.cfgRead(3, 0, BAR1, 4));
        b.cfgWrite(3, 0, BAR2, 2, 0xFFFF);                               // word write to the low half
        assertEquals(0x0000_0008, b.cfgRead(3, 0, BAR2, 4));
        b.cfgWrite(3, 0, BAR2 + 2, 2, 0xFD12);                           // and to the high half
        assertEquals(0xFD10_0008, b.cfgRead(3, 0, BAR2, 4));
    }

    @Test
    void commandRegisterGatesTheBarCallbacks() {
        b.cfgWrite(3, 0, BAR0, 4, 0xC000);
        b.cfgWrite(3, 0, BAR1, 4, 0xFEBF_0000);
        b.cfgWrite(3, 0, BAR2, 4, 0xFD00_0000);
        assertEquals(List.of(), d.takeEvents(), "nothing decodes while the command register is 0");

        b.cfgWrite(3, 0, CMD, 2, 0x0001);
        assertEquals(List.of("bar0 0xc000 on"), d.takeEvents());
        b.cfgWrite(3, 0, CMD, 2, 0x0003);
        assertEquals(List.of("bar1 0xfebf0000 on", "bar2 0xfd000000 on"), d.takeEvents());
        b.cfgWrite(3, 0, CMD, 2, 0x0007);
        assertEquals(List.of(), d.takeEvents(), "bus master does not touch decoding");

        b.cfgWrite(3, 0, BAR0, 4, 0xC100);                               // move an enabled BAR
        assertEquals(List.of("bar0 0xc000 off", "bar0 0xc100 on"), d.takeEvents());
        b.cfgWrite(3, 0, BAR0, 4, 0xC100);
        assertEquals(List.of(), d.takeEvents(), "same base: no call");

        b.cfgWrite(3, 0, CMD, 2, 0x0005);
        assertEquals(List.of("bar1 0xfebf0000 off", "bar2 0xfd000000 off"), d.takeEvents());
        b.cfgWrite(3, 0, CMD, 1, 0x00);
        assertEquals(List.of("bar0 0xc100 off"), d.takeEvents());
        assertEquals(0x0000, b.cfgRead(3, 0, CMD, 2), "the byte write replaced the whole low byte");
    }

    @Test
    void sizingWithDecodingOnUnmapsAndRemaps() {
        b.cfgWrite(3, 0, BAR1, 4, 0xFEBF_0000);
        b.cfgWrite(3, 0, CMD, 2, 0x0002);
        d.takeEvents();
        assertEquals(0xFFFF_F000, size(BAR1));
        assertEquals(List.of("bar1 0xfebf0000 off", "bar1 0xfebf0000 on"), d.takeEvents(),
                "the all-ones pattern is never mapped at the top of memory");
        b.cfgWrite(3, 0, BAR1, 4, 0);
        assertEquals(List.of("bar1 0xfebf0000 off"), d.takeEvents(), "base 0 is unassigned");
    }

    @Test
    void overlappingWindowIsCountedNotThrown() {
        b.cfgWrite(3, 0, BAR0, 4, 0xC000);
        b.cfgWrite(3, 0, CMD, 2, 0x0001);
        b.cfgWrite(4, 0, BAR0, 4, 0xC000);                               // a guest bug: same window
        b.cfgWrite(4, 0, CMD, 2, 0x0001);
        assertEquals(1, b.dev4.barConflicts());
        assertEquals(List.of(), b.dev4.takeEvents());
        b.cfgWrite(4, 0, BAR0, 4, 0xC020);
        assertEquals(List.of("bar0 0xc020 on"), b.dev4.takeEvents(), "the next write retries");
    }

    @Test
    void commandRegisterKeepsOnlyItsImplementedBits() {
        b.cfgWrite(3, 0, CMD, 2, 0xFFFF);
        assertEquals(0x0407, b.cfgRead(3, 0, CMD, 2));
        b.cfgWrite(0, 0, CMD, 2, 0x0000);
        assertEquals(0x0006, b.cfgRead(0, 0, CMD, 2), "host bridge always decodes");
        b.cfgWrite(1, 0, CMD, 2, 0x0000);
        assertEquals(0x0007, b.cfgRead(1, 0, CMD, 2), "ISA bridge always decodes");
    }

    @Test
    void statusErrorBitsAreWriteOneToClear() {
        d.config().set16(0x06, 0xF900 | 0x0200);                         // errors latched by the device
        b.cfgWrite(3, 0, 0x06, 2, 0x2000);                               // clear received master abort
        assertEquals(0xD900 | 0x0200, b.cfgRead(3, 0, 0x06, 2));
        b.cfgWrite(3, 0, 0x04, 4, 0x0000_0000);                          // dword write of command: status 0s keep
        assertEquals(0xDB00, b.cfgRead(3, 0, 0x06, 2));
        b.cfgWrite(3, 0, 0x04, 4, 0xFFFF_0000);                          // writing ones clears them all
        assertEquals(0x0200, b.cfgRead(3, 0, 0x06, 2), "DEVSEL timing is read-only");
    }

    @Test
    void intxFollowsTheRequestAndTheInterruptDisableBit() {
        b.cfgWrite(1, 0, 0x62, 1, 11);                                   // dev 3 INTA# -> PIRQC -> IRQ11
        d.interrupt(true);
        assertTrue(d.intxRequested());
        assertEquals(0x0008, b.cfgRead(3, 0, 0x06, 2) & 0x0008, "status interrupt bit");
        assertTrue(b.isaLevel[11]);
        b.cfgWrite(3, 0, CMD, 2, 0x0400);                                // interrupt disable
        assertFalse(b.isaLevel[11]);
        assertEquals(0x0008, b.cfgRead(3, 0, 0x06, 2) & 0x0008, "status still shows the request");
        b.cfgWrite(3, 0, CMD, 2, 0x0000);
        assertTrue(b.isaLevel[11]);
        d.interrupt(false);
        assertFalse(b.isaLevel[11]);
        assertEquals(0, b.cfgRead(3, 0, 0x06, 2) & 0x0008);
    }

    @Test
    void capabilityListIsLinkedAndReadOnly() {
        PciConfigSpace c = new PciConfigSpace(0x1AF4, 0x1000, 0x020000, 0)
                .addCapability(0x40, 0x11, 12)
                .addCapability(0x50, 0x09, 4)
                .defineRegister(0x42, 2, 0, 0xC000);
        PciFunction f = new PciFunction(c) {
        };
        assertEquals(0x0010, f.configRead(0x06, 2) & 0x0010);
        assertEquals(0x40, f.configRead(0x34, 1));
        assertEquals(0x5011, f.configRead(0x40, 2));
        assertEquals(0x0009, f.configRead(0x50, 2));
        f.configWrite(0x40, 4, 0xFFFF_FFFF);
        assertEquals(0xC000_5011, f.configRead(0x40, 4), "only the defined field is writable");
        assertThrows(IllegalArgumentException.class, () -> c.addCapability(0x3C, 1, 4));
    }

    @Test
    void definitionsAreChecked() {
        PciConfigSpace c = new PciConfigSpace(1, 2, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> c.defineIoBar(0, 24));
        assertThrows(IllegalArgumentException.class, () -> c.defineIoBar(6, 16));
        assertThrows(IllegalArgumentException.class, () -> c.defineMemoryBar(0, 8, false));
        assertThrows(IllegalArgumentException.class, () -> c.defineRegister(0xFE, 4, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> c.setInterruptPin(5));
    }

    @Test
    void resetReturnsToPowerOnValuesAndUnmaps() {
        b.cfgWrite(3, 0, BAR0, 4, 0xC000);
        b.cfgWrite(3, 0, CMD, 2, 0x0001);
        b.cfgWrite(3, 0, 0x3C, 1, 11);
        b.cfgWrite(3, 0, 0x80, 4, 0xCAFE);
        d.takeEvents();
        b.pci.reset();
        assertEquals(0, b.pci.configAddress());
        assertEquals(List.of("bar0 0xc000 off"), d.takeEvents());
        assertEquals(0x0001, b.cfgRead(3, 0, BAR0, 4));
        assertEquals(0, b.cfgRead(3, 0, CMD, 2));
        assertEquals(0, b.cfgRead(3, 0, 0x3C, 1));
        assertEquals(0, b.cfgRead(3, 0, 0x80, 4));
    }
}

package dev.vmm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.irq.IrqLine;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Save/restore of the config spaces, CONFIG_ADDRESS, PIRQ routing and levels, reset control. */
class PciSnapshotTest {
    /** A board the way the BIOS and a running Linux leave it, with interrupts in flight. */
    private static final class Running {
        final PciTestBoard b = new PciTestBoard();
        final IrqLine extra = b.piix3.pirq(2);                           // a second device on PIRQC

        void boot() {
            int[] irqs = {10, 10, 11, 11};
            for (int i = 0; i < 4; i++) {
                b.cfgWrite(1, 0, 0x60 + i, 1, irqs[i]);
            }
            b.cfgWrite(0, 0, 0x59, 1, 0x30);
            b.cfgWrite(1, 1, 0x20, 4, 0xC040);
            b.cfgWrite(1, 1, 0x04, 2, 0x0005);
            b.cfgWrite(3, 0, 0x10, 4, 0xC000);
            b.cfgWrite(3, 0, 0x14, 4, 0xFEBF_0000);
            b.cfgWrite(3, 0, 0x3C, 1, 11);
            b.cfgWrite(3, 0, 0x04, 2, 0x0007);
            b.dev3.interrupt(true);
            extra.raise();
            b.io.write(0xCF9, 1, 0x02);
            b.io.write(0xCF8, 4, PciTestBoard.address(3, 0, 0x3C));      // left selected
        }
    }

    private static void restore(Running into, PciBus.State bus, Piix3IsaBridge.State piix3) {
        into.b.piix3.restore(piix3);
        into.b.pci.restore(bus);
    }

    @Test
    void restoredBoardHasTheSameStateAndRebuildsMappings() {
        Running a = new Running();
        a.boot();
        PciBus.State bus = a.b.pci.save();
        Piix3IsaBridge.State piix3 = a.b.piix3.save();

        Running r = new Running();
        restore(r, bus, piix3);
        assertEquals(bus, r.b.pci.save());
        assertEquals(piix3, r.b.piix3.save());
        assertEquals(List.of("bar0 0xc000 on", "bar1 0xfebf0000 on"), r.b.dev3.takeEvents());
        assertEquals(List.of(0xC040), r.b.busMasterBases);
        assertEquals(List.of("f0000+10000=3"), r.b.pamEvents);
        assertEquals(List.of(), r.b.isaEvents, "restore drives no ISA line: the PIC restores its inputs");
        assertTrue(r.b.io.ranges().stream().anyMatch(x -> x.base() == 0xC000 && x.name().equals("dev3")));
        assertEquals(11, r.b.piix3.routedIrq(2));
        assertTrue(r.b.dev3.intxRequested());
        assertEquals(0x02, r.b.io.read(0xCF9, 1));
    }

    @Test
    void behaviourAfterRestoreMatchesTheOriginal() {
        Running a = new Running();
        a.boot();
        PciBus.State bus = a.b.pci.save();
        Piix3IsaBridge.State piix3 = a.b.piix3.save();
        Running r = new Running();
        restore(r, bus, piix3);
        a.b.isaEvents.clear();

        for (Running m : List.of(a, r)) {
            m.b.io.write(0xCFC, 1, 9);                                  // CONFIG_ADDRESS still selects 03.0 0x3C
            m.extra.lower();                                            // dev3 still holds PIRQC
            m.b.dev3.interrupt(false);                                  // now IRQ11 drops
            m.b.dev3.interrupt(true);
            m.b.cfgWrite(1, 0, 0x62, 1, 5);                             // reroute PIRQC to IRQ5
            m.b.io.write(0xCF9, 1, 0x06);                               // RCPU 0 -> 1
        }
        assertEquals(List.of("irq11=0", "irq11=1", "irq11=0", "irq5=1"), a.b.isaEvents);
        assertEquals(a.b.isaEvents, r.b.isaEvents);
        assertEquals(1, a.b.resets);
        assertEquals(a.b.resets, r.b.resets);
        assertEquals(a.b.pci.save(), r.b.pci.save());
        assertEquals(9, r.b.cfgRead(3, 0, 0x3C, 1));
    }

    @Test
    void barsThatSwappedWindowsRestoreWithoutColliding() {
        Running a = new Running();
        a.b.cfgWrite(3, 0, 0x10, 4, 0xC000);
        a.b.cfgWrite(4, 0, 0x10, 4, 0xC100);
        a.b.cfgWrite(3, 0, 0x04, 2, 1);
        a.b.cfgWrite(4, 0, 0x04, 2, 1);
        PciBus.State bus = a.b.pci.save();

        Running r = new Running();
        r.b.cfgWrite(3, 0, 0x10, 4, 0xC100);
        r.b.cfgWrite(4, 0, 0x10, 4, 0xC000);
        r.b.cfgWrite(3, 0, 0x04, 2, 1);
        r.b.cfgWrite(4, 0, 0x04, 2, 1);
        r.b.dev3.takeEvents();
        r.b.pci.restore(bus);
        assertEquals(0, r.b.dev3.barConflicts() + r.b.dev4.barConflicts());
        assertEquals(List.of("bar0 0xc100 off", "bar0 0xc000 on"), r.b.dev3.takeEvents());
        assertTrue(r.b.io.ranges().stream().anyMatch(x -> x.base() == 0xC000 && x.name().equals("dev3")));
        assertTrue(r.b.io.ranges().stream().anyMatch(x -> x.base() == 0xC100 && x.name().equals("dev4")));
    }

    @Test
    void restoreRefusesADifferentMachine() {
        Running a = new Running();
        PciBus.State bus = a.b.pci.save();
        PciBus smaller = new PciBus();
        smaller.add(0, 0, new I440fxHostBridge());
        assertThrows(IllegalArgumentException.class, () -> smaller.restore(bus));
        PciBus.State fewer = new PciBus.State(0, bus.functions().subList(0, 2));
        PciConfigSpace.State before = a.b.dev3.saveConfig();
        assertThrows(IllegalArgumentException.class, () -> a.b.pci.restore(fewer));
        assertEquals(before, a.b.dev3.saveConfig(), "nothing changed");
        assertThrows(IllegalArgumentException.class, () -> new PciConfigSpace.State(new byte[128]));
    }

    @Test
    void sharedLineStateRoundTrips() {
        boolean[] out = new boolean[1];
        SharedIrqLine wire = new SharedIrqLine(level -> out[0] = level);
        IrqLine x = wire.newInput();
        IrqLine y = wire.newInput();
        x.raise();
        y.raise();
        SharedIrqLine.State s = wire.save();
        assertEquals(new SharedIrqLine.State(3), s);

        boolean[] out2 = new boolean[1];
        SharedIrqLine copy = new SharedIrqLine(level -> out2[0] = level);
        IrqLine x2 = copy.newInput();
        IrqLine y2 = copy.newInput();
        copy.restore(s);
        assertFalse(out2[0], "restore does not drive the output");
        assertTrue(copy.level());
        x2.lower();
        assertTrue(copy.level());
        y2.lower();
        assertFalse(copy.level());
        assertThrows(IllegalArgumentException.class, () -> copy.restore(new SharedIrqLine.State(4)));
        assertEquals(2, copy.inputCount());
    }
}

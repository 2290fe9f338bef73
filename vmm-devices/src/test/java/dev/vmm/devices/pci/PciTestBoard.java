package dev.vmm.devices.pci;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.irq.IrqLine;
import java.util.ArrayList;
import java.util.List;

/**
 * The PCI part of the PC board, wired as the board builder wires it: i440FX at 00:00.0, PIIX3 at
 * 00:01.0 (ISA bridge) and 00:01.1 (IDE), and test functions at 00:03.0 and 00:04.0. ISA IRQ
 * lines record their levels and changes; the reset request is counted. Config cycles go through the ports.
 */
final class PciTestBoard {
    final PioBus io = new PioBus();
    final PciBus pci = new PciBus();
    final boolean[] isaLevel = new boolean[16];
    final int[] isaRaises = new int[16];
    final List<Integer> busMasterBases = new ArrayList<>();
    final List<String> pamEvents = new ArrayList<>();
    int resets;
    final I440fxHostBridge host = new I440fxHostBridge(
            (base, size, attrs) -> pamEvents.add(Long.toHexString(base) + "+" + Long.toHexString(size) + "=" + attrs));
    final Piix3IsaBridge piix3 = new Piix3IsaBridge(this::isaLine, () -> resets++);
    final PiixIde ide = new PiixIde(busMasterBases::add);
    final List<String> isaEvents = new ArrayList<>();
    final TestFunction dev3 = new TestFunction(io, "dev3");
    final TestFunction dev4 = new TestFunction(io, "dev4");

    PciTestBoard() {
        pci.attach(io);
        piix3.attach(io);
        pci.add(0, 0, host);
        pci.add(1, 0, piix3);
        pci.add(1, 1, ide);
        pci.add(3, 0, dev3);
        pci.add(4, 0, dev4);
        pci.setIntxRouter(piix3::intx);
    }

    private IrqLine isaLine(int irq) {
        return level -> {
            if (level && !isaLevel[irq]) {
                isaRaises[irq]++;
            }
            isaLevel[irq] = level;
            isaEvents.add("irq" + irq + "=" + (level ? 1 : 0));
        };
    }

    static int address(int dev, int fn, int offset) {
        return PciBus.ENABLE | dev << 11 | fn << 8 | (offset & 0xFC);
    }

    /** A configuration read as a driver does it: address to 0xCF8, data from 0xCFC + (offset & 3). */
    int cfgRead(int dev, int fn, int offset, int size) {
        io.write(0xCF8, 4, address(dev, fn, offset));
        return io.read(0xCFC + (offset & 3), size);
    }

    void cfgWrite(int dev, int fn, int offset, int size, int value) {
        io.write(0xCF8, 4, address(dev, fn, offset));
        io.write(0xCFC + (offset & 3), size, value);
    }
}

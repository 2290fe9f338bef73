package dev.vmm.firmware.boot;

import dev.vmm.core.bus.PioBus;
import dev.vmm.devices.pci.PciBus;
import dev.vmm.devices.pci.Piix3IsaBridge;
import dev.vmm.devices.pci.PiixIde;
import dev.vmm.firmware.tables.PirqRouting;

/**
 * The chipset set-up a PC BIOS does and the firmware tables assume: the PIIX3's PIRQ routing
 * (PIRQRC 0x60-0x63), the edge/level control registers (ELCR, ports 0x4D0/0x4D1: PCI interrupts
 * are level triggered) and the IDE timing registers' decode-enable bits (Linux's ata_piix skips a
 * channel without them). Shared by the BIOS's POST and by boots that skip the BIOS.
 */
public final class Chipset {
    /** The PIIX3's PCI device number on bus 0. */
    public static final int ISA_BRIDGE_DEVICE = 1;

    private Chipset() {
    }

    public static void configure(PciBus pci, PioBus io, PirqRouting pirq) {
        for (int n = 0; n < 4; n++) {
            pci.configWrite(ISA_BRIDGE_DEVICE, 0, Piix3IsaBridge.PIRQRC + n, 1, pirq.irq(n));
        }
        int level = pirq.irqMask();
        io.write(0x4D0, 1, level & 0xFF);
        io.write(0x4D1, 1, level >>> 8);
        pci.configWrite(ISA_BRIDGE_DEVICE, 1, PiixIde.IDETIM_PRIMARY, 2, PiixIde.IDETIM_DECODE);
        pci.configWrite(ISA_BRIDGE_DEVICE, 1, PiixIde.IDETIM_SECONDARY, 2, PiixIde.IDETIM_DECODE);
    }
}

package dev.vmm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmm.core.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * The PCI VGA card's expansion ROM register (PCI 3.0 section 6.2.5.2): sizing with FFFFFFFEh
 * reads back the size mask, and the ROM decodes only with its enable bit and memory space on.
 */
class PciVgaTest {
    @Test
    void romBarSizesMapsAndUnmaps() {
        byte[] rom = new byte[3000];
        rom[0] = 0x55;
        rom[1] = (byte) 0xAA;
        try (PhysicalMemory mem = PhysicalMemory.create(16 << 20)) {
            PciVga vga = new PciVga(mem, rom);
            assertEquals(0x030000, vga.configRead(0x08, 4) >>> 8, "class: VGA-compatible display");
            assertEquals(4096, vga.romSize(), "3000 bytes round up to 4 KiB");
            vga.configWrite(PciConfigSpace.EXPANSION_ROM, 4, 0xFFFF_FFFE);
            assertEquals(0xFFFF_F000, vga.configRead(PciConfigSpace.EXPANSION_ROM, 4), "size mask, disabled");
            vga.configWrite(PciConfigSpace.EXPANSION_ROM, 4, 0xFEB0_0001);
            assertEquals(-1, vga.romAddress(), "memory space off: no decode");
            assertEquals(0xFF, mem.read8(0xFEB0_0000L));
            vga.configWrite(PciConfigSpace.COMMAND, 2, PciConfigSpace.CMD_MEMORY | PciConfigSpace.CMD_IO);
            assertEquals(0xFEB0_0000L, vga.romAddress());
            assertEquals(0xAA55, mem.read16(0xFEB0_0000L));
            mem.write8(0xFEB0_0000L, 0);
            assertEquals(0x55, mem.read8(0xFEB0_0000L), "ROM: writes dropped");
            vga.configWrite(PciConfigSpace.EXPANSION_ROM, 4, 0xFEB0_0000);
            assertEquals(-1, vga.romAddress(), "enable bit clear: unmapped");
            assertEquals(0xFF, mem.read8(0xFEB0_0000L));
            vga.configWrite(PciConfigSpace.EXPANSION_ROM, 4, 0xFEC0_1001);
            vga.reset();
            assertEquals(-1, vga.romAddress(), "reset disables the ROM");
        }
    }
}

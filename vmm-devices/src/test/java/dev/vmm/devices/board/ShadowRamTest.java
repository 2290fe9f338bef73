package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.pci.I440fxHostBridge;
import org.junit.jupiter.api.Test;

/**
 * The i440FX PAM attributes applied to 0xC0000-0xFFFFF (82441FX datasheet, PAM0-PAM6): bit 0 sends
 * reads to DRAM, bit 1 sends writes to DRAM; otherwise reads come from the PCI/ISA side (the top
 * of the flash below 1 MiB, nothing at 0xC0000-0xDFFFF) and writes are dropped.
 */
class ShadowRamTest {
    static final int FLASH = 256 << 10;

    private static byte[] flash() {
        byte[] f = new byte[FLASH];
        for (int i = 0; i < f.length; i++) {
            f[i] = (byte) (i * 7 + (i >>> 8));
        }
        return f;
    }

    @Test
    void resetStateReadsTheFlashTopAndDropsWrites() {
        byte[] f = flash();
        try (PhysicalMemory mem = PhysicalMemory.create(2 << 20)) {
            new ShadowRam(mem, f);
            assertEquals(f[FLASH - 16] & 0xFF, mem.read8(0xFFFF0), "reset vector bytes: the flash's last 16");
            assertEquals(f[FLASH - 0x20000] & 0xFF, mem.read8(0xE0000), "0xE0000: 128 KiB below the top");
            assertEquals(0xFF, mem.read8(0xC0000), "nothing decodes 0xC0000 on the PCI side");
            mem.write8(0xF0000, 0x5A);
            assertEquals(f[FLASH - 0x10000] & 0xFF, mem.read8(0xF0000), "write dropped");
            assertEquals(0, mem.ram().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0xF0000), "DRAM untouched");
        }
    }

    @Test
    void pamRegistersShadowTheBios() {
        byte[] f = flash();
        try (PhysicalMemory mem = PhysicalMemory.create(2 << 20)) {
            I440fxHostBridge nb = new I440fxHostBridge(new ShadowRam(mem, f));
            int flashF0000 = f[FLASH - 0x10000] & 0xFF;
            // Write-only (10b): reads still come from the flash, writes reach DRAM: the copy step.
            nb.configWrite(I440fxHostBridge.PAM0, 1, 0x20);
            mem.write8(0xF0000, flashF0000 ^ 0xFF);
            assertEquals(flashF0000, mem.read8(0xF0000));
            // Read/write (11b): plain RAM, and the byte written above is there.
            nb.configWrite(I440fxHostBridge.PAM0, 1, 0x30);
            assertEquals(PhysicalMemory.RAM, mem.kind(0xF0000) & 0x0F);
            assertEquals(flashF0000 ^ 0xFF, mem.read8(0xF0000));
            mem.write16(0xFFFF0, 0xBEEF);
            // Read-only (01b): DRAM is read, writes are dropped (the write-protected shadow).
            nb.configWrite(I440fxHostBridge.PAM0, 1, 0x10);
            mem.write16(0xFFFF0, 0x1234);
            assertEquals(0xBEEF, mem.read16(0xFFFF0));
            assertEquals(PhysicalMemory.MMIO, mem.kind(0xF0000) & 0x0F);
            // PAM1 high nibble: 0xC4000-0xC7FFF; its low nibble (0xC0000) stays on the PCI side.
            nb.configWrite(I440fxHostBridge.PAM0 + 1, 1, 0x30);
            mem.write8(0xC4000, 0x42);
            assertEquals(0x42, mem.read8(0xC4000));
            mem.write8(0xC0000, 0x42);
            assertEquals(0xFF, mem.read8(0xC0000));
            // Back to 00b: the flash again.
            nb.configWrite(I440fxHostBridge.PAM0, 1, 0x00);
            assertEquals(f[FLASH - 16] & 0xFF, mem.read8(0xFFFF0));
        }
    }

    @Test
    void boardMapsTheFlashAtTheTopOf4GiB() {
        byte[] f = flash();
        try (PcBoard board = BoardConfig.builder().memory(16 << 20).firmware(f).build()) {
            PhysicalMemory mem = board.memory();
            assertEquals(f[FLASH - 16] & 0xFF, mem.read8(0xFFFF_FFF0L), "the reset vector's fetch address");
            assertEquals(f[0] & 0xFF, mem.read8(0x1_0000_0000L - FLASH), "the whole image below 4 GiB");
            assertEquals(f[FLASH - 16] & 0xFF, mem.read8(0xFFFF0), "and its top below 1 MiB");
        }
    }
}

package dev.vmm.devices.pci;

import dev.vmm.core.bus.MmioDevice;
import dev.vmm.core.memory.PhysicalMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PCI VGA card's configuration face (class 0300h, VGA-compatible): the legacy VGA registers and
 * memory (ports 0x3B0-0x3DF, 0xA0000-0xBFFFF) belong to the board's VGA device and always decode,
 * as the PIIX IDE's legacy ports do; what the PCI function adds is the card's option ROM, the
 * video BIOS a system BIOS copies to 0xC0000 and runs.
 *
 * <p>The expansion ROM base address register (0x30, PCI 3.0 section 6.2.5.2): bits 31:11 hold the
 * base, of which those below the ROM's size (a power of two, at least 2 KiB) read 0; bit 0 enables
 * the decoder. The ROM answers memory reads at its base while bit 0 and the command register's
 * memory-space bit are both set and the base is assigned (not 0, not the sizing pattern's window at
 * the top of 4 GiB); writes to it are dropped.
 *
 * <p>IDs: vendor 1234h is not a PCI-SIG assignment (emulators use it for their own devices; the
 * Bochs/QEMU standard VGA is 1234:1111, which also implies the Bochs VBE "DISPI" registers this
 * card lacks), so this card is 1234:{@value #DEVICE_ID} ("VM"), a plain VGA with a ROM.
 */
public final class PciVga extends PciFunction {
    private static final Logger log = LoggerFactory.getLogger(PciVga.class);
    public static final int VENDOR_ID = 0x1234;
    public static final int DEVICE_ID = 0x4D56;
    public static final int CLASS_VGA = 0x030000;
    /** Expansion ROM BAR bit 0: the ROM decodes. */
    public static final int ROM_ENABLE = 1;

    private final PhysicalMemory memory;
    private final byte[] rom;
    private final int romSize;
    private long mappedBase = -1;
    private long romConflicts;

    /** A card whose option ROM holds {@code rom} (padded with zeros to a power of two of at least 2 KiB). */
    public PciVga(PhysicalMemory memory, byte[] rom) {
        this(memory, rom, romSize(rom.length));
    }

    private PciVga(PhysicalMemory memory, byte[] rom, int size) {
        super(new PciConfigSpace(VENDOR_ID, DEVICE_ID, CLASS_VGA, 0x00)
                .defineRegister(PciConfigSpace.COMMAND, 2, 0, PciConfigSpace.CMD_IO | PciConfigSpace.CMD_MEMORY)
                .defineRegister(PciConfigSpace.EXPANSION_ROM, 4, 0, ~(size - 1) | ROM_ENABLE));
        this.memory = memory;
        this.romSize = size;
        this.rom = java.util.Arrays.copyOf(rom, size);
    }

    static int romSize(int length) {
        if (length <= 0 || length > (16 << 20)) {
            throw new IllegalArgumentException("option ROM must be 1 byte..16 MiB, not " + length);
        }
        return Math.max(2048, Integer.highestOneBit(length - 1) << 1);
    }

    /** The ROM's window size in bytes. */
    public int romSize() {
        return romSize;
    }

    /** The address the ROM decodes at, or -1. */
    public synchronized long romAddress() {
        return mappedBase;
    }

    @Override
    protected void configWritten(int offset, int size) {
        if (overlaps(offset, size, PciConfigSpace.COMMAND, 2)
                || overlaps(offset, size, PciConfigSpace.EXPANSION_ROM, 4)) {
            remapRom();
        }
    }

    @Override
    protected void configRestored() {
        remapRom();
    }

    @Override
    public synchronized void reset() {
        super.reset();
        remapRom();
    }

    private void remapRom() {
        int reg = config().get32(PciConfigSpace.EXPANSION_ROM);
        long base = reg & ~(romSize - 1) & 0xFFFF_F800L;
        boolean on = (reg & ROM_ENABLE) != 0
                && (config().get16(PciConfigSpace.COMMAND) & PciConfigSpace.CMD_MEMORY) != 0
                && base != 0 && base + romSize < 0x1_0000_0000L;
        long want = on ? base : -1;
        if (want == mappedBase) {
            return;
        }
        if (mappedBase >= 0) {
            memory.removeMmio(mappedBase, romSize);
            mappedBase = -1;
        }
        if (want >= 0) {
            try {
                memory.addMmio(want, romSize, "vga-rom", new Rom());
                mappedBase = want;
            } catch (IllegalArgumentException e) {
                if (romConflicts++ == 0) {
                    log.warn("PCI VGA: option ROM at 0x{} not mapped: {}", Long.toHexString(want), e.getMessage());
                }
            }
        }
    }

    /** The ROM contents as memory reads see them. */
    private final class Rom implements MmioDevice {
        @Override
        public long mmioRead(long offset, int size) {
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = v << 8 | rom[(int) offset + i] & 0xFF;
            }
            return v;
        }
    }
}

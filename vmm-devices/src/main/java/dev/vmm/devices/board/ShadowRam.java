package dev.vmm.devices.board;

import dev.vmm.core.bus.MmioDevice;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.pci.I440fxHostBridge;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the i440FX's PAM registers do to 0xC0000-0xFFFFF on a board whose BIOS is a flash chip:
 * for each of the 13 segments (see {@link I440fxHostBridge#pamBase}), reads go to DRAM when the
 * segment's read-enable bit is set and to the PCI/ISA side otherwise, writes go to DRAM when its
 * write-enable bit is set and are dropped otherwise (82441FX datasheet, PAM registers).
 *
 * <p>On the PCI/ISA side the PIIX3 decodes the BIOS range: the top {@link #FLASH_WINDOW} bytes of
 * the flash image (or all of it, if smaller) appear just below 1 MiB, so after reset (all PAM bits
 * clear) 0xE0000-0xFFFFF reads the flash; nothing answers at 0xC0000-0xDFFFF (reads all ones). A
 * BIOS copies itself into DRAM ("shadowing") by enabling writes, copying and then enabling reads,
 * and write-protects the copy by clearing the write-enable bits.
 *
 * <p>A segment with both bits set is plain RAM (no MMIO region: the CPU's fast path and code cache
 * apply); every other combination is an MMIO region of this class over the segment.
 */
public final class ShadowRam implements I440fxHostBridge.PamListener {
    /** The part of the flash the ISA bridge decodes below 1 MiB: 0xE0000-0xFFFFF. */
    public static final int FLASH_WINDOW = 128 << 10;
    private static final long ONE_MIB = 0x10_0000;

    private final PhysicalMemory memory;
    private final MemorySegment ram;
    private final byte[] flash;
    private final boolean[] mapped = new boolean[I440fxHostBridge.PAM_SEGMENTS];

    /** Maps every segment in its reset state (attributes 0: reads from the flash side, writes dropped). */
    ShadowRam(PhysicalMemory memory, byte[] flash) {
        if (memory.ramSize() < ONE_MIB) {
            throw new IllegalArgumentException("shadow RAM needs RAM up to 1 MiB");
        }
        this.memory = memory;
        this.ram = memory.ram();
        this.flash = flash.clone();
        for (int s = 0; s < I440fxHostBridge.PAM_SEGMENTS; s++) {
            pamChanged(I440fxHostBridge.pamBase(s), I440fxHostBridge.pamSize(s), 0);
        }
    }

    @Override
    public void pamChanged(long base, long size, int attributes) {
        int s = base == 0xF0000 ? 0 : (int) ((base - 0xC0000) / 0x4000) + 1;
        if (mapped[s]) {
            memory.removeMmio(base, size);
            mapped[s] = false;
        }
        if (attributes != (I440fxHostBridge.PAM_READ | I440fxHostBridge.PAM_WRITE)) {
            memory.addMmio(base, size, String.format("pam-%05x", base), new Segment(base, attributes));
            mapped[s] = true;
        }
    }

    /** The byte the PCI/ISA side returns at {@code address} (below 1 MiB). */
    int flashByte(long address) {
        long fromTop = ONE_MIB - address;
        if (fromTop <= 0 || fromTop > Math.min(flash.length, FLASH_WINDOW)) {
            return 0xFF;
        }
        return flash[(int) (flash.length - fromTop)] & 0xFF;
    }

    /** One segment in a state other than read/write DRAM. */
    private final class Segment implements MmioDevice {
        private final long base;
        private final boolean readRam;
        private final boolean writeRam;

        Segment(long base, int attributes) {
            this.base = base;
            this.readRam = (attributes & I440fxHostBridge.PAM_READ) != 0;
            this.writeRam = (attributes & I440fxHostBridge.PAM_WRITE) != 0;
        }

        @Override
        public long mmioRead(long offset, int size) {
            long a = base + offset;
            long v = 0;
            for (int i = size - 1; i >= 0; i--) {
                v = v << 8 | (readRam ? ram.get(ValueLayout.JAVA_BYTE, a + i) & 0xFF : flashByte(a + i));
            }
            return v;
        }

        @Override
        public void mmioWrite(long offset, int size, long value) {
            if (!writeRam) {
                return;
            }
            long a = base + offset;
            for (int i = 0; i < size; i++) {
                ram.set(ValueLayout.JAVA_BYTE, a + i, (byte) (value >>> (8 * i)));
            }
        }
    }
}

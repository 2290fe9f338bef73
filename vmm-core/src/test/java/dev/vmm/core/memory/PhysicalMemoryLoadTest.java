package dev.vmm.core.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link PhysicalMemory#load} writes what byte writes would, whatever the pages it crosses are. */
class PhysicalMemoryLoadTest {
    private static final long RAM = 1 << 20;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(PhysicalMemory m, long pa, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) m.read8(pa + i);
        }
        return b;
    }

    @Test
    void plainRamAcrossPagesAtAnOddStart() {
        try (PhysicalMemory m = PhysicalMemory.create(RAM)) {
            byte[] data = random(3 * 4096 + 123, 1);
            m.load(0x2FF1, data);
            assertArrayEquals(data, read(m, 0x2FF1, data.length));
            assertEquals(0, m.read8(0x2FF0), "the byte before is untouched");
            assertEquals(0, m.read8(0x2FF1 + data.length), "the byte after is untouched");
        }
    }

    @Test
    void aCodePageIsDroppedOnceAndWritten() {
        try (PhysicalMemory m = PhysicalMemory.create(RAM)) {
            List<Long> dropped = new ArrayList<>();
            m.setCodeWriteListener(dropped::add);
            m.markCode(0x5000);
            byte[] data = random(3 * 4096, 2);
            m.load(0x4800, data);
            assertArrayEquals(data, read(m, 0x4800, data.length));
            assertEquals(List.of(0x5000L), dropped, "the code page's listener, once, for its page");
            assertFalse(m.isCode(0x5000), "the page no longer holds decoded code");
        }
    }

    @Test
    void romIgnoresItMmioGetsEachByteAndRamAroundThemIsWritten() {
        try (PhysicalMemory m = PhysicalMemory.create(RAM)) {
            byte[] rom = random(4096, 3);
            m.addRom(0x8000, rom);
            List<long[]> writes = new ArrayList<>();
            m.addMmio(0x9000, 0x1000, "probe", new dev.vmm.core.bus.MmioDevice() {
                @Override
                public void mmioWrite(long offset, int size, long value) {
                    writes.add(new long[] {offset, size, value});
                }
            });
            byte[] data = random(4 * 4096, 4);
            m.load(0x7000, data);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, 4096), read(m, 0x7000, 4096));
            assertArrayEquals(rom, read(m, 0x8000, 4096), "ROM keeps its image");
            assertEquals(4096, writes.size(), "the device saw every byte");
            for (int i = 0; i < 4096; i++) {
                assertArrayEquals(new long[] {i, 1, data[2 * 4096 + i] & 0xFF}, writes.get(i));
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 3 * 4096, 4 * 4096), read(m, 0xA000, 4096));
        }
    }
}

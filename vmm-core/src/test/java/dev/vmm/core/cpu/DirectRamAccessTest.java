package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.MmioDevice;
import org.junit.jupiter.api.Test;

/**
 * The interpreter's data accesses read and write guest RAM directly when the JIT's TLB maps the
 * page ({@link Mmu#read32} and the others): what they see must stay what the full path sees when a
 * page changes its kind behind them (an MMIO region mapped over RAM, as the PAM shadow registers
 * do), and writes to a page that holds decoded code must still drop that code.
 */
class DirectRamAccessTest {
    private static final long PAGE = 0x5000;

    /** A device that answers 0x12345678 and remembers the last write. */
    private static final class Probe implements MmioDevice {
        long written = -1;

        @Override
        public long mmioRead(long offset, int size) {
            return 0x12345678L & ((1L << (size * 8)) - 1);
        }

        @Override
        public void mmioWrite(long offset, int size, long value) {
            written = value;
        }
    }

    @Test
    void anMmioRegionMappedOverRamIsSeenByTheNextAccess() {
        try (CpuFixture f = new CpuFixture()) {
            f.flat32(0x100);
            f.mem.write32(PAGE + 8, 0xCAFE);
            for (int k = 0; k < 2; k++) {     // the second access hits the JIT's TLB
                assertEquals(0xCAFE, f.cpu.read32(Cpu.DS, PAGE + 8));
                f.cpu.write(Cpu.DS, PAGE + 12, 4, 0xBEEF);
                assertEquals(0xBEEF, f.cpu.read(Cpu.DS, PAGE + 12, 2));
            }
            Probe probe = new Probe();
            f.mem.addMmio(PAGE, 0x1000, "probe", probe);
            assertEquals(0x12345678L, f.cpu.read32(Cpu.DS, PAGE + 8));
            assertEquals(0x5678, f.cpu.read(Cpu.DS, PAGE + 8, 2));
            assertEquals(0x78, f.cpu.read8(Cpu.DS, PAGE + 8));
            f.cpu.write(Cpu.DS, PAGE + 12, 4, 0x7777);
            assertEquals(0x7777, probe.written);
            f.mem.removeMmio(PAGE, 0x1000);
            assertEquals(0xBEEF, f.cpu.read32(Cpu.DS, PAGE + 12), "the write went to the device, not to RAM");
        }
    }

    @Test
    void aDirectWriteToAPageWithDecodedCodeDropsTheCode() {
        try (CpuFixture f = new CpuFixture()) {
            f.load(PAGE, 0x40, 0xF4);     // inc eax; hlt
            f.flat32(PAGE);
            for (int k = 0; k < 2; k++) {     // writes to the page while it holds no code: JIT TLB entry
                f.cpu.write(Cpu.DS, PAGE + 0x800, 4, k);
            }
            f.cpu.setExecMode(Cpu.EXEC_BLOCKS);
            f.run(10);
            assertEquals(1, f.cpu.r[Cpu.EAX]);
            assertTrue(f.mem.isCode(PAGE));
            f.cpu.write(Cpu.DS, PAGE, 1, 0x48);     // dec eax
            assertFalse(f.mem.isCode(PAGE), "the write must reach the code cache");
            f.flat32(PAGE);
            f.cpu.r[Cpu.EAX] = 1;
            f.run(10);
            assertEquals(0, f.cpu.r[Cpu.EAX]);
        }
    }
}

package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * An instruction that goes on into the next page is cached with its page (see {@link CodeCache}):
 * the cached decoding must give way to what a byte-by-byte fetch sees when the guest writes the
 * tail's page, when the next linear page is mapped elsewhere, or when it is not present, in every
 * dispatch mode.
 */
class CrossingInstructionTest {
    private static final int[] MODES = {Cpu.EXEC_STEP, Cpu.EXEC_BLOCKS, Cpu.EXEC_JIT};
    private static final long PD = 0x100000;
    private static final long PT = 0x101000;
    /** mov eax, imm32 starts 3 bytes before this page: its last two immediate bytes lie on it. */
    private static final long PAGE = 0x6000;
    private static final long START = PAGE - 3;

    /** inc ebx; mov eax, 0x44332211 (crossing into PAGE); hlt, run a few times so that it is cached. */
    private static CpuFixture fixture(int mode) {
        CpuFixture f = new CpuFixture();
        f.cpu.setExecMode(mode);
        f.load(START - 1, 0x43, 0xB8, 0x11, 0x22, 0x33, 0x44, 0xF4);
        return f;
    }

    /** Runs the code from its start; returns EAX. */
    private static long runOnce(CpuFixture f) {
        f.cpu.rip = START - 1;
        f.cpu.halted = false;
        f.run(100);
        return f.cpu.r[Cpu.EAX];
    }

    @Test
    void aWriteToTheTailsPageIsSeen() {
        for (int mode : MODES) {
            try (CpuFixture f = fixture(mode)) {
                f.flat32(START - 1);
                for (int k = 0; k < 3; k++) {
                    assertEquals(0x44332211L, runOnce(f), "mode " + mode);
                }
                f.cpu.write(Cpu.DS, PAGE + 1, 1, 0x99);     // the immediate's last byte
                assertEquals(0x99332211L, runOnce(f), "mode " + mode);
                assertEquals(4, f.cpu.r[Cpu.EBX], "mode " + mode);
            }
        }
    }

    /** Identity paging of the first 4 MiB, the code's next page mapped to {@code tail}. */
    private static void page(CpuFixture f, long tail) {
        for (int k = 0; k < 1024; k++) {
            f.mem.write32(PT + 4L * k, (int) (k * 0x1000L | 3));
        }
        f.mem.write32(PT + 4 * (PAGE >>> 12), (int) tail);
        f.mem.write32(PD, (int) (PT | 3));
        f.cpu.cr3 = PD;
        f.cpu.cr0 |= Cpu.CR0_PG;
        f.cpu.mmu.flushAll();
    }

    @Test
    void theNextLinearPageMappedElsewhereIsSeen() {
        for (int mode : MODES) {
            try (CpuFixture f = fixture(mode)) {
                f.flat32(START - 1);
                f.load(0x8000, 0x55, 0x66, 0xF4);     // another page with other immediate bytes
                page(f, PAGE | 3);
                for (int k = 0; k < 3; k++) {
                    assertEquals(0x44332211L, runOnce(f), "mode " + mode);
                }
                f.mem.write32(PT + 4 * (PAGE >>> 12), 0x8000 | 3);
                f.cpu.mmu.invalidate(PAGE);
                assertEquals(0x66552211L, runOnce(f), "mode " + mode);
            }
        }
    }

    @Test
    void aTailPageThatIsNotPresentFaultsThere() {
        for (int mode : MODES) {
            try (CpuFixture f = fixture(mode)) {
                f.flat32(START - 1);
                page(f, PAGE | 3);
                for (int k = 0; k < 3; k++) {
                    assertEquals(0x44332211L, runOnce(f), "mode " + mode);
                }
                f.mem.write32(PT + 4 * (PAGE >>> 12), 0);
                f.cpu.mmu.invalidate(PAGE);
                f.cpu.r[Cpu.EAX] = 0;
                f.cpu.r[Cpu.EBX] = 0;
                f.cpu.rip = START - 1;
                f.cpu.halted = false;
                f.cpu.step();       // inc ebx
                f.cpu.step();       // the fetch of mov eax faults on PAGE (no IDT: ends in a shutdown)
                assertEquals(PAGE, f.cpu.cr2, "mode " + mode);
                assertEquals(0, f.cpu.r[Cpu.EAX], "mode " + mode);
                assertEquals(1, f.cpu.r[Cpu.EBX], "mode " + mode);
            }
        }
    }
}

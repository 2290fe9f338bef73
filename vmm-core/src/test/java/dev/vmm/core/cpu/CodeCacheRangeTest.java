package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The code cache keeps slots for the RAM pages only (code in ROM or above RAM is decoded on each
 * fetch, as before): code on the last RAM page is cached, code in a ROM above RAM runs the same.
 */
class CodeCacheRangeTest {
    private static final long RAM = 1 << 20;
    private static final long LAST = RAM - 0x1000;         // the last RAM page
    private static final long ROM = 0xFFFF_0000L;          // a ROM page far above RAM

    /** mov eax, 7; add eax, ebx; inc ebx; jmp TARGET, then at TARGET: a loop of inc/add/jmp. */
    private static CpuFixture fixture(int mode, long loop, boolean rom) {
        CpuFixture f = new CpuFixture(RAM);
        f.cpu.setExecMode(mode);
        int[] code = {0x40, 0x01, 0xC3, 0x43, 0xEB, 0xFA};    // inc eax; add ebx, eax; inc ebx; jmp -6
        if (rom) {
            byte[] image = new byte[0x1000];
            for (int k = 0; k < code.length; k++) {
                image[k] = (byte) code[k];
            }
            f.mem.addRom(loop, image);
        } else {
            f.load(loop, code);
        }
        f.flat32(loop);
        f.cpu.r[Cpu.EAX] = 0;
        f.cpu.r[Cpu.EBX] = 0;
        return f;
    }

    @Test
    void codeOnTheLastRamPageIsCachedAndCodeInRomAboveRamRunsTheSameUncached() {
        for (int mode : new int[] {Cpu.EXEC_STEP, Cpu.EXEC_BLOCKS, Cpu.EXEC_JIT}) {
            try (CpuFixture ram = fixture(mode, LAST, false); CpuFixture rom = fixture(mode, ROM, true)) {
                ram.run(40_000);
                rom.run(40_000);
                // 10,000 rounds of inc eax; add ebx, eax; inc ebx: eax = n, ebx = n(n+1)/2 + n
                assertEquals(10_000, ram.cpu.r[Cpu.EAX], "mode " + mode);
                assertEquals(10_000L * 10_001 / 2 + 10_000, ram.cpu.r[Cpu.EBX], "mode " + mode);
                assertEquals(ram.cpu.r[Cpu.EAX], rom.cpu.r[Cpu.EAX], "mode " + mode);
                assertEquals(ram.cpu.r[Cpu.EBX], rom.cpu.r[Cpu.EBX], "mode " + mode);
                assertEquals(mode == Cpu.EXEC_STEP ? Set.of() : Set.of(LAST >>> 12), CodeCacheSweepTest.cachedPages(ram), "mode " + mode);
                assertEquals(Set.of(), CodeCacheSweepTest.cachedPages(rom), "mode " + mode + ": ROM code is not cached");
                rom.cpu.code.invalidate(ROM);       // a code-write notice beyond RAM is harmless
                ram.cpu.code.invalidate(LAST);
                assertEquals(Set.of(), CodeCacheSweepTest.cachedPages(ram), "mode " + mode);
                ram.run(40_000);
                assertEquals(20_000, ram.cpu.r[Cpu.EAX], "mode " + mode);
            }
        }
    }
}

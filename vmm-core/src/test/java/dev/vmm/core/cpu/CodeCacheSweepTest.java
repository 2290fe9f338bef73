package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The code cache forgets the code of pages that stopped running, and nothing the guest can see changes. */
class CodeCacheSweepTest {
    private static final long START = 0x10000;     // runs once: jmp to LOOP
    private static final long LOOP = 0x11000;      // inc eax; add ebx, eax; jmp LOOP

    private static CpuFixture fixture(int mode) {
        CpuFixture f = new CpuFixture(1 << 20);
        f.cpu.setExecMode(mode);
        f.load(START, 0xE9, 0xFB, 0x0F, 0x00, 0x00);                 // jmp LOOP
        f.load(LOOP, 0x40, 0x01, 0xC3, 0xEB, 0xFB);                 // inc eax; add ebx, eax; jmp LOOP
        f.flat32(START);
        f.cpu.r[Cpu.EAX] = 0;
        f.cpu.r[Cpu.EBX] = 0;
        return f;
    }

    /** The physical pages (address >>> 12) that hold cached blocks. */
    static Set<Long> cachedPages(CpuFixture f) {
        return f.cpu.code.cachedBlocks().stream().map(b -> b.pa >>> 12).collect(Collectors.toSet());
    }

    @Test
    void aPageNoBlockRanFromSinceTheLastSweepIsDroppedAndTheRunGoesOnAsBefore() {
        for (int mode : new int[] {Cpu.EXEC_BLOCKS, Cpu.EXEC_JIT}) {
            try (CpuFixture f = fixture(mode); CpuFixture plain = fixture(mode)) {
                f.run(30_000);
                assertEquals(Set.of(START >>> 12, LOOP >>> 12), cachedPages(f));
                f.cpu.code.sweep();                 // both ran since the start: both stay
                assertEquals(Set.of(START >>> 12, LOOP >>> 12), cachedPages(f));
                f.run(30_000);                      // only the loop runs now
                int generation = f.cpu.code.generation;
                f.cpu.code.sweep();
                assertEquals(Set.of(LOOP >>> 12), cachedPages(f), "mode " + mode + ": START's page is dropped");
                assertTrue(f.cpu.code.generation != generation, "a running block notices");
                f.run(30_000);
                plain.run(90_000);
                assertEquals(plain.cpu.r[Cpu.EAX], f.cpu.r[Cpu.EAX]);
                assertEquals(plain.cpu.r[Cpu.EBX], f.cpu.r[Cpu.EBX]);
                assertEquals(plain.cpu.rip, f.cpu.rip);
                assertEquals(90_000, f.cpu.instructionCount());
            }
        }
    }

    @Test
    void anIdleGuestIsSweptByHostTimeOnceEnoughInstructionsRetired() {
        try (CpuFixture f = fixture(Cpu.EXEC_BLOCKS)) {
            long[] now = {0};
            f.cpu.code.hostClock(() -> now[0]);
            f.run(1000);
            now[0] = CodeCache.SWEEP_NANOS;
            f.cpu.code.maybeSweep(CodeCache.SWEEP_MIN_INSTRUCTIONS - 1);
            assertEquals(2, cachedPages(f).size(), "too few instructions since the last sweep");
            f.cpu.code.maybeSweep(CodeCache.SWEEP_MIN_INSTRUCTIONS);   // clears both marks
            f.run(1000);
            now[0] += CodeCache.SWEEP_NANOS - 1;
            f.cpu.code.maybeSweep(3 * CodeCache.SWEEP_MIN_INSTRUCTIONS);
            assertEquals(2, cachedPages(f).size(), "too little time since the last sweep");
            now[0] += 1;
            f.cpu.code.maybeSweep(3 * CodeCache.SWEEP_MIN_INSTRUCTIONS);
            assertEquals(Set.of(LOOP >>> 12), cachedPages(f));
        }
    }

    @Test
    void theSweepRunsOnceEverySweepInterval() {
        try (CpuFixture f = fixture(Cpu.EXEC_BLOCKS)) {
            f.run(1000);
            f.cpu.code.maybeSweep(CodeCache.SWEEP_INSTRUCTIONS - 1);
            f.cpu.code.maybeSweep(CodeCache.SWEEP_INSTRUCTIONS - 1);
            assertEquals(2, cachedPages(f).size(), "not yet due");
            f.cpu.code.maybeSweep(CodeCache.SWEEP_INSTRUCTIONS);     // clears the marks of both
            f.run(1000);
            f.cpu.code.maybeSweep(CodeCache.SWEEP_INSTRUCTIONS + 1);  // not due again until one interval later
            assertEquals(2, cachedPages(f).size());
            f.cpu.code.maybeSweep(2 * CodeCache.SWEEP_INSTRUCTIONS);
            assertEquals(Set.of(LOOP >>> 12), cachedPages(f));
            assertFalse(cachedPages(f).contains(START >>> 12));
        }
    }
}

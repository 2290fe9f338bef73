package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Which blocks {@link Jit#region} compiles together with a hot block. */
class JitRegionTest {
    private static final long CODE = 0x10000;

    /**
     * The branchy loop of InterpreterBench: six blocks on one page, at offsets 0 (inc eax; test al,1;
     * jz 8), 5 (add ebx,3; test al,2; jnz 15), 8 (test al,2; jnz 15), 12 (sub ecx,1; cmp eax,edx;
     * jb 0), 15 (cmp eax,edx; jb 0) and 19 (xor eax,eax; jmp 0). The dispatcher remembers a
     * successor only when it looks it up the slow way; the block at 12 always finds the one at 0 (its
     * loop's head, decoded before it) on the page itself and so has no link to it. A region headed by
     * the block at 12 follows the branches' targets and fall-throughs instead, and takes all six.
     */
    @Test
    void aRegionTakesTheDecodedTargetsOfItsMembersBranches() {
        int[] loop = {0x40, 0xA8, 0x01, 0x74, 0x03, 0x83, 0xC3, 0x03, 0xA8, 0x02, 0x75, 0x03, 0x83, 0xE9, 0x01,
            0x39, 0xD0, 0x72, 0xED, 0x31, 0xC0, 0xEB, 0xE9};
        try (CpuFixture f = new CpuFixture(1 << 20)) {
            f.load(CODE, loop).flat32(CODE);
            f.cpu.setExecMode(Cpu.EXEC_BLOCKS);
            f.cpu.r[Cpu.EDX] = 100;
            f.run(5_000);       // more than 100 iterations: the block at 19 ran too
            Block head = f.cpu.code.cachedBlocks().stream().filter(b -> b.pa == CODE + 12).findFirst().orElseThrow();
            List<Block> region = Jit.region(head);
            assertEquals(head, region.get(0));
            TreeSet<Long> offsets = new TreeSet<>();
            for (Block b : region) {
                offsets.add(b.pa - CODE);
            }
            assertEquals(new TreeSet<>(List.of(0L, 5L, 8L, 12L, 15L, 19L)), offsets);
            assertEquals(6, region.size());
        }
    }

    /** Code that never ran is not compiled: the loop's exit block at 19 joins only once it ran. */
    @Test
    void blocksThatNeverRanStayOut() {
        int[] loop = {0x40, 0xA8, 0x01, 0x74, 0x03, 0x83, 0xC3, 0x03, 0xA8, 0x02, 0x75, 0x03, 0x83, 0xE9, 0x01,
            0x39, 0xD0, 0x72, 0xED, 0x31, 0xC0, 0xEB, 0xE9};
        try (CpuFixture f = new CpuFixture(1 << 20)) {
            f.load(CODE, loop).flat32(CODE);
            f.cpu.setExecMode(Cpu.EXEC_BLOCKS);
            f.cpu.r[Cpu.EDX] = 1_000_000;
            f.run(5_000);
            Block head = f.cpu.code.cachedBlocks().stream().filter(b -> b.pa == CODE).findFirst().orElseThrow();
            TreeSet<Long> offsets = new TreeSet<>();
            for (Block b : Jit.region(head)) {
                offsets.add(b.pa - CODE);
            }
            assertEquals(new TreeSet<>(List.of(0L, 5L, 8L, 12L, 15L)), offsets);
        }
    }
}

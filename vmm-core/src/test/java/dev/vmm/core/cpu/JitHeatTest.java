package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * When the JIT compiles a block with the default thresholds ({@link Jit#THRESHOLD},
 * {@link Jit#EARLY}, {@link Jit#HOT_INSTRUCTIONS}): a block entered {@link Jit#EARLY} times within
 * {@link Jit#EARLY_WINDOW} instructions of its first entry is compiled then, one entered as often
 * more slowly waits for {@link Jit#THRESHOLD}, unless it is long and has run
 * {@link Jit#HOT_INSTRUCTIONS} of its instructions by then.
 */
class JitHeatTest {
    private static final long CODE = 0x10000;

    @Test
    void aFastLoopIsCompiledAfterTheEarlyEntries() {
        // 0: inc eax; 1: jmp 0 (one block, entered once per iteration while interpreted)
        try (CpuFixture f = fixture(0x40, 0xEB, 0xFD)) {
            f.run(2L * (Jit.EARLY - 1));
            assertNull(block(f, CODE).compiled, "compiled before " + Jit.EARLY + " entries: " + block(f, CODE).entries + " at " + f.cpu.instructionCount());
            f.run(4);
            assertNotNull(block(f, CODE).compiled, "not compiled after " + Jit.EARLY + " entries in a tight loop");
            assertEquals(Jit.EARLY, block(f, CODE).entries);
        }
    }

    @Test
    void aBlockThatGetsHotSlowlyWaitsForTheThreshold() {
        // The outer block (inc esi; mov ecx, 2500; dec ecx; jnz 6) runs once per about 5,000
        // instructions of the inner loop (6: dec ecx; jnz 6), so its early entries take longer than
        // the window; the inner loop itself is hot at once. PUSHF; POPF ends the inner loop's region
        // (POPF does not chain), so the outer block is entered by the dispatcher, not by that region.
        try (CpuFixture f = fixture(
                0x46,                                   // 0: inc esi
                0xB9, 0xC4, 0x09, 0, 0,                 // 1: mov ecx, 2500
                0x49,                                   // 6: dec ecx
                0x75, 0xFD,                             // 7: jnz 6
                0x9C,                                   // 9: pushf
                0x9D,                                   // 10: popf
                0xEB, 0xF3)) {                          // 11: jmp 0
            long perIteration = 4 + 2 * 2499 + 2 + 1;
            f.run(perIteration * (Jit.EARLY + 10));
            Block outer = block(f, CODE);
            assertEquals(Jit.EARLY + 10, f.cpu.r[Cpu.ESI], "outer iterations");
            assertEquals(Jit.EARLY + 10, outer.entries, "entries of the outer block");
            assertNull(outer.compiled, "compiled at " + outer.entries + " entries over more than the window");
            assertNotNull(block(f, CODE + 6).compiled, "the inner loop was not compiled early");
        }
    }

    @Test
    void aLongBlockIsCompiledAfterItsHotInstructions() {
        // As above, with 60 more instructions (inc edi) at the start of the outer block: 63
        // instructions, entered slowly, are compiled at the entry that runs the 500,000th of them.
        int[] code = new int[60 + 12];
        java.util.Arrays.fill(code, 0, 60, 0x47);              // 0-59: inc edi
        int[] rest = {0xB9, 0xC4, 0x09, 0, 0,               // 60: mov ecx, 2500
            0x49,                                           // 65: dec ecx
            0x75, 0xFD,                                     // 66: jnz 65
            0x9C,                                           // 68: pushf
            0x9D,                                           // 69: popf
            0xEB, 0xB8};                                    // 70: jmp 0
        System.arraycopy(rest, 0, code, 60, rest.length);
        try (CpuFixture f = fixture(code)) {
            long length = 63;
            long entries = (Jit.HOT_INSTRUCTIONS + length - 1) / length;
            long perIteration = length + 2 * 2499 + 2 + 1;
            f.run(perIteration * (entries - 1));
            Block outer = block(f, CODE);
            assertEquals(length, outer.insns.length, "the outer block's instructions");
            assertEquals(entries - 1, outer.entries, "entries of the outer block");
            assertNull(outer.compiled, "compiled after " + outer.entries * length + " instructions");
            f.run(perIteration);
            assertEquals(entries, f.cpu.r[Cpu.EDI] / 60, "outer iterations");
            assertNotNull(outer.compiled, "not compiled after " + entries * length + " instructions");
        }
    }

    private static CpuFixture fixture(int... code) {
        CpuFixture f = new CpuFixture(1 << 20);
        f.cpu.setExecMode(Cpu.EXEC_JIT);
        f.cpu.blocks.setThresholds(Jit.THRESHOLD, Jit.EARLY);     // not the suite's (vmm-core/pom.xml)
        f.load(CODE, code);
        f.flat32(CODE);
        return f;
    }

    private static Block block(CpuFixture f, long pa) {
        for (Block b : f.cpu.code.cachedBlocks()) {
            if (b.pa == pa) {
                return b;
            }
        }
        throw new AssertionError("no block at " + Long.toHexString(pa));
    }
}

package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Which blocks {@link JitRegion#members} compiles together with a hot block. */
class JitRegionTest {
    private static final long CODE = 0x10000;
    /** The branchy loop of InterpreterBench (see the first test). */
    private static final int[] BRANCHY = {0x40, 0xA8, 0x01, 0x74, 0x03, 0x83, 0xC3, 0x03, 0xA8, 0x02, 0x75, 0x03,
        0x83, 0xE9, 0x01, 0x39, 0xD0, 0x72, 0xED, 0x31, 0xC0, 0xEB, 0xE9};

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
        try (CpuFixture f = branchy(Cpu.EXEC_BLOCKS, 100)) {     // more than 100 iterations: the block at 19 ran too
            Block head = block(f, CODE + 12);
            List<JitRegion.Member> region = JitRegion.members(head, head.pa, f.cpu);
            assertEquals(head, region.get(0).block());
            TreeSet<Long> offsets = new TreeSet<>();
            for (JitRegion.Member m : region) {
                offsets.add(m.block().pa - CODE);
                assertEquals(m.block().pa - head.pa, m.delta(), "a member's place on the head's page");
            }
            assertEquals(new TreeSet<>(List.of(0L, 5L, 8L, 12L, 15L, 19L)), offsets);
            assertEquals(6, region.size());
        }
    }

    /** Code that never ran is not compiled: the loop's exit block at 19 joins only once it ran. */
    @Test
    void blocksThatNeverRanStayOut() {
        try (CpuFixture f = branchy(Cpu.EXEC_BLOCKS, 1_000_000)) {
            Block head = block(f, CODE);
            TreeSet<Long> offsets = new TreeSet<>();
            for (JitRegion.Member m : JitRegion.members(head, head.pa, f.cpu)) {
                offsets.add(m.block().pa - CODE);
            }
            assertEquals(new TreeSet<>(List.of(0L, 5L, 8L, 12L, 15L)), offsets);
        }
    }

    /**
     * A call to another page and the return from it: the region of the calling block takes the
     * function, where the dispatcher found it (0x1000 past the head), and the code after the call
     * on the head's page, where the function's return went.
     */
    @Test
    void aRegionTakesAFunctionOnAnotherPageAndItsReturn() {
        try (CpuFixture f = calls(Cpu.EXEC_BLOCKS)) {
            Block head = block(f, CODE);
            java.util.Map<Long, Integer> deltas = new java.util.TreeMap<>();
            for (JitRegion.Member m : JitRegion.members(head, CODE, f.cpu)) {
                deltas.put(m.block().pa - CODE, m.delta());
            }
            assertEquals(java.util.Map.of(0L, 0, 5L, 5, 0x1000L, 0x1000), deltas);
        }
    }

    /** A member goes on only to the blocks that may follow it: its branch's target and its next instruction's block. */
    @Test
    void aMembersSuccessorsAreItsBranchTargetAndNextBlock() {
        try (CpuFixture f = branchy(Cpu.EXEC_BLOCKS, 100)) {
            TreeSet<Long> next = new TreeSet<>();
            for (Block b : JitRegion.successors(block(f, CODE))) {
                next.add(b.pa - CODE);
            }
            assertEquals(new TreeSet<>(List.of(5L, 8L)), next, "jz 8 and the block after it");
        }
    }

    /**
     * A block compiled as a member of another's region, on its page, is entered there by the
     * dispatcher: it gets no region of its own, and runs as it does in the interpreter.
     */
    @Test
    void theDispatcherEntersARegionAtAMemberOnTheHeadsPage() {
        try (CpuFixture jit = branchy(Cpu.EXEC_JIT, 1_000_000); CpuFixture blocks = branchy(Cpu.EXEC_BLOCKS, 1_000_000)) {
            Block head = block(jit, CODE);
            assertNotNull(head.compiled, "the loop's head was not compiled");
            assertEquals(1, jit.cpu.blocks.compiledBlocks(), "regions compiled");
            Block member = block(jit, CODE + 12);
            assertSame(head.compiled, member.compiled, "the block at 12 runs in the head's region");
            assertSame(member, head.compiled.members[member.member]);
            int entries = member.entries;
            for (CpuFixture f : List.of(jit, blocks)) {
                f.cpu.rip = CODE + 12;
                f.cpu.r[Cpu.ECX] = 77;
                f.run(5_000);
            }
            assertArrayEquals(blocks.cpu.r, jit.cpu.r, "registers after entering at the member");
            assertEquals(blocks.cpu.rip, jit.cpu.rip);
            assertEquals(blocks.cpu.flags.get(), jit.cpu.flags.get(), "flags");
            assertEquals(entries, member.entries, "the member was interpreted");
            assertEquals(1, jit.cpu.blocks.compiledBlocks(), "regions compiled");
        }
    }

    /**
     * The same for a region with a member on another page (a function it calls): entered at the
     * code after the call, it follows the return to its head's page as the interpreter does.
     */
    @Test
    void aRegionWithAMemberOnAnotherPageIsEnteredAtAMember() {
        try (CpuFixture jit = calls(Cpu.EXEC_JIT); CpuFixture blocks = calls(Cpu.EXEC_BLOCKS)) {
            Block head = block(jit, CODE);
            Block member = block(jit, CODE + 5);
            assertNotNull(head.compiled.pages, "the region has a member on another page");
            assertSame(head.compiled, member.compiled, "the block at 5 runs in the head's region");
            int entries = member.entries;
            for (CpuFixture f : List.of(jit, blocks)) {
                f.cpu.rip = CODE + 5;
                f.run(1_001);
            }
            assertArrayEquals(blocks.cpu.r, jit.cpu.r, "registers after entering at the member");
            assertEquals(blocks.cpu.rip, jit.cpu.rip);
            assertEquals(entries, member.entries, "the member was interpreted");
        }
    }

    /** 0: call +0x1000; 5: inc esi; 6: jmp 0, and at 0x1000: inc eax; ret; run 1,000 instructions in {@code mode}. */
    private static CpuFixture calls(int mode) {
        CpuFixture f = new CpuFixture(1 << 20);
        f.load(CODE, 0xE8, 0xFB, 0x0F, 0, 0, 0x46, 0xEB, 0xF8).load(CODE + 0x1000, 0x40, 0xC3).flat32(CODE);
        f.cpu.setExecMode(mode);
        f.run(1_000);
        return f;
    }

    /**
     * A ladder: ten blocks in a row (offsets 0, 8, ... 72: nop; dec ecx; jz side), then a jump back
     * to the first, and a side block per rung (0x200 + 16k: mov ecx, 1001; jmp to the next rung)
     * taken once in a thousand. Breadth first the region would take every rung's side block right
     * after the rung; it takes the hottest blocks first, so it holds the first eight rungs.
     */
    @Test
    void aRegionTakesItsHottestSuccessorsFirst() {
        int[] code = new int[0x300];
        for (int k = 0; k < 10; k++) {
            int at = 8 * k;
            int side = 0x200 + 16 * k;
            int[] rung = {0x90, 0x49, 0x0F, 0x84};
            System.arraycopy(rung, 0, code, at, 4);
            putRel32(code, at + 4, side - (at + 8));
            code[side] = 0xB9;
            putRel32(code, side + 1, 1001);
            code[side + 5] = 0xE9;
            putRel32(code, side + 6, 8 * (k + 1) - (side + 10));
        }
        code[80] = 0xEB;
        code[81] = (0 - 82) & 0xFF;
        try (CpuFixture f = new CpuFixture(1 << 20)) {
            f.load(CODE, code).flat32(CODE);
            f.cpu.setExecMode(Cpu.EXEC_JIT);
            f.cpu.blocks.setThreshold(Integer.MAX_VALUE);     // count the entries, compile nothing
            f.cpu.r[Cpu.ECX] = 1;
            f.run(400_000);
            Block head = block(f, CODE);
            for (int k = 0; k < 10; k++) {
                int side = block(f, CODE + 0x200 + 16 * k).entries;
                int rung = block(f, CODE + 8 * k).entries;
                assertTrue(side >= 1 && side * 100 < rung, "side block " + k + " ran, rarely: " + side + " of " + rung);
            }
            TreeSet<Long> offsets = new TreeSet<>();
            for (JitRegion.Member m : JitRegion.members(head, head.pa, f.cpu)) {
                offsets.add(m.block().pa - CODE);
            }
            assertEquals(new TreeSet<>(List.of(0L, 8L, 16L, 24L, 32L, 40L, 48L, 56L)), offsets);
        }
    }

    /**
     * A loop of eight blocks of 40 loads each (mov eax, [ebx+k]; then jmp to the next block, the last
     * back to the first): its region would take all eight, far more bytecode than
     * {@link Jit#MAX_REGION_CODE}, and two of them fit. Halving the region after each build built
     * it three times (eight, four, then two members). The estimate from the instructions (at the
     * bytes per instruction assumed before the first build, more than these loads take) cuts it to
     * one member before the first build, whose own bytes per instruction then say that two fit:
     * the same region, built twice.
     */
    @Test
    void aRegionFarTooBigIsCutBeforeItIsBuilt() {
        int blockBytes = 40 * 3 + 5;
        int[] code = new int[8 * blockBytes];
        for (int k = 0; k < 8; k++) {
            int at = k * blockBytes;
            for (int i = 0; i < 40; i++) {
                code[at + 3 * i] = 0x8B;                // mov eax, [ebx+4i]
                code[at + 3 * i + 1] = 0x43;
                code[at + 3 * i + 2] = 4 * i;
            }
            code[at + 120] = 0xE9;                      // jmp next (rel32)
            putRel32(code, at + 121, (k + 1) % 8 * blockBytes - (at + 125));
        }
        try (CpuFixture f = new CpuFixture(1 << 20)) {
            f.load(CODE, code).flat32(CODE);
            f.cpu.setExecMode(Cpu.EXEC_BLOCKS);
            f.cpu.r[Cpu.EBX] = 0x20000;
            f.run(41 * 8 * 10);
            assertEquals(CODE, f.cpu.rip, "ten rounds of the loop");
            Block head = block(f, CODE);
            assertEquals(8, JitRegion.members(head, CODE, f.cpu).size(), "the region's candidates");
            Jit jit = new Jit(f.cpu, f.cpu.code);
            f.cpu.rip = CODE;
            CompiledBlock cb = jit.compile(head);
            assertNotNull(cb, "not compiled");
            assertEquals(2, cb.members.length, "members");
            assertEquals(2, jit.buildCount(), "classes built");
        }
    }

    private static void putRel32(int[] code, int at, int v) {
        for (int b = 0; b < 4; b++) {
            code[at + b] = (v >>> (8 * b)) & 0xFF;
        }
    }

    /** {@link #BRANCHY} with EDX (the loop's bound) {@code edx}, run 5,000 instructions in {@code mode}. */
    private static CpuFixture branchy(int mode, long edx) {
        CpuFixture f = new CpuFixture(1 << 20);
        f.load(CODE, BRANCHY).flat32(CODE);
        f.cpu.setExecMode(mode);
        f.cpu.r[Cpu.EDX] = edx;
        f.run(5_000);
        return f;
    }

    private static Block block(CpuFixture f, long pa) {
        return f.cpu.code.cachedBlocks().stream().filter(b -> b.pa == pa).findFirst().orElseThrow();
    }
}

package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.irq.InterruptSource;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The block dispatcher and the JIT against the per-instruction interpreter, in lockstep: the same
 * guest program runs on two CPUs, one with {@link Cpu#EXEC_STEP} (the oracle: every instruction
 * fetched, polled and executed alone) and one with blocks or the JIT, in slices of random length.
 * After every slice the whole architectural state ({@link CpuState}, with the instruction count)
 * and the guest memory must be identical. The slices end in the middle of blocks, so the budget
 * bound is checked too; the programs fault (#DE, handled), modify their own code, and take
 * interrupts raised between slices.
 */
class BlockLockstepTest {
    private static final long CODE = 0x10000;
    private static final long DATA = 0x20000;
    private static final long HANDLER = 0x30000;
    private static final long IRQ_HANDLER = 0x30100;
    private static final long GP_HANDLER = 0x30200;
    private static final int IRQ_VECTOR = 0x40;
    private static final long STACK_PAGE = CpuFixture.STACK_TOP - 0x1000;
    private static final long PAGE_DIRECTORY = 0x50000;
    /** Maps the first MiB; the entry of CODE + 0x1000 is at 0x51044. */
    private static final long PAGE_TABLE = 0x51000;
    private static final int[] DST = {Cpu.EAX, Cpu.ECX, Cpu.EDX, Cpu.EDI, Cpu.EBP};

    /** An interrupt line the test raises between slices, reporting its changes like the APIC does. */
    private static final class Line implements InterruptSource {
        boolean pending;
        Runnable listener = () -> { };

        @Override
        public boolean intrPending() {
            return pending;
        }

        @Override
        public int acknowledge() {
            pending = false;
            return IRQ_VECTOR;
        }

        @Override
        public boolean onChange(Runnable l) {
            listener = l;
            return true;
        }

        void raise() {
            pending = true;
            listener.run();
        }
    }

    @Test
    void benchmarkLoopsRunTheSameInBlocksAndJit() {
        int[][] loops = {
            {0x01, 0xD8, 0x31, 0xC1, 0x29, 0xCA, 0xD1, 0xE3, 0x83, 0xCB, 0x01, 0x46, 0xEB, 0xF2},
            {0x8B, 0x04, 0xB3, 0x01, 0x04, 0xBB, 0x46, 0x81, 0xE6, 0xFF, 0x03, 0, 0, 0x47, 0x81, 0xE7, 0xFF,
                0x03, 0, 0, 0xEB, 0xEA},
            {0x40, 0xA8, 0x01, 0x74, 0x03, 0x83, 0xC3, 0x03, 0xA8, 0x02, 0x75, 0x03, 0x83, 0xE9, 0x01, 0x39,
                0xD0, 0x72, 0xED, 0x31, 0xC0, 0xEB, 0xE9},
        };
        for (int mode : new int[] {Cpu.EXEC_BLOCKS, Cpu.EXEC_JIT}) {
            for (int[] loop : loops) {
                byte[] code = new byte[loop.length];
                for (int k = 0; k < loop.length; k++) {
                    code[k] = (byte) loop[k];
                }
                Jitted j = lockstep(code, mode, new Random(loop.length), 200_000, false);
                if (mode == Cpu.EXEC_JIT) {
                    assertTrue(j.compiled() > 0, "the JIT compiled no block");
                }
                if (mode == Cpu.EXEC_JIT && loop == loops[2]) {
                    // three blocks (two Jcc forward, one back): compiled as one region
                    assertTrue(j.chained() >= 2, "blocks compiled into regions: " + j.chained());
                }
            }
        }
    }

    /**
     * A load in the middle of a block faults (#GP: beyond the DS limit) every 16 iterations; the
     * handler repairs EDI and returns to it. The fault must leave the state of the faulting
     * instruction (rip, the count of the instructions before it) in both the interpreted and the
     * compiled block, where the instructions before it do not update rip or the count one by one.
     */
    @Test
    void faultInTheMiddleOfABlockIsPrecise() {
        byte[] code = bytes(
                0x8B, 0x03,                         // mov eax, [ebx]
                0x01, 0xC1,                         // add ecx, eax
                0x8B, 0x17,                         // mov edx, [edi]  (#GP past the DS limit)
                0x01, 0x53, 0x04,                   // add [ebx+4], edx
                0x46,                               // inc esi
                0x81, 0xC7, 0x00, 0x10, 0x00, 0x00, // add edi, 0x1000
                0xEB, 0xEE);                        // jmp start
        java.util.function.Consumer<CpuFixture> setup = f -> {
            f.load(GP_HANDLER, 0x83, 0xC4, 0x04, 0xBF, 0x00, 0x00, 0x02, 0x00, 0xCF); // add esp,4; mov edi,DATA; iretd
            f.setGate(13, 0x08, GP_HANDLER, 0xE, 0);
            f.setGdt(9, CpuFixture.descriptor(0, 0x2FFFF, 0x93, 0x4));
            f.cpu.gdtLimit = 10 * 8 - 1;
            f.loadSeg(Cpu.DS, 0x48);
            f.cpu.r[Cpu.EDI] = DATA;
        };
        for (int mode : new int[] {Cpu.EXEC_BLOCKS, Cpu.EXEC_JIT}) {
            long compiled = lockstep(code, mode, new Random(mode), 100_000, false, setup).compiled();
            if (mode == Cpu.EXEC_JIT) {
                assertTrue(compiled > 0, "the JIT compiled no block");
            }
        }
    }

    /**
     * A block jumps into a loop that writes into its own code page every iteration (data next to
     * code): each write drops the loop's page. The dropped blocks must not link to their successors,
     * or every generation of the page stays reachable from the block that entered the loop (this once
     * filled a 6 GB heap while ISOLINUX ran).
     */
    @Test
    void aLoopRewritingItsPageKeepsNoChainOfOldBlocks() {
        byte[] code = new byte[0x1008];
        byte[] entry = bytes(0xE9, 0xFB, 0x0F, 0x00, 0x00);      // jmp 0x11000
        byte[] loop = bytes(
                0xA3, 0x00, 0x11, 0x01, 0x00,       // 0x11000: mov [0x11100], eax  (its own page)
                0x40,                               // inc eax
                0xEB, 0xF8);                        // jmp 0x11000
        System.arraycopy(entry, 0, code, 0, entry.length);
        System.arraycopy(loop, 0, code, 0x1000, loop.length);
        for (int mode : new int[] {Cpu.EXEC_BLOCKS, Cpu.EXEC_JIT}) {
            lockstep(code, mode, new Random(mode), 20_000, false);
            try (CpuFixture f = fixture(code, mode)) {
                f.run(200_000);
                assertEquals(200_000, f.cpu.instructionCount());
                int linked = f.cpu.blocks.linkedBlocks();
                assertTrue(linked <= 4, linked + " blocks reachable from the cached ones");
            }
        }
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int k = 0; k < v.length; k++) {
            b[k] = (byte) v[k];
        }
        return b;
    }

    @Test
    void randomProgramsRunTheSameInBlocksAndJit() {
        long compiled = 0;
        long chained = 0;
        for (int seed = 1; seed <= 60; seed++) {
            byte[] program = new Gen(new Random(seed)).program();
            int mode = seed % 2 == 0 ? Cpu.EXEC_BLOCKS : Cpu.EXEC_JIT;
            Jitted j = lockstep(program, mode, new Random(seed * 31L), 40_000, seed % 3 == 0);
            compiled += j.compiled();
            chained += j.chained();
        }
        // Programs without self-modifying stores run their blocks hot enough to be compiled.
        assertTrue(compiled > 0, "the JIT compiled no block");
        assertTrue(chained > 0, "the JIT compiled no region of several blocks");
    }

    /**
     * PUSH and POP of a register are compiled inline for a 32-bit stack only: under a 16-bit stack
     * segment (here one with a 4 GiB limit, B clear, and ESP's upper half set) they move SP, not
     * ESP, and take the interpreter's path.
     */
    @Test
    void stackOpsOnASixteenBitStackRunTheSame() {
        // push eax; push ebx; pop ecx; add eax, ecx; pop edx; inc ebx; jmp 0
        byte[] loop = {0x50, 0x53, 0x59, 0x01, (byte) 0xC8, 0x5A, 0x43, (byte) 0xEB, (byte) 0xF7};
        Jitted j = lockstep(loop, Cpu.EXEC_JIT, new Random(7), 20_000, false, f -> {
            f.setGdt(4, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x93, 0x8));
            f.loadSeg(Cpu.SS, 0x20);
            f.cpu.r[Cpu.ESP] = 0x0001_0000 | CpuFixture.STACK_TOP;
        });
        assertTrue(j.compiled() > 0, "the JIT compiled no block");
    }

    /**
     * CALL rel32, RET and RET imm16 are compiled inline (the return address through the JIT's
     * stack access): a loop that pushes an argument and calls a function that reads it and returns
     * with RET 4, on a 32-bit stack and on a 16-bit one (where the inline forms take the full path).
     */
    @Test
    void callsAndReturnsRunTheSame() {
        byte[] loop = {
            0x50,                                           // 0: push eax
            (byte) 0xE8, 0x04, 0, 0, 0,                     // 1: call 10
            0x43,                                           // 6: inc ebx
            (byte) 0xEB, (byte) 0xF7,                       // 7: jmp 0
            (byte) 0x90,                                    // 9: nop
            (byte) 0x8B, 0x44, 0x24, 0x04,                  // 10: mov eax, [esp+4]
            0x01, (byte) 0xD8,                              // 14: add eax, ebx
            (byte) 0xE8, 0x04, 0, 0, 0,                     // 16: call 25
            (byte) 0xC2, 0x04, 0x00,                        // 21: ret 4
            (byte) 0x90,                                    // 24: nop
            (byte) 0xD1, (byte) 0xC0,                       // 25: rol eax, 1
            (byte) 0xC3,                                    // 27: ret
        };
        assertTrue(lockstep(loop, Cpu.EXEC_JIT, new Random(11), 20_000, false).compiled() > 0);
        Jitted j = lockstep(loop, Cpu.EXEC_JIT, new Random(12), 20_000, false, f -> {
            f.setGdt(4, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x93, 0x8));
            f.loadSeg(Cpu.SS, 0x20);
            f.cpu.r[Cpu.ESP] = 0x0001_0000 | CpuFixture.STACK_TOP;
        });
        assertTrue(j.compiled() > 0, "the JIT compiled no block");
    }

    /**
     * A plain RET, NOP, PAUSE and a multi-byte NOP with a memory operand (which is never accessed)
     * are compiled inline, not through the interpreter's handlers: a function made of them is
     * called in a loop, and runs as the single-stepping oracle does.
     */
    @Test
    void returnsAndNopsAreCompiledInline() {
        byte[] loop = {
            (byte) 0xE8, 0x03, 0, 0, 0,                     // 0: call 8
            0x43,                                           // 5: inc ebx
            (byte) 0xEB, (byte) 0xF8,                       // 6: jmp 0
            (byte) 0x90,                                    // 8: nop
            (byte) 0xF3, (byte) 0x90,                       // 9: pause
            0x0F, 0x1F, 0x44, 0x00, 0x00,                   // 11: nop dword [eax+eax*1+0]
            (byte) 0xC3,                                    // 16: ret
        };
        assertTrue(lockstep(loop, Cpu.EXEC_JIT, new Random(13), 20_000, false).compiled() > 0,
                "the JIT compiled no block");
        try (CpuFixture f = fixture(loop, Cpu.EXEC_JIT)) {
            f.cpu.r[Cpu.EAX] = 0xFFFF_F000L;     // the NOP's operand lies outside RAM
            f.run(100);
            Block function = f.cpu.code.cachedBlocks().stream().filter(b -> b.pa == CODE + 8).findFirst()
                    .orElseThrow(() -> new AssertionError("no block at the function"));
            assertEquals(4, function.insns.length, "the function's instructions");
            for (Insn i : function.insns) {
                assertTrue(JitEmit.supported(i), i.entry.key() + " is not compiled inline");
                assertTrue(!JitEmit.touchesMemory(i) || JitEmit.stackOp(i) != 0, i.entry.key() + " accesses memory");
            }
        }
    }

    /**
     * SHL, SHR and SAR of a 32-bit register by CL are compiled inline: CL steps by 7, so the masked
     * count takes every value from 0 (which leaves the register and the flags alone) to 31, and
     * PUSHFD and ADC right after the shifts feed the flags each one left back into the registers.
     */
    @Test
    void shiftsByClRunTheSame() {
        byte[] loop = {
            0x01, (byte) 0xD8,                              // 0: add eax, ebx
            (byte) 0xD3, (byte) 0xE2,                       // 2: shl edx, cl
            (byte) 0x9C,                                    // 4: pushfd
            0x5F,                                           // 5: pop edi
            0x01, (byte) 0xFB,                              // 6: add ebx, edi
            (byte) 0xD3, (byte) 0xE8,                       // 8: shr eax, cl
            0x11, (byte) 0xC2,                              // 10: adc edx, eax
            (byte) 0xD3, (byte) 0xFE,                       // 12: sar esi, cl
            (byte) 0x9C,                                    // 14: pushfd
            0x5F,                                           // 15: pop edi
            0x31, (byte) 0xFB,                              // 16: xor ebx, edi
            (byte) 0x83, (byte) 0xC1, 0x07,                 // 18: add ecx, 7
            0x31, (byte) 0xC6,                              // 21: xor esi, eax
            (byte) 0xEB, (byte) 0xE7,                       // 23: jmp 0
        };
        assertTrue(lockstep(loop, Cpu.EXEC_JIT, new Random(14), 30_000, false).compiled() > 0,
                "the JIT compiled no block");
        try (CpuFixture f = fixture(loop, Cpu.EXEC_JIT)) {
            f.run(100);
            Block b = f.cpu.code.cachedBlocks().stream().filter(x -> x.pa == CODE).findFirst()
                    .orElseThrow(() -> new AssertionError("no block at the loop"));
            for (int k : new int[] {1, 5, 7}) {
                assertTrue(JitEmit.supported(b.insns[k]), b.insns[k].entry.key() + " by CL is not compiled inline");
            }
        }
    }

    /**
     * A region takes a function on another page, and the code after its return, into itself
     * ({@link JitRegion.Member}): a loop calls a function on the next page, under paging. Every 256
     * iterations it maps the function's linear page to the other of two physical pages, each with a
     * function of its own, and invalidates the TLB entry; every 1,024 it also rewrites the immediate
     * of the function mapped (a code write: that function's blocks are dropped). The compiled region
     * must notice both before it enters its copy of a function.
     */
    @Test
    void aRegionAcrossPagesSeesTheirCodeWrittenAndRemapped() {
        byte[] loop = {
            (byte) 0xE8, (byte) 0xFB, 0x0F, 0, 0,               // 0: call CODE + 0x1000
            0x01, (byte) 0xC3,                                  // 5: add ebx, eax
            0x46,                                               // 7: inc esi
            (byte) 0xF7, (byte) 0xC6, (byte) 0xFF, 0, 0, 0,     // 8: test esi, 0xff
            0x75, (byte) 0xF0,                                  // 14: jnz 0
            (byte) 0x81, 0x35, 0x44, 0x10, 0x05, 0x00, 0, 0x30, 0, 0, // 16: xor dword [PTE of CODE + 0x1000], 0x3000
            0x0F, 0x01, 0x3D, 0x00, 0x10, 0x01, 0x00,           // 26: invlpg [CODE + 0x1000]
            (byte) 0xF7, (byte) 0xC6, 0, 0x03, 0, 0,            // 33: test esi, 0x300
            0x75, (byte) 0xD7,                                  // 39: jnz 0
            (byte) 0x89, 0x35, 0x01, 0x10, 0x01, 0x00,          // 41: mov [CODE + 0x1001], esi
            (byte) 0xEB, (byte) 0xCF,                           // 47: jmp 0
        };
        for (long seed : new long[] {21, 22}) {
            Jitted j = lockstep(loop, Cpu.EXEC_JIT, new Random(seed), 60_000, false, f -> {
                f.load(CODE + 0x1000, 0xB8, 0x11, 0x22, 0x33, 0x44, 0x31, 0xC8, 0xC3);  // mov eax, imm; xor eax, ecx; ret
                f.load(CODE + 0x2000, 0xB8, 0x55, 0x66, 0x77, 0x08, 0x01, 0xD0, 0xC3);  // mov eax, imm; add eax, edx; ret
                identityPaging(f);
            });
            assertTrue(j.compiled() > 0, "the JIT compiled no block");
        }
    }

    /** Turns paging on, the first MiB mapped to itself through PAGE_DIRECTORY and PAGE_TABLE. */
    private static void identityPaging(CpuFixture f) {
        for (int k = 0; k < 256; k++) {
            f.mem.write32(PAGE_TABLE + 4L * k, (int) (k * 0x1000L | 3));
        }
        f.mem.write32(PAGE_DIRECTORY, (int) (PAGE_TABLE | 3));
        f.cpu.cr3 = PAGE_DIRECTORY;
        f.cpu.cr0 |= Cpu.CR0_PG;
        f.cpu.mmu.flushAll();
    }

    /**
     * A region compiled while DS and SS are flat accesses memory without their checks, and checks at
     * entry that they still are ({@link JitMem#requireFlat}). The loop reads and writes through DS
     * and the stack; every 256 iterations it switches DS between the flat data segment and one with
     * base 0x800 and a limit below 4 GiB (a MOV DS ends its block and leaves the region), so the
     * region is entered with either.
     */
    @Test
    void aRegionCompiledForFlatSegmentsChecksThemAtEntry() {
        byte[] loop = dsSwitchLoop(false);
        Jitted j = lockstep(loop, Cpu.EXEC_JIT, new Random(31), 40_000, false, BlockLockstepTest::dataSegmentAt800);
        assertTrue(j.compiled() > 0, "the JIT compiled no block");
    }

    /**
     * The loop of the two tests above: mov eax, [ebx]; inc esi; (with {@code viaMember}: jmp to
     * the next instruction, which so starts a block of its own;) add [ebx+4], eax; push eax; pop
     * edx; xor [ebx+8], edx; test esi, 0xff; jnz 0; then the DS switch (mov eax, ds; xor al,
     * 0x10 ^ 0x48; mov ds, eax) and a jmp back to 0, or {@code viaMember} to the add.
     */
    private static byte[] dsSwitchLoop(boolean viaMember) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x8B, 0x03, 0x46});
        if (viaMember) {
            out.writeBytes(new byte[] {(byte) 0xEB, 0x00});
        }
        int add = out.size();
        out.writeBytes(new byte[] {0x01, 0x43, 0x04, 0x50, 0x5A, 0x31, 0x53, 0x08,
            (byte) 0xF7, (byte) 0xC6, (byte) 0xFF, 0, 0, 0, 0x75});
        out.write(-(out.size() + 1));
        out.writeBytes(new byte[] {(byte) 0x8C, (byte) 0xD8, 0x34, 0x58, (byte) 0x8E, (byte) 0xD8, (byte) 0xEB});
        out.write((viaMember ? add : 0) - (out.size() + 1));
        return out.toByteArray();
    }

    /** Descriptor 0x48: data, base 0x800, limit 0x2FFFF (not flat), for the loops that switch DS to it. */
    private static void dataSegmentAt800(CpuFixture f) {
        f.setGdt(9, CpuFixture.descriptor(0x800, 0x2FFFF, 0x93, 0x4));
        f.cpu.gdtLimit = 10 * 8 - 1;
    }

    /**
     * The same check when the dispatcher enters the region at a member: the loop's head (0) jumps
     * to the block at 5, which its region takes as a member; after each DS switch the code jumps
     * to 5 directly, so the dispatcher enters the head's region there, with DS flat or not, and a
     * DS that is not makes that member's first instruction take the miss path.
     */
    @Test
    void aRegionEnteredAtAMemberChecksItsFlatSegmentsThere() {
        byte[] loop = dsSwitchLoop(true);
        Jitted j = lockstep(loop, Cpu.EXEC_JIT, new Random(37), 40_000, false, BlockLockstepTest::dataSegmentAt800);
        assertTrue(j.chained() > 0, "no region took a member");
    }

    /**
     * A taken Jcc (a block's last instruction) whose target lies beyond the CS limit raises #GP with
     * the block's earlier register updates in place: a code segment ending at CODE+15, a loop whose
     * JZ jumps past it every 16th iteration, and a #GP handler (inside the segment) that skips the
     * JZ.
     */
    @Test
    void aJccBeyondTheCsLimitFaultsWithTheBlocksRegistersWritten() {
        byte[] program = {
            0x40,                                           // 0: inc eax
            0x43,                                           // 1: inc ebx
            (byte) 0xA8, 0x0F,                              // 2: test al, 0x0F
            0x74, 0x10,                                     // 4: jz 0x16 (beyond the limit)
            (byte) 0xEB, (byte) 0xF8,                       // 6: jmp 0
            (byte) 0x83, (byte) 0xC4, 0x04,                 // 8: add esp, 4 (the error code)
            (byte) 0x83, 0x04, 0x24, 0x02,                  // 11: add dword [esp], 2 (past the JZ)
            (byte) 0xCF,                                    // 15: iretd
        };
        Jitted j = lockstep(program, Cpu.EXEC_JIT, new Random(13), 20_000, false, f -> {
            f.setGdt(1, CpuFixture.descriptor(0, CODE + 15, 0x9B, 0x4));
            f.loadSeg(Cpu.CS, 0x08);
            f.setGate(13, 0x08, CODE + 8, 0xE, 0);
        });
        assertTrue(j.compiled() > 0, "the JIT compiled no block");
    }

    /**
     * A function called from four places returns to each: more successors than a block's two links
     * keep, so the dispatcher finds the block after the RET among its recent lookups
     * ({@link BlockRunner}'s jump cache), in blocks and JIT mode, against single steps. Two of the
     * return addresses, CODE+5 and CODE+0x404, share a slot of that cache.
     */
    @Test
    void returnsToManyCallersRunTheSame() {
        byte[] program = new byte[0x411];
        byte[] first = {
            (byte) 0xE8, 0x3B, 0, 0, 0,                                 // 0: call 0x40
            0x01, (byte) 0xC3,                                          // 5: add ebx, eax
            (byte) 0xE8, 0x34, 0, 0, 0,                                 // 7: call 0x40
            0x31, (byte) 0xC2,                                          // 0xc: xor edx, eax
            (byte) 0xE9, (byte) 0xEC, 0x03, 0, 0,                       // 0xe: jmp 0x3ff
        };
        byte[] function = {
            (byte) 0x89, (byte) 0xF0,                                   // 0x40: mov eax, esi
            (byte) 0xD1, (byte) 0xE0,                                   // 0x42: shl eax, 1
            0x01, (byte) 0xD0,                                          // 0x44: add eax, edx
            (byte) 0xC3,                                                // 0x46: ret
        };
        byte[] second = {
            (byte) 0xE8, 0x3C, (byte) 0xFC, (byte) 0xFF, (byte) 0xFF,   // 0x3ff: call 0x40
            0x29, (byte) 0xC1,                                          // 0x404: sub ecx, eax
            (byte) 0xE8, 0x35, (byte) 0xFC, (byte) 0xFF, (byte) 0xFF,   // 0x406: call 0x40
            0x46,                                                       // 0x40b: inc esi
            (byte) 0xE9, (byte) 0xEF, (byte) 0xFB, (byte) 0xFF, (byte) 0xFF, // 0x40c: jmp 0
        };
        System.arraycopy(first, 0, program, 0, first.length);
        System.arraycopy(function, 0, program, 0x40, function.length);
        System.arraycopy(second, 0, program, 0x3FF, second.length);
        for (int mode : new int[] {Cpu.EXEC_BLOCKS, Cpu.EXEC_JIT}) {
            lockstep(program, mode, new Random(43), 40_000, true);
        }
    }

    /**
     * An instruction that goes on into the next page is a block of its own ({@link Block#tail}),
     * which the dispatcher takes without fetching it again only while the next linear page leads to
     * the same physical page. A loop on the end of one page runs a MOV EAX, imm32 whose last two
     * bytes lie on the next, then the rest of the loop there. Every 256 iterations it maps that
     * linear page to the other of two physical pages, which hold the same code after other
     * immediate bytes, and invalidates its TLB entry; every 1,024 it also writes the immediate's last
     * byte (a code write on the tail's page, which drops the crossing block). The JIT compiles the
     * loop into one region, which checks the crossing member's next page before it enters it.
     */
    @Test
    void aCrossingInstructionIsABlockWhileItsNextPageStaysTheSame() {
        byte[] tail = {
            0x33, 0x44,                                                     // 0x1000: imm32's last bytes
            0x31, (byte) 0xC8,                                              // 0x1002: xor eax, ecx
            (byte) 0xF7, (byte) 0xC6, (byte) 0xFF, 0, 0, 0,                 // 0x1004: test esi, 0xff
            0x75, (byte) 0xEC,                                              // 0x100a: jnz 0xff8
            (byte) 0x81, 0x35, 0x44, 0x10, 0x05, 0x00, 0, 0x30, 0, 0,       // 0x100c: xor dword [PTE of CODE + 0x1000], 0x3000
            0x0F, 0x01, 0x3D, 0x00, 0x10, 0x01, 0x00,                       // 0x1016: invlpg [CODE + 0x1000]
            (byte) 0xF7, (byte) 0xC6, 0, 0x03, 0, 0,                        // 0x101d: test esi, 0x300
            0x75, (byte) 0xD3,                                              // 0x1023: jnz 0xff8
            (byte) 0x89, (byte) 0xF0,                                       // 0x1025: mov eax, esi
            (byte) 0xC1, (byte) 0xE8, 0x0A,                                 // 0x1027: shr eax, 10
            (byte) 0x88, 0x05, 0x01, 0x10, 0x01, 0x00,                      // 0x102a: mov [CODE + 0x1001], al
            (byte) 0xE9, (byte) 0xC3, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, // 0x1030: jmp 0xff8
        };
        byte[] program = {
            (byte) 0xE9, (byte) 0xF3, 0x0F, 0, 0,                           // 0: jmp 0xff8
        };
        byte[] loop = {
            0x46,                                                           // 0xff8: inc esi
            0x01, (byte) 0xC3,                                              // 0xff9: add ebx, eax
            (byte) 0x90, (byte) 0x90,                                       // 0xffb: nop; nop
            (byte) 0xB8, 0x11, 0x22,                                        // 0xffd: mov eax, 0x44332211 (goes on at 0x1000)
        };
        for (int mode : new int[] {Cpu.EXEC_BLOCKS, Cpu.EXEC_JIT}) {
            Jitted j = lockstep(program, mode, new Random(41), 60_000, false, f -> {
                f.load(CODE + 0xFF8, loop);
                f.load(CODE + 0x1000, tail);
                f.load(CODE + 0x2000, tail);
                f.load(CODE + 0x2000, 0x55, 0x66);      // the other page: other immediate bytes
                identityPaging(f);
            });
            assertEquals(1, j.crossing(), "mode " + mode + ": crossing blocks cached at the end");
            assertEquals(mode == Cpu.EXEC_JIT ? 1 : 0, j.crossingCompiled(), "mode " + mode + ": crossing blocks compiled");
        }
    }

    /**
     * What the JIT made of a lockstep run: blocks compiled, blocks compiled into the regions of
     * others, and crossing blocks ({@link Block#tail}) cached at the end, and how many of them are
     * compiled.
     */
    private record Jitted(long compiled, long chained, long crossing, long crossingCompiled) {
    }

    /** Runs {@code program} (an endless loop at CODE) on both CPUs and compares them after every slice. */
    private static Jitted lockstep(byte[] program, int mode, Random rnd, int total, boolean interrupts) {
        return lockstep(program, mode, rnd, total, interrupts, f -> { });
    }

    private static Jitted lockstep(byte[] program, int mode, Random rnd, int total, boolean interrupts,
            java.util.function.Consumer<CpuFixture> setup) {
        try (CpuFixture oracle = fixture(program, Cpu.EXEC_STEP); CpuFixture fast = fixture(program, mode)) {
            setup.accept(oracle);
            setup.accept(fast);
            Line l1 = new Line();
            Line l2 = new Line();
            if (interrupts) {
                oracle.cpu.setInterruptSource(l1);
                fast.cpu.setInterruptSource(l2);
                oracle.cpu.flags.bits |= Flags.IF;
                fast.cpu.flags.bits |= Flags.IF;
            }
            long done = 0;
            int slices = 0;
            while (done < total) {
                int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 400);
                Cpu.Exit e1 = oracle.run(n);
                Cpu.Exit e2 = fast.run(n);
                slices++;
                String where = "mode " + mode + ", slice " + slices + " (" + n + " instructions), after "
                        + done + ", program " + hex(program);
                assertEquals(e1, e2, where);
                assertEquals(oracle.cpu.save(), fast.cpu.save(), where);
                assertMemoryEqual(oracle, fast, where);
                assertEquals(Cpu.Exit.LIMIT, e1, where + ": " + oracle.cpu);
                done += n;
                if (interrupts && rnd.nextInt(4) == 0) {
                    l1.raise();
                    l2.raise();
                }
            }
            assertTrue(oracle.cpu.instructionCount() >= total);
            assertEquals(0, fast.cpu.blocks.failedBlocks(), "blocks the JIT failed to compile");
            java.util.List<Block> crossing = fast.cpu.code.cachedBlocks().stream().filter(b -> b.tail >= 0).toList();
            return new Jitted(fast.cpu.blocks.compiledBlocks(), fast.cpu.blocks.chainedBlocks(), crossing.size(),
                    crossing.stream().filter(b -> b.compiled != null).count());
        }
    }

    private static CpuFixture fixture(byte[] program, int mode) {
        CpuFixture f = new CpuFixture(1 << 20);
        f.cpu.setExecMode(mode);
        f.cpu.blocks.setThreshold(16);      // compile soon: the runs here are short
        f.load(CODE, program);
        // #DE handler: skip the 2-byte DIV/IDIV r32 that faulted (add dword [esp], 2; iretd).
        f.load(HANDLER, 0x83, 0x04, 0x24, 0x02, 0xCF);
        // Interrupt handler: count in DATA+0xF00, then return (inc dword [DATA+0xF00]; iretd).
        f.load(IRQ_HANDLER, 0xFF, 0x05, 0x00, 0x0F, 0x02, 0x00, 0xCF);
        f.flat32(CODE);
        f.setGate(0, 0x08, HANDLER, 0xE, 0);
        f.setGate(IRQ_VECTOR, 0x08, IRQ_HANDLER, 0xE, 0);
        for (int k = 0; k < 0x1000; k += 4) {
            f.mem.write32(DATA + k, k * 0x9E3779B1);
        }
        f.cpu.r[Cpu.EBX] = DATA;
        f.cpu.r[Cpu.EAX] = 0x12345678;
        f.cpu.r[Cpu.EDX] = 0xFEDCBA98L;
        f.cpu.r[Cpu.ECX] = 7;
        f.cpu.r[Cpu.EBP] = 0x8000_0001L;
        return f;
    }

    private static void assertMemoryEqual(CpuFixture a, CpuFixture b, String where) {
        for (long pa : new long[] {0, STACK_PAGE, CODE, CODE + 0x1000, CODE + 0x2000, DATA, PAGE_TABLE}) {
            assertPageEqual(a, b, pa, where);
        }
    }

    private static void assertPageEqual(CpuFixture a, CpuFixture b, long page, String where) {
        for (long pa = page; pa < page + 0x1000; pa += 8) {
            if (a.mem.read64(pa) != b.mem.read64(pa)) {
                assertEquals(Long.toHexString(a.mem.read64(pa)), Long.toHexString(b.mem.read64(pa)),
                        where + ": memory at " + Long.toHexString(pa));
            }
        }
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }

    /**
     * Random straight-line code from a set of instruction forms (register and memory ALU, ADC/SBB,
     * MUL/IMUL/DIV, shifts, MOV/LEA/MOVZX, SETcc/CMOVcc, PUSH/POP, REP STOS/MOVS, forward Jcc,
     * self-modifying stores), ending with a jump back to its start. Memory operands stay in the
     * DATA page (EBX is its base; ESI is an index kept below 0x400).
     */
    private static final class Gen {
        private final Random rnd;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        /** Offsets of the imm32 fields of "MOV r32, imm32" instructions (targets of self-modifying stores). */
        private final java.util.List<Integer> immFields = new java.util.ArrayList<>();
        /** Offsets of the address fields of the self-modifying stores. */
        private final java.util.List<Integer> stores = new java.util.ArrayList<>();

        Gen(Random rnd) {
            this.rnd = rnd;
        }

        byte[] program() {
            int n = 20 + rnd.nextInt(60);
            for (int k = 0; k < n; k++) {
                if (rnd.nextInt(8) == 0) {
                    // A forward Jcc over the next form.
                    byte[] body = form(2);
                    emit(0x70 + rnd.nextInt(16), body.length);
                    out.writeBytes(body);
                } else {
                    out.writeBytes(form(0));
                }
            }
            int back = -(out.size() + 5);
            emit(0xE9);
            imm32(back);
            byte[] p = out.toByteArray();
            // Each self-modifying store rewrites the immediate of a MOV before or after it (or data).
            for (int at : stores) {
                long target = immFields.isEmpty() ? DATA : CODE + immFields.get(rnd.nextInt(immFields.size()));
                for (int k = 0; k < 4; k++) {
                    p[at + k] = (byte) (target >>> (8 * k));
                }
            }
            return p;
        }

        /** One form, to be placed {@code gap} bytes after the current end of the program. */
        private byte[] form(int gap) {
            Gen g = new Gen(rnd);
            g.base = out.size() + gap;
            g.one();
            immFields.addAll(g.immFields);
            stores.addAll(g.stores);
            return g.out.toByteArray();
        }

        /** Where this generator's bytes start in the program (for self-modifying stores). */
        private int base;

        private int dst() {
            return DST[rnd.nextInt(DST.length)];
        }

        /** An 8-bit register that is not BL or BH (EBX is the data base). */
        private int dst8() {
            return new int[] {0, 1, 2, 4, 5, 6}[rnd.nextInt(6)];
        }

        private int any() {
            return rnd.nextInt(8) == 4 ? Cpu.EBX : rnd.nextInt(8);
        }

        private int disp() {
            return rnd.nextInt(32) * 4;
        }

        private void one() {
            int op = rnd.nextInt(8);
            switch (rnd.nextInt(23)) {
                case 0, 1 -> emit(op * 8 + 1, 0xC0 | any() << 3 | dst());                   // op r, r
                case 2 -> {                                                                  // op r, imm32
                    emit(0x81, 0xC0 | op << 3 | dst());
                    imm32(rnd.nextInt());
                }
                case 3 -> emit(0x83, 0xC0 | op << 3 | dst(), rnd.nextInt(256));               // op r, imm8
                case 4 -> emit(op * 8 + 1, 0x43 | any() << 3, disp());                        // op [ebx+d], r
                case 5 -> emit(op * 8 + 3, 0x43 | dst() << 3, disp());                        // op r, [ebx+d]
                case 6 -> emit(0x8B, 0x04 | dst() << 3, 0xB3);                                // mov r, [ebx+esi*4]
                case 7 -> emit(0x89, 0x04 | any() << 3, 0xB3);                                // mov [ebx+esi*4], r
                case 8 -> emit(0x46, 0x81, 0xE6, 0xFF, 0x03, 0, 0);                           // inc esi; and esi, 3ff
                case 9 -> emit(0xF7, 0xC0 | (4 + rnd.nextInt(2)) << 3 | any());               // mul/imul r
                case 10 -> emit(0xF7, 0xF0 | (rnd.nextInt(2)) << 3 | dst());                  // div/idiv r (#DE skips)
                case 11 -> emit(0x0F, 0xAF, 0xC0 | dst() << 3 | any());                       // imul r, r
                case 12 -> {                                                                  // shifts by imm/cl/1
                    int kind = rnd.nextInt(3);
                    int modrm = 0xC0 | rnd.nextInt(8) << 3 | dst();
                    if (modrm >>> 3 == (0xC0 | 6 << 3) >>> 3) {
                        modrm += 1 << 3;         // /6 is not a shift
                    }
                    switch (kind) {
                        case 0 -> emit(0xC1, modrm, rnd.nextInt(40));
                        case 1 -> emit(0xD3, modrm);
                        default -> emit(0xD1, modrm);
                    }
                }
                case 13 -> {                                                                  // mov r, imm32 (SMC target)
                    emit(0xB8 + dst());
                    immFields.add(base + out.size());
                    imm32(rnd.nextInt());
                }
                case 14 -> {                                                                  // self-modifying store
                    emit(0xC7, 0x05);
                    stores.add(base + out.size());    // its address is chosen when the program is complete
                    imm32(0);
                    imm32(rnd.nextInt());
                }
                case 15 -> emit(0x0F, 0x90 + rnd.nextInt(16), 0xC0 | rnd.nextInt(3));       // setcc al/cl/dl
                case 16 -> emit(0x0F, 0x40 + rnd.nextInt(16), 0xC0 | dst() << 3 | any());     // cmovcc r, r
                case 17 -> emit(0x50 + any(), 0x58 + dst());                                  // push r; pop r
                case 18 -> {                                                                  // 8- and 16-bit ALU forms
                    switch (rnd.nextInt(6)) {
                        case 0 -> emit(op * 8, 0xC0 | rnd.nextInt(8) << 3 | dst8());           // op r8, r8
                        case 1 -> emit(0x66, op * 8 + 1, 0xC0 | any() << 3 | dst());          // op r16, r16
                        case 2 -> emit(op * 8, 0x43 | rnd.nextInt(8) << 3, disp());           // op [ebx+d], r8
                        case 3 -> emit(op * 8 + 2, 0x43 | dst8() << 3, disp());               // op r8, [ebx+d]
                        case 4 -> emit(0x66, 0x83, 0x43 | op << 3, disp(), rnd.nextInt(256)); // op word [ebx+d], imm8
                        default -> emit(0x80, 0xC0 | op << 3 | dst8(), rnd.nextInt(256));     // op r8, imm8
                    }
                }
                case 19 -> {                                                                  // flag consumers and memory forms
                    switch (rnd.nextInt(6)) {
                        case 0 -> emit(0x0F, 0x90 + rnd.nextInt(16), 0x43, disp());           // setcc [ebx+d]
                        case 1 -> emit(0x0F, 0x40 + rnd.nextInt(16), 0x43 | dst() << 3, disp()); // cmovcc r, [ebx+d]
                        case 2 -> emit(0xFF, 0x43 | rnd.nextInt(2) << 3, disp());             // inc/dec dword [ebx+d]
                        case 3 -> emit(0xFE, 0xC0 | rnd.nextInt(2) << 3 | dst8());            // inc/dec r8
                        case 4 -> emit(0x66, 0x40 + rnd.nextInt(2) * 8 + dst());              // inc/dec r16
                        default -> emit(0x0F, 0xAF, 0x43 | dst() << 3, disp());               // imul r, [ebx+d]
                    }
                }
                case 20 -> {                                                                  // shifts, rotates and multiplies, other widths
                    int sh = new int[] {0, 1, 4, 5, 7}[rnd.nextInt(5)];
                    switch (rnd.nextInt(9)) {
                        case 0 -> emit(0xC0, 0xC0 | sh << 3 | dst8(), rnd.nextInt(12));      // shift r8, imm
                        case 1 -> emit(0x66, 0xC1, 0xC0 | sh << 3 | dst(), rnd.nextInt(20)); // shift r16, imm
                        case 2 -> emit(0xC1, 0x43 | sh << 3, disp(), rnd.nextInt(32));       // shift dword [ebx+d], imm
                        case 3 -> emit(0xF6 + rnd.nextInt(2), 0x43 | 4 << 3, disp());        // mul byte/dword [ebx+d]
                        case 4 -> emit(0x66, 0xF7, 0xC0 | 4 << 3 | any());                   // mul r16
                        case 5 -> emit(0x0F, 0xBE + rnd.nextInt(2), 0xC0 | dst() << 3 | any()); // movsx r, r8/r16
                        case 6 -> emit(0xF7, 0xC0 | (2 + rnd.nextInt(2)) << 3 | dst());      // not/neg r32
                        case 7 -> emit(0xF6, 0xC0 | (2 + rnd.nextInt(2)) << 3 | dst8());     // not/neg r8
                        default -> emit(0xF7, 0x43 | (2 + rnd.nextInt(2)) << 3, disp());     // not/neg dword [ebx+d]
                    }
                }
                case 21 -> {                                                                  // an ADC/SBB chain through memory
                    emit(0x8B, 0x43 | dst() << 3, disp());
                    emit(0x13 + rnd.nextInt(2) * 0x08, 0x43 | dst() << 3, disp());
                    emit(0x11 + rnd.nextInt(2) * 0x08, 0x43 | any() << 3, disp());
                    emit(0x83, 0xD0 | dst(), 0);                                          // adc r, 0
                }
                default -> {                                                                  // rep stosd / movsb / lea / movzx
                    switch (rnd.nextInt(4)) {
                        case 0 -> {
                            emit(0x57, 0x51, 0xBF);
                            imm32((int) DATA + 0x800 + rnd.nextInt(64));
                            emit(0xB9, rnd.nextInt(40), 0, 0, 0);
                            emit(0xF3, rnd.nextBoolean() ? 0xAB : 0xA4, 0x59, 0x5F);
                        }
                        case 1 -> emit(0x8D, 0x44 | dst() << 3, 0xB3, rnd.nextInt(256));
                        case 2 -> emit(0x0F, 0xB6 + rnd.nextInt(2) * 8, 0x43 | dst() << 3, disp());
                        default -> emit(0xF8 + rnd.nextInt(2));                                // clc/stc
                    }
                }
            }
        }

        private void emit(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
        }

        private void imm32(int v) {
            emit(v & 0xFF, (v >>> 8) & 0xFF, (v >>> 16) & 0xFF, v >>> 24);
        }
    }
}

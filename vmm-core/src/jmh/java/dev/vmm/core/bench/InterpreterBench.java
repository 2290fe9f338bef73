package dev.vmm.core.bench;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.CpuFixture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CPU throughput in guest instructions per second, on seven endless 32-bit guest loops: register
 * arithmetic, memory operands, data-dependent branches, the rotates of hash functions (MD5,
 * SHA-256, BLAKE2s), calls to another page, a mix of many instruction kinds, and a chain of blocks
 * longer than a compiled region, in each dispatch mode (single steps, basic blocks, blocks with
 * the JIT). One benchmark operation is one retired guest instruction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class InterpreterBench {
    private static final int BATCH = 1_000_000;
    private static final long CODE = 0x10000;

    /** The guest loops, as machine code. */
    private static final int[] ALU = {
        0x01, 0xD8,             // add eax, ebx
        0x31, 0xC1,             // xor ecx, eax
        0x29, 0xCA,             // sub edx, ecx
        0xD1, 0xE3,             // shl ebx, 1
        0x83, 0xCB, 0x01,       // or ebx, 1
        0x46,                   // inc esi
        0xEB, 0xF2,             // jmp start
    };
    private static final int[] MEMORY = {
        0x8B, 0x04, 0xB3,                   // mov eax, [ebx+esi*4]
        0x01, 0x04, 0xBB,                   // add [ebx+edi*4], eax
        0x46,                               // inc esi
        0x81, 0xE6, 0xFF, 0x03, 0, 0,       // and esi, 0x3ff
        0x47,                               // inc edi
        0x81, 0xE7, 0xFF, 0x03, 0, 0,       // and edi, 0x3ff
        0xEB, 0xEA,                         // jmp start
    };
    private static final int[] ROTATE = {
        0xC1, 0xC0, 0x07,       // rol eax, 7
        0x31, 0xC3,             // xor ebx, eax
        0xC1, 0xCB, 0x0D,       // ror ebx, 13
        0x01, 0xD8,             // add eax, ebx
        0xD1, 0xC1,             // rol ecx, 1
        0x31, 0xC8,             // xor eax, ecx
        0xEB, 0xF0,             // jmp start
    };
    private static final int[] BRANCHY = {
        0x40,                   // 0: inc eax
        0xA8, 0x01,             // 1: test al, 1
        0x74, 0x03,             // 3: jz 8
        0x83, 0xC3, 0x03,       // 5: add ebx, 3
        0xA8, 0x02,             // 8: test al, 2
        0x75, 0x03,             // 10: jnz 15
        0x83, 0xE9, 0x01,       // 12: sub ecx, 1
        0x39, 0xD0,             // 15: cmp eax, edx
        0x72, 0xED,             // 17: jb 0
        0x31, 0xC0,             // 19: xor eax, eax
        0xEB, 0xE9,             // 21: jmp 0
    };

    /** Many instruction kinds in one loop: the interpreter's handler dispatch sees many targets, as in a guest. */
    private static final int[] MIXED = {
        0x8B, 0x04, 0xB3,                   // mov eax, [ebx+esi*4]
        0x8D, 0x0C, 0x50,                   // lea ecx, [eax+edx*2]
        0xC1, 0xE1, 0x03,                   // shl ecx, 3
        0x51,                               // push ecx
        0x0F, 0xB6, 0xD1,                   // movzx edx, cl
        0x5F,                               // pop edi
        0x31, 0xC7,                         // xor edi, eax
        0x01, 0x3C, 0xB3,                   // add [ebx+esi*4], edi
        0x46,                               // inc esi
        0x81, 0xE6, 0xFF, 0x03, 0, 0,       // and esi, 0x3ff
        0x85, 0xD2,                         // test edx, edx
        0x0F, 0x94, 0xC0,                   // setz al
        0xEB, 0xDF,                         // jmp start
    };

    /**
     * A call to a function on the next page and back, as kernel code calls its helpers: each
     * iteration leaves the loop's page twice, so it measures the dispatch between pages.
     */
    private static final int[] CALLS = {
        0x8B, 0x04, 0xB3,                   // 0: mov eax, [ebx+esi*4]
        0xE8, 0xF8, 0x0F, 0, 0,             // 3: call CODE + 0x1000
        0x01, 0xC2,                         // 8: add edx, eax
        0x46,                               // 10: inc esi
        0x81, 0xE6, 0xFF, 0x03, 0, 0,       // 11: and esi, 0x3ff
        0xEB, 0xED,                         // 17: jmp 0
    };
    /**
     * {@link #ALU}'s block 32 times in a row, each copy ending in a jump to the next, the last back
     * to the first: the JIT's regions hold a few of them each (its limit on a region's code), so
     * against {@link #ALU}, which loops inside one region, this measures what leaving one region
     * for the next costs.
     */
    private static final int[] CHAIN = chain(32);

    private static int[] chain(int copies) {
        int[] block = java.util.Arrays.copyOf(ALU, ALU.length - 2);     // without its jmp back
        int size = block.length + 2;
        int[] code = new int[copies * size + 3];
        for (int k = 0; k < copies; k++) {
            System.arraycopy(block, 0, code, k * size, block.length);
            code[k * size + block.length] = 0xEB;       // jmp short to the next copy
            code[k * size + block.length + 1] = 0;
        }
        int last = (copies - 1) * size + block.length;  // the last copy jumps back: jmp rel32
        int rel = -(last + 5);
        code[last] = 0xE9;
        for (int b = 0; b < 4; b++) {
            code[last + 1 + b] = (rel >>> (8 * b)) & 0xFF;
        }
        return code;
    }

    private static final int[] CALLED = {
        0x51,                   // push ecx
        0x89, 0xC1,             // mov ecx, eax
        0xC1, 0xE1, 0x03,       // shl ecx, 3
        0x31, 0xC8,             // xor eax, ecx
        0x59,                   // pop ecx
        0xC3,                   // ret
    };

    @Param({"alu", "memory", "branchy", "rotate", "mixed", "calls", "chain"})
    public String loop;

    /** The dispatch: "off" single steps, "blocks" basic blocks, "on" blocks and the JIT (the default). */
    @Param({"on", "blocks", "off"})
    public String jit;

    private CpuFixture fixture;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new CpuFixture(64 << 20);
        int[] code = switch (loop) {
            case "alu" -> ALU;
            case "memory" -> MEMORY;
            case "rotate" -> ROTATE;
            case "mixed" -> MIXED;
            case "calls" -> CALLS;
            case "chain" -> CHAIN;
            default -> BRANCHY;
        };
        fixture.load(CODE, code).load(CODE + 0x1000, CALLED).flat32(CODE);
        fixture.cpu.setExecMode(switch (jit) {
            case "off" -> Cpu.EXEC_STEP;
            case "blocks" -> Cpu.EXEC_BLOCKS;
            default -> Cpu.EXEC_JIT;
        });
        fixture.cpu.r[Cpu.EBX] = 0x20000;
        fixture.cpu.r[Cpu.EDX] = 1000;
        // Make sure the loop runs as intended before measuring it.
        if (fixture.run(10_000) != Cpu.Exit.LIMIT) {
            throw new IllegalStateException(loop + " loop stopped: " + fixture.cpu);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long run() {
        fixture.run(BATCH);
        return fixture.cpu.instructionCount();
    }
}

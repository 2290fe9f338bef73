package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.MmioDevice;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Regions compiled while paging is off access RAM above 1 MiB at the linear address, without the
 * JIT's TLB ({@link JitMem#read32p}). They must run as single steps do, including writes into their
 * own code and accesses outside the window, and must stop doing so once paging is on, the A20 gate
 * is closed or a device is mapped into the window.
 */
class JitPhysicalTest {
    private static final long CODE = 0x40_0000;
    private static final long HIGH = 0x20_0000;
    private static final long LOW = 0x2_0000;
    private static final long STACK = 0x30_0000;
    private static final long RAM = 8 << 20;
    /** mov eax, [ebx]; add ecx, eax; jmp back: reads the dword at EBX over and over. */
    private static final int[] READ_LOOP = {0x8B, 0x03, 0x01, 0xC1, 0xEB, 0xFA};

    /**
     * A loop reads and writes bytes, words and dwords in the window (a word across a page boundary,
     * which takes the TLB's path), below it and on the stack, calls a function on a page of its own
     * (INC ECX or DEC ECX, then RET), and every 64 iterations rewrites that function's first byte:
     * with a byte written into its page, or with a word written across from the page before, which
     * holds no code. In lockstep with single steps, in slices of random length, comparing the whole
     * state and the pages touched after each.
     */
    @Test
    void physicalRegionsRunTheSameAsSingleSteps() {
        int[] intoThePage = {0x88, 0x25, 0x00, 0x20, 0x40, 0x00, 0x90};     // mov [CODE+0x2000], ah; nop
        int[] acrossIntoIt = {0x66, 0x89, 0x05, 0xFF, 0x1F, 0x40, 0x00};     // mov [CODE+0x1FFF], ax
        for (int[] write : new int[][] {intoThePage, acrossIntoIt}) {
            int[] loop = {
                0x8B, 0x03,                             // 0: mov eax, [ebx]           (HIGH...)
                0x01, 0x43, 0x08,                       // 2: add [ebx+8], eax
                0x66, 0x8B, 0x93, 0xFF, 0x0F, 0, 0,     // 5: mov dx, [ebx+0xFFF]      (across a page at first)
                0x66, 0x01, 0x53, 0x10,                 // 12: add [ebx+0x10], dx
                0x8A, 0x4B, 0x04,                       // 16: mov cl, [ebx+4]
                0x00, 0x8B, 0xFF, 0x0F, 0, 0,           // 19: add [ebx+0xFFF], cl
                0x03, 0x06,                             // 25: add eax, [esi]          (LOW)
                0x89, 0x46, 0x04,                       // 27: mov [esi+4], eax
                0x50,                                   // 30: push eax
                0x5F,                                   // 31: pop edi
                0x45,                                   // 32: inc ebp
                0xF7, 0xC5, 0x3F, 0, 0, 0,              // 33: test ebp, 0x3F
                0x75, 0x15,                             // 39: jnz 62
                0x66, 0xB8, 0x00, 0x41,                 // 41: mov ax, 0x4100          (0x41: inc ecx)
                0xF7, 0xC5, 0x40, 0, 0, 0,              // 45: test ebp, 0x40
                0x74, 0x02,                             // 51: jz 55
                0xB4, 0x49,                             // 53: mov ah, 0x49            (dec ecx)
                write[0], write[1], write[2], write[3], write[4], write[5], write[6],  // 55: the write
                0xE8, 0xBD, 0x1F, 0, 0,                 // 62: call CODE+0x2000
                0x83, 0xC3, 0x04,                       // 67: add ebx, 4
                0x81, 0xE3, 0xFF, 0x0F, 0x20, 0,        // 70: and ebx, 0x200FFF
                0xEB, 0xB2,                             // 76: jmp 0
            };
            lockstep(loop);
        }
    }

    private static void lockstep(int[] loop) {
        byte[] code = new byte[loop.length];
        for (int k = 0; k < loop.length; k++) {
            code[k] = (byte) loop[k];
        }
        try (CpuFixture oracle = fixture(code, Cpu.EXEC_STEP); CpuFixture jit = fixture(code, Cpu.EXEC_JIT)) {
            for (CpuFixture f : new CpuFixture[] {oracle, jit}) {
                f.load(CODE + 0x2000, 0x41, 0xC3);     // inc ecx; ret
            }
            Random rnd = new Random(7);
            long done = 0;
            while (done < 300_000) {
                int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 500);
                String where = "after " + done + " instructions, slice of " + n;
                assertEquals(oracle.run(n), jit.run(n), where);
                assertEquals(oracle.cpu.save(), jit.cpu.save(), where);
                for (long page : new long[] {HIGH, HIGH + 0x1000, LOW, STACK - 0x1000, CODE, CODE + 0x1000, CODE + 0x2000}) {
                    for (long pa = page; pa < page + 0x1000; pa += 8) {
                        assertEquals(oracle.mem.read64(pa), jit.mem.read64(pa), where + ": memory at " + Long.toHexString(pa));
                    }
                }
                done += n;
            }
            assertEquals(0, jit.cpu.blocks.failedBlocks(), "blocks the JIT failed to compile");
            assertTrue(jit.cpu.blocks.physicalRegions() > 0, "no region was compiled with physical accesses");
            assertEquals(0x49, oracle.mem.read8(CODE + 0x2000), "the loop never rewrote the function to DEC ECX");
        }
    }

    /** Once paging is on, the region's reads go where the page tables say, not to the linear address. */
    @Test
    void pagingTurnedOnAfterTheCompileTranslatesAgain() {
        long value = readLoopAfter(f -> {
            long pageDirectory = 0x50000;
            long pageTables = 0x51000;
            for (int k = 0; k < 2048; k++) {
                f.mem.write32(pageTables + 4L * k, (int) ((k * 0x1000L) | 3));
            }
            f.mem.write32(pageTables + 4L * (HIGH >>> 12), (int) ((HIGH + 0x1000) | 3));   // HIGH -> HIGH + 4 KiB
            f.mem.write32(pageDirectory, (int) (pageTables | 3));
            f.mem.write32(pageDirectory + 4, (int) ((pageTables + 0x1000) | 3));
            f.mem.write32(HIGH + 0x1000, 0x2222_2222);
            f.cpu.cr3 = pageDirectory;
            SystemOps.writeCr0(f.cpu, f.cpu.cr0 | Cpu.CR0_PG);
        });
        assertEquals(0x2222_2222L, value, "the read after paging was turned on");
    }

    /** With the A20 gate closed, address bit 20 is cleared again: HIGH + 1 MiB reads HIGH. */
    @Test
    void closingTheA20GateAfterTheCompileWrapsAgain() {
        long value = readLoopAfter(f -> {
            f.mem.write32(HIGH, 0x3333_3333);
            f.cpu.setA20(false);
        }, HIGH + 0x10_0000);
        assertEquals(0x3333_3333L, value, "the read with the gate closed");
    }

    /** A device mapped into the window after the compile gets the region's reads. */
    @Test
    void aDeviceMappedIntoTheWindowGetsTheReads() {
        long value = readLoopAfter(f -> f.mem.addMmio(HIGH, 0x1000, "probe", new MmioDevice() {
            @Override
            public long mmioRead(long offset, int size) {
                return 0xCAFE_BABEL;
            }
        }));
        assertEquals(0xCAFE_BABEL, value, "the read after the device was mapped");
    }

    private static long readLoopAfter(Consumer<CpuFixture> change) {
        return readLoopAfter(change, HIGH);
    }

    /**
     * Runs {@link #READ_LOOP} over {@code at} (which holds 0x11111111) on the JIT until its region
     * is compiled with physical accesses and on single steps as long, makes {@code change} to both,
     * and runs both on in slices that end in the middle of the loop and at its start (the region
     * adds what it reads to ECX), comparing their whole state. Returns the dword read last.
     */
    private static long readLoopAfter(Consumer<CpuFixture> change, long at) {
        byte[] code = new byte[READ_LOOP.length];
        for (int k = 0; k < code.length; k++) {
            code[k] = (byte) READ_LOOP[k];
        }
        try (CpuFixture oracle = fixture(code, Cpu.EXEC_STEP); CpuFixture jit = fixture(code, Cpu.EXEC_JIT)) {
            for (CpuFixture f : new CpuFixture[] {oracle, jit}) {
                f.mem.write32(at, 0x1111_1111);
                f.cpu.r[Cpu.EBX] = at;
                f.run(10_000);
                assertEquals(0x1111_1111L, f.cpu.r[Cpu.EAX], "the read before the change");
            }
            assertTrue(jit.cpu.blocks.physicalRegions() > 0, "the loop was not compiled with physical accesses");
            change.accept(oracle);
            change.accept(jit);
            Random rnd = new Random(3);
            for (int k = 0; k < 50; k++) {
                int n = 1 + rnd.nextInt(60);
                assertEquals(oracle.run(n), jit.run(n));
                assertEquals(oracle.cpu.save(), jit.cpu.save(), "after the change, slice " + k);
            }
            return oracle.cpu.r[Cpu.EAX];
        }
    }

    private static CpuFixture fixture(byte[] code, int mode) {
        CpuFixture f = new CpuFixture(RAM);
        f.cpu.setExecMode(mode);
        f.cpu.blocks.setThreshold(16);
        f.load(CODE, code);
        f.flat32(CODE);
        for (int k = 0; k < 0x2000; k += 4) {
            f.mem.write32(HIGH + k, k * 0x9E3779B1);
            f.mem.write32(LOW + k, k * 0x7F4A7C15);
        }
        f.cpu.r[Cpu.EBX] = HIGH;
        f.cpu.r[Cpu.ESI] = LOW;
        f.cpu.r[Cpu.ESP] = STACK;
        return f;
    }
}

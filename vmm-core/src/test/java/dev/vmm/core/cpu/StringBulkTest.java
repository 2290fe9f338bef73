package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * REP STOS and REP MOVS in bulk ({@link StringBulk}) against a model that does one element at a
 * time as the SDM describes it: random sizes, counts (beyond a chunk), page-crossing and unaligned
 * addresses, both directions and overlapping copies, with paging off and on.
 */
class StringBulkTest {
    private static final long CODE = 0x10000;
    private static final long AREA = 0x40000;
    private static final int AREA_BYTES = 0x6000;

    private record Case(boolean movs, int size, long count, long si, long di, boolean down, long value) {
    }

    @Test
    void randomStringsMatchTheElementWiseModel() {
        Random rnd = new Random(20261124);
        for (int n = 0; n < 400; n++) {
            int size = new int[] {1, 2, 4}[rnd.nextInt(3)];
            long count = switch (rnd.nextInt(6)) {
                case 0 -> rnd.nextInt(4);
                case 1 -> StringOps.CHUNK - 1 + rnd.nextInt(3);
                case 2 -> 2 * StringOps.CHUNK + rnd.nextInt(3);
                default -> rnd.nextInt(0x5000 / size);
            };
            long di = AREA + nearPageEnd(rnd);
            long si = switch (rnd.nextInt(3)) {
                case 0 -> di + rnd.nextInt(9) - 4;     // overlapping, either way
                default -> AREA + nearPageEnd(rnd);
            };
            boolean down = rnd.nextInt(5) == 0;
            if (down) {
                di += 0x4000;
                si += 0x4000;
                count = Math.min(count, 0x3F00 / size);
            }
            long value = switch (rnd.nextInt(4)) {
                case 0 -> 0;
                case 1 -> -1;
                default -> rnd.nextLong();
            };
            Case k = new Case(rnd.nextBoolean(), size, count, si, di, down, value);
            check(k, rnd.nextBoolean(), rnd.nextLong());
        }
    }

    @Test
    void aCopyWhoseDestinationIsJustAheadOfItsSourceRepeatsItsFirstElements() {
        // dst = src + 1: byte by byte, every byte becomes the first one (not a memmove)
        check(new Case(true, 1, 3000, AREA + 0x10, AREA + 0x11, false, 0), false, 1);
        check(new Case(true, 4, 700, AREA + 0xFF0, AREA + 0xFF2, false, 0), true, 2);
    }

    @Test
    void aStoreOverTheCodeThatFollowsIsSeenByThatCode() {
        // rep stosb over the INC EAX (40) after it: the page's code is dropped, so NOPs (90) run
        try (CpuFixture f = new CpuFixture()) {
            f.load(CODE, 0xF3, 0xAA, 0x40, 0x40, 0xF4).flat32(CODE);
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0x90;
            c.r[Cpu.EDI] = CODE + 2;
            c.r[Cpu.ECX] = 2;
            assertEquals(Cpu.Exit.HALT, f.run(100));
            assertEquals(0x90, c.r[Cpu.EAX], "the INCs were overwritten before they ran");
            assertEquals(CODE + 5, c.rip);
        }
    }

    /** An offset in the area whose page end is near, at any alignment. */
    private static long nearPageEnd(Random rnd) {
        return 0x1000L * rnd.nextInt(2) + 0x1000 - rnd.nextInt(24);
    }

    /** Runs case {@code k} on a CPU (paging on or off) until it halts, and compares it with {@link #model}. */
    private static void check(Case k, boolean paging, long seed) {
        byte[] init = new byte[AREA_BYTES + 0x8000];
        new Random(seed).nextBytes(init);
        try (CpuFixture f = new CpuFixture()) {
            int op = (k.movs ? 0xA4 : 0xAA) | (k.size == 1 ? 0 : 1);
            if (k.size == 2) {
                f.load(CODE, 0x66, 0xF3, op, 0xF4);
            } else {
                f.load(CODE, 0xF3, op, 0xF4);
            }
            f.flat32(CODE);
            f.load(AREA, init);
            if (paging) {
                StringOpsTest.pagingWithHole(f, -1);     // the first 4 MiB identity-mapped
            }
            Cpu c = f.cpu;
            c.r[Cpu.ESI] = k.si;
            c.r[Cpu.EDI] = k.di;
            c.r[Cpu.ECX] = k.count;
            c.r[Cpu.EAX] = k.value & 0xFFFF_FFFFL;
            c.flags.setBit(Flags.DF, k.down);
            assertEquals(Cpu.Exit.HALT, f.run(100_000), k.toString());

            byte[] want = java.util.Arrays.copyOf(init, init.length);
            long[] regs = model(k, want);
            byte[] got = new byte[init.length];
            for (int a = 0; a < got.length; a++) {
                got[a] = (byte) f.mem.read8(AREA + a);
            }
            assertArrayEquals(want, got, k.toString());
            assertEquals(0, c.r[Cpu.ECX], k.toString());
            assertEquals(regs[0], c.r[Cpu.ESI], k.toString());
            assertEquals(regs[1], c.r[Cpu.EDI], k.toString());
            long executions = k.count == 0 ? 1 : (k.count + StringOps.CHUNK - 1) / StringOps.CHUNK;
            assertEquals(executions + 1, c.instructionCount(), "one count per chunk, and the HLT: " + k);
        }
    }

    /** The case element by element on {@code mem} (from {@link #AREA}): the final ESI and EDI. */
    private static long[] model(Case k, byte[] mem) {
        long si = k.si;
        long di = k.di;
        int step = k.down ? -k.size : k.size;
        byte[] element = new byte[k.size];
        for (long e = 0; e < k.count; e++) {
            for (int b = 0; b < k.size; b++) {
                element[b] = k.movs ? mem[(int) (si - AREA) + b] : (byte) (k.value >>> (8 * b));
            }
            System.arraycopy(element, 0, mem, (int) (di - AREA), k.size);
            si += k.movs ? step : 0;
            di += step;
        }
        return new long[] {si, di};
    }
}

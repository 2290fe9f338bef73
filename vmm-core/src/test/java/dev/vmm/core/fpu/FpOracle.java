package dev.vmm.core.fpu;

import dev.vmm.core.cpu.oracle.NativeExecutor;
import dev.vmm.core.cpu.oracle.NativeResult;
import dev.vmm.core.cpu.oracle.RegisterImage;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batch runner for floating-point oracle tests: runs a loop body natively over an array of
 * fixed-size records in the executor's data region (ESI = record, ECX = count), so thousands of
 * cases cost one native call. Also the operand generators shared by the SSE and x87 tests.
 */
final class FpOracle implements AutoCloseable {

    private final NativeExecutor exec = new NativeExecutor();
    final SplittableRandom rnd;

    FpOracle(long seed) {
        rnd = new SplittableRandom(seed);
    }

    static byte[] bytes(int... b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = (byte) b[i];
        }
        return r;
    }

    static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] r = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, r, o, p.length);
            o += p.length;
        }
        return r;
    }

    /**
     * Runs body once per record. Records are recSize bytes (a positive imm8); returns a
     * little-endian view of all records after the run.
     */
    ByteBuffer run(byte[] body, int recSize, ByteBuffer records, int count) {
        byte[] tail = bytes(0x83, 0xC6, recSize, 0xFF, 0xC9, 0x75, 0);
        byte[] code = cat(body, tail);
        code[code.length - 1] = (byte) -code.length;
        MemorySegment data = exec.data();
        MemorySegment.copy(MemorySegment.ofBuffer(records.duplicate().clear()), 0, data, 0,
                (long) recSize * count);
        RegisterImage in = RegisterImage.ZERO.withReg(6, (int) exec.dataAddress()).withReg(1, count);
        NativeResult r = exec.run(in, code);
        return ByteBuffer.wrap(r.data()).order(ByteOrder.LITTLE_ENDIAN);
    }

    static ByteBuffer newRecords(int recSize, int count) {
        return ByteBuffer.allocate(recSize * count).order(ByteOrder.LITTLE_ENDIAN);
    }

    static int maxCases(int recSize) {
        return NativeExecutor.DATA_SIZE / recSize;
    }

    @Override
    public void close() {
        exec.close();
    }

    static boolean supported() {
        return NativeExecutor.isSupported();
    }

    static String host() {
        return NativeExecutor.hostDescription();
    }

    // ---------------- operand generators ----------------

    private long sigBits(int n) {
        long s = rnd.nextLong();
        switch (rnd.nextInt(6)) {
            case 0 -> s &= -1L << rnd.nextInt(64);
            case 1 -> s |= ~(-1L << rnd.nextInt(64));
            case 2 -> s = (s & (-1L << rnd.nextInt(1, 64))) | 1;
            case 3 -> s = 1L << rnd.nextInt(64);
            default -> {
            }
        }
        return n == 64 ? s : s & ((1L << n) - 1);
    }

    private int expPick(int max, int bias) {
        return switch (rnd.nextInt(7)) {
            case 0 -> 0;
            case 1 -> max;
            case 2 -> Math.max(0, Math.min(max, rnd.nextInt(0, 70)));
            case 3 -> Math.max(0, Math.min(max, max - rnd.nextInt(1, 70)));
            case 4 -> Math.max(0, Math.min(max, bias + rnd.nextInt(-70, 70)));
            default -> rnd.nextInt(max + 1);
        };
    }

    /** A binary value with f fraction and w exponent bits, biased toward specials. */
    long binary(int f, int w, long[] specials) {
        if (rnd.nextInt(5) == 0) {
            return specials[rnd.nextInt(specials.length)];
        }
        int max = (1 << w) - 1;
        long e = expPick(max, max >>> 1);
        long frac = sigBits(f);
        if (e == max && rnd.nextInt(3) != 0) {
            frac = rnd.nextBoolean() ? 0 : frac;
        }
        long s = rnd.nextBoolean() ? 1L << (f + w) : 0;
        return s | (e << f) | frac;
    }

    /** A binary value whose exponent is near that of other (for cancellation and ties). */
    long near(long other, int f, int w, long[] specials) {
        if (rnd.nextInt(3) == 0) {
            return binary(f, w, specials);
        }
        int max = (1 << w) - 1;
        long e = ((other >>> f) & max) + rnd.nextInt(-3, 4 + f);
        e = Math.max(0, Math.min(max - 1, e));
        long s = rnd.nextBoolean() ? 1L << (f + w) : 0;
        return s | (e << f) | sigBits(f);
    }

    static final long[] F64_SPECIALS = {
        0L, 0x8000_0000_0000_0000L, 1L, 0x000F_FFFF_FFFF_FFFFL, 0x0010_0000_0000_0000L,
        0x7FEF_FFFF_FFFF_FFFFL, 0x3FF0_0000_0000_0000L, 0xBFF8_0000_0000_0000L,
        0x7FF0_0000_0000_0000L, 0xFFF0_0000_0000_0000L, 0x7FF8_0000_0000_0000L,
        0xFFF8_0000_0000_0123L, 0x7FF0_0000_0000_0001L, 0xFFF4_0000_0000_0ABCL,
        0xFFF8_0000_0000_0000L, 0x3FF0_0000_0000_0001L, 0x3FEF_FFFF_FFFF_FFFFL,
        0x41E0_0000_0000_0000L, 0xC1E0_0000_0000_0000L, 0x41DF_FFFF_FFC0_0000L,
        0xC1E0_0000_0010_0000L, 0x41DF_FFFF_FFE0_0000L, 0x4330_0000_0000_0001L,
        0x3FE0_0000_0000_0000L, 0xBFE0_0000_0000_0000L, 0x4004_0000_0000_0000L,
        0x43E0_0000_0000_0000L, 0xC3E0_0000_0000_0000L, 0x0000_8000_0000_0000L,
    };

    static final long[] F32_SPECIALS = {
        0L, 0x8000_0000L, 1L, 0x007F_FFFFL, 0x0080_0000L, 0x7F7F_FFFFL, 0x3F80_0000L,
        0xBFC0_0000L, 0x7F80_0000L, 0xFF80_0000L, 0x7FC0_0000L, 0xFFC0_0123L, 0x7F80_0001L,
        0xFFA0_0ABCL, 0xFFC0_0000L, 0x3F80_0001L, 0x3F7F_FFFFL, 0x4F00_0000L, 0xCF00_0000L,
        0x4EFF_FFFFL, 0x3F00_0000L, 0xBF00_0000L, 0x4B00_0001L, 0x0040_0000L,
    };

    /** An 80-bit value {se, sig}: specials, unsupported encodings, pseudo-denormals, random. */
    long[] ext() {
        int k = rnd.nextInt(16);
        int s = rnd.nextBoolean() ? 0x8000 : 0;
        return switch (k) {
            case 0 -> new long[] {s, 0};
            case 1 -> new long[] {s | 0x7FFF, Long.MIN_VALUE};
            case 2 -> new long[] {s | 0x7FFF, 0xC000_0000_0000_0000L | sigBits(62)};
            case 3 -> new long[] {s | 0x7FFF, Long.MIN_VALUE | (sigBits(62) | 1)};
            case 4 -> new long[] {0xFFFF, 0xC000_0000_0000_0000L};
            case 5 -> new long[] {s, sigBits(63)};
            case 6 -> rnd.nextInt(4) == 0 ? new long[] {s, Long.MIN_VALUE | sigBits(63)}
                    : new long[] {s | (expPick(0x7FFE, 16383) | 1), sigBits(63)};
            case 7 -> rnd.nextInt(3) == 0 ? new long[] {s | 0x7FFF, sigBits(63)}
                    : new long[] {s | 0x3FFF, Long.MIN_VALUE | sigBits(63)};
            default -> new long[] {s | expPick(0x7FFE, 16383), Long.MIN_VALUE | sigBits(63)};
        };
    }

    /** An 80-bit value with exponent near other's. */
    long[] extNear(long[] other) {
        if (rnd.nextInt(3) == 0) {
            return ext();
        }
        int e = (int) (other[0] & 0x7FFF) + rnd.nextInt(-3, 68);
        e = Math.max(1, Math.min(0x7FFE, e));
        return new long[] {(rnd.nextBoolean() ? 0x8000 : 0) | e, Long.MIN_VALUE | sigBits(63)};
    }

    /** Collects mismatch descriptions (first few) and counts. */
    static final class Tally {
        final String name;
        int cases;
        int fails;
        final List<String> samples = new ArrayList<>();
        /** How many cases raised IE, DE, ZE, OE, UE, PE on the host (coverage evidence). */
        final int[] hits = new int[6];

        void flags(int f) {
            for (int i = 0; i < 6; i++) {
                hits[i] += (f >>> i) & 1;
            }
        }

        Tally(String name) {
            this.name = name;
        }

        void check(boolean ok, String detail) {
            cases++;
            if (!ok) {
                fails++;
                if (samples.size() < 12) {
                    samples.add(detail);
                }
            }
        }

        @Override
        public String toString() {
            return name + ": " + (cases - fails) + "/" + cases + " pass (host IE DE ZE OE UE PE: "
                    + Arrays.toString(hits) + ")"
                    + (samples.isEmpty() ? "" : "\n  " + String.join("\n  ", samples));
        }
    }
}

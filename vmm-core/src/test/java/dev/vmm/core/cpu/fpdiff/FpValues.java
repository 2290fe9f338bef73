package dev.vmm.core.cpu.fpdiff;

import java.util.Random;

/**
 * Operand values for floating-point differential cases, biased to the special ones: signed zeros,
 * denormals, the smallest and largest normals, infinities, quiet and signalling NaNs, the real
 * indefinite, values near 1 and powers of two, integers, and random bits. For the x87 format also the
 * encodings the 387 and later reject (pseudo-NaN, pseudo-infinity, unnormal) and pseudo-denormals.
 */
public final class FpValues {
    private FpValues() {
    }

    private static final int[] F32 = {0x0000_0000, 0x8000_0000, 0x0000_0001, 0x807F_FFFF, 0x0080_0000, 0x7F7F_FFFF,
        0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0x7FBF_FFFF, 0x3F80_0000, 0xBF80_0000,
        0x3F7F_FFFF, 0x3F80_0001, 0x4000_0000, 0x4F00_0000, 0xCF00_0000, 0x5F00_0000, 0x3EAA_AAAB, 0x0040_0000};
    private static final long[] F64 = {0L, 0x8000_0000_0000_0000L, 1L, 0x800F_FFFF_FFFF_FFFFL, 0x0010_0000_0000_0000L,
        0x7FEF_FFFF_FFFF_FFFFL, 0x7FF0_0000_0000_0000L, 0xFFF0_0000_0000_0000L, 0x7FF8_0000_0000_0000L,
        0xFFF8_0000_0000_0000L, 0x7FF0_0000_0000_0001L, 0x7FF7_FFFF_FFFF_FFFFL, 0x3FF0_0000_0000_0000L,
        0xBFF0_0000_0000_0000L, 0x3FEF_FFFF_FFFF_FFFFL, 0x3FF0_0000_0000_0001L, 0x41E0_0000_0000_0000L,
        0xC1E0_0000_0000_0000L, 0x43E0_0000_0000_0000L, 0x3FD5_5555_5555_5555L, 0x4009_21FB_5444_2D18L};
    /** {se, sig} pairs of interesting x87 values. */
    private static final long[][] F80 = {{0, 0}, {0x8000, 0}, {0, 1}, {0x8000, 0x7FFF_FFFF_FFFF_FFFFL},
        {0, 0x8000_0000_0000_0000L}, {0x0001, 0x8000_0000_0000_0000L}, {0x7FFE, -1L}, {0x7FFF, 0x8000_0000_0000_0000L},
        {0xFFFF, 0x8000_0000_0000_0000L}, {0x7FFF, 0xC000_0000_0000_0000L}, {0xFFFF, 0xC000_0000_0000_0000L},
        {0x7FFF, 0x8000_0000_0000_0001L}, {0x7FFF, 0xBFFF_FFFF_FFFF_FFFFL}, {0x3FFF, 0x8000_0000_0000_0000L},
        {0xBFFF, 0x8000_0000_0000_0000L}, {0x3FFE, -1L}, {0x3FFF, 0x8000_0000_0000_0001L},
        {0x4000, 0xC90F_DAA2_2168_C235L}, {0x401D, 0x8000_0000_0000_0000L}, {0x403E, 0x8000_0000_0000_0000L},
        {0xC03E, 0x8000_0000_0000_0000L}, {0x3FFD, 0xAAAA_AAAA_AAAA_AAABL},
        // unsupported: pseudo-infinity, pseudo-NaN, unnormal
        {0x7FFF, 0}, {0x7FFF, 0x4000_0000_0000_0000L}, {0x4000, 0x4000_0000_0000_0000L}};

    public static int f32(Random r) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> F32[r.nextInt(F32.length)];
            case 2 -> (r.nextBoolean() ? 0x8000_0000 : 0) | (127 + r.nextInt(64) - 32) << 23 | r.nextInt(1 << 23);
            default -> r.nextInt();
        };
    }

    public static long f64(Random r) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> F64[r.nextInt(F64.length)];
            case 2 -> (r.nextBoolean() ? Long.MIN_VALUE : 0) | (long) (1023 + r.nextInt(128) - 64) << 52
                    | r.nextLong() >>> 12;
            default -> r.nextLong();
        };
    }

    /** An x87 value as {se, sig}. */
    public static long[] f80(Random r) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> F80[r.nextInt(F80.length)].clone();
            case 2 -> new long[] {(r.nextBoolean() ? 0x8000 : 0) | 0x3FFF + r.nextInt(128) - 64,
                r.nextLong() | Long.MIN_VALUE};
            default -> new long[] {r.nextInt(0x10000), r.nextLong() | (r.nextInt(8) == 0 ? 0 : Long.MIN_VALUE)};
        };
    }

    /** An integer biased to the boundaries of {@code bits}-bit two's complement. */
    public static long integer(Random r, int bits) {
        long min = -(1L << (bits - 1));
        long max = ~min;
        return switch (r.nextInt(5)) {
            case 0 -> min;
            case 1 -> max;
            case 2 -> r.nextInt(5) - 2;
            default -> r.nextLong() >> (64 - bits);
        };
    }

    /**
     * An x87 control word: all exceptions masked or a random mask, any precision (24, 53, 64 bits) and
     * rounding control.
     */
    public static int fcw(Random r) {
        int mask = r.nextInt(4) == 0 ? r.nextInt(0x40) : 0x3F;
        int pc = new int[] {0, 2, 3}[r.nextInt(3)];
        return 0x40 | mask | pc << 8 | r.nextInt(4) << 10;
    }

    /** An MXCSR with every exception masked (a native #XM would end the test process): any RC, DAZ, FTZ, sticky flags. */
    public static int mxcsr(Random r) {
        int flags = r.nextInt(4) == 0 ? r.nextInt(0x40) : 0;
        return 0x1F80 | flags | r.nextInt(4) << 13 | (r.nextBoolean() ? 0x40 : 0) | (r.nextBoolean() ? 0x8000 : 0);
    }
}

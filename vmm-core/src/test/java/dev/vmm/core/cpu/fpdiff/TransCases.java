package dev.vmm.core.cpu.fpdiff;

import java.util.Random;

/**
 * Case generators for the x87 transcendental and remainder instructions: the input state (control
 * word with any precision, rounding and masks; status word with random condition codes and masked
 * sticky flags; random TOP; the operands in ST(0), ST(1); sometimes an empty source or a full
 * ST(7) for the stack faults) and operand values biased to each instruction's interesting ranges.
 */
final class TransCases {
    /** The x87 value of pi / 2 rounded to 64 bits, and the 66-bit pi the hardware reduces with (as pi * 2^64). */
    private static final java.math.BigInteger PI66 = new java.math.BigInteger("3243F6A8885A308D3", 16);

    /** The instructions, with their second opcode byte (all are D9 xx). */
    enum Insn {
        F2XM1(0xF0, true), FYL2X(0xF1, true), FPTAN(0xF2, true), FPATAN(0xF3, true), FXTRACT(0xF4, false),
        FPREM1(0xF5, false), FPREM(0xF8, false), FYL2XP1(0xF9, true), FSINCOS(0xFB, true), FRNDINT(0xFC, false),
        FSCALE(0xFD, false), FSIN(0xFE, true), FCOS(0xFF, true);

        final int modrm;
        /** True for the transcendental functions, whose results may differ by 1 ulp (documented accuracy). */
        final boolean approximate;

        Insn(int modrm, boolean approximate) {
            this.modrm = modrm;
            this.approximate = approximate;
        }

        byte[] code() {
            return new byte[] {(byte) 0xD9, (byte) modrm};
        }

        boolean pushes() {
            return this == FPTAN || this == FSINCOS || this == FXTRACT;
        }

        boolean binary() {
            return this == FYL2X || this == FYL2XP1 || this == FPATAN || this == FPREM || this == FPREM1
                    || this == FSCALE;
        }
    }

    /** Special operands for the cross-product sweep: {se, sig}. */
    static final long[][] SPECIALS = {{0, 0}, {0x8000, 0}, {0, 1}, {0x8000, 0x7FFF_FFFF_FFFF_FFFFL},
        {0, Long.MIN_VALUE}, {0x0001, Long.MIN_VALUE}, {0x3FFF, Long.MIN_VALUE}, {0xBFFF, Long.MIN_VALUE},
        {0x3FFF, 0xC000_0000_0000_0000L}, {0xBFFE, 0xC000_0000_0000_0000L}, {0x3FFD, Long.MIN_VALUE},
        {0xBFFE, Long.MIN_VALUE}, {0x3FB9, 0xA000_0000_0000_0001L}, {0x4045, 0xF000_0000_0000_0000L},
        {0x7FFE, -1L}, {0xFFFE, -1L}, {0x3FFF, 0xC90F_DAA2_2168_C235L}, {0x403E, Long.MIN_VALUE},
        {0x7FFF, Long.MIN_VALUE}, {0xFFFF, Long.MIN_VALUE}, {0x7FFF, 0xC000_0000_0000_0001L},
        {0xFFFF, 0xC000_0000_0000_0000L}, {0x7FFF, 0x8000_0000_0000_0001L}, {0xFFFF, 0xA000_0000_0000_0000L},
        {0x7FFF, 0}, {0x7FFF, 0x4000_0000_0000_0000L}, {0x4000, 0x4000_0000_0000_0000L}};

    /** Control words of the sweep: all masked, all unmasked, and random rounding and precision. */
    static int sweepControl(Random r) {
        int rcpc = r.nextInt(4) << 10 | new int[] {0, 2, 3}[r.nextInt(3)] << 8;
        return switch (r.nextInt(3)) {
            case 0 -> 0x037F;
            case 1 -> 0x0040 | rcpc;
            default -> 0x007F | rcpc;
        };
    }

    /** An input state for the sweep: the operands in ST(0) and ST(1), room for a push. */
    static FxImage sweepState(Random r, long[] a, long[] b) {
        int cc = r.nextInt(16);
        int fsw = (cc & 1) << 8 | (cc & 2) << 8 | (cc & 4) << 8 | (cc & 8) << 11;
        return FxImage.fninit().fcw(sweepControl(r)).fsw(fsw).push((int) b[0], b[1]).push((int) a[0], a[1]);
    }

    private TransCases() {
    }

    /** A random input state for {@code insn} with operands a = ST(0) and b = ST(1). */
    static FxImage state(Random r, Insn insn, long[] a, long[] b) {
        int fcw = FpValues.fcw(r);
        int flags = r.nextInt(3) == 0 ? r.nextInt(0x40) & fcw & 0x3F : 0;
        int cc = r.nextInt(16);
        int fsw = flags | (cc & 1) << 8 | (cc & 2) << 8 | (cc & 4) << 8 | (cc & 8) << 11;
        FxImage s = FxImage.fninit().fcw(fcw).fsw(fsw | r.nextInt(8) << 11);
        // a few older entries, then the operands; sometimes fill the stack so a push overflows
        int depth = r.nextInt(8) == 0 ? 6 : r.nextInt(3);
        for (int k = 0; k < depth; k++) {
            long[] v = FpValues.f80(r);
            s.push((int) v[0], v[1]);
        }
        s.push((int) b[0], b[1]);
        s.push((int) a[0], a[1]);
        int ftw = s.ftw();
        int top = s.top();
        if (r.nextInt(40) == 0) {
            ftw &= ~(1 << top);                    // ST(0) empty
        } else if (insn.binary() && r.nextInt(40) == 0) {
            ftw &= ~(1 << ((top + 1) & 7));        // ST(1) empty
        }
        if (insn.pushes() && r.nextInt(6) != 0) {
            ftw &= ~(1 << ((top + 7) & 7));        // room for the push, usually
        }
        return s.ftw(ftw);
    }

    /** A finite value with the given sign (0 or 0x8000) and unbiased exponent, random significand. */
    static long[] finite(Random r, int sign, int exp) {
        long sig = r.nextLong() | Long.MIN_VALUE;
        switch (r.nextInt(8)) {
            case 0 -> sig = Long.MIN_VALUE;
            case 1 -> sig = -1L;
            case 2 -> sig &= -1L << (1 + r.nextInt(63));
            default -> {
            }
        }
        int be = exp + 16383;
        if (be <= 0) {
            return new long[] {sign, be > -64 ? sig >>> (1 - be) : 1};
        }
        return new long[] {sign | Math.min(be, 0x7FFE), sig};
    }

    static int sign(Random r) {
        return r.nextBoolean() ? 0x8000 : 0;
    }

    /** A value with exponent in [lo, hi], or (1 in {@code special}) a special or random-bits value. */
    static long[] ranged(Random r, int lo, int hi, int special) {
        if (r.nextInt(special) == 0) {
            return FpValues.f80(r);
        }
        return finite(r, sign(r), lo + r.nextInt(hi - lo + 1));
    }

    /** Operands {a, b} for {@code insn}. */
    static long[][] operands(Random r, Insn insn) {
        long[] any = FpValues.f80(r);
        return switch (insn) {
            case F2XM1 -> new long[][] {r.nextInt(10) == 0 ? FpValues.f80(r) : r.nextInt(10) == 0
                    ? finite(r, sign(r), -16400 + r.nextInt(16400)) : ranged(r, -70, 0, 8), any};
            case FSIN, FCOS, FPTAN, FSINCOS -> new long[][] {trigArgument(r), any};
            case FYL2X -> new long[][] {logArgument(r), ranged(r, -80, 80, 6)};
            case FYL2XP1 -> new long[][] {r.nextInt(6) == 0 ? ranged(r, -16400, 16383, 4) : ranged(r, -80, -2, 10),
                ranged(r, -80, 80, 6)};
            case FPATAN -> {
                long[] x = ranged(r, -80, 80, 6);
                int d = r.nextInt(4) == 0 ? r.nextInt(33000) - 16500 : r.nextInt(141) - 70;
                int ex = (int) (x[0] & 0x7FFF) - 16383;
                yield new long[][] {x, r.nextInt(6) == 0 ? FpValues.f80(r)
                        : finite(r, sign(r), Math.max(-16445, Math.min(16383, ex + d)))};
            }
            case FPREM, FPREM1 -> {
                // sometimes near the denormal range, for tiny (underflowing) remainders
                long[] b = r.nextInt(6) == 0 ? finite(r, sign(r), -16445 + r.nextInt(140)) : ranged(r, -200, 200, 6);
                int eb = (int) (b[0] & 0x7FFF) - 16383;
                int d = switch (r.nextInt(4)) {
                    case 0 -> r.nextInt(8) - 3;
                    case 1 -> 56 + r.nextInt(16);
                    case 2 -> r.nextInt(2000);
                    default -> r.nextInt(64);
                };
                yield new long[][] {r.nextInt(8) == 0 ? FpValues.f80(r)
                        : finite(r, sign(r), Math.max(-16445, Math.min(16383, eb + d))), b};
            }
            case FSCALE -> new long[][] {r.nextInt(3) == 0 ? FpValues.f80(r) : ranged(r, -16445, 16383, 4),
                scaleFactor(r)};
            case FXTRACT -> new long[][] {r.nextInt(3) == 0 ? FpValues.f80(r) : ranged(r, -16445, 16383, 4), any};
            case FRNDINT -> new long[][] {ranged(r, -3, 70, 5), any};
        };
    }

    /** In range mostly, near multiples of pi/2 (with the 66-bit pi of the reduction), out of range sometimes. */
    private static long[] trigArgument(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> FpValues.f80(r);
            case 1 -> ranged(r, 60, 70, 100);
            case 2 -> finite(r, sign(r), -16445 + r.nextInt(16400));
            case 3, 4 -> nearPiMultiple(r);
            default -> ranged(r, -70, 62, 100);
        };
    }

    /** The 64-bit value nearest to k * pi66/2 (or a neighbour), k random up to 2^62. */
    private static long[] nearPiMultiple(Random r) {
        java.math.BigInteger k = java.math.BigInteger.valueOf(r.nextLong() >>> (1 + r.nextInt(63)) | 1);
        java.math.BigInteger v = k.multiply(PI66);             // value * 2^65
        int bl = v.bitLength();
        long sig = v.shiftRight(bl - 64).longValue() + r.nextInt(3) - 1;
        int exp = bl - 1 - 65;
        return new long[] {sign(r) | (exp + 16383), sig | Long.MIN_VALUE};
    }

    private static long[] logArgument(Random r) {
        return switch (r.nextInt(8)) {
            case 0 -> FpValues.f80(r);
            case 1 -> new long[] {0x3FFF, Long.MIN_VALUE + r.nextInt(1 << 20)};
            case 2 -> new long[] {0x3FFE, -1L - r.nextInt(1 << 20)};
            case 3 -> new long[] {16383 + r.nextInt(200) - 100, Long.MIN_VALUE};
            default -> finite(r, 0, r.nextInt(4) == 0 ? r.nextInt(32828) - 16445 : r.nextInt(140) - 70);
        };
    }

    private static long[] scaleFactor(Random r) {
        if (r.nextInt(5) == 0) {
            return FpValues.f80(r);
        }
        int n = switch (r.nextInt(4)) {
            case 0 -> r.nextInt(200) - 100;
            case 1 -> r.nextInt(70000) - 35000;
            default -> r.nextInt(40000) - 20000;
        };
        double d = r.nextInt(4) == 0 ? n + r.nextDouble() * (n < 0 ? -1 : 1) : n;
        long bits = Double.doubleToRawLongBits(d);
        if (d == 0) {
            return new long[] {bits < 0 ? 0x8000 : 0, 0};
        }
        int e = (int) (bits >>> 52 & 0x7FF) - 1023;
        return new long[] {(bits < 0 ? 0x8000 : 0) | (e + 16383), Long.MIN_VALUE | (bits & 0xF_FFFF_FFFF_FFFFL) << 11};
    }
}

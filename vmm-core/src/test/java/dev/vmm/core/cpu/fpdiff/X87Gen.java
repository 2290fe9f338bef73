package dev.vmm.core.cpu.fpdiff;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Inputs for the x87 differential cases: starting states (any precision and rounding control, random or all
 * exception masks, stacks from empty to full with holes, condition codes and sticky flags set at random) and
 * operand values biased to what exercises the x87: specials and unsupported encodings ({@link FpValues}), values
 * near the ends of the exponent range (overflow, underflow, denormal results), neighbours of the other operand
 * (cancellation), integers and packed BCD.
 */
final class X87Gen {
    private X87Gen() {
    }

    /** ModRM for {@code [esi]} with the given reg field, or {@code [esi+disp8]} (then a displacement byte follows). */
    static byte[] mem(int opcode, int reg, int disp) {
        return disp == 0 ? new byte[] {(byte) opcode, (byte) (0x06 | reg << 3)}
                : new byte[] {(byte) opcode, (byte) (0x46 | reg << 3), (byte) disp};
    }

    static byte[] reg(int opcode, int reg, int rm) {
        return new byte[] {(byte) opcode, (byte) (0xC0 | reg << 3 | rm)};
    }

    static byte[] prefix(int p, byte[] code) {
        byte[] out = new byte[code.length + 1];
        out[0] = (byte) p;
        System.arraycopy(code, 0, out, 1, code.length);
        return out;
    }

    /** An x87 value {se, sig}: {@link FpValues#f80} or one near the ends of the exponent range. */
    static long[] f80(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> new long[] {(r.nextBoolean() ? 0x8000 : 0) | r.nextInt(70), sig(r)};
            case 1 -> new long[] {(r.nextBoolean() ? 0x8000 : 0) | 0x7FFE - r.nextInt(70), sig(r)};
            case 2 -> new long[] {(r.nextBoolean() ? 0x8000 : 0) | 0x3FFF + r.nextInt(9000) - 4500, sig(r)};
            default -> FpValues.f80(r);
        };
    }

    /** A value with an exponent near the bottom ({@code tiny}) or the top of the range, denormals included. */
    static long[] extreme(Random r, boolean tiny) {
        int sign = r.nextBoolean() ? 0x8000 : 0;
        int spread = r.nextInt(3) > 0 ? 2 : 40;
        return tiny ? new long[] {sign | r.nextInt(spread), r.nextInt(8) == 0 ? sig(r) >>> r.nextInt(1, 64) : sig(r)}
                : new long[] {sign | 0x7FFE - r.nextInt(spread), sig(r)};
    }

    /** A value close to {@code a}: same or nearby exponent, significand with a few changed low bits. */
    static long[] near(Random r, long[] a) {
        int se = (int) a[0] ^ (r.nextInt(3) == 0 ? 0x8000 : 0);
        int e = se & 0x7FFF;
        if (e > 2 && e < 0x7FFD) {
            e += r.nextInt(5) - 2;
        }
        long sig = a[1] ^ (r.nextInt(2) == 0 ? (long) r.nextInt(16) : r.nextLong() >>> r.nextInt(40, 64));
        return new long[] {se & 0x8000 | e, sig};
    }

    private static long sig(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> Long.MIN_VALUE;
            case 1 -> -1L;
            default -> r.nextLong() | Long.MIN_VALUE;
        };
    }

    static int f32(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> (r.nextBoolean() ? 0x8000_0000 : 0) | r.nextInt(8) << 23 | r.nextInt(1 << 23);
            case 1 -> (r.nextBoolean() ? 0x8000_0000 : 0) | (254 - r.nextInt(8)) << 23 | r.nextInt(1 << 23);
            default -> FpValues.f32(r);
        };
    }

    static long f64(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> (r.nextBoolean() ? Long.MIN_VALUE : 0) | (long) r.nextInt(64) << 52 | r.nextLong() >>> 12;
            case 1 -> (r.nextBoolean() ? Long.MIN_VALUE : 0) | (long) (2046 - r.nextInt(64)) << 52 | r.nextLong() >>> 12;
            default -> FpValues.f64(r);
        };
    }

    /**
     * A control word: any precision and rounding control, with all exceptions masked, all unmasked, or a random
     * mask (bit 6 set, as FNINIT leaves it).
     */
    static int fcw(Random r) {
        int mask = switch (r.nextInt(4)) {
            case 0 -> r.nextInt(0x40);
            case 1 -> 0;
            default -> 0x3F;
        };
        return 0x40 | mask | new int[] {0, 2, 3}[r.nextInt(3)] << 8 | r.nextInt(4) << 10;
    }

    /**
     * A starting state with control word {@code fcw} and {@code depth} values pushed (ST(0) = the last). The status
     * word has random condition codes, a random TOP before the pushes and random sticky flags among the masked
     * exceptions (so nothing is pending: the instruction under test must not fault natively).
     */
    static FxImage state(Random r, int fcw, long[]... values) {
        int sticky = r.nextInt(3) == 0 ? r.nextInt(0x40) & fcw & 0x3F : 0;
        int cc = r.nextInt(16);
        int fsw = (cc & 7) << 8 | (cc >> 3) << 14 | r.nextInt(8) << 11 | sticky;
        FxImage s = FxImage.fninit().fcw(fcw).fsw(fsw).mxcsr(0x1F80);
        for (int k = 0; k < 8; k++) {
            long[] junk = FpValues.f80(r);
            s.st(k, (int) junk[0], junk[1]);
        }
        for (int k = values.length - 1; k >= 0; k--) {
            s.push((int) values[k][0], values[k][1]);
        }
        return s;
    }

    /** A state with {@code n} random values on the stack (index 0 = ST(0)), sometimes with a hole or a full stack. */
    static FxImage randomStack(Random r, int fcw, int n) {
        return randomStack(r, fcw, n, 1);
    }

    /**
     * Like {@link #randomStack(Random, int, int)}, with ST(0) and ST({@code other}) often related: neighbours, both
     * tiny, both huge, or one of each (the pairs that overflow, underflow and cancel).
     */
    static FxImage randomStack(Random r, int fcw, int n, int other) {
        long[][] v = new long[n][];
        for (int k = 0; k < n; k++) {
            v[k] = f80(r);
        }
        if (n > other && other > 0) {
            int o = other;
            switch (r.nextInt(7)) {
                case 0, 1 -> v[o] = near(r, v[0]);
                case 2 -> {
                    v[0] = extreme(r, true);
                    v[o] = extreme(r, true);
                }
                case 3 -> {
                    v[0] = extreme(r, false);
                    v[o] = extreme(r, false);
                }
                case 4 -> {
                    boolean tinyFirst = r.nextBoolean();
                    v[0] = extreme(r, tinyFirst);
                    v[o] = extreme(r, !tinyFirst);
                }
                default -> {
                }
            }
        }
        FxImage s = state(r, fcw, v);
        if (n > 0 && r.nextInt(10) == 0) {
            int top = s.top();
            s.ftw(s.ftw() & ~(1 << ((top + r.nextInt(n)) & 7)));
        }
        return s;
    }

    /** Stack depth for a case: usually 1-3, sometimes empty (underflow) or full (overflow on a push). */
    static int depth(Random r, int usual) {
        return switch (r.nextInt(12)) {
            case 0 -> 0;
            case 1 -> 8;
            case 2 -> r.nextInt(9);
            default -> usual;
        };
    }

    static ByteBuffer buffer(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** 18 packed-BCD digits and a sign: valid digits mostly, sometimes a digit above 9 or stray sign-byte bits. */
    static byte[] bcd(Random r) {
        byte[] b = new byte[10];
        int digits = r.nextInt(19);
        for (int k = 0; k < digits; k++) {
            int d = r.nextInt(20) == 0 ? 10 + r.nextInt(6) : r.nextInt(10);
            b[k / 2] |= (byte) (d << (4 * (k & 1)));
        }
        b[9] = (byte) (r.nextBoolean() ? 0x80 : 0);
        if (r.nextInt(10) == 0) {
            b[9] |= (byte) r.nextInt(0x80);
        }
        return b;
    }
}

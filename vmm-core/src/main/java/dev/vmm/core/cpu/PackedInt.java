package dev.vmm.core.cpu;

/**
 * The lane arithmetic of the MMX and SSE2 integer instructions on one 64-bit quantity (an MMX
 * register or one half of an XMM register), as pure functions (Intel SDM vol. 2, the instruction
 * pages of PADDB ... PXOR). Lanes are bytes, words, doublewords or quadwords, lane 0 in the low
 * bits; {@code a} is the destination operand, {@code b} the source.
 *
 * <p>The 128-bit forms apply these per half ({@link SimdIntOps} arranges the halves); the shifts by
 * a register count take the count from the whole low quadword of the source, unsigned.
 */
final class PackedInt {
    private PackedInt() {
    }

    static final long LO32 = 0xFFFF_FFFFL;

    /** Sign-extends the low {@code bits} bits of {@code v}. */
    static long sx(long v, int bits) {
        return v << (64 - bits) >> (64 - bits);
    }

    private static long mask(int bits) {
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    // ---- add and subtract --------------------------------------------------------------------

    /** PADDB/W/D/Q: wrap-around addition of {@code bits}-bit lanes. */
    static long add(long a, long b, int bits) {
        if (bits == 64) {
            return a + b;
        }
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            r |= ((a >>> s) + (b >>> s) & m) << s;
        }
        return r;
    }

    /** PSUBB/W/D/Q: wrap-around subtraction. */
    static long sub(long a, long b, int bits) {
        if (bits == 64) {
            return a - b;
        }
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            r |= ((a >>> s) - (b >>> s) & m) << s;
        }
        return r;
    }

    /** PADDSB/W (sub = false), PSUBSB/W (sub = true): signed saturation. */
    static long addSigned(long a, long b, int bits, boolean sub) {
        long m = mask(bits);
        long max = m >>> 1;
        long min = ~max;
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            long x = sx(a >>> s, bits);
            long y = sx(b >>> s, bits);
            long v = sub ? x - y : x + y;
            r |= (Math.clamp(v, min, max) & m) << s;
        }
        return r;
    }

    /** PADDUSB/W (sub = false), PSUBUSB/W (sub = true): unsigned saturation. */
    static long addUnsigned(long a, long b, int bits, boolean sub) {
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            long x = a >>> s & m;
            long y = b >>> s & m;
            long v = sub ? x - y : x + y;
            r |= Math.clamp(v, 0, m) << s;
        }
        return r;
    }

    // ---- compare, min, max, average ----------------------------------------------------------

    /** PCMPEQB/W/D: all ones where the lanes are equal. */
    static long cmpEq(long a, long b, int bits) {
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            if ((a >>> s & m) == (b >>> s & m)) {
                r |= m << s;
            }
        }
        return r;
    }

    /** PCMPGTB/W/D: all ones where the signed lane of {@code a} is greater. */
    static long cmpGt(long a, long b, int bits) {
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            if (sx(a >>> s, bits) > sx(b >>> s, bits)) {
                r |= m << s;
            }
        }
        return r;
    }

    /** PMINUB (max = false), PMAXUB (max = true): unsigned bytes. PMINSW/PMAXSW: {@link #minMaxSigned}. */
    static long minMaxUnsigned(long a, long b, int bits, boolean max) {
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            long x = a >>> s & m;
            long y = b >>> s & m;
            r |= (max ? Math.max(x, y) : Math.min(x, y)) << s;
        }
        return r;
    }

    static long minMaxSigned(long a, long b, int bits, boolean max) {
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            long x = sx(a >>> s, bits);
            long y = sx(b >>> s, bits);
            r |= ((max ? Math.max(x, y) : Math.min(x, y)) & m) << s;
        }
        return r;
    }

    /** PAVGB/PAVGW: unsigned (a + b + 1) >> 1 per lane. */
    static long avg(long a, long b, int bits) {
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            r |= ((a >>> s & m) + (b >>> s & m) + 1 >>> 1) << s;
        }
        return r;
    }

    // ---- multiply ----------------------------------------------------------------------------

    /** PMULLW: low 16 bits of the signed (equally: unsigned) products of words. */
    static long mulLow(long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 16) {
            r |= ((a >>> s) * (b >>> s) & 0xFFFF) << s;
        }
        return r;
    }

    /** PMULHW (signed) and PMULHUW (unsigned): high 16 bits of the products of words. */
    static long mulHigh(long a, long b, boolean signed) {
        long r = 0;
        for (int s = 0; s < 64; s += 16) {
            long x = signed ? sx(a >>> s, 16) : a >>> s & 0xFFFF;
            long y = signed ? sx(b >>> s, 16) : b >>> s & 0xFFFF;
            r |= (x * y >>> 16 & 0xFFFF) << s;
        }
        return r;
    }

    /** PMADDWD: each doubleword = the sum of the two signed word products (0x8000 * 0x8000 * 2 wraps to 0x80000000). */
    static long maddWd(long a, long b) {
        long r = 0;
        for (int s = 0; s < 64; s += 32) {
            long p = sx(a >>> s, 16) * sx(b >>> s, 16) + sx(a >>> s + 16, 16) * sx(b >>> s + 16, 16);
            r |= (p & LO32) << s;
        }
        return r;
    }

    /** PMULUDQ: the unsigned 64-bit product of the low doublewords. */
    static long mulUdq(long a, long b) {
        return (a & LO32) * (b & LO32);
    }

    /** PSADBW: the sum of the absolute byte differences, in the low word (the rest zero). */
    static long sadBw(long a, long b) {
        long sum = 0;
        for (int s = 0; s < 64; s += 8) {
            sum += Math.abs((a >>> s & 0xFF) - (b >>> s & 0xFF));
        }
        return sum;
    }

    // ---- shifts ------------------------------------------------------------------------------

    /** PSLLW/D/Q: logical left shift of each lane by {@code count} (unsigned; all zero when count >= bits). */
    static long sll(long a, long count, int bits) {
        if (Long.compareUnsigned(count, bits - 1) > 0) {
            return 0;
        }
        int n = (int) count;
        if (bits == 64) {
            return a << n;
        }
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            r |= ((a >>> s & m) << n & m) << s;
        }
        return r;
    }

    /** PSRLW/D/Q: logical right shift (all zero when count >= bits). */
    static long srl(long a, long count, int bits) {
        if (Long.compareUnsigned(count, bits - 1) > 0) {
            return 0;
        }
        int n = (int) count;
        if (bits == 64) {
            return a >>> n;
        }
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            r |= ((a >>> s & m) >>> n) << s;
        }
        return r;
    }

    /** PSRAW/D: arithmetic right shift (a count >= bits fills each lane with its sign). */
    static long sra(long a, long count, int bits) {
        int n = Long.compareUnsigned(count, bits - 1) > 0 ? bits - 1 : (int) count;
        long m = mask(bits);
        long r = 0;
        for (int s = 0; s < 64; s += bits) {
            r |= (sx(a >>> s, bits) >> n & m) << s;
        }
        return r;
    }

    // ---- pack and unpack ---------------------------------------------------------------------

    /** PACKSSWB half: the four words of {@code a}, then of {@code b}, to signed-saturated bytes. */
    static long packSsWb(long a, long b) {
        long r = 0;
        for (int k = 0; k < 4; k++) {
            r |= (Math.clamp(sx(a >>> 16 * k, 16), -128L, 127L) & 0xFF) << 8 * k;
            r |= (Math.clamp(sx(b >>> 16 * k, 16), -128L, 127L) & 0xFF) << 8 * k + 32;
        }
        return r;
    }

    /** PACKUSWB half: signed words to unsigned-saturated bytes. */
    static long packUsWb(long a, long b) {
        long r = 0;
        for (int k = 0; k < 4; k++) {
            r |= Math.clamp(sx(a >>> 16 * k, 16), 0L, 255L) << 8 * k;
            r |= Math.clamp(sx(b >>> 16 * k, 16), 0L, 255L) << 8 * k + 32;
        }
        return r;
    }

    /** PACKSSDW half: the two doublewords of {@code a}, then of {@code b}, to signed-saturated words. */
    static long packSsDw(long a, long b) {
        long r = 0;
        for (int k = 0; k < 2; k++) {
            r |= (Math.clamp(sx(a >>> 32 * k, 32), -32768L, 32767L) & 0xFFFF) << 16 * k;
            r |= (Math.clamp(sx(b >>> 32 * k, 32), -32768L, 32767L) & 0xFFFF) << 16 * k + 32;
        }
        return r;
    }

    /**
     * Interleaves the lanes of the low halves (bits 31-0) of {@code a} and {@code b}: a0 b0 a1 b1 ...
     * (PUNPCKL*, and the low result half of the 128-bit unpacks).
     */
    static long interleaveLow(long a, long b, int bits) {
        return interleave(a, b, bits);
    }

    /** Interleaves the lanes of the high halves (bits 63-32) of {@code a} and {@code b}. */
    static long interleaveHigh(long a, long b, int bits) {
        return interleave(a >>> 32, b >>> 32, bits);
    }

    private static long interleave(long a, long b, int bits) {
        long m = mask(bits);
        long r = 0;
        int n = 32 / bits;
        for (int k = 0; k < n; k++) {
            r |= (a >>> bits * k & m) << 2 * bits * k;
            r |= (b >>> bits * k & m) << 2 * bits * k + bits;
        }
        return r;
    }

    // ---- shuffles and masks ------------------------------------------------------------------

    /** PSHUFW (and the halves of PSHUFHW/PSHUFLW): word k of the result is word (imm >> 2k) & 3 of {@code b}. */
    static long shuffleWords(long b, int imm) {
        long r = 0;
        for (int k = 0; k < 4; k++) {
            r |= (b >>> 16 * (imm >>> 2 * k & 3) & 0xFFFF) << 16 * k;
        }
        return r;
    }

    /** PMOVMSKB half: bit k = the top bit of byte k. */
    static int byteMask(long v) {
        int r = 0;
        for (int k = 0; k < 8; k++) {
            r |= (int) (v >>> 8 * k + 7 & 1) << k;
        }
        return r;
    }
}

package dev.vmm.core.cpu;

import java.util.Map;
import java.util.function.LongBinaryOperator;

/**
 * The MMX and SSE/SSE2 packed-integer instructions (arithmetic, comparisons, logic, shifts, packs,
 * unpacks, shuffles, PINSRW/PEXTRW/PMOVMSKB, EMMS) and the registry of all the MMX, SSE/SSE2
 * integer and data-movement handlers ({@link SimdMoveOps}, {@link SimdCacheOps}).
 *
 * <p>One handler serves the MMX row and the SSE2 row of an instruction: the MMX form (first operand
 * {@code P} or {@code N}) runs the MMX prologue ({@link FpuStateOps#mmx}: #UD on CR0.EM, #NM on
 * CR0.TS, a pending x87 exception; CR4.OSFXSR is not checked, also for the SSE and SSE2 additions
 * on MMX registers such as PAVGB, PSHUFW or PADDQ) and then puts the x87 unit in MMX state
 * ({@link Fpu#enterMmx}: TOP = 0, all registers valid); the XMM form runs the SSE prologue
 * ({@link FpuStateOps#sse}) and checks that a 16-byte memory operand is 16-byte aligned (#GP(0)),
 * as every legacy-SSE 128-bit operand but those of the unaligned moves must be. Operands are read
 * before anything is written, so a fault leaves no trace.
 */
final class SimdIntOps {
    private SimdIntOps() {
    }

    /** How a 64-bit operation combines the halves of 128-bit operands (a = destination, b = source). */
    enum Shape {
        /** Lane-wise: (f(aLo, bLo), f(aHi, bHi)). */
        LANES,
        /** Shift by the source's low quadword: (f(aLo, bLo), f(aHi, bLo)). */
        SHIFT,
        /** Pack: (f(aLo, aHi), f(bLo, bHi)). */
        PACK,
        /** Unpack low: (f(aLo, bLo), g(aLo, bLo)); MMX: f(a, b). */
        UNPACK_LO,
        /** Unpack high: (f(aHi, bHi), g(aHi, bHi)); MMX: g(a, b). */
        UNPACK_HI
    }

    static void register(Map<String, Handler> m) {
        lanes(m, "PADDB", (a, b) -> PackedInt.add(a, b, 8));
        lanes(m, "PADDW", (a, b) -> PackedInt.add(a, b, 16));
        lanes(m, "PADDD", (a, b) -> PackedInt.add(a, b, 32));
        lanes(m, "PADDQ", (a, b) -> a + b);
        lanes(m, "PSUBB", (a, b) -> PackedInt.sub(a, b, 8));
        lanes(m, "PSUBW", (a, b) -> PackedInt.sub(a, b, 16));
        lanes(m, "PSUBD", (a, b) -> PackedInt.sub(a, b, 32));
        lanes(m, "PSUBQ", (a, b) -> a - b);
        lanes(m, "PADDSB", (a, b) -> PackedInt.addSigned(a, b, 8, false));
        lanes(m, "PADDSW", (a, b) -> PackedInt.addSigned(a, b, 16, false));
        lanes(m, "PSUBSB", (a, b) -> PackedInt.addSigned(a, b, 8, true));
        lanes(m, "PSUBSW", (a, b) -> PackedInt.addSigned(a, b, 16, true));
        lanes(m, "PADDUSB", (a, b) -> PackedInt.addUnsigned(a, b, 8, false));
        lanes(m, "PADDUSW", (a, b) -> PackedInt.addUnsigned(a, b, 16, false));
        lanes(m, "PSUBUSB", (a, b) -> PackedInt.addUnsigned(a, b, 8, true));
        lanes(m, "PSUBUSW", (a, b) -> PackedInt.addUnsigned(a, b, 16, true));
        lanes(m, "PCMPEQB", (a, b) -> PackedInt.cmpEq(a, b, 8));
        lanes(m, "PCMPEQW", (a, b) -> PackedInt.cmpEq(a, b, 16));
        lanes(m, "PCMPEQD", (a, b) -> PackedInt.cmpEq(a, b, 32));
        lanes(m, "PCMPGTB", (a, b) -> PackedInt.cmpGt(a, b, 8));
        lanes(m, "PCMPGTW", (a, b) -> PackedInt.cmpGt(a, b, 16));
        lanes(m, "PCMPGTD", (a, b) -> PackedInt.cmpGt(a, b, 32));
        lanes(m, "PMINUB", (a, b) -> PackedInt.minMaxUnsigned(a, b, 8, false));
        lanes(m, "PMAXUB", (a, b) -> PackedInt.minMaxUnsigned(a, b, 8, true));
        lanes(m, "PMINSW", (a, b) -> PackedInt.minMaxSigned(a, b, 16, false));
        lanes(m, "PMAXSW", (a, b) -> PackedInt.minMaxSigned(a, b, 16, true));
        lanes(m, "PAVGB", (a, b) -> PackedInt.avg(a, b, 8));
        lanes(m, "PAVGW", (a, b) -> PackedInt.avg(a, b, 16));
        lanes(m, "PMULLW", PackedInt::mulLow);
        lanes(m, "PMULHW", (a, b) -> PackedInt.mulHigh(a, b, true));
        lanes(m, "PMULHUW", (a, b) -> PackedInt.mulHigh(a, b, false));
        lanes(m, "PMADDWD", PackedInt::maddWd);
        lanes(m, "PMULUDQ", PackedInt::mulUdq);
        lanes(m, "PSADBW", PackedInt::sadBw);
        // Logic: the packed-integer and the floating-point forms (ANDPS, ANDPD, ...) are one operation.
        lanes(m, "PAND", (a, b) -> a & b);
        lanes(m, "PANDN", (a, b) -> ~a & b);
        lanes(m, "POR", (a, b) -> a | b);
        lanes(m, "PXOR", (a, b) -> a ^ b);

        shift(m, "PSLLW", (a, n) -> PackedInt.sll(a, n, 16));
        shift(m, "PSLLD", (a, n) -> PackedInt.sll(a, n, 32));
        shift(m, "PSLLQ", (a, n) -> PackedInt.sll(a, n, 64));
        shift(m, "PSRLW", (a, n) -> PackedInt.srl(a, n, 16));
        shift(m, "PSRLD", (a, n) -> PackedInt.srl(a, n, 32));
        shift(m, "PSRLQ", (a, n) -> PackedInt.srl(a, n, 64));
        shift(m, "PSRAW", (a, n) -> PackedInt.sra(a, n, 16));
        shift(m, "PSRAD", (a, n) -> PackedInt.sra(a, n, 32));
        m.put("PSLLDQ", (c, i) -> byteShift(c, i, true));
        m.put("PSRLDQ", (c, i) -> byteShift(c, i, false));

        packed(m, "PACKSSWB", Shape.PACK, PackedInt::packSsWb, null);
        packed(m, "PACKUSWB", Shape.PACK, PackedInt::packUsWb, null);
        packed(m, "PACKSSDW", Shape.PACK, PackedInt::packSsDw, null);
        unpack(m, "PUNPCKLBW", "PUNPCKHBW", 8);
        unpack(m, "PUNPCKLWD", "PUNPCKHWD", 16);
        unpack(m, "PUNPCKLDQ", "PUNPCKHDQ", 32);
        unpack(m, "UNPCKLPS", "UNPCKHPS", 32);
        packed(m, "PUNPCKLQDQ", Shape.UNPACK_LO, (a, b) -> a, (a, b) -> b);
        packed(m, "PUNPCKHQDQ", Shape.UNPACK_HI, (a, b) -> a, (a, b) -> b);
        packed(m, "UNPCKLPD", Shape.UNPACK_LO, (a, b) -> a, (a, b) -> b);
        packed(m, "UNPCKHPD", Shape.UNPACK_HI, (a, b) -> a, (a, b) -> b);

        m.put("PSHUFW", SimdIntOps::pshufw);
        m.put("PSHUFD", SimdIntOps::pshufd);
        m.put("PSHUFHW", (c, i) -> pshufHalf(c, i, true));
        m.put("PSHUFLW", (c, i) -> pshufHalf(c, i, false));
        m.put("SHUFPS", SimdIntOps::shufps);
        m.put("SHUFPD", SimdIntOps::shufpd);
        m.put("PINSRW", SimdIntOps::pinsrw);
        m.put("PEXTRW", SimdIntOps::pextrw);
        m.put("PMOVMSKB", SimdIntOps::pmovmskb);
        m.put("EMMS", SimdIntOps::emms);

        SimdMoveOps.register(m);
        SimdCacheOps.register(m);
    }

    private static void lanes(Map<String, Handler> m, String key, LongBinaryOperator f) {
        packed(m, key, Shape.LANES, f, null);
    }

    private static void unpack(Map<String, Handler> m, String low, String high, int bits) {
        LongBinaryOperator lo = (a, b) -> PackedInt.interleaveLow(a, b, bits);
        LongBinaryOperator hi = (a, b) -> PackedInt.interleaveHigh(a, b, bits);
        packed(m, low, Shape.UNPACK_LO, lo, hi);
        packed(m, high, Shape.UNPACK_HI, lo, hi);
    }

    private static void packed(Map<String, Handler> m, String key, Shape shape, LongBinaryOperator f,
                               LongBinaryOperator g) {
        m.put(key, (c, i) -> binary(c, i, shape, f, g));
    }

    /** A shift: by a register or memory count (P/V first operand), or by an immediate (groups 12-14: N/U). */
    private static void shift(Map<String, Handler> m, String key, LongBinaryOperator f) {
        m.put(key, (c, i) -> {
            if (i.k1 == Operand.N || i.k1 == Operand.U) {
                shiftImmediate(c, i, f);
            } else {
                binary(c, i, Shape.SHIFT, f, f);
            }
        });
    }

    // ---- operand access ----------------------------------------------------------------------

    /** The MMX source operand (Q): MMX register r/m, or {@code i.w2} bytes of memory. */
    static long mmxSource(Cpu c, Insn i) {
        return i.mod == 3 ? c.fpu.mm(i.rm) : c.read(i.seg, c.ea(i), i.w2);
    }

    /**
     * The offset of a 16-byte memory operand after the alignment check (#GP(0) unless aligned), or 0
     * for a register operand. Read the halves with {@link #xmmHalf}.
     */
    static long alignedOffset(Cpu c, Insn i) {
        if (i.mod == 3) {
            return 0;
        }
        long off = c.ea(i);
        FpuStateOps.aligned16(c, i.seg, off);
        return off;
    }

    /** Half {@code half} (0 low, 1 high) of the XMM r/m operand: register r/m, or 8 bytes at {@code off + 8 * half}. */
    static long xmmHalf(Cpu c, Insn i, long off, int half) {
        return i.mod == 3 ? c.fpu.xmm[2 * i.rm + half] : c.read(i.seg, off + 8L * half, 8);
    }

    // ---- generic packed operations -----------------------------------------------------------

    static void binary(Cpu c, Insn i, Shape shape, LongBinaryOperator f, LongBinaryOperator g) {
        Fpu fpu = c.fpu;
        if (i.k1 == Operand.P) {
            FpuStateOps.mmx(c);
            long b = mmxSource(c, i);
            long a = fpu.mm(i.reg);
            long r = shape == Shape.UNPACK_HI ? g.applyAsLong(a, b) : f.applyAsLong(a, b);
            fpu.enterMmx();
            fpu.setMm(i.reg, r);
            return;
        }
        FpuStateOps.sse(c);
        long off = alignedOffset(c, i);
        long bLo = xmmHalf(c, i, off, 0);
        long bHi = xmmHalf(c, i, off, 1);
        long aLo = fpu.xmmLo(i.reg);
        long aHi = fpu.xmmHi(i.reg);
        switch (shape) {
            case LANES -> fpu.setXmm(i.reg, f.applyAsLong(aLo, bLo), f.applyAsLong(aHi, bHi));
            case SHIFT -> fpu.setXmm(i.reg, f.applyAsLong(aLo, bLo), f.applyAsLong(aHi, bLo));
            case PACK -> fpu.setXmm(i.reg, f.applyAsLong(aLo, aHi), f.applyAsLong(bLo, bHi));
            case UNPACK_LO -> fpu.setXmm(i.reg, f.applyAsLong(aLo, bLo), g.applyAsLong(aLo, bLo));
            case UNPACK_HI -> fpu.setXmm(i.reg, f.applyAsLong(aHi, bHi), g.applyAsLong(aHi, bHi));
        }
    }

    /** PSLLW/D/Q, PSRLW/D/Q, PSRAW/D by an immediate count (0F 71-73 /2 /4 /6): the register is r/m. */
    private static void shiftImmediate(Cpu c, Insn i, LongBinaryOperator f) {
        Fpu fpu = c.fpu;
        long n = i.imm & 0xFF;
        if (i.k1 == Operand.N) {
            FpuStateOps.mmx(c);
            long r = f.applyAsLong(fpu.mm(i.rm), n);
            fpu.enterMmx();
            fpu.setMm(i.rm, r);
            return;
        }
        FpuStateOps.sse(c);
        fpu.setXmm(i.rm, f.applyAsLong(fpu.xmmLo(i.rm), n), f.applyAsLong(fpu.xmmHi(i.rm), n));
    }

    /** PSLLDQ/PSRLDQ: shifts the whole register by imm8 bytes (all zero when imm8 > 15). */
    private static void byteShift(Cpu c, Insn i, boolean left) {
        FpuStateOps.sse(c);
        Fpu fpu = c.fpu;
        int bits = (int) (i.imm & 0xFF) * 8;
        long lo = fpu.xmmLo(i.rm);
        long hi = fpu.xmmHi(i.rm);
        long rLo;
        long rHi;
        if (bits >= 128) {
            rLo = 0;
            rHi = 0;
        } else if (bits == 0) {
            rLo = lo;
            rHi = hi;
        } else if (bits < 64) {
            rLo = left ? lo << bits : lo >>> bits | hi << 64 - bits;
            rHi = left ? hi << bits | lo >>> 64 - bits : hi >>> bits;
        } else {
            rLo = left ? 0 : hi >>> bits - 64;
            rHi = left ? lo << bits - 64 : 0;
        }
        fpu.setXmm(i.rm, rLo, rHi);
    }

    // ---- shuffles ----------------------------------------------------------------------------

    private static void pshufw(Cpu c, Insn i) {
        FpuStateOps.mmx(c);
        long b = mmxSource(c, i);
        Fpu fpu = c.fpu;
        fpu.enterMmx();
        fpu.setMm(i.reg, PackedInt.shuffleWords(b, (int) i.imm));
    }

    private static void pshufd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        long off = alignedOffset(c, i);
        long lo = xmmHalf(c, i, off, 0);
        long hi = xmmHalf(c, i, off, 1);
        int imm = (int) i.imm;
        c.fpu.setXmm(i.reg, dword(lo, hi, imm) | dword(lo, hi, imm >>> 2) << 32,
                dword(lo, hi, imm >>> 4) | dword(lo, hi, imm >>> 6) << 32);
    }

    /** Doubleword {@code sel & 3} of the 128-bit value hi:lo, zero-extended. */
    private static long dword(long lo, long hi, int sel) {
        return ((sel & 2) == 0 ? lo : hi) >>> 32 * (sel & 1) & PackedInt.LO32;
    }

    /** PSHUFHW (shuffles the high quadword's words, copies the low one) and PSHUFLW (the other way round). */
    private static void pshufHalf(Cpu c, Insn i, boolean high) {
        FpuStateOps.sse(c);
        long off = alignedOffset(c, i);
        long lo = xmmHalf(c, i, off, 0);
        long hi = xmmHalf(c, i, off, 1);
        int imm = (int) i.imm;
        if (high) {
            c.fpu.setXmm(i.reg, lo, PackedInt.shuffleWords(hi, imm));
        } else {
            c.fpu.setXmm(i.reg, PackedInt.shuffleWords(lo, imm), hi);
        }
    }

    /** SHUFPS: result dwords 0-1 from the destination, 2-3 from the source, each chosen by two bits of imm8. */
    private static void shufps(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu fpu = c.fpu;
        long off = alignedOffset(c, i);
        long bLo = xmmHalf(c, i, off, 0);
        long bHi = xmmHalf(c, i, off, 1);
        long aLo = fpu.xmmLo(i.reg);
        long aHi = fpu.xmmHi(i.reg);
        int imm = (int) i.imm;
        fpu.setXmm(i.reg, dword(aLo, aHi, imm) | dword(aLo, aHi, imm >>> 2) << 32,
                dword(bLo, bHi, imm >>> 4) | dword(bLo, bHi, imm >>> 6) << 32);
    }

    /** SHUFPD: low result = destination quadword imm8[0], high result = source quadword imm8[1]. */
    private static void shufpd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu fpu = c.fpu;
        long off = alignedOffset(c, i);
        long bLo = xmmHalf(c, i, off, 0);
        long bHi = xmmHalf(c, i, off, 1);
        int imm = (int) i.imm;
        long lo = (imm & 1) == 0 ? fpu.xmmLo(i.reg) : fpu.xmmHi(i.reg);
        fpu.setXmm(i.reg, lo, (imm & 2) == 0 ? bLo : bHi);
    }

    // ---- word insert/extract, byte mask, EMMS -------------------------------------------------

    /** PINSRW: the low word of r32 (or a word of memory) replaces word imm8 (mod 4 for MMX, mod 8 for XMM). */
    private static void pinsrw(Cpu c, Insn i) {
        Fpu fpu = c.fpu;
        if (i.k1 == Operand.P) {
            FpuStateOps.mmx(c);
            long w = c.readE(i, i.w2) & 0xFFFF;
            int sh = 16 * (int) (i.imm & 3);
            long r = fpu.mm(i.reg) & ~(0xFFFFL << sh) | w << sh;
            fpu.enterMmx();
            fpu.setMm(i.reg, r);
            return;
        }
        FpuStateOps.sse(c);
        long w = c.readE(i, i.w2) & 0xFFFF;
        int k = (int) (i.imm & 7);
        int idx = 2 * i.reg + (k >> 2);
        int sh = 16 * (k & 3);
        fpu.xmm[idx] = fpu.xmm[idx] & ~(0xFFFFL << sh) | w << sh;
    }

    /** PEXTRW: word imm8 (mod 4 / mod 8) of the register, zero-extended into r32. */
    private static void pextrw(Cpu c, Insn i) {
        Fpu fpu = c.fpu;
        long v;
        if (i.k2 == Operand.N) {
            FpuStateOps.mmx(c);
            v = fpu.mm(i.rm) >>> 16 * (i.imm & 3) & 0xFFFF;
            fpu.enterMmx();
        } else {
            FpuStateOps.sse(c);
            int k = (int) (i.imm & 7);
            v = fpu.xmm[2 * i.rm + (k >> 2)] >>> 16 * (k & 3) & 0xFFFF;
        }
        c.setReg(i.reg, 4, v);
    }

    /** PMOVMSKB: the top bit of each byte, zero-extended into r32. */
    private static void pmovmskb(Cpu c, Insn i) {
        Fpu fpu = c.fpu;
        int v;
        if (i.k2 == Operand.N) {
            FpuStateOps.mmx(c);
            v = PackedInt.byteMask(fpu.mm(i.rm));
            fpu.enterMmx();
        } else {
            FpuStateOps.sse(c);
            v = PackedInt.byteMask(fpu.xmmLo(i.rm)) | PackedInt.byteMask(fpu.xmmHi(i.rm)) << 8;
        }
        c.setReg(i.reg, 4, v);
    }

    /**
     * EMMS: marks every x87 register empty (tag word FFFFh) and, like every MMX instruction, sets TOP
     * to 0 (SDM vol. 3, 12.2 and table 12-2: "each time an MMX instruction is executed, the TOS value
     * is set to 000B"); the registers are unchanged.
     */
    private static void emms(Cpu c, Insn i) {
        FpuStateOps.mmx(c);
        c.fpu.top = 0;
        c.fpu.emptyMask = 0xFF;
    }
}

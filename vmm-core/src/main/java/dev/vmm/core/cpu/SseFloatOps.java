package dev.vmm.core.cpu;

import dev.vmm.core.fpu.F32;
import dev.vmm.core.fpu.F64;
import dev.vmm.core.fpu.FpEnv;
import dev.vmm.core.fpu.Simd;
import java.util.Map;

/**
 * The SSE and SSE2 floating-point instructions: packed and scalar arithmetic (ADD, SUB, MUL, DIV,
 * MIN, MAX, SQRT), the approximations RCP and RSQRT, and LDMXCSR/STMXCSR; the comparisons are in
 * {@link SseCompare}, the conversions in {@link SseConvert}. Also the helpers they share: operand
 * access and the delivery of SIMD floating-point exceptions.
 *
 * <p>Exceptions (SDM vol. 1, 11.5.3): an operation is carried out on every lane with the masked
 * responses of the softfloat core; the pre-computation conditions (IE, DE, ZE) of all lanes are
 * considered first: if one of them is unmasked, only they are added to MXCSR and the instruction
 * faults (#XM, or #UD without CR4.OSXMMEXCPT); otherwise all the flags are added and an unmasked
 * post-computation condition (OE, UE, PE) faults. A fault writes no destination. An unmasked
 * overflow or underflow is judged on the result rounded with unbounded exponent (underflow even
 * when exact, and FTZ does not apply), with PE only if that rounding is inexact
 * ({@link Simd#postArith}).
 *
 * <p>Memory operands of 16 bytes must be 16-byte aligned (#GP(0)); scalar and 8-byte operands need
 * no alignment.
 */
final class SseFloatOps {
    static final int ADD = Simd.ADD;
    static final int SUB = Simd.SUB;
    static final int MUL = Simd.MUL;
    static final int DIV = Simd.DIV;
    static final int MIN = 4;
    static final int MAX = 5;
    static final int SQRT = 6;
    static final int RCP = 7;
    static final int RSQRT = 8;

    static final long M32 = 0xFFFF_FFFFL;
    /** The pre-computation exception flags. */
    static final int PRE = FpEnv.IE | FpEnv.DE | FpEnv.ZE;
    /** MXCSR overflow and underflow mask bits. */
    private static final int OM = 1 << 10;
    private static final int UM = 1 << 11;

    private SseFloatOps() {
    }

    static void register(Map<String, Handler> m) {
        arith(m, "ADD", ADD);
        arith(m, "SUB", SUB);
        arith(m, "MUL", MUL);
        arith(m, "DIV", DIV);
        arith(m, "MIN", MIN);
        arith(m, "MAX", MAX);
        arith(m, "SQRT", SQRT);
        m.put("RCPPS", (c, i) -> ps(c, i, RCP));
        m.put("RCPSS", (c, i) -> ss(c, i, RCP));
        m.put("RSQRTPS", (c, i) -> ps(c, i, RSQRT));
        m.put("RSQRTSS", (c, i) -> ss(c, i, RSQRT));
        m.put("LDMXCSR", SseFloatOps::ldmxcsr);
        m.put("STMXCSR", SseFloatOps::stmxcsr);
        SseCompare.register(m);
        SseConvert.register(m);
    }

    private static void arith(Map<String, Handler> m, String name, int op) {
        m.put(name + "PS", (c, i) -> ps(c, i, op));
        m.put(name + "SS", (c, i) -> ss(c, i, op));
        m.put(name + "PD", (c, i) -> pd(c, i, op));
        m.put(name + "SD", (c, i) -> sd(c, i, op));
    }

    // ---- shared helpers -----------------------------------------------------------------------

    /** The softfloat environment loaded from MXCSR (rounding, DAZ, FTZ), flags cleared. */
    static FpEnv env(Fpu f) {
        FpEnv x = f.env.mxcsr(f.mxcsr);
        x.flags = 0;
        return x;
    }

    /** True if an unmasked overflow or underflow could occur, so lanes need {@link Simd#postArith}. */
    static boolean postChecks(Fpu f) {
        return (f.mxcsr & (OM | UM)) != (OM | UM);
    }

    /**
     * Adds the flags one lane raised ({@code x.flags}) to the accumulator {@code acc} (pre-computation
     * flags in bits 5-0, post-computation flags in bits 13-8). {@code post} is the lane's
     * {@link Simd#postArith} classification, or 0: it replaces the masked overflow/underflow
     * response's flags when that exception is unmasked.
     */
    static int collect(Fpu f, FpEnv x, int acc, int post) {
        int fl = x.flags;
        if ((post & Simd.POST_OVERFLOW) != 0 && (f.mxcsr & OM) == 0) {
            fl = fl & ~(FpEnv.OE | FpEnv.UE | FpEnv.PE) | FpEnv.OE | inexact(post);
        } else if ((post & Simd.POST_TINY) != 0 && (f.mxcsr & UM) == 0) {
            fl = fl & ~(FpEnv.UE | FpEnv.PE) | FpEnv.UE | inexact(post);
        }
        x.flags = 0;
        return acc | fl & PRE | (fl & ~PRE & FpEnv.ALL) << 8;
    }

    private static int inexact(int post) {
        return (post & Simd.POST_INEXACT) != 0 ? FpEnv.PE : 0;
    }

    /**
     * Delivers the accumulated flags of an instruction ({@link #collect}): an unmasked
     * pre-computation condition faults with only the pre-computation flags set; otherwise all are
     * set and an unmasked one faults. Call before writing the destination.
     */
    static void deliver(Cpu c, int acc) {
        if (acc == 0) {
            return;
        }
        int pre = acc & 0x3F;
        int unmasked = ~(c.fpu.mxcsr >>> 7) & 0x3F;
        FpuStateOps.simdFlags(c, (pre & unmasked) != 0 ? pre : pre | acc >>> 8);
    }

    /** The offset of a 16-byte memory operand after the alignment (#GP(0)) and access checks. */
    static long mem128(Cpu c, Insn i) {
        long off = c.ea(i);
        FpuStateOps.aligned16(c, i.seg, off);
        c.probeRead(i.seg, off, 16);
        return off;
    }

    /**
     * A 128-bit XMM-or-memory source of a packed form: returns the low quadword and puts the high one
     * in {@code hi[0]}; memory must be 16-byte aligned and is checked whole before it is read.
     */
    static long src128(Cpu c, Insn i, long[] hi) {
        if (i.mod == 3) {
            hi[0] = c.fpu.xmmHi(i.rm);
            return c.fpu.xmmLo(i.rm);
        }
        long off = mem128(c, i);
        long lo = c.read(i.seg, off, 8);
        hi[0] = c.read(i.seg, off + 8, 8);
        return lo;
    }

    /** A 32-bit XMM-or-memory source (low lane of the register). */
    static int src32(Cpu c, Insn i) {
        return i.mod == 3 ? (int) c.fpu.xmmLo(i.rm) : (int) c.read(i.seg, c.ea(i), 4);
    }

    /** A 64-bit XMM-or-memory source (low quadword of the register; memory needs no alignment). */
    static long src64(Cpu c, Insn i) {
        return i.mod == 3 ? c.fpu.xmmLo(i.rm) : c.read(i.seg, c.ea(i), 8);
    }

    static long pack(int lo, int hi) {
        return (lo & M32) | (long) hi << 32;
    }

    // ---- arithmetic ---------------------------------------------------------------------------

    private static int lane32(FpEnv x, int op, int a, int b) {
        return switch (op) {
            case ADD -> F32.add(x, a, b);
            case SUB -> F32.sub(x, a, b);
            case MUL -> F32.mul(x, a, b);
            case DIV -> F32.div(x, a, b);
            case MIN -> (int) Simd.minMax(x, a & M32, b & M32, 23, 8, false);
            case MAX -> (int) Simd.minMax(x, a & M32, b & M32, 23, 8, true);
            case SQRT -> F32.sqrt(x, b);
            case RCP -> Simd.rcp(b);
            default -> Simd.rsqrt(b);
        };
    }

    private static long lane64(FpEnv x, int op, long a, long b) {
        return switch (op) {
            case ADD -> F64.add(x, a, b);
            case SUB -> F64.sub(x, a, b);
            case MUL -> F64.mul(x, a, b);
            case DIV -> F64.div(x, a, b);
            case MIN -> Simd.minMax(x, a, b, 52, 11, false);
            case MAX -> Simd.minMax(x, a, b, 52, 11, true);
            default -> F64.sqrt(x, b);
        };
    }

    /** The unmasked-overflow/underflow classification of a binary32 lane, when it matters. */
    private static int post32(FpEnv x, int op, int a, int b, boolean post) {
        return post && op <= DIV ? Simd.postArith(x, op, a & M32, b & M32, 23, 8) : 0;
    }

    private static int post64(FpEnv x, int op, long a, long b, boolean post) {
        return post && op <= DIV ? Simd.postArith(x, op, a, b, 52, 11) : 0;
    }

    private static void ps(Cpu c, Insn i, int op) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long[] bh = new long[1];
        long blo = src128(c, i, bh);
        long bhi = bh[0];
        long alo = f.xmmLo(i.reg);
        long ahi = f.xmmHi(i.reg);
        FpEnv x = env(f);
        boolean post = postChecks(f);
        int acc = 0;
        long lo = 0;
        long hi = 0;
        for (int k = 0; k < 4; k++) {
            int sh = 32 * (k & 1);
            int a = (int) ((k < 2 ? alo : ahi) >>> sh);
            int b = (int) ((k < 2 ? blo : bhi) >>> sh);
            long r = (lane32(x, op, a, b) & M32) << sh;
            acc = collect(f, x, acc, post32(x, op, a, b, post));
            if (k < 2) {
                lo |= r;
            } else {
                hi |= r;
            }
        }
        deliver(c, acc);
        f.setXmm(i.reg, lo, hi);
    }

    private static void ss(Cpu c, Insn i, int op) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        int b = src32(c, i);
        int a = f.xmm32(i.reg, 0);
        FpEnv x = env(f);
        int r = lane32(x, op, a, b);
        deliver(c, collect(f, x, 0, post32(x, op, a, b, postChecks(f))));
        f.setXmm32(i.reg, 0, r);
    }

    private static void pd(Cpu c, Insn i, int op) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long[] bh = new long[1];
        long blo = src128(c, i, bh);
        long bhi = bh[0];
        long alo = f.xmmLo(i.reg);
        long ahi = f.xmmHi(i.reg);
        FpEnv x = env(f);
        boolean post = postChecks(f);
        long lo = lane64(x, op, alo, blo);
        int acc = collect(f, x, 0, post64(x, op, alo, blo, post));
        long hi = lane64(x, op, ahi, bhi);
        acc = collect(f, x, acc, post64(x, op, ahi, bhi, post));
        deliver(c, acc);
        f.setXmm(i.reg, lo, hi);
    }

    private static void sd(Cpu c, Insn i, int op) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long b = src64(c, i);
        long a = f.xmmLo(i.reg);
        FpEnv x = env(f);
        long r = lane64(x, op, a, b);
        deliver(c, collect(f, x, 0, post64(x, op, a, b, postChecks(f))));
        f.xmm[2 * i.reg] = r;
    }

    // ---- MXCSR --------------------------------------------------------------------------------

    /** LDMXCSR m32: #GP(0) if a reserved bit (31-16) is set. Loading set flags with cleared masks raises nothing. */
    private static void ldmxcsr(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        long v = c.read(i.seg, c.ea(i), 4);
        if ((v & ~(long) Fpu.MXCSR_MASK) != 0) {
            throw c.gp(0);
        }
        c.fpu.mxcsr = (int) v;
    }

    private static void stmxcsr(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        c.write(i.seg, c.ea(i), 4, c.fpu.mxcsr);
    }
}

package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SseFloatOps.M32;
import static dev.vmm.core.cpu.SseFloatOps.collect;
import static dev.vmm.core.cpu.SseFloatOps.pack;

import dev.vmm.core.fpu.F32;
import dev.vmm.core.fpu.F64;
import dev.vmm.core.fpu.FpEnv;
import dev.vmm.core.fpu.Simd;
import java.util.Map;

/**
 * The SSE/SSE2 conversions between binary32, binary64, 32-bit integers in general registers, XMM
 * and MMX registers (SDM vol. 2, CVT*). Float-to-integer conversions give the integer indefinite
 * 80000000h with IE for NaN, infinity and out-of-range values, and never signal DE; the
 * {@code CVTT*} forms truncate, the others round by MXCSR.RC.
 *
 * <p>The forms with an MMX register operand switch the x87 unit to MMX state (TOP = 0, all tags
 * valid) and first report a pending x87 exception (#MF or FERR#, {@link FpuStateOps#mmx}); with a
 * 64-bit memory source instead of an MMX register, CVTPI2PS and CVTPI2PD do neither (SDM vol. 2,
 * CVTPI2PD: "For operands xmm, m64: the instruction does not cause a transition to MMX technology
 * and does not take x87 FPU exceptions"). The transition is made only when the instruction
 * completes.
 */
final class SseConvert {
    private SseConvert() {
    }

    static void register(Map<String, Handler> m) {
        m.put("CVTPI2PS", SseConvert::cvtpi2ps);
        m.put("CVTPI2PD", SseConvert::cvtpi2pd);
        m.put("CVTSI2SS", SseConvert::cvtsi2ss);
        m.put("CVTSI2SD", SseConvert::cvtsi2sd);
        m.put("CVTPS2PI", (c, i) -> cvtps2pi(c, i, false));
        m.put("CVTTPS2PI", (c, i) -> cvtps2pi(c, i, true));
        m.put("CVTPD2PI", (c, i) -> cvtpd2pi(c, i, false));
        m.put("CVTTPD2PI", (c, i) -> cvtpd2pi(c, i, true));
        m.put("CVTSS2SI", (c, i) -> cvtss2si(c, i, false));
        m.put("CVTTSS2SI", (c, i) -> cvtss2si(c, i, true));
        m.put("CVTSD2SI", (c, i) -> cvtsd2si(c, i, false));
        m.put("CVTTSD2SI", (c, i) -> cvtsd2si(c, i, true));
        m.put("CVTPS2PD", SseConvert::cvtps2pd);
        m.put("CVTPD2PS", SseConvert::cvtpd2ps);
        m.put("CVTSS2SD", SseConvert::cvtss2sd);
        m.put("CVTSD2SS", SseConvert::cvtsd2ss);
        m.put("CVTDQ2PS", SseConvert::cvtdq2ps);
        m.put("CVTPS2DQ", (c, i) -> cvtps2dq(c, i, false));
        m.put("CVTTPS2DQ", (c, i) -> cvtps2dq(c, i, true));
        m.put("CVTDQ2PD", SseConvert::cvtdq2pd);
        m.put("CVTPD2DQ", (c, i) -> cvtpd2dq(c, i, false));
        m.put("CVTTPD2DQ", (c, i) -> cvtpd2dq(c, i, true));
    }

    /** A 64-bit MMX-register (x87 pending-exception check first) or memory source. */
    private static long mmxOrMem64(Cpu c, Insn i) {
        if (i.mod == 3) {
            FpuStateOps.mmx(c);
            return c.fpu.mm(i.rm);
        }
        return c.read(i.seg, c.ea(i), 8);
    }

    /** Writes an MMX register and switches to MMX state. */
    private static void setMm(Fpu f, int n, long v) {
        f.enterMmx();
        f.setMm(n, v);
    }

    // ---- integer to floating point -------------------------------------------------------------

    /** CVTPI2PS xmm, mm/m64: two int32 to binary32 in the low quadword; the high quadword is kept. */
    private static void cvtpi2ps(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long v = mmxOrMem64(c, i);
        FpEnv x = SseFloatOps.env(f);
        int r0 = F32.fromInt(x, (int) v);
        int acc = collect(f, x, 0, 0);
        int r1 = F32.fromInt(x, (int) (v >>> 32));
        acc = collect(f, x, acc, 0);
        SseFloatOps.deliver(c, acc);
        if (i.mod == 3) {
            f.enterMmx();
        }
        f.xmm[2 * i.reg] = pack(r0, r1);
    }

    /** CVTPI2PD xmm, mm/m64: two int32 to binary64 (exact). */
    private static void cvtpi2pd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long v = mmxOrMem64(c, i);
        FpEnv x = SseFloatOps.env(f);
        long lo = F64.fromInt(x, (int) v);
        long hi = F64.fromInt(x, (int) (v >>> 32));
        if (i.mod == 3) {
            f.enterMmx();
        }
        f.setXmm(i.reg, lo, hi);
    }

    /** CVTSI2SS xmm, r/m32. */
    private static void cvtsi2ss(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        int v = (int) (i.mod == 3 ? c.reg(i.rm, 4) : c.read(i.seg, c.ea(i), 4));
        FpEnv x = SseFloatOps.env(f);
        int r = F32.fromInt(x, v);
        SseFloatOps.deliver(c, collect(f, x, 0, 0));
        f.setXmm32(i.reg, 0, r);
    }

    /** CVTSI2SD xmm, r/m32 (exact). */
    private static void cvtsi2sd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        int v = (int) (i.mod == 3 ? c.reg(i.rm, 4) : c.read(i.seg, c.ea(i), 4));
        f.xmm[2 * i.reg] = F64.fromInt(SseFloatOps.env(f), v);
    }

    /** CVTDQ2PS xmm, xmm/m128. */
    private static void cvtdq2ps(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long[] hi = new long[1];
        long lo = SseFloatOps.src128(c, i, hi);
        FpEnv x = SseFloatOps.env(f);
        int acc = 0;
        int[] r = new int[4];
        for (int k = 0; k < 4; k++) {
            r[k] = F32.fromInt(x, (int) ((k < 2 ? lo : hi[0]) >>> (32 * (k & 1))));
            acc = collect(f, x, acc, 0);
        }
        SseFloatOps.deliver(c, acc);
        f.setXmm(i.reg, pack(r[0], r[1]), pack(r[2], r[3]));
    }

    /** CVTDQ2PD xmm, xmm/m64 (exact). */
    private static void cvtdq2pd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long v = SseFloatOps.src64(c, i);
        FpEnv x = SseFloatOps.env(f);
        f.setXmm(i.reg, F64.fromInt(x, (int) v), F64.fromInt(x, (int) (v >>> 32)));
    }

    // ---- floating point to integer -------------------------------------------------------------

    /** CVT(T)PS2PI mm, xmm/m64. */
    private static void cvtps2pi(Cpu c, Insn i, boolean t) {
        FpuStateOps.sse(c);
        FpuStateOps.mmx(c);
        Fpu f = c.fpu;
        long v = SseFloatOps.src64(c, i);
        FpEnv x = SseFloatOps.env(f);
        int r0 = F32.toInt32(x, (int) v, t);
        int acc = collect(f, x, 0, 0);
        int r1 = F32.toInt32(x, (int) (v >>> 32), t);
        acc = collect(f, x, acc, 0);
        SseFloatOps.deliver(c, acc);
        setMm(f, i.reg, pack(r0, r1));
    }

    /** CVT(T)PD2PI mm, xmm/m128. */
    private static void cvtpd2pi(Cpu c, Insn i, boolean t) {
        FpuStateOps.sse(c);
        FpuStateOps.mmx(c);
        Fpu f = c.fpu;
        long[] hi = new long[1];
        long lo = SseFloatOps.src128(c, i, hi);
        FpEnv x = SseFloatOps.env(f);
        int r0 = F64.toInt32(x, lo, t);
        int acc = collect(f, x, 0, 0);
        int r1 = F64.toInt32(x, hi[0], t);
        acc = collect(f, x, acc, 0);
        SseFloatOps.deliver(c, acc);
        setMm(f, i.reg, pack(r0, r1));
    }

    /** CVT(T)SS2SI r32, xmm/m32. */
    private static void cvtss2si(Cpu c, Insn i, boolean t) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        int v = SseFloatOps.src32(c, i);
        FpEnv x = SseFloatOps.env(f);
        int r = F32.toInt32(x, v, t);
        SseFloatOps.deliver(c, collect(f, x, 0, 0));
        c.setReg(i.reg, 4, r & M32);
    }

    /** CVT(T)SD2SI r32, xmm/m64. */
    private static void cvtsd2si(Cpu c, Insn i, boolean t) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long v = SseFloatOps.src64(c, i);
        FpEnv x = SseFloatOps.env(f);
        int r = F64.toInt32(x, v, t);
        SseFloatOps.deliver(c, collect(f, x, 0, 0));
        c.setReg(i.reg, 4, r & M32);
    }

    /** CVT(T)PS2DQ xmm, xmm/m128. */
    private static void cvtps2dq(Cpu c, Insn i, boolean t) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long[] hi = new long[1];
        long lo = SseFloatOps.src128(c, i, hi);
        FpEnv x = SseFloatOps.env(f);
        int acc = 0;
        int[] r = new int[4];
        for (int k = 0; k < 4; k++) {
            r[k] = F32.toInt32(x, (int) ((k < 2 ? lo : hi[0]) >>> (32 * (k & 1))), t);
            acc = collect(f, x, acc, 0);
        }
        SseFloatOps.deliver(c, acc);
        f.setXmm(i.reg, pack(r[0], r[1]), pack(r[2], r[3]));
    }

    /** CVT(T)PD2DQ xmm, xmm/m128: two results in the low quadword, the high quadword cleared. */
    private static void cvtpd2dq(Cpu c, Insn i, boolean t) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long[] hi = new long[1];
        long lo = SseFloatOps.src128(c, i, hi);
        FpEnv x = SseFloatOps.env(f);
        int r0 = F64.toInt32(x, lo, t);
        int acc = collect(f, x, 0, 0);
        int r1 = F64.toInt32(x, hi[0], t);
        acc = collect(f, x, acc, 0);
        SseFloatOps.deliver(c, acc);
        f.setXmm(i.reg, pack(r0, r1), 0);
    }

    // ---- between floating-point formats ---------------------------------------------------------

    /** CVTPS2PD xmm, xmm/m64 (exact; IE for a signalling NaN, DE for a denormal). */
    private static void cvtps2pd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long v = SseFloatOps.src64(c, i);
        FpEnv x = SseFloatOps.env(f);
        long lo = F32.toF64(x, (int) v);
        int acc = collect(f, x, 0, 0);
        long hi = F32.toF64(x, (int) (v >>> 32));
        acc = collect(f, x, acc, 0);
        SseFloatOps.deliver(c, acc);
        f.setXmm(i.reg, lo, hi);
    }

    /** CVTPD2PS xmm, xmm/m128: two results in the low quadword, the high quadword cleared. */
    private static void cvtpd2ps(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long[] hi = new long[1];
        long lo = SseFloatOps.src128(c, i, hi);
        FpEnv x = SseFloatOps.env(f);
        boolean post = SseFloatOps.postChecks(f);
        int r0 = F64.toF32(x, lo);
        int acc = collect(f, x, 0, post ? Simd.postNarrow(x, lo) : 0);
        int r1 = F64.toF32(x, hi[0]);
        acc = collect(f, x, acc, post ? Simd.postNarrow(x, hi[0]) : 0);
        SseFloatOps.deliver(c, acc);
        f.setXmm(i.reg, pack(r0, r1), 0);
    }

    /** CVTSS2SD xmm, xmm/m32. */
    private static void cvtss2sd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        int v = SseFloatOps.src32(c, i);
        FpEnv x = SseFloatOps.env(f);
        long r = F32.toF64(x, v);
        SseFloatOps.deliver(c, collect(f, x, 0, 0));
        f.xmm[2 * i.reg] = r;
    }

    /** CVTSD2SS xmm, xmm/m64. */
    private static void cvtsd2ss(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long v = SseFloatOps.src64(c, i);
        FpEnv x = SseFloatOps.env(f);
        int r = F64.toF32(x, v);
        SseFloatOps.deliver(c, collect(f, x, 0, SseFloatOps.postChecks(f) ? Simd.postNarrow(x, v) : 0));
        f.setXmm32(i.reg, 0, r);
    }
}

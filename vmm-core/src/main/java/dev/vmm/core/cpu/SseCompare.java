package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SseFloatOps.M32;

import dev.vmm.core.fpu.F32;
import dev.vmm.core.fpu.F64;
import dev.vmm.core.fpu.FpEnv;
import dev.vmm.core.fpu.Simd;
import java.util.Map;

/**
 * The SSE/SSE2 comparisons: CMPPS/CMPSS/CMPPD/CMPSD (a mask of all ones or zeros per lane; the
 * predicate is imm8 bits 2:0, bits 7:3 are ignored in the legacy SSE encoding) and
 * COMISS/UCOMISS/COMISD/UCOMISD (ZF PF CF from the relation, OF SF AF cleared). They raise only
 * pre-computation exceptions (IE, DE); see {@link SseFloatOps} for their delivery.
 */
final class SseCompare {
    private SseCompare() {
    }

    static void register(Map<String, Handler> m) {
        m.put("CMPPS", SseCompare::cmpps);
        m.put("CMPSS", SseCompare::cmpss);
        m.put("CMPPD", SseCompare::cmppd);
        m.put("CMPSD", SseCompare::cmpsd);
        m.put("COMISS", (c, i) -> comiss(c, i, true));
        m.put("UCOMISS", (c, i) -> comiss(c, i, false));
        m.put("COMISD", (c, i) -> comisd(c, i, true));
        m.put("UCOMISD", (c, i) -> comisd(c, i, false));
    }

    private static int mask32(FpEnv x, int a, int b, int pred) {
        return Simd.compare(x, a & M32, b & M32, 23, 8, pred) ? -1 : 0;
    }

    private static long mask64(FpEnv x, long a, long b, int pred) {
        return Simd.compare(x, a, b, 52, 11, pred) ? -1L : 0;
    }

    private static void cmpps(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long[] bh = new long[1];
        long blo = SseFloatOps.src128(c, i, bh);
        long bhi = bh[0];
        long alo = f.xmmLo(i.reg);
        long ahi = f.xmmHi(i.reg);
        int p = (int) i.imm;
        FpEnv x = SseFloatOps.env(f);
        long lo = SseFloatOps.pack(mask32(x, (int) alo, (int) blo, p), mask32(x, (int) (alo >>> 32), (int) (blo >>> 32), p));
        long hi = SseFloatOps.pack(mask32(x, (int) ahi, (int) bhi, p), mask32(x, (int) (ahi >>> 32), (int) (bhi >>> 32), p));
        SseFloatOps.deliver(c, x.flags);
        f.setXmm(i.reg, lo, hi);
    }

    private static void cmpss(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        int b = SseFloatOps.src32(c, i);
        FpEnv x = SseFloatOps.env(f);
        int r = mask32(x, f.xmm32(i.reg, 0), b, (int) i.imm);
        SseFloatOps.deliver(c, x.flags);
        f.setXmm32(i.reg, 0, r);
    }

    private static void cmppd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long[] bh = new long[1];
        long blo = SseFloatOps.src128(c, i, bh);
        long bhi = bh[0];
        int p = (int) i.imm;
        FpEnv x = SseFloatOps.env(f);
        long lo = mask64(x, f.xmmLo(i.reg), blo, p);
        long hi = mask64(x, f.xmmHi(i.reg), bhi, p);
        SseFloatOps.deliver(c, x.flags);
        f.setXmm(i.reg, lo, hi);
    }

    private static void cmpsd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long b = SseFloatOps.src64(c, i);
        FpEnv x = SseFloatOps.env(f);
        long r = mask64(x, f.xmmLo(i.reg), b, (int) i.imm);
        SseFloatOps.deliver(c, x.flags);
        f.xmm[2 * i.reg] = r;
    }

    private static void comiss(Cpu c, Insn i, boolean signaling) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        int b = SseFloatOps.src32(c, i);
        FpEnv x = SseFloatOps.env(f);
        int rel = F32.compare(x, f.xmm32(i.reg, 0), b, signaling);
        SseFloatOps.deliver(c, x.flags);
        c.flags.setArith(rel);
    }

    private static void comisd(Cpu c, Insn i, boolean signaling) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long b = SseFloatOps.src64(c, i);
        FpEnv x = SseFloatOps.env(f);
        int rel = F64.compare(x, f.xmmLo(i.reg), b, signaling);
        SseFloatOps.deliver(c, x.flags);
        c.flags.setArith(rel);
    }
}

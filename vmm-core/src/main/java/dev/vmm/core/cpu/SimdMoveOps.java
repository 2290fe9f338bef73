package dev.vmm.core.cpu;

import java.util.Map;

/**
 * The MMX and SSE/SSE2 moves: MOVD, MOVQ, MOVDQA/MOVDQU, MOVAPS/MOVUPS/MOVAPD/MOVUPD, MOVSS/MOVSD,
 * the half moves MOVLPS/MOVHPS/MOVLPD/MOVHPD/MOVHLPS/MOVLHPS, MOVMSKPS/MOVMSKPD, MOVQ2DQ/MOVDQ2Q,
 * the non-temporal stores MOVNTQ/MOVNTDQ/MOVNTPS/MOVNTPD/MOVNTI and the masked stores
 * MASKMOVQ/MASKMOVDQU (Intel SDM vol. 2). They copy bits: no floating-point exception, no MXCSR
 * change, denormals are not flushed.
 *
 * <p>Prologues as in {@link SimdIntOps}: MMX forms {@link FpuStateOps#mmx} and then MMX state,
 * XMM forms {@link FpuStateOps#sse}; MOVQ2DQ and MOVDQ2Q, SSE2 instructions that touch an MMX
 * register, make both checks. A 16-byte store is probed before its first byte is written.
 */
final class SimdMoveOps {
    private SimdMoveOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("MOVD_LOAD", SimdMoveOps::movdLoad);
        m.put("MOVD_STORE", SimdMoveOps::movdStore);
        m.put("MOVQ_MMX_LOAD", SimdMoveOps::movqMmxLoad);
        m.put("MOVQ_MMX_STORE", SimdMoveOps::movqMmxStore);
        m.put("MOVNTQ", SimdMoveOps::movqMmxStore);
        m.put("MOVQ_XMM_LOAD", SimdMoveOps::movqXmmLoad);
        m.put("MOVQ_XMM_STORE", SimdMoveOps::movqXmmStore);
        m.put("MOVA_LOAD", (c, i) -> load128(c, i, true));
        m.put("MOVU_LOAD", (c, i) -> load128(c, i, false));
        m.put("MOVA_STORE", (c, i) -> store128(c, i, true));
        m.put("MOVU_STORE", (c, i) -> store128(c, i, false));
        m.put("MOVQ2DQ", SimdMoveOps::movq2dq);
        m.put("MOVDQ2Q", SimdMoveOps::movdq2q);
        m.put("MOVSS_LOAD", SimdMoveOps::movssLoad);
        m.put("MOVSS_STORE", SimdMoveOps::movssStore);
        m.put("MOVSD_LOAD", SimdMoveOps::movsdLoad);
        m.put("MOVSD_STORE", SimdMoveOps::movsdStore);
        m.put("MOVLP_LOAD", (c, i) -> loadHalf(c, i, 0));
        m.put("MOVHP_LOAD", (c, i) -> loadHalf(c, i, 1));
        m.put("MOVLP_STORE", (c, i) -> storeHalf(c, i, 0));
        m.put("MOVHP_STORE", (c, i) -> storeHalf(c, i, 1));
        m.put("MOVHLPS", SimdMoveOps::movhlps);
        m.put("MOVLHPS", SimdMoveOps::movlhps);
        m.put("MOVMSKPS", SimdMoveOps::movmskps);
        m.put("MOVMSKPD", SimdMoveOps::movmskpd);
        m.put("MASKMOVQ", (c, i) -> maskmov(c, i, 8));
        m.put("MASKMOVDQU", (c, i) -> maskmov(c, i, 16));
        m.put("MOVNTI", SimdMoveOps::movnti);
    }

    // ---- MOVD, MOVQ ---------------------------------------------------------------------------

    /** MOVD mm/xmm, r/m32: zero-extends the doubleword into the whole register. */
    private static void movdLoad(Cpu c, Insn i) {
        Fpu f = c.fpu;
        if (i.k1 == Operand.P) {
            FpuStateOps.mmx(c);
            long v = c.readE(i, 4);
            f.enterMmx();
            f.setMm(i.reg, v);
        } else {
            FpuStateOps.sse(c);
            long v = c.readE(i, 4);
            f.setXmm(i.reg, v, 0);
        }
    }

    /** MOVD r/m32, mm/xmm: the low doubleword. */
    private static void movdStore(Cpu c, Insn i) {
        Fpu f = c.fpu;
        if (i.k2 == Operand.P) {
            FpuStateOps.mmx(c);
            c.writeE(i, 4, f.mm(i.reg));
            f.enterMmx();
        } else {
            FpuStateOps.sse(c);
            c.writeE(i, 4, f.xmmLo(i.reg));
        }
    }

    /** MOVQ mm, mm/m64. */
    private static void movqMmxLoad(Cpu c, Insn i) {
        FpuStateOps.mmx(c);
        long v = SimdIntOps.mmxSource(c, i);
        c.fpu.enterMmx();
        c.fpu.setMm(i.reg, v);
    }

    /** MOVQ mm/m64, mm and MOVNTQ m64, mm. */
    private static void movqMmxStore(Cpu c, Insn i) {
        FpuStateOps.mmx(c);
        Fpu f = c.fpu;
        long v = f.mm(i.reg);
        if (i.mod == 3) {
            f.enterMmx();
            f.setMm(i.rm, v);
        } else {
            c.write(i.seg, c.ea(i), 8, v);
            f.enterMmx();
        }
    }

    /** MOVQ xmm, xmm/m64 (F3 0F 7E): the low quadword, the high one cleared. */
    private static void movqXmmLoad(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        long v = i.mod == 3 ? c.fpu.xmmLo(i.rm) : c.read(i.seg, c.ea(i), 8);
        c.fpu.setXmm(i.reg, v, 0);
    }

    /** MOVQ xmm/m64, xmm (66 0F D6): to memory the low quadword; to a register also clearing its high quadword. */
    private static void movqXmmStore(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        long v = c.fpu.xmmLo(i.reg);
        if (i.mod == 3) {
            c.fpu.setXmm(i.rm, v, 0);
        } else {
            c.write(i.seg, c.ea(i), 8, v);
        }
    }

    /** MOVQ2DQ xmm, mm: the MMX register into the low quadword, the high one cleared. */
    private static void movq2dq(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        FpuStateOps.mmx(c);
        Fpu f = c.fpu;
        long v = f.mm(i.rm);
        f.enterMmx();
        f.setXmm(i.reg, v, 0);
    }

    /** MOVDQ2Q mm, xmm: the low quadword into the MMX register. */
    private static void movdq2q(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        FpuStateOps.mmx(c);
        Fpu f = c.fpu;
        long v = f.xmmLo(i.rm);
        f.enterMmx();
        f.setMm(i.reg, v);
    }

    // ---- 128-bit moves ------------------------------------------------------------------------

    /** MOVAPS/MOVAPD/MOVDQA (aligned) and MOVUPS/MOVUPD/MOVDQU loads. */
    private static void load128(Cpu c, Insn i, boolean aligned) {
        FpuStateOps.sse(c);
        long off = 0;
        if (i.mod != 3) {
            off = c.ea(i);
            if (aligned) {
                FpuStateOps.aligned16(c, i.seg, off);
            }
        }
        long lo = SimdIntOps.xmmHalf(c, i, off, 0);
        long hi = SimdIntOps.xmmHalf(c, i, off, 1);
        c.fpu.setXmm(i.reg, lo, hi);
    }

    /** MOVAPS/MOVAPD/MOVDQA, MOVNTPS/MOVNTPD/MOVNTDQ (aligned) and MOVUPS/MOVUPD/MOVDQU stores. */
    private static void store128(Cpu c, Insn i, boolean aligned) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long lo = f.xmmLo(i.reg);
        long hi = f.xmmHi(i.reg);
        if (i.mod == 3) {
            f.setXmm(i.rm, lo, hi);
            return;
        }
        long off = c.ea(i);
        if (aligned) {
            FpuStateOps.aligned16(c, i.seg, off);
        }
        write128(c, i.seg, off, lo, hi);
    }

    /** Writes 16 bytes after checking that all of them can be written. */
    static void write128(Cpu c, int sg, long off, long lo, long hi) {
        c.probeWrite(sg, off, 16);
        c.write(sg, off, 8, lo);
        c.write(sg, off + 8, 8, hi);
    }

    // ---- scalar and half moves ----------------------------------------------------------------

    /** MOVSS xmm, xmm/m32: register source: the low doubleword only; memory: zero-extended to 128 bits. */
    private static void movssLoad(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        if (i.mod == 3) {
            f.setXmm32(i.reg, 0, f.xmm32(i.rm, 0));
        } else {
            f.setXmm(i.reg, c.read(i.seg, c.ea(i), 4), 0);
        }
    }

    /** MOVSS xmm/m32, xmm: the low doubleword (a register destination keeps its other bits). */
    private static void movssStore(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        if (i.mod == 3) {
            f.setXmm32(i.rm, 0, f.xmm32(i.reg, 0));
        } else {
            c.write(i.seg, c.ea(i), 4, f.xmm32(i.reg, 0));
        }
    }

    /** MOVSD xmm, xmm/m64 (F2 0F 10): register source: the low quadword only; memory: the high quadword cleared. */
    private static void movsdLoad(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        if (i.mod == 3) {
            f.xmm[2 * i.reg] = f.xmmLo(i.rm);
        } else {
            f.setXmm(i.reg, c.read(i.seg, c.ea(i), 8), 0);
        }
    }

    /** MOVSD xmm/m64, xmm (F2 0F 11). */
    private static void movsdStore(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        if (i.mod == 3) {
            f.xmm[2 * i.rm] = f.xmmLo(i.reg);
        } else {
            c.write(i.seg, c.ea(i), 8, f.xmmLo(i.reg));
        }
    }

    /** MOVLPS/MOVLPD (half 0) and MOVHPS/MOVHPD (half 1) xmm, m64: one quadword, the other unchanged. */
    private static void loadHalf(Cpu c, Insn i, int half) {
        FpuStateOps.sse(c);
        long v = c.read(i.seg, c.ea(i), 8);
        c.fpu.xmm[2 * i.reg + half] = v;
    }

    /** MOVLPS/MOVLPD (half 0) and MOVHPS/MOVHPD (half 1) m64, xmm. */
    private static void storeHalf(Cpu c, Insn i, int half) {
        FpuStateOps.sse(c);
        c.write(i.seg, c.ea(i), 8, c.fpu.xmm[2 * i.reg + half]);
    }

    /** MOVHLPS: the source's high quadword into the destination's low one. */
    private static void movhlps(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        c.fpu.xmm[2 * i.reg] = c.fpu.xmmHi(i.rm);
    }

    /** MOVLHPS: the source's low quadword into the destination's high one. */
    private static void movlhps(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        c.fpu.xmm[2 * i.reg + 1] = c.fpu.xmmLo(i.rm);
    }

    /** MOVMSKPS: the sign bits of the four singles into r32 bits 3-0. */
    private static void movmskps(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        long lo = f.xmmLo(i.rm);
        long hi = f.xmmHi(i.rm);
        c.setReg(i.reg, 4, (lo >>> 31 & 1) | (lo >>> 62 & 2) | (hi >>> 29 & 4) | (hi >>> 60 & 8));
    }

    /** MOVMSKPD: the sign bits of the two doubles into r32 bits 1-0. */
    private static void movmskpd(Cpu c, Insn i) {
        FpuStateOps.sse(c);
        Fpu f = c.fpu;
        c.setReg(i.reg, 4, (f.xmmLo(i.rm) >>> 63) | (f.xmmHi(i.rm) >>> 63) << 1);
    }

    // ---- masked and non-temporal stores -------------------------------------------------------

    /**
     * MASKMOVQ mm1, mm2 / MASKMOVDQU xmm1, xmm2: stores the bytes of the first register whose mask
     * byte (in the second) has its top bit set, at DS:(E)DI (the segment can be overridden). The
     * whole 8/16-byte area is checked before any byte is written, even where the mask is clear (the
     * SDM lets an implementation signal the faults of the whole operand, also for an all-zero mask).
     */
    private static void maskmov(Cpu c, Insn i, int size) {
        Fpu f = c.fpu;
        long lo;
        long hi;
        long maskLo;
        long maskHi;
        if (size == 8) {
            FpuStateOps.mmx(c);
            lo = f.mm(i.reg);
            maskLo = f.mm(i.rm);
            hi = 0;
            maskHi = 0;
        } else {
            FpuStateOps.sse(c);
            lo = f.xmmLo(i.reg);
            hi = f.xmmHi(i.reg);
            maskLo = f.xmmLo(i.rm);
            maskHi = f.xmmHi(i.rm);
        }
        long off = Cpu.mask(c.r[Cpu.EDI], i.asize);
        c.probeWrite(i.seg, off, size);
        for (int k = 0; k < size; k++) {
            long mask = k < 8 ? maskLo : maskHi;
            long data = k < 8 ? lo : hi;
            int sh = 8 * (k & 7);
            if ((mask >>> sh + 7 & 1) != 0) {
                c.write(i.seg, off + k, 1, data >>> sh);
            }
        }
        if (size == 8) {
            f.enterMmx();
        }
    }

    /** MOVNTI m32, r32: an ordinary store here (no cache to bypass); not an SSE-state instruction. */
    private static void movnti(Cpu c, Insn i) {
        c.write(i.seg, c.ea(i), 4, c.reg(i.reg, 4));
    }
}

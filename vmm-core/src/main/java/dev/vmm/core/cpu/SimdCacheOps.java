package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Cacheability control and memory ordering: PREFETCHh, LFENCE, MFENCE, SFENCE and CLFLUSH (Intel
 * SDM vol. 2). This CPU has no cache and executes in program order, so they order and flush
 * nothing; what remains architectural is the faulting of CLFLUSH. None of them depends on CR0.EM,
 * CR0.TS or CR4.OSFXSR.
 */
final class SimdCacheOps {
    /** The CLFLUSH line size CPUID reports (leaf 1 EBX bits 15-8, in units of 8 bytes). */
    static final int CLFLUSH_LINE = 64;

    private SimdCacheOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("PREFETCH", (c, i) -> { });   // a hint: no access, no fault
        m.put("FENCE", (c, i) -> { });
        m.put("CLFLUSH", SimdCacheOps::clflush);
    }

    /**
     * CLFLUSH m8: faults like a byte load (segment limit and type, page not present, user access to a
     * supervisor page), except that an execute-only code segment is allowed.
     */
    private static void clflush(Cpu c, Insn i) {
        long off = c.ea(i);
        Segment s = c.seg[i.seg];
        boolean code = (s.attr & (Segment.A_CODE | Segment.A_S)) == (Segment.A_CODE | Segment.A_S);
        if (!s.usable || !s.readable && !code || off < s.lo || off > s.hi) {
            throw i.seg == Cpu.SS ? c.fault(Exceptions.SS, 0) : c.gp(0);
        }
        c.mmu().probeRead((s.base + off) & 0xFFFF_FFFFL, 1, c.cpl == 3);
    }
}

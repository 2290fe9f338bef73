package dev.vmm.core.cpu;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The whole architectural state of one {@link Cpu}, as {@link Cpu#save()} captures it and
 * {@link Cpu#restore(CpuState)} puts it back: everything a guest can observe, nothing derived
 * (TLB, decoded code, PAE PDPTE cache, segment access checks, debug masks are rebuilt on restore).
 *
 * <p>EFLAGS is stored materialized (the lazy arithmetic flags evaluated). The local APIC's MSRs
 * (IA32_APIC_BASE, TSC deadline) belong to the board's APIC and are saved with it. The arrays are
 * copied in and out: a {@code CpuState} is immutable, and {@link #equals} compares contents.
 *
 * @param r          RAX..R15
 * @param rip        the instruction pointer
 * @param eflags     the materialized EFLAGS
 * @param segs       ES, CS, SS, DS, FS, GS (in {@link Cpu#ES}.. order)
 * @param ldtr       the LDT register
 * @param tr         the task register
 * @param gdtBase    GDTR base
 * @param gdtLimit   GDTR limit
 * @param idtBase    IDTR base
 * @param idtLimit   IDTR limit
 * @param cr0        CR0
 * @param cr2        CR2
 * @param cr3        CR3
 * @param cr4        CR4
 * @param cr8        CR8
 * @param efer       IA32_EFER
 * @param dr         DR0..DR7
 * @param cpl        the current privilege level
 * @param sysenterCs IA32_SYSENTER_CS
 * @param sysenterEsp IA32_SYSENTER_ESP
 * @param sysenterEip IA32_SYSENTER_EIP
 * @param pat        IA32_PAT
 * @param miscEnable IA32_MISC_ENABLE
 * @param tscOffset  the TSC offset (TSC = time-stamp source + offset)
 * @param halted     waiting in HLT
 * @param shutdown   shut down by a triple fault
 * @param inhibit    instructions left during which interrupts are inhibited (STI, MOV SS)
 * @param a20        the A20 gate is enabled
 * @param icount     instructions retired (the default time-stamp source)
 */
public record CpuState(
        long[] r, long rip, int eflags, List<SegmentState> segs, SegmentState ldtr, SegmentState tr,
        long gdtBase, int gdtLimit, long idtBase, int idtLimit,
        long cr0, long cr2, long cr3, long cr4, long cr8, long efer, long[] dr, int cpl,
        long sysenterCs, long sysenterEsp, long sysenterEip, long pat, long miscEnable, long tscOffset,
        boolean halted, boolean shutdown, int inhibit, boolean a20, long icount) {

    /**
     * A segment register: the selector and its descriptor cache.
     *
     * @param selector the visible selector
     * @param base     the cached base
     * @param limit    the cached byte-granular limit
     * @param attr     the cached attributes ({@link Segment#attr} layout)
     * @param usable   false for a null selector loaded in protected mode
     */
    public record SegmentState(int selector, long base, long limit, int attr, boolean usable) {
        static SegmentState of(Segment s) {
            return new SegmentState(s.selector, s.base, s.limit, s.attr, s.usable);
        }

        void applyTo(Segment s) {
            s.selector = selector & 0xFFFF;
            s.base = base;
            s.limit = limit;
            s.attr = attr;
            s.usable = usable;
            s.refresh();
        }
    }

    public CpuState {
        if (r.length != 16 || dr.length != 8 || segs.size() != 6) {
            throw new IllegalArgumentException("CpuState needs 16 general, 8 debug and 6 segment registers");
        }
        r = r.clone();
        dr = dr.clone();
        segs = List.copyOf(segs);
        Objects.requireNonNull(ldtr, "ldtr");
        Objects.requireNonNull(tr, "tr");
    }

    /** A copy of the general registers. */
    @Override
    public long[] r() {
        return r.clone();
    }

    /** A copy of the debug registers. */
    @Override
    public long[] dr() {
        return dr.clone();
    }

    /** Captures the state of {@code c} (on the CPU's thread, between instructions). */
    static CpuState capture(Cpu c) {
        SegmentState[] s = new SegmentState[6];
        for (int k = 0; k < 6; k++) {
            s[k] = SegmentState.of(c.seg[k]);
        }
        Msrs m = c.msrs;
        return new CpuState(c.r, c.rip, c.flags.get(), List.of(s), SegmentState.of(c.ldtr), SegmentState.of(c.tr),
                c.gdtBase, c.gdtLimit, c.idtBase, c.idtLimit, c.cr0, c.cr2, c.cr3, c.cr4, c.cr8, c.efer, c.dr, c.cpl,
                m.sysenterCs, m.sysenterEsp, m.sysenterEip, m.pat, m.miscEnable, m.tscOffset,
                c.halted, c.shutdown, c.inhibit, c.a20(), c.icount);
    }

    /** Puts this state into {@code c} and rebuilds the derived state (TLB, code cache, PDPTEs, debug masks). */
    void applyTo(Cpu c) {
        System.arraycopy(r, 0, c.r, 0, 16);
        c.rip = rip;
        c.startRip = rip;
        c.flags.set(eflags);
        for (int k = 0; k < 6; k++) {
            segs.get(k).applyTo(c.seg[k]);
        }
        ldtr.applyTo(c.ldtr);
        tr.applyTo(c.tr);
        c.gdtBase = gdtBase;
        c.gdtLimit = gdtLimit;
        c.idtBase = idtBase;
        c.idtLimit = idtLimit;
        c.cr0 = cr0;
        c.cr2 = cr2;
        c.cr3 = cr3;
        c.cr4 = cr4;
        c.cr8 = cr8;
        c.efer = efer;
        System.arraycopy(dr, 0, c.dr, 0, 8);
        c.cpl = cpl;
        Msrs m = c.msrs;
        m.sysenterCs = sysenterCs;
        m.sysenterEsp = sysenterEsp;
        m.sysenterEip = sysenterEip;
        m.pat = pat;
        m.miscEnable = miscEnable;
        m.tscOffset = tscOffset;
        c.halted = halted;
        c.shutdown = shutdown;
        c.inhibit = inhibit;
        c.icount = icount;
        c.current = null;
        // Derived state: rebuilt, never restored.
        c.mmu.a20Mask = a20 ? -1L : ~(1L << 20);
        c.mmu.flushAll();
        c.code.flushAll();
        if ((cr0 & Cpu.CR0_PG) != 0 && (cr4 & Cpu.CR4_PAE) != 0) {
            c.mmu.loadPdptes();
        }
        c.debug.reset();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuState s && Arrays.equals(r, s.r) && rip == s.rip && eflags == s.eflags
                && segs.equals(s.segs) && ldtr.equals(s.ldtr) && tr.equals(s.tr)
                && gdtBase == s.gdtBase && gdtLimit == s.gdtLimit && idtBase == s.idtBase && idtLimit == s.idtLimit
                && cr0 == s.cr0 && cr2 == s.cr2 && cr3 == s.cr3 && cr4 == s.cr4 && cr8 == s.cr8 && efer == s.efer
                && Arrays.equals(dr, s.dr) && cpl == s.cpl
                && sysenterCs == s.sysenterCs && sysenterEsp == s.sysenterEsp && sysenterEip == s.sysenterEip
                && pat == s.pat && miscEnable == s.miscEnable && tscOffset == s.tscOffset
                && halted == s.halted && shutdown == s.shutdown && inhibit == s.inhibit && a20 == s.a20
                && icount == s.icount;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(r), rip, eflags, segs, ldtr, tr, gdtBase, gdtLimit, idtBase, idtLimit,
                cr0, cr2, cr3, cr4, cr8, efer, Arrays.hashCode(dr), cpl, sysenterCs, sysenterEsp, sysenterEip,
                pat, miscEnable, tscOffset, halted, shutdown, inhibit, a20, icount);
    }

    @Override
    public String toString() {
        return "CpuState[r=" + hex(r) + ", rip=" + Long.toHexString(rip) + ", eflags=" + Integer.toHexString(eflags)
                + ", segs=" + segs + ", ldtr=" + ldtr + ", tr=" + tr
                + ", gdt=" + Long.toHexString(gdtBase) + "/" + Integer.toHexString(gdtLimit)
                + ", idt=" + Long.toHexString(idtBase) + "/" + Integer.toHexString(idtLimit)
                + ", cr0=" + Long.toHexString(cr0) + ", cr2=" + Long.toHexString(cr2) + ", cr3=" + Long.toHexString(cr3)
                + ", cr4=" + Long.toHexString(cr4) + ", cr8=" + cr8 + ", efer=" + Long.toHexString(efer)
                + ", dr=" + hex(dr) + ", cpl=" + cpl + ", sysenter=" + Long.toHexString(sysenterCs) + ":"
                + Long.toHexString(sysenterEsp) + ":" + Long.toHexString(sysenterEip) + ", pat=" + Long.toHexString(pat)
                + ", miscEnable=" + Long.toHexString(miscEnable) + ", tscOffset=" + tscOffset + ", halted=" + halted
                + ", shutdown=" + shutdown + ", inhibit=" + inhibit + ", a20=" + a20 + ", icount=" + icount + "]";
    }

    private static String hex(long[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < v.length; k++) {
            sb.append(k == 0 ? "" : " ").append(Long.toHexString(v[k]));
        }
        return sb.append(']').toString();
    }
}

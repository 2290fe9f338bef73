package dev.vmm.core.snapshot;

import dev.vmm.core.cpu.CpuState;
import dev.vmm.core.cpu.CpuState.SegmentState;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU section ("cpu", version 1): a {@link CpuState} as fixed-layout little-endian fields, in
 * this order: RAX..R15 (16 u64), RIP u64, EFLAGS u32; ES, CS, SS, DS, FS, GS, LDTR, TR (each u16
 * selector, u64 base, u64 limit, u16 attributes, u8 usable); GDTR (u64 base, u32 limit), IDTR (u64
 * base, u32 limit); CR0, CR2, CR3, CR4, CR8, EFER (u64 each); DR0..DR7 (8 u64); CPL u8;
 * SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP, PAT, MISC_ENABLE, TSC offset (u64 each); halted u8,
 * shutdown u8, interrupt inhibit u8, A20 enabled u8; instructions retired u64. Nothing may follow.
 */
public final class CpuSection {
    public static final String NAME = "cpu";
    public static final int VERSION = 1;

    private CpuSection() {
    }

    public static void write(SectionOutput out, CpuState s) {
        for (long v : s.r()) {
            out.u64(v);
        }
        out.u64(s.rip()).u32(s.eflags() & 0xFFFF_FFFFL);
        for (SegmentState g : s.segs()) {
            segment(out, g);
        }
        segment(out, s.ldtr());
        segment(out, s.tr());
        out.u64(s.gdtBase()).u32(s.gdtLimit() & 0xFFFF_FFFFL).u64(s.idtBase()).u32(s.idtLimit() & 0xFFFF_FFFFL);
        out.u64(s.cr0()).u64(s.cr2()).u64(s.cr3()).u64(s.cr4()).u64(s.cr8()).u64(s.efer());
        for (long v : s.dr()) {
            out.u64(v);
        }
        out.u8(s.cpl());
        out.u64(s.sysenterCs()).u64(s.sysenterEsp()).u64(s.sysenterEip()).u64(s.pat()).u64(s.miscEnable())
                .u64(s.tscOffset());
        out.bool(s.halted()).bool(s.shutdown()).u8(s.inhibit()).bool(s.a20());
        out.u64(s.icount());
    }

    private static void segment(SectionOutput out, SegmentState g) {
        out.u16(g.selector()).u64(g.base()).u64(g.limit()).u16(g.attr()).bool(g.usable());
    }

    public static CpuState read(SectionInput in) throws SnapshotFormatException {
        if (in.version() != VERSION) {
            throw RamSection.newerVersion(in, VERSION);
        }
        long[] r = new long[16];
        for (int k = 0; k < 16; k++) {
            r[k] = in.u64();
        }
        long rip = in.u64();
        int eflags = (int) in.u32();
        List<SegmentState> segs = new ArrayList<>(6);
        for (int k = 0; k < 6; k++) {
            segs.add(segment(in));
        }
        SegmentState ldtr = segment(in);
        SegmentState tr = segment(in);
        long gdtBase = in.u64();
        int gdtLimit = (int) in.u32();
        long idtBase = in.u64();
        int idtLimit = (int) in.u32();
        long cr0 = in.u64();
        long cr2 = in.u64();
        long cr3 = in.u64();
        long cr4 = in.u64();
        long cr8 = in.u64();
        long efer = in.u64();
        long[] dr = new long[8];
        for (int k = 0; k < 8; k++) {
            dr[k] = in.u64();
        }
        int cpl = in.u8();
        if (cpl > 3) {
            throw in.error("CPL " + cpl);
        }
        long sysenterCs = in.u64();
        long sysenterEsp = in.u64();
        long sysenterEip = in.u64();
        long pat = in.u64();
        long miscEnable = in.u64();
        long tscOffset = in.u64();
        boolean halted = in.bool();
        boolean shutdown = in.bool();
        int inhibit = in.u8();
        boolean a20 = in.bool();
        long icount = in.u64();
        in.expectEnd();
        return new CpuState(r, rip, eflags, segs, ldtr, tr, gdtBase, gdtLimit, idtBase, idtLimit,
                cr0, cr2, cr3, cr4, cr8, efer, dr, cpl, sysenterCs, sysenterEsp, sysenterEip, pat, miscEnable,
                tscOffset, halted, shutdown, inhibit, a20, icount);
    }

    private static SegmentState segment(SectionInput in) throws SnapshotFormatException {
        return new SegmentState(in.u16(), in.u64(), in.u64(), in.u16(), in.bool());
    }
}

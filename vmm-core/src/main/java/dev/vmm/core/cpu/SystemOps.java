package dev.vmm.core.cpu;

import java.util.Map;

/**
 * System instructions (Intel SDM vol. 2 and vol. 3): HLT, CPUID, the descriptor-table registers
 * (LGDT LIDT SGDT SIDT LLDT LTR SLDT STR), descriptor queries (LAR LSL VERR VERW ARPL), control
 * registers (CLTS LMSW SMSW MOV CRn), debug registers (MOV DRn, see {@link Debug}), TLB and cache
 * control (INVLPG INVD WBINVD), MSRs and counters (RDMSR WRMSR RDTSC RDPMC, see {@link Msrs}),
 * SYSENTER/SYSEXIT, and the always-#UD opcodes (UD0 UD1 UD2, RSM outside SMM).
 *
 * <p>Privileged instructions raise #GP(0) at CPL &gt; 0 and in virtual-8086 mode; in real mode they
 * run. SGDT/SIDT store the full 32-bit base at either operand size (current SDM; LGDT/LIDT with a
 * 16-bit operand load a 24-bit base).
 */
final class SystemOps {
    private SystemOps() {
    }

    /** CR0 bits that exist (PE MP EM TS ET NE WP AM NW CD PG); writes to the others are ignored. */
    private static final long CR0_BITS = 0xE005_003FL;
    /** CR4 bits this CPU supports: those of the features CPUID reports (plus PCE). */
    static final long CR4_VALID = cr4Valid(Cpuid.LEAF1_EDX);
    /** Reserved bits of a PAE PDPTE (MAXPHYADDR 36): 2:1, 8:5, 63:36. */
    private static final long PDPTE_RESERVED = 0x1E6L | ~((1L << 36) - 1);

    /** Attributes of the flat segments SYSENTER/SYSEXIT load: code/data, present, 32-bit, 4 KiB granular. */
    private static final int FLAT_CODE0 = 0xC09B;
    private static final int FLAT_DATA0 = 0xC093;
    private static final int FLAT_CODE3 = 0xC0FB;
    private static final int FLAT_DATA3 = 0xC0F3;

    static void register(Map<String, Handler> m) {
        m.put("HLT", SystemOps::hlt);
        m.put("CPUID", (c, i) -> Cpuid.execute(c));
        m.put("LGDT", (c, i) -> loadTable(c, i, true));
        m.put("LIDT", (c, i) -> loadTable(c, i, false));
        m.put("SGDT", (c, i) -> storeTable(c, i, c.gdtBase, c.gdtLimit));
        m.put("SIDT", (c, i) -> storeTable(c, i, c.idtBase, c.idtLimit));
        m.put("LLDT", SystemOps::lldt);
        m.put("LTR", SystemOps::ltr);
        m.put("SLDT", (c, i) -> storeSelector(c, i, c.ldtr.selector));
        m.put("STR", (c, i) -> storeSelector(c, i, c.tr.selector));
        m.put("LAR", SystemOps::lar);
        m.put("LSL", SystemOps::lsl);
        m.put("VERR", (c, i) -> verify(c, i, false));
        m.put("VERW", (c, i) -> verify(c, i, true));
        m.put("ARPL", SystemOps::arpl);
        m.put("CLTS", SystemOps::clts);
        m.put("LMSW", SystemOps::lmsw);
        m.put("SMSW", SystemOps::smsw);
        m.put("MOV_FROM_CR", SystemOps::movFromCr);
        m.put("MOV_TO_CR", SystemOps::movToCr);
        m.put("MOV_FROM_DR", Debug::movFrom);
        m.put("MOV_TO_DR", Debug::movTo);
        m.put("INVLPG", SystemOps::invlpg);
        m.put("INVD", (c, i) -> privileged(c));
        m.put("WBINVD", (c, i) -> privileged(c));
        m.put("RDMSR", SystemOps::rdmsr);
        m.put("WRMSR", SystemOps::wrmsr);
        m.put("RDTSC", SystemOps::rdtsc);
        // No performance counters are reported, so every counter index is invalid.
        m.put("RDPMC", (c, i) -> {
            throw c.gp(0);
        });
        m.put("SYSENTER", SystemOps::sysenter);
        m.put("SYSEXIT", SystemOps::sysexit);
        Handler ud = (c, i) -> {
            throw c.ud();
        };
        m.put("UD0", ud);
        m.put("UD1", ud);
        m.put("UD2", ud);
        // No system-management mode: RSM is invalid outside SMM.
        m.put("RSM", ud);
    }

    private static long cr4Valid(int edx) {
        long v = Cpu.CR4_PCE;
        if ((edx & (1 << 1)) != 0) {
            v |= Cpu.CR4_VME | Cpu.CR4_PVI;
        }
        if ((edx & Cpuid.EDX_TSC) != 0) {
            v |= Cpu.CR4_TSD;
        }
        if ((edx & Cpuid.EDX_DE) != 0) {
            v |= Cpu.CR4_DE;
        }
        if ((edx & Cpuid.EDX_PSE) != 0) {
            v |= Cpu.CR4_PSE;
        }
        if ((edx & Cpuid.EDX_PAE) != 0) {
            v |= Cpu.CR4_PAE;
        }
        if ((edx & (1 << 7)) != 0) {
            v |= Cpu.CR4_MCE;
        }
        if ((edx & Cpuid.EDX_PGE) != 0) {
            v |= Cpu.CR4_PGE;
        }
        if ((edx & (1 << 24)) != 0) {
            v |= Cpu.CR4_OSFXSR;
        }
        if ((edx & (1 << 25)) != 0) {
            v |= Cpu.CR4_OSXMMEXCPT;
        }
        return v;
    }

    // ---- checks -------------------------------------------------------------------------------

    /** #GP(0) unless at CPL 0 (real mode counts as CPL 0; virtual-8086 mode as CPL 3). */
    static void privileged(Cpu c) {
        if (c.protectedMode() && (c.cpl != 0 || c.v86())) {
            throw c.gp(0);
        }
    }

    /** #UD in real and virtual-8086 mode (LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW, ARPL). */
    private static void protectedOnly(Cpu c) {
        if (!c.protectedMode() || c.v86()) {
            throw c.ud();
        }
    }

    static void hlt(Cpu c, Insn i) {
        privileged(c);
        c.halted = true;
    }

    // ---- descriptor-table registers -------------------------------------------------------------

    private static void loadTable(Cpu c, Insn i, boolean gdt) {
        privileged(c);
        long ea = c.ea(i);
        int limit = c.read16(i.seg, ea);
        long base = c.read32(i.seg, ea + 2);
        if (i.osize == 2) {
            base &= 0xFF_FFFF;
        }
        if (gdt) {
            c.gdtBase = base;
            c.gdtLimit = limit;
        } else {
            c.idtBase = base;
            c.idtLimit = limit;
        }
    }

    private static void storeTable(Cpu c, Insn i, long base, int limit) {
        long ea = c.ea(i);
        c.probeWrite(i.seg, ea, 6);
        c.write(i.seg, ea, 2, limit & 0xFFFF);
        c.write(i.seg, ea + 2, 4, base & 0xFFFF_FFFFL);
    }

    private static void lldt(Cpu c, Insn i) {
        protectedOnly(c);
        privileged(c);
        int sel = (int) c.readE(i, 2);
        if ((sel & 0xFFFC) == 0) {
            c.ldtr.set(sel, 0, 0, 0);
            c.ldtr.usable = false;
            return;
        }
        if ((sel & 4) != 0) {
            throw c.gp(sel & 0xFFFC);
        }
        long d = Descriptors.read(c, sel, Exceptions.GP, 0);
        if (!Descriptors.system(d) || Descriptors.type(d) != Descriptors.LDT) {
            throw c.gp(sel & 0xFFFC);
        }
        if (!Descriptors.present(d)) {
            throw c.fault(Exceptions.NP, sel & 0xFFFC);
        }
        Descriptors.load(c.ldtr, sel, d);
    }

    private static void ltr(Cpu c, Insn i) {
        protectedOnly(c);
        privileged(c);
        int sel = (int) c.readE(i, 2);
        if ((sel & 0xFFFC) == 0) {
            throw c.gp(0);
        }
        if ((sel & 4) != 0) {
            throw c.gp(sel & 0xFFFC);
        }
        long d = Descriptors.read(c, sel, Exceptions.GP, 0);
        int type = Descriptors.type(d);
        if (!Descriptors.system(d) || (type != Descriptors.TSS16_AVAIL && type != Descriptors.TSS32_AVAIL)) {
            throw c.gp(sel & 0xFFFC);
        }
        if (!Descriptors.present(d)) {
            throw c.fault(Exceptions.NP, sel & 0xFFFC);
        }
        long a = Descriptors.address(c, sel) + 5;
        c.writeLinear8(a, c.readLinear8(a) | 2);
        c.tr.set(sel, Descriptors.base(d), Descriptors.limit(d), Descriptors.attr(d) | 2);
    }

    /** SLDT/STR: a register gets the selector zero-extended to the operand size, memory 16 bits. */
    private static void storeSelector(Cpu c, Insn i, int sel) {
        protectedOnly(c);
        if (i.mod == 3) {
            c.setReg(i.rm, i.osize, sel & 0xFFFF);
        } else {
            c.write(i.seg, c.ea(i), 2, sel & 0xFFFF);
        }
    }

    // ---- descriptor queries ---------------------------------------------------------------------

    /** The descriptor of {@code sel} if it is inside its table, else 0 (LAR/LSL/VERR/VERW never fault on it). */
    private static long lookup(Cpu c, int sel) {
        if ((sel & 0xFFFC) == 0) {
            return 0;
        }
        long base;
        long limit;
        if ((sel & 4) != 0) {
            if (!c.ldtr.usable) {
                return 0;
            }
            base = c.ldtr.base;
            limit = c.ldtr.limit;
        } else {
            base = c.gdtBase;
            limit = c.gdtLimit & 0xFFFFL;
        }
        if ((sel & 0xFFF8) + 7 > limit) {
            return 0;
        }
        return c.readLinear64(base + (sel & 0xFFF8));
    }

    /** The visibility rule of LAR/LSL/VERR: conforming code always, else DPL &gt;= CPL and RPL. */
    private static boolean visible(Cpu c, int sel, long d) {
        if (Descriptors.conforming(d)) {
            return true;
        }
        int dpl = Descriptors.dpl(d);
        return dpl >= c.cpl && dpl >= (sel & 3);
    }

    private static void lar(Cpu c, Insn i) {
        protectedOnly(c);
        int sel = (int) c.readE(i, 2);
        long d = lookup(c, sel);
        boolean ok = d != 0 && visible(c, sel, d);
        if (ok && Descriptors.system(d)) {
            int t = Descriptors.type(d);
            ok = t != 0 && t != 6 && t != 7 && t != 8 && t != 10 && t != 13 && t != 14 && t != 15;
        }
        if (ok) {
            long ar = (d >>> 32) & (i.osize == 2 ? 0xFF00 : 0x00FF_FF00);
            c.setReg(i.reg, i.osize, ar);
        }
        c.flags.setBit(Flags.ZF, ok);
    }

    private static void lsl(Cpu c, Insn i) {
        protectedOnly(c);
        int sel = (int) c.readE(i, 2);
        long d = lookup(c, sel);
        boolean ok = d != 0 && visible(c, sel, d);
        if (ok && Descriptors.system(d)) {
            int t = Descriptors.type(d);
            ok = t == 1 || t == 2 || t == 3 || t == 9 || t == 11;
        }
        if (ok) {
            c.setReg(i.reg, i.osize, Descriptors.limit(d));
        }
        c.flags.setBit(Flags.ZF, ok);
    }

    private static void verify(Cpu c, Insn i, boolean write) {
        protectedOnly(c);
        int sel = (int) c.readE(i, 2);
        long d = lookup(c, sel);
        boolean ok = d != 0 && !Descriptors.system(d);
        if (ok) {
            if (write) {
                ok = Descriptors.writableData(d) && visible(c, sel, d);
            } else {
                ok = Descriptors.readable(d) && visible(c, sel, d);
            }
        }
        c.flags.setBit(Flags.ZF, ok);
    }

    private static void arpl(Cpu c, Insn i) {
        protectedOnly(c);
        int src = (int) c.reg(i.reg, 2);
        long ea = 0;
        int dst;
        if (i.mod == 3) {
            dst = (int) c.reg(i.rm, 2);
        } else {
            ea = c.ea(i);
            c.probeWrite(i.seg, ea, 2);
            dst = c.read16(i.seg, ea);
        }
        boolean adjust = (dst & 3) < (src & 3);
        if (adjust) {
            int v = (dst & ~3) | (src & 3);
            if (i.mod == 3) {
                c.setReg(i.rm, 2, v);
            } else {
                c.write(i.seg, ea, 2, v);
            }
        }
        c.flags.setBit(Flags.ZF, adjust);
    }

    // ---- control registers ----------------------------------------------------------------------

    private static void clts(Cpu c, Insn i) {
        privileged(c);
        c.cr0 &= ~Cpu.CR0_TS;
    }

    /** LMSW: loads PE, MP, EM, TS from the source; PE can be set but not cleared. */
    private static void lmsw(Cpu c, Insn i) {
        privileged(c);
        long src = c.readE(i, 2);
        c.cr0 = (c.cr0 & ~0xFL) | (src & 0xE) | ((c.cr0 | src) & Cpu.CR0_PE);
    }

    /** SMSW: a register destination gets CR0 at the operand size, memory its low 16 bits. */
    private static void smsw(Cpu c, Insn i) {
        if (i.mod == 3) {
            c.setReg(i.rm, i.osize, Cpu.mask(c.cr0, i.osize));
        } else {
            c.write(i.seg, c.ea(i), 2, c.cr0 & 0xFFFF);
        }
    }

    private static void checkCrIndex(Cpu c, int n) {
        if (n != 0 && n != 2 && n != 3 && n != 4) {
            throw c.ud();
        }
    }

    private static void movFromCr(Cpu c, Insn i) {
        checkCrIndex(c, i.reg);
        privileged(c);
        long v = switch (i.reg) {
            case 0 -> c.cr0;
            case 2 -> c.cr2;
            case 3 -> c.cr3;
            default -> c.cr4;
        };
        c.setReg(i.rm, 4, v & 0xFFFF_FFFFL);
    }

    private static void movToCr(Cpu c, Insn i) {
        checkCrIndex(c, i.reg);
        privileged(c);
        long v = c.reg(i.rm, 4);
        switch (i.reg) {
            case 0 -> writeCr0(c, v);
            case 2 -> c.cr2 = v;
            case 3 -> writeCr3(c, v);
            default -> writeCr4(c, v);
        }
    }

    /** MOV CR0: #GP(0) for PG without PE and NW without CD; flushes the TLB when PG, WP or PE change. */
    static void writeCr0(Cpu c, long v) {
        long nv = (v & CR0_BITS) | Cpu.CR0_ET;
        if ((nv & Cpu.CR0_PG) != 0 && (nv & Cpu.CR0_PE) == 0) {
            throw c.gp(0);
        }
        if ((nv & Cpu.CR0_NW) != 0 && (nv & Cpu.CR0_CD) == 0) {
            throw c.gp(0);
        }
        long changed = c.cr0 ^ nv;
        boolean pdptes = (nv & Cpu.CR0_PG) != 0 && (c.cr4 & Cpu.CR4_PAE) != 0
                && (changed & (Cpu.CR0_PG | Cpu.CR0_CD | Cpu.CR0_NW)) != 0;
        if (pdptes) {
            checkPdptes(c, c.cr3);
        }
        c.cr0 = nv;
        if (pdptes) {
            c.mmu.loadPdptes();
        }
        if ((changed & (Cpu.CR0_PG | Cpu.CR0_WP | Cpu.CR0_PE)) != 0) {
            c.mmu.flushAll();
        }
        if ((nv & Cpu.CR0_PE) == 0) {
            c.cpl = 0;
        }
    }

    /** MOV CR3: PAE PDPTEs reloaded (and checked) under PAE paging; non-global TLB entries flushed. */
    static void writeCr3(Cpu c, long v) {
        long nv = v & 0xFFFF_FFFFL;
        boolean pae = (c.cr0 & Cpu.CR0_PG) != 0 && (c.cr4 & Cpu.CR4_PAE) != 0;
        if (pae) {
            checkPdptes(c, nv);
        }
        c.cr3 = nv;
        if (pae) {
            c.mmu.loadPdptes();
        }
        c.mmu.flushNonGlobal();
    }

    /** MOV CR4: #GP(0) on unsupported bits; PAE/PSE/PGE changes flush the whole TLB. */
    static void writeCr4(Cpu c, long v) {
        if ((v & ~CR4_VALID) != 0) {
            throw c.gp(0);
        }
        long changed = c.cr4 ^ v;
        long paging = Cpu.CR4_PAE | Cpu.CR4_PSE | Cpu.CR4_PGE;
        boolean pdptes = (c.cr0 & Cpu.CR0_PG) != 0 && (v & Cpu.CR4_PAE) != 0 && (changed & paging) != 0;
        if (pdptes) {
            checkPdptes(c, c.cr3);
        }
        c.cr4 = v;
        if (pdptes) {
            c.mmu.loadPdptes();
        }
        if ((changed & paging) != 0) {
            c.mmu.flushAll();
        }
        if ((changed & Cpu.CR4_DE) != 0) {
            c.debug.update(); // R/W = 10 in DR7 means an I/O breakpoint only with CR4.DE
        }
    }

    /** #GP(0) if a PAE PDPTE at {@code cr3} is present with reserved bits set (SDM vol. 3, "PAE Paging"). */
    static void checkPdptes(Cpu c, long cr3) {
        long base = cr3 & 0xFFFF_FFE0L;
        for (int k = 0; k < 4; k++) {
            long e = c.mem.read64((base + 8L * k) & c.mmu.a20Mask);
            if ((e & 1) != 0 && (e & PDPTE_RESERVED) != 0) {
                throw c.gp(0);
            }
        }
    }

    // ---- TLB, MSRs, counters --------------------------------------------------------------------

    private static void invlpg(Cpu c, Insn i) {
        privileged(c);
        c.mmu.invalidate((c.seg[i.seg].base + c.ea(i)) & 0xFFFF_FFFFL);
    }

    private static void rdmsr(Cpu c, Insn i) {
        privileged(c);
        long v = c.msrs.read(c, (int) c.reg(Cpu.ECX, 4));
        c.setReg(Cpu.EAX, 4, v & 0xFFFF_FFFFL);
        c.setReg(Cpu.EDX, 4, v >>> 32);
    }

    private static void wrmsr(Cpu c, Insn i) {
        privileged(c);
        long v = c.reg(Cpu.EDX, 4) << 32 | c.reg(Cpu.EAX, 4);
        c.msrs.write(c, (int) c.reg(Cpu.ECX, 4), v);
    }

    private static void rdtsc(Cpu c, Insn i) {
        if ((c.cr4 & Cpu.CR4_TSD) != 0) {
            privileged(c);
        }
        long t = Msrs.tsc(c);
        c.setReg(Cpu.EAX, 4, t & 0xFFFF_FFFFL);
        c.setReg(Cpu.EDX, 4, t >>> 32);
    }

    // ---- fast system calls ----------------------------------------------------------------------

    private static void sysenter(Cpu c, Insn i) {
        int cs = (int) c.msrs.sysenterCs & 0xFFFC;
        if (!c.protectedMode() || cs == 0) {
            throw c.gp(0);
        }
        c.flags.bits &= ~(Flags.VM | Flags.IF | Flags.RF);
        c.seg[Cpu.CS].set(cs, 0, 0xFFFF_FFFFL, FLAT_CODE0);
        c.seg[Cpu.SS].set(cs + 8, 0, 0xFFFF_FFFFL, FLAT_DATA0);
        c.cpl = 0;
        c.setReg(Cpu.ESP, 4, c.msrs.sysenterEsp);
        c.rip = c.msrs.sysenterEip & 0xFFFF_FFFFL;
    }

    private static void sysexit(Cpu c, Insn i) {
        int cs = (int) c.msrs.sysenterCs & 0xFFFF;
        if (!c.protectedMode() || c.v86() || c.cpl != 0 || (cs & 0xFFFC) == 0) {
            throw c.gp(0);
        }
        c.seg[Cpu.CS].set((cs + 16) | 3, 0, 0xFFFF_FFFFL, FLAT_CODE3);
        c.seg[Cpu.SS].set((cs + 24) | 3, 0, 0xFFFF_FFFFL, FLAT_DATA3);
        c.cpl = 3;
        c.setReg(Cpu.ESP, 4, c.reg(Cpu.ECX, 4));
        c.rip = c.reg(Cpu.EDX, 4);
    }
}

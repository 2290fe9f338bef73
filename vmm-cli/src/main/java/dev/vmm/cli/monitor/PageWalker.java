package dev.vmm.cli.monitor;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * The debugger's view of the guest's page tables: translates linear addresses and lists mapped
 * ranges by reading the tables, without the side effects of the CPU's own walk (no accessed or
 * dirty bits set, no TLB fill, no #PF). 2-level paging with PSE/PSE-36 and PAE with NX, as
 * {@code dev.vmm.core.cpu.Mmu} implements them. Call it while the vCPU is held at a boundary.
 */
final class PageWalker {
    /** One mapped run of linear addresses with the same rights, physically contiguous. */
    record Range(long linear, long physical, long size, boolean user, boolean write, boolean nx) {
        String rights() {
            return (user ? "u" : "-") + "r" + (write ? "w" : "-") + (nx ? "-" : "x");
        }
    }

    /** A translated page: where it is and what rights the walk combined. */
    record Page(long physical, long size, boolean user, boolean write, boolean nx) {
    }

    private static final long P = 1;
    private static final long RW = 2;
    private static final long US = 4;
    private static final long PS = 0x80;
    private static final long ADDR_PAE = 0x000F_FFFF_FFFF_F000L;

    private final Cpu cpu;
    private final PhysicalMemory mem;
    private final long a20;

    PageWalker(Cpu cpu) {
        this.cpu = cpu;
        this.mem = cpu.memory();
        this.a20 = cpu.a20() ? -1L : ~(1L << 20);
    }

    boolean paging() {
        return (cpu.cr0 & Cpu.CR0_PG) != 0;
    }

    boolean pae() {
        return (cpu.cr4 & Cpu.CR4_PAE) != 0;
    }

    /** The physical address of linear {@code lin}, or -1 if it is not mapped. */
    long translate(long lin) {
        lin &= 0xFFFF_FFFFL;
        if (!paging()) {
            return lin & a20;
        }
        Page p = page(lin);
        return p == null ? -1 : (p.physical() | (lin & (p.size() - 1))) & a20;
    }

    /** The page holding {@code lin} (its base in {@link Page#physical()}), or null if not present. */
    Page page(long lin) {
        return pae() ? pagePae(lin) : page2(lin);
    }

    private long pte32(long addr) {
        return mem.read32(addr & a20) & 0xFFFF_FFFFL;
    }

    private long pte64(long addr) {
        return mem.read64(addr & a20);
    }

    private Page page2(long lin) {
        long pde = pte32((cpu.cr3 & 0xFFFF_F000L) + ((lin >>> 22) & 0x3FF) * 4);
        if ((pde & P) == 0) {
            return null;
        }
        if ((pde & PS) != 0 && (cpu.cr4 & Cpu.CR4_PSE) != 0) {
            long base = (pde & 0xFFC0_0000L) | ((pde >>> 13) & 0xFF) << 32;
            return new Page(base, 1L << 22, (pde & US) != 0, (pde & RW) != 0, false);
        }
        long pte = pte32((pde & 0xFFFF_F000L) + ((lin >>> 12) & 0x3FF) * 4);
        if ((pte & P) == 0) {
            return null;
        }
        return new Page(pte & 0xFFFF_F000L, 4096, (pde & pte & US) != 0, (pde & pte & RW) != 0, false);
    }

    private Page pagePae(long lin) {
        boolean nxe = (cpu.efer & Cpu.EFER_NXE) != 0;
        long pdpte = pte64((cpu.cr3 & 0xFFFF_FFE0L) + ((lin >>> 30) & 3) * 8);
        if ((pdpte & P) == 0) {
            return null;
        }
        long pde = pte64((pdpte & ADDR_PAE) + ((lin >>> 21) & 0x1FF) * 8);
        if ((pde & P) == 0) {
            return null;
        }
        boolean nxPde = nxe && pde < 0;
        if ((pde & PS) != 0) {
            return new Page(pde & 0x000F_FFFF_FFE0_0000L, 1L << 21, (pde & US) != 0, (pde & RW) != 0, nxPde);
        }
        long pte = pte64((pde & ADDR_PAE) + ((lin >>> 12) & 0x1FF) * 8);
        if ((pte & P) == 0) {
            return null;
        }
        return new Page(pte & ADDR_PAE, 4096, (pde & pte & US) != 0, (pde & pte & RW) != 0,
                nxPde || (nxe && pte < 0));
    }

    /** The mapped linear ranges of the 4 GiB address space, merged where contiguous with equal rights. */
    List<Range> ranges() {
        List<Range> out = new ArrayList<>();
        long lin = 0;
        while (lin < (1L << 32)) {
            Page p = page(lin);
            long step = p != null ? p.size() : skipSize(lin);
            if (p != null) {
                Range last = out.isEmpty() ? null : out.getLast();
                if (last != null && last.linear() + last.size() == lin && last.physical() + last.size() == p.physical()
                        && last.user() == p.user() && last.write() == p.write() && last.nx() == p.nx()) {
                    out.set(out.size() - 1, new Range(last.linear(), last.physical(), last.size() + p.size(),
                            p.user(), p.write(), p.nx()));
                } else {
                    out.add(new Range(lin, p.physical(), p.size(), p.user(), p.write(), p.nx()));
                }
            }
            lin = (lin & -step) + step;
        }
        return out;
    }

    /** How far an unmapped {@code lin} can skip: a whole absent directory (or PDPT) entry at once. */
    private long skipSize(long lin) {
        if (pae()) {
            long pdpte = pte64((cpu.cr3 & 0xFFFF_FFE0L) + ((lin >>> 30) & 3) * 8);
            if ((pdpte & P) == 0) {
                return 1L << 30;
            }
            long pde = pte64((pdpte & ADDR_PAE) + ((lin >>> 21) & 0x1FF) * 8);
            return (pde & P) == 0 ? 1L << 21 : 4096;
        }
        long pde = pte32((cpu.cr3 & 0xFFFF_F000L) + ((lin >>> 22) & 0x3FF) * 4);
        return (pde & P) == 0 ? 1L << 22 : 4096;
    }
}

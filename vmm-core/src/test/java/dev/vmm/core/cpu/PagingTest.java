package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.CODE;
import static dev.vmm.core.cpu.SysTestSupport.asm;
import static dev.vmm.core.cpu.SysTestSupport.assertFault;
import static dev.vmm.core.cpu.SysTestSupport.assertNoFault;
import static dev.vmm.core.cpu.SysTestSupport.assertUserEnd;
import static dev.vmm.core.cpu.SysTestSupport.flat;
import static dev.vmm.core.cpu.SysTestSupport.run;
import static dev.vmm.core.cpu.SysTestSupport.top;
import static dev.vmm.core.cpu.SysTestSupport.user;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Paging (Intel SDM vol. 3, "Paging"): 32-bit paging with 4 KiB and 4 MiB pages, PAE with NX, the TLB. */
class PagingTest {
    private static final int HLT = 0xF4;
    private static final long PD = 0x100000;
    /** Page table identity-mapping 0-4 MiB (user, writable). */
    private static final long PT0 = 0x101000;
    /** Page table for linear 0x40000000-0x403FFFFF. */
    private static final long PT1 = 0x102000;
    private static final long V = 0x4000_0000L;
    private static final long P = 1;
    private static final long RW = 2;
    private static final long US = 4;
    private static final long A = 0x20;
    private static final long D = 0x40;
    private static final long PS = 0x80;
    private static final long G = 0x100;
    private static final long NX = 1L << 63;

    /** Flat ring-0 fixture with 32-bit paging on: 0-4 MiB identity (user, writable), PT1 for V. */
    private static CpuFixture paged(int... code) {
        CpuFixture f = flat(code);
        for (int i = 0; i < 1024; i++) {
            f.mem.write32(PT0 + 4L * i, (int) (i * 0x1000L | P | RW | US));
        }
        f.mem.write32(PD, (int) (PT0 | P | RW | US));
        f.mem.write32(PD + 4 * (V >>> 22), (int) (PT1 | P | RW | US));
        f.cpu.cr3 = PD;
        f.cpu.cr0 |= Cpu.CR0_PG;
        f.cpu.mmu.flushAll();
        return f;
    }

    private static long pte(CpuFixture f, long pt, long lin) {
        return f.mem.read32(pt + 4 * ((lin >>> 12) & 0x3FF)) & 0xFFFF_FFFFL;
    }

    private static void setPte(CpuFixture f, long pt, long lin, long v) {
        f.mem.write32(pt + 4 * ((lin >>> 12) & 0x3FF), (int) v);
    }

    @Test
    void twoLevel4KPagesWithAccessedAndDirtyBits() {
        // mov eax,[V+0x10] ; mov ebx,[V+0x1010] ; mov dword [V+4],0x11223344 ; hlt
        int[] code = asm().b(0xA1).d(V + 0x10).b(0x8B, 0x1D).d(V + 0x1010)
                .b(0xC7, 0x05).d(V + 4).d(0x1122_3344).b(HLT).build();
        try (CpuFixture f = paged(code)) {
            setPte(f, PT1, V, 0x200000 | P | RW);
            setPte(f, PT1, V + 0x1000, 0x300000 | P);
            f.mem.write32(0x200010, 0xCAFE_F00D);
            f.mem.write32(0x300010, 0x0BAD_BEEF);
            f.mem.write32(PD + 4 * (V >>> 22), (int) (PT1 | P | RW | US)); // A clear
            run(f);
            assertNoFault(f);
            assertEquals(0xCAFE_F00DL, f.cpu.r[Cpu.EAX]);
            assertEquals(0x0BAD_BEEFL, f.cpu.r[Cpu.EBX]);
            assertEquals(0x1122_3344, f.mem.read32(0x200004));
            assertEquals(PT1 | P | RW | US | A, f.mem.read32(PD + 4 * (V >>> 22)) & 0xFFFF_FFFFL, "PDE accessed, no D");
            assertEquals(0x200000 | P | RW | A | D, pte(f, PT1, V), "written page: A and D");
            assertEquals(0x300000 | P | A, pte(f, PT1, V + 0x1000), "read page: A only");
        }
    }

    @Test
    void dirtyBitIsSetOnAWriteAfterACachedRead() {
        // mov eax,[V] ; mov [V],eax ; hlt
        try (CpuFixture f = paged(asm().b(0xA1).d(V).b(0xA3).d(V).b(HLT).build())) {
            setPte(f, PT1, V, 0x200000 | P | RW);
            run(f);
            assertEquals(0x200000 | P | RW | A | D, pte(f, PT1, V));
        }
    }

    @Test
    void pse4MPages() {
        // mov dword [0x80000123],0x55667788 ; mov eax,[0x80400010] ; hlt
        int[] code = asm().b(0xC7, 0x05).d(0x8000_0123L).d(0x5566_7788).b(0xA1).d(0x8040_0010L).b(HLT).build();
        try (CpuFixture f = paged(code)) {
            f.cpu.cr4 |= Cpu.CR4_PSE;
            f.mem.write32(PD + 4 * 0x200, (int) (0x0040_0000L | PS | P | RW));
            f.mem.write32(PD + 4 * 0x201, (int) (0x00C0_0000L | PS | P));
            f.mem.write32(0xC0_0010, 0x1357_9BDF);
            run(f);
            assertNoFault(f);
            assertEquals(0x5566_7788, f.mem.read32(0x40_0123));
            assertEquals(0x1357_9BDFL, f.cpu.r[Cpu.EAX]);
            assertEquals(0x0040_0000L | PS | P | RW | A | D, f.mem.read32(PD + 4 * 0x200) & 0xFFFF_FFFFL);
            assertEquals(0x00C0_0000L | PS | P | A, f.mem.read32(PD + 4 * 0x201) & 0xFFFF_FFFFL);
            // PSE-36: PDE bits 16:13 are physical address bits 35:32.
            f.mem.write32(PD + 4 * 0x202, (int) (0x0040_0000L | 3L << 13 | PS | P));
            assertEquals(0x3_0040_0010L, f.cpu.mmu.translate(0x8080_0010L, Mmu.READ, false));
        }
        // Without CR4.PSE the PS bit is ignored: the PDE points to a page table.
        try (CpuFixture f = paged(asm().b(0xA1).d(0x8000_0008L).b(HLT).build())) {
            f.mem.write32(PD + 4 * 0x200, (int) (0x0040_0000L | PS | P | RW));
            f.mem.write32(0x40_0000, (int) (0x50_0000L | P));
            f.mem.write32(0x50_0008, 0x2468_ACE0);
            run(f);
            assertNoFault(f);
            assertEquals(0x2468_ACE0L, f.cpu.r[Cpu.EAX]);
        }
        // A reserved bit (21) in a 4 MiB PDE: #PF with P and RSVD.
        try (CpuFixture f = paged(asm().b(0xA1).d(0x8000_0008L).b(HLT).build())) {
            f.cpu.cr4 |= Cpu.CR4_PSE;
            f.mem.write32(PD + 4 * 0x200, (int) (0x0040_0000L | 1L << 21 | PS | P | RW));
            run(f);
            assertFault(f, Exceptions.PF, 0x9);
            assertEquals(0x8000_0008L, f.cpu.cr2);
        }
    }

    // ---- PAE ---------------------------------------------------------------------------------------

    private static final long PDPT = 0x103000;
    private static final long PAE_PD = 0x104000;
    private static final long PAE_PT = 0x105000;
    private static final long PAE_PT2 = 0x106000;

    /**
     * PAE paging, NXE on: 0-2 MiB identity (4 KiB pages), 0x600000 a 2 MiB NX page at 0x800000,
     * 0x800000 a 4 KiB NX page at 0x900000, 0xA00000 a 2 MiB executable page at 0xA00000.
     */
    private static CpuFixture pae(long eip) {
        CpuFixture f = flat(HLT);
        f.mem.write64(PDPT, PAE_PD | P);
        f.mem.write64(PAE_PD, PAE_PT | P | RW | US);
        for (int i = 0; i < 512; i++) {
            f.mem.write64(PAE_PT + 8L * i, i * 0x1000L | P | RW | US);
        }
        f.mem.write64(PAE_PD + 8 * 3, 0x80_0000L | PS | P | RW | NX);
        f.mem.write64(PAE_PD + 8 * 4, PAE_PT2 | P | RW);
        f.mem.write64(PAE_PT2, 0x90_0000L | P | RW | NX);
        f.mem.write64(PAE_PD + 8 * 5, 0xA0_0000L | PS | P | RW);
        f.mem.write8(0x80_0000, HLT);
        f.mem.write8(0x90_0000, HLT);
        f.mem.write8(0xA0_0000, HLT);
        f.mem.write32(0x80_0010, 0x7777_1111);
        f.cpu.cr3 = PDPT;
        f.cpu.cr4 |= Cpu.CR4_PAE;
        f.cpu.efer |= Cpu.EFER_NXE;
        f.cpu.cr0 |= Cpu.CR0_PG;
        f.cpu.mmu.loadPdptes();
        f.cpu.mmu.flushAll();
        f.cpu.rip = eip;
        return f;
    }

    @Test
    void paeExecuteDisable() {
        try (CpuFixture f = pae(0xA0_0000)) {
            run(f);
            assertNoFault(f);
            assertEquals(0xA0_0001, f.cpu.rip, "an executable 2 MiB page runs");
        }
        for (long eip : new long[] {0x60_0000, 0x80_0000}) {
            try (CpuFixture f = pae(eip)) {
                run(f);
                assertFault(f, Exceptions.PF, 0x11);
                assertEquals(eip, f.cpu.cr2);
                assertEquals(eip, top(f, 1));
            }
        }
        // Data reads from an NX page are fine: mov eax,[0x600010] ; hlt
        try (CpuFixture f = pae(CODE)) {
            f.load(CODE, asm().b(0xA1).d(0x60_0010).b(HLT).build());
            run(f);
            assertNoFault(f);
            assertEquals(0x7777_1111L, f.cpu.r[Cpu.EAX]);
        }
        // Not present, instruction fetch: I/D set, P clear.
        try (CpuFixture f = pae(0xC0_0000)) {
            run(f);
            assertFault(f, Exceptions.PF, 0x10);
            assertEquals(0xC0_0000L, f.cpu.cr2);
        }
        // With EFER.NXE = 0, bit 63 is reserved: #PF(P | RSVD) on a read, and no I/D bit on a fetch.
        try (CpuFixture f = pae(CODE)) {
            f.load(CODE, asm().b(0xA1).d(0x60_0010).b(HLT).build());
            f.cpu.efer = 0;
            run(f);
            assertFault(f, Exceptions.PF, 0x9);
        }
        try (CpuFixture f = pae(0x80_0000)) {
            f.cpu.efer = 0;
            run(f);
            assertFault(f, Exceptions.PF, 0x9);
        }
    }

    @Test
    void paeCr3LoadChecksPdptes() {
        // mov cr3,ecx ; hlt
        try (CpuFixture f = pae(CODE)) {
            f.load(CODE, 0x0F, 0x22, 0xD9, HLT);
            f.mem.write64(0x107000, PAE_PD | P);
            f.mem.write64(0x107008, 0x12_3000L | P | RW);  // bit 1 is reserved in a PDPTE
            f.cpu.r[Cpu.ECX] = 0x107000;
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(PDPT, f.cpu.cr3);
        }
        try (CpuFixture f = pae(CODE)) {
            f.load(CODE, 0x0F, 0x22, 0xD9, 0xA1, 0x10, 0x00, 0x60, 0x00, HLT);
            f.mem.write64(0x107000, 0x108000 | P);
            f.mem.write64(0x108000, PAE_PT | P | RW);
            f.mem.write64(0x108000 + 8 * 3, 0xA0_0000L | PS | P | RW);  // 0x600000 -> 0xA00000 now
            f.mem.write32(0xA0_0010, 0x4242_4242);
            f.cpu.r[Cpu.ECX] = 0x107000;
            run(f);
            assertNoFault(f);
            assertEquals(0x4242_4242L, f.cpu.r[Cpu.EAX], "new PDPTEs in effect after MOV CR3");
        }
    }

    @Test
    void enablingPaePagingThroughMovCr0() {
        // mov cr0,eax (PG on) ; mov ebx,[0x600010] ; hlt — identity code at 0x10000 in the PAE tables
        try (CpuFixture f = pae(CODE)) {
            f.load(CODE, 0x0F, 0x22, 0xC0, 0x8B, 0x1D, 0x10, 0x00, 0x60, 0x00, HLT);
            f.cpu.cr0 &= ~Cpu.CR0_PG;
            f.mem.write64(PDPT, 0);   // the cached PDPTEs must be reloaded by MOV CR0
            f.cpu.mmu.loadPdptes();
            f.mem.write64(PDPT, PAE_PD | P);
            f.cpu.r[Cpu.EAX] = f.cpu.cr0 | Cpu.CR0_PG;
            run(f);
            assertNoFault(f);
            assertEquals(0x7777_1111L, f.cpu.r[Cpu.EBX]);
        }
    }

    // ---- TLB -------------------------------------------------------------------------------------

    /** mov eax,[V] ; mov dword [PTE of V],newPte ; mov cr3,ecx ; mov ebx,[V] ; invlpg [V] ; mov edx,[V] ; hlt. */
    private static int[] remapCode(long newPte) {
        return asm().b(0xA1).d(V).b(0xC7, 0x05).d(PT1).d(newPte).b(0x0F, 0x22, 0xD9)
                .b(0x8B, 0x1D).d(V).b(0x0F, 0x01, 0x3D).d(V).b(0x8B, 0x15).d(V).b(HLT).build();
    }

    @Test
    void globalPagesSurviveCr3ReloadButNotInvlpg() {
        try (CpuFixture f = paged(remapCode(0x210000 | P | RW | G))) {
            f.cpu.cr4 |= Cpu.CR4_PGE;
            setPte(f, PT1, V, 0x200000 | P | RW | G);
            f.mem.write32(0x200000, 0xAAAA_AAAA);
            f.mem.write32(0x210000, 0xBBBB_BBBB);
            f.cpu.r[Cpu.ECX] = PD;
            run(f);
            assertNoFault(f);
            assertEquals(0xAAAA_AAAAL, f.cpu.r[Cpu.EAX]);
            assertEquals(0xAAAA_AAAAL, f.cpu.r[Cpu.EBX], "global translation kept across MOV CR3");
            assertEquals(0xBBBB_BBBBL, f.cpu.r[Cpu.EDX], "INVLPG drops it");
        }
        // Not global (or CR4.PGE off): MOV CR3 drops the translation.
        for (boolean pge : new boolean[] {false, true}) {
            long g = pge ? 0 : G;
            try (CpuFixture f = paged(remapCode(0x210000 | P | RW | g))) {
                if (pge) {
                    f.cpu.cr4 |= Cpu.CR4_PGE;
                }
                setPte(f, PT1, V, 0x200000 | P | RW | g);
                f.mem.write32(0x200000, 0xAAAA_AAAA);
                f.mem.write32(0x210000, 0xBBBB_BBBB);
                f.cpu.r[Cpu.ECX] = PD;
                run(f);
                assertEquals(0xAAAA_AAAAL, f.cpu.r[Cpu.EAX]);
                assertEquals(0xBBBB_BBBBL, f.cpu.r[Cpu.EBX]);
            }
        }
    }

    @Test
    void togglingPgeFlushesGlobalEntries() {
        // mov eax,[V] ; mov dword [PTE],new ; mov cr4,esi (PGE off) ; mov ebx,[V] ; hlt
        int[] code = asm().b(0xA1).d(V).b(0xC7, 0x05).d(PT1).d(0x210000 | P | RW | G).b(0x0F, 0x22, 0xE6)
                .b(0x8B, 0x1D).d(V).b(HLT).build();
        try (CpuFixture f = paged(code)) {
            f.cpu.cr4 |= Cpu.CR4_PGE;
            setPte(f, PT1, V, 0x200000 | P | RW | G);
            f.mem.write32(0x200000, 0xAAAA_AAAA);
            f.mem.write32(0x210000, 0xBBBB_BBBB);
            f.cpu.r[Cpu.ESI] = 0;
            run(f);
            assertNoFault(f);
            assertEquals(0xBBBB_BBBBL, f.cpu.r[Cpu.EBX]);
        }
    }

    // ---- protection ------------------------------------------------------------------------------

    @Test
    void cr0WpControlsSupervisorWritesToReadOnlyPages() {
        // mov dword [V+0x1008],0x11223344 ; hlt
        int[] code = asm().b(0xC7, 0x05).d(V + 0x1008).d(0x1122_3344).b(HLT).build();
        try (CpuFixture f = paged(code)) {
            setPte(f, PT1, V + 0x1000, 0x200000 | P);
            run(f);
            assertNoFault(f);
            assertEquals(0x1122_3344, f.mem.read32(0x200008), "WP = 0: supervisor writes ignore R/W");
            assertEquals(0x200000 | P | A | D, pte(f, PT1, V + 0x1000));
        }
        try (CpuFixture f = paged(code)) {
            f.cpu.cr0 |= Cpu.CR0_WP;
            setPte(f, PT1, V + 0x1000, 0x200000 | P);
            run(f);
            assertFault(f, Exceptions.PF, 0x3);
            assertEquals(V + 0x1008, f.cpu.cr2);
            assertEquals(CODE, top(f, 1));
            assertEquals(0, f.mem.read32(0x200008));
            assertEquals(0x200000 | P, pte(f, PT1, V + 0x1000), "no A/D update on a faulting access");
        }
    }

    @Test
    void userAccessRights() {
        Object[][] cases = {
            // PTE of V, code, expected error code
            {0x200000 | P | RW, asm().b(0xA1).d(V + 0x20).b(HLT).build(), 0x5},               // supervisor page, read
            {0x200000 | P | US, asm().b(0xA3).d(V + 0x20).b(HLT).build(), 0x7},               // read-only, write
            {0x200000L, asm().b(0xA1).d(V + 0x20).b(HLT).build(), 0x4},                        // not present
            {0x200000 | P | RW | US, asm().b(0xA3).d(V + 0x20).b(HLT).build(), -1},           // allowed
        };
        for (Object[] k : cases) {
            int[] code = (int[]) k[1];
            try (CpuFixture f = paged(code)) {
                f.cpu.cr0 |= Cpu.CR0_WP;
                setPte(f, PT1, V, (Long) k[0]);
                f.cpu.r[Cpu.EAX] = 0x9999_9999L;
                user(f);
                run(f);
                int err = (Integer) k[2];
                if (err < 0) {
                    assertUserEnd(f, CODE + code.length - 1);
                    assertEquals(0x9999_9999, f.mem.read32(0x200020));
                } else {
                    assertFault(f, Exceptions.PF, err);
                    assertEquals(V + 0x20, f.cpu.cr2);
                    assertEquals(CODE, top(f, 1));
                    assertEquals(0x2B, top(f, 2));
                }
            }
        }
        // A user page under a supervisor-only PDE is supervisor-only.
        try (CpuFixture f = paged(asm().b(0xA1).d(V + 0x20).b(HLT).build())) {
            f.mem.write32(PD + 4 * (V >>> 22), (int) (PT1 | P | RW));
            setPte(f, PT1, V, 0x200000 | P | RW | US);
            user(f);
            run(f);
            assertFault(f, Exceptions.PF, 0x5);
        }
    }

    @Test
    void pageCrossingWriteFaultsPreciselyOnTheSecondPage() {
        // mov [V+0xFFE],eax ; hlt
        try (CpuFixture f = paged(asm().b(0xA3).d(V + 0xFFE).b(HLT).build())) {
            setPte(f, PT1, V, 0x200000 | P | RW);
            f.cpu.r[Cpu.EAX] = 0x1122_3344;
            run(f);
            assertFault(f, Exceptions.PF, 0x2);
            assertEquals(V + 0x1000, f.cpu.cr2, "CR2: the first byte in the faulting page");
            assertEquals(0, f.mem.read16(0x200FFE), "nothing written to the first page");
            assertEquals(CODE, top(f, 1));
        }
    }

    @Test
    void notPresentPdeAndLinearWrapAroundAt4G() {
        try (CpuFixture f = paged(asm().b(0xA1).d(0xC000_0000L).b(HLT).build())) {
            run(f);
            assertFault(f, Exceptions.PF, 0x0);
            assertEquals(0xC000_0000L, f.cpu.cr2);
        }
        // A dword read at linear 0xFFFFFFFE (DS base 0xFFFFFFF0, offset 0x0E) wraps to linear 0.
        try (CpuFixture f = flat(asm().b(0xA1).d(0x0E).b(HLT).build())) {
            f.cpu.seg[Cpu.DS].set(0x10, 0xFFFF_FFF0L, 0xFFFF, 0x93);
            f.mem.write16(0, 0xBEEF);
            f.cpu.r[Cpu.EAX] = 0;
            run(f);
            assertNoFault(f);
            assertEquals(0xBEEF_0000L, f.cpu.r[Cpu.EAX] & 0xFFFF_0000L);
        }
    }
}

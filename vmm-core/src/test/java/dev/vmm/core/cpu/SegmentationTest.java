package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.CODE;
import static dev.vmm.core.cpu.SysTestSupport.asm;
import static dev.vmm.core.cpu.SysTestSupport.assertFault;
import static dev.vmm.core.cpu.SysTestSupport.assertUserEnd;
import static dev.vmm.core.cpu.SysTestSupport.flat;
import static dev.vmm.core.cpu.SysTestSupport.run;
import static dev.vmm.core.cpu.SysTestSupport.top;
import static dev.vmm.core.cpu.SysTestSupport.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/**
 * Protected-mode segmentation (Intel SDM vol. 3, "Protected-Mode Memory Management", "Protection"):
 * limits, rights, null selectors, LDT, conforming code.
 */
class SegmentationTest {
    private static final int HLT = 0xF4;

    /** Flat fixture with GDT entry 8 (selector 0x40) = {@code desc}, loaded into DS. */
    private static CpuFixture withDs(long desc, int... code) {
        CpuFixture f = flat(code);
        f.cpu.gdtLimit = 16 * 8 - 1;
        f.setGdt(8, desc);
        f.loadSeg(Cpu.DS, 0x40);
        return f;
    }

    /** Runs {@code mov eax,[off] ; hlt} with DS = {@code desc}; returns the vector taken (or -1). */
    private static int readAt(long desc, long off) {
        try (CpuFixture f = withDs(desc, asm().b(0xA1).d(off).b(HLT).build())) {
            run(f);
            return SysTestSupport.vector(f);
        }
    }

    @Test
    void expandUpLimits() {
        long small = CpuFixture.descriptor(0x20000, 0xFFF, 0x93, 4);
        assertEquals(-1, readAt(small, 0xFFC));
        assertEquals(Exceptions.GP, readAt(small, 0xFFD), "last byte beyond the limit");
        assertEquals(Exceptions.GP, readAt(small, 0x1000));
        long pages = CpuFixture.descriptor(0, 0x1F_FFFFL, 0x93, 4);   // G = 1: limit 0x1FFFFF
        assertEquals(-1, readAt(pages, 0x1F_FFFCL));
        assertEquals(Exceptions.GP, readAt(pages, 0x1F_FFFDL));
    }

    @Test
    void expandDownLimits() {
        long big = CpuFixture.descriptor(0, 0xFFF, 0x97, 4);     // B = 1: offsets 0x1000..0xFFFFFFFF
        assertEquals(Exceptions.GP, readAt(big, 0xFFF));
        assertEquals(Exceptions.GP, readAt(big, 0xFFE), "first byte at or below the limit");
        assertEquals(-1, readAt(big, 0x1000));
        assertEquals(-1, readAt(big, 0xFFFF_0000L));
        long small = CpuFixture.descriptor(0, 0xFFF, 0x97, 0);   // B = 0: offsets 0x1000..0xFFFF
        assertEquals(-1, readAt(small, 0xFFFC));
        assertEquals(Exceptions.GP, readAt(small, 0xFFFE), "beyond the 64 KiB upper bound");
        assertEquals(Exceptions.GP, readAt(small, 0x10000));
    }

    @Test
    void readsAndWritesFollowTheSegmentType() {
        // mov [0x3000],eax on a read-only data segment
        long readOnly = CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x91, 4);
        try (CpuFixture f = withDs(readOnly, 0xA3, 0x00, 0x30, 0x00, 0x00, HLT)) {
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(CODE, top(f, 1));
        }
        // mov eax,cs:[0x3000] with an execute-only CS ; and a write through a readable CS
        try (CpuFixture f = flat(0x2E, 0xA1, 0x00, 0x30, 0x00, 0x00, HLT)) {
            f.setGdt(1, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x99, 4));
            f.loadSeg(Cpu.CS, 0x08);
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
        try (CpuFixture f = flat(0x2E, 0xA1, 0x00, 0x30, 0x00, 0x00, 0x2E, 0xA3, 0x00, 0x30, 0x00, 0x00, HLT)) {
            f.mem.write32(0x3000, 0x600D);
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(CODE + 6, top(f, 1), "the read via a readable CS worked, the write faulted");
            assertEquals(0x600D, f.cpu.r[Cpu.EAX]);
        }
        // Loading DS with an execute-only code segment: #GP(selector).
        try (CpuFixture f = flat(0x8E, 0xD9, HLT)) {
            f.cpu.gdtLimit = 16 * 8 - 1;
            f.setGdt(8, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x99, 4));
            f.cpu.r[Cpu.ECX] = 0x40;
            run(f);
            assertFault(f, Exceptions.GP, 0x40);
        }
    }

    @Test
    void nullSelectors() {
        // mov ds,cx (null) ; mov eax,[0x3000]
        try (CpuFixture f = flat(0x8E, 0xD9, 0xA1, 0x00, 0x30, 0x00, 0x00, HLT)) {
            f.cpu.r[Cpu.ECX] = 0x0003;
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(CODE + 2, top(f, 1), "loading the null selector is fine, using it is not");
            assertEquals(3, f.cpu.seg[Cpu.DS].selector);
            assertFalse(f.cpu.seg[Cpu.DS].usable);
        }
        // mov ss,cx (null): #GP(0)
        try (CpuFixture f = flat(0x8E, 0xD1, HLT)) {
            f.cpu.r[Cpu.ECX] = 0;
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(CODE, top(f, 1));
        }
    }

    @Test
    void stackFaultsAreSs() {
        // ring 0, SS limit 0xFFF: mov eax,[ebp+0] with EBP beyond the limit -> #SS(0)
        try (CpuFixture f = flat(0x8B, 0x45, 0x00, HLT)) {
            f.setGdt(4, CpuFixture.descriptor(0x20000, 0xFFF, 0x93, 4));
            f.cpu.r[Cpu.EBP] = 0x1000;
            f.loadSeg(Cpu.SS, 0x20);
            f.cpu.r[Cpu.ESP] = 0x800;
            run(f);
            assertFault(f, Exceptions.SS, 0);
            assertEquals(CODE, top(f, 1));
        }
        // ring 3: push eax at ESP = 2 -> #SS(0), ESP unchanged
        try (CpuFixture f = flat(0x50, HLT)) {
            user(f);
            f.cpu.r[Cpu.ESP] = 2;
            run(f);
            assertFault(f, Exceptions.SS, 0);
            assertEquals(2, top(f, 4), "saved ESP unchanged");
        }
        // mov ss,cx with a not-present writable data segment: #SS(selector)
        try (CpuFixture f = flat(0x8E, 0xD1, HLT)) {
            f.cpu.gdtLimit = 16 * 8 - 1;
            f.setGdt(8, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x13, 4));
            f.cpu.r[Cpu.ECX] = 0x40;
            run(f);
            assertFault(f, Exceptions.SS, 0x40);
        }
    }

    @Test
    void ldtDescriptors() {
        // mov ax,0x40 ; lldt ax ; mov cx,0x0F ; mov ds,cx ; mov eax,[0x10] ; mov cx,0x1F ; mov es,cx ; hlt
        int[] code = {0x66, 0xB8, 0x40, 0x00, 0x0F, 0x00, 0xD0, 0x66, 0xB9, 0x0F, 0x00, 0x8E, 0xD9,
            0xA1, 0x10, 0x00, 0x00, 0x00, 0x66, 0xB9, 0x1F, 0x00, 0x8E, 0xC1, HLT};
        try (CpuFixture f = flat(code)) {
            f.cpu.gdtLimit = 16 * 8 - 1;
            f.setGdt(8, CpuFixture.descriptor(0x4000, 0x0F, 0x82, 0));        // LDT with two entries
            f.mem.write64(0x4008, CpuFixture.descriptor(0x50000, 0xFFFF, 0xF2, 4)); // LDT 1: DPL-3 data
            f.mem.write32(0x50010, 0x0AD0_0AD0);
            run(f);
            assertFault(f, Exceptions.GP, 0x1C);
            assertEquals(CODE + 22, top(f, 1), "LDT index 3 is beyond the LDT limit");
            assertEquals(0x0F, f.cpu.seg[Cpu.DS].selector);
            assertEquals(0x50000, f.cpu.seg[Cpu.DS].base);
            assertEquals(0x0AD0_0AD0L, f.cpu.r[Cpu.EAX]);
            assertEquals(0xF3, f.mem.read8(0x4008 + 5), "accessed bit set in the LDT");
        }
    }

    @Test
    void privilegeChecksOnDataLoads() {
        // ring 3: mov ds,cx with a DPL-0 data selector -> #GP(selector)
        try (CpuFixture f = flat(0x8E, 0xD9, HLT)) {
            user(f);
            f.cpu.r[Cpu.ECX] = 0x13;
            run(f);
            assertFault(f, Exceptions.GP, 0x10);
        }
        // ring 0: RPL 3 on a DPL-0 data segment -> #GP(selector)
        try (CpuFixture f = flat(0x8E, 0xD9, HLT)) {
            f.cpu.r[Cpu.ECX] = 0x13;
            run(f);
            assertFault(f, Exceptions.GP, 0x10);
        }
    }

    @Test
    void conformingCode() {
        // ring 3: mov ds,cx (conforming readable DPL-0 code is loadable) ; jmp far 0x58:CODE+9 ; (target) hlt
        int[] code = asm().b(0x8E, 0xD9).b(0xEA).d(CODE + 9).w(0x58).b(HLT, HLT).build();
        try (CpuFixture f = flat(code)) {
            f.cpu.gdtLimit = 16 * 8 - 1;
            f.setGdt(11, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x9F, 4));
            user(f);
            f.cpu.r[Cpu.ECX] = 0x5B;
            run(f);
            assertUserEnd(f, CODE + 9);
            assertEquals(0x5B, top(f, 2), "conforming target: CS.RPL = CPL = 3");
        }
        // A non-conforming DPL-0 code segment is out of reach from ring 3.
        try (CpuFixture f = flat(asm().b(0xEA).d(CODE + 7).w(0x08).b(HLT).build())) {
            user(f);
            run(f);
            assertFault(f, Exceptions.GP, 0x08);
        }
    }

    @Test
    void segmentRegisterLoadsNeedPresentDescriptors() {
        // mov ds,cx with a not-present data segment -> #NP(selector)
        try (CpuFixture f = flat(0x8E, 0xD9, HLT)) {
            f.cpu.gdtLimit = 16 * 8 - 1;
            f.setGdt(8, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x13, 4));
            f.cpu.r[Cpu.ECX] = 0x40;
            run(f);
            assertFault(f, Exceptions.NP, 0x40);
        }
        try (CpuFixture f = flat(0x8E, 0xD9, HLT)) {
            f.cpu.r[Cpu.ECX] = 0x80;
            run(f);
            assertFault(f, Exceptions.GP, 0x80);
        }
    }
}

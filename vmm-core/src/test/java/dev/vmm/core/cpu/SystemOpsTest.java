package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.CODE;
import static dev.vmm.core.cpu.SysTestSupport.assertFault;
import static dev.vmm.core.cpu.SysTestSupport.assertNoFault;
import static dev.vmm.core.cpu.SysTestSupport.flat;
import static dev.vmm.core.cpu.SysTestSupport.real;
import static dev.vmm.core.cpu.SysTestSupport.realVector;
import static dev.vmm.core.cpu.SysTestSupport.run;
import static dev.vmm.core.cpu.SysTestSupport.top;
import static dev.vmm.core.cpu.SysTestSupport.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SystemOpsTest {
    private static final int HLT = 0xF4;

    private static boolean zf(CpuFixture f) {
        return (f.cpu.eflags() & Flags.ZF) != 0;
    }

    // ---- GDTR / IDTR ------------------------------------------------------------------------------

    @Test
    void lgdtSgdt32() {
        // lgdt [0x3000] ; sgdt [0x3010] ; hlt
        try (CpuFixture f = flat(0x0F, 0x01, 0x15, 0x00, 0x30, 0x00, 0x00,
                0x0F, 0x01, 0x05, 0x10, 0x30, 0x00, 0x00, HLT)) {
            f.mem.write16(0x3000, 0x1234);
            f.mem.write32(0x3002, 0xFEDC_BA98);
            run(f);
            assertNoFault(f);
            assertEquals(0xFEDC_BA98L, f.cpu.gdtBase);
            assertEquals(0x1234, f.cpu.gdtLimit);
            assertEquals(0x1234, f.mem.read16(0x3010));
            assertEquals(0xFEDC_BA98L, f.mem.read32(0x3012) & 0xFFFF_FFFFL);
        }
    }

    @Test
    void lidt16LoadsA24BitBaseAndSidt16StoresAll32Bits() {
        // o16 lidt [0x3000] ; o16 sidt [0x3010] ; hlt
        try (CpuFixture f = flat(0x66, 0x0F, 0x01, 0x1D, 0x00, 0x30, 0x00, 0x00,
                0x66, 0x0F, 0x01, 0x0D, 0x10, 0x30, 0x00, 0x00, HLT)) {
            f.mem.write16(0x3000, 0x03FF);
            f.mem.write32(0x3002, 0x1234_5678);
            f.mem.write32(0x3012, 0xFFFF_FFFF);
            run(f);
            assertEquals(0x34_5678L, f.cpu.idtBase);
            assertEquals(0x3FF, f.cpu.idtLimit);
            assertEquals(0x3FF, f.mem.read16(0x3010));
            assertEquals(0x0034_5678L, f.mem.read32(0x3012) & 0xFFFF_FFFFL);
        }
    }

    @Test
    void lgdtInRealModeWorksAndAtCpl3IsGp() {
        // lgdt [0x3000] ; hlt  (16-bit: 0F 01 16 disp16)
        try (CpuFixture f = real(0x0F, 0x01, 0x16, 0x00, 0x30, HLT)) {
            f.mem.write16(0x3000, 0x17);
            f.mem.write32(0x3002, 0x0012_3456);
            run(f);
            assertEquals(-1, realVector(f));
            assertEquals(0x12_3456L, f.cpu.gdtBase);
            assertEquals(0x17, f.cpu.gdtLimit);
        }
        try (CpuFixture f = flat(0x0F, 0x01, 0x15, 0x00, 0x30, 0x00, 0x00, HLT)) {
            user(f);
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(CODE, top(f, 1));
            assertEquals(0x2B, top(f, 2));
            assertTrue((top(f, 3) & Flags.RF) != 0, "a fault pushes RF = 1");
            assertEquals(CpuFixture.GDT, f.cpu.gdtBase);
        }
    }

    // ---- LDTR / TR ---------------------------------------------------------------------------------

    private static CpuFixture withSystemDescriptors(int... code) {
        CpuFixture f = flat(code);
        f.cpu.gdtLimit = 16 * 8 - 1;
        f.setGdt(8, CpuFixture.descriptor(0x4000, 0x17, 0x82, 0));   // 0x40: LDT
        f.setGdt(9, CpuFixture.descriptor(0x5000, 0x67, 0x89, 0));   // 0x48: available TSS32
        f.setGdt(10, CpuFixture.descriptor(0x5100, 0x67, 0x09, 0));  // 0x50: TSS32, not present
        f.setGdt(11, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x9F, 4)); // 0x58: conforming code, DPL 0
        f.setGdt(12, 0x0000_8E00_0008_1000L);                        // 0x60: an interrupt gate
        return f;
    }

    @Test
    void lldtLtrSldtStr() {
        // mov ax,0x40 ; lldt ax ; mov ax,0x48 ; ltr ax ; sldt ecx ; str edx ; o16 str bx ; sldt [0x3000] ; hlt
        try (CpuFixture f = withSystemDescriptors(0x66, 0xB8, 0x40, 0x00, 0x0F, 0x00, 0xD0,
                0x66, 0xB8, 0x48, 0x00, 0x0F, 0x00, 0xD8, 0x0F, 0x00, 0xC1, 0x0F, 0x00, 0xCA,
                0x66, 0x0F, 0x00, 0xCB, 0x0F, 0x00, 0x05, 0x00, 0x30, 0x00, 0x00, HLT)) {
            f.cpu.r[Cpu.ECX] = 0xFFFF_FFFFL;
            f.cpu.r[Cpu.EDX] = 0xFFFF_FFFFL;
            f.cpu.r[Cpu.EBX] = 0xFFFF_FFFFL;
            f.mem.write32(0x3000, 0xAAAA_AAAA);
            run(f);
            assertNoFault(f);
            assertEquals(0x40, f.cpu.ldtr.selector);
            assertEquals(0x4000, f.cpu.ldtr.base);
            assertEquals(0x17, f.cpu.ldtr.limit);
            assertEquals(0x48, f.cpu.tr.selector);
            assertEquals(0x5000, f.cpu.tr.base);
            assertEquals(Descriptors.TSS32_BUSY, f.cpu.tr.attr & 0xF);
            assertEquals(0x8B, f.mem.read8(CpuFixture.GDT + 9 * 8 + 5), "LTR marks the TSS busy");
            assertEquals(0x40, f.cpu.r[Cpu.ECX], "register destination: zero-extended to 32 bits");
            assertEquals(0x48, f.cpu.r[Cpu.EDX]);
            assertEquals(0xFFFF_0048L, f.cpu.r[Cpu.EBX], "16-bit operand size writes 16 bits");
            assertEquals(0xAAAA_0040L, f.mem.read32(0x3000) & 0xFFFF_FFFFL, "memory destination: 16 bits");
        }
    }

    @Test
    void ltrChecks() {
        // ltr cx ; hlt
        int[] code = {0x0F, 0x00, 0xD9, HLT};
        int[][] cases = {
            // selector, vector, error code
            {0x0000, Exceptions.GP, 0},
            {0x0038, Exceptions.GP, 0x38},   // the fixture's TSS is busy already (LTR done by flat32)
            {0x004C, Exceptions.GP, 0x4C},   // TI = 1
            {0x0040, Exceptions.GP, 0x40},   // an LDT, not a TSS
            {0x0050, Exceptions.NP, 0x50},   // not present
            {0x0100, Exceptions.GP, 0x100},  // past the GDT limit
        };
        for (int[] k : cases) {
            try (CpuFixture f = withSystemDescriptors(code)) {
                f.mem.write8(CpuFixture.GDT + 7 * 8 + 5, 0x8B);
                f.cpu.r[Cpu.ECX] = k[0];
                run(f);
                assertFault(f, k[1], k[2]);
                assertEquals(0x38, f.cpu.tr.selector);
            }
        }
    }

    @Test
    void lldtNullSelectorAndChecks() {
        // lldt cx ; hlt
        try (CpuFixture f = withSystemDescriptors(0x0F, 0x00, 0xD1, HLT)) {
            f.cpu.ldtr.set(0x40, 0x4000, 0x17, 0x82);
            f.cpu.r[Cpu.ECX] = 0x0003;
            run(f);
            assertNoFault(f);
            assertFalse(f.cpu.ldtr.usable);
        }
        try (CpuFixture f = withSystemDescriptors(0x0F, 0x00, 0xD1, HLT)) {
            f.cpu.r[Cpu.ECX] = 0x48;
            run(f);
            assertFault(f, Exceptions.GP, 0x48);
        }
        try (CpuFixture f = withSystemDescriptors(0x0F, 0x00, 0xD1, HLT)) {
            user(f);
            f.cpu.r[Cpu.ECX] = 0x40;
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
    }

    @Test
    void systemSegmentInstructionsAreUndefinedInRealMode() {
        int[][] codes = {
            {0x0F, 0x00, 0xD0, HLT},  // lldt ax
            {0x0F, 0x00, 0xD8, HLT},  // ltr ax
            {0x0F, 0x00, 0xC0, HLT},  // sldt ax
            {0x0F, 0x00, 0xC8, HLT},  // str ax
            {0x0F, 0x02, 0xC1, HLT},  // lar ax,cx
            {0x0F, 0x03, 0xC1, HLT},  // lsl ax,cx
            {0x0F, 0x00, 0xE1, HLT},  // verr cx
            {0x0F, 0x00, 0xE9, HLT},  // verw cx
            {0x63, 0xC8, HLT},        // arpl ax,cx
        };
        for (int[] code : codes) {
            try (CpuFixture f = real(code)) {
                run(f);
                assertEquals(Exceptions.UD, realVector(f));
            }
        }
    }

    // ---- LAR / LSL / VERR / VERW / ARPL --------------------------------------------------------------

    /** Runs {@code code; hlt} with ECX = sel and EAX = 0xDEADBEEF; returns the fixture (closed by the caller). */
    private static CpuFixture query(boolean ring3, int sel, int... code) {
        int[] all = java.util.Arrays.copyOf(code, code.length + 1);
        all[code.length] = HLT;
        CpuFixture f = withSystemDescriptors(all);
        if (ring3) {
            user(f);
        }
        f.cpu.r[Cpu.ECX] = sel;
        f.cpu.r[Cpu.EAX] = 0xDEAD_BEEFL;
        run(f);
        if (ring3) {
            SysTestSupport.assertUserEnd(f, CODE + code.length);
        } else {
            assertNoFault(f);
        }
        return f;
    }

    @Test
    void lar() {
        int[] lar = {0x0F, 0x02, 0xC1};
        try (CpuFixture f = query(false, 0x08, lar)) {
            assertTrue(zf(f));
            assertEquals(0x00CF_9B00L, f.cpu.r[Cpu.EAX]);
        }
        try (CpuFixture f = query(false, 0x38, lar)) {
            assertTrue(zf(f), "TSS descriptors are visible to LAR");
            assertEquals(0x0000_8900L, f.cpu.r[Cpu.EAX]);
        }
        try (CpuFixture f = query(false, 0x08, 0x66, 0x0F, 0x02, 0xC1)) {
            assertTrue(zf(f));
            assertEquals(0xDEAD_9B00L, f.cpu.r[Cpu.EAX], "16-bit: AX = access byte << 8");
        }
        for (int sel : new int[] {0x0000, 0x0003, 0x0060, 0x0200, 0x0044}) {
            try (CpuFixture f = query(false, sel, lar)) {
                assertFalse(zf(f), "selector " + sel);
                assertEquals(0xDEAD_BEEFL, f.cpu.r[Cpu.EAX], "destination unchanged when ZF = 0");
            }
        }
        try (CpuFixture f = query(true, 0x10, lar)) {
            assertFalse(zf(f), "DPL 0 data is invisible at CPL 3");
        }
        try (CpuFixture f = query(true, 0x58, lar)) {
            assertTrue(zf(f), "conforming code is visible at any CPL");
            assertEquals(0x00CF_9F00L, f.cpu.r[Cpu.EAX]);
        }
        try (CpuFixture f = query(false, 0x13, lar)) {
            assertFalse(zf(f), "RPL 3 > DPL 0");
        }
    }

    @Test
    void lsl() {
        int[] lsl = {0x0F, 0x03, 0xC1};
        try (CpuFixture f = query(false, 0x10, lsl)) {
            assertTrue(zf(f));
            assertEquals(0xFFFF_FFFFL, f.cpu.r[Cpu.EAX], "page-granular limit scaled");
        }
        try (CpuFixture f = query(false, 0x38, lsl)) {
            assertTrue(zf(f));
            assertEquals(0x2068, f.cpu.r[Cpu.EAX]);
        }
        try (CpuFixture f = query(false, 0x20, 0x66, 0x0F, 0x03, 0xC1)) {
            assertTrue(zf(f));
            assertEquals(0xDEAD_FFFFL, f.cpu.r[Cpu.EAX]);
        }
        try (CpuFixture f = query(false, 0x60, lsl)) {
            assertFalse(zf(f), "gates have no limit");
            assertEquals(0xDEAD_BEEFL, f.cpu.r[Cpu.EAX]);
        }
        try (CpuFixture f = query(true, 0x33, lsl)) {
            assertTrue(zf(f));
        }
    }

    @Test
    void verrVerw() {
        int[] verr = {0x0F, 0x00, 0xE1};
        int[] verw = {0x0F, 0x00, 0xE9};
        Object[][] cases = {
            // ring3, selector, code, expected ZF
            {false, 0x08, verr, true},
            {false, 0x08, verw, false},
            {false, 0x10, verw, true},
            {false, 0x18, verr, true},
            {false, 0x38, verr, false},
            {false, 0x00, verr, false},
            {false, 0x13, verw, false},
            {true, 0x10, verr, false},
            {true, 0x33, verw, true},
            {true, 0x58, verr, true},
            {true, 0x2B, verw, false},
        };
        for (Object[] k : cases) {
            try (CpuFixture f = query((Boolean) k[0], (Integer) k[1], (int[]) k[2])) {
                assertEquals(k[3], zf(f), () -> "selector " + k[1]);
            }
        }
    }

    @Test
    void arpl() {
        // arpl ax,cx ; hlt
        try (CpuFixture f = flat(0x63, 0xC8, HLT)) {
            f.cpu.r[Cpu.EAX] = 0x1234_0008L;
            f.cpu.r[Cpu.ECX] = 0x0003;
            run(f);
            assertEquals(0x1234_000BL, f.cpu.r[Cpu.EAX]);
            assertTrue(zf(f));
        }
        try (CpuFixture f = flat(0x63, 0xC8, HLT)) {
            f.cpu.r[Cpu.EAX] = 0x000B;
            f.cpu.r[Cpu.ECX] = 0x0001;
            run(f);
            assertEquals(0x000B, f.cpu.r[Cpu.EAX]);
            assertFalse(zf(f));
        }
        // arpl [0x3000],cx
        try (CpuFixture f = flat(0x63, 0x0D, 0x00, 0x30, 0x00, 0x00, HLT)) {
            f.mem.write16(0x3000, 0x0010);
            f.cpu.r[Cpu.ECX] = 0x0002;
            run(f);
            assertEquals(0x0012, f.mem.read16(0x3000));
            assertTrue(zf(f));
        }
    }

    // ---- CR0 / MSW -----------------------------------------------------------------------------------

    @Test
    void cltsLmswSmsw() {
        // clts ; smsw eax ; mov bx,0x000E ; lmsw bx ; smsw [0x3000] ; o16 smsw cx ; hlt
        try (CpuFixture f = flat(0x0F, 0x06, 0x0F, 0x01, 0xE0, 0x66, 0xBB, 0x0E, 0x00, 0x0F, 0x01, 0xF3,
                0x0F, 0x01, 0x25, 0x00, 0x30, 0x00, 0x00, 0x66, 0x0F, 0x01, 0xE1, HLT)) {
            f.cpu.cr0 |= Cpu.CR0_TS;
            f.cpu.r[Cpu.ECX] = 0xFFFF_FFFFL;
            f.mem.write32(0x3000, 0xAAAA_AAAA);
            run(f);
            assertNoFault(f);
            assertEquals(0x6000_0011L, f.cpu.r[Cpu.EAX], "SMSW r32 stores CR0 (TS cleared by CLTS)");
            assertEquals(0x6000_001FL, f.cpu.cr0, "LMSW sets MP, EM, TS and cannot clear PE");
            assertEquals(0xAAAA_001FL, f.mem.read32(0x3000) & 0xFFFF_FFFFL);
            assertEquals(0xFFFF_001FL, f.cpu.r[Cpu.ECX]);
        }
        // Real mode: lmsw ax with PE set enters protected mode.
        try (CpuFixture f = real(0x0F, 0x01, 0xF0, HLT)) {
            f.cpu.r[Cpu.EAX] = 1;
            run(f);
            assertTrue(f.cpu.protectedMode());
        }
        try (CpuFixture f = flat(0x0F, 0x06, HLT)) {
            user(f);
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
    }

    @Test
    void movCrReadWriteAndChecks() {
        // mov eax,cr0 ; mov ecx,cr2 ; mov cr3,edx ; mov ebx,cr3 ; hlt
        try (CpuFixture f = flat(0x0F, 0x20, 0xC0, 0x0F, 0x20, 0xD1, 0x0F, 0x22, 0xDA, 0x0F, 0x20, 0xDB, HLT)) {
            f.cpu.cr2 = 0x1234_5678L;
            f.cpu.r[Cpu.EDX] = 0x0012_3FFFL;
            run(f);
            assertNoFault(f);
            assertEquals(0x6000_0011L, f.cpu.r[Cpu.EAX]);
            assertEquals(0x1234_5678L, f.cpu.r[Cpu.ECX]);
            assertEquals(0x0012_3FFFL, f.cpu.r[Cpu.EBX]);
        }
        Object[][] faults = {
            // code, eax, vector
            {new int[] {0x0F, 0x22, 0xC0, HLT}, 0x8000_0000L, Exceptions.GP},  // PG without PE
            {new int[] {0x0F, 0x22, 0xC0, HLT}, 0x2000_0001L, Exceptions.GP},  // NW without CD
            {new int[] {0x0F, 0x22, 0xE0, HLT}, Cpu.CR4_VME, Exceptions.GP},    // unsupported CR4 bit
            {new int[] {0x0F, 0x22, 0xE0, HLT}, 1L << 20, Exceptions.GP},     // reserved CR4 bit
            {new int[] {0x0F, 0x20, 0xC8, HLT}, 0L, Exceptions.UD},            // mov eax,cr1
            {new int[] {0x0F, 0x22, 0xF8, HLT}, 0L, Exceptions.UD},            // mov cr7,eax
        };
        for (Object[] k : faults) {
            try (CpuFixture f = flat((int[]) k[0])) {
                f.cpu.r[Cpu.EAX] = (Long) k[1];
                run(f);
                assertFault(f, (Integer) k[2], (Integer) k[2] == Exceptions.GP ? 0 : -1);
                assertEquals(0x6000_0011L, f.cpu.cr0);
                assertEquals(0, f.cpu.cr4);
            }
        }
        try (CpuFixture f = flat(0x0F, 0x20, 0xC0, HLT)) {
            user(f);
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
        // CR4: supported bits are accepted, reserved bits ignored in CR0 writes (ET forced to 1).
        try (CpuFixture f = flat(0x0F, 0x22, 0xE0, 0x0F, 0x22, 0xC1, HLT)) {
            f.cpu.r[Cpu.EAX] = Cpu.CR4_PSE | Cpu.CR4_PGE | Cpu.CR4_DE | Cpu.CR4_TSD | Cpu.CR4_PAE;
            f.cpu.r[Cpu.ECX] = 0x0000_FF21L;
            run(f);
            assertNoFault(f);
            assertEquals(0xBCL, f.cpu.cr4);
            assertEquals(0x31L, f.cpu.cr0, "NE | ET | PE; reserved bits 6-15 ignored");
        }
    }

    @Test
    void clearingPeReturnsToRealMode() {
        // mov cr0,eax (PE = 0) ; hlt
        try (CpuFixture f = flat(0x0F, 0x22, 0xC0, HLT)) {
            f.cpu.r[Cpu.EAX] = 0x10;
            run(f);
            assertFalse(f.cpu.protectedMode());
            assertEquals(0, f.cpu.cpl);
        }
    }

    // ---- debug registers -------------------------------------------------------------------------------

    @Test
    void movDr() {
        // mov dr0,eax ; mov dr7,ecx ; mov edx,dr7 ; mov ebx,dr4 ; mov esi,dr0 ; hlt
        try (CpuFixture f = flat(0x0F, 0x23, 0xC0, 0x0F, 0x23, 0xF9, 0x0F, 0x21, 0xFA, 0x0F, 0x21, 0xE3,
                0x0F, 0x21, 0xC6, HLT)) {
            f.cpu.r[Cpu.EAX] = 0x0012_3400L;
            f.cpu.r[Cpu.ECX] = 0x000D_DC00L; // RW0 = 01, LEN0 = 11 (data write); reserved bits 10-12, 14, 15
            run(f);
            assertNoFault(f);
            assertEquals(0x000D_0400L, f.cpu.r[Cpu.EDX], "reserved DR7 bits: 10 reads 1, 11/12/14/15 read 0");
            assertEquals(0xFFFF_0FF0L, f.cpu.r[Cpu.EBX], "DR4 aliases DR6 with CR4.DE = 0");
            assertEquals(0x0012_3400L, f.cpu.r[Cpu.ESI]);
        }
        try (CpuFixture f = flat(0x0F, 0x21, 0xE3, HLT)) {
            f.cpu.cr4 = Cpu.CR4_DE;
            run(f);
            assertFault(f, Exceptions.UD, -1);
        }
        try (CpuFixture f = flat(0x0F, 0x21, 0xFA, HLT)) {
            f.cpu.dr[7] = 0x2400;
            run(f);
            assertFault(f, Exceptions.DB, -1);
            assertEquals(CODE, top(f, 0), "general detect is a fault");
            assertEquals(Debug.DR6_BD, f.cpu.dr[6] & Debug.DR6_BD);
            assertEquals(0x400, f.cpu.dr[7], "GD cleared for the handler");
        }
        try (CpuFixture f = flat(0x0F, 0x21, 0xFA, HLT)) {
            user(f);
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
    }

    // ---- MSRs, TSC, PMC ----------------------------------------------------------------------------------

    @Test
    void rdmsrWrmsr() {
        // wrmsr ; xor eax,eax ; xor edx,edx ; rdmsr ; hlt
        try (CpuFixture f = flat(0x0F, 0x30, 0x31, 0xC0, 0x31, 0xD2, 0x0F, 0x32, HLT)) {
            f.cpu.r[Cpu.ECX] = Msrs.SYSENTER_EIP;
            f.cpu.r[Cpu.EAX] = 0xC010_0000L;
            f.cpu.r[Cpu.EDX] = 0;
            run(f);
            assertNoFault(f);
            assertEquals(0xC010_0000L, f.cpu.msrs.sysenterEip);
            assertEquals(0xC010_0000L, f.cpu.r[Cpu.EAX]);
            assertEquals(0, f.cpu.r[Cpu.EDX]);
        }
        try (CpuFixture f = flat(0x0F, 0x30, HLT)) {
            f.cpu.r[Cpu.ECX] = Msrs.EFER;
            f.cpu.r[Cpu.EDX] = 0;
            f.cpu.r[Cpu.EAX] = Cpu.EFER_NXE;
            run(f);
            assertNoFault(f);
            assertEquals(Cpu.EFER_NXE, f.cpu.efer);
        }
        long[][] bad = {
            // ecx, edx, eax
            {0x1234, 0, 0},                        // an MSR this CPU does not have
            {Msrs.EFER, 0, 1 << 1},                // reserved EFER bit
            {Msrs.EFER, 0, Cpu.EFER_SCE},          // SYSCALL: not reported by CPUID
            {Msrs.EFER, 0, Cpu.EFER_LME},          // long mode: not reported by CPUID
            {Msrs.PAT, 0, 0x02},                   // reserved memory type
            {Msrs.APIC_BASE, 0x10, 0xFEE0_0000L},  // base beyond MAXPHYADDR
        };
        for (long[] k : bad) {
            for (int op : new int[] {0x30, 0x32}) {
                if (op == 0x32 && k[0] != 0x1234) {
                    continue;
                }
                try (CpuFixture f = flat(0x0F, op, HLT)) {
                    f.cpu.r[Cpu.ECX] = k[0];
                    f.cpu.r[Cpu.EDX] = k[1];
                    f.cpu.r[Cpu.EAX] = k[2];
                    run(f);
                    assertFault(f, Exceptions.GP, 0);
                }
            }
        }
        try (CpuFixture f = flat(0x0F, 0x32, HLT)) {
            user(f);
            f.cpu.r[Cpu.ECX] = Msrs.TSC;
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
    }

    @Test
    void rdtscIsDeterministicAndWritable() {
        // nop ; nop ; rdtsc ; mov esi,eax ; wrmsr(TSC = 0x1_0000_0000) ; rdtsc ; hlt
        try (CpuFixture f = flat(0x90, 0x90, 0x0F, 0x31, 0x89, 0xC6,
                0xB9, 0x10, 0x00, 0x00, 0x00, 0xB8, 0x00, 0x00, 0x00, 0x00, 0xBA, 0x01, 0x00, 0x00, 0x00,
                0x0F, 0x30, 0x0F, 0x31, HLT)) {
            run(f);
            assertNoFault(f);
            assertEquals(2, f.cpu.r[Cpu.ESI], "TSC = instructions retired before RDTSC");
            // WRMSR is instruction 8 (icount 7 when it runs): TSC = 2^32 there; RDTSC runs one instruction later.
            assertEquals(1, f.cpu.r[Cpu.EAX]);
            assertEquals(1, f.cpu.r[Cpu.EDX]);
        }
        try (CpuFixture f = flat(0x0F, 0x31, HLT)) {
            user(f);
            run(f);
            SysTestSupport.assertUserEnd(f, CODE + 2);
        }
        try (CpuFixture f = flat(0x0F, 0x31, HLT)) {
            f.cpu.cr4 = Cpu.CR4_TSD;
            user(f);
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
        try (CpuFixture f = flat(0x0F, 0x33, HLT)) {
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
    }

    // ---- SYSENTER / SYSEXIT ----------------------------------------------------------------------------

    @Test
    void sysenterAndSysexit() {
        // ring 3: sysenter ; (at 0x11000, ring 0:) mov ecx,0x6000 ; mov edx,0x12000 ; sysexit ; (0x12000:) hlt
        try (CpuFixture f = flat(0x0F, 0x34)) {
            f.load(0x11000, 0xB9, 0x00, 0x60, 0x00, 0x00, 0xBA, 0x00, 0x20, 0x01, 0x00, 0x0F, 0x35);
            f.load(0x12000, HLT);
            f.cpu.msrs.sysenterCs = 0x08;
            f.cpu.msrs.sysenterEsp = 0x8800;
            f.cpu.msrs.sysenterEip = 0x11000;
            user(f);
            f.cpu.flags.bits |= Flags.IF;
            f.cpu.step();
            assertEquals(0x08, f.cpu.seg[Cpu.CS].selector);
            assertEquals(0x10, f.cpu.seg[Cpu.SS].selector);
            assertEquals(0, f.cpu.cpl);
            assertEquals(0x8800, f.cpu.r[Cpu.ESP]);
            assertEquals(0x11000, f.cpu.rip);
            assertEquals(0, f.cpu.eflags() & Flags.IF);
            // HLT at ring 3 would #GP: reaching it proves SYSEXIT went to ring 3 and the HLT faulted.
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(0x1B, top(f, 2), "SYSEXIT: CS = SYSENTER_CS + 16 | 3");
            assertEquals(0x12000, top(f, 1));
            assertEquals(0x6000, top(f, 4), "ESP = ECX");
            assertEquals(0x23, top(f, 5), "SS = SYSENTER_CS + 24 | 3");
        }
        try (CpuFixture f = flat(0x0F, 0x34, HLT)) {
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
        try (CpuFixture f = real(0x0F, 0x34, HLT)) {
            f.cpu.msrs.sysenterCs = 0x08;
            run(f);
            assertEquals(Exceptions.GP, realVector(f));
        }
        try (CpuFixture f = flat(0x0F, 0x35, HLT)) {
            f.cpu.msrs.sysenterCs = 0x08;
            user(f);
            run(f);
            assertFault(f, Exceptions.GP, 0);
        }
    }

    // ---- the rest ------------------------------------------------------------------------------------

    @Test
    void undefinedOpcodes() {
        int[][] codes = {{0x0F, 0x0B}, {0x0F, 0xB9, 0xC1}, {0x0F, 0xFF, 0xC1}, {0x0F, 0xAA}};
        for (int[] code : codes) {
            try (CpuFixture f = flat(code)) {
                run(f);
                assertFault(f, Exceptions.UD, -1);
                assertEquals(CODE, top(f, 0));
            }
        }
    }

    @Test
    void privilegedInstructionsAtCpl3() {
        int[][] codes = {
            {0xF4},                    // hlt
            {0x0F, 0x01, 0x38},        // invlpg [eax]
            {0x0F, 0x08},              // invd
            {0x0F, 0x09},              // wbinvd
            {0x0F, 0x22, 0xD8},        // mov cr3,eax
            {0x0F, 0x23, 0xC0},        // mov dr0,eax
            {0x0F, 0x30},              // wrmsr
            {0x0F, 0x01, 0xF0},        // lmsw ax
        };
        for (int[] code : codes) {
            try (CpuFixture f = flat(code)) {
                user(f);
                run(f);
                assertFault(f, Exceptions.GP, 0);
                assertEquals(CODE, top(f, 1));
            }
        }
        // ... and fine at ring 0.
        try (CpuFixture f = flat(0x0F, 0x01, 0x38, 0x0F, 0x08, 0x0F, 0x09, 0x0F, 0xA2, HLT)) {
            f.cpu.r[Cpu.EAX] = 0;
            run(f);
            assertNoFault(f);
            assertEquals(0x2D4D_4D56L, f.cpu.r[Cpu.EBX], "CPUID vendor \"VMM-\"");
        }
    }
}

package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.CODE;
import static dev.vmm.core.cpu.SysTestSupport.asm;
import static dev.vmm.core.cpu.SysTestSupport.assertFault;
import static dev.vmm.core.cpu.SysTestSupport.assertNoFault;
import static dev.vmm.core.cpu.SysTestSupport.flat;
import static dev.vmm.core.cpu.SysTestSupport.real;
import static dev.vmm.core.cpu.SysTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * What the host cannot show about the x87 (the differential test runs in 64-bit user mode): the environment and
 * state images of FNSTENV/FLDENV/FNSAVE/FRSTOR in the 16- and 32-bit formats of protected, real and virtual-8086
 * mode (SDM vol. 1, figures 8-9 to 8-12), the last-instruction pointers FIP/FCS/FOP/FDP/FDS, #NM by CR0.EM/TS,
 * #MF with CR0.NE and FERR# without it, and faults that leave the FPU and memory unchanged.
 */
class X87SystemTest {
    private static final long DATA = 0x3000;
    private static final long ENV = 0x4000;
    private static final int HLT = 0xF4;

    /** Continues after a HLT. */
    private static void resume(CpuFixture f) {
        f.cpu.halted = false;
        run(f);
    }

    private static int d(CpuFixture f, long a) {
        return f.mem.read32(a);
    }

    private static int w(CpuFixture f, long a) {
        return f.mem.read16(a) & 0xFFFF;
    }

    /** Flat 32-bit fixture with ESI = DATA (1.0f at DATA+4) and EDI = ENV. */
    private static CpuFixture flatFpu(int... code) {
        CpuFixture f = flat(code);
        f.cpu.r[Cpu.ESI] = DATA;
        f.cpu.r[Cpu.EDI] = ENV;
        f.mem.write32(DATA + 4, 0x3F80_0000);
        return f;
    }

    // ---- environment images ------------------------------------------------------------------------------------

    @Test
    void fnstenvStoresThe32BitProtectedModeFormat() {
        int[] code = asm()
                .b(0xDB, 0xE3)                 // +0  fninit
                .b(0xD9, 0xE8)                 // +2  fld1
                .b(0x3E, 0xD8, 0x46, 0x04)     // +4  fadd dword ds:[esi+4]   (FIP points at the prefix)
                .b(0xD9, 0xE0)                 // +8  fchs                    (no memory operand: FDP stays)
                .b(0xD9, 0x37)                 // +10 fnstenv [edi]
                .b(HLT).build();
        try (CpuFixture f = flatFpu(code)) {
            run(f);
            assertNoFault(f);
            assertEquals(0xFFFF_037F, d(f, ENV), "FCW, reserved upper word all ones");
            assertEquals(0xFFFF_3800, d(f, ENV + 4), "FSW: TOP = 7");
            assertEquals(0xFFFF_3FFF, d(f, ENV + 8), "FTW: R7 valid, the rest empty");
            assertEquals((int) CODE + 8, d(f, ENV + 12), "FIP: the FCHS");
            assertEquals(0x01E0 << 16 | 0x08, d(f, ENV + 16), "FOP D9 E0 (low 3 bits of D9, ModRM) and FCS");
            assertEquals((int) DATA + 4, d(f, ENV + 20), "FDP: the FADD operand");
            assertEquals(0xFFFF_0010, d(f, ENV + 24), "FDS");
            assertEquals(0x037F, f.cpu.fpu.fcw, "FNSTENV masks all exceptions (already masked)");
        }
    }

    @Test
    void fnstenvWithOperandSizePrefixStoresThe16BitProtectedModeFormat() {
        int[] code = asm()
                .b(0xDB, 0xE3)                 // +0 fninit
                .b(0xD9, 0xE8)                 // +2 fld1
                .b(0xD8, 0x46, 0x04)           // +4 fadd dword [esi+4]
                .b(0x66, 0xD9, 0x37)           // +7 fnstenv [edi] (14 bytes)
                .b(HLT).build();
        try (CpuFixture f = flatFpu(code)) {
            f.mem.write32(ENV + 14, 0x5A5A_5A5A);
            run(f);
            assertNoFault(f);
            assertEquals(0x037F, w(f, ENV));
            assertEquals(0x3800, w(f, ENV + 2));
            assertEquals(0x3FFF, w(f, ENV + 4));
            assertEquals((int) (CODE + 4) & 0xFFFF, w(f, ENV + 6), "FIP offset (low 16 bits)");
            assertEquals(0x08, w(f, ENV + 8), "FCS");
            assertEquals((int) (DATA + 4) & 0xFFFF, w(f, ENV + 10), "FDP offset");
            assertEquals(0x10, w(f, ENV + 12), "FDS");
            assertEquals(0x5A5A_5A5A, d(f, ENV + 14), "nothing written past 14 bytes");
        }
    }

    /** Real mode: code at 1000:0000 (a linear address above 64 KiB), DS = 1234h. */
    private static CpuFixture realFpu(int[] body) {
        CpuFixture f = real(asm().b(0xB8, 0x34, 0x12, 0x8E, 0xD8)    // mov ax,1234h ; mov ds,ax
                .b(0xEA, 0x00, 0x00, 0x00, 0x10).build());              // jmp far 1000:0000
        f.load(0x10000, body);
        f.cpu.r[Cpu.ESI] = 0x10;
        f.cpu.r[Cpu.EDI] = 0x200;
        f.mem.write32(0x12340 + 0x14, 0x3F80_0000);
        return f;
    }

    @Test
    void realModeEnvironmentHoldsLinearPointersIn16And32BitFormats() {
        int[] body = asm()
                .b(0xDB, 0xE3)                 // 1000:0000 fninit
                .b(0xD9, 0xE8)                 //      0002 fld1
                .b(0xD8, 0x44, 0x04)           //      0004 fadd dword [si+4]   (DS:0014 = linear 12354h)
                .b(0xD9, 0x35)                 //      0007 fnstenv [di]        (16-bit format at DS:0200)
                .b(0x66, 0xD9, 0x75, 0x20)     //      0009 fnstenv [di+20h]    (32-bit format at DS:0220)
                .b(HLT).build();
        try (CpuFixture f = realFpu(body)) {
            run(f);
            assertEquals(0x10000 + 0x0D, f.cpu.seg[Cpu.CS].base + f.cpu.rip - 1, "ran to the final HLT");
            long e16 = 0x12340 + 0x200;
            int fop = 0x044;                   // D8 44: low 3 bits of D8 = 0, ModRM 44h
            assertEquals(0x037F, w(f, e16));
            assertEquals(0x3800, w(f, e16 + 2));
            assertEquals(0x3FFF, w(f, e16 + 4));
            assertEquals(0x0004, w(f, e16 + 6), "FIP bits 15-0 of linear 10004h");
            assertEquals(0x1000 | fop, w(f, e16 + 8), "FIP bits 19-16 in bits 15-12, then FOP");
            assertEquals(0x2354, w(f, e16 + 10), "FDP bits 15-0 of linear 12354h");
            assertEquals(0x1000, w(f, e16 + 12), "FDP bits 19-16 in bits 15-12");
            long e32 = e16 + 0x20;
            assertEquals(0xFFFF_037F, d(f, e32));
            assertEquals(0xFFFF_3800, d(f, e32 + 4));
            assertEquals(0xFFFF_3FFF, d(f, e32 + 8));
            assertEquals(0xFFFF_0004, d(f, e32 + 12), "FIP bits 15-0");
            assertEquals(0x1000 | fop, d(f, e32 + 16), "FIP bits 31-16 in bits 27-12, FOP in 10-0");
            assertEquals(0xFFFF_2354, d(f, e32 + 20), "FDP bits 15-0");
            assertEquals(0x1000, d(f, e32 + 24), "FDP bits 31-16 in bits 27-12");
        }
    }

    @Test
    void realModeFldenvLoadsLinearPointersThatFnstenvStoresBack() {
        int[] body = asm()
                .b(0xD9, 0x25)                 // fldenv [di]       (16-bit image at DS:0200)
                .b(0xD9, 0x75, 0x40)           // fnstenv [di+40h]
                .b(0x66, 0xD9, 0x65, 0x20)     // fldenv [di+20h]   (32-bit image at DS:0220)
                .b(0x66, 0xD9, 0x75, 0x60)     // fnstenv [di+60h]
                .b(HLT).build();
        try (CpuFixture f = realFpu(body)) {
            long img = 0x12340 + 0x200;
            int[] e16 = {0x0372, 0x4100 | 0x3000, 0xFFF7, 0xBEEF, 0x7000 | 0x5AB, 0x1234, 0xC000};
            for (int k = 0; k < e16.length; k++) {
                f.mem.write16(img + 2L * k, e16[k]);
            }
            int[] e32 = {0xFFFF_0B7F, 0xFFFF_0000 | 0x0800, 0xFFFF_FFFD, 0xFFFF_CAFE, 0x0ABC_D000 | 0x123, 0xFFFF_0042,
                0x0765_4000};
            for (int k = 0; k < e32.length; k++) {
                f.mem.write32(img + 0x20 + 4L * k, e32[k]);
            }
            run(f);
            for (int k = 0; k < e16.length; k++) {
                assertEquals(e16[k], w(f, img + 0x40 + 2L * k), "16-bit image word " + k);
            }
            for (int k = 0; k < e32.length; k++) {
                assertEquals(e32[k], d(f, img + 0x60 + 4L * k), "32-bit image dword " + k);
            }
            Fpu fpu = f.cpu.fpu;
            assertEquals(0, fpu.fcs, "real-mode FLDENV: selectors 0, offsets are the linear addresses");
            assertEquals(0xABCD_CAFEL, fpu.fip);
            assertEquals(0x123, fpu.fop);
            assertEquals(0x7654_0042L, fpu.fdp);
            assertEquals(1, fpu.top);
            assertEquals(0xFE, fpu.emptyMask, "FTW FFFDh: R0 in use (its tag recomputed from the contents, +0: 01)");
        }
    }

    @Test
    void virtual8086ModeUsesTheRealModeFormat() {
        try (CpuFixture f = flatFpu(HLT)) {
            int cs = 0x2000;
            int ds = 0x4000;
            f.load(((long) cs << 4) + 0x100, 0xDB, 0xE3, 0xD9, 0xE8, 0xD8, 0x44, 0x04, 0xD9, 0x35, HLT);
            f.mem.write32(((long) ds << 4) + 0x14, 0x3F80_0000);
            f.cpu.flags.set(Flags.VM | Flags.IF | 2);
            for (int s = 0; s < 6; s++) {
                f.cpu.seg[s].set(s == Cpu.CS ? cs : ds, (long) (s == Cpu.CS ? cs : ds) << 4, 0xFFFF, 0xF3);
            }
            f.cpu.cpl = 3;
            f.cpu.rip = 0x100;
            f.cpu.r[Cpu.ESP] = 0xFFE;
            f.cpu.r[Cpu.ESI] = 0x10;
            f.cpu.r[Cpu.EDI] = 0x200;
            run(f);
            assertFault(f, Exceptions.GP, 0);   // the final HLT is privileged in v86 mode
            long img = ((long) ds << 4) + 0x200;
            assertEquals(0x0104, w(f, img + 6), "FIP bits 15-0 of linear 20104h");
            assertEquals(0x2000 | 0x044, w(f, img + 8));
            assertEquals(0x0014, w(f, img + 10), "FDP bits 15-0 of linear 40014h");
            assertEquals(0x4000, w(f, img + 12));
        }
    }

    @Test
    void fnsaveStoresTheRegistersInStackOrderAndReinitializesThenFrstorRestores() {
        int[] code = asm()
                .b(0xDB, 0xE3)                 // fninit
                .b(0xD9, 0xE8)                 // fld1
                .b(0xD9, 0xEB)                 // fldpi
                .b(0xD9, 0xEE)                 // fldz
                .b(0xD9, 0x2E)                 // fldcw [esi]   (0F7Fh: round toward zero)
                .b(0xDD, 0x37)                 // fnsave [edi]
                .b(0xDD, 0x77, 0x6C)           // fnsave [edi+108]  (the FNINIT state)
                .b(0xDD, 0x27)                 // frstor [edi]
                .b(HLT).build();
        try (CpuFixture f = flatFpu(code)) {
            f.mem.write16(DATA, 0x0F7F);
            run(f);
            assertNoFault(f);
            assertEquals(0xFFFF_0F7F, d(f, ENV));
            assertEquals(0xFFFF_2800, d(f, ENV + 4), "TOP = 5");
            assertEquals(0xFFFF_07FF, d(f, ENV + 8), "R5 zero (01), R6 and R7 valid, the rest empty");
            long regs = ENV + 28;
            assertEquals(0L, f.mem.read64(regs), "ST(0) = +0");
            assertEquals(0xC90F_DAA2_2168_C235L, f.mem.read64(regs + 10), "ST(1) = pi");
            assertEquals(0x4000, w(f, regs + 18));
            assertEquals(0x8000_0000_0000_0000L, f.mem.read64(regs + 20), "ST(2) = 1");
            assertEquals(0x3FFF, w(f, regs + 28));
            long init = ENV + 108;
            assertEquals(0xFFFF_037F, d(f, init), "FNSAVE left the FNINIT state");
            assertEquals(0xFFFF_0000, d(f, init + 4));
            assertEquals(0xFFFF_FFFF, d(f, init + 8));
            assertEquals(0, d(f, init + 12), "pointers cleared");
            Fpu fpu = f.cpu.fpu;
            assertEquals(0x0F7F, fpu.fcw, "FRSTOR brought the saved state back");
            assertEquals(5, fpu.top);
            assertEquals(0x1F, fpu.emptyMask);
            assertEquals(0x4000, fpu.stSe(1));
        }
    }

    @Test
    void frstorWith16BitOperandSizeUsesThe94ByteImage() {
        int[] code = asm()
                .b(0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xEA)   // fninit ; fld1 ; fldl2e
                .b(0x66, 0xDD, 0x37)                     // fnsave [edi]   (14 + 80 bytes)
                .b(0x66, 0xDD, 0x27)                     // frstor [edi]
                .b(HLT).build();
        try (CpuFixture f = flatFpu(code)) {
            f.mem.write32(ENV + 94, 0x5A5A_5A5A);
            run(f);
            assertNoFault(f);
            assertEquals(0x3000, w(f, ENV + 2), "TOP = 6");
            assertEquals(0x0FFF, w(f, ENV + 4));
            assertEquals(0xB8AA_3B29_5C17_F0BCL, f.mem.read64(ENV + 14), "ST(0) = log2(e) right after the header");
            assertEquals(0x3FFF, w(f, ENV + 14 + 18), "ST(1) = 1");
            assertEquals(0x5A5A_5A5A, d(f, ENV + 94));
            assertEquals(6, f.cpu.fpu.top);
            assertEquals(0x3F, f.cpu.fpu.emptyMask);
        }
    }

    // ---- last-instruction pointers ------------------------------------------------------------------------------

    @Test
    void controlInstructionsKeepThePointersAndFnopAndFninitDoNot() {
        int[] code = asm()
                .b(0xDB, 0xE3)                 // +0  fninit
                .b(0xD9, 0xE8)                 // +2  fld1
                .b(0xD8, 0x46, 0x04)           // +4  fadd dword [esi+4]
                .b(0xD9, 0x7F, 0x40)           // +7  fnstcw [edi+40h]
                .b(0xD9, 0x6F, 0x40)           // +10 fldcw [edi+40h]
                .b(0xDB, 0xE2)                 // +13 fnclex
                .b(0xDF, 0xE0)                 // +15 fnstsw ax
                .b(0xDD, 0x7F, 0x44)           // +17 fnstsw [edi+44h]
                .b(0xD9, 0x37)                 // +20 fnstenv [edi]
                .b(0xD9, 0x27)                 // +22 fldenv [edi]
                .b(0x9B)                       // +24 fwait
                .b(HLT)                        // +25
                .b(0xD9, 0xD0)                 // +26 fnop
                .b(HLT)                        // +28
                .b(0xDB, 0xE3)                 // +29 fninit
                .b(HLT).build();
        try (CpuFixture f = flatFpu(code)) {
            Fpu fpu = f.cpu.fpu;
            run(f);
            assertNoFault(f);
            assertEquals(CODE + 4, fpu.fip);
            assertEquals(0x08, fpu.fcs);
            assertEquals(0x046, fpu.fop);
            assertEquals(DATA + 4, fpu.fdp);
            assertEquals(0x10, fpu.fds);
            resume(f);
            assertEquals(CODE + 26, fpu.fip, "FNOP is not a control instruction");
            assertEquals(0x1D0, fpu.fop);
            assertEquals(DATA + 4, fpu.fdp, "no memory operand: FDP unchanged");
            resume(f);
            assertEquals(0, fpu.fip);
            assertEquals(0, fpu.fop);
            assertEquals(0, fpu.fdp);
            assertEquals(0, fpu.fcs | fpu.fds);
        }
    }

    // ---- #NM, #MF, FERR# ----------------------------------------------------------------------------------------

    @Test
    void emOrTsRaiseNmForEveryX87InstructionIncludingTheNoWaitForms() {
        int[][] programs = {{0xD9, 0xE8, HLT}, {0xDB, 0xE3, HLT}, {0xDF, 0xE0, HLT}, {0xD9, 0x37, HLT}};
        for (long cr0 : new long[] {Cpu.CR0_TS, Cpu.CR0_EM, Cpu.CR0_EM | Cpu.CR0_MP}) {
            for (int[] p : programs) {
                try (CpuFixture f = flatFpu(p)) {
                    f.cpu.cr0 |= cr0;
                    run(f);
                    assertFault(f, Exceptions.NM, -1);
                }
            }
        }
        try (CpuFixture f = flatFpu(0xD9, 0xE8, HLT)) {
            f.cpu.cr0 |= Cpu.CR0_MP;
            run(f);
            assertNoFault(f);
        }
    }

    /** FNINIT, unmask IE, FLD1, FCHS, FSQRT (invalid: ES set, ST(0) stays -1), then a waiting FLD1. */
    private static final int[] INVALID_THEN_FLD1 = asm()
            .b(0xDB, 0xE3)                     // +0  fninit
            .b(0xD9, 0x2E)                     // +2  fldcw [esi]  (037Eh)
            .b(0xD9, 0xE8, 0xD9, 0xE0)         // +4  fld1 ; fchs
            .b(0xD9, 0xFA)                     // +8  fsqrt
            .b(0xDF, 0xE0)                     // +10 fnstsw ax (no wait: no fault)
            .b(0xD9, 0xE8)                     // +12 fld1      (waiting: reports the pending exception)
            .b(HLT)
            .b(0xDB, 0xE2)                     // +15 fnclex
            .b(HLT).build();

    @Test
    void pendingUnmaskedExceptionRaisesMfWithNeAtTheNextWaitingInstruction() {
        try (CpuFixture f = flatFpu(INVALID_THEN_FLD1)) {
            f.mem.write16(DATA, 0x037E);
            f.cpu.cr0 |= Cpu.CR0_NE;
            run(f);
            assertFault(f, Exceptions.MF, -1);
            assertEquals(CODE + 12, SysTestSupport.top(f, 0), "#MF is a fault on the waiting FLD1");
            Fpu fpu = f.cpu.fpu;
            assertEquals(0x0081 | 0x8000 | 7 << 11, fpu.statusWord(), "IE, ES, B; TOP 7");
            assertEquals(0xBFFF, fpu.stSe(0), "the invalid FSQRT left -1");
            assertEquals(0x7F, fpu.emptyMask, "only R7 in use: the FLD1 that faulted pushed nothing");
            assertEquals(0x0081 | 0x8000 | 7 << 11, (int) f.cpu.r[Cpu.EAX] & 0xFFFF, "FNSTSW AX did not wait");
            assertEquals(CODE + 8, fpu.fip, "FIP: the FSQRT that raised the exception");
            assertEquals(0x1FA, fpu.fop);
        }
    }

    /** FERR# as a board sees it: the level and the number of assertions (low-to-high edges). */
    private static final class FerrPin implements dev.vmm.core.irq.IrqLine {
        boolean level;
        int edges;

        @Override
        public void set(boolean l) {
            if (l && !level) {
                edges++;
            }
            level = l;
        }
    }

    @Test
    void withoutNeAPendingExceptionAssertsFerrAndExecutionContinues() {
        FerrPin ferr = new FerrPin();
        try (CpuFixture f = flatFpu(INVALID_THEN_FLD1)) {
            f.mem.write16(DATA, 0x037E);
            f.cpu.setFerr(ferr);
            run(f);
            assertNoFault(f);
            assertTrue(ferr.level, "FERR# asserted by the waiting FLD1");
            assertEquals(1, ferr.edges);
            assertEquals(6, f.cpu.fpu.top, "the FLD1 ran (IGNNE# behaviour of a PC)");
            assertTrue((f.cpu.fpu.fsw & Fpu.SW_ES) != 0);
            resume(f);
            assertFalse(ferr.level, "FNCLEX cleared ES and withdrew FERR#");
            assertEquals(0, f.cpu.fpu.fsw & 0x80FF);
        }
    }

    // ---- faults leave everything unchanged ----------------------------------------------------------------------

    /** FNINIT, FLD1, FLDPI, then the instruction under test with DS a 64 KiB data segment and EDI near its end. */
    private static CpuFixture limitFixture(int... insn) {
        int[] code = asm().b(0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xEB).b(insn).b(HLT).build();
        CpuFixture f = flatFpu(code);
        f.loadSeg(Cpu.DS, 0x20);
        return f;
    }

    private static void assertUntouched(CpuFixture f, long from, int n) {
        for (int k = 0; k < n; k++) {
            assertEquals(0, f.mem.read8(from + k), "memory at " + Long.toHexString(from + k));
        }
    }

    @Test
    void aStoreBeyondTheSegmentLimitFaultsWithoutPoppingOrWriting() {
        try (CpuFixture f = limitFixture(0xDB, 0x3F)) {           // fstp tbyte [edi]
            f.cpu.r[Cpu.EDI] = 0xFFF8;
            run(f);
            assertFault(f, Exceptions.GP, 0);
            Fpu fpu = f.cpu.fpu;
            assertEquals(6, fpu.top, "not popped");
            assertFalse(fpu.isEmpty(0));
            assertEquals(0x4000, fpu.stSe(0), "pi still on top");
            assertEquals(CODE + 4, fpu.fip, "FIP still the FLDPI: the faulting store changed no pointer");
            assertUntouched(f, 0xFFF8, 8);
        }
    }

    @Test
    void fnsaveBeyondTheLimitFaultsWithoutWritingOrReinitializing() {
        try (CpuFixture f = limitFixture(0xDD, 0x37)) {           // fnsave [edi]
            f.cpu.r[Cpu.EDI] = 0xFFA0;                            // 108 bytes would end at 1000Bh
            run(f);
            assertFault(f, Exceptions.GP, 0);
            Fpu fpu = f.cpu.fpu;
            assertEquals(6, fpu.top);
            assertEquals(0x3F, fpu.emptyMask);
            assertUntouched(f, 0xFFA0, 0x60);
        }
    }

    @Test
    void frstorBeyondTheLimitFaultsWithoutLoadingAnything() {
        try (CpuFixture f = limitFixture(0xDD, 0x27)) {           // frstor [edi]
            f.cpu.r[Cpu.EDI] = 0xFFA0;
            for (int k = 0; k < 0x60; k++) {
                f.mem.write8(0xFFA0 + k, 0xFF);
            }
            run(f);
            assertFault(f, Exceptions.GP, 0);
            Fpu fpu = f.cpu.fpu;
            assertEquals(0x037F, fpu.fcw);
            assertEquals(6, fpu.top);
            assertEquals(0x3F, fpu.emptyMask);
        }
    }

    @Test
    void fldenvBeyondTheLimitFaultsWithoutLoadingAnything() {
        try (CpuFixture f = limitFixture(0xD9, 0x27)) {           // fldenv [edi]
            f.cpu.r[Cpu.EDI] = 0xFFF0;                            // 28 bytes would end at 1000Bh
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(0x037F, f.cpu.fpu.fcw);
            assertEquals(6, f.cpu.fpu.top);
        }
    }

    @Test
    void theUnmaskedOverflowResponseDoesNotLeakIntoTheScratchEnvironmentSseShares() {
        int[] code = asm()
                .b(0xDB, 0xE3, 0xD9, 0x2E)     // fninit ; fldcw [esi]   (0360h: OM and UM unmasked)
                .b(0xD9, 0xE8, 0xD8, 0xC8)     // fld1 ; fmul st, st(0)
                .b(HLT).build();
        try (CpuFixture f = flatFpu(code)) {
            f.mem.write16(DATA, 0x0360);
            run(f);
            assertNoFault(f);
            assertFalse(f.cpu.fpu.env.ueUnmasked);
            assertFalse(f.cpu.fpu.env.oeUnmasked);
        }
    }

    // ---- FISTTP and CPUID ---------------------------------------------------------------------------------------

    /**
     * FISTTP is an SSE3 instruction and CPUID does not report SSE3 (the rest of SSE3 is not implemented); it is
     * decoded and executed anyway, as the issue asks: a program that checks CPUID never uses it, and one that does
     * not gets the right result instead of #UD.
     */
    @Test
    void fisttpRunsThoughCpuidDoesNotReportSse3() {
        assertEquals(0, Cpuid.query(1)[2] & 1, "CPUID.1:ECX.SSE3");
        int[] code = asm()
                .b(0xDB, 0xE3)                 // fninit
                .b(0xD9, 0x46, 0x08)           // fld dword [esi+8]   (-2.75)
                .b(0xDB, 0x4F, 0x10)           // fisttp dword [edi+10h]
                .b(HLT).build();
        try (CpuFixture f = flatFpu(code)) {
            f.mem.write32(DATA + 8, Float.floatToIntBits(-2.75f));
            run(f);
            assertNoFault(f);
            assertEquals(-2, d(f, ENV + 0x10), "truncated toward zero whatever the rounding control");
            assertEquals(0xFF, f.cpu.fpu.emptyMask, "popped");
            Insn i = Decoder.decode(CodeSource.of(new byte[] {(byte) 0xDD, 0x08}, 0), 32);
            assertNotNull(i.entry);
            assertEquals("fisttp qword ptr [eax]", i.toString());
        }
    }
}

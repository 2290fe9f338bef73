package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.ArithTestSupport.CODE;
import static dev.vmm.core.cpu.ArithTestSupport.real;
import static dev.vmm.core.cpu.ArithTestSupport.reg32;
import static dev.vmm.core.cpu.ArithTestSupport.runToEnd;
import static dev.vmm.core.cpu.ArithTestSupport.runToFault;
import static dev.vmm.core.cpu.ArithTestSupport.status;
import static dev.vmm.core.cpu.Flags.AF;
import static dev.vmm.core.cpu.Flags.CF;
import static dev.vmm.core.cpu.Flags.OF;
import static dev.vmm.core.cpu.Flags.PF;
import static dev.vmm.core.cpu.Flags.SF;
import static dev.vmm.core.cpu.Flags.ZF;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** DAA DAS AAA AAS AAM AAD SALC (real mode; the SDM's examples where it gives them). */
class BcdOpsTest {

    @Test
    void daaAfterAddSdmExample() {
        // add al, bl (00 D8) ; daa (27): 79h + 35h = AEh -> 14h, CF = AF = 1
        try (CpuFixture f = real(0x00, 0xD8, 0x27)) {
            f.cpu.r[Cpu.EAX] = 0x79;
            f.cpu.r[Cpu.EBX] = 0x35;
            runToEnd(f, 3);
            assertEquals(0x14, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void daaWithCarryIn() {
        // stc ; daa: AL = 0x00 with CF -> 0x60, CF stays 1
        try (CpuFixture f = real(0xF9, 0x27)) {
            f.cpu.r[Cpu.EAX] = 0x1200;
            runToEnd(f, 2);
            assertEquals(0x1260, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | PF, status(f.cpu));
        }
    }

    @Test
    void dasAfterSubSdmExample() {
        // sub al, bl (28 D8) ; das (2F): 35h - 47h = EEh -> 88h, CF = AF = 1
        try (CpuFixture f = real(0x28, 0xD8, 0x2F)) {
            f.cpu.r[Cpu.EAX] = 0x35;
            f.cpu.r[Cpu.EBX] = 0x47;
            runToEnd(f, 3);
            assertEquals(0x88, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | AF | SF | PF, status(f.cpu));
        }
    }

    @Test
    void dasBorrowFromLowDigitOnly() {
        // AL = 03 with AF set: the low adjust 03 - 06 = FD borrows (CF = 1); old AL <= 99 and old CF = 0,
        // so no high adjust.
        try (CpuFixture f = real(0x2F)) {
            f.cpu.r[Cpu.EAX] = 0x03;
            f.cpu.flags.setArith(AF);
            runToEnd(f, 1);
            assertEquals(0xFD, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | AF | SF, status(f.cpu));
        }
    }

    @Test
    void aaaAdjustsWholeAx() {
        // add al, bl ; aaa: 08 + 06 = 0E -> AX = 0104, CF = AF = 1
        try (CpuFixture f = real(0x00, 0xD8, 0x37)) {
            f.cpu.r[Cpu.EAX] = 0x0008;
            f.cpu.r[Cpu.EBX] = 0x06;
            runToEnd(f, 3);
            assertEquals(0x0104, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | AF, status(f.cpu) & (CF | AF));
        }
        // AL = FA: the 386+ adds 0106 to AX, so the carry out of AL reaches AH: AX = 0200
        try (CpuFixture f = real(0x37)) {
            f.cpu.r[Cpu.EAX] = 0x00FA;
            runToEnd(f, 1);
            assertEquals(0x0200, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | AF | ZF | PF, status(f.cpu), "undefined OF/SF/ZF/PF: P6 sets them from AL");
        }
        // no adjustment: AL = 0x35 -> 0x05, CF = AF = 0
        try (CpuFixture f = real(0x37)) {
            f.cpu.r[Cpu.EAX] = 0x1235;
            f.cpu.flags.setArith(CF | OF);
            runToEnd(f, 1);
            assertEquals(0x1205, reg32(f.cpu, Cpu.EAX));
            assertEquals(PF, status(f.cpu));
        }
    }

    @Test
    void aasAdjustsWholeAx() {
        // AX = 01FF with AF: AX - 0106 = 00F9 -> AL & 0F = 09
        try (CpuFixture f = real(0x3F)) {
            f.cpu.r[Cpu.EAX] = 0x01FF;
            f.cpu.flags.setArith(AF);
            runToEnd(f, 1);
            assertEquals(0x0009, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void aamDefaultAndOtherBase() {
        // aam (D4 0A): AL = 79 -> AH 7, AL 9 ; aam 16 (D4 10) on AL = 4F -> AH 4, AL F
        try (CpuFixture f = real(0xD4, 0x0A)) {
            f.cpu.r[Cpu.EAX] = 0xFF4F;
            runToEnd(f, 2);
            assertEquals(0x0709, reg32(f.cpu, Cpu.EAX));
            assertEquals(PF, status(f.cpu));
        }
        try (CpuFixture f = real(0xD4, 0x10)) {
            f.cpu.r[Cpu.EAX] = 0x004F;
            f.cpu.flags.setArith(CF | AF | OF);
            runToEnd(f, 2);
            assertEquals(0x040F, reg32(f.cpu, Cpu.EAX));
            assertEquals(PF, status(f.cpu), "undefined OF/AF/CF cleared");
        }
    }

    @Test
    void aamZeroIsDivideErrorWithoutChanges() {
        try (CpuFixture f = real(0xD4, 0x00)) {
            f.cpu.r[Cpu.EAX] = 0x1234;
            f.cpu.flags.setArith(CF | SF);
            runToFault(f, Exceptions.DE);
            assertEquals(0x1234, reg32(f.cpu, Cpu.EAX));
            assertEquals(CODE, f.mem.read16(CpuFixture.STACK_TOP - 6), "IP of the AAM");
            assertEquals(CF | SF, f.mem.read16(CpuFixture.STACK_TOP - 2) & Flags.ARITH, "flags unchanged");
        }
    }

    @Test
    void aad() {
        // aad (D5 0A): AX = 0709 -> 004F ; aad 16 (D5 10): AX = 0F0F -> 00FF (0xF0 + 0x0F)
        try (CpuFixture f = real(0xD5, 0x0A)) {
            f.cpu.r[Cpu.EAX] = 0x0709;
            runToEnd(f, 2);
            assertEquals(0x004F, reg32(f.cpu, Cpu.EAX));
            assertEquals(0, status(f.cpu));
        }
        try (CpuFixture f = real(0xD5, 0x10)) {
            f.cpu.r[Cpu.EAX] = 0x0F0F;
            runToEnd(f, 2);
            assertEquals(0x00FF, reg32(f.cpu, Cpu.EAX));
            assertEquals(SF | PF, status(f.cpu));
        }
        // the sum wraps at 8 bits: AX = 1A06 with base 10 -> 260 + 6 = 266 -> 0x0A
        try (CpuFixture f = real(0xD5, 0x0A)) {
            f.cpu.r[Cpu.EAX] = 0x1A06;
            runToEnd(f, 2);
            assertEquals(0x000A, reg32(f.cpu, Cpu.EAX));
        }
    }

    @Test
    void salcCopiesCarryWithoutChangingFlags() {
        // stc ; salc ; mov bl, al (88 C3) ; clc ; salc
        try (CpuFixture f = real(0xF9, 0xD6, 0x88, 0xC3, 0xF8, 0xD6)) {
            f.cpu.r[Cpu.EAX] = 0x1234;
            f.cpu.flags.setArith(ZF | OF);
            runToEnd(f, 6);
            assertEquals(0xFF, reg32(f.cpu, Cpu.EBX));
            assertEquals(0x1200, reg32(f.cpu, Cpu.EAX));
            assertEquals(ZF | OF, status(f.cpu));
        }
    }
}

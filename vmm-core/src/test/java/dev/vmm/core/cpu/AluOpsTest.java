package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.ArithTestSupport.DATA;
import static dev.vmm.core.cpu.ArithTestSupport.flat32;
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

class AluOpsTest {

    @Test
    void add32OverflowIntoSign() {
        try (CpuFixture f = flat32(0x01, 0xD8)) { // add eax, ebx
            f.cpu.r[Cpu.EAX] = 0x7FFF_FFFFL;
            f.cpu.r[Cpu.EBX] = 1;
            runToEnd(f, 2);
            assertEquals(0x8000_0000L, reg32(f.cpu, Cpu.EAX));
            assertEquals(OF | SF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void adcUsesCarryIn() {
        // stc ; adc al, bl
        try (CpuFixture f = flat32(0xF9, 0x10, 0xD8)) {
            f.cpu.r[Cpu.EAX] = 0x12FF;
            f.cpu.r[Cpu.EBX] = 0;
            runToEnd(f, 3);
            assertEquals(0x1200, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | ZF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void adcWithCarryAndAllOnesWrapsToSameValue() {
        // stc ; adc eax, 0xFFFFFFFF (83 D0 FF): a + ~0 + 1 = a, carry out
        try (CpuFixture f = flat32(0xF9, 0x83, 0xD0, 0xFF)) {
            f.cpu.r[Cpu.EAX] = 0x1234_5678L;
            runToEnd(f, 4);
            assertEquals(0x1234_5678L, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | AF, status(f.cpu) & (CF | AF | OF | ZF));
        }
    }

    @Test
    void sbbWithBorrow16() {
        // stc ; sbb ax, bx (66 19 D8)
        try (CpuFixture f = flat32(0xF9, 0x66, 0x19, 0xD8)) {
            f.cpu.r[Cpu.EAX] = 0xABCD_0000L;
            f.cpu.r[Cpu.EBX] = 0;
            runToEnd(f, 4);
            assertEquals(0xABCD_FFFFL, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | SF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void subSignedOverflowAndCmpDoesNotWrite() {
        // sub al, 1 (2C 01) with AL = 0x80 ; cmp bl, cl (38 CB)
        try (CpuFixture f = flat32(0x2C, 0x01, 0x38, 0xCB)) {
            f.cpu.r[Cpu.EAX] = 0x80;
            f.cpu.r[Cpu.EBX] = 5;
            f.cpu.r[Cpu.ECX] = 7;
            runToEnd(f, 4);
            assertEquals(0x7F, reg32(f.cpu, Cpu.EAX));
            assertEquals(5, reg32(f.cpu, Cpu.EBX));
            // 5 - 7 = 0xFE: borrow, sign, half-borrow, no overflow; 0xFE has 7 ones -> PF clear
            assertEquals(CF | SF | AF, status(f.cpu));
        }
    }

    @Test
    void logicClearsCfOfAndAf() {
        // stc ; and eax, ebx
        try (CpuFixture f = flat32(0xF9, 0x21, 0xD8)) {
            f.cpu.r[Cpu.EAX] = 0xF0F0_F0F0L;
            f.cpu.r[Cpu.EBX] = 0x8F0F_0F0FL;
            f.cpu.flags.setMasked(OF | AF, OF | AF);
            runToEnd(f, 3);
            assertEquals(0x8000_0000L, reg32(f.cpu, Cpu.EAX));
            assertEquals(SF | PF, status(f.cpu));
        }
    }

    @Test
    void orXorAndTest() {
        // or al, 0x0F ; xor bl, bl ; test cl, 0x80 (F6 C1 80)
        try (CpuFixture f = flat32(0x0C, 0x0F, 0x30, 0xDB, 0xF6, 0xC1, 0x80)) {
            f.cpu.r[Cpu.EAX] = 0x30;
            f.cpu.r[Cpu.EBX] = 0x77;
            f.cpu.r[Cpu.ECX] = 0x81;
            runToEnd(f, 7);
            assertEquals(0x3F, reg32(f.cpu, Cpu.EAX));
            assertEquals(0, reg32(f.cpu, Cpu.EBX));
            assertEquals(0x81, reg32(f.cpu, Cpu.ECX), "TEST does not write");
            assertEquals(SF, status(f.cpu));
        }
    }

    @Test
    void memoryDestinationReadModifyWrite() {
        // add dword [ebx+4], eax ; lock sub word [ebx], 1 (F0 66 83 2B 01)
        try (CpuFixture f = flat32(0x01, 0x43, 0x04, 0xF0, 0x66, 0x83, 0x2B, 0x01)) {
            f.mem.write32(DATA + 4, 0x1111_1111);
            f.mem.write32(DATA, 0x5555_0000);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0x2222_2222L;
            runToEnd(f, 8);
            assertEquals(0x3333_3333, f.mem.read32(DATA + 4));
            assertEquals(0x5555_FFFF, f.mem.read32(DATA));
            assertEquals(CF | SF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void sign8ExtendedImmediate() {
        // add ax, -1 (66 83 C0 FF)
        try (CpuFixture f = flat32(0x66, 0x83, 0xC0, 0xFF)) {
            f.cpu.r[Cpu.EAX] = 0x0001_0001L;
            runToEnd(f, 4);
            assertEquals(0x0001_0000L, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | ZF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void incDecKeepCarry() {
        // stc ; inc al (FE C0) ; dec bx (66 FF CB)
        try (CpuFixture f = flat32(0xF9, 0xFE, 0xC0, 0x66, 0xFF, 0xCB)) {
            f.cpu.r[Cpu.EAX] = 0x7F;
            f.cpu.r[Cpu.EBX] = 0x8000;
            runToEnd(f, 6);
            assertEquals(0x80, reg32(f.cpu, Cpu.EAX));
            assertEquals(0x7FFF, reg32(f.cpu, Cpu.EBX));
            // DEC 0x8000: OF, AF (borrow from bit 4), PF of 0xFF; CF still set from STC
            assertEquals(CF | OF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void incAfterLazySubKeepsItsBorrow() {
        // sub eax, ebx (borrow) ; inc ecx
        try (CpuFixture f = flat32(0x29, 0xD8, 0xFF, 0xC1)) {
            f.cpu.r[Cpu.EAX] = 1;
            f.cpu.r[Cpu.EBX] = 2;
            f.cpu.r[Cpu.ECX] = 0xFFFF_FFFFL;
            runToEnd(f, 4);
            assertEquals(0, reg32(f.cpu, Cpu.ECX));
            assertEquals(CF | ZF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void negFlags() {
        // neg al ; neg bx (66 F7 DB) ; neg ecx (F7 D9)
        try (CpuFixture f = flat32(0xF6, 0xD8)) {
            f.cpu.r[Cpu.EAX] = 0x80;
            runToEnd(f, 2);
            assertEquals(0x80, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | OF | SF, status(f.cpu));
        }
        try (CpuFixture f = flat32(0xF7, 0xD9)) {
            f.cpu.r[Cpu.ECX] = 0;
            f.cpu.flags.setMasked(CF, CF);
            runToEnd(f, 2);
            assertEquals(0, reg32(f.cpu, Cpu.ECX));
            assertEquals(ZF | PF, status(f.cpu));
        }
        try (CpuFixture f = flat32(0x66, 0xF7, 0xDB)) {
            f.cpu.r[Cpu.EBX] = 0x1234_0001L;
            runToEnd(f, 3);
            assertEquals(0x1234_FFFFL, reg32(f.cpu, Cpu.EBX));
            assertEquals(CF | SF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void notLeavesFlags() {
        // not dword [ebx]
        try (CpuFixture f = flat32(0xF7, 0x13)) {
            f.mem.write32(DATA, 0x0F0F_0000);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.flags.setArith(CF | ZF | OF);
            runToEnd(f, 2);
            assertEquals(0xF0F0_FFFF, f.mem.read32(DATA));
            assertEquals(CF | ZF | OF, status(f.cpu));
        }
    }

    @Test
    void realModeSixteenBit() {
        // add ax, 0x8000 (05 00 80) ; adc dx, 0 (83 D2 00)
        try (CpuFixture f = real(0x05, 0x00, 0x80, 0x83, 0xD2, 0x00)) {
            f.cpu.r[Cpu.EAX] = 0x8001;
            f.cpu.r[Cpu.EDX] = 0x0010;
            runToEnd(f, 6);
            assertEquals(0x0001, reg32(f.cpu, Cpu.EAX));
            assertEquals(0x0011, reg32(f.cpu, Cpu.EDX));
        }
    }

    @Test
    void lockWithRegisterDestinationIsUd() {
        // lock add eax, ebx
        try (CpuFixture f = flat32(0xF0, 0x01, 0xD8)) {
            f.cpu.r[Cpu.EAX] = 1;
            runToFault(f, Exceptions.UD);
            assertEquals(1, reg32(f.cpu, Cpu.EAX));
        }
    }

    @Test
    void faultingWriteToReadOnlySegmentChangesNothing() {
        // stc ; add [ebx], eax  with DS = a read-only data segment
        try (CpuFixture f = flat32(0xF9, 0x01, 0x03)) {
            f.setGdt(8, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x91, 0x4));
            f.cpu.gdtLimit = 9 * 8 - 1;
            f.loadSeg(Cpu.DS, 0x40);
            f.mem.write32(DATA, 5);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0xFFFF_FFFFL;
            runToFault(f, Exceptions.GP);
            assertEquals(5, f.mem.read32(DATA));
            assertEquals(CF, status(f.cpu) & CF, "flags of STC, not of the ADD");
            assertEquals(0, f.mem.read32(CpuFixture.STACK_TOP - 16), "error code 0");
            assertEquals(ArithTestSupport.CODE + 1, f.mem.read32(CpuFixture.STACK_TOP - 12) & 0xFFFF_FFFFL,
                    "EIP of the ADD");
        }
    }
}

package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.ArithTestSupport.CODE;
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

/**
 * MUL/IMUL/DIV/IDIV. The SF/ZF/AF/PF values after a multiply are our Intel-compatible choice for
 * flags the SDM leaves undefined: SF, ZF, PF from the low half of the product, AF clear.
 */
class MulDivOpsTest {

    @Test
    void mul8SetsCarryAndLowHalfFlags() {
        // mul bl: 0x80 * 2 = 0x0100
        try (CpuFixture f = flat32(0xF6, 0xE3)) {
            f.cpu.r[Cpu.EAX] = 0xAAAA_0080L;
            f.cpu.r[Cpu.EBX] = 2;
            f.cpu.flags.setArith(AF | SF);
            runToEnd(f, 2);
            assertEquals(0xAAAA_0100L, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | OF | ZF | PF, status(f.cpu));
        }
    }

    @Test
    void mul32FullProduct() {
        // mul ebx: 0xFFFFFFFF^2 = 0xFFFFFFFE_00000001
        try (CpuFixture f = flat32(0xF7, 0xE3)) {
            f.cpu.r[Cpu.EAX] = 0xFFFF_FFFFL;
            f.cpu.r[Cpu.EBX] = 0xFFFF_FFFFL;
            runToEnd(f, 2);
            assertEquals(1, reg32(f.cpu, Cpu.EAX));
            assertEquals(0xFFFF_FFFEL, reg32(f.cpu, Cpu.EDX));
            assertEquals(CF | OF, status(f.cpu));
        }
    }

    @Test
    void mul16NoOverflowFromMemory() {
        // mul word [ebx] (66 F7 23): 0x1234 * 3 = 0x369C
        try (CpuFixture f = flat32(0x66, 0xF7, 0x23)) {
            f.mem.write16(DATA, 3);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0x5555_1234L;
            f.cpu.r[Cpu.EDX] = 0x6666_7777L;
            runToEnd(f, 3);
            assertEquals(0x5555_369CL, reg32(f.cpu, Cpu.EAX));
            assertEquals(0x6666_0000L, reg32(f.cpu, Cpu.EDX));
            assertEquals(PF, status(f.cpu));
        }
    }

    @Test
    void imul16OneOperandSignExtendedResult() {
        // imul bx (66 F7 EB): -2 * 3 = -6 fits: DX = FFFF
        try (CpuFixture f = flat32(0x66, 0xF7, 0xEB)) {
            f.cpu.r[Cpu.EAX] = 0xFFFE;
            f.cpu.r[Cpu.EBX] = 3;
            runToEnd(f, 3);
            assertEquals(0xFFFA, reg32(f.cpu, Cpu.EAX));
            assertEquals(0xFFFF, reg32(f.cpu, Cpu.EDX));
            assertEquals(SF | PF, status(f.cpu));
        }
    }

    @Test
    void imul8Overflow() {
        // imul cl: 0x40 * 2 = 0x0080 does not fit a signed byte
        try (CpuFixture f = flat32(0xF6, 0xE9)) {
            f.cpu.r[Cpu.EAX] = 0x40;
            f.cpu.r[Cpu.ECX] = 2;
            runToEnd(f, 2);
            assertEquals(0x0080, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | OF | SF, status(f.cpu));
        }
    }

    @Test
    void imulTwoAndThreeOperands() {
        // imul eax, ebx (0F AF C3) ; imul ecx, edx, -3 (6B CA FD) ; imul si, di, 0x1000 (66 69 F7 00 10)
        try (CpuFixture f = flat32(0x0F, 0xAF, 0xC3, 0x6B, 0xCA, 0xFD, 0x66, 0x69, 0xF7, 0x00, 0x10)) {
            f.cpu.r[Cpu.EAX] = 0x7FFF_FFFFL;
            f.cpu.r[Cpu.EBX] = 2;
            f.cpu.r[Cpu.EDX] = 7;
            f.cpu.r[Cpu.ESI] = 0xABCD_0000L;
            f.cpu.r[Cpu.EDI] = 0x10;
            runToEnd(f, 11);
            assertEquals(0xFFFF_FFFEL, reg32(f.cpu, Cpu.EAX));
            assertEquals(0xFFFF_FFEBL, reg32(f.cpu, Cpu.ECX), "7 * -3 = -21");
            // 0x10 * 0x1000 = 0x10000 overflows 16 bits: SI = 0
            assertEquals(0xABCD_0000L, reg32(f.cpu, Cpu.ESI));
            assertEquals(CF | OF | ZF | PF, status(f.cpu));
        }
    }

    @Test
    void div32AndRemainder() {
        // div ebx: 0x00000001_00000005 / 0x10 = 0x10000000 rem 5
        try (CpuFixture f = flat32(0xF7, 0xF3)) {
            f.cpu.r[Cpu.EDX] = 1;
            f.cpu.r[Cpu.EAX] = 5;
            f.cpu.r[Cpu.EBX] = 0x10;
            f.cpu.flags.setArith(CF | ZF | SF);
            runToEnd(f, 2);
            assertEquals(0x1000_0000L, reg32(f.cpu, Cpu.EAX));
            assertEquals(5, reg32(f.cpu, Cpu.EDX));
            assertEquals(CF | ZF | SF, status(f.cpu), "flags left unchanged");
        }
    }

    @Test
    void div8And16() {
        // div cl (F6 F1): 1000 / 7 = 142 rem 6 ; div bx (66 F7 F3): 0x0001_0000 / 2 = 0x8000 rem 0
        try (CpuFixture f = flat32(0xF6, 0xF1)) {
            f.cpu.r[Cpu.EAX] = 1000;
            f.cpu.r[Cpu.ECX] = 7;
            runToEnd(f, 2);
            assertEquals(6 << 8 | 142, reg32(f.cpu, Cpu.EAX));
        }
        try (CpuFixture f = flat32(0x66, 0xF7, 0xF3)) {
            f.cpu.r[Cpu.EDX] = 0x1111_0001L;
            f.cpu.r[Cpu.EAX] = 0x2222_0000L;
            f.cpu.r[Cpu.EBX] = 2;
            runToEnd(f, 3);
            assertEquals(0x2222_8000L, reg32(f.cpu, Cpu.EAX));
            assertEquals(0x1111_0000L, reg32(f.cpu, Cpu.EDX));
        }
    }

    @Test
    void idivTruncatesTowardZero() {
        // idiv ebx: -7 / 2 = -3 rem -1
        try (CpuFixture f = flat32(0xF7, 0xFB)) {
            f.cpu.r[Cpu.EDX] = 0xFFFF_FFFFL;
            f.cpu.r[Cpu.EAX] = 0xFFFF_FFF9L;
            f.cpu.r[Cpu.EBX] = 2;
            runToEnd(f, 2);
            assertEquals(0xFFFF_FFFDL, reg32(f.cpu, Cpu.EAX));
            assertEquals(0xFFFF_FFFFL, reg32(f.cpu, Cpu.EDX));
        }
    }

    @Test
    void idivMostNegativeQuotientIsValid() {
        // idiv cl: -256 / 2 = -128 (0x80) rem 0
        try (CpuFixture f = flat32(0xF6, 0xF9)) {
            f.cpu.r[Cpu.EAX] = 0xFF00;
            f.cpu.r[Cpu.ECX] = 2;
            runToEnd(f, 2);
            assertEquals(0x0080, reg32(f.cpu, Cpu.EAX));
        }
        // idiv ebx: 0xFFFFFFFF_80000000 / 1 = 0x80000000
        try (CpuFixture f = flat32(0xF7, 0xFB)) {
            f.cpu.r[Cpu.EDX] = 0xFFFF_FFFFL;
            f.cpu.r[Cpu.EAX] = 0x8000_0000L;
            f.cpu.r[Cpu.EBX] = 1;
            runToEnd(f, 2);
            assertEquals(0x8000_0000L, reg32(f.cpu, Cpu.EAX));
            assertEquals(0, reg32(f.cpu, Cpu.EDX));
        }
    }

    @Test
    void divideByZeroFaultsWithoutChanges() {
        // stc ; div ecx (ECX = 0)
        try (CpuFixture f = flat32(0xF9, 0xF7, 0xF1)) {
            f.cpu.r[Cpu.EAX] = 0x1234;
            f.cpu.r[Cpu.EDX] = 0x5678;
            runToFault(f, Exceptions.DE);
            assertEquals(0x1234, reg32(f.cpu, Cpu.EAX));
            assertEquals(0x5678, reg32(f.cpu, Cpu.EDX));
            assertEquals(CODE + 1, f.mem.read32(CpuFixture.STACK_TOP - 12) & 0xFFFF_FFFFL, "EIP of the DIV");
            assertEquals(CF, f.mem.read32(CpuFixture.STACK_TOP - 4) & CF, "pushed EFLAGS still have CF of STC");
        }
    }

    @Test
    void quotientOverflowFaults() {
        // div bl: 0x1000 / 0x10 = 0x100 does not fit AL
        try (CpuFixture f = real(0xF6, 0xF3)) {
            f.cpu.r[Cpu.EAX] = 0x1000;
            f.cpu.r[Cpu.EBX] = 0x10;
            runToFault(f, Exceptions.DE);
            assertEquals(0x1000, reg32(f.cpu, Cpu.EAX));
            assertEquals(CODE, f.mem.read16(CpuFixture.STACK_TOP - 6), "IP of the DIV");
        }
        // idiv cl: 0x80 * 2 = 256 / 2 = 128 does not fit a signed byte
        try (CpuFixture f = real(0xF6, 0xF9)) {
            f.cpu.r[Cpu.EAX] = 0x0100;
            f.cpu.r[Cpu.ECX] = 2;
            runToFault(f, Exceptions.DE);
            assertEquals(0x0100, reg32(f.cpu, Cpu.EAX));
        }
        // idiv ebx: 0x80000000_00000000 / -1
        try (CpuFixture f = flat32(0xF7, 0xFB)) {
            f.cpu.r[Cpu.EDX] = 0x8000_0000L;
            f.cpu.r[Cpu.EAX] = 0;
            f.cpu.r[Cpu.EBX] = 0xFFFF_FFFFL;
            runToFault(f, Exceptions.DE);
            assertEquals(0x8000_0000L, reg32(f.cpu, Cpu.EDX));
        }
        // idiv bx (16-bit): 0x00010000 / 1 = 65536
        try (CpuFixture f = flat32(0x66, 0xF7, 0xFB)) {
            f.cpu.r[Cpu.EDX] = 1;
            f.cpu.r[Cpu.EAX] = 0;
            f.cpu.r[Cpu.EBX] = 1;
            runToFault(f, Exceptions.DE);
            assertEquals(0, reg32(f.cpu, Cpu.EAX));
        }
    }
}

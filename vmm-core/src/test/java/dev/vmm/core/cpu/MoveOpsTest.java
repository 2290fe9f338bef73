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

/** MOVZX MOVSX XCHG XLAT CBW/CWDE CWD/CDQ CMOVcc BSWAP XADD CMPXCHG CMPXCHG8B. */
class MoveOpsTest {

    /** Makes DS a read-only flat data segment (GDT entry 8, selector 0x40). */
    private static void readOnlyDs(CpuFixture f) {
        f.setGdt(8, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x91, 0x4));
        f.cpu.gdtLimit = 9 * 8 - 1;
        f.loadSeg(Cpu.DS, 0x40);
    }

    @Test
    void movzxMovsx() {
        // movsx eax, byte [ebx] ; movzx cx, dl (66 0F B6 CA) ; movzx esi, word [ebx+2] ; movsx di, byte [ebx]
        try (CpuFixture f = flat32(0x0F, 0xBE, 0x03, 0x66, 0x0F, 0xB6, 0xCA, 0x0F, 0xB7, 0x73, 0x02,
                0x66, 0x0F, 0xBE, 0x3B)) {
            f.mem.write32(DATA, 0xBEEF_0080);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.ECX] = 0x1234_5678L;
            f.cpu.r[Cpu.EDX] = 0xF0;
            f.cpu.r[Cpu.EDI] = 0xAAAA_AAAAL;
            runToEnd(f, 15);
            assertEquals(0xFFFF_FF80L, reg32(f.cpu, Cpu.EAX));
            assertEquals(0x1234_00F0L, reg32(f.cpu, Cpu.ECX));
            assertEquals(0x0000_BEEFL, reg32(f.cpu, Cpu.ESI));
            assertEquals(0xAAAA_FF80L, reg32(f.cpu, Cpu.EDI));
        }
    }

    @Test
    void xchgForms() {
        // xchg [ebx], ecx (87 0B) ; xchg al, ah (86 C4) ; xchg bx, ax (66 93)
        try (CpuFixture f = flat32(0x87, 0x0B, 0x86, 0xC4, 0x66, 0x93)) {
            f.mem.write32(DATA, 0x1111_2222);
            f.cpu.r[Cpu.ECX] = 0x3333_4444L;
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0x5555_6677L;
            f.cpu.flags.setArith(CF | ZF);
            runToEnd(f, 6);
            assertEquals(0x3333_4444, f.mem.read32(DATA));
            assertEquals(0x1111_2222L, reg32(f.cpu, Cpu.ECX));
            // AX: 6677 -> 7766, then swapped with BX (low word of DATA = 0x0000)
            assertEquals(0x5555_0000L | (DATA & 0xFFFF), reg32(f.cpu, Cpu.EAX));
            assertEquals((DATA & 0xFFFF_0000L) | 0x7766, reg32(f.cpu, Cpu.EBX));
            assertEquals(CF | ZF, status(f.cpu));
        }
    }

    @Test
    void xlatRealModeWithOverride() {
        // xlat ; mov cl, al ; es xlat (26 D7)
        try (CpuFixture f = real(0xD7, 0x88, 0xC1, 0x26, 0xD7)) {
            f.cpu.seg[Cpu.ES].loadReal(0x1000);
            f.cpu.seg[Cpu.ES].refresh();
            f.cpu.r[Cpu.EBX] = 0x0100;
            f.cpu.r[Cpu.EAX] = 0x05;
            f.mem.write8(0x105, 0x42);
            f.mem.write8(0x10142, 0x99);
            runToEnd(f, 5);
            assertEquals(0x42, reg32(f.cpu, Cpu.ECX));
            assertEquals(0x99, reg32(f.cpu, Cpu.EAX));
        }
    }

    @Test
    void xlat32() {
        try (CpuFixture f = flat32(0xD7)) {
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0x1234_56FFL;
            f.mem.write8(DATA + 0xFF, 0x5A);
            runToEnd(f, 1);
            assertEquals(0x1234_565AL, reg32(f.cpu, Cpu.EAX));
        }
    }

    @Test
    void cbwCwdeCwdCdq() {
        // cbw (66 98) ; mov ecx, eax (89 C1) ; cwde (98) ; cdq (99) ; cwd with AX = 7FFF later
        try (CpuFixture f = flat32(0x66, 0x98, 0x89, 0xC1, 0x98, 0x99)) {
            f.cpu.r[Cpu.EAX] = 0x1234_0080L;
            runToEnd(f, 6);
            assertEquals(0x1234_FF80L, reg32(f.cpu, Cpu.ECX));
            assertEquals(0xFFFF_FF80L, reg32(f.cpu, Cpu.EAX));
            assertEquals(0xFFFF_FFFFL, reg32(f.cpu, Cpu.EDX));
        }
        try (CpuFixture f = flat32(0x66, 0x99, 0x98)) {
            f.cpu.r[Cpu.EAX] = 0x8000_7FFFL;
            f.cpu.r[Cpu.EDX] = 0x5555_5555L;
            runToEnd(f, 3);
            assertEquals(0x5555_0000L, reg32(f.cpu, Cpu.EDX));
            assertEquals(0x0000_7FFFL, reg32(f.cpu, Cpu.EAX));
        }
    }

    @Test
    void cmovTakenAndNotTaken() {
        // cmp eax, eax (ZF = 1) ; cmove ecx, ebx (0F 44 CB) ; cmovne edx, ebx (0F 45 D3) ; cmovne si, bx
        try (CpuFixture f = flat32(0x39, 0xC0, 0x0F, 0x44, 0xCB, 0x0F, 0x45, 0xD3, 0x66, 0x0F, 0x45, 0xF3)) {
            f.cpu.r[Cpu.EBX] = 0x1234_5678L;
            f.cpu.r[Cpu.EDX] = 0x9999_9999L;
            f.cpu.r[Cpu.ESI] = 0x7777_7777L;
            runToEnd(f, 12);
            assertEquals(0x1234_5678L, reg32(f.cpu, Cpu.ECX));
            assertEquals(0x9999_9999L, reg32(f.cpu, Cpu.EDX));
            assertEquals(0x7777_7777L, reg32(f.cpu, Cpu.ESI));
        }
        // signed conditions: cmp eax, ebx with -1 < 1 ; cmovl ecx, [edi] ; cmovg edx, [edi]
        try (CpuFixture f = flat32(0x39, 0xD8, 0x0F, 0x4C, 0x0F, 0x0F, 0x4F, 0x17)) {
            f.mem.write32(DATA, 0xCAFE);
            f.cpu.r[Cpu.EAX] = 0xFFFF_FFFFL;
            f.cpu.r[Cpu.EBX] = 1;
            f.cpu.r[Cpu.EDI] = DATA;
            f.cpu.r[Cpu.EDX] = 0x5555;
            runToEnd(f, 8);
            assertEquals(0xCAFE, reg32(f.cpu, Cpu.ECX));
            assertEquals(0x5555, reg32(f.cpu, Cpu.EDX));
        }
    }

    @Test
    void cmovReadsItsMemorySourceEvenWhenFalse() {
        // cmovne ax, [0xFFFF] in real mode with ZF = 1: the word read crosses the DS limit -> #GP
        try (CpuFixture f = real(0x0F, 0x45, 0x06, 0xFF, 0xFF)) {
            f.cpu.flags.setArith(ZF);
            f.cpu.r[Cpu.EAX] = 0x1234;
            runToFault(f, Exceptions.GP);
            assertEquals(0x1234, reg32(f.cpu, Cpu.EAX));
            assertEquals(CODE, f.mem.read16(CpuFixture.STACK_TOP - 6));
        }
    }

    @Test
    void bswap() {
        // bswap ecx (0F C9) ; bswap dx (66 0F CA): undefined, the low word becomes 0 as on Intel and AMD
        try (CpuFixture f = flat32(0x0F, 0xC9, 0x66, 0x0F, 0xCA)) {
            f.cpu.r[Cpu.ECX] = 0x1234_5678L;
            f.cpu.r[Cpu.EDX] = 0x1234_5678L;
            runToEnd(f, 5);
            assertEquals(0x7856_3412L, reg32(f.cpu, Cpu.ECX));
            assertEquals(0x1234_0000L, reg32(f.cpu, Cpu.EDX));
        }
    }

    @Test
    void xaddForms() {
        // xadd [ebx], eax (0F C1 03) ; xadd ecx, ecx (0F C1 C9) ; xadd dl, dh (0F C0 F2)
        try (CpuFixture f = flat32(0x0F, 0xC1, 0x03, 0x0F, 0xC1, 0xC9, 0x0F, 0xC0, 0xF2)) {
            f.mem.write32(DATA, 5);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 7;
            f.cpu.r[Cpu.ECX] = 0x21;
            f.cpu.r[Cpu.EDX] = 0x01FF;
            runToEnd(f, 9);
            assertEquals(12, f.mem.read32(DATA));
            assertEquals(5, reg32(f.cpu, Cpu.EAX));
            assertEquals(0x42, reg32(f.cpu, Cpu.ECX), "destination wins when both are one register");
            assertEquals(0xFF00, reg32(f.cpu, Cpu.EDX), "DL = FF + 01 = 00, DH = old DL");
            assertEquals(CF | ZF | AF | PF, status(f.cpu));
        }
    }

    @Test
    void cmpxchgSuccessAndFailure() {
        // cmpxchg [ebx], ecx (0F B1 0B): EAX == [ebx] -> [ebx] = ECX, ZF = 1
        try (CpuFixture f = flat32(0x0F, 0xB1, 0x0B)) {
            f.mem.write32(DATA, 0x1234);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0x1234;
            f.cpu.r[Cpu.ECX] = 0xABCD;
            runToEnd(f, 3);
            assertEquals(0xABCD, f.mem.read32(DATA));
            assertEquals(0x1234, reg32(f.cpu, Cpu.EAX));
            assertEquals(ZF | PF, status(f.cpu));
        }
        try (CpuFixture f = flat32(0x0F, 0xB1, 0x0B)) {
            f.mem.write32(DATA, 0x1235);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0x1234;
            f.cpu.r[Cpu.ECX] = 0xABCD;
            runToEnd(f, 3);
            assertEquals(0x1235, f.mem.read32(DATA));
            assertEquals(0x1235, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | SF | AF | PF, status(f.cpu), "flags of CMP 1234h, 1235h");
        }
        // cmpxchg bl, cl (0F B0 CB), byte: AL 10 vs BL 10 -> BL = CL
        try (CpuFixture f = flat32(0x0F, 0xB0, 0xCB)) {
            f.cpu.r[Cpu.EAX] = 0xFF10;
            f.cpu.r[Cpu.EBX] = 0x2210;
            f.cpu.r[Cpu.ECX] = 0x77;
            runToEnd(f, 3);
            assertEquals(0x2277, reg32(f.cpu, Cpu.EBX));
            assertEquals(0xFF10, reg32(f.cpu, Cpu.EAX));
        }
    }

    @Test
    void cmpxchgFailureStillWritesSoReadOnlyDestinationFaults() {
        // The comparison fails, yet the destination is written back: #GP(0) on a read-only segment,
        // and EAX is not loaded.
        try (CpuFixture f = flat32(0x0F, 0xB1, 0x0B)) {
            readOnlyDs(f);
            f.mem.write32(DATA, 0x1235);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0x1234;
            runToFault(f, Exceptions.GP);
            assertEquals(0x1234, reg32(f.cpu, Cpu.EAX));
            assertEquals(0x1235, f.mem.read32(DATA));
        }
    }

    @Test
    void cmpxchg8b() {
        // stc ; cmpxchg8b [ebx] (0F C7 0B): equal -> m64 = ECX:EBX, ZF = 1, CF untouched
        try (CpuFixture f = flat32(0xF9, 0x0F, 0xC7, 0x0E)) {
            f.mem.write64(DATA, 0x1111_2222_3333_4444L);
            f.cpu.r[Cpu.ESI] = DATA;
            f.cpu.r[Cpu.EDX] = 0x1111_2222L;
            f.cpu.r[Cpu.EAX] = 0x3333_4444L;
            f.cpu.r[Cpu.ECX] = 0xAAAA_BBBBL;
            f.cpu.r[Cpu.EBX] = 0xCCCC_DDDDL;
            runToEnd(f, 4);
            assertEquals(0xAAAA_BBBB_CCCC_DDDDL, f.mem.read64(DATA));
            assertEquals(CF | ZF, status(f.cpu) & (CF | ZF));
        }
        // not equal -> EDX:EAX = m64, ZF = 0, other flags untouched
        try (CpuFixture f = flat32(0x0F, 0xC7, 0x0E)) {
            f.mem.write64(DATA, 0x1111_2222_3333_4444L);
            f.cpu.r[Cpu.ESI] = DATA;
            f.cpu.r[Cpu.EDX] = 0x1111_2222L;
            f.cpu.r[Cpu.EAX] = 0x3333_4445L;
            f.cpu.flags.setArith(ZF | SF | OF);
            runToEnd(f, 3);
            assertEquals(0x1111_2222_3333_4444L, f.mem.read64(DATA));
            assertEquals(0x1111_2222L, reg32(f.cpu, Cpu.EDX));
            assertEquals(0x3333_4444L, reg32(f.cpu, Cpu.EAX));
            assertEquals(SF | OF, status(f.cpu));
        }
    }

    @Test
    void cmpxchg8bFailureOnReadOnlyFaultsAndRegisterFormIsUd() {
        try (CpuFixture f = flat32(0x0F, 0xC7, 0x0E)) {
            readOnlyDs(f);
            f.mem.write64(DATA, 5);
            f.cpu.r[Cpu.ESI] = DATA;
            runToFault(f, Exceptions.GP);
            assertEquals(0, reg32(f.cpu, Cpu.EAX));
        }
        try (CpuFixture f = flat32(0x0F, 0xC7, 0xC9)) {
            runToFault(f, Exceptions.UD);
        }
    }

    @Test
    void lockedXchgAndCmpxchgOnMemory() {
        // lock xchg [ebx], al (F0 86 03) ; lock cmpxchg [ebx], cl (F0 0F B0 0B): AL (old byte) == [ebx]? no
        try (CpuFixture f = flat32(0xF0, 0x86, 0x03, 0xF0, 0x0F, 0xB0, 0x0B)) {
            f.mem.write8(DATA, 0x11);
            f.cpu.r[Cpu.EBX] = DATA;
            f.cpu.r[Cpu.EAX] = 0x22;
            f.cpu.r[Cpu.ECX] = 0x33;
            runToEnd(f, 7);
            // after XCHG: [ebx] = 22, AL = 11; CMPXCHG: 11 != 22 -> AL = 22
            assertEquals(0x22, f.mem.read8(DATA));
            assertEquals(0x22, reg32(f.cpu, Cpu.EAX));
            assertEquals(CF | SF | AF, status(f.cpu), "flags of CMP 11h, 22h");
        }
    }
}

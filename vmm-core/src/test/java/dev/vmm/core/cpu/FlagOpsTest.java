package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.ArithTestSupport.flat32;
import static dev.vmm.core.cpu.ArithTestSupport.real;
import static dev.vmm.core.cpu.ArithTestSupport.reg32;
import static dev.vmm.core.cpu.ArithTestSupport.runToEnd;
import static dev.vmm.core.cpu.ArithTestSupport.status;
import static dev.vmm.core.cpu.Flags.AF;
import static dev.vmm.core.cpu.Flags.CF;
import static dev.vmm.core.cpu.Flags.OF;
import static dev.vmm.core.cpu.Flags.PF;
import static dev.vmm.core.cpu.Flags.SF;
import static dev.vmm.core.cpu.Flags.ZF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CLC STC CMC CLD STD LAHF SAHF CLI STI. */
class FlagOpsTest {

    @Test
    void carryOps() {
        // add al, bl (carry, lazily recorded) ; cmc ; mov ecx, 0 would not touch flags, so just check
        try (CpuFixture f = flat32(0x00, 0xD8, 0xF5)) {
            f.cpu.r[Cpu.EAX] = 0xFF;
            f.cpu.r[Cpu.EBX] = 0x01;
            runToEnd(f, 3);
            assertEquals(ZF | AF | PF, status(f.cpu), "CMC cleared the carry of the ADD, kept the rest");
        }
        // stc ; cmc ; cmc ; clc ; stc
        try (CpuFixture f = flat32(0xF9, 0xF5, 0xF5, 0xF8, 0xF9)) {
            f.cpu.flags.setArith(OF);
            runToEnd(f, 5);
            assertEquals(CF | OF, status(f.cpu));
        }
        try (CpuFixture f = flat32(0xF9, 0xF8)) {
            runToEnd(f, 2);
            assertEquals(0, status(f.cpu));
        }
    }

    @Test
    void directionFlag() {
        try (CpuFixture f = flat32(0xFD)) {
            runToEnd(f, 1);
            assertTrue(f.cpu.flags.test(Flags.DF));
        }
        try (CpuFixture f = flat32(0xFD, 0xFC)) {
            runToEnd(f, 2);
            assertEquals(0, f.cpu.eflags() & Flags.DF);
        }
    }

    @Test
    void lahfSahf() {
        // sub al, 1 with AL = 0 (CF SF AF PF) ; lahf
        try (CpuFixture f = real(0x2C, 0x01, 0x9F)) {
            f.cpu.r[Cpu.EAX] = 0x0000;
            runToEnd(f, 3);
            assertEquals(0x97FF, reg32(f.cpu, Cpu.EAX), "AH = SF ZF 0 AF 0 PF 1 CF = 1001_0111");
        }
        // sahf with AH = FF: sets SF ZF AF PF CF, leaves OF; bits 1, 3, 5 keep their fixed values
        try (CpuFixture f = real(0x9E)) {
            f.cpu.r[Cpu.EAX] = 0xFF00;
            runToEnd(f, 1);
            assertEquals(SF | ZF | AF | PF | CF, status(f.cpu));
            assertEquals(0x2, f.cpu.eflags() & 0x2A);
        }
        try (CpuFixture f = real(0x9E)) {
            f.cpu.r[Cpu.EAX] = 0x0000;
            f.cpu.flags.setArith(Flags.ARITH);
            runToEnd(f, 1);
            assertEquals(OF, status(f.cpu));
        }
    }

    @Test
    void cliStiRealModeAndInterruptShadow() {
        try (CpuFixture f = real(0xFB)) {
            f.cpu.step();
            assertTrue(f.cpu.flags.test(Flags.IF));
            assertEquals(1, f.cpu.inhibit, "STI that sets IF delays interrupts by one instruction");
        }
        try (CpuFixture f = real(0xFB)) {
            f.cpu.flags.bits |= Flags.IF;
            f.cpu.step();
            assertEquals(0, f.cpu.inhibit, "no shadow when IF was already set");
        }
        try (CpuFixture f = real(0xFA)) {
            f.cpu.flags.bits |= Flags.IF;
            f.cpu.step();
            assertEquals(0, f.cpu.eflags() & Flags.IF);
        }
    }

    /** A protected-mode CPU at {@code cpl} with {@code iopl}; v86 if requested. */
    private static CpuFixture prot(int cpl, int iopl, boolean v86, long cr4) {
        CpuFixture f = flat32();
        f.cpu.cpl = cpl;
        f.cpu.flags.bits = (f.cpu.flags.bits & ~Flags.IOPL) | iopl << 12 | (v86 ? Flags.VM : 0);
        f.cpu.cr4 = cr4;
        return f;
    }

    private static void assertGp(Cpu c, Handler h) {
        CpuFault e = assertThrows(CpuFault.class, () -> h.exec(c, null));
        assertEquals(Exceptions.GP, e.vector());
        assertEquals(0, e.errorCode());
    }

    @Test
    void protectedModeNeedsCplAtMostIopl() {
        try (CpuFixture f = prot(3, 0, false, 0)) {
            assertGp(f.cpu, FlagOps::cli);
            assertGp(f.cpu, FlagOps::sti);
        }
        try (CpuFixture f = prot(2, 1, false, 0)) {
            assertGp(f.cpu, FlagOps::cli);
        }
        try (CpuFixture f = prot(1, 1, false, 0)) {
            FlagOps.sti(f.cpu, null);
            assertTrue(f.cpu.flags.test(Flags.IF));
            FlagOps.cli(f.cpu, null);
            assertEquals(0, f.cpu.eflags() & Flags.IF);
        }
        try (CpuFixture f = prot(3, 3, false, 0)) {
            FlagOps.sti(f.cpu, null);
            assertTrue(f.cpu.flags.test(Flags.IF));
        }
    }

    @Test
    void v86NeedsIopl3() {
        try (CpuFixture f = prot(3, 2, true, 0)) {
            assertGp(f.cpu, FlagOps::cli);
            assertGp(f.cpu, FlagOps::sti);
        }
        try (CpuFixture f = prot(3, 3, true, 0)) {
            FlagOps.sti(f.cpu, null);
            assertTrue(f.cpu.flags.test(Flags.IF));
            assertEquals(1, f.cpu.inhibit);
        }
    }

    @Test
    void vmeAndPviChangeVifInstead() {
        try (CpuFixture f = prot(3, 0, true, Cpu.CR4_VME)) {
            f.cpu.flags.bits |= Flags.IF | Flags.VIF;
            FlagOps.cli(f.cpu, null);
            assertEquals(Flags.IF, f.cpu.eflags() & (Flags.IF | Flags.VIF));
            FlagOps.sti(f.cpu, null);
            assertEquals(Flags.IF | Flags.VIF, f.cpu.eflags() & (Flags.IF | Flags.VIF));
            // STI with a virtual interrupt pending: #GP(0)
            f.cpu.flags.bits = (f.cpu.flags.bits & ~Flags.VIF) | Flags.VIP;
            assertGp(f.cpu, FlagOps::sti);
        }
        try (CpuFixture f = prot(3, 0, false, Cpu.CR4_PVI)) {
            FlagOps.sti(f.cpu, null);
            assertEquals(Flags.VIF, f.cpu.eflags() & (Flags.IF | Flags.VIF));
            FlagOps.cli(f.cpu, null);
            assertEquals(0, f.cpu.eflags() & (Flags.IF | Flags.VIF));
        }
        // PVI applies only at CPL 3
        try (CpuFixture f = prot(2, 0, false, Cpu.CR4_PVI)) {
            assertGp(f.cpu, FlagOps::cli);
        }
    }
}

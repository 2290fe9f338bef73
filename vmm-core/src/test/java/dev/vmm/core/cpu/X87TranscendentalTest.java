package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.CODE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the host differential test cannot show for the transcendental instructions: #NM by
 * CR0.EM/TS, a pending unmasked exception reported as #MF (CR0.NE) or through FERR# before the
 * instruction runs, the last-instruction pointers (FIP, FCS, FOP), the #MF an unmasked exception
 * causes at the next waiting instruction, and real mode.
 */
class X87TranscendentalTest {
    private static final int ONE_SE = 0x3FFF;
    private static final long ONE_SIG = Long.MIN_VALUE;

    /** A flat 32-bit CPU with {@code code} then HLT at CODE, CR0.NE/MP set, FNINIT done, then values pushed. */
    private static CpuFixture fixture(int[] code, long[]... stack) {
        int[] all = java.util.Arrays.copyOf(code, code.length + 1);
        all[code.length] = 0xF4;
        CpuFixture f = SysTestSupport.flat(all);
        f.cpu.cr0 |= Cpu.CR0_NE | Cpu.CR0_MP;
        f.cpu.fpu.init();
        for (long[] v : stack) {
            f.cpu.fpu.push((int) v[0], v[1]);
        }
        return f;
    }

    private static final int[] FSIN = {0xD9, 0xFE};

    @Test
    void emOrTsRaiseNmAndChangeNothing() {
        for (long bit : new long[] {Cpu.CR0_EM, Cpu.CR0_TS}) {
            CpuFixture f = fixture(FSIN, new long[] {ONE_SE, ONE_SIG});
            f.cpu.cr0 |= bit;
            SysTestSupport.run(f);
            SysTestSupport.assertFault(f, Exceptions.NM, -1);
            assertEquals(ONE_SE, f.cpu.fpu.stSe(0));
            assertEquals(ONE_SIG, f.cpu.fpu.stSig(0));
            assertEquals(0, f.cpu.fpu.fsw);
            assertEquals(0, f.cpu.fpu.fip, "FIP not updated by a faulting instruction");
        }
    }

    @Test
    void pendingUnmaskedExceptionRaisesMfBeforeTheInstruction() {
        CpuFixture f = fixture(FSIN, new long[] {ONE_SE, ONE_SIG});
        Fpu fpu = f.cpu.fpu;
        fpu.fcw = 0x037E;                                   // IE unmasked
        fpu.fsw = Fpu.SW_IE | Fpu.SW_ES | Fpu.SW_B;
        SysTestSupport.run(f);
        SysTestSupport.assertFault(f, Exceptions.MF, -1);
        assertEquals(CODE, SysTestSupport.top(f, 0), "#MF is a fault on the waiting instruction");
        assertEquals(ONE_SE, fpu.stSe(0));
        assertEquals(ONE_SIG, fpu.stSig(0));
    }

    @Test
    void withoutNePendingExceptionAssertsFerrAndTheInstructionRuns() {
        CpuFixture f = fixture(FSIN, new long[] {ONE_SE, ONE_SIG});
        List<Boolean> ferr = new ArrayList<>();
        f.cpu.setFerr(ferr::add);
        f.cpu.cr0 &= ~Cpu.CR0_NE;
        Fpu fpu = f.cpu.fpu;
        fpu.fcw = 0x037E;
        fpu.fsw = Fpu.SW_IE | Fpu.SW_ES | Fpu.SW_B;
        SysTestSupport.run(f);
        SysTestSupport.assertNoFault(f);
        assertEquals(List.of(true), ferr);
        assertEquals(0x3FFE, fpu.stSe(0));                  // sin(1) = 0.8414709848078965...
        assertEquals(0xD76A_A478_4867_7021L, fpu.stSig(0));
    }

    @Test
    void lastInstructionPointers() {
        // FSIN; FPATAN
        CpuFixture f = fixture(new int[] {0xD9, 0xFE, 0xD9, 0xF3}, new long[] {ONE_SE, ONE_SIG},
                new long[] {ONE_SE, ONE_SIG});
        SysTestSupport.run(f);
        SysTestSupport.assertNoFault(f);
        Fpu fpu = f.cpu.fpu;
        assertEquals(CODE + 2, fpu.fip);
        assertEquals(0x08, fpu.fcs);
        assertEquals(0x1F3, fpu.fop);
    }

    @Test
    void unmaskedInvalidKeepsTheOperandAndFaultsAtTheNextWaitingInstruction() {
        long snan = 0x8000_0000_0000_0001L;
        // FSIN; FSIN
        CpuFixture f = fixture(new int[] {0xD9, 0xFE, 0xD9, 0xFE}, new long[] {0x7FFF, snan});
        Fpu fpu = f.cpu.fpu;
        fpu.fcw = 0x037E;
        SysTestSupport.run(f);
        SysTestSupport.assertFault(f, Exceptions.MF, -1);
        assertEquals(CODE + 2, SysTestSupport.top(f, 0));
        assertEquals(0x7FFF, fpu.stSe(0));
        assertEquals(snan, fpu.stSig(0), "an unmasked IE leaves the SNaN unquieted");
        assertEquals(Fpu.SW_IE | Fpu.SW_ES | Fpu.SW_B, fpu.fsw & 0xFFFF);
        assertEquals(CODE, fpu.fip, "FIP of the instruction that raised the exception");
    }

    @Test
    void unmaskedZeroDivideKeepsTheStack() {
        // FYL2X with ST(0) = +0, ST(1) = 1: ZE unmasked, no pop
        CpuFixture f = fixture(new int[] {0xD9, 0xF1}, new long[] {ONE_SE, ONE_SIG}, new long[] {0, 0});
        Fpu fpu = f.cpu.fpu;
        fpu.fcw = 0x037B;
        int top = fpu.top;
        SysTestSupport.run(f);
        SysTestSupport.assertNoFault(f);
        assertEquals(top, fpu.top);
        assertEquals(0, fpu.stSe(0));
        assertEquals(ONE_SE, fpu.stSe(1));
        assertEquals(Fpu.SW_ZE | Fpu.SW_ES | Fpu.SW_B, fpu.fsw);
    }

    @Test
    void realModeFptan() {
        // FPTAN at 0:7C00 in real mode: tan(1) then 1.0 pushed
        CpuFixture f = SysTestSupport.real(0xD9, 0xF2, 0xF4);
        Fpu fpu = f.cpu.fpu;
        fpu.init();
        fpu.push(ONE_SE, ONE_SIG);
        SysTestSupport.run(f);
        assertEquals(-1, SysTestSupport.realVector(f));
        assertEquals(ONE_SE, fpu.stSe(0));
        assertEquals(ONE_SIG, fpu.stSig(0));
        assertEquals(ONE_SE, fpu.stSe(1));                  // tan(1) = 1.5574077246549022305...
        assertEquals(0xC759_22E5_F71D_2DC5L, fpu.stSig(1));
        assertEquals(0x7C00, fpu.fip);
        assertEquals(0, fpu.fcs);
        assertEquals(0x1F2, fpu.fop);
        assertTrue((fpu.fsw & Fpu.SW_PE) != 0);
    }
}

package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.CODE;
import static dev.vmm.core.cpu.SysTestSupport.asm;
import static dev.vmm.core.cpu.SysTestSupport.assertNoFault;
import static dev.vmm.core.cpu.SysTestSupport.flat;
import static dev.vmm.core.cpu.SysTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Debug exceptions: single-step, instruction and data breakpoints, DR6 status (Intel SDM vol. 3, debug chapter). */
class DebugTest {
    private static final int HLT = 0xF4;
    private static final int NOP = 0x90;
    private static final long COUNT = 0x3000;
    private static final long DR6_LOG = 0x3100;
    private static final long EIP_LOG = 0x3200;
    private static final long DB_HANDLER = 0x38000;

    /**
     * A #DB handler that logs DR6 and the pushed EIP of each debug exception, counts them, clears
     * DR6, optionally sets RF or clears TF in the pushed EFLAGS, and returns with IRETD.
     */
    private static void dbHandler(CpuFixture f, boolean setRf, boolean clearTf) {
        SysTestSupport.Asm a = asm()
                .b(0xA1).d(COUNT)                     // mov eax,[COUNT]
                .b(0x0F, 0x21, 0xF1)                  // mov ecx,dr6
                .b(0x89, 0x0C, 0x85).d(DR6_LOG)       // mov [DR6_LOG+eax*4],ecx
                .b(0x8B, 0x14, 0x24)                  // mov edx,[esp]
                .b(0x89, 0x14, 0x85).d(EIP_LOG)       // mov [EIP_LOG+eax*4],edx
                .b(0xFF, 0x05).d(COUNT)               // inc dword [COUNT]
                .b(0x31, 0xC9, 0x0F, 0x23, 0xF1);     // xor ecx,ecx ; mov dr6,ecx
        if (setRf) {
            a.b(0x81, 0x4C, 0x24, 0x08).d(Flags.RF);  // or dword [esp+8],RF
        }
        if (clearTf) {
            a.b(0x81, 0x64, 0x24, 0x08).d(~Flags.TF); // and dword [esp+8],~TF
        }
        a.b(0xCF);                                    // iretd
        f.load(DB_HANDLER, a.build());
        f.setGate(Exceptions.DB, 0x08, DB_HANDLER, 0xE, 0);
    }

    private static int count(CpuFixture f) {
        return f.mem.read32(COUNT);
    }

    private static long dr6(CpuFixture f, int k) {
        return f.mem.read32(DR6_LOG + 4L * k) & 0xE00F;
    }

    private static long eip(CpuFixture f, int k) {
        return f.mem.read32(EIP_LOG + 4L * k) & 0xFFFF_FFFFL;
    }

    @Test
    void singleStepTrapsAfterEachInstruction() {
        // nop ; nop ; nop ; mov eax,1 ; pushfd ; and dword [esp],~TF ; popfd ; hlt
        int[] code = asm().b(NOP, NOP, NOP).b(0xB8).d(1).b(0x9C).b(0x81, 0x24, 0x24).d(~Flags.TF).b(0x9D, HLT).build();
        try (CpuFixture f = flat(code)) {
            dbHandler(f, false, false);
            f.cpu.flags.bits |= Flags.TF;
            run(f);
            assertNoFault(f);
            assertEquals(CODE + code.length, f.cpu.rip, "halted at the program's HLT");
            long[] expected = {1, 2, 3, 8, 9, 16, 17};
            StringBuilder log = new StringBuilder();
            for (int k = 0; k < count(f); k++) {
                log.append(Long.toHexString(eip(f, k))).append(' ');
            }
            assertEquals(expected.length, count(f), "one trap per instruction while TF was set: " + log);
            for (int k = 0; k < expected.length; k++) {
                assertEquals(CODE + expected[k], eip(f, k), "trap EIP = next instruction");
                assertEquals(Debug.DR6_BS, dr6(f, k));
            }
        }
    }

    @Test
    void singleSteppedHltTrapsAndResumes() {
        // hlt ; pushfd ; and dword [esp],~TF ; popfd ; hlt
        int[] code = asm().b(HLT, 0x9C).b(0x81, 0x24, 0x24).d(~Flags.TF).b(0x9D, HLT).build();
        try (CpuFixture f = flat(code)) {
            dbHandler(f, false, false);
            f.cpu.flags.bits |= Flags.TF;
            run(f);
            assertNoFault(f);
            assertEquals(CODE + code.length, f.cpu.rip, "the first HLT was resumed by the debug trap");
            assertEquals(4, count(f));
            assertEquals(CODE + 1, eip(f, 0));
        }
    }

    @Test
    void instructionBreakpointIsAFaultSuppressedByRf() {
        // mov dr0,eax ; mov dr7,ecx ; nop ; nop (breakpoint) ; nop ; hlt
        int[] code = {0x0F, 0x23, 0xC0, 0x0F, 0x23, 0xF9, NOP, NOP, NOP, HLT};
        long bp = CODE + 7;
        try (CpuFixture f = flat(code)) {
            dbHandler(f, true, false);
            f.cpu.r[Cpu.EAX] = bp;
            f.cpu.r[Cpu.ECX] = 0x1;   // L0, R/W0 = 00 (execute), LEN0 = 00
            run(f);
            assertNoFault(f);
            assertEquals(CODE + code.length, f.cpu.rip);
            assertEquals(1, count(f), "RF set by the handler lets the instruction run once");
            assertEquals(bp, eip(f, 0), "a fault: EIP of the breakpointed instruction");
            assertEquals(0x1, dr6(f, 0), "B0");
            assertEquals(0, f.cpu.eflags() & Flags.RF, "RF cleared after the instruction completed");
        }
        // Without RF the breakpoint fires again on the return: the pushed RF was 0.
        try (CpuFixture f = flat(code)) {
            dbHandler(f, false, false);
            f.cpu.r[Cpu.EAX] = bp;
            f.cpu.r[Cpu.ECX] = 0x1;
            assertEquals(Cpu.Exit.LIMIT, f.run(200));
            assertTrue(count(f) >= 2, "re-triggered: " + count(f));
            assertEquals(bp, eip(f, 1));
        }
        // Disabled (L0 = G0 = 0): no exception.
        try (CpuFixture f = flat(code)) {
            dbHandler(f, true, false);
            f.cpu.r[Cpu.EAX] = bp;
            f.cpu.r[Cpu.ECX] = 0x0;
            run(f);
            assertEquals(0, count(f));
        }
    }

    @Test
    void dataWriteBreakpointTrapsAfterTheWrite() {
        // mov eax,[0x5000] ; mov dword [0x5002],7 ; mov dword [0x5004],8 ; nop ; hlt
        int[] code = asm().b(0xA1).d(0x5000).b(0xC7, 0x05).d(0x5002).d(7).b(0xC7, 0x05).d(0x5004).d(8)
                .b(NOP, HLT).build();
        try (CpuFixture f = flat(code)) {
            dbHandler(f, false, false);
            f.cpu.dr[1] = 0x5001;           // LEN 4: the aligned dword 0x5000-0x5003
            f.cpu.dr[7] = 0x00D0_0404L;     // L1, R/W1 = 01 (write), LEN1 = 11
            f.cpu.debug.update();
            run(f);
            assertNoFault(f);
            assertEquals(1, count(f), "the read and the write outside the range do not trap");
            assertEquals(CODE + 15, eip(f, 0), "a trap: EIP of the next instruction");
            assertEquals(0x2, dr6(f, 0), "B1");
            assertEquals(7, f.mem.read16(0x5002), "the write completed");
        }
        // R/W = 11: reads trap too.
        try (CpuFixture f = flat(code)) {
            dbHandler(f, false, false);
            f.cpu.dr[1] = 0x5000;
            f.cpu.dr[7] = 0x00F0_0404L;
            f.cpu.debug.update();
            run(f);
            assertEquals(2, count(f));
            assertEquals(CODE + 5, eip(f, 0));
            assertEquals(CODE + 15, eip(f, 1));
        }
    }

    @Test
    void ioBreakpointTrapsAfterTheAccessOnlyWithCr4De() {
        // mov dx,0x80 ; out dx,al ; in al,0x71 ; out 0x81,al ; nop ; hlt
        int[] code = asm().b(0x66, 0xBA, 0x80, 0x00, 0xEE, 0xE4, 0x71, 0xE6, 0x81, NOP, HLT).build();
        for (boolean de : new boolean[] {true, false}) {
            try (CpuFixture f = flat(code)) {
                dbHandler(f, false, false);
                f.cpu.cr4 |= de ? Cpu.CR4_DE : 0;
                f.cpu.dr[2] = 0x80;             // LEN 2: ports 0x80-0x81
                f.cpu.dr[7] = 0x0600_0010L;     // L2, R/W2 = 10 (I/O), LEN2 = 01
                f.cpu.debug.update();
                run(f);
                assertNoFault(f);
                if (de) {
                    assertEquals(2, count(f), "OUT to 0x80 and OUT to 0x81 trap; IN from 0x71 does not");
                    assertEquals(CODE + 5, eip(f, 0), "a trap: EIP after the OUT");
                    assertEquals(CODE + 9, eip(f, 1));
                    assertEquals(0x4, dr6(f, 0), "B2");
                } else {
                    assertEquals(0, count(f), "R/W = 10 without CR4.DE is no breakpoint");
                }
            }
        }
    }

    @Test
    void singleStepAndDataBreakpointShareOneDebugException() {
        // mov dword [0x5000],1 ; hlt   (TF set; the handler clears TF)
        int[] code = asm().b(0xC7, 0x05).d(0x5000).d(1).b(HLT).build();
        try (CpuFixture f = flat(code)) {
            dbHandler(f, false, true);
            f.cpu.dr[0] = 0x5000;
            f.cpu.dr[7] = 0x0001_0402L;     // G0, R/W0 = 01, LEN0 = 00
            f.cpu.debug.update();
            f.cpu.flags.bits |= Flags.TF;
            run(f);
            assertNoFault(f);
            assertEquals(1, count(f));
            assertEquals(Debug.DR6_BS | 0x1, dr6(f, 0));
            assertEquals(CODE + 10, eip(f, 0));
        }
    }

    @Test
    void faultingInstructionRaisesNoDataBreakpoint() {
        // ring 3: push dword [0x5000] with ESP = 2: the read hits the breakpoint, the push faults (#SS)
        try (CpuFixture f = flat(0xFF, 0x35, 0x00, 0x50, 0x00, 0x00, HLT)) {
            dbHandler(f, false, false);
            SysTestSupport.user(f);
            f.cpu.r[Cpu.ESP] = 2;
            f.cpu.dr[0] = 0x5000;
            f.cpu.dr[7] = 0x000F_0001L;     // L0, R/W0 = 11 (read/write), LEN0 = 11
            f.cpu.debug.update();
            run(f);
            SysTestSupport.assertFault(f, Exceptions.SS, 0);
            assertEquals(CODE, SysTestSupport.top(f, 1));
            assertEquals(0, count(f), "the faulting instruction's breakpoint hit is discarded");
        }
    }
}

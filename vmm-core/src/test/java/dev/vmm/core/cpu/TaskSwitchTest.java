package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.CODE;
import static dev.vmm.core.cpu.SysTestSupport.assertFault;
import static dev.vmm.core.cpu.SysTestSupport.assertNoFault;
import static dev.vmm.core.cpu.SysTestSupport.flat;
import static dev.vmm.core.cpu.SysTestSupport.run;
import static dev.vmm.core.cpu.SysTestSupport.top;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Hardware task switches (Intel SDM vol. 3, "Task Management"): task gates in the IDT and GDT, JMP, CALL, IRET. */
class TaskSwitchTest {
    private static final int HLT = 0xF4;
    /** The fixture's current task: selector 0x38, TSS at CpuFixture.TSS. */
    private static final int TSS_A = 0x38;
    private static final long A = CpuFixture.TSS;
    /** A second 32-bit task: selector 0x40, TSS at 0x6000. */
    private static final int TSS_B = 0x40;
    private static final long B = 0x6000;
    private static final long B_CODE = 0x40000;
    private static final long B_STACK = 0xA000;

    /** Flat fixture whose current task A is properly busy (as after LTR), plus task B (available). */
    private static CpuFixture tasks(int... code) {
        CpuFixture f = flat(code);
        f.cpu.gdtLimit = 16 * 8 - 1;
        f.mem.write8(CpuFixture.GDT + 7 * 8 + 5, 0x8B);
        f.setGdt(8, CpuFixture.descriptor(B, 0x67, 0x89, 0));
        tss32(f, B, B_CODE, B_STACK, 0x08, 0x10, 0x0000_0002, 0);
        return f;
    }

    /** Writes a 32-bit TSS: ring-0 stack 0xB000:0x10, the given state, LDT 0, no T bit. */
    private static void tss32(CpuFixture f, long base, long eip, long esp, int cs, int ds, long eflags, long cr3) {
        for (int k = 0; k < 0x68; k += 4) {
            f.mem.write32(base + k, 0);
        }
        f.mem.write32(base + 4, 0xB000);
        f.mem.write32(base + 8, 0x10);
        f.mem.write32(base + 0x1C, (int) cr3);
        f.mem.write32(base + 0x20, (int) eip);
        f.mem.write32(base + 0x24, (int) eflags);
        f.mem.write32(base + 0x38, (int) esp);
        for (int s = 0; s < 6; s++) {
            f.mem.write16(base + 0x48 + 4L * s, s == Cpu.CS ? cs : ds);
        }
        f.mem.write16(base + 0x66, 0x68);
    }

    private static int typeByte(CpuFixture f, int sel) {
        return f.mem.read8(CpuFixture.GDT + (sel & ~7) + 5);
    }

    // ---- Linux-i386-style double fault through a task gate ------------------------------------------

    @Test
    void doubleFaultThroughATaskGateRunsTheDoubleFaultTask() {
        long pd = 0x100000;
        long pt = 0x101000;
        long pd2 = 0x104000;
        long pt2 = 0x105000;
        // push eax ; hlt — with ESP in a not-present page: #PF, whose delivery faults again: #DF.
        try (CpuFixture f = tasks(0x50, HLT)) {
            for (int i = 0; i < 1024; i++) {
                long present = i == 8 ? 0 : 3;
                f.mem.write32(pt + 4L * i, (int) (i * 0x1000L | present));
                f.mem.write32(pt2 + 4L * i, (int) (i * 0x1000L | 3));
            }
            f.mem.write32(pd, (int) (pt | 3));
            f.mem.write32(pd2, (int) (pt2 | 3));
            f.cpu.cr3 = pd;
            f.cpu.cr0 |= Cpu.CR0_PG;
            f.cpu.mmu.flushAll();
            tss32(f, B, B_CODE, B_STACK, 0x08, 0x10, 0x0000_0002, pd2);
            f.load(B_CODE, HLT);
            f.setGate(Exceptions.DF, TSS_B, 0, 0x5, 0);
            long[] regs = {0x1111_1111L, 0x2222_2222L, 0x3333_3333L, 0x4444_4444L, 0x9000, 0x6666_6666L,
                0x7777_7777L, 0x8888_8888L};
            System.arraycopy(regs, 0, f.cpu.r, 0, 8);
            f.cpu.flags.set(0x0000_0246);
            run(f);

            assertEquals(B_CODE + 1, f.cpu.rip, "the double-fault task ran to its HLT");
            assertEquals(TSS_B, f.cpu.tr.selector);
            assertEquals(pd2, f.cpu.cr3, "CR3 from the new TSS");
            assertEquals(0x8000, f.cpu.cr2 & ~0xFFFL, "CR2 in the not-present stack page");
            assertTrue((f.cpu.cr0 & Cpu.CR0_TS) != 0, "CR0.TS set by the task switch");
            assertEquals(Flags.NT | 0x2, f.cpu.eflags(), "nested task: NT set");
            assertEquals(0x08, f.cpu.seg[Cpu.CS].selector);
            assertEquals(0x10, f.cpu.seg[Cpu.SS].selector);
            assertEquals(B_STACK - 4, f.cpu.r[Cpu.ESP], "error code pushed on the new task's stack");
            assertEquals(0, f.mem.read32(B_STACK - 4), "#DF error code");
            assertEquals(TSS_A, f.mem.read16(B), "back link to the faulting task");
            assertEquals(0x8B, typeByte(f, TSS_A), "old task stays busy (nesting)");
            assertEquals(0x8B, typeByte(f, TSS_B));
            // The old TSS holds the state at the faulting instruction.
            assertEquals(CODE, f.mem.read32(A + 0x20) & 0xFFFF_FFFFL, "saved EIP: the PUSH");
            assertEquals(0x246, f.mem.read32(A + 0x24) & ~Flags.RF, "saved EFLAGS");
            for (int k = 0; k < 8; k++) {
                assertEquals(regs[k], f.mem.read32(A + 0x28 + 4L * k) & 0xFFFF_FFFFL, "saved GPR " + k);
            }
            int[] sregs = {0x10, 0x08, 0x10, 0x10, 0x10, 0x10};
            for (int s = 0; s < 6; s++) {
                assertEquals(sregs[s], f.mem.read16(A + 0x48 + 4L * s), "saved sreg " + s);
            }
        }
    }

    // ---- JMP / CALL / IRET ---------------------------------------------------------------------------

    @Test
    void jmpToTssClearsTheOldBusyBitAndDoesNotNest() {
        // mov eax,0xAAAA ; jmp far 0x40:0 ; (B:) hlt
        try (CpuFixture f = tasks(0xB8, 0xAA, 0xAA, 0x00, 0x00, 0xEA, 0, 0, 0, 0, TSS_B, 0, HLT)) {
            f.load(B_CODE, HLT);
            f.mem.write32(B + 0x28, 0x1234_5678);
            run(f);
            assertNoFault(f);
            assertEquals(B_CODE + 1, f.cpu.rip);
            assertEquals(TSS_B, f.cpu.tr.selector);
            assertEquals(0x1234_5678L, f.cpu.r[Cpu.EAX]);
            assertEquals(B_STACK, f.cpu.r[Cpu.ESP]);
            assertEquals(0, f.cpu.eflags() & Flags.NT);
            assertEquals(0x89, typeByte(f, TSS_A), "JMP: old task no longer busy");
            assertEquals(0x8B, typeByte(f, TSS_B));
            assertEquals(0, f.mem.read16(B), "no back link");
            assertEquals(CODE + 12, f.mem.read32(A + 0x20) & 0xFFFF_FFFFL, "saved EIP: after the JMP");
            assertEquals(0xAAAA, f.mem.read32(A + 0x28));
            assertTrue((f.cpu.cr0 & Cpu.CR0_TS) != 0);
        }
    }

    @Test
    void callThroughTaskGateAndIretBack() {
        // A: mov eax,0xAAAA ; call far 0x48:0 (task gate) ; hlt
        // B: mov eax,0xBBBB ; iretd ; hlt
        try (CpuFixture f = tasks(0xB8, 0xAA, 0xAA, 0x00, 0x00, 0x9A, 0, 0, 0, 0, 0x48, 0, HLT)) {
            f.setGdt(9, (long) TSS_B << 16 | 0x85L << 40);
            f.load(B_CODE, 0xB8, 0xBB, 0xBB, 0x00, 0x00, 0xCF, HLT);
            run(f);
            assertNoFault(f);
            assertEquals(CODE + 13, f.cpu.rip, "back in A, after its CALL");
            assertEquals(TSS_A, f.cpu.tr.selector);
            assertEquals(0xAAAA, f.cpu.r[Cpu.EAX], "A's registers restored from its TSS");
            assertEquals(CpuFixture.STACK_TOP, f.cpu.r[Cpu.ESP]);
            assertEquals(0, f.cpu.eflags() & Flags.NT);
            assertEquals(0x8B, typeByte(f, TSS_A));
            assertEquals(0x89, typeByte(f, TSS_B), "IRET: returning task no longer busy");
            assertEquals(TSS_A, f.mem.read16(B), "CALL wrote the back link");
            assertEquals(0xBBBB, f.mem.read32(B + 0x28), "B's state saved by the IRET switch");
            assertEquals(B_CODE + 6, f.mem.read32(B + 0x20) & 0xFFFF_FFFFL, "B's EIP: after its IRETD");
            assertEquals(0, f.mem.read32(B + 0x24) & Flags.NT, "IRET clears NT in the saved image");
        }
    }

    @Test
    void switchChecks() {
        // jmp far sel:0 ; hlt
        int[][] cases = {
            // selector, GDT entry 10 access byte, vector, error code
            {0x38, -1, Exceptions.GP, 0x38},      // the current task is busy
            {0x50, 0x09, Exceptions.NP, 0x50},    // not present
            {0x50, 0x81, Exceptions.TS, 0x50},    // 16-bit TSS, limit 0x27 < 0x2B
        };
        for (int[] k : cases) {
            try (CpuFixture f = tasks(0xEA, 0, 0, 0, 0, k[0], 0, HLT)) {
                if (k[1] >= 0) {
                    f.setGdt(10, CpuFixture.descriptor(0x6800, 0x27, k[1], 0));
                }
                run(f);
                assertFault(f, k[2], k[3]);
                assertEquals(TSS_A, f.cpu.tr.selector, "no switch");
                assertEquals(CODE, top(f, 1));
            }
        }
        // A 32-bit TSS with limit < 0x67.
        try (CpuFixture f = tasks(0xEA, 0, 0, 0, 0, 0x40, 0, HLT)) {
            f.setGdt(8, CpuFixture.descriptor(B, 0x60, 0x89, 0));
            run(f);
            assertFault(f, Exceptions.TS, 0x40);
        }
        // CALL to a DPL-0 TSS from ring 3.
        try (CpuFixture f = tasks(0x9A, 0, 0, 0, 0, 0x43, 0, HLT)) {
            SysTestSupport.user(f);
            run(f);
            assertFault(f, Exceptions.GP, 0x40);
        }
        // IRET with NT and a back link to an available (not busy) TSS.
        try (CpuFixture f = tasks(0xCF, HLT)) {
            f.cpu.flags.bits |= Flags.NT;
            f.mem.write16(A, TSS_B);
            run(f);
            assertFault(f, Exceptions.TS, 0x40);
            assertEquals(TSS_A, f.cpu.tr.selector);
        }
    }

    @Test
    void segmentFaultAfterTheCommitPointIsRaisedInTheNewTask() {
        // jmp far 0x40:0 where task B's SS is a code segment: #TS(SS) in task B
        try (CpuFixture f = tasks(0xEA, 0, 0, 0, 0, TSS_B, 0, HLT)) {
            f.mem.write16(B + 0x50, 0x08);
            run(f);
            assertFault(f, Exceptions.TS, 0x08);
            assertEquals(TSS_B, f.cpu.tr.selector, "the switch committed");
            assertEquals(B_CODE, top(f, 1), "EIP of the new task");
            assertEquals(0x08, top(f, 2));
            assertEquals(0xB000 - 24, f.cpu.r[Cpu.ESP], "handler stack from the new TSS's ring-0 entry");
            assertEquals(0x89, typeByte(f, TSS_A));
            assertEquals(CODE + 7, f.mem.read32(A + 0x20) & 0xFFFF_FFFFL, "old task saved before the fault");
        }
        // A null CS in the new TSS.
        try (CpuFixture f = tasks(0xEA, 0, 0, 0, 0, TSS_B, 0, HLT)) {
            f.mem.write16(B + 0x4C, 0);
            run(f);
            assertFault(f, Exceptions.TS, 0);
        }
        // A new EIP beyond the CS limit: #GP(0) in the new task.
        try (CpuFixture f = tasks(0xEA, 0, 0, 0, 0, TSS_B, 0, HLT)) {
            f.mem.write16(B + 0x4C, 0x18);
            f.mem.write32(B + 0x20, 0x12345);
            run(f);
            assertFault(f, Exceptions.GP, 0);
            assertEquals(TSS_B, f.cpu.tr.selector);
            assertEquals(0x12345, top(f, 1));
        }
    }

    @Test
    void tBitRaisesADebugTrapBeforeTheNewTasksFirstInstruction() {
        try (CpuFixture f = tasks(0xEA, 0, 0, 0, 0, TSS_B, 0, HLT)) {
            f.load(B_CODE, HLT);
            f.mem.write16(B + 0x64, 1);
            f.cpu.dr[7] = 0x0000_0755L;   // L0-L3, LE, GE: the local enables are cleared by the switch
            run(f);
            assertFault(f, Exceptions.DB, -1);
            assertEquals(B_CODE, top(f, 0), "trap before the first instruction of the new task");
            assertEquals(TSS_B, f.cpu.tr.selector);
            assertEquals(Debug.DR6_BT, f.cpu.dr[6] & Debug.DR6_BT);
            assertEquals(0x600, f.cpu.dr[7], "only GE (and the fixed bit 10) remain");
        }
    }

    @Test
    void switchToA16BitTss() {
        // jmp far 0x50:0 ; (16-bit task at CS 0x18:0x0100) hlt
        try (CpuFixture f = tasks(0xEA, 0, 0, 0, 0, 0x50, 0, HLT)) {
            long t = 0x6800;
            f.setGdt(10, CpuFixture.descriptor(t, 0x2B, 0x81, 0));
            for (int k = 0; k < 0x2C; k += 2) {
                f.mem.write16(t + k, 0);
            }
            f.mem.write16(t + 0x0E, 0x0100);
            f.mem.write16(t + 0x10, 0x0002);
            for (int k = 0; k < 8; k++) {
                f.mem.write16(t + 0x12 + 2L * k, 0x1111 * (k + 1));
            }
            f.mem.write16(t + 0x1A, 0x0F00);
            f.mem.write16(t + 0x22, 0x20);
            f.mem.write16(t + 0x24, 0x18);
            f.mem.write16(t + 0x26, 0x20);
            f.mem.write16(t + 0x28, 0x20);
            f.load(0x100, HLT);
            f.cpu.r[Cpu.EAX] = 0xABCD_EF01L;
            run(f);
            assertNoFault(f);
            assertEquals(0x101, f.cpu.rip);
            assertEquals(0x50, f.cpu.tr.selector);
            assertEquals(Descriptors.TSS16_BUSY, f.cpu.tr.attr & 0xF);
            assertEquals(16, f.cpu.codeSize());
            assertEquals(0xFFFF_1111L, f.cpu.r[Cpu.EAX]);
            assertEquals(0xFFFF_0F00L, f.cpu.r[Cpu.ESP]);
            assertFalse(f.cpu.seg[Cpu.FS].usable, "a 16-bit TSS has no FS/GS: null");
            assertEquals(0, f.cpu.seg[Cpu.GS].selector);
            assertEquals(0xABCD_EF01L, f.mem.read32(A + 0x28) & 0xFFFF_FFFFL);
        }
    }

    @Test
    void softwareInterruptThroughATaskGateNests() {
        // int 0x40 (task gate, DPL 0) ; hlt
        try (CpuFixture f = tasks(0xCD, 0x40, HLT)) {
            f.setGate(0x40, TSS_B, 0, 0x5, 0);
            f.load(B_CODE, HLT);
            run(f);
            assertNoFault(f);
            assertEquals(TSS_B, f.cpu.tr.selector);
            assertEquals(Flags.NT, f.cpu.eflags() & Flags.NT);
            assertEquals(TSS_A, f.mem.read16(B));
            assertEquals(CODE + 2, f.mem.read32(A + 0x20) & 0xFFFF_FFFFL, "saved EIP: after INT");
            assertEquals(B_STACK, f.cpu.r[Cpu.ESP], "no error code for INT n");
        }
    }
}

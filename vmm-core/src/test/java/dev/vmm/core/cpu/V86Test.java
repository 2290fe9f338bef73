package dev.vmm.core.cpu;

import static dev.vmm.core.cpu.SysTestSupport.asm;
import static dev.vmm.core.cpu.SysTestSupport.assertFault;
import static dev.vmm.core.cpu.SysTestSupport.flat;
import static dev.vmm.core.cpu.SysTestSupport.run;
import static dev.vmm.core.cpu.SysTestSupport.top;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/** Virtual-8086 mode (Intel SDM vol. 3, "8086 Emulation"). */
class V86Test {
    private static final int HLT = 0xF4;
    private static final int V86_CS = 0x2000;
    private static final int V86_SS = 0x5000;
    private static final int V86_DS = 0x4000;
    private static final long INT_HANDLER = 0x38000;

    /** A ring-0 flat fixture switched straight into v86 mode at V86_CS:0100 with the given IOPL. */
    private static CpuFixture v86(int iopl, int... code) {
        CpuFixture f = flat(HLT);
        f.load(((long) V86_CS << 4) + 0x100, code);
        f.cpu.flags.set(Flags.VM | iopl << 12 | Flags.IF | 2);
        for (int s = 0; s < 6; s++) {
            int sel = s == Cpu.CS ? V86_CS : s == Cpu.SS ? V86_SS : V86_DS;
            f.cpu.seg[s].set(sel, (long) sel << 4, 0xFFFF, 0xF3);
        }
        f.cpu.cpl = 3;
        f.cpu.rip = 0x100;
        f.cpu.r[Cpu.ESP] = 0xFFE;
        return f;
    }

    /** Asserts the ring-0 #GP(0) frame pushed from v86 mode at v86 IP {@code ip}. */
    private static void assertV86Gp(CpuFixture f, long ip) {
        assertFault(f, Exceptions.GP, 0);
        assertEquals(ip, top(f, 1), "v86 IP");
        assertEquals(V86_CS, top(f, 2));
        assertEquals(Flags.VM, top(f, 3) & Flags.VM);
        assertEquals(V86_SS, top(f, 5));
        assertEquals(V86_DS, top(f, 6), "ES");
        assertEquals(V86_DS, top(f, 7), "DS");
        assertEquals(0, f.cpu.cpl);
        assertFalse(f.cpu.v86());
    }

    @Test
    void enterV86ThroughIretAndRunAn8086Program() {
        // ring 0: push gs,fs,ds,es,ss,esp,eflags(VM),cs,eip (as dwords) ; iretd
        int[] enter = asm().b(0x68).d(0).b(0x68).d(0).b(0x68).d(V86_DS).b(0x68).d(V86_DS).b(0x68).d(V86_SS)
                .b(0x68).d(0xFFE).b(0x68).d(Flags.VM | 2).b(0x68).d(V86_CS).b(0x68).d(0x100).b(0xCF).build();
        try (CpuFixture f = flat(enter)) {
            // v86: mov ax,0x1234 ; mov [0x10],ax ; mov bx,ds ; push ax ; hlt (privileged: #GP)
            f.load(((long) V86_CS << 4) + 0x100, 0xB8, 0x34, 0x12, 0xA3, 0x10, 0x00, 0x8C, 0xDB, 0x50, HLT);
            f.cpu.r[Cpu.EBX] = 0;
            run(f);
            assertV86Gp(f, 0x109);
            assertEquals(0x1234, f.mem.read16(((long) V86_DS << 4) + 0x10), "DS:0x10 = linear DS * 16 + 0x10");
            assertEquals(0x1234, f.mem.read16(((long) V86_SS << 4) + 0xFFC), "SS:SP, 16-bit push");
            assertEquals(0xFFC, top(f, 4), "v86 SP");
            assertEquals(0, top(f, 8), "FS");
            assertEquals(0, top(f, 9), "GS");
            assertEquals(V86_DS, f.cpu.r[Cpu.EBX]);
            for (int s : new int[] {Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
                assertEquals(0, f.cpu.seg[s].selector, "data segments nulled on the way to ring 0");
            }
        }
    }

    @Test
    void softwareInterruptGoesToTheRing0Handler() {
        // int 0x21 ; hlt
        try (CpuFixture f = v86(3, 0xCD, 0x21, HLT)) {
            f.load(INT_HANDLER, HLT);
            f.setGate(0x21, 0x08, INT_HANDLER, 0xE, 3);
            run(f);
            assertEquals(INT_HANDLER + 1, f.cpu.rip);
            assertEquals(0, f.cpu.cpl);
            assertFalse(f.cpu.v86());
            assertEquals(0, f.cpu.eflags() & Flags.IF, "interrupt gate clears IF");
            assertEquals(CpuFixture.STACK_TOP - 36, f.cpu.r[Cpu.ESP], "nine dwords from the TSS ring-0 stack");
            assertEquals(0x102, top(f, 0), "return IP after INT");
            assertEquals(V86_CS, top(f, 1));
            assertEquals(Flags.VM | 3 << 12 | Flags.IF, top(f, 2) & (Flags.VM | Flags.IOPL | Flags.IF));
            assertEquals(0xFFE, top(f, 3));
            assertEquals(V86_SS, top(f, 4));
            assertEquals(V86_DS, top(f, 5));
            assertEquals(V86_DS, top(f, 8), "GS");
            assertEquals(0, f.cpu.seg[Cpu.DS].selector);
        }
        // IOPL < 3: INT n is #GP(0).
        try (CpuFixture f = v86(0, 0xCD, 0x21, HLT)) {
            f.setGate(0x21, 0x08, INT_HANDLER, 0xE, 3);
            run(f);
            assertV86Gp(f, 0x100);
        }
    }

    @Test
    void cliNeedsIopl3() {
        try (CpuFixture f = v86(0, 0xFA, HLT)) {
            run(f);
            assertV86Gp(f, 0x100);
            assertEquals(Flags.IF, top(f, 3) & Flags.IF, "IF unchanged");
        }
        try (CpuFixture f = v86(3, 0xFA, HLT)) {
            run(f);
            assertV86Gp(f, 0x101);
            assertEquals(0, top(f, 3) & Flags.IF, "CLI cleared IF");
        }
    }

    @Test
    void ioUsesTheTssBitmapEvenAtIopl3() {
        // out 0x80,al ; in al,0x60 ; hlt — port 0x60 denied in the bitmap
        int[] code = {0xE6, 0x80, 0xE4, 0x60, HLT};
        try (CpuFixture f = v86(3, code)) {
            f.mem.write8(CpuFixture.TSS + 0x68 + (0x60 >> 3), 1);
            run(f);
            assertV86Gp(f, 0x102);
        }
        try (CpuFixture f = v86(0, code)) {
            f.cpu.r[Cpu.EAX] = 0;
            run(f);
            assertV86Gp(f, 0x104);
            assertEquals(0xFF, f.cpu.r[Cpu.EAX], "IN from an unclaimed port reads all ones");
        }
        // Protected mode at CPL 3: IOPL 3 bypasses the bitmap, IOPL 0 consults it.
        for (int iopl : new int[] {3, 0}) {
            try (CpuFixture f = flat(0xE4, 0x60, HLT)) {
                f.mem.write8(CpuFixture.TSS + 0x68 + (0x60 >> 3), 1);
                SysTestSupport.user(f);
                f.cpu.flags.set(iopl << 12 | 2);
                run(f);
                assertFault(f, Exceptions.GP, 0);
                assertEquals(iopl == 3 ? SysTestSupport.CODE + 2 : SysTestSupport.CODE, top(f, 1));
            }
        }
    }

    @Test
    void offsetsBeyond64KFault() {
        // mov ax,[0xFFFF] (word across the 64 KiB limit) ; hlt
        try (CpuFixture f = v86(3, 0xA1, 0xFF, 0xFF, HLT)) {
            run(f);
            assertV86Gp(f, 0x100);
        }
    }

    @Test
    void taskSwitchIntoV86Mode() {
        // jmp far 0x40:0 to a task whose EFLAGS has VM: 8086 segments, CPL 3
        try (CpuFixture f = flat(0xEA, 0, 0, 0, 0, 0x40, 0, HLT)) {
            f.cpu.gdtLimit = 16 * 8 - 1;
            f.mem.write8(CpuFixture.GDT + 7 * 8 + 5, 0x8B);
            long b = 0x6000;
            f.setGdt(8, CpuFixture.descriptor(b, 0x67, 0x89, 0));
            for (int k = 0; k < 0x68; k += 4) {
                f.mem.write32(b + k, 0);
            }
            f.mem.write32(b + 4, (int) CpuFixture.STACK_TOP);
            f.mem.write32(b + 8, 0x10);
            f.mem.write32(b + 0x20, 0x100);
            f.mem.write32(b + 0x24, Flags.VM | 2);
            f.mem.write32(b + 0x38, 0xFFE);
            int[] sregs = {V86_DS, V86_CS, V86_SS, V86_DS, 0, 0};
            for (int s = 0; s < 6; s++) {
                f.mem.write16(b + 0x48 + 4L * s, sregs[s]);
            }
            f.load(((long) V86_CS << 4) + 0x100, HLT);
            run(f);
            assertV86Gp(f, 0x100);
            assertEquals(0x40, f.cpu.tr.selector);
        }
    }
}

package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

/** Far JMP / CALL / RETF in real and protected mode: code segments, call gates, privilege changes, faults. */
class FarTransferTest {
    static final long TOP = CpuFixture.STACK_TOP;
    /** Extra GDT entries used by these tests (the fixture fills 0..7). */
    static final int GATE3 = 0x40;         // 32-bit call gate, DPL 3, -> 0x08:0x20000, 2 parameters
    static final int GATE16 = 0x48;        // 16-bit call gate, DPL 0, -> 0x18:0x0600
    static final int CONFORMING = 0x50;    // conforming ring-0 code32
    static final int NOT_PRESENT = 0x58;   // non-present ring-0 code32
    static final int GATE_DPL0 = 0x60;     // 32-bit call gate, DPL 0, -> 0x08:0x20000
    static final int GATE_NP = 0x68;       // 32-bit call gate, DPL 3, not present
    static final int GATE_DATA = 0x70;     // 32-bit call gate, DPL 3, -> data segment 0x10
    static final int GATE_CONF = 0x78;     // 32-bit call gate, DPL 3, -> conforming 0x50:0x21000

    /** A call/task gate descriptor. */
    static long gate(int sel, long off, int type, int dpl, int count, boolean present) {
        return (off & 0xFFFF) | (long) (sel & 0xFFFF) << 16 | (long) (count & 0x1F) << 32
                | (long) ((present ? 0x80 : 0) | dpl << 5 | type) << 40 | ((off >>> 16) & 0xFFFF) << 48;
    }

    /** Flat 32-bit ring-0 protected mode plus the extra GDT entries above. */
    static CpuFixture pm(long eip) {
        CpuFixture f = new CpuFixture();
        f.flat32(eip);
        f.setGdt(8, gate(0x08, 0x20000, Descriptors.CALL_GATE32, 3, 2, true));
        f.setGdt(9, gate(0x18, 0x0600, Descriptors.CALL_GATE16, 0, 0, true));
        f.setGdt(10, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x9F, 0x4));
        f.setGdt(11, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x1B, 0x4));
        f.setGdt(12, gate(0x08, 0x20000, Descriptors.CALL_GATE32, 0, 0, true));
        f.setGdt(13, gate(0x08, 0x20000, Descriptors.CALL_GATE32, 3, 0, false));
        f.setGdt(14, gate(0x10, 0x20000, Descriptors.CALL_GATE32, 3, 0, true));
        f.setGdt(15, gate(CONFORMING, 0x21000, Descriptors.CALL_GATE32, 3, 0, true));
        f.cpu.gdtLimit = 16 * 8 - 1;
        return f;
    }

    /** Switches the fixture to ring 3 (CS 0x2B, SS/DS/ES/FS/GS 0x33) at {@code eip} with ESP = {@code esp}. */
    static void ring3(CpuFixture f, long eip, long esp) {
        f.loadSeg(Cpu.CS, 0x2B);
        for (int s : new int[] {Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
            f.loadSeg(s, 0x33);
        }
        f.cpu.rip = eip;
        f.cpu.r[Cpu.ESP] = esp;
    }

    /**
     * Executes {@code code} at CS:EIP through its handler (as {@code Cpu.step} would, without delivering the
     * fault), expects a fault, and checks that no register or segment changed.
     */
    static CpuFault fault(CpuFixture f, int... code) {
        Cpu c = f.cpu;
        long start = c.rip;
        long pa = c.seg[Cpu.CS].base + start;
        f.load(pa, code);
        String before = c.toString();
        Insn i = Decoder.decode(o -> f.mem.read8(pa + o), c.codeSize());
        c.rip = start + i.len;
        try {
            Semantics.handler(c, i.entry).exec(c, i);
        } catch (CpuFault e) {
            c.rip = start;
            assertEquals(before, c.toString(), "state changed by a faulting " + i.entry.notation());
            return e;
        }
        return fail("no fault from " + i.entry.notation());
    }

    static void assertFault(int vector, int err, CpuFault e) {
        assertEquals(Exceptions.name(vector) + "(" + Integer.toHexString(err) + ")", e.getMessage());
    }

    // ---- real mode ------------------------------------------------------------------------------

    @Test
    void realFarJumpDirectAndIndirect() {
        try (CpuFixture f = new CpuFixture()) {
            // 0:7C00 jmp 2000:0100 ; 2000:0100 jmp far [0500] -> 3000:0010 ; hlt
            f.load(0x7C00, 0xEA, 0x00, 0x01, 0x00, 0x20);
            f.load(0x20100, 0xFF, 0x2E, 0x00, 0x05);
            f.load(0x30010, 0xF4);
            f.mem.write16(0x500, 0x0010);
            f.mem.write16(0x502, 0x3000);
            f.real(0, 0x7C00);
            f.cpu.step();
            Segment cs = f.cpu.seg[Cpu.CS];
            assertEquals(0x2000, cs.selector);
            assertEquals(0x20000, cs.base);
            assertEquals(0xFFFF, cs.limit);
            assertEquals(0x100, f.cpu.rip);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x3000, cs.selector);
            assertEquals(0x30000, cs.base);
            assertEquals(0x11, f.cpu.rip);
            assertEquals(TOP, f.cpu.r[Cpu.ESP]);
        }
    }

    @Test
    void realFarCallAndRetf() {
        try (CpuFixture f = new CpuFixture()) {
            // 0:7C00 call 3000:0010 ; hlt ; 3000:0010 retf 2
            f.load(0x7C00, 0x9A, 0x10, 0x00, 0x00, 0x30, 0xF4);
            f.load(0x30010, 0xCA, 0x02, 0x00);
            f.real(0, 0x7C00);
            f.cpu.step();
            assertEquals(0x3000, f.cpu.seg[Cpu.CS].selector);
            assertEquals(0x30000, f.cpu.seg[Cpu.CS].base);
            assertEquals(0x10, f.cpu.rip);
            assertEquals(TOP - 4, f.cpu.r[Cpu.ESP]);
            assertEquals(0x7C05, f.mem.read16(TOP - 4));
            assertEquals(0x0000, f.mem.read16(TOP - 2));
            f.cpu.step();
            assertEquals(0, f.cpu.seg[Cpu.CS].selector);
            assertEquals(0, f.cpu.seg[Cpu.CS].base);
            assertEquals(0x7C05, f.cpu.rip);
            assertEquals(TOP + 2, f.cpu.r[Cpu.ESP]);
        }
    }

    @Test
    void realFarCall32AndIndirectCall() {
        try (CpuFixture f = new CpuFixture()) {
            // o32 call 3000:00000010 (66 9A off32 sel) -> pushes CS and EIP as dwords; o32 retf.
            f.load(0x7C00, 0x66, 0x9A, 0x10, 0x00, 0x00, 0x00, 0x00, 0x30);
            f.load(0x30010, 0x66, 0xCB);
            f.real(0, 0x7C00);
            f.cpu.step();
            assertEquals(TOP - 8, f.cpu.r[Cpu.ESP]);
            assertEquals(0x7C08, f.mem.read32(TOP - 8));
            assertEquals(0x0000, f.mem.read32(TOP - 4));
            assertEquals(0x30010, f.cpu.seg[Cpu.CS].base + f.cpu.rip);
            f.cpu.step();
            assertEquals(0x7C08, f.cpu.rip);
            assertEquals(TOP, f.cpu.r[Cpu.ESP]);
            // call far [bx+2] (FF 5F 02) with DS = 0x0040 -> pointer at 0x402+bx
            f.load(0x7C08, 0xFF, 0x5F, 0x02);
            f.cpu.seg[Cpu.DS].loadReal(0x40);
            f.cpu.seg[Cpu.DS].refresh();
            f.cpu.r[Cpu.EBX] = 0x10;
            f.mem.write16(0x412, 0x0020);
            f.mem.write16(0x414, 0x2345);
            f.cpu.step();
            assertEquals(0x2345, f.cpu.seg[Cpu.CS].selector);
            assertEquals(0x20, f.cpu.rip);
            assertEquals(0x7C0B, f.mem.read16(TOP - 4));
            assertEquals(0x0000, f.mem.read16(TOP - 2));
        }
    }

    @Test
    void realFarJumpBeyondLimitFaults() {
        try (CpuFixture f = new CpuFixture()) {
            f.real(0, 0x7C00);
            // o32 jmp 2000:00010000: the offset exceeds the (kept) 64K CS limit.
            assertFault(Exceptions.GP, 0, fault(f, 0x66, 0xEA, 0x00, 0x00, 0x01, 0x00, 0x00, 0x20));
            // o32 retf with SP at FFFE: the EIP dword straddles the stack limit.
            f.cpu.r[Cpu.ESP] = 0xFFFE;
            assertFault(Exceptions.SS, 0, fault(f, 0x66, 0xCB));
        }
    }

    // ---- protected mode -------------------------------------------------------------------------

    @Test
    void callGateFromRing3ToRing0WithParametersAndRetfBack() {
        try (CpuFixture f = pm(0x10000)) {
            ring3(f, 0x10000, 0x7000);
            // ring 3: call 0043:00000000 (the gate ignores the offset) ; hlt
            f.load(0x10000, 0x9A, 0x00, 0x00, 0x00, 0x00, 0x43, 0x00, 0xF4);
            f.mem.write32(0x7000, 0x11111111);
            f.mem.write32(0x7004, 0x22222222);
            f.mem.write32(0x7008, 0x33333333);
            // ring 0 at 0x20000: retf 8
            f.load(0x20000, 0xCA, 0x08, 0x00);
            f.setGdt(1, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x9A, 0x4)); // accessed bit clear
            f.cpu.step();
            Cpu c = f.cpu;
            assertEquals(0, c.cpl);
            assertEquals(0x08, c.seg[Cpu.CS].selector);
            assertEquals(0x20000, c.rip);
            assertEquals(0x10, c.seg[Cpu.SS].selector);
            long sp = TOP - 24;
            assertEquals(sp, c.r[Cpu.ESP]);
            assertEquals(0x10007, f.mem.read32(sp));
            assertEquals(0x2B, f.mem.read32(sp + 4));
            assertEquals(0x11111111, f.mem.read32(sp + 8));
            assertEquals(0x22222222, f.mem.read32(sp + 12));
            assertEquals(0x7000, f.mem.read32(sp + 16));
            assertEquals(0x33, f.mem.read32(sp + 20));
            assertEquals(0x33, c.seg[Cpu.DS].selector); // data segments are not touched by the call
            // The handler loads a ring-0 data segment into DS and returns.
            f.loadSeg(Cpu.DS, 0x10);
            f.cpu.step();
            assertEquals(3, c.cpl);
            assertEquals(0x2B, c.seg[Cpu.CS].selector);
            assertEquals(0x10007, c.rip);
            assertEquals(0x33, c.seg[Cpu.SS].selector);
            assertEquals(0x7008, c.r[Cpu.ESP]); // retf 8 released the two parameters on the outer stack
            assertEquals(0, c.seg[Cpu.DS].selector); // DPL 0 < CPL 3: nulled
            assertFalse(c.seg[Cpu.DS].usable);
            assertEquals(0x33, c.seg[Cpu.ES].selector);
            assertTrue(c.seg[Cpu.ES].usable);
            // The accessed bits were set in the GDT.
            assertEquals(0x9B, f.mem.read8(CpuFixture.GDT + 8 + 5));
        }
    }

    @Test
    void sixteenBitCallGateSamePrivilege() {
        try (CpuFixture f = pm(0x10000)) {
            // ring 0, 32-bit code: call 0048:0 -> 16-bit gate to 0x18:0600 pushes CS and IP as words.
            f.load(0x10000, 0x9A, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00);
            f.load(0x0600, 0xCB); // 16-bit retf
            f.cpu.step();
            Cpu c = f.cpu;
            assertEquals(0x18, c.seg[Cpu.CS].selector);
            assertEquals(16, c.codeSize());
            assertEquals(0x600, c.rip);
            assertEquals(TOP - 4, c.r[Cpu.ESP]);
            assertEquals(0x0007, f.mem.read16(TOP - 4)); // low 16 bits of EIP 0x10007
            assertEquals(0x0008, f.mem.read16(TOP - 2));
            f.cpu.step();
            assertEquals(0x08, c.seg[Cpu.CS].selector);
            assertEquals(0x0007, c.rip);
            assertEquals(TOP, c.r[Cpu.ESP]);
            assertEquals(0, c.cpl);
        }
    }

    @Test
    void conformingTargetsKeepCpl() {
        try (CpuFixture f = pm(0x10000)) {
            ring3(f, 0x10000, 0x7000);
            // Direct far call to conforming ring-0 code: CPL stays 3, CS.RPL = 3, return address on the ring-3 stack.
            f.load(0x10000, 0x9A, 0x00, 0x10, 0x02, 0x00, 0x50, 0x00);
            f.cpu.step();
            Cpu c = f.cpu;
            assertEquals(3, c.cpl);
            assertEquals(0x53, c.seg[Cpu.CS].selector);
            assertEquals(0x21000, c.rip);
            assertEquals(0x6FF8, c.r[Cpu.ESP]);
            assertEquals(0x10007, f.mem.read32(0x6FF8));
            assertEquals(0x2B, f.mem.read32(0x6FFC));
            // Far JMP through a call gate (DPL 3) to the same conforming segment.
            ring3(f, 0x10000, 0x7000);
            f.load(0x10000, 0xEA, 0x00, 0x00, 0x00, 0x00, 0x7B, 0x00);
            f.cpu.step();
            assertEquals(3, c.cpl);
            assertEquals(0x53, c.seg[Cpu.CS].selector);
            assertEquals(0x21000, c.rip);
            assertEquals(0x7000, c.r[Cpu.ESP]);
        }
    }

    @Test
    void farJumpAndRetfSamePrivilege() {
        try (CpuFixture f = pm(0x10000)) {
            // jmp far [ebx] (FF 2B) -> 0x18:0x0700 (16-bit code) ; there: o32 retf via a prepared stack
            f.load(0x10000, 0xFF, 0x2B);
            f.mem.write32(0x5000, 0x0700);
            f.mem.write16(0x5004, 0x18);
            f.cpu.r[Cpu.EBX] = 0x5000;
            f.cpu.step();
            Cpu c = f.cpu;
            assertEquals(0x18, c.seg[Cpu.CS].selector);
            assertEquals(0x700, c.rip);
            f.load(0x700, 0x66, 0xCA, 0x04, 0x00); // o32 retf 4
            c.r[Cpu.ESP] = 0x8000;
            f.mem.write32(0x8000, 0x10020);
            f.mem.write32(0x8004, 0xABCD0008); // high half of the CS dword is ignored
            f.cpu.step();
            assertEquals(0x08, c.seg[Cpu.CS].selector);
            assertEquals(0x10020, c.rip);
            assertEquals(0x800C, c.r[Cpu.ESP]);
            assertEquals(32, c.codeSize());
        }
    }

    @Test
    void protectedModeFaultsHaveTheRightErrorCodes() {
        try (CpuFixture f = pm(0x10000)) {
            // jmp 0000:0 -> #GP(0); jmp to a selector past the GDT limit -> #GP(sel)
            assertFault(Exceptions.GP, 0, fault(f, 0xEA, 0, 0, 0, 0, 0x00, 0x00));
            assertFault(Exceptions.GP, 0x1F8, fault(f, 0xEA, 0, 0, 0, 0, 0xF8, 0x01));
            // call to a data segment -> #GP(0x10); to a non-present code segment -> #NP(0x58)
            assertFault(Exceptions.GP, 0x10, fault(f, 0x9A, 0, 0, 0, 0, 0x10, 0x00));
            assertFault(Exceptions.NP, NOT_PRESENT, fault(f, 0x9A, 0, 0, 0, 0, NOT_PRESENT, 0x00));
            // jmp to the ring-3 code segment from ring 0 (non-conforming, DPL != CPL) -> #GP(0x28)
            assertFault(Exceptions.GP, 0x28, fault(f, 0xEA, 0, 0, 0, 0, 0x2B, 0x00));
            // jmp 0018:00010000: beyond the 16-bit code segment's limit FFFF -> #GP(0)
            assertFault(Exceptions.GP, 0, fault(f, 0xEA, 0x00, 0x00, 0x01, 0x00, 0x18, 0x00));
            // the 16-bit call gate targeting a code segment is fine, but a gate to a data segment -> #GP(0x10)
            assertFault(Exceptions.GP, 0x10, fault(f, 0x9A, 0, 0, 0, 0, GATE_DATA, 0x00));
            // call gate not present -> #NP(gate)
            assertFault(Exceptions.NP, GATE_NP, fault(f, 0x9A, 0, 0, 0, 0, GATE_NP, 0x00));
            // a selector with RPL 3 to a DPL-0 gate -> #GP(gate)
            assertFault(Exceptions.GP, GATE_DPL0, fault(f, 0x9A, 0, 0, 0, 0, GATE_DPL0 | 3, 0x00));

            ring3(f, 0x10000, 0x7000);
            // ring 3: call directly into ring-0 non-conforming code -> #GP(0x08)
            assertFault(Exceptions.GP, 0x08, fault(f, 0x9A, 0, 0, 0, 0, 0x08, 0x00));
            // ring 3: call gate DPL 0 < CPL 3 -> #GP(gate)
            assertFault(Exceptions.GP, GATE_DPL0, fault(f, 0x9A, 0, 0, 0, 0, GATE_DPL0 | 3, 0x00));
            // ring 3: jmp through a call gate to non-conforming ring-0 code -> #GP(0x08)
            assertFault(Exceptions.GP, 0x08, fault(f, 0xEA, 0, 0, 0, 0, GATE3 | 3, 0x00));
            // ring 3: retf to ring 0 (RPL 0 < CPL 3) -> #GP(0x08)
            f.mem.write32(0x7000, 0x10000);
            f.mem.write32(0x7004, 0x08);
            assertFault(Exceptions.GP, 0x08, fault(f, 0xCB));
            // ring 3: TSS SS0 is a ring-3 data segment -> #TS(0x30)
            f.mem.write32(CpuFixture.TSS + 8, 0x33);
            assertFault(Exceptions.TS, 0x30, fault(f, 0x9A, 0, 0, 0, 0, GATE3 | 3, 0x00));
            // TSS SS0 null -> #TS(0); SS0 not present -> #SS(sel)
            f.mem.write32(CpuFixture.TSS + 8, 0);
            assertFault(Exceptions.TS, 0, fault(f, 0x9A, 0, 0, 0, 0, GATE3 | 3, 0x00));
            f.setGdt(2, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x13, 0x4));
            f.mem.write32(CpuFixture.TSS + 8, 0x10);
            assertFault(Exceptions.SS, 0x10, fault(f, 0x9A, 0, 0, 0, 0, GATE3 | 3, 0x00));
            // new ring-0 stack too small (limit below ESP0) -> #SS(0x10)
            f.setGdt(2, CpuFixture.descriptor(0, 0x8FF0, 0x93, 0x4));
            assertFault(Exceptions.SS, 0x10, fault(f, 0x9A, 0, 0, 0, 0, GATE3 | 3, 0x00));
        }
    }

    @Test
    void callThroughTaskGateAndIretBack() {
        try (CpuFixture f = pm(0x10000)) {
            Cpu c = f.cpu;
            long tss = 0x6000;
            f.setGdt(16, CpuFixture.descriptor(tss, 0x67, 0x89, 0));          // 0x80: available 32-bit TSS
            f.setGdt(17, gate(0x80, 0, Descriptors.TASK_GATE, 0, 0, true));    // 0x88: task gate
            c.gdtLimit = 18 * 8 - 1;
            // The current task's descriptor must be busy, as LTR leaves it.
            f.setGdt(7, CpuFixture.descriptor(CpuFixture.TSS, 0x67 + 0x2001, 0x8B, 0));
            f.mem.write32(tss + 0x20, 0x30000);  // EIP
            f.mem.write32(tss + 0x24, 0x2);      // EFLAGS
            f.mem.write32(tss + 0x28, 0xAAAA);   // EAX
            f.mem.write32(tss + 0x38, 0x8800);   // ESP
            int[] sregs = {0x10, 0x08, 0x10, 0x10, 0x10, 0x10};
            for (int k = 0; k < 6; k++) {
                f.mem.write32(tss + 0x48 + 4L * k, sregs[k]);
            }
            f.load(0x10000, 0x9A, 0, 0, 0, 0, 0x88, 0x00); // call 0088:0
            f.load(0x30000, 0xCF);                        // iretd (NT set -> back to the caller)
            c.r[Cpu.EAX] = 0x1111;
            c.step();
            assertEquals(0x80, c.tr.selector);
            assertEquals(0x30000, c.rip);
            assertEquals(0xAAAA, c.r[Cpu.EAX]);
            assertEquals(0x8800, c.r[Cpu.ESP]);
            assertTrue(c.flags.test(Flags.NT));
            assertEquals(0x38, f.mem.read16(tss));                  // back link
            assertEquals(0x8B, f.mem.read8(CpuFixture.GDT + 16 * 8 + 5)); // new TSS busy
            c.step();
            assertEquals(0x38, c.tr.selector);
            assertEquals(0x10007, c.rip);
            assertEquals(0x1111, c.r[Cpu.EAX]);
            assertEquals(TOP, c.r[Cpu.ESP]);
            assertFalse(c.flags.test(Flags.NT));
            assertEquals(0x89, f.mem.read8(CpuFixture.GDT + 16 * 8 + 5)); // abandoned task no longer busy
            assertEquals(0x08, c.seg[Cpu.CS].selector);
            assertEquals(0, c.cpl);
        }
    }

    @Test
    void retfToOuterLevelChecksTheStackSegment() {
        try (CpuFixture f = pm(0x20000)) {
            Cpu c = f.cpu;
            c.r[Cpu.ESP] = 0x8000;
            // Frame for a return to ring 3: EIP, CS=0x2B, ESP, SS
            f.mem.write32(0x8000, 0x10000);
            f.mem.write32(0x8004, 0x2B);
            f.mem.write32(0x8008, 0x7000);
            f.mem.write32(0x800C, 0x10); // SS RPL 0 != 3 -> #GP(0x10)
            assertFault(Exceptions.GP, 0x10, fault(f, 0xCB));
            f.mem.write32(0x800C, 0x2B); // code segment as SS -> #GP(0x28)
            assertFault(Exceptions.GP, 0x28, fault(f, 0xCB));
            f.mem.write32(0x800C, 0x3); // null SS -> #GP(0)
            assertFault(Exceptions.GP, 0, fault(f, 0xCB));
            f.mem.write32(0x800C, 0x33);
            f.load(0x20000, 0xCB);
            c.step();
            assertEquals(3, c.cpl);
            assertEquals(0x2B, c.seg[Cpu.CS].selector);
            assertEquals(0x33, c.seg[Cpu.SS].selector);
            assertEquals(0x7000, c.r[Cpu.ESP]);
            assertEquals(0x10000, c.rip);
            // DS/ES/FS/GS held ring-0 data (0x10): all nulled.
            for (int s : new int[] {Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
                assertEquals(0, c.seg[s].selector);
                assertFalse(c.seg[s].usable);
            }
        }
    }
}

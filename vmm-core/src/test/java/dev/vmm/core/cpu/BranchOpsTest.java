package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Near control transfers: JMP, Jcc, LOOPcc, JCXZ, CALL, RET in 16- and 32-bit code. */
class BranchOpsTest {
    private static final int IVT_GP = 13 * 4;

    /** Real mode: a #GP handler at 0:0x600 that halts. */
    private static void realGpHandler(CpuFixture f) {
        f.mem.write16(IVT_GP, 0x600);
        f.mem.write16(IVT_GP + 2, 0);
        f.load(0x600, 0xF4);
    }

    @Test
    void realShortAndNearJumps() {
        try (CpuFixture f = new CpuFixture()) {
            // 7C00: jmp short 7C05 ; hlt hlt hlt ; 7C05: mov ax,1234 ; jmp near 7C10 ; ... 7C10: hlt
            f.load(0x7C00, 0xEB, 0x03, 0xF4, 0xF4, 0xF4, 0xB8, 0x34, 0x12, 0xE9, 0x05, 0x00);
            f.load(0x7C10, 0xF4);
            f.real(0, 0x7C00);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x1234, f.cpu.reg(Cpu.EAX, 2));
            assertEquals(0x7C11, f.cpu.rip);
            assertEquals(4, f.cpu.instructionCount());
        }
    }

    @Test
    void realBackwardJumpAndIpWrap() {
        try (CpuFixture f = new CpuFixture()) {
            // CS=0x1000, IP=FFFD: jmp near +5 -> next IP wraps to 0, target 0005.
            f.load(0x1FFFD, 0xE9, 0x05, 0x00);
            f.load(0x10005, 0xEB, 0xFE - 2, 0xF4); // jmp short -4 -> 0x0003
            f.load(0x10003, 0xF4);
            f.real(0x1000, 0xFFFD);
            f.cpu.step();
            assertEquals(0x0005, f.cpu.rip);
            f.cpu.step();
            assertEquals(0x0003, f.cpu.rip);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x0004, f.cpu.rip);
        }
    }

    @Test
    void realJumpBeyondCsLimitFaultsWithoutChange() {
        try (CpuFixture f = new CpuFixture()) {
            realGpHandler(f);
            // o32 jmp near +0x10000 from 16-bit code: target above the 64K limit -> #GP(0).
            f.load(0x7C00, 0x66, 0xE9, 0x00, 0x00, 0x01, 0x00);
            f.real(0, 0x7C00);
            f.cpu.flags.set(0x202);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x601, f.cpu.rip);
            // Real-mode #GP frame: IP of the faulting JMP, CS, FLAGS.
            assertEquals(CpuFixture.STACK_TOP - 6, f.cpu.reg(Cpu.ESP, 4));
            assertEquals(0x7C00, f.mem.read16(CpuFixture.STACK_TOP - 6));
            assertEquals(0x0000, f.mem.read16(CpuFixture.STACK_TOP - 4));
            assertEquals(0x0202, f.mem.read16(CpuFixture.STACK_TOP - 2));
        }
    }

    @Test
    void realIndirectJumps() {
        try (CpuFixture f = new CpuFixture()) {
            // jmp bx (FF E3) -> 7C20: jmp [0x500] (FF 26 00 05) -> 7C30: hlt
            f.load(0x7C00, 0xFF, 0xE3);
            f.load(0x7C20, 0xFF, 0x26, 0x00, 0x05);
            f.load(0x7C30, 0xF4);
            f.mem.write16(0x500, 0x7C30);
            f.real(0, 0x7C00);
            f.cpu.r[Cpu.EBX] = 0xABCD_7C20L;
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x7C31, f.cpu.rip);
        }
    }

    @Test
    void realCallAndReturn() {
        try (CpuFixture f = new CpuFixture()) {
            // 7C00: call 7C10 ; hlt ; 7C10: ret 4 (C2 04 00)
            f.load(0x7C00, 0xE8, 0x0D, 0x00, 0xF4);
            f.load(0x7C10, 0xC2, 0x04, 0x00);
            f.real(0, 0x7C00);
            f.cpu.step();
            assertEquals(0x7C10, f.cpu.rip);
            assertEquals(CpuFixture.STACK_TOP - 2, f.cpu.reg(Cpu.ESP, 4));
            assertEquals(0x7C03, f.mem.read16(CpuFixture.STACK_TOP - 2));
            f.cpu.step();
            assertEquals(0x7C03, f.cpu.rip);
            assertEquals(CpuFixture.STACK_TOP + 4, f.cpu.reg(Cpu.ESP, 4));
            // call bx (FF D3) and ret (C3)
            f.load(0x7C03, 0xFF, 0xD3, 0xF4);
            f.load(0x7C40, 0xC3);
            f.cpu.r[Cpu.EBX] = 0x7C40;
            f.cpu.step();
            assertEquals(0x7C40, f.cpu.rip);
            assertEquals(0x7C05, f.mem.read16(CpuFixture.STACK_TOP + 2));
            f.cpu.step();
            assertEquals(0x7C05, f.cpu.rip);
            assertEquals(CpuFixture.STACK_TOP + 4, f.cpu.reg(Cpu.ESP, 4));
        }
    }

    @Test
    void realStackWrapOnCall() {
        try (CpuFixture f = new CpuFixture()) {
            // SP = 0: the return address goes to SS:FFFE.
            f.load(0x7C00, 0xE8, 0x00, 0x00);
            f.real(0, 0x7C00);
            f.cpu.r[Cpu.ESP] = 0;
            f.cpu.step();
            assertEquals(0xFFFE, f.cpu.reg(Cpu.ESP, 4));
            assertEquals(0x7C03, f.mem.read16(0xFFFE));
            assertEquals(0x7C03, f.cpu.rip);
        }
    }

    @Test
    void flat32CallRetAndIndirect() {
        try (CpuFixture f = new CpuFixture()) {
            // 10000: call 10100 ; hlt ; 10100: call [ebx] -> 10200 ; 10106: ret ; 10200: ret 8
            f.load(0x10000, 0xE8, 0xFB, 0x00, 0x00, 0x00, 0xF4);
            f.load(0x10100, 0xFF, 0x13, 0xC3); // (ebx -> 0x5000, above the fixture's TSS bitmap)
            f.load(0x10200, 0xC2, 0x08, 0x00);
            f.mem.write32(0x5000, 0x10200);
            f.flat32(0x10000);
            f.cpu.r[Cpu.EBX] = 0x5000;
            f.cpu.step();
            assertEquals(0x10100, f.cpu.rip);
            assertEquals(CpuFixture.STACK_TOP - 4, f.cpu.reg(Cpu.ESP, 4));
            assertEquals(0x10005, f.mem.read32(CpuFixture.STACK_TOP - 4));
            f.cpu.step();
            assertEquals(0x10200, f.cpu.rip);
            assertEquals(0x10102, f.mem.read32(CpuFixture.STACK_TOP - 8));
            f.cpu.step();
            assertEquals(0x10102, f.cpu.rip);
            assertEquals(CpuFixture.STACK_TOP + 4, f.cpu.reg(Cpu.ESP, 4));
        }
    }

    @Test
    void flat32SixteenBitCallTruncatesEip() {
        try (CpuFixture f = new CpuFixture()) {
            // o16 call rel16 at 10000: next EIP 10004, target (10004 + 04FC) & FFFF = 0500.
            f.load(0x10000, 0x66, 0xE8, 0xFC, 0x04);
            f.load(0x0500, 0x66, 0xC3); // o16 ret: pops 16 bits
            f.flat32(0x10000);
            f.cpu.step();
            assertEquals(0x0500, f.cpu.rip);
            assertEquals(CpuFixture.STACK_TOP - 2, f.cpu.reg(Cpu.ESP, 4));
            assertEquals(0x0004, f.mem.read16(CpuFixture.STACK_TOP - 2));
            f.cpu.step();
            assertEquals(0x0004, f.cpu.rip);
            assertEquals(CpuFixture.STACK_TOP, f.cpu.reg(Cpu.ESP, 4));
            // o16 jmp short: EIP truncated to 16 bits as well.
            f.load(0x10000, 0x66, 0xEB, 0x10);
            f.cpu.rip = 0x10000;
            f.cpu.step();
            assertEquals(0x0013, f.cpu.rip);
        }
    }

    /** Flat 32-bit code in a segment (GDT 0x40) limited to 0x1FFFF, with a #GP handler that halts. */
    private static CpuFixture limited(long eip) {
        CpuFixture f = new CpuFixture();
        f.flat32(eip);
        f.setGdt(8, CpuFixture.descriptor(0, 0x1FFFF, 0x9B, 0x4));
        f.cpu.gdtLimit = 16 * 8 - 1;
        f.loadSeg(Cpu.CS, 0x40);
        f.setGate(13, 0x08, 0x500, 0xE, 0);
        f.load(0x500, 0xF4);
        return f;
    }

    @Test
    void flat32CallBeyondLimitPushesNothing() {
        try (CpuFixture f = limited(0x1FF00)) {
            // call rel32 to 0x20000 (> limit 0x1FFFF): #GP(0), no return address pushed.
            f.load(0x1FF00, 0xE8, 0xFB, 0x00, 0x00, 0x00);
            f.mem.write32(CpuFixture.STACK_TOP - 4, 0x55AA55AA);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x501, f.cpu.rip);
            assertEquals(CpuFixture.STACK_TOP - 16, f.cpu.reg(Cpu.ESP, 4));
            long sp = CpuFixture.STACK_TOP - 16;
            assertEquals(0, f.mem.read32(sp));             // error code
            assertEquals(0x1FF00, f.mem.read32(sp + 4));   // EIP of the CALL
            assertEquals(0x40, f.mem.read32(sp + 8));      // CS
            assertEquals(Flags.RF | 0x2, f.mem.read32(sp + 12)); // a fault pushes RF = 1
        }
    }

    @Test
    void flat32RetBeyondLimitFaults() {
        try (CpuFixture f = limited(0x1FF00)) {
            f.load(0x1FF00, 0xC3);
            f.cpu.r[Cpu.ESP] = CpuFixture.STACK_TOP - 4;
            f.mem.write32(CpuFixture.STACK_TOP - 4, 0x20000);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            // #GP frame below the unpopped return address: EFLAGS, CS, EIP of the RET, error code.
            assertEquals(CpuFixture.STACK_TOP - 20, f.cpu.reg(Cpu.ESP, 4));
            assertEquals(0x1FF00, f.mem.read32(CpuFixture.STACK_TOP - 16));
            // The return address is still on the stack, above the #GP frame.
            assertEquals(0x20000, f.mem.read32(CpuFixture.STACK_TOP - 4));
        }
    }

    private static boolean expected(int cc, int fl) {
        boolean cf = (fl & Flags.CF) != 0;
        boolean zf = (fl & Flags.ZF) != 0;
        boolean sf = (fl & Flags.SF) != 0;
        boolean of = (fl & Flags.OF) != 0;
        boolean pf = (fl & Flags.PF) != 0;
        boolean r = switch (cc >> 1) {
            case 0 -> of;
            case 1 -> cf;
            case 2 -> zf;
            case 3 -> cf || zf;
            case 4 -> sf;
            case 5 -> pf;
            case 6 -> sf != of;
            default -> zf || sf != of;
        };
        return (cc & 1) != 0 ? !r : r;
    }

    @Test
    void jccAllConditionsBothForms() {
        int[] bits = {Flags.CF, Flags.ZF, Flags.SF, Flags.OF, Flags.PF};
        try (CpuFixture f = new CpuFixture()) {
            f.flat32(0x10000);
            int taken = 0;
            for (int cc = 0; cc < 16; cc++) {
                // 10000: Jcc short +0x20 ; 10100: Jcc near -0x1000 (0F 8x rel32)
                f.load(0x10000, 0x70 + cc, 0x20);
                f.load(0x10100, 0x0F, 0x80 + cc, 0x00, 0xF0, 0xFF, 0xFF);
                for (int m = 0; m < 32; m++) {
                    int fl = 0x2;
                    for (int b = 0; b < 5; b++) {
                        if ((m & (1 << b)) != 0) {
                            fl |= bits[b];
                        }
                    }
                    boolean t = expected(cc, fl);
                    f.cpu.flags.set(fl);
                    f.cpu.rip = 0x10000;
                    f.cpu.step();
                    assertEquals(t ? 0x10022 : 0x10002, f.cpu.rip, "J" + cc + " short, flags " + fl);
                    f.cpu.flags.set(fl);
                    f.cpu.rip = 0x10100;
                    f.cpu.step();
                    assertEquals(t ? 0xF106 : 0x10106, f.cpu.rip, "J" + cc + " near, flags " + fl);
                    taken += t ? 1 : 0;
                }
            }
            assertEquals(16 * 16, taken);
        }
    }

    @Test
    void jccUsesLazyFlags() {
        try (CpuFixture f = new CpuFixture()) {
            f.flat32(0x10000);
            f.load(0x10000, 0x72, 0x10); // jb +0x10
            f.cpu.flags.lazy(Flags.SUB, 4, 1, 2, -1); // 1 - 2: CF=1
            f.cpu.step();
            assertEquals(0x10012, f.cpu.rip);
            f.cpu.rip = 0x10000;
            f.cpu.flags.lazy(Flags.SUB, 4, 2, 1, 1);
            f.cpu.step();
            assertEquals(0x10002, f.cpu.rip);
        }
    }

    @Test
    void loopCountsDownCx() {
        try (CpuFixture f = new CpuFixture()) {
            // 7C00: loop 7C00 (E2 FE) ; hlt
            f.load(0x7C00, 0xE2, 0xFE, 0xF4);
            f.real(0, 0x7C00);
            f.cpu.r[Cpu.ECX] = 0x1234_0003L;
            f.cpu.step();
            assertEquals(0x7C00, f.cpu.rip);
            assertEquals(0x1234_0002L, f.cpu.r[Cpu.ECX]);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(0x1234_0000L, f.cpu.r[Cpu.ECX]);
            assertEquals(0x7C03, f.cpu.rip);
            assertEquals(4, f.cpu.instructionCount());
        }
    }

    @Test
    void loopWithZeroCountWrapsAndUsesAddressSize() {
        try (CpuFixture f = new CpuFixture()) {
            // 16-bit: CX = 0 -> CX = FFFF, taken. a32 (67 E2 FD): ECX = 0x10000 -> FFFF, taken; ECX = 1 -> 0, not taken.
            f.load(0x7C00, 0xE2, 0xFE);
            f.load(0x7C10, 0x67, 0xE2, 0xFD);
            f.real(0, 0x7C00);
            f.cpu.r[Cpu.ECX] = 0x5_0000L;
            f.cpu.step();
            assertEquals(0x5_FFFFL, f.cpu.r[Cpu.ECX]);
            assertEquals(0x7C00, f.cpu.rip);
            f.cpu.rip = 0x7C10;
            f.cpu.r[Cpu.ECX] = 0x1_0000L;
            f.cpu.step();
            assertEquals(0xFFFFL, f.cpu.r[Cpu.ECX]);
            assertEquals(0x7C10, f.cpu.rip);
            f.cpu.r[Cpu.ECX] = 1;
            f.cpu.step();
            assertEquals(0, f.cpu.r[Cpu.ECX]);
            assertEquals(0x7C13, f.cpu.rip);
        }
    }

    @Test
    void loopeAndLoopne() {
        try (CpuFixture f = new CpuFixture()) {
            f.flat32(0x10000);
            f.load(0x10000, 0xE1, 0x10); // loope +0x10
            f.load(0x10100, 0xE0, 0x10); // loopne +0x10
            int[][] cases = {
                // opcode-address, ECX, ZF, expected rip, expected ECX
                {0x10000, 5, 1, 0x10012, 4}, {0x10000, 5, 0, 0x10002, 4}, {0x10000, 1, 1, 0x10002, 0},
                {0x10100, 5, 0, 0x10112, 4}, {0x10100, 5, 1, 0x10102, 4}, {0x10100, 1, 0, 0x10102, 0},
            };
            for (int[] c : cases) {
                f.cpu.rip = c[0];
                f.cpu.r[Cpu.ECX] = c[1];
                f.cpu.flags.set(c[2] != 0 ? Flags.ZF | 2 : 2);
                f.cpu.step();
                assertEquals(c[3], f.cpu.rip, "case at " + Integer.toHexString(c[0]) + " zf " + c[2]);
                assertEquals(c[4], f.cpu.r[Cpu.ECX]);
                assertEquals(c[2] != 0, f.cpu.flags.zf());
            }
        }
    }

    @Test
    void loopBeyondLimitLeavesCountUnchanged() {
        try (CpuFixture f = limited(0x1FFF0)) {
            f.load(0x1FFF0, 0xE2, 0x7F); // loop +0x7F -> 0x20071 > limit
            f.cpu.r[Cpu.ECX] = 7;
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(7, f.cpu.r[Cpu.ECX]);
            assertEquals(0x1FFF0, f.mem.read32(CpuFixture.STACK_TOP - 12));
        }
    }

    @Test
    void jcxzAndJecxz() {
        try (CpuFixture f = new CpuFixture()) {
            f.real(0, 0x7C00);
            f.load(0x7C00, 0xE3, 0x10);        // jcxz: CX
            f.load(0x7C20, 0x67, 0xE3, 0x10);  // jecxz (a32 in 16-bit code)
            f.cpu.r[Cpu.ECX] = 0x1_0000L;     // CX = 0, ECX != 0
            f.cpu.step();
            assertEquals(0x7C12, f.cpu.rip);
            f.cpu.rip = 0x7C20;
            f.cpu.step();
            assertEquals(0x7C23, f.cpu.rip);
            f.cpu.r[Cpu.ECX] = 0;
            f.cpu.rip = 0x7C20;
            f.cpu.step();
            assertEquals(0x7C33, f.cpu.rip);
            assertEquals(0, f.cpu.r[Cpu.ECX]);
        }
    }

    @Test
    void realIndirectCallFaultsOnBadOperandWithoutPush() {
        try (CpuFixture f = new CpuFixture()) {
            realGpHandler(f);
            // call word [0xFFFF]: the operand straddles the DS limit -> #GP(0), nothing pushed.
            f.load(0x7C00, 0xFF, 0x16, 0xFF, 0xFF);
            f.real(0, 0x7C00);
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(CpuFixture.STACK_TOP - 6, f.cpu.reg(Cpu.ESP, 4));
            assertEquals(0x7C00, f.mem.read16(CpuFixture.STACK_TOP - 6));
            assertTrue(f.cpu.rip == 0x601);
            assertFalse(f.cpu.protectedMode());
        }
    }
}

package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Data movement: MOV, MOVZX, MOVSX, LEA, XCHG, XLAT, CBW/CWD, CMOVcc, BSWAP, XADD, CMPXCHG,
 * CMPXCHG8B, NOP.
 *
 * <p>Memory is always written before any register or flag changes, so a faulting write has no
 * visible effect. CMPXCHG and CMPXCHG8B check the destination for writing before reading it, and
 * write it back unchanged when the comparison fails (the processor always performs the write cycle).
 */
final class MoveOps {
    private MoveOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("MOV", MoveOps::mov);
        m.put("NOP", (c, i) -> { });
        m.put("PAUSE", (c, i) -> { });
        m.put("LEA", MoveOps::lea);
        m.put("MOVZX", MoveOps::movzx);
        m.put("MOVSX", MoveOps::movsx);
        m.put("XCHG", MoveOps::xchg);
        m.put("XLAT", MoveOps::xlat);
        m.put("CBW", MoveOps::cbw);
        m.put("CWD", MoveOps::cwd);
        m.put("CMOVCC", MoveOps::cmov);
        m.put("BSWAP", MoveOps::bswap);
        m.put("XADD", MoveOps::xadd);
        m.put("CMPXCHG", MoveOps::cmpxchg);
        m.put("CMPXCHG8B", MoveOps::cmpxchg8b);
    }

    static void mov(Cpu c, Insn i) {
        c.setOp1(i, c.op2(i));
    }

    static void lea(Cpu c, Insn i) {
        c.setReg(i.reg, i.osize, c.ea(i));
    }

    static void movzx(Cpu c, Insn i) {
        c.setReg(i.reg, i.w1, c.op2(i));
    }

    static void movsx(Cpu c, Insn i) {
        c.setReg(i.reg, i.w1, Cpu.sext(c.op2(i), i.w2));
    }

    /** XCHG: the memory operand (if any) is operand 1 and is written first. */
    static void xchg(Cpu c, Insn i) {
        long a = c.op1(i);
        long b = c.op2(i);
        c.setOp1(i, b);
        c.setOp2(i, a);
    }

    /** XLAT: AL = [seg:(E)BX + AL]. */
    static void xlat(Cpu c, Insn i) {
        long off = Cpu.mask(c.reg(Cpu.EBX, i.asize) + c.reg(Cpu.EAX, 1), i.asize);
        c.setReg(Cpu.EAX, 1, c.read(i.seg, off, 1));
    }

    /** CBW / CWDE: sign-extends AL into AX or AX into EAX. */
    static void cbw(Cpu c, Insn i) {
        int half = i.osize / 2;
        c.setReg(Cpu.EAX, i.osize, Cpu.sext(c.reg(Cpu.EAX, half), half));
    }

    /** CWD / CDQ: DX or EDX = the sign of AX or EAX. */
    static void cwd(Cpu c, Insn i) {
        long a = Cpu.sext(c.reg(Cpu.EAX, i.osize), i.osize);
        c.setReg(Cpu.EDX, i.osize, a < 0 ? -1 : 0);
    }

    /**
     * CMOVcc: the source is always read (a memory source can fault even when the condition is
     * false); a 32-bit destination is written (zero-extended) even when the condition is false.
     */
    static void cmov(Cpu c, Insn i) {
        long v = c.op2(i);
        if (c.flags.cond(i.opcode & 0xF)) {
            c.setReg(i.reg, i.w1, v);
        } else if (i.w1 == 4) {
            c.setReg(i.reg, 4, c.reg(i.reg, 4));
        }
    }

    /** BSWAP: with a 16-bit operand size the result is undefined; like Intel we clear the low word. */
    static void bswap(Cpu c, Insn i) {
        if (i.osize == 2) {
            c.setReg(i.reg, 2, 0);
        } else {
            c.setReg(i.reg, 4, Integer.reverseBytes((int) c.reg(i.reg, 4)) & 0xFFFF_FFFFL);
        }
    }

    /** XADD: TEMP = DEST + SRC; SRC = DEST; DEST = TEMP (the destination wins if both are one register). */
    static void xadd(Cpu c, Insn i) {
        long a = c.op1(i);
        long b = c.op2(i);
        long r = Cpu.mask(a + b, i.w1);
        if (i.mod == 3) {
            c.setOp2(i, a);
            c.setOp1(i, r);
        } else {
            c.setOp1(i, r);
            c.setOp2(i, a);
        }
        c.flags.lazy(Flags.ADD, i.w1, a, b, r);
    }

    /** CMPXCHG: compares the accumulator with DEST; equal: DEST = SRC, else accumulator = DEST. */
    static void cmpxchg(Cpu c, Insn i) {
        int w = i.w1;
        if (i.mod != 3) {
            c.probeWrite(i.seg, c.ea(i), w);
        }
        long dest = c.op1(i);
        long src = c.op2(i);
        long acc = c.reg(Cpu.EAX, w);
        if (acc == dest) {
            c.setOp1(i, src);
        } else {
            c.setOp1(i, dest);
            c.setReg(Cpu.EAX, w, dest);
        }
        c.flags.lazy(Flags.SUB, w, acc, dest, Cpu.mask(acc - dest, w));
    }

    /** CMPXCHG8B m64: compares EDX:EAX with m64; equal: m64 = ECX:EBX, ZF = 1; else EDX:EAX = m64, ZF = 0. */
    static void cmpxchg8b(Cpu c, Insn i) {
        long off = c.ea(i);
        c.probeWrite(i.seg, off, 8);
        long m = c.read(i.seg, off, 8);
        long cmp = c.reg(Cpu.EDX, 4) << 32 | c.reg(Cpu.EAX, 4);
        if (m == cmp) {
            c.write(i.seg, off, 8, c.reg(Cpu.ECX, 4) << 32 | c.reg(Cpu.EBX, 4));
            c.flags.setMasked(Flags.ZF, Flags.ZF);
        } else {
            c.write(i.seg, off, 8, m);
            c.setReg(Cpu.EAX, 4, m & 0xFFFF_FFFFL);
            c.setReg(Cpu.EDX, 4, m >>> 32);
            c.flags.setMasked(Flags.ZF, 0);
        }
    }
}

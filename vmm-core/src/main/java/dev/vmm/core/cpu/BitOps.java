package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Bit operations: BT BTS BTR BTC (Ev,Gv and Ev,Ib), BSF BSR, SETcc (Intel SDM vol. 2A/2B).
 *
 * <p>BT* with a register bit offset and a memory operand address the bit string beyond the
 * operand: the offset is signed, the operand at {@code ea + (offset >> log2(width)) * width bytes}
 * is accessed, and the bit is {@code offset mod width}. With a register destination, and in the
 * immediate form, the offset is taken modulo the operand width. BTS/BTR/BTC read, then write, then
 * set CF, so a faulting write leaves no trace.
 *
 * <p>Undefined flags, as on the reference host (AMD Zen 3, checked with the native oracle): BT*
 * leave OF SF ZF AF PF unchanged; BSF/BSR leave CF OF SF AF PF unchanged. BSF/BSR of zero set ZF and
 * leave the destination unchanged (what Intel and AMD processors do).
 */
final class BitOps {
    private BitOps() {
    }

    private static final int BT = 0;
    private static final int BTS = 1;
    private static final int BTR = 2;
    private static final int BTC = 3;

    static void register(Map<String, Handler> m) {
        m.put("BT", (c, i) -> bitTest(c, i, BT));
        m.put("BTS", (c, i) -> bitTest(c, i, BTS));
        m.put("BTR", (c, i) -> bitTest(c, i, BTR));
        m.put("BTC", (c, i) -> bitTest(c, i, BTC));
        m.put("BSF", (c, i) -> bitScan(c, i, true));
        m.put("BSR", (c, i) -> bitScan(c, i, false));
        m.put("SETCC", BitOps::setcc);
    }

    private static void bitTest(Cpu c, Insn i, int op) {
        int w = i.w1;
        int bits = w * 8;
        long offset = c.op2(i);
        if (i.k2 == Operand.G && i.mod != 3) {
            bitTestMemory(c, i, op, Cpu.sext(offset, w));
            return;
        }
        int bit = (int) offset & (bits - 1);
        long v = c.readE(i, w);
        long cf = (v >>> bit) & 1;
        if (op != BT) {
            c.writeE(i, w, modify(op, v, bit));
        }
        c.flags.setMasked(Flags.CF, (int) cf);
    }

    /** BT* Ev,Gv with a memory operand: the signed offset may reach outside the operand. */
    private static void bitTestMemory(Cpu c, Insn i, int op, long offset) {
        int w = i.w1;
        int shift = w == 2 ? 4 : w == 4 ? 5 : 6;
        long off = Cpu.mask(c.ea(i) + (offset >> shift) * w, i.asize);
        int bit = (int) offset & (w * 8 - 1);
        long v = c.read(i.seg, off, w);
        long cf = (v >>> bit) & 1;
        if (op != BT) {
            c.write(i.seg, off, w, modify(op, v, bit));
        }
        c.flags.setMasked(Flags.CF, (int) cf);
    }

    private static long modify(int op, long v, int bit) {
        long m = 1L << bit;
        return switch (op) {
            case BTS -> v | m;
            case BTR -> v & ~m;
            default -> v ^ m;
        };
    }

    private static void bitScan(Cpu c, Insn i, boolean forward) {
        int w = i.w2;
        long src = c.readE(i, w);
        if (src == 0) {
            c.flags.setMasked(Flags.ZF, Flags.ZF);
            return;
        }
        long idx = forward ? Long.numberOfTrailingZeros(src) : 63 - Long.numberOfLeadingZeros(src);
        c.setReg(i.reg, w, idx);
        c.flags.setMasked(Flags.ZF, 0);
    }

    private static void setcc(Cpu c, Insn i) {
        c.writeE(i, 1, c.flags.cond(i.opcode & 0xF) ? 1 : 0);
    }
}

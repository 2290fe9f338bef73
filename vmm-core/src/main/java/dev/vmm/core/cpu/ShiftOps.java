package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Shifts and rotates: ROL ROR RCL RCR SHL (= SAL) SHR SAR by 1, CL or an immediate, and the double
 * shifts SHLD/SHRD (Intel SDM vol. 2B, "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD").
 *
 * <p>The count is masked to five bits (386 and later; six for 64-bit operands); RCL/RCR of 8- and
 * 16-bit operands then take it modulo 9 and 17. A masked count of zero changes nothing, flags included (the operand is still
 * read, so a memory operand can fault). The destination is written before the flags are updated,
 * so a faulting write leaves no trace.
 *
 * <p>Flags the SDM leaves undefined are computed the way the reference host (AMD Zen 3, checked with
 * the native oracle) computes them, all deterministic:
 * <ul>
 *   <li>OF for counts other than 1 uses the count-1 formula on the final result: ROL/RCL/SHL/SHLD
 *       {@code MSB(res) ^ CF}, ROR/RCR/SHR/SHRD {@code MSB(res) ^ MSB-1(res)}, SAR 0. RCL/RCR whose
 *       count is a non-zero multiple of 9/17 leave result and CF alone but still recompute OF.
 *   <li>AF is set by SHL/SHR/SAR/SHLD/SHRD with a non-zero count; rotates leave it unchanged.
 *   <li>8/16-bit SHL/SHR with a count above the width: CF is the last bit shifted out (0).
 *   <li>16-bit SHLD/SHRD with a count above 16 (result undefined): the operand acts as
 *       {@code dest:src:src} (SHLD) or {@code src:src:dest} (SHRD) shifted as 48 bits, CF is 0, and
 *       SHLD's OF is CF (bit 15 of the shifted-out destination no longer counts).
 * </ul>
 */
final class ShiftOps {
    private ShiftOps() {
    }

    private static final int ROL = 0;
    private static final int ROR = 1;
    private static final int RCL = 2;
    private static final int RCR = 3;
    private static final int SHL = 4;
    private static final int SHR = 5;
    private static final int SAR = 7;

    static void register(Map<String, Handler> m) {
        m.put("ROL", (c, i) -> shift(c, i, ROL));
        m.put("ROR", (c, i) -> shift(c, i, ROR));
        m.put("RCL", (c, i) -> shift(c, i, RCL));
        m.put("RCR", (c, i) -> shift(c, i, RCR));
        m.put("SHL", (c, i) -> shift(c, i, SHL));
        m.put("SHR", (c, i) -> shift(c, i, SHR));
        m.put("SAR", (c, i) -> shift(c, i, SAR));
        m.put("SHLD", ShiftOps::shld);
        m.put("SHRD", ShiftOps::shrd);
    }

    private static long msb(long v, int bits) {
        return (v >>> (bits - 1)) & 1;
    }

    /** Shifts that yield 0 for counts of 64 and more (Java masks the count). */
    private static long shl(long v, int n) {
        return n >= 64 ? 0 : v << n;
    }

    private static long shr(long v, int n) {
        return n >= 64 ? 0 : v >>> n;
    }

    /** The count mask: 6 bits for 64-bit operands, else 5. */
    private static int countMask(int w) {
        return w == 8 ? 0x3F : 0x1F;
    }

    private static void shift(Cpu c, Insn i, int op) {
        long val = c.op1(i);
        int count = (int) c.op2(i) & countMask(i.w1);
        if (count == 0) {
            return;
        }
        if (op <= ROR) {
            rotate(c, i, op == ROL, val, count);
        } else if (op <= RCR) {
            rotateCarry(c, i, op == RCL, val, count);
        } else {
            shiftArith(c, i, op, val, count);
        }
    }

    private static void rotate(Cpu c, Insn i, boolean left, long val, int count) {
        int w = i.w1;
        int bits = w * 8;
        int r = count & (bits - 1);
        long res = Cpu.mask(left ? shl(val, r) | shr(val, bits - r) : shr(val, r) | shl(val, bits - r), w);
        c.setOp1(i, res);
        long cf = left ? res & 1 : msb(res, bits);
        long of = left ? msb(res, bits) ^ cf : msb(res, bits) ^ msb(res, bits - 1);
        c.flags.setMasked(Flags.CF | Flags.OF, (int) (cf | of << 11));
    }

    /** RCL/RCR: a rotate of the (bits + 1)-bit value CF:val by r = 1..bits. */
    private static void rotateCarry(Cpu c, Insn i, boolean left, long val, int count) {
        int w = i.w1;
        int bits = w * 8;
        int r = w == 1 ? count % 9 : w == 2 ? count % 17 : count;
        long cf = c.flags.cf();
        long res = val;
        if (r != 0) {
            if (left) {
                res = Cpu.mask(shl(val, r) | cf << (r - 1) | shr(val, bits + 1 - r), w);
                cf = shr(val, bits - r) & 1;
            } else {
                res = Cpu.mask(shr(val, r) | cf << (bits - r) | shl(val, bits + 1 - r), w);
                cf = shr(val, r - 1) & 1;
            }
        }
        c.setOp1(i, res);
        long of = left ? msb(res, bits) ^ cf : msb(res, bits) ^ msb(res, bits - 1);
        c.flags.setMasked(Flags.CF | Flags.OF, (int) (cf | of << 11));
    }

    private static void shiftArith(Cpu c, Insn i, int op, long val, int count) {
        int w = i.w1;
        int bits = w * 8;
        long res;
        long cf;
        long of;
        switch (op) {
            case SHL -> {
                res = Cpu.mask(shl(val, count), w);
                cf = count <= bits ? shr(val, bits - count) & 1 : 0;
                of = msb(res, bits) ^ cf;
            }
            case SHR -> {
                cf = (val >>> (count - 1)) & 1;
                res = val >>> count;
                of = msb(res, bits) ^ msb(res, bits - 1);
            }
            default -> {
                long s = Cpu.sext(val, w);
                cf = (s >> (count - 1)) & 1;
                res = Cpu.mask(s >> count, w);
                of = 0;
            }
        }
        c.setOp1(i, res);
        c.flags.setResult(res, w, (int) (cf | of << 11) | Flags.AF);
    }

    /** SHLD Ev,Gv,Ib/CL. */
    private static void shld(Cpu c, Insn i) {
        int w = i.w1;
        int bits = w * 8;
        long d = c.op1(i);
        long s = c.op2(i);
        int count = (int) c.op(i, 3) & countMask(w);
        if (count == 0) {
            return;
        }
        long res;
        long cf;
        long of;
        if (w == 2) {
            // Counts above 16 shift dest:src:src as 48 bits (what the reference host does).
            long cat = d << 32 | s << 16 | s;
            res = (cat << count >>> 32) & 0xFFFF;
            cf = count <= 16 ? (d >>> (16 - count)) & 1 : 0;
            of = cf ^ (count < 16 ? msb(res, 16) : 0);
        } else {
            res = Cpu.mask(shl(d, count) | shr(s, bits - count), w);
            cf = shr(d, bits - count) & 1;
            of = msb(res, bits) ^ cf;
        }
        c.setOp1(i, res);
        c.flags.setResult(res, w, (int) (cf | of << 11) | Flags.AF);
    }

    /** SHRD Ev,Gv,Ib/CL. */
    private static void shrd(Cpu c, Insn i) {
        int w = i.w1;
        int bits = w * 8;
        long d = c.op1(i);
        long s = c.op2(i);
        int count = (int) c.op(i, 3) & countMask(w);
        if (count == 0) {
            return;
        }
        long res;
        long cf;
        if (w == 2) {
            // Counts above 16 shift src:src:dest as 48 bits (what the reference host does).
            long cat = s << 32 | s << 16 | d;
            res = (cat >>> count) & 0xFFFF;
            cf = count <= 16 ? (d >>> (count - 1)) & 1 : 0;
        } else {
            res = Cpu.mask(shr(d, count) | shl(s, bits - count), w);
            cf = shr(d, count - 1) & 1;
        }
        long of = msb(res, bits) ^ msb(res, bits - 1);
        c.setOp1(i, res);
        c.flags.setResult(res, w, (int) (cf | of << 11) | Flags.AF);
    }
}

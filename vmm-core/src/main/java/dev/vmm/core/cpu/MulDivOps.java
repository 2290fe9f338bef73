package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Multiply and divide: MUL, IMUL (one, two and three operands), DIV, IDIV.
 *
 * <p>Flags after a multiply: CF = OF = "the product does not fit the destination" (SDM). SF, ZF, AF
 * and PF are undefined; we do what Intel P6-family and later processors do (and what Bochs and QEMU
 * model): SF, ZF and PF from the low half of the product (the truncated result), AF cleared.
 *
 * <p>Divide: #DE on a zero divisor or a quotient that does not fit, before any state changes. All
 * six status flags are undefined after DIV/IDIV; we leave them unchanged.
 */
final class MulDivOps {
    private MulDivOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("MUL", MulDivOps::mul);
        m.put("IMUL1", MulDivOps::imul1);
        m.put("IMUL2", MulDivOps::imul2);
        m.put("IMUL3", MulDivOps::imul3);
        m.put("DIV", MulDivOps::div);
        m.put("IDIV", MulDivOps::idiv);
    }

    /** Sets the flags of a multiply: SF/ZF/PF from the low half {@code lo}, AF = 0, CF = OF = overflow. */
    private static void mulFlags(Cpu c, long lo, int size, boolean overflow) {
        c.flags.setResult(lo, size, overflow ? Flags.CF | Flags.OF : 0);
    }

    /** MUL r/m: AX = AL * r/m8, DX:AX = AX * r/m16, EDX:EAX = EAX * r/m32 (unsigned). */
    static void mul(Cpu c, Insn i) {
        mul(c, i.w1, c.op1(i));
    }

    /** MUL of the accumulator at width {@code w} by {@code b} (the r/m operand, already read). */
    static void mul(Cpu c, int w, long b) {
        long p = c.reg(Cpu.EAX, w) * b;
        long hi;
        switch (w) {
            case 1 -> {
                c.setReg(Cpu.EAX, 2, p);
                hi = p >>> 8;
            }
            case 2 -> {
                c.setReg(Cpu.EAX, 2, p);
                c.setReg(Cpu.EDX, 2, p >>> 16);
                hi = p >>> 16;
            }
            default -> {
                c.setReg(Cpu.EAX, 4, p);
                c.setReg(Cpu.EDX, 4, p >>> 32);
                hi = p >>> 32;
            }
        }
        mulFlags(c, p, w, hi != 0);
    }

    /** IMUL r/m (one operand): the signed double-width product in AX, DX:AX or EDX:EAX. */
    static void imul1(Cpu c, Insn i) {
        int w = i.w1;
        long b = Cpu.sext(c.op1(i), w);
        long p = Cpu.sext(c.reg(Cpu.EAX, w), w) * b;
        switch (w) {
            case 1 -> c.setReg(Cpu.EAX, 2, p);
            case 2 -> {
                c.setReg(Cpu.EAX, 2, p);
                c.setReg(Cpu.EDX, 2, p >>> 16);
            }
            default -> {
                c.setReg(Cpu.EAX, 4, p);
                c.setReg(Cpu.EDX, 4, p >>> 32);
            }
        }
        mulFlags(c, p, w, p != Cpu.sext(p, w));
    }

    /** IMUL Gv,Ev: Gv = Gv * Ev, truncated. */
    static void imul2(Cpu c, Insn i) {
        int w = i.w1;
        long b = Cpu.sext(c.op2(i), w);
        long p = Cpu.sext(c.op1(i), w) * b;
        c.setReg(i.reg, w, p);
        mulFlags(c, p, w, p != Cpu.sext(p, w));
    }

    /** IMUL Gv,Ev,imm: Gv = Ev * imm, truncated. */
    static void imul3(Cpu c, Insn i) {
        int w = i.w1;
        long a = Cpu.sext(c.op2(i), w);
        long p = a * Cpu.sext(c.op(i, 3), w);
        c.setReg(i.reg, w, p);
        mulFlags(c, p, w, p != Cpu.sext(p, w));
    }

    private static CpuFault de(Cpu c) {
        return c.fault(Exceptions.DE, -1);
    }

    /** DIV r/m (unsigned): AX / r/m8 -> AL, AH; DX:AX / r/m16 -> AX, DX; EDX:EAX / r/m32 -> EAX, EDX. */
    static void div(Cpu c, Insn i) {
        int w = i.w1;
        long d = c.op1(i);
        if (d == 0) {
            throw de(c);
        }
        switch (w) {
            case 1 -> {
                long n = c.reg(Cpu.EAX, 2);
                long q = n / d;
                if (q > 0xFF) {
                    throw de(c);
                }
                c.setReg(Cpu.EAX, 2, (n % d) << 8 | q);
            }
            case 2 -> {
                long n = c.reg(Cpu.EDX, 2) << 16 | c.reg(Cpu.EAX, 2);
                long q = n / d;
                if (q > 0xFFFF) {
                    throw de(c);
                }
                c.setReg(Cpu.EAX, 2, q);
                c.setReg(Cpu.EDX, 2, n % d);
            }
            default -> {
                long n = c.reg(Cpu.EDX, 4) << 32 | c.reg(Cpu.EAX, 4);
                long q = Long.divideUnsigned(n, d);
                if (Long.compareUnsigned(q, 0xFFFF_FFFFL) > 0) {
                    throw de(c);
                }
                c.setReg(Cpu.EAX, 4, q);
                c.setReg(Cpu.EDX, 4, Long.remainderUnsigned(n, d));
            }
        }
    }

    /**
     * IDIV r/m (signed, quotient truncated toward zero, remainder with the dividend's sign). A
     * quotient equal to the most negative value is valid (286 and later).
     */
    static void idiv(Cpu c, Insn i) {
        int w = i.w1;
        long d = Cpu.sext(c.op1(i), w);
        if (d == 0) {
            throw de(c);
        }
        long n = switch (w) {
            case 1 -> (short) c.reg(Cpu.EAX, 2);
            case 2 -> (int) (c.reg(Cpu.EDX, 2) << 16 | c.reg(Cpu.EAX, 2));
            default -> c.reg(Cpu.EDX, 4) << 32 | c.reg(Cpu.EAX, 4);
        };
        if (w == 4 && n == Long.MIN_VALUE && d == -1) {
            throw de(c);
        }
        long q = n / d;
        long r = n % d;
        if (q != Cpu.sext(q, w)) {
            throw de(c);
        }
        switch (w) {
            case 1 -> c.setReg(Cpu.EAX, 2, (r & 0xFF) << 8 | (q & 0xFF));
            case 2 -> {
                c.setReg(Cpu.EAX, 2, q);
                c.setReg(Cpu.EDX, 2, r);
            }
            default -> {
                c.setReg(Cpu.EAX, 4, q);
                c.setReg(Cpu.EDX, 4, r);
            }
        }
    }
}

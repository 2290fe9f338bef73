package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT, in all their
 * forms (the table's operands say which; {@link Cpu#op1}/{@link Cpu#op2}/{@link Cpu#setOp1} do the
 * rest). Flags are recorded lazily. A memory destination is read, then written, and only then are
 * the flags updated, so a faulting write leaves no trace.
 *
 * <p>Undefined flags: AF after AND/OR/XOR/TEST is cleared (what Intel processors do).
 */
final class AluOps {
    private AluOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("ADD", AluOps::add);
        m.put("OR", AluOps::or);
        m.put("ADC", AluOps::adc);
        m.put("SBB", AluOps::sbb);
        m.put("AND", AluOps::and);
        m.put("SUB", AluOps::sub);
        m.put("XOR", AluOps::xor);
        m.put("CMP", AluOps::cmp);
        m.put("TEST", AluOps::test);
        m.put("INC", AluOps::inc);
        m.put("DEC", AluOps::dec);
        m.put("NEG", AluOps::neg);
        m.put("NOT", AluOps::not);
    }

    static void add(Cpu c, Insn i) {
        long a = c.op1(i);
        long b = c.op2(i);
        long r = Cpu.mask(a + b, i.w1);
        c.setOp1(i, r);
        c.flags.lazy(Flags.ADD, i.w1, a, b, r);
    }

    static void adc(Cpu c, Insn i) {
        long a = c.op1(i);
        long b = c.op2(i);
        int cf = c.flags.cf();
        long r = Cpu.mask(a + b + cf, i.w1);
        c.setOp1(i, r);
        c.flags.lazy(cf != 0 ? Flags.ADC : Flags.ADD, i.w1, a, b, r);
    }

    static void sub(Cpu c, Insn i) {
        long a = c.op1(i);
        long b = c.op2(i);
        long r = Cpu.mask(a - b, i.w1);
        c.setOp1(i, r);
        c.flags.lazy(Flags.SUB, i.w1, a, b, r);
    }

    static void sbb(Cpu c, Insn i) {
        long a = c.op1(i);
        long b = c.op2(i);
        int cf = c.flags.cf();
        long r = Cpu.mask(a - b - cf, i.w1);
        c.setOp1(i, r);
        c.flags.lazy(cf != 0 ? Flags.SBB : Flags.SUB, i.w1, a, b, r);
    }

    static void cmp(Cpu c, Insn i) {
        long a = c.op1(i);
        long b = c.op2(i);
        c.flags.lazy(Flags.SUB, i.w1, a, b, Cpu.mask(a - b, i.w1));
    }

    static void and(Cpu c, Insn i) {
        long r = c.op1(i) & c.op2(i);
        c.setOp1(i, r);
        c.flags.lazy(Flags.LOGIC, i.w1, 0, 0, r);
    }

    static void or(Cpu c, Insn i) {
        long r = c.op1(i) | c.op2(i);
        c.setOp1(i, r);
        c.flags.lazy(Flags.LOGIC, i.w1, 0, 0, r);
    }

    static void xor(Cpu c, Insn i) {
        long r = c.op1(i) ^ c.op2(i);
        c.setOp1(i, r);
        c.flags.lazy(Flags.LOGIC, i.w1, 0, 0, r);
    }

    static void test(Cpu c, Insn i) {
        long r = c.op1(i) & c.op2(i);
        c.flags.lazy(Flags.LOGIC, i.w1, 0, 0, r);
    }

    /** INC: CF is preserved (the lazy INC kind keeps it). */
    static void inc(Cpu c, Insn i) {
        long a = c.op1(i);
        long r = Cpu.mask(a + 1, i.w1);
        c.setOp1(i, r);
        c.flags.lazy(Flags.INC, i.w1, a, 1, r);
    }

    static void dec(Cpu c, Insn i) {
        long a = c.op1(i);
        long r = Cpu.mask(a - 1, i.w1);
        c.setOp1(i, r);
        c.flags.lazy(Flags.DEC, i.w1, a, 1, r);
    }

    /** NEG: flags as for 0 - a (CF = operand != 0, OF = operand was the most negative value). */
    static void neg(Cpu c, Insn i) {
        long a = c.op1(i);
        long r = Cpu.mask(-a, i.w1);
        c.setOp1(i, r);
        c.flags.lazy(Flags.SUB, i.w1, 0, a, r);
    }

    /** NOT: no flags. */
    static void not(Cpu c, Insn i) {
        c.setOp1(i, Cpu.mask(~c.op1(i), i.w1));
    }
}

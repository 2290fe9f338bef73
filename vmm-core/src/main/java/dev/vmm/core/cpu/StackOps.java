package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Stack instructions: PUSH, POP (general, memory, immediate and segment forms), PUSHA/POPA,
 * PUSHF/POPF, ENTER, LEAVE, and BOUND (Intel SDM vol. 2).
 *
 * <p>All of them are precise: every read and every write is checked before ESP or any other
 * register changes.
 */
final class StackOps {
    private StackOps() {
    }

    /** EFLAGS bits POPF can ever write (with a 32-bit operand size). */
    private static final int POPF_BITS = Flags.ARITH | Flags.TF | Flags.IF | Flags.DF | Flags.IOPL | Flags.NT
            | Flags.AC | Flags.ID;

    static void register(Map<String, Handler> m) {
        m.put("PUSH", StackOps::push);
        m.put("POP", StackOps::pop);
        m.put("PUSHA", StackOps::pusha);
        m.put("POPA", StackOps::popa);
        m.put("PUSHF", StackOps::pushf);
        m.put("POPF", StackOps::popf);
        m.put("ENTER", StackOps::enter);
        m.put("LEAVE", StackOps::leave);
        m.put("BOUND", StackOps::bound);
    }

    // ---- PUSH / POP ---------------------------------------------------------------------------

    static void push(Cpu c, Insn i) {
        if (i.k1 == Operand.SREG) {
            pushSreg(c, i.osize, c.seg[i.entry.operands().getFirst().fixed()].selector);
            return;
        }
        // The operand (register, memory or immediate) is read before ESP changes: PUSH ESP pushes
        // the old value, and PUSH [ESP+n] addresses relative to the old ESP.
        c.push(i.osize, c.op1(i));
    }

    /**
     * PUSH of a segment register: ESP moves by the operand size, but with a 32-bit operand size
     * only the low 16 bits are written (the upper half of the slot keeps its old contents), as on
     * current Intel processors.
     */
    private static void pushSreg(Cpu c, int size, int sel) {
        int ss = c.stackSize();
        long sp = Cpu.mask(c.reg(Cpu.ESP, ss) - size, ss);
        c.write(Cpu.SS, sp, 2, sel);
        c.setReg(Cpu.ESP, ss, sp);
    }

    static void pop(Cpu c, Insn i) {
        int size = i.osize;
        switch (i.k1) {
            case Operand.Z -> {
                long v = c.pop(size);
                // POP ESP: the popped value replaces the incremented ESP.
                c.setReg(i.reg, size, v);
            }
            case Operand.SREG -> popSreg(c, i.entry.operands().getFirst().fixed(), size);
            default -> popEv(c, i, size);
        }
    }

    private static void popEv(Cpu c, Insn i, int size) {
        int ss = c.stackSize();
        long sp = c.reg(Cpu.ESP, ss);
        long v = c.read(Cpu.SS, sp, size);
        if (i.mod == 3) {
            c.setReg(Cpu.ESP, ss, sp + size);
            c.setReg(i.rm, size, v);
            return;
        }
        // The destination address is computed with the incremented ESP (SDM: POP [ESP] uses the
        // new value); ESP itself changes only after the write succeeded.
        long saved = c.r[Cpu.ESP];
        c.setReg(Cpu.ESP, ss, sp + size);
        long ea = c.ea(i);
        long incremented = c.r[Cpu.ESP];
        c.r[Cpu.ESP] = saved;
        c.write(i.seg, ea, size, v);
        c.r[Cpu.ESP] = incremented;
    }

    private static void popSreg(Cpu c, int sreg, int size) {
        int ss = c.stackSize();
        long sp = c.reg(Cpu.ESP, ss);
        long v = c.read(Cpu.SS, sp, size);
        Segmentation.load(c, sreg, (int) v & 0xFFFF);
        // The increment uses the stack size in effect before the load (the old SS).
        c.setReg(Cpu.ESP, ss, sp + size);
        if (sreg == Cpu.SS) {
            c.inhibit = 1;
        }
    }

    // ---- PUSHA / POPA -------------------------------------------------------------------------

    static void pusha(Cpu c, Insn i) {
        int size = i.osize;
        int ss = c.stackSize();
        long sp = c.reg(Cpu.ESP, ss);
        // Check all eight slots before writing any (the block may wrap in a 16-bit stack).
        for (int k = 1; k <= 8; k++) {
            c.probeWrite(Cpu.SS, Cpu.mask(sp - (long) k * size, ss), size);
        }
        for (int k = 0; k < 8; k++) {
            // Register order EAX, ECX, EDX, EBX, original ESP, EBP, ESI, EDI.
            c.write(Cpu.SS, Cpu.mask(sp - (long) (k + 1) * size, ss), size, c.reg(k, size));
        }
        c.setReg(Cpu.ESP, ss, sp - 8L * size);
    }

    static void popa(Cpu c, Insn i) {
        int size = i.osize;
        int ss = c.stackSize();
        long sp = c.reg(Cpu.ESP, ss);
        long[] v = new long[8];
        for (int k = 0; k < 8; k++) {
            // EDI is at the top of the stack, EAX at the bottom.
            v[7 - k] = c.read(Cpu.SS, Cpu.mask(sp + (long) k * size, ss), size);
        }
        for (int k = 0; k < 8; k++) {
            if (k != Cpu.ESP) {
                c.setReg(k, size, v[k]);
            }
        }
        c.setReg(Cpu.ESP, ss, sp + 8L * size);
    }

    // ---- PUSHF / POPF -------------------------------------------------------------------------

    static void pushf(Cpu c, Insn i) {
        int f = c.eflags();
        if (c.v86() && c.iopl() < 3) {
            if (i.osize != 2 || (c.cr4 & Cpu.CR4_VME) == 0) {
                throw c.gp(0);
            }
            // Virtual-8086 mode extensions: the image shows VIF as IF and IOPL 3.
            f = (f & ~Flags.IF) | ((f & Flags.VIF) != 0 ? Flags.IF : 0) | Flags.IOPL;
        }
        c.push(i.osize, f & ~(Flags.VM | Flags.RF));
    }

    static void popf(Cpu c, Insn i) {
        int size = i.osize;
        int mask = POPF_BITS;
        boolean vme = false;
        if (c.v86()) {
            if (c.iopl() < 3) {
                if (size != 2 || (c.cr4 & Cpu.CR4_VME) == 0) {
                    throw c.gp(0);
                }
                vme = true;
                mask &= ~Flags.IF;
            }
            mask &= ~Flags.IOPL;
        } else if (c.protectedMode()) {
            if (c.cpl > 0) {
                mask &= ~Flags.IOPL;
            }
            if (c.cpl > c.iopl()) {
                mask &= ~Flags.IF;
            }
        }
        int v = (int) c.peek(0, size);
        if (vme && ((v & Flags.TF) != 0 || ((v & Flags.IF) != 0 && (c.flags.bits & Flags.VIP) != 0))) {
            throw c.gp(0);
        }
        c.pop(size);
        if (size == 2) {
            mask &= 0xFFFF;
        } else {
            // A 32-bit POPF clears RF.
            mask |= Flags.RF;
            v &= ~Flags.RF;
        }
        c.flags.setMasked(mask, v);
        if (vme) {
            c.flags.setBit(Flags.VIF, (v & Flags.IF) != 0);
        }
    }

    // ---- ENTER / LEAVE ------------------------------------------------------------------------

    static void enter(Cpu c, Insn i) {
        int size = i.osize;
        long alloc = i.imm & 0xFFFF;
        int level = (int) i.imm2 & 31;
        int ss = c.stackSize();
        long sp = c.reg(Cpu.ESP, ss);
        // The values to push: EBP, the level-1 frame pointers copied from the old frame, then the
        // new frame pointer. All reads come first.
        long[] vals = new long[level + 1];
        int n = 0;
        vals[n++] = c.reg(Cpu.EBP, size);
        long frame = Cpu.mask(sp - size, ss);
        long frameFull = ss == 2 ? (c.r[Cpu.ESP] & 0xFFFF_0000L) | frame : frame;
        if (level > 0) {
            long bp = c.reg(Cpu.EBP, ss);
            for (int k = 1; k < level; k++) {
                bp = Cpu.mask(bp - size, ss);
                vals[n++] = c.read(Cpu.SS, bp, size);
            }
            vals[n++] = frameFull;
        }
        long finalSp = Cpu.mask(sp - (long) n * size - alloc, ss);
        // Every slot and the final stack pointer must be writable before anything is written.
        for (int k = 1; k <= n; k++) {
            c.probeWrite(Cpu.SS, Cpu.mask(sp - (long) k * size, ss), size);
        }
        c.probeWrite(Cpu.SS, finalSp, size);
        for (int k = 0; k < n; k++) {
            c.write(Cpu.SS, Cpu.mask(sp - (long) (k + 1) * size, ss), size, vals[k]);
        }
        c.setReg(Cpu.EBP, size, frameFull);
        c.setReg(Cpu.ESP, ss, finalSp);
    }

    static void leave(Cpu c, Insn i) {
        int size = i.osize;
        int ss = c.stackSize();
        long bp = c.reg(Cpu.EBP, ss);
        long v = c.read(Cpu.SS, bp, size);
        c.setReg(Cpu.ESP, ss, bp + size);
        c.setReg(Cpu.EBP, size, v);
    }

    // ---- BOUND --------------------------------------------------------------------------------

    static void bound(Cpu c, Insn i) {
        int size = i.osize;
        long ea = c.ea(i);
        long lower = Cpu.sext(c.read(i.seg, ea, size), size);
        long upper = Cpu.sext(c.read(i.seg, Cpu.mask(ea + size, i.asize), size), size);
        long index = Cpu.sext(c.reg(i.reg, size), size);
        if (index < lower || index > upper) {
            throw c.fault(Exceptions.BR, -1);
        }
    }
}

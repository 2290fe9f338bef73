package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Control transfers (Intel SDM vol. 2): near JMP/Jcc/LOOPcc/JCXZ/CALL/RET, far JMP/CALL/RETF,
 * INT n/INT3/INTO/INT1 and IRET. Near branches are handled here; the protected-mode far transfers
 * live in {@link FarTransfers}.
 *
 * <p>{@code Cpu.step} has set {@code rip} to the next instruction, which is the base of relative
 * branches and the return address. A target beyond the CS limit raises #GP(0) before any change.
 */
final class BranchOps {
    private BranchOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("JMP", BranchOps::jmp);
        m.put("JCC", BranchOps::jcc);
        m.put("LOOP", BranchOps::loop);
        m.put("JCXZ", BranchOps::jcxz);
        m.put("CALL", BranchOps::call);
        m.put("RET", BranchOps::ret);
        m.put("JMPF", BranchOps::jmpf);
        m.put("CALLF", BranchOps::callf);
        m.put("RETF", BranchOps::retf);
        m.put("INT", (c, i) -> c.interrupts.software((int) i.imm & 0xFF, Interrupts.SOFTWARE));
        m.put("INT3", (c, i) -> c.interrupts.software(Exceptions.BP, Interrupts.SOFT_EXCEPTION));
        m.put("INTO", BranchOps::into);
        m.put("INT1", (c, i) -> c.interrupts.software(Exceptions.DB, Interrupts.ICEBP));
        m.put("IRET", BranchOps::iret);
    }

    /** Sets EIP to {@code target} masked to the operand size, after the CS limit check. */
    static void branch(Cpu c, long target, int osize) {
        long t = Cpu.mask(target, osize);
        if (t > c.seg[Cpu.CS].limit) {
            throw c.gp(0);
        }
        c.rip = t;
    }

    /** The target of a near JMP/CALL: relative (Jb/Jz) or absolute (Ev). */
    private static long nearTarget(Cpu c, Insn i) {
        return i.k1 == Operand.J ? c.rip + i.imm : c.readE(i, i.osize);
    }

    static void jmp(Cpu c, Insn i) {
        branch(c, nearTarget(c, i), i.osize);
    }

    static void jcc(Cpu c, Insn i) {
        if (c.flags.cond(i.opcode & 0xF)) {
            branch(c, c.rip + i.imm, i.osize);
        }
    }

    /** LOOP (E2), LOOPE (E1), LOOPNE (E0): the count is CX or ECX by address size. */
    static void loop(Cpu c, Insn i) {
        long n = Cpu.mask(c.reg(Cpu.ECX, i.asize) - 1, i.asize);
        boolean take = n != 0 && switch (i.opcode) {
            case 0xE0 -> !c.flags.zf();
            case 0xE1 -> c.flags.zf();
            default -> true;
        };
        if (take) {
            branch(c, c.rip + i.imm, i.osize);
        }
        c.setReg(Cpu.ECX, i.asize, n);
    }

    static void jcxz(Cpu c, Insn i) {
        if (c.reg(Cpu.ECX, i.asize) == 0) {
            branch(c, c.rip + i.imm, i.osize);
        }
    }

    static void call(Cpu c, Insn i) {
        long t = Cpu.mask(nearTarget(c, i), i.osize);
        if (t > c.seg[Cpu.CS].limit) {
            throw c.gp(0);
        }
        c.push(i.osize, c.rip);
        c.rip = t;
    }

    static void ret(Cpu c, Insn i) {
        long t = c.peek(0, i.osize);
        if (t > c.seg[Cpu.CS].limit) {
            throw c.gp(0);
        }
        int ss = c.stackSize();
        long imm = i.k1 == Operand.I ? i.imm & 0xFFFF : 0;
        c.setReg(Cpu.ESP, ss, c.reg(Cpu.ESP, ss) + i.osize + imm);
        c.rip = t;
    }

    /** True in real and virtual-8086 mode, where far transfers load CS as base = selector * 16. */
    private static boolean realStyle(Cpu c) {
        return !c.protectedMode() || c.v86();
    }

    /** The far pointer operand as {@code (selector << 32) | offset}: direct (Ap) or in memory (Mp). */
    private static long farPointer(Cpu c, Insn i) {
        if (i.k1 == Operand.A) {
            return (i.imm2 & 0xFFFF) << 32 | Cpu.mask(i.imm, i.osize);
        }
        long ea = c.ea(i);
        long off = c.read(i.seg, ea, i.osize);
        long sel = c.read(i.seg, Cpu.mask(ea + i.osize, i.asize), 2);
        return sel << 32 | off;
    }

    static void jmpf(Cpu c, Insn i) {
        long fp = farPointer(c, i);
        int sel = (int) (fp >>> 32);
        long off = fp & 0xFFFF_FFFFL;
        if (realStyle(c)) {
            FarTransfers.checkLimit(c, off, c.seg[Cpu.CS].limit);
            FarTransfers.loadCsReal(c, sel);
            c.rip = off;
            return;
        }
        FarTransfers.jmp(c, sel, off, i.osize);
    }

    static void callf(Cpu c, Insn i) {
        long fp = farPointer(c, i);
        int sel = (int) (fp >>> 32);
        long off = fp & 0xFFFF_FFFFL;
        if (realStyle(c)) {
            int size = i.osize;
            long sp = c.reg(Cpu.ESP, c.stackSize());
            FarTransfers.probePushes(c, sp, 2, size);
            FarTransfers.checkLimit(c, off, c.seg[Cpu.CS].limit);
            long p = FarTransfers.pushAt(c, sp, size, c.seg[Cpu.CS].selector);
            p = FarTransfers.pushAt(c, p, size, c.rip);
            c.setReg(Cpu.ESP, c.stackSize(), p);
            FarTransfers.loadCsReal(c, sel);
            c.rip = off;
            return;
        }
        FarTransfers.call(c, sel, off, i.osize);
    }

    static void retf(Cpu c, Insn i) {
        int imm = i.k1 == Operand.I ? (int) i.imm & 0xFFFF : 0;
        if (realStyle(c)) {
            FarTransfers.retfReal(c, i.osize, imm);
        } else {
            FarTransfers.retf(c, i.osize, imm);
        }
    }

    static void into(Cpu c, Insn i) {
        if (c.flags.of()) {
            c.interrupts.software(Exceptions.OF, Interrupts.SOFT_EXCEPTION);
        }
    }

    static void iret(Cpu c, Insn i) {
        if (!c.protectedMode()) {
            FarTransfers.iretReal(c, i.osize);
        } else if (c.v86()) {
            FarTransfers.iretV86(c, i.osize);
        } else {
            FarTransfers.iret(c, i.osize);
        }
    }
}

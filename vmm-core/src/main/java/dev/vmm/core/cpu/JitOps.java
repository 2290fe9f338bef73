package dev.vmm.core.cpu;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * Run-time helpers of compiled blocks ({@link JitEmit}) for what is not worth emitting inline.
 */
final class JitOps {
    private JitOps() {
    }

    /**
     * Writes flags kept in a compiled block's locals ({@link JitEmit}) back: the lazy record of the
     * last flag-setting instruction, and CF in the eager bits (where INC/DEC keep it; the other kinds
     * compute CF from the record and ignore that bit).
     */
    static void spill(Cpu c, int kind, int size, long a, long b, long res, int cf) {
        Flags f = c.flags;
        f.bits = (f.bits & ~Flags.CF) | cf;
        f.kind = kind;
        f.size = size;
        f.a = a;
        f.b = b;
        f.res = res;
    }

    /** Ints per instruction in a compiled block's info table (see {@link Jit}). */
    static final int INFO = 6;

    static final MethodTypeDesc MTD_MISS = MethodTypeDesc.of(CD_int, ClassDesc.of("dev.vmm.core.cpu.Cpu"),
            CD_int, CD_long, CD_long, CD_int.arrayType(), ClassDesc.of("dev.vmm.core.cpu.Insn").arrayType(),
            CD_int, CD_long, CD_long, CD_long, CD_int, CD_int);

    /**
     * Inline form {@code idx} of a compiled block entered at {@code entry} needs the full path for
     * its memory access ({@link JitMem.Miss}): the state of that instruction's start (the flags as
     * before it, the count of the instructions before it), then the instruction through its handler
     * as {@link BlockRunner} runs it (a fault propagates with that state), and its page in the JIT's
     * TLB if it qualifies now. The block then leaves: returns the region member of the instruction.
     */
    static int miss(Cpu c, int idx, long entry, long mask, int[] info, Insn[] insns, int fk, long fa, long fb,
            long fr, int fcf, int fx) {
        int k = idx * INFO;
        spillAny(c, info[k + 3], info[k + 4], fk, fa, fb, fr, fcf, fx);
        c.startRip = (entry + info[k]) & mask;
        c.icount += info[k + 2];
        Insn i = insns[idx];
        int stack = JitEmit.stackOp(i);
        boolean fill = stack != 0 || JitEmit.touchesMemory(i);     // not a JMP's target check
        long lin = stack == 0 ? fill ? (c.seg[i.seg].base + c.ea(i)) & 0xFFFF_FFFFL : 0
                : (c.seg[Cpu.SS].base + c.r[Cpu.ESP] - (stack > 0 ? 4 : 0)) & 0xFFFF_FFFFL;
        boolean user = c.cpl == 3;
        c.rip = (entry + info[k + 1]) & mask;
        i.step.exec(c, i);
        c.icount++;
        if (fill) {
            c.mmu.jitFill(lin, false, user);
            c.mmu.jitFill(lin, true, user);
        }
        return info[k + 5];
    }

    /** {@link JitEmit#spill} at run time: the flag locals of family {@code fam} back to {@link Cpu#flags}. */
    private static void spillAny(Cpu c, int fam, int size, int fk, long fa, long fb, long fr, int fcf, int fx) {
        if (fam == JitEmit.F_RES) {
            c.flags.setResult(fr, size, fx);
        } else if (fam != JitEmit.MEM) {
            spill(c, fk, size, fa, fb, fr, fcf);
        }
    }
}

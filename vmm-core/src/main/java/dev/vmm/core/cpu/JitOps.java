package dev.vmm.core.cpu;

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
}

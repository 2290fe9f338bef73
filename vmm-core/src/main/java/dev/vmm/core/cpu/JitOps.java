package dev.vmm.core.cpu;

import java.lang.classfile.CodeBuilder;

/**
 * The instruction forms {@link Jit} compiles to calls with constant operands.
 */
final class JitOps {
    private JitOps() {
    }

    /** Emits {@code i} as a call with constant operands if its form has one; false if not. */
    static boolean emit(CodeBuilder c, Insn i) {
        return false;
    }
}

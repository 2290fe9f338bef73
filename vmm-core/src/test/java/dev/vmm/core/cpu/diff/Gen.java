package dev.vmm.core.cpu.diff;

/**
 * Generates one instruction into a {@link CaseBuilder}: it calls {@link CaseBuilder#begin()}, asks
 * for the operand values it depends on ({@code need...}), emits the bytes and reports the flag
 * effects with {@link CaseBuilder#flags}.
 */
@FunctionalInterface
interface Gen {
    void emit(CaseBuilder b);

    /**
     * A named generator of an instruction class.
     *
     * @param cls the class (test container)
     * @param name the test name
     * @param cases how many cases one run generates
     * @param inSequences whether {@link Generators#SEQUENCES} may use it
     * @param gen the generator
     */
    record Spec(String cls, String name, int cases, boolean inSequences, Gen gen) {
    }
}

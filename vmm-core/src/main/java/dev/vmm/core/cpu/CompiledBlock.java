package dev.vmm.core.cpu;

/**
 * A {@link Block} compiled to JVM bytecode by {@link Jit}: one hidden class per block.
 *
 * <p>{@link #run} executes the whole block on {@code c} with the same per-instruction bookkeeping
 * as {@link BlockRunner} ({@link Cpu#startRip}, rip, the instruction count) and the same early
 * exits (a branch taken, a code page written since {@code generation}, an interrupt hint while
 * {@code watchIntr}). Faults propagate to the caller as {@link CpuFault}.
 *
 * <p>A block that ends with a branch back to its own start runs again in place while at least
 * its length is left of {@code budget} and nothing else has to be looked at: no stop request, no
 * interrupt hint, no code write.
 */
public interface CompiledBlock {
    void run(Cpu c, int generation, boolean watchIntr, long budget);
}

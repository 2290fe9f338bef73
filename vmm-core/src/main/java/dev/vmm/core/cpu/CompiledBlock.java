package dev.vmm.core.cpu;

/**
 * A region of {@link Block}s compiled to JVM bytecode by {@link Jit}: one hidden class per region,
 * which extends this class.
 *
 * <p>{@link #run} executes the head block ({@code members[0]}) on {@code c} with the same
 * per-instruction bookkeeping as {@link BlockRunner} ({@link Cpu#startRip}, rip, the instruction
 * count) and the same early exits (a branch taken, a code page written since {@code generation},
 * an interrupt hint while {@code watchIntr}). Faults propagate to the caller as {@link CpuFault}.
 *
 * <p>After a member that ends in a near branch (or falls through), the code goes on with the member
 * at the new rip, if there is one, while at least that member's length is left of {@code budget}
 * and nothing else has to be looked at: no stop request, no interrupt hint, no code write. A member
 * on another page than the head's is entered only if the page at rip still holds it (see
 * {@link JitMem#codeAt}). A block that branches back to its own start so loops in place.
 * {@code run} returns the index of the member that ran last, whose successors the dispatcher then
 * follows.
 */
abstract class CompiledBlock {
    /** The region's blocks, its head first. */
    Block[] members;
    /** Where the members run: rip minus the head's rip, modulo 2^32 ({@link JitRegion.Member#delta}). */
    int[] deltas;
    /** The physical page numbers of the members not on the head's page, or null if there are none. */
    int[] pages;

    abstract int run(Cpu c, int generation, boolean watchIntr, long budget);
}

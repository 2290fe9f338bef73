package dev.vmm.core.cpu;

/**
 * The semantics of one instruction: executes the decoded instruction {@code i} on {@code cpu}.
 *
 * <p>Contract for precise faults: a handler first does everything that can fault (operand reads,
 * translations, checks) and only then changes architectural state; on a fault it throws the CPU's
 * {@link CpuFault} and the instruction has no visible effect. {@link Cpu#rip} already points to the
 * next instruction when a handler runs; branches overwrite it.
 */
@FunctionalInterface
public interface Handler {
    void exec(Cpu cpu, Insn i);
}

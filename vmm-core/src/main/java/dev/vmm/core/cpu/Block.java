package dev.vmm.core.cpu;

import java.util.Set;

/**
 * A decoded basic block: the instructions that follow each other from one physical code address
 * up to the first control transfer (or any instruction that may change what the next one sees: a
 * mode, the paging structures, the interrupt flag, a segment register), the end of the page, or
 * {@link #MAX} instructions. {@link Cpu#run(long)} executes a block without fetching each
 * instruction and without polling interrupts between them (see {@link BlockRunner}).
 *
 * <p>A block lives in the {@link CodeCache} slot of its first byte's physical address, and is
 * dropped with its page when the guest writes to that page.
 */
final class Block {
    /** Instructions per block at most. */
    static final int MAX = 64;

    /**
     * Instructions that may continue a block: their semantics only read and write general
     * registers, flags other than IF/TF/IOPL, the FPU/SSE state and memory, and they leave rip at
     * the next instruction (or rewind it to themselves, as an interrupted REP does). Everything
     * else ends its block, after being executed as its last instruction.
     */
    private static final Set<String> CONTINUES = Set.of(
            "ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST", "INC", "DEC", "NEG", "NOT",
            "ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAR", "SHLD", "SHRD",
            "MUL", "IMUL1", "IMUL2", "IMUL3", "DIV", "IDIV",
            "BT", "BTS", "BTR", "BTC", "BSF", "BSR", "SETCC",
            "MOV", "NOP", "PAUSE", "LEA", "MOVZX", "MOVSX", "XCHG", "XLAT", "CBW", "CWD", "CMOVCC", "BSWAP",
            "XADD", "CMPXCHG", "CMPXCHG8B",
            "PUSHA", "POPA", "PUSHF", "ENTER", "LEAVE",
            "MOVS", "CMPS", "STOS", "LODS", "SCAS",
            "CLC", "STC", "CMC", "CLD", "STD", "LAHF", "SAHF", "CLI",
            "CPUID", "RDTSC");

    final Insn[] insns;
    /** Bytes from the first instruction's start to the end of the last one. */
    final int bytes;
    /** The decode mode (16 or 32) the block was built for. */
    final int mode;
    /** How many times the dispatcher entered this block (the JIT's heat counter). */
    int entries;
    /** The compiled block, once {@link Jit} made it. */
    CompiledBlock compiled;

    Block(Insn[] insns, int bytes, int mode) {
        this.insns = insns;
        this.bytes = bytes;
        this.mode = mode;
    }

    /** True if {@code i} may be followed by another instruction of the same block. */
    static boolean continues(Insn i) {
        String key = i.entry.key();
        if (key.equals("PUSH") || key.equals("POP")) {
            return i.k1 != Operand.SREG;     // POP SS inhibits interrupts; the others are ordinary
        }
        return CONTINUES.contains(key) || Semantics.fpuSimd(key);
    }
}

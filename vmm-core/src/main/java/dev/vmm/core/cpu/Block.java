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
    /** The instruction count at the block's first entry (how fast it got hot, see {@link BlockRunner}). */
    long firstEntry;
    /**
     * The compiled region that runs this block, once {@link Jit} made it: this block's own, or one
     * whose head it follows on the same page ({@link Jit#compile}).
     */
    CompiledBlock compiled;
    /** Which member of {@link #compiled} this block is (0: its head). */
    int member;
    /** Physical address of the first byte. */
    final long pa;
    /**
     * The physical page the block's last bytes come from if its one instruction goes on into the
     * next linear page (a crossing block, {@link CodeCache#block}), else -1. Such a block is valid
     * only while the next linear page still translates to this page: the dispatcher takes it only
     * from a lookup or a {@link Link}, and a compiled region that holds it checks that page before
     * it goes on into it ({@link JitMem#tailAt}).
     */
    final long tail;
    /** The code cache's array of the blocks of this page when this block was registered in it. */
    Block[] home;
    /**
     * True if the block after this one runs under the same CS, privilege, paging and TLB contents:
     * this block ends in a near jump, call or return, or falls through (it ended at the size limit or
     * the page's end). Such a successor on the same page is the block at the same offset of
     * {@link #home} (see {@link BlockRunner}, and {@link Jit}'s regions).
     */
    final boolean chains;
    /** The blocks that followed this one (see {@link Link}), most recent in {@link #link0}. */
    Link link0;
    Link link1;

    Block(Insn[] insns, int bytes, int mode, long pa) {
        this(insns, bytes, mode, pa, -1);
    }

    Block(Insn[] insns, int bytes, int mode, long pa, long tail) {
        this.insns = insns;
        this.bytes = bytes;
        this.mode = mode;
        this.pa = pa;
        this.tail = tail;
        this.chains = chainsAfter(insns[insns.length - 1]);
    }

    private static boolean chainsAfter(Insn last) {
        if (continues(last)) {
            return true;
        }
        return switch (last.entry.key()) {
            case "JCC", "JMP", "CALL", "RET", "LOOP", "JCXZ" -> true;
            default -> false;
        };
    }

    /**
     * A remembered lookup: the block the code cache gave for {@code rip} under a CS base, a TLB
     * epoch, a privilege and paging state. It is valid again whenever all of these are the same and
     * the target is still cached, because the lookup would then find the same block (the same
     * linear address, translated through the same TLB contents, to the same decoded bytes; for a
     * crossing block, its next linear page too).
     */
    record Link(Block target, long rip, long csBase, int epoch, boolean user, long pg) {
        /** The lookup of the block at CS:rip on {@code c} now. */
        static Link of(Cpu c, Block t) {
            return new Link(t, c.rip, c.seg[Cpu.CS].base, c.mmu.epoch, c.cpl == 3, c.cr0 & Cpu.CR0_PG);
        }

        /** The target if a lookup at rip would find it on {@code c} now (rip is the link's), else null. */
        Block target(Cpu c, CodeCache code) {
            Segment cs = c.seg[Cpu.CS];
            Block t = target;
            if (cs.base != csBase || c.mmu.epoch != epoch || (c.cpl == 3) != user
                    || (c.cr0 & Cpu.CR0_PG) != pg || c.codeSize() != t.mode
                    || rip + t.bytes - 1 > cs.limit || !code.live(t)) {
                return null;
            }
            return t;
        }
    }

    /** The remembered successor for the CPU's current state, or null (see {@link Link}). */
    Block successor(Cpu c, CodeCache code) {
        Link l = link0;
        if (l == null || l.rip != c.rip) {
            l = link1;
            if (l == null || l.rip != c.rip) {
                return null;
            }
        }
        return l.target(c, code);
    }

    /** Remembers {@code l}, a lookup made right after this block ran. */
    void remember(Link l) {
        if (link0 != null && link0.rip != l.rip) {
            link1 = link0;
        }
        link0 = l;
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

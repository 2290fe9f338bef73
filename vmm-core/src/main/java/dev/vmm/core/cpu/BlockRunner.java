package dev.vmm.core.cpu;

import dev.vmm.core.irq.InterruptSource;

/**
 * Executes decoded {@link Block}s: the fast path of {@link Cpu#run(long)}.
 *
 * <p>What the per-instruction {@link Cpu#step()} does before each instruction is done here once per
 * block, and is exact because a block runs only when nothing of it can matter in the middle:
 * <ul>
 * <li>no interrupt inhibit (STI, MOV SS) is pending, TF and RF are clear and no debug register or
 * pending debug trap is active ({@link Cpu#debugActive}); otherwise {@link Cpu#step()} runs;</li>
 * <li>interrupts are polled before the block; inside it, the instructions that continue a block
 * cannot change IF, and an instruction that makes an interrupt pending (an OUT to the interrupt
 * controller, an MMIO write, an x87 FERR) sets {@link Cpu#intrHint}, which ends the block after that
 * instruction, so the interrupt is taken before the next one exactly as in single steps. An
 * interrupt source that does not report its changes is polled before every instruction: with such a
 * source and IF set, blocks are not used;</li>
 * <li>a write to a code page ({@link CodeCache#generation}) or a branch (rip is not the next
 * instruction's address) ends the block;</li>
 * <li>the block runs at most the instructions left in the caller's budget, so the instruction count
 * (the deterministic clock) is the same as in single steps;</li>
 * <li>a fault leaves the state of the faulting instruction's start ({@link Cpu#startRip}, the
 * count of the instructions before it plus one) as {@link Cpu#step()} does.</li>
 * </ul>
 */
final class BlockRunner {
    private final Cpu cpu;
    private final CodeCache code;
    private final Jit jit;
    /** Block entries before the JIT compiles a block ({@code -Dvmm.jit.threshold}, {@link #setThreshold}). */
    private int threshold = Math.max(1, Integer.getInteger("vmm.jit.threshold", Jit.THRESHOLD));
    /** The block run last: its remembered successors spare most lookups. */
    private Block prev;
    /** Where {@link #prev} left off (instruction count, rip) if its exit chains, and the linear page it ran on: see {@link #samePage}. */
    private long chainCount = -1;
    private long chainRip;
    private long chainPage;

    BlockRunner(Cpu cpu, CodeCache code) {
        this.cpu = cpu;
        this.code = code;
        this.jit = new Jit(cpu, code);
    }

    /** The dispatch mode named by the system property {@code vmm.jit}: off, blocks or on (the default). */
    static int modeProperty() {
        String v = System.getProperty("vmm.jit", "on");
        return switch (v) {
            case "off" -> Cpu.EXEC_STEP;
            case "blocks" -> Cpu.EXEC_BLOCKS;
            case "on" -> Cpu.EXEC_JIT;
            default -> throw new IllegalArgumentException("vmm.jit must be off, blocks or on, not " + v);
        };
    }

    /** Sets the block entries before the JIT compiles a block (tests: compile soon, in short runs). */
    void setThreshold(int entries) {
        threshold = Math.max(1, entries);
    }

    /** How many blocks the JIT compiled. */
    long compiledBlocks() {
        return jit.compiledCount();
    }

    /** How many blocks the JIT compiled into the regions of others. */
    long chainedBlocks() {
        return jit.chainedCount();
    }

    /** How many blocks the JIT failed to compile (they stay interpreted; should be none). */
    long failedBlocks() {
        return jit.failedCount();
    }

    /** How many blocks the cached ones and the last one keep reachable through links, themselves included (for tests). */
    int linkedBlocks() {
        java.util.Set<Block> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.ArrayDeque<Block> todo = new java.util.ArrayDeque<>(code.cachedBlocks());
        if (prev != null) {
            todo.add(prev);
        }
        while (!todo.isEmpty()) {
            Block b = todo.poll();
            if (seen.add(b)) {
                for (Block.Link l : new Block.Link[] {b.link0, b.link1}) {
                    if (l != null) {
                        todo.add(l.target());
                    }
                }
            }
        }
        return seen.size();
    }

    /** True if the next instruction may run as part of a block (see the class comment). */
    boolean usable() {
        Cpu c = cpu;
        return c.inhibit == 0 && !c.debugActive && (c.flags.bits & (Flags.TF | Flags.RF)) == 0
                && (c.intrNotifies || c.intr == InterruptSource.NONE || (c.flags.bits & Flags.IF) == 0);
    }

    /**
     * Runs the block at CS:rip, at most {@code budget} (at least 1) instructions of it, or one
     * instruction fetched alone if no block can be made there. Interrupts have been polled.
     */
    void runBlock(long budget, boolean compile) {
        Cpu c = cpu;
        c.startRip = c.rip;
        Block p = prev;
        Segment cs = c.seg[Cpu.CS];
        long lin = (cs.base + c.rip) & 0xFFFF_FFFFL;
        Block b = p == null ? null : samePage(p, cs, lin);
        if (b == null && p != null) {
            b = p.successor(c, code);
        }
        chainCount = -1;
        if (b == null) {
            try {
                b = code.block();
            } catch (CpuFault f) {
                prev = null;
                c.faulted(f);
                return;
            }
            if (b == null) {
                prev = null;
                c.execute();
                return;
            }
            if (p != null && p.home != null) {
                p.remember(c, b);     // only from a live block: a dropped one must not grow links
            }
        }
        prev = b;
        chainPage = lin >>> 12;
        code.ran(b);
        int n = b.insns.length;
        if (budget >= n && compile) {
            CompiledBlock cb = b.compiled;
            if (cb != null) {
                runCompiled(cb, budget);
                return;
            }
            if (++b.entries == threshold) {
                b.compiled = jit.compile(b);
            }
        }
        execute(b, (int) Math.min(n, budget));
    }

    /**
     * The block at {@code lin} if the last block ran to here without anything that may change what
     * a lookup finds (its exit {@link Block#chains}, nothing ran since) and {@code lin} is on the
     * linear page it ran on: then the lookup would translate to the same physical page, whose blocks
     * are those of {@link Block#home}. Null otherwise (the caller looks up the usual way).
     */
    private Block samePage(Block p, Segment cs, long lin) {
        Cpu c = cpu;
        Block[] home = p.home;
        if (c.icount != chainCount || c.rip != chainRip || lin >>> 12 != chainPage || home == null) {
            return null;
        }
        Block t = home[(int) (lin & 0xFFF)];
        return t != null && t.mode == p.mode && c.rip + t.bytes - 1 <= cs.limit ? t : null;
    }

    /** Notes where the block {@code b} that just ran left off, if what follows may be found by {@link #samePage}. */
    private void ranTo(Block b) {
        if (b.chains) {
            chainCount = cpu.icount;
            chainRip = cpu.rip;
        }
    }

    private void runCompiled(CompiledBlock cb, long budget) {
        Cpu c = cpu;
        try {
            Block m = cb.members[cb.run(c, code.generation, c.intrNotifies && (c.flags.bits & Flags.IF) != 0, budget)];
            prev = m;
            ranTo(m);
        } catch (CpuFault f) {
            c.faulted(f);
        }
    }

    private void execute(Block b, int n) {
        Cpu c = cpu;
        Insn[] ins = b.insns;
        long ipMask = b.mode == 16 ? 0xFFFF : 0xFFFF_FFFFL;
        boolean watchIntr = c.intrNotifies && (c.flags.bits & Flags.IF) != 0;
        int gen = code.generation;
        try {
            for (int k = 0; k < n; k++) {
                Insn i = ins[k];
                long ip = c.rip;
                c.startRip = ip;
                long next = (ip + i.len) & ipMask;
                c.rip = next;
                i.step.exec(c, i);
                c.icount++;
                if (c.rip != next || code.generation != gen || watchIntr && c.intrHint) {
                    ranTo(b);
                    return;
                }
            }
            ranTo(b);
        } catch (CpuFault f) {
            c.faulted(f);
        }
    }
}

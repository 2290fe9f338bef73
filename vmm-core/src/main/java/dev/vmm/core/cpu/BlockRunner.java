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
    /** Block entries after which a block that got there within {@link Jit#EARLY_WINDOW} instructions is compiled already. */
    private int early = Math.min(threshold, Jit.EARLY);
    /** The block run last: its remembered successors spare most lookups. */
    private Block prev;
    /** Where {@link #prev} left off (instruction count, rip) if its exit chains, and the linear page it ran on: see {@link #samePage}. */
    private long chainCount = -1;
    private long chainRip;
    private long chainPage;
    /**
     * The last lookups, by a hash of their linear address (a direct-mapped cache of {@link #JUMPS}
     * entries): where a block's two links do not know the next block (the return of a function
     * called from many places, an indirect jump with many targets), one of these often does, and
     * is valid under the same conditions as a link ({@link Block.Link#target}).
     */
    private final Block.Link[] jumps = new Block.Link[JUMPS];
    /** Entries of {@link #jumps}: a power of two. */
    static final int JUMPS = 1024;

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
        setThresholds(entries, entries);
    }

    /** Sets the block entries before the JIT compiles a block, and those before it compiles one that got hot fast. */
    void setThresholds(int entries, int earlyEntries) {
        threshold = Math.max(1, entries);
        early = Math.clamp(earlyEntries, 1, threshold);
    }

    /** How many blocks the JIT compiled. */
    long compiledBlocks() {
        return jit.compiledCount();
    }

    /** How many blocks the JIT compiled into the regions of others. */
    long chainedBlocks() {
        return jit.chainedCount();
    }

    /** How many regions the JIT compiled with physical memory accesses. */
    long physicalRegions() {
        return jit.physicalCount();
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
     * instruction fetched alone if no block can be made there, then goes on with the blocks that
     * follow it on its page ({@link #run}). Interrupts have been polled.
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
        if (b == null) {
            b = jumped(lin);
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
            Block.Link l = Block.Link.of(c, b);
            jumps[slot(lin)] = l;
            if (p != null && p.home != null) {
                p.remember(l);     // only from a live block: a dropped one must not grow links
            }
        }
        chainPage = lin >>> 12;
        code.ran(b);
        run(b, c.icount + budget, compile);
    }

    /**
     * Runs {@code b} (compiled if it is, else interpreted, compiling it when it gets hot), then the
     * blocks that follow it for as long as {@link Cpu#run} would do nothing between them but find
     * the next one: the block that ran chains, no code was written, no interrupt became pending, no
     * stop was asked for and the count has not reached {@code end}. Nothing a chaining block runs
     * can set IF, TF, RF, an interrupt inhibit, a debug register, HLT or a shutdown, so skipping
     * {@link Cpu#run}'s checks between them is exact. The next block is the one on the same page
     * ({@link #onPage}), a remembered successor ({@link Block#successor}, which checks everything a
     * lookup depends on) or a recent lookup at its address ({@link #jumps}, checked the same way);
     * if none is known, the run ends and {@link #runBlock} looks it up.
     *
     * <p>The block that ran last is kept in a local and stored in {@link #prev} only when the run
     * ends: a reference store per block would take the garbage collector's write barrier each time.
     */
    private void run(Block b, long end, boolean compile) {
        Cpu c = cpu;
        boolean watchIntr = c.intrNotifies && (c.flags.bits & Flags.IF) != 0;
        int gen = code.generation;
        Block done = prev;
        try {
            while (true) {
                long left = end - c.icount;
                int n = b.insns.length;
                boolean whole = compile && left >= n;
                CompiledBlock cb = b.compiled;
                if (whole && cb != null) {
                    if (cb.pages == null) {
                        b = cb.members[cb.run(c, gen, watchIntr, left)];
                    } else {
                        b = runAcross(b, cb, gen, watchIntr, left);
                    }
                } else {
                    if (whole) {
                        heat(b);
                    }
                    interpret(b, (int) Math.min(n, left), gen, watchIntr);
                }
                done = b;
                if (!b.chains) {
                    break;
                }
                chainCount = c.icount;
                chainRip = c.rip;
                if (c.icount >= end || code.generation != gen || watchIntr && c.intrHint || c.stopRequested) {
                    break;
                }
                Segment cs = c.seg[Cpu.CS];
                long lin = (cs.base + c.rip) & 0xFFFF_FFFFL;
                Block t = onPage(b, cs, lin);
                if (t == null) {
                    t = b.successor(c, code);
                    if (t == null) {
                        t = jumped(lin);
                    }
                    if (t == null) {
                        chainCount = -1;     // runBlock need not try the same page again
                        break;
                    }
                    chainPage = lin >>> 12;
                    code.ran(t);
                }
                b = t;
            }
        } catch (CpuFault f) {
            c.faulted(f);
        }
        prev = done;
    }

    /**
     * Counts an entry of {@code b}, which runs whole and is not compiled, and compiles it when it is
     * hot: at {@link #threshold} entries, already at {@link #early} entries if it got there within
     * {@link Jit#EARLY_WINDOW} instructions of its first one (a loop that will run long), or at the
     * entry that makes it run {@link Jit#HOT_INSTRUCTIONS} instructions (a long block).
     */
    private void heat(Block b) {
        int n = ++b.entries;
        if (n == 1) {
            b.firstEntry = cpu.icount;
        }
        long length = b.insns.length;
        if (n == threshold || n == early && cpu.icount - b.firstEntry < Jit.EARLY_WINDOW
                || n * length >= Jit.HOT_INSTRUCTIONS && (n - 1) * length < Jit.HOT_INSTRUCTIONS) {
            b.compiled = jit.compile(b);
        }
    }

    /**
     * Runs a compiled region with members on other pages than its head's from its member {@code b},
     * and returns the member that ran last, with {@link #chainPage} set to the linear page that
     * member ran on.
     */
    private Block runAcross(Block b, CompiledBlock cb, int gen, boolean watchIntr, long left) {
        Cpu c = cpu;
        code.ran(cb.pages);
        long head = c.rip - cb.deltas[b.member];
        int m = cb.run(c, gen, watchIntr, left);
        chainPage = ((c.seg[Cpu.CS].base + head + cb.deltas[m]) & 0xFFFF_FFFFL) >>> 12;
        return cb.members[m];
    }

    /** The block of the last lookup at {@code lin} (CS:rip) if a lookup would find it now, else null (see {@link #jumps}). */
    private Block jumped(long lin) {
        Block.Link l = jumps[slot(lin)];
        return l == null || l.rip() != cpu.rip ? null : l.target(cpu, code);
    }

    private static int slot(long lin) {
        return (int) (lin ^ lin >>> 10) & (JUMPS - 1);
    }

    /**
     * The block at {@code lin} if the last block ran to here without anything that may change what
     * a lookup finds (its exit {@link Block#chains}, nothing ran since) and {@code lin} is on the
     * linear page it ran on: then the lookup would translate to the same physical page, whose blocks
     * are those of {@link Block#home}. Null otherwise (the caller looks up the usual way).
     */
    private Block samePage(Block p, Segment cs, long lin) {
        Cpu c = cpu;
        return c.icount != chainCount || c.rip != chainRip ? null : onPage(p, cs, lin);
    }

    /**
     * The block at {@code lin} if {@code p}, which just ran to there, may be followed by it without a
     * lookup (see {@link #samePage}): not a crossing block ({@link Block#tail}), whose next page a
     * lookup translates too.
     */
    private Block onPage(Block p, Segment cs, long lin) {
        Block[] home = p.home;
        if (lin >>> 12 != chainPage || home == null) {
            return null;
        }
        Block t = home[(int) (lin & 0xFFF)];
        return t != null && t.mode == p.mode && t.tail < 0 && cpu.rip + t.bytes - 1 <= cs.limit ? t : null;
    }

    /**
     * Runs the first {@code n} instructions of {@code b}, or fewer if one branches (only the last
     * may), writes code (generation {@code gen}) or makes an interrupt pending.
     */
    private void interpret(Block b, int n, int gen, boolean watchIntr) {
        Cpu c = cpu;
        Insn[] ins = b.insns;
        long ipMask = b.mode == 16 ? 0xFFFF : 0xFFFF_FFFFL;
        for (int k = 0; k < n; k++) {
            Insn i = ins[k];
            long ip = c.rip;
            c.startRip = ip;
            long next = (ip + i.len) & ipMask;
            c.rip = next;
            i.step.exec(c, i);
            c.icount++;
            if (c.rip != next || code.generation != gen || watchIntr && c.intrHint) {
                return;
            }
        }
    }
}

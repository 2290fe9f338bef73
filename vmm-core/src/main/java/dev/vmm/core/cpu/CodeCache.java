package dev.vmm.core.cpu;

import dev.vmm.core.memory.PhysicalMemory;

/**
 * Decoded instructions cached per physical code page. A page's decoded instructions are dropped
 * when the guest writes to that page (the memory tells us through its code-write listener), so
 * self-modifying code sees its new bytes. An instruction that goes on into the next page is cached
 * too, with the physical page its tail came from ({@link Insn#nextPa}): that page is marked as code,
 * a write to it drops the pages whose instructions reach into it, and each fetch of such an
 * instruction translates the next linear page again (faulting there as a byte-by-byte fetch would)
 * and uses the cached decoding only if it still leads to that page. It never joins a block of other
 * instructions: it is a block of its own, which a lookup takes only while the next linear page still
 * leads to that page ({@link #block}).
 *
 * <p>The cache forgets code that stopped running: every {@link #SWEEP_INSTRUCTIONS} retired
 * instructions, or every {@link #SWEEP_NANOS} of host time for a guest that idles, {@link #sweep} drops the decoded instructions and blocks (compiled ones included) of
 * each page no block ran from since the sweep before, as if the guest had written to it. A booted
 * Linux decodes about 300,000 instructions on 1,500 pages (about 100 MiB of Java heap), most of
 * them run once while it booted; idle at its shell it runs code from a few dozen pages.
 */
final class CodeCache {
    private final Cpu cpu;
    private final PhysicalMemory mem;
    private final Insn[][] pages;
    /** Per physical page, the basic blocks starting at each offset (dropped with the page). */
    private final Block[][] blocks;
    /** Bumped whenever a page's decoded code is dropped: a running block stops when it changes. */
    int generation;
    /** Instructions between two {@link #sweep}s at most. */
    static final long SWEEP_INSTRUCTIONS = 1L << 30;
    /** Host time between two sweeps at most (an idle guest retires few instructions)... */
    static final long SWEEP_NANOS = 20_000_000_000L;
    /** ...but at least this many instructions apart. */
    static final long SWEEP_MIN_INSTRUCTIONS = 1L << 24;
    /** Per physical page: the pages whose cached instructions reach into it (see {@link Insn#nextPa}), or null. */
    private final int[][] crossers;
    /** Per physical page: 1 if a block ran from it since the last sweep. */
    private final byte[] ran;
    private long lastSweep;
    private java.util.function.LongSupplier hostNanos = System::nanoTime;
    private long lastSweepNanos = hostNanos.getAsLong();
    private final Insn scratch = new Insn();
    // The page of the last fetch: its linear page, the translation it was made under (TLB epoch,
    // paging on/off, user/supervisor), and its physical page's decoded instructions.
    private long lastLinPage = -1;
    private int lastEpoch;
    private long lastPg;
    private boolean lastUser;
    private long lastPa;
    private Insn[] lastPage;

    CodeCache(Cpu cpu, PhysicalMemory mem) {
        this.cpu = cpu;
        this.mem = mem;
        // Only plain-RAM pages are cached, and RAM lies below ramSize: one slot per RAM page, not per
        // page of the 4 GiB physical address space (8 MiB of slots per VM whatever its RAM).
        this.pages = new Insn[(int) (mem.ramSize() >>> 12)][];
        this.blocks = new Block[pages.length][];
        this.ran = new byte[pages.length];
        this.crossers = new int[pages.length][];
        mem.setCodeWriteListener(this::invalidate);
    }

    void invalidate(long pageAddress) {
        int p = (int) (pageAddress >>> 12);
        if (p < pages.length) {
            drop(p);
            int[] from = crossers[p];
            if (from != null) {
                crossers[p] = null;
                for (int a : from) {
                    drop(a);
                }
            }
        }
        generation++;
    }

    private void drop(int p) {
        pages[p] = null;
        Block[] bp = blocks[p];
        if (bp != null) {
            blocks[p] = null;
            forget(bp);
        }
    }

    /** Block {@code b} is running (its page stays cached through the next sweep). */
    void ran(Block b) {
        ran[(int) (b.pa >>> 12)] = 1;
    }

    /** The code of these pages (numbers) is running, from a compiled region ({@link CompiledBlock#pages}). */
    void ran(int[] pageNumbers) {
        for (int p : pageNumbers) {
            ran[p] = 1;
        }
    }

    /**
     * Called between instructions with the instruction count: once {@link #SWEEP_INSTRUCTIONS} have
     * retired since the last sweep, or {@link #SWEEP_NANOS} of host time have passed and at least
     * {@link #SWEEP_MIN_INSTRUCTIONS} retired, drops the code of every page no block ran from
     * meanwhile. Guest-invisible (dropped code is decoded again when it runs), so deterministic runs
     * stay deterministic whatever the host's clock does.
     */
    void maybeSweep(long icount) {
        long since = icount - lastSweep;
        if (since >= SWEEP_INSTRUCTIONS
                || since >= SWEEP_MIN_INSTRUCTIONS && hostNanos.getAsLong() - lastSweepNanos >= SWEEP_NANOS) {
            lastSweep = icount;
            lastSweepNanos = hostNanos.getAsLong();
            sweep();
        }
    }

    /** Replaces the host clock of the time-based sweep, starting its interval now (for tests). */
    void hostClock(java.util.function.LongSupplier nanos) {
        hostNanos = nanos;
        lastSweepNanos = nanos.getAsLong();
    }

    /** Drops the code of the pages no block ran from since the last sweep. */
    void sweep() {
        boolean dropped = false;
        for (int p = 0; p < pages.length; p++) {
            if (ran[p] != 0) {
                ran[p] = 0;
            } else if (pages[p] != null || blocks[p] != null) {
                drop(p);
                dropped = true;
            }
        }
        if (dropped) {
            generation++;
        }
    }

    /**
     * Cuts the dropped blocks loose: their links and their page array go, so a stale link to one of
     * them (from a live block, or the runner's last block) keeps that block alone alive, never a
     * chain of older generations of a page the guest keeps rewriting.
     */
    private static void forget(Block[] bp) {
        for (Block b : bp) {
            if (b != null) {
                b.home = null;
                b.link0 = null;
                b.link1 = null;
            }
        }
    }

    void flushAll() {
        java.util.Arrays.fill(pages, null);
        java.util.Arrays.fill(crossers, null);
        for (int p = 0; p < blocks.length; p++) {
            if (blocks[p] != null) {
                forget(blocks[p]);
                blocks[p] = null;
            }
        }
        generation++;
        lastLinPage = -1;
        lastPage = null;
    }

    /** Fetches and decodes the instruction at CS:rip, raising #GP/#PF/#UD as the hardware would. */
    Insn fetch() {
        Segment cs = cpu.seg[Cpu.CS];
        long ip = cpu.rip;
        if (ip > cs.limit) {
            throw cpu.gp(0);
        }
        long lin = (cs.base + ip) & 0xFFFF_FFFFL;
        boolean user = cpu.cpl == 3;
        int mode = cpu.codeSize();
        // Fastest path: the same page as the last fetch, under the same translation. The TLB may keep
        // a stale translation until a flush too, so this caches nothing the architecture forbids.
        Insn[] last = lastPage;
        if (lin >>> 12 == lastLinPage && cpu.mmu.epoch == lastEpoch && user == lastUser
                && (cpu.cr0 & Cpu.CR0_PG) == lastPg && pages[(int) (lastPa >>> 12)] == last) {
            Insn i = last[(int) (lin & 0xFFF)];
            if (i != null && i.mode == mode && i.nextPa < 0 && (mem.kind(lastPa) & 0x0F) == PhysicalMemory.RAM) {
                checkLimit(cs, ip, i.len);
                return i;
            }
        }
        long pa = cpu.mmu.translate(lin, Mmu.EXEC, user);
        int page = (int) (pa >>> 12);
        // Fast path: a cached instruction of a plain-RAM page.
        if (page < pages.length) {
            Insn[] p = pages[page];
            if (p != null) {
                Insn i = p[(int) (pa & 0xFFF)];
                if (i != null && i.mode == mode && i.nextPa < 0 && (mem.kind(pa) & 0x0F) == PhysicalMemory.RAM) {
                    checkLimit(cs, ip, i.len);
                    remember(lin, user, pa, p);
                    return i;
                }
            }
        }
        return fetchSlow(cs, ip, lin, user, pa, mode);
    }

    /**
     * The basic block at CS:rip, decoded now if it is not cached yet; null if it cannot be executed
     * as a block (not plain RAM, undecodable first instruction, or the CS limit falls inside it):
     * the caller then fetches one instruction. Raises the faults of the fetch of the first byte (#GP
     * for the CS limit, #PF) exactly as {@link #fetch} does. An instruction that goes on into the
     * next page is a block of its own ({@link #crossing}), whose lookup also translates that page.
     */
    Block block() {
        Segment cs = cpu.seg[Cpu.CS];
        long ip = cpu.rip;
        if (ip > cs.limit) {
            throw cpu.gp(0);
        }
        long lin = (cs.base + ip) & 0xFFFF_FFFFL;
        boolean user = cpu.cpl == 3;
        long pa;
        if (lin >>> 12 == lastLinPage && cpu.mmu.epoch == lastEpoch && user == lastUser
                && (cpu.cr0 & Cpu.CR0_PG) == lastPg) {
            pa = lastPa | (lin & 0xFFF);
        } else {
            pa = cpu.mmu.translate(lin, Mmu.EXEC, user);
            cpu.mmu.jitFill(lin, false, user);      // where compiled regions check their code pages (Jit)
            int page = (int) (pa >>> 12);
            if (page >= pages.length || pages[page] == null) {
                lastLinPage = -1;
            } else {
                remember(lin, user, pa, pages[page]);
            }
        }
        int page = (int) (pa >>> 12);
        if (page >= pages.length || (mem.kind(pa) & 0x0F) != PhysicalMemory.RAM) {
            return null;
        }
        int mode = cpu.codeSize();
        Block[] bp = blocks[page];
        Block b = bp == null ? null : bp[(int) (pa & 0xFFF)];
        if (b != null && b.tail >= 0 && !(reachesNextPage(cs, ip, lin) && tailStill(b.tail, lin, user))) {
            b = null;
        }
        if (b == null || b.mode != mode) {
            b = build(pa, mode);
            if (b == null && crosses(pa, mode)) {
                b = crossing(pa, mode, cs, ip, lin, user);
            }
            if (b == null) {
                return null;
            }
        }
        if (ip + b.bytes - 1 > cs.limit) {
            return null;
        }
        return b;
    }

    /**
     * The crossing block at {@code pa} (CS:ip, linear {@code lin}), whose one instruction goes on
     * into the next linear page, made now: null if the instruction there does not cross, or its
     * tail is not plain RAM, or the CS limit ends before the page does (the caller then fetches it
     * on its own, faulting as it should). Fetching it raises the faults of the whole instruction
     * ({@link #fetch}), which is about to run. It is registered in the page's blocks like any other,
     * and dropped with the page, also when its tail's page is written ({@link #crossers}); a lookup
     * takes it only while the next linear page still translates to its {@link Block#tail}.
     */
    private Block crossing(long pa, int mode, Segment cs, long ip, long lin, boolean user) {
        if (!reachesNextPage(cs, ip, lin)) {
            return null;
        }
        Insn i = fetch();
        if (i.nextPa < 0) {
            return null;
        }
        Block b = new Block(new Insn[] {i}, i.len, mode, pa, i.nextPa);
        register(b, (int) (pa >>> 12), (int) (pa & 0xFFF));
        return b;
    }

    /** True if the instruction at {@code pa} (plain RAM, its page's instructions cached) goes on into the next page. */
    private boolean crosses(long pa, int mode) {
        Insn first = pages[(int) (pa >>> 12)][(int) (pa & 0xFFF)];
        return first != null && first.mode == mode ? first.nextPa >= 0 : decodeInPage(pa, mode) == null;
    }

    /** Decodes the block at {@code pa} (caching its instructions in the page) and registers it. */
    private Block build(long pa, int mode) {
        int page = (int) (pa >>> 12);
        int start = (int) (pa & 0xFFF);
        long base = pa & ~0xFFFL;
        Insn[] p = codePage(pa);
        if (p[start] != null && p[start].mode == mode && p[start].nextPa >= 0) {
            return null;     // goes on into the next page: fetched on its own
        }
        Insn[] list = new Insn[Block.MAX];
        int n = 0;
        int off = start;
        while (n < Block.MAX && off < 0x1000) {
            Insn i = p[off];
            if (i != null && i.mode == mode && i.nextPa >= 0) {
                break;
            }
            if (i == null || i.mode != mode) {
                i = decodeInPage(base + off, mode);
                if (i == null || i.entry == null) {
                    break;     // fetched (and faulted) on its own, when execution gets there
                }
                bind(i);
                p[off] = i;
            }
            list[n++] = i;
            off += i.len;
            if (!Block.continues(i)) {
                break;
            }
        }
        if (n == 0) {
            return null;
        }
        Block b = new Block(java.util.Arrays.copyOf(list, n), off - start, mode, pa);
        register(b, page, start);
        return b;
    }

    /** Puts {@code b} into the slot of its page and offset, replacing (and forgetting) what was there. */
    private void register(Block b, int page, int start) {
        Block[] bp = blocks[page];
        if (bp == null) {
            bp = blocks[page] = new Block[4096];
        }
        if (bp[start] != null) {
            forget(new Block[] {bp[start]});    // built for the other mode, or for another tail: replaced
        }
        bp[start] = b;
        b.home = bp;
    }

    /** Every cached block (for tests). */
    java.util.List<Block> cachedBlocks() {
        java.util.List<Block> all = new java.util.ArrayList<>();
        for (Block[] bp : blocks) {
            if (bp != null) {
                for (Block b : bp) {
                    if (b != null) {
                        all.add(b);
                    }
                }
            }
        }
        return all;
    }

    /**
     * True if {@code b} is still the cached block at its address, in a plain-RAM page. A block has
     * its {@link Block#home} exactly while it is in its slot of the page's current array: whatever
     * takes it out ({@link #drop}, {@link #flushAll}, a block built over it) {@link #forget}s it.
     */
    boolean live(Block b) {
        return b.home != null && (mem.kind(b.pa) & 0x0F) == PhysicalMemory.RAM
                && (b.tail < 0 || (mem.kind(b.tail) & 0x0F) == PhysicalMemory.RAM);
    }

    private void remember(long lin, boolean user, long pa, Insn[] p) {
        lastLinPage = lin >>> 12;
        lastEpoch = cpu.mmu.epoch;
        lastUser = user;
        lastPg = cpu.cr0 & Cpu.CR0_PG;
        lastPa = pa & ~0xFFFL;
        lastPage = p;
    }

    /** Looks the instruction up again and decodes (and caches) it if it is not cached. */
    private Insn fetchSlow(Segment cs, long ip, long lin, boolean user, long pa, int mode) {
        int off = (int) (pa & 0xFFF);
        int page = (int) (pa >>> 12);
        Insn i;
        if (page < pages.length && (mem.kind(pa) & 0x0F) == PhysicalMemory.RAM) {
            Insn[] p = pages[page];
            if (p != null) {
                i = p[off];
                if (i != null && i.mode == mode && (i.nextPa < 0 || stillCrosses(i, cs, ip, lin, user))) {
                    checkLimit(cs, ip, i.len);
                    return i;
                }
            }
            i = decodeInPage(pa, mode);
            if (i == null) {
                return fetchCrossing(cs, ip, lin, user, pa, mode);
            }
            finish(i, cs, ip);
            codePage(pa)[off] = i;
            return i;
        }
        // Across the end of the page, or not plain RAM: decode byte by byte through the MMU.
        i = scratch;
        Decoder.decode(o -> cpu.mmu.read8Exec(lin + o, user, ip + o, cs), mode, i);
        finish(i, cs, ip);
        return i;
    }

    /** The decoded instructions of the RAM page of {@code pa}, made (and the page marked as code) if there were none. */
    private Insn[] codePage(long pa) {
        int page = (int) (pa >>> 12);
        Insn[] p = pages[page];
        if (p == null) {
            p = pages[page] = new Insn[4096];
            mem.markCode(pa);
            cpu.mmu.jitCodePage(pa);
        }
        return p;
    }

    /**
     * The instruction at {@code lin} (physical {@code pa}, plain RAM) goes on into the next page:
     * decodes it byte by byte through the MMU, as the processor fetches it, and caches it if the
     * next page is plain RAM too (marked as code, so a write there drops this page's instructions).
     */
    private Insn fetchCrossing(Segment cs, long ip, long lin, boolean user, long pa, int mode) {
        Insn i = new Insn();
        Decoder.decode(o -> cpu.mmu.read8Exec(lin + o, user, ip + o, cs), mode, i);
        finish(i, cs, ip);
        long next = nextPage(lin, user);    // fetched just now
        int np = (int) (next >>> 12);
        if (np < pages.length && (mem.kind(next) & 0x0F) == PhysicalMemory.RAM) {
            int[] from = crossers[np];
            int page = (int) (pa >>> 12);
            if (from == null) {
                crossers[np] = new int[] {page};
            } else if (java.util.Arrays.stream(from).noneMatch(a -> a == page)) {
                from = java.util.Arrays.copyOf(from, from.length + 1);
                from[from.length - 1] = page;
                crossers[np] = from;
            }
            mem.markCode(next);
            cpu.mmu.jitCodePage(next);
            i.nextPa = next & ~0xFFFL;
            codePage(pa)[(int) (pa & 0xFFF)] = i;
        }
        return i;
    }

    /**
     * True if the cached instruction {@code i} at {@code lin}, which goes on into the next page, is
     * still what a fetch would decode: the next linear page translates to the page its tail came
     * from, still plain RAM (a write there would have dropped {@code i}). Faults as the byte-by-byte
     * fetch would at the first byte on the next page (#GP beyond the CS limit, else #PF).
     */
    private boolean stillCrosses(Insn i, Segment cs, long ip, long lin, boolean user) {
        if (!reachesNextPage(cs, ip, lin)) {
            throw cpu.gp(0);
        }
        return tailStill(i.nextPa, lin, user);
    }

    /** True if the CS limit lets the code at CS:ip (linear {@code lin}) go on into the next linear page. */
    private static boolean reachesNextPage(Segment cs, long ip, long lin) {
        return ip + (0x1000 - (lin & 0xFFF)) <= cs.limit;
    }

    /** True if the linear page after {@code lin}'s translates to {@code tail}, plain RAM (may fault). */
    private boolean tailStill(long tail, long lin, boolean user) {
        long next = nextPage(lin, user);
        return (next & ~0xFFFL) == tail && (mem.kind(next) & 0x0F) == PhysicalMemory.RAM;
    }

    /**
     * The physical address of the start of the linear page after {@code lin}'s (may fault), which
     * the JIT's TLB then has too: compiled regions check a crossing member's next page there
     * ({@link JitMem#tailAt}).
     */
    private long nextPage(long lin, boolean user) {
        long next = ((lin | 0xFFF) + 1) & 0xFFFF_FFFFL;
        long pa = cpu.mmu.translate(next, Mmu.EXEC, user);
        cpu.mmu.jitFill(next, false, user);
        return pa;
    }

    /**
     * Decodes the instruction at {@code pa} (plain RAM) from the bytes of its own page: null if it
     * does not end on that page (its fetch goes on into the next page, through the MMU, which may
     * fault), so it cannot be cached with the page.
     */
    private Insn decodeInPage(long pa, int mode) {
        int room = 0x1000 - (int) (pa & 0xFFF);
        Insn i = Decoder.decode(o -> o < room ? mem.read8(pa + o) : -1, mode);
        return i.bad == Insn.BAD_TRUNCATED ? null : i;
    }

    private void finish(Insn i, Segment cs, long ip) {
        if (i.entry == null) {
            cpu.badInstruction(i);
            if (i.bad == Insn.BAD_TOO_LONG) {
                throw cpu.gp(0);
            }
            checkLimit(cs, ip, i.len);
            throw cpu.ud();
        }
        checkLimit(cs, ip, i.len);
        bind(i);
    }

    /** Gives the decoded instruction {@code i} its semantics: its handler, and the step that calls it. */
    private void bind(Insn i) {
        i.handler = Specialized.specialize(i, Semantics.handler(cpu, i.entry));
        i.step = Step.of(i.handler);
    }

    private void checkLimit(Segment cs, long ip, int len) {
        if (ip + len - 1 > cs.limit) {
            throw cpu.gp(0);
        }
    }
}

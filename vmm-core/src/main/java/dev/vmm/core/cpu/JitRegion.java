package dev.vmm.core.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The shape of a compiled region ({@link Jit}): which blocks it holds with its head, where each
 * runs relative to the head, which blocks may follow each member, and at which members the
 * dispatcher may enter it. Nothing here generates code.
 */
final class JitRegion {
    /** Blocks in one compiled region at most. */
    static final int MAX_MEMBERS = 8;

    private JitRegion() {
    }

    /**
     * A block of a region and where it is: rip minus the head's rip (modulo 2^32) when it runs there.
     * A member on the head's page is where its physical offset says; one on another page is where
     * the dispatcher found it (a {@link Block.Link}) or where a member on its own page says, and is
     * entered only after {@link JitMem#codeAt} finds it there.
     */
    record Member(Block block, int delta) {
    }

    /**
     * The blocks compiled with {@code head}, which is about to run at {@code headRip} on {@code c}:
     * it, then, one at a time, the most often entered ({@link Block#entries}) of the blocks that
     * follow its members ending in a near jump, call, return or a fall-through, in 32-bit code: those
     * a member's last instruction names on its own page (a direct branch's target, the next
     * instruction), and those the dispatcher remembered after it (a return's, an indirect jump's, a
     * branch's to another page) under the CS base, privilege and paging of now. Only blocks already
     * decoded are taken: code that never ran stays out. Inside the compiled region a member goes on
     * to the next one without the dispatcher when rip names it: on the head's page, under the same
     * CS, TLB contents and privilege (nothing that may change them chains), the dispatcher would find
     * that very block; on another page it checks that it would.
     *
     * <p>Taken breadth first, a region held both sides of every branch near its head, and in the
     * kernel's decompressor its runs left it after about two blocks; taking the hottest first, the
     * first 2.3 G instructions of a Linux boot took 7 % less time.
     */
    static List<Member> members(Block head, long headRip, Cpu c) {
        List<Member> r = new ArrayList<>();
        r.add(new Member(head, 0));
        if (head.mode != 32 || head.home == null) {
            return r;
        }
        long csBase = c.seg[Cpu.CS].base;
        boolean user = c.cpl == 3;
        long pg = c.cr0 & Cpu.CR0_PG;
        List<Member> cand = new ArrayList<>();
        int expanded = 0;
        while (r.size() < MAX_MEMBERS) {
            for (; expanded < r.size(); expanded++) {
                Block m = r.get(expanded).block();
                int at = r.get(expanded).delta();
                if (!m.chains || m.home == null) {
                    continue;
                }
                int offset = (int) (m.pa & 0xFFF);
                for (long target : namedTargets(m)) {
                    onPageOf(cand, m, at, offset, target);
                }
                for (Block.Link l : new Block.Link[] {m.link0, m.link1}) {
                    if (l == null) {
                        continue;
                    }
                    Block t = l.target();
                    if (t.home == m.home) {
                        onPageOf(cand, m, at, offset, t.pa & 0xFFF);
                    } else if (t.home == head.home) {
                        add(cand, t, (int) (t.pa - head.pa));
                    } else if (l.csBase() == csBase && l.user() == user && l.pg() == pg) {
                        add(cand, t, (int) (l.rip() - headRip));
                    }
                }
            }
            Member best = null;
            for (Member m : cand) {
                if (fits(r, m) && (best == null || m.block().entries > best.block().entries)) {
                    best = m;
                }
            }
            if (best == null) {
                break;
            }
            r.add(best);
        }
        return r;
    }

    /**
     * The offsets in {@code m}'s page (-1 for none; maybe off the page) that its last instruction
     * names: a direct branch's target, then the next instruction if execution may go on there.
     */
    private static long[] namedTargets(Block m) {
        int end = (int) (m.pa & 0xFFF) + m.bytes;
        Insn last = m.insns[m.insns.length - 1];
        String key = last.entry.key();
        long jump = last.k1 == Operand.J && last.osize == 4 ? end + last.imm : -1;
        boolean next = Block.continues(last) || key.equals("JCC") || key.equals("LOOP") || key.equals("JCXZ");
        return new long[] {jump, next ? end : -1};
    }

    /** Adds the block at {@code target} of the page of member {@code m} (at {@code at}, page offset {@code offset}). */
    private static void onPageOf(List<Member> r, Block m, int at, int offset, long target) {
        Block t = blockAt(m.home, target);
        if (t != null) {
            add(r, t, at + (int) target - offset);
        }
    }

    /** The block still cached at page offset {@code offset} (maybe off the page) of the page whose blocks are {@code home}, or null. */
    private static Block blockAt(Block[] home, long offset) {
        if (offset < 0 || offset >= home.length) {
            return null;
        }
        Block t = home[(int) offset];
        return t != null && t.home == home ? t : null;
    }

    /** Adds {@code t} at {@code delta} to the candidates {@code r} if it is 32-bit code still cached and neither the block nor the place is taken. */
    private static void add(List<Member> r, Block t, int delta) {
        Member n = new Member(t, delta);
        if (t.mode == 32 && t.home != null && fits(r, n)) {
            r.add(n);
        }
    }

    /** True if neither {@code n}'s block nor its place is taken in {@code r}. */
    private static boolean fits(List<Member> r, Member n) {
        for (Member m : r) {
            if (m.block() == n.block() || m.delta() == n.delta()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The members the dispatcher may enter the region at (besides the head): those on the head's
     * page that no region runs yet. A block hot enough to be compiled is often already a member of
     * another's region; entering that region at it spares HotSpot a region of its own.
     */
    static boolean[] entries(Block[] members) {
        boolean[] entered = new boolean[members.length];
        for (int m = 1; m < members.length; m++) {
            entered[m] = members[m].pa >>> 12 == members[0].pa >>> 12 && members[m].compiled == null;
        }
        return entered;
    }

    /** The physical page numbers of the members not on the head's page, or null. */
    static int[] otherPages(Block[] members) {
        long headPage = members[0].pa >>> 12;
        int[] pages = java.util.Arrays.stream(members).mapToInt(b -> (int) (b.pa >>> 12))
                .filter(p -> p != headPage).distinct().toArray();
        return pages.length == 0 ? null : pages;
    }

    /**
     * The blocks that may follow {@code b}, by the rules {@link #members} follows: the blocks on
     * its page that its last instruction names ({@link #namedTargets}), and those the dispatcher
     * remembered after it. A member's exit goes on only to these members (any other rip leaves the region),
     * which keeps a region's code linear in its members.
     */
    static Set<Block> successors(Block b) {
        Set<Block> s = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Block[] home = b.home;
        if (home != null) {
            for (long offset : namedTargets(b)) {
                Block t = blockAt(home, offset);
                if (t != null) {
                    s.add(t);
                }
            }
        }
        for (Block.Link l : new Block.Link[] {b.link0, b.link1}) {
            if (l != null) {
                s.add(l.target());
            }
        }
        return s;
    }
}

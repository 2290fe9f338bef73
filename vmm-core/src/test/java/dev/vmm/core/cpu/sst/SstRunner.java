package dev.vmm.core.cpu.sst;

import dev.vmm.core.cpu.Disassembler;
import dev.vmm.core.cpu.Exceptions;
import dev.vmm.core.cpu.Insn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Runs SingleStepTests 80286 vectors on an {@link SstMachine}, following upstream's "How to run against an
 * emulator": set the 14 registers and the initial RAM, execute until the HLT that ends the test has executed,
 * compare the registers of the final state (absent = unchanged) and every final RAM byte, with FLAGS (and pushed
 * FLAGS images) masked by the metadata flags-mask and by 0x0FFF (real mode). Two stricter checks come on top:
 * initial RAM bytes the hardware did not write must be unchanged, and the state must stay a 16-bit real-mode
 * state (upper GPR/EIP halves zero, segment base = selector &lt;&lt; 4). The {@link Sst286Profile} classes are applied
 * and counted here.
 */
final class SstRunner {
    /** Instruction budget per test: REP forms have CX &lt; 128, everything else needs two or three steps. */
    static final int STEP_BUDGET = 10_000;
    /** IVT bytes of vector 12 (aliased to vector 13 for {@link Sst286Profile#SS_OVERRUN_GP}). */
    private static final int IVT12 = 12 * 4;
    private static final int IVT13 = 13 * 4;
    private static final String[] FLAG_NAMES = {"CF", "b1", "PF", "b3", "AF", "b5", "ZF", "SF", "TF", "IF", "DF",
        "OF", "IOPL0", "IOPL1", "NT", "b15"};
    private static final Reg16[] REGS = Reg16.values();
    /** CF, PF, AF, ZF, SF, OF. */
    private static final int ARITH_FLAGS = 0x08D5;

    private final SstMachine m;
    private final SstMetadata meta;
    private final Set<String> revoked;
    private final int examples;

    SstRunner(SstMachine m, SstMetadata meta, Set<String> revoked, int examples) {
        this.m = m;
        this.meta = meta;
        this.revoked = revoked;
        this.examples = examples;
    }

    /** Runs every test of {@code f}. */
    SstFileResult run(MooReader.MooFile f) {
        String mnem = f.meta() == null ? "?" : f.meta().mnemonic();
        SstFileResult r = new SstFileResult(f.key(), mnem);
        long t0 = System.nanoTime();
        m.wipe();
        for (SstTest t : f.tests()) {
            r.total++;
            runTest(f.key(), t, r);
        }
        r.nanos = System.nanoTime() - t0;
        return r;
    }

    private void runTest(String key, SstTest t, SstFileResult r) {
        Insn d = Sst286Profile.decode(t.bytes());
        int lockPrefix = Sst286Profile.lockReplacement(d);
        if (lockPrefix >= 0) {
            d = Sst286Profile.decode(Sst286Profile.rewriteLock(t.bytes(), lockPrefix));
        }
        Sst286Profile skip = Sst286Profile.skipClass(t, d, revoked.contains(t.hash()));
        if (skip == null && Sst286Profile.isEsc(t) && d.entry == null) {
            skip = Sst286Profile.ESC_NO_FPU;
        }
        if (skip != null) {
            r.skipped++;
            r.count(skip);
            return;
        }
        if (lockPrefix >= 0) {
            r.count(Sst286Profile.LOCK_IGNORED);
        }
        Setup s = new Setup(t, lockPrefix, meta.flagsMask(key, t.bytes()) & Sst286Profile.REAL_MODE_FLAGS,
                key.equals("9C"));
        Check c = attempt(s, Retry.NONE);
        Retry retry = c.ok() ? Retry.NONE : retryFor(t, c);
        if (retry != Retry.NONE) {
            Check again = attempt(s, retry);
            if (again.ok()) {
                c = again;
                r.count(retry.profile);
            }
        }
        if (c.ok()) {
            r.passed++;
            for (Sst286Profile p : c.masks) {
                r.count(p);
            }
        } else if (Sst286Profile.isEsc(t)) {
            r.excused++;
            r.count(Sst286Profile.ESC_NO_FPU);
        } else if (c.ourVector == 0 && t.exception() == null && Sst286Profile.idivOverflows(t, d)) {
            r.excused++;
            r.count(Sst286Profile.IDIV_OVERFLOW);
        } else {
            r.failed++;
            for (String k : c.kinds) {
                r.diffKinds.merge(k, 1, Integer::sum);
            }
            if (r.examples.size() < examples) {
                r.examples.add(describe(key, s, c));
            }
        }
    }

    /** Environment changes of the {@link Sst286Profile.Kind#RETRIED} classes. */
    private enum Retry {
        NONE(null),
        IVT12_ALIAS(Sst286Profile.SS_OVERRUN_GP),
        SP_PLUS_2(Sst286Profile.POP_FAULT_SP);

        final Sst286Profile profile;

        Retry(Sst286Profile profile) {
            this.profile = profile;
        }
    }

    private static Retry retryFor(SstTest t, Check first) {
        if (!Sst286Profile.raised(t, 13)) {
            return Retry.NONE;
        }
        if (first.ourVector == 12 && !loads(t, IVT12, 4)) {
            return Retry.IVT12_ALIAS;
        }
        return Sst286Profile.opcode(t) == 0x8F ? Retry.SP_PLUS_2 : Retry.NONE;
    }

    /** Per-test facts that do not change between attempts. */
    private record Setup(SstTest t, int lockPrefix, int flagsMask, boolean pushf) {
        /** #DE: arithmetic flags not compared ({@link Sst286Profile#DE_FLAGS}). */
        int lenientFlagsMask() {
            return Sst286Profile.raised(t, 0) ? flagsMask & ~ARITH_FLAGS : flagsMask;
        }

        /** String instruction that faulted with int 13 ({@link Sst286Profile#STRING_FAULT}). */
        boolean stringFault() {
            return Sst286Profile.raised(t, 13) && Sst286Profile.isString(t);
        }
    }

    /** Whether the test's initial RAM holds any of {@code [addr, addr+len)}. */
    private static boolean loads(SstTest t, int addr, int len) {
        for (SstTest.RamEntry e : t.initialRam()) {
            if (e.address() >= addr && e.address() < addr + len) {
                return true;
            }
        }
        return false;
    }

    /** Result of one run of one test. */
    private static final class Check {
        /** The vector our CPU raised that the hardware did not (halted at its sentinel), or -1. */
        int ourVector = -1;
        final List<String> diffs = new ArrayList<>();
        final Set<String> kinds = new LinkedHashSet<>();
        final Set<Sst286Profile> masks = new LinkedHashSet<>();

        boolean ok() {
            return diffs.isEmpty();
        }

        void diff(String kind, String text) {
            kinds.add(kind);
            diffs.add(text);
        }
    }

    private Check attempt(Setup s, Retry retry) {
        SstTest t = s.t();
        Check c = new Check();
        int[] init = t.initialRegs().values();
        if (retry == Retry.SP_PLUS_2) {
            init[Reg16.SP.ordinal()] = (init[Reg16.SP.ordinal()] + 2) & 0xFFFF;
        }
        int[] patched = load(t, init, s.lockPrefix());
        if (retry == Retry.IVT12_ALIAS) {
            for (int k = 0; k < 4; k++) {
                m.write8(IVT12 + k, m.read8(IVT13 + k));
            }
        }
        try {
            SstMachine.Stop stop = m.run(STEP_BUDGET);
            if (stop != SstMachine.Stop.HALTED) {
                c.diff("no HLT", stop == SstMachine.Stop.SHUTDOWN ? "CPU shut down (triple fault) before the HLT"
                        : "HLT not reached within " + STEP_BUDGET + " instructions");
            }
        } catch (RuntimeException e) {
            StackTraceElement[] st = e.getStackTrace();
            c.diff("threw", "CPU threw " + e + (st.length > 0 ? " at " + st[0] : ""));
        }
        int[] initial = t.initialRegs().values();
        int v = m.sentinelVector();
        if (v >= 0 && !(expected(t, initial, Reg16.CS) == SstMachine.SENT_CS
                && expected(t, initial, Reg16.IP) == (int) m.cpu.rip)) {
            c.ourVector = v;
            c.diff("int " + v, String.format("our CPU raised int %d (%s), halted at its sentinel handler; hardware %s",
                    v, Exceptions.name(v), t.exception() == null ? "raised nothing"
                            : "raised int " + t.exception().number()));
        }
        compareRegs(s, initial, c);
        compareRam(s, patched, c);
        m.restore(t.initialRam());
        m.restore(t.finalRam());
        if (retry == Retry.IVT12_ALIAS) {
            for (int k = 0; k < 4; k++) {
                m.write8(IVT12 + k, SstMachine.baseline(IVT12 + k));
            }
        }
        return c;
    }

    /** Loads registers and RAM; applies the LOCK rewrite. Returns the sorted rewritten addresses. */
    private int[] load(SstTest t, int[] init, int lockPrefix) {
        m.setState(init, Sst286Profile.REAL_MODE_FLAGS);
        for (SstTest.RamEntry e : t.initialRam()) {
            m.write8(e.address(), e.value());
        }
        if (lockPrefix < 0) {
            return new int[0];
        }
        byte[] b = t.bytes();
        int p = Sst286Profile.prefixCount(b);
        int cs = init[Reg16.CS.ordinal()];
        int ip = init[Reg16.IP.ordinal()];
        int[] out = new int[p];
        int n = 0;
        for (int k = 0; k < p; k++) {
            if ((b[k] & 0xFF) == 0xF0) {
                int addr = (cs << 4) + ((ip + k) & 0xFFFF);
                m.write8(addr, lockPrefix);
                out[n++] = addr;
            }
        }
        out = Arrays.copyOf(out, n);
        Arrays.sort(out);
        return out;
    }

    private static int expected(SstTest t, int[] init, Reg16 r) {
        return t.finalRegs().getOr(r, init[r.ordinal()]);
    }

    private void compareRegs(Setup s, int[] init, Check c) {
        SstTest t = s.t();
        SstTest.Registers fin = t.finalRegs();
        boolean stringFault = s.stringFault();
        for (Reg16 r : REGS) {
            int exp = fin.getOr(r, init[r.ordinal()]);
            int act = m.get(r);
            if (r == Reg16.FLAGS) {
                compareFlags(exp, act, s, c);
            } else if (exp != act) {
                if (stringFault && preciseStringValue(t, r, exp, act, init)) {
                    c.masks.add(Sst286Profile.STRING_FAULT);
                } else {
                    c.diff(r.name(), String.format("%-5s expected %04X actual %04X%s", r.name(), exp, act,
                            fin.has(r) ? "" : " (hardware left it unchanged)"));
                }
            }
            int g = SstMachine.gprIndex(r);
            if (g >= 0 && (m.cpu.r[g] >>> 16) != 0) {
                c.diff("upper", String.format("E%s upper half changed: %X", r.name(), m.cpu.r[g]));
            }
            int sg = SstMachine.segIndex(r);
            if (sg >= 0 && m.cpu.seg[sg].base != (long) m.cpu.seg[sg].selector << 4) {
                c.diff(r.name() + ".base", String.format("%s.base %X is not selector<<4 (selector %04X)", r.name(),
                        m.cpu.seg[sg].base, m.cpu.seg[sg].selector));
            }
        }
        if ((m.cpu.rip >>> 16) != 0) {
            c.diff("upper", String.format("EIP upper half set: %X", m.cpu.rip));
        }
    }

    /**
     * {@link Sst286Profile#STRING_FAULT}: whether {@code act} is the precise (386) value of SI/DI/CX, i.e. the
     * hardware value with the 286's one early element step undone.
     */
    private static boolean preciseStringValue(SstTest t, Reg16 r, int exp, int act, int[] init) {
        int size = (Sst286Profile.opcode(t) & 1) != 0 ? 2 : 1;
        boolean down = (init[Reg16.FLAGS.ordinal()] & 0x400) != 0;
        return switch (r) {
            case SI, DI -> act == ((exp + (down ? size : -size)) & 0xFFFF);
            case CX -> Sst286Profile.hasRep(t) && (act == ((exp + 1) & 0xFFFF) || act == ((exp + 2) & 0xFFFF));
            default -> false;
        };
    }

    private static void compareFlags(int exp, int act, Setup s, Check c) {
        int d = (exp ^ act) & 0xFFFF;
        int lenient = s.lenientFlagsMask();
        if ((d & lenient) != 0) {
            c.diff(flagKinds(d & lenient), String.format("FLAGS expected %04X actual %04X (compare mask %04X;"
                    + " differs: %s)", exp, act, lenient, flagNames(d & lenient)));
        } else if ((d & s.flagsMask()) != 0) {
            c.masks.add(Sst286Profile.DE_FLAGS);
        } else {
            noteMasked(d, c, Sst286Profile.UNDEFINED_FLAGS);
        }
    }

    /** Records which profile mask hid the FLAGS difference {@code d} (0 = nothing hidden). */
    private static void noteMasked(int d, Check c, Sst286Profile undefinedClass) {
        if ((d & 0xF000) != 0) {
            c.masks.add(undefinedClass == Sst286Profile.PUSHED_FLAGS ? Sst286Profile.PUSHED_FLAGS
                    : Sst286Profile.FLAGS_HIGH_BITS);
        }
        if ((d & 0x0FFF) != 0) {
            c.masks.add(undefinedClass);
        }
    }

    private void compareRam(Setup s, int[] patched, Check c) {
        SstTest t = s.t();
        List<SstTest.RamEntry> fin = t.finalRam();
        int[] written = new int[fin.size()];
        int flagLo = -1;
        int flagHi = -1;
        if (t.exception() != null || s.pushf()) {
            // The image sits at SS:SP+4 of the final frame (SS:SP for PUSHF); see Sst286Profile.PUSHED_FLAGS.
            int[] init = t.initialRegs().values();
            SstTest.Registers fr = t.finalRegs();
            int base = fr.getOr(Reg16.SS, init[Reg16.SS.ordinal()]) << 4;
            int sp = fr.getOr(Reg16.SP, init[Reg16.SP.ordinal()]) + (s.pushf() ? 0 : 4);
            flagLo = base + (sp & 0xFFFF);
            flagHi = base + ((sp + 1) & 0xFFFF);
        }
        int lenient = s.lenientFlagsMask();
        int k = 0;
        for (SstTest.RamEntry e : fin) {
            written[k++] = e.address();
            int act = m.read8(e.address());
            int d = (act ^ e.value()) & 0xFF;
            int shift = e.address() == flagLo ? 0 : e.address() == flagHi ? 8 : -1;
            int byteMask = shift < 0 ? 0xFF : (lenient >> shift) & 0xFF;
            if ((d & byteMask) != 0) {
                String what = shift >= 0 ? " (pushed FLAGS " + (shift == 0 ? "low" : "high") + " byte, differs: "
                        + flagNames((d & byteMask) << shift) + ")" : "";
                c.diff(shift >= 0 ? "RAM.flags" : "RAM", String.format("RAM[%06X] expected %02X actual %02X%s",
                        e.address(), e.value(), act, what));
            } else if (d != 0) {
                if (((d << shift) & s.flagsMask()) != 0) {
                    c.masks.add(Sst286Profile.DE_FLAGS);
                } else {
                    noteMasked(d << shift, c, Sst286Profile.PUSHED_FLAGS);
                }
            }
        }
        Arrays.sort(written);
        for (SstTest.RamEntry e : t.initialRam()) {
            if (Arrays.binarySearch(written, e.address()) >= 0 || Arrays.binarySearch(patched, e.address()) >= 0) {
                continue;
            }
            int act = m.read8(e.address());
            if (act != e.value()) {
                c.diff("RAM.unwritten", String.format("RAM[%06X] expected %02X (hardware did not write it) actual %02X",
                        e.address(), e.value(), act));
            }
        }
    }

    private static String flagKinds(int bits) {
        StringBuilder sb = new StringBuilder("FLAGS");
        for (int b = 0; b < 16; b++) {
            if ((bits & (1 << b)) != 0) {
                sb.append('.').append(FLAG_NAMES[b]);
            }
        }
        return sb.toString();
    }

    static String flagNames(int bits) {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < 16; b++) {
            if ((bits & (1 << b)) != 0) {
                sb.append(sb.isEmpty() ? "" : " ").append(FLAG_NAMES[b]);
            }
        }
        return sb.toString();
    }

    /** A readable failure: test id, disassembly (file and ours), bytes, initial state, and every difference. */
    private String describe(String key, Setup s, Check c) {
        SstTest t = s.t();
        int lockPrefix = s.lockPrefix();
        int flagsMask = s.lenientFlagsMask();
        StringBuilder sb = new StringBuilder();
        int[] init = t.initialRegs().values();
        String ours;
        try {
            ours = Disassembler.disassemble(t.bytes(), 16, init[Reg16.IP.ordinal()]);
        } catch (RuntimeException e) {
            ours = "(disassembler threw " + e + ")";
        }
        sb.append(String.format("%s #%d '%s' bytes [%s] (ours: %s)%s%n", key, t.index(), t.name(),
                Disassembler.bytes(t.bytes()), ours, lockPrefix >= 0 ? " [LOCK rewritten]" : ""));
        sb.append("    initial ").append(t.initialRegs());
        if (t.exception() != null) {
            sb.append(String.format(" | hardware raised int %d (FLAGS image at %06X)", t.exception().number(),
                    t.exception().flagAddress()));
        }
        sb.append(String.format(" | flags-mask %04X | hash %s%n", flagsMask, t.hash()));
        int n = 0;
        for (String d : c.diffs) {
            if (n++ == 12) {
                sb.append(String.format("    ... %d more differences%n", c.diffs.size() - 12));
                break;
            }
            sb.append("    ").append(d).append(System.lineSeparator());
        }
        return sb.toString().stripTrailing();
    }
}

package dev.vmm.devices.pit;

/**
 * One counter of the 8254: the programming interface (control word, count register, access
 * flip-flops, counter latch, status latch, null count) and the counting element, described by
 * {@link PitSegment}s that change only at events. Every method takes the current CLK tick.
 *
 * <p>Datasheet behaviour (Intel 8254, "Mode definitions"): a count is transferred from CR to CE on
 * the CLK edge after it is written (modes 0, 4, and the first count of modes 2, 3), after a gate
 * trigger (modes 1, 5, and 2, 3 while counting) or at the end of the current period (mode 2) or
 * half cycle (mode 3) when written during counting. GATE low stops counting in modes 0, 2, 3, 4
 * and forces OUT high in modes 2 and 3; a rising GATE edge triggers modes 1, 2, 3 and 5.
 *
 * <p>Public only for its {@link State}, which is part of {@link Pit8254.State}.
 */
public final class PitChannel {
    private static final long NEVER = Long.MAX_VALUE;

    /** The counter's state; {@code next} is the count waiting for the end of a period. */
    public record State(int modeBits, boolean bcd, int access, int cr, boolean writeMsbNext, int writeLsb,
                 boolean readMsbNext, boolean countLatched, int latchedCount, boolean statusLatched,
                 int latchedStatus, boolean gate, boolean countWritten, boolean nullCount,
                 long crLoadTick, PitSegment seg, PitSegment next) {
    }

    private int modeBits;
    private int mode;
    private boolean bcd;
    private int access = 3;
    private int cr;
    private boolean writeMsbNext;
    private int writeLsb;
    private boolean readMsbNext;
    private boolean countLatched;
    private int latchedCount;
    private boolean statusLatched;
    private int latchedStatus;
    private boolean gate;
    private boolean countWritten;
    private boolean nullCount = true;
    private long crLoadTick = NEVER;
    private PitSegment seg;
    private PitSegment next;

    /** Power-on: mode 3, binary, LSB then MSB, no count loaded, OUT high. */
    PitChannel(boolean gate) {
        this.gate = gate;
        this.modeBits = 3;
        this.mode = 3;
        this.seg = PitSegment.frozen(3, 0x10000, 0, 0, false, true, 0, true);
    }

    private int modulus() {
        return bcd ? 10000 : 0x10000;
    }

    /** The segment in force at tick {@code k}. */
    private PitSegment at(long k) {
        return next != null && k >= next.start() ? next : seg;
    }

    int ce(long k) {
        return at(k).ce(k);
    }

    boolean out(long k) {
        return at(k).out(k);
    }

    boolean gate() {
        return gate;
    }

    boolean nullCount(long k) {
        return nullCount && k < crLoadTick;
    }

    /** The first tick after {@code k} at which OUT changes, or {@link Long#MAX_VALUE}. */
    long nextEdge(long k) {
        if (next == null || k >= next.start()) {
            return at(k).nextEdge(k);
        }
        long e = seg.nextEdge(k);
        if (e < next.start()) {
            return e;
        }
        long s = next.start();
        return seg.out(s - 1) != next.out(s) ? s : next.nextEdge(s);
    }

    /** Makes the state at tick {@code k} explicit (a pending reload that happened is applied). */
    private void settle(long k) {
        if (next != null && k >= next.start()) {
            seg = next;
            next = null;
        }
        if (nullCount && k >= crLoadTick) {
            nullCount = false;
        }
    }

    /** A control word with RW != 00 (mode programming) written at tick {@code k}. */
    void control(long k, int value) {
        settle(k);
        int c = ce(k);
        modeBits = (value >> 1) & 7;
        mode = modeBits > 5 ? modeBits - 4 : modeBits;
        bcd = (value & 1) != 0;
        access = (value >> 4) & 3;
        writeMsbNext = false;
        readMsbNext = false;
        countLatched = false;
        statusLatched = false;
        countWritten = false;
        nullCount = true;
        crLoadTick = NEVER;
        next = null;
        boolean o = mode != 0;
        seg = PitSegment.frozen(mode, modulus(), k, c % modulus(), false, o, c, o);
    }

    /** A byte written to the counter's port at tick {@code k}. */
    void writeByte(long k, int value) {
        value &= 0xFF;
        switch (access) {
            case 1 -> load(k, value);
            case 2 -> load(k, value << 8);
            default -> {
                if (!writeMsbNext) {
                    writeLsb = value;
                    writeMsbNext = true;
                    if (mode == 0) {            // counting stops, OUT low at once
                        settle(k);
                        int c = ce(k);
                        seg = PitSegment.frozen(0, modulus(), k, c, true, false, c, false);
                    }
                } else {
                    writeMsbNext = false;
                    load(k, writeLsb | value << 8);
                }
            }
        }
    }

    private int effective(int count) {
        int n = bcd ? fromBcd(count) : count;
        return n == 0 ? modulus() : n;
    }

    private void load(long k, int count) {
        settle(k);
        cr = count;
        countWritten = true;
        nullCount = true;
        int n = effective(cr);
        int c = ce(k);
        boolean o = out(k);
        switch (mode) {
            case 0, 4 -> {
                long s = k + 1;
                crLoadTick = s;
                boolean preOut = mode != 0 && o;
                seg = gate
                        ? PitSegment.oneShot(mode, modulus(), s, s + n, true, c, preOut)
                        : PitSegment.frozen(mode, modulus(), s, n, true, mode != 0, c, preOut);
            }
            case 2, 3 -> {
                if (seg.running() && k >= seg.start()) {
                    long s = seg.nextBoundary(k);
                    boolean high = mode == 2 || !seg.out(s - 1);
                    next = PitSegment.periodic(mode, modulus(), s, n, high, 0, true);
                    crLoadTick = s;
                } else {
                    long s = k + 1;
                    crLoadTick = s;
                    seg = gate
                            ? PitSegment.periodic(mode, modulus(), s, n, true, c, true)
                            : PitSegment.frozen(mode, modulus(), s, n, false, true, c, true);
                }
            }
            default -> crLoadTick = NEVER;      // modes 1, 5 wait for a gate trigger
        }
    }

    /** GATE driven to {@code level} at tick {@code k}. */
    void setGate(long k, boolean level) {
        if (level == gate) {
            return;
        }
        settle(k);
        gate = level;
        int c = ce(k);
        boolean o = out(k);
        switch (mode) {
            case 0, 4 -> {
                if (!countWritten) {
                    return;
                }
                seg = level ? resume(k) : freeze(k, c, o);
            }
            case 1, 5 -> {
                if (level && countWritten) {
                    long s = k + 1;
                    seg = PitSegment.oneShot(mode, modulus(), s, s + effective(cr), true, c, o);
                    loadedAt(s);
                }
            }
            default -> {
                if (!level) {
                    next = null;
                    if (nullCount) {
                        crLoadTick = NEVER;
                    }
                    seg = freeze(k, c, true);
                } else if (countWritten) {
                    long s = k + 1;
                    seg = PitSegment.periodic(mode, modulus(), s, effective(cr), true, c, true);
                    loadedAt(s);
                }
            }
        }
    }

    private void loadedAt(long s) {
        if (nullCount) {
            crLoadTick = s;
        }
    }

    /** Counting stops at tick {@code k}; a load still pending keeps its CLK edge. */
    private PitSegment freeze(long k, int c, boolean o) {
        PitSegment s = seg;
        if (s.running() && k < s.start()) {
            int loaded = s.mode() == 2 || s.mode() == 3 ? s.value() : (int) (s.tc() - s.start());
            return PitSegment.frozen(s.mode(), s.modulus(), s.start(), loaded, s.armed(), o,
                    s.preCe(), s.preOut() && o);
        }
        return PitSegment.frozen(s.mode(), s.modulus(), k, c, s.armedAt(k), o, c, o);
    }

    /** Modes 0 and 4: counting resumes at tick {@code k} from the held value. */
    private PitSegment resume(long k) {
        PitSegment s = seg;
        if (s.running()) {
            return s;
        }
        int v = s.value();
        if (k < s.start()) {
            return PitSegment.oneShot(s.mode(), s.modulus(), s.start(), s.start() + v, s.armed(),
                    s.preCe(), s.preOut());
        }
        long tc = k + (v == 0 && s.armed() ? s.modulus() : v);
        return PitSegment.oneShot(s.mode(), s.modulus(), k, tc, s.armed(), v % s.modulus(),
                s.frozenOut());
    }

    /** Counter latch command at tick {@code k} (ignored while a latched count is unread). */
    void latchCount(long k) {
        if (!countLatched) {
            latchedCount = format(ce(k));
            countLatched = true;
        }
    }

    /** Read-back status latch at tick {@code k} (ignored while a latched status is unread). */
    void latchStatus(long k) {
        if (!statusLatched) {
            latchedStatus = (out(k) ? 0x80 : 0) | (nullCount(k) ? 0x40 : 0) | access << 4
                    | modeBits << 1 | (bcd ? 1 : 0);
            statusLatched = true;
        }
    }

    /** A read of the counter's port at tick {@code k}. */
    int readByte(long k) {
        if (statusLatched) {
            statusLatched = false;
            return latchedStatus;
        }
        int value = countLatched ? latchedCount : format(ce(k));
        int b;
        switch (access) {
            case 1 -> {
                b = value & 0xFF;
                countLatched = false;
            }
            case 2 -> {
                b = value >> 8 & 0xFF;
                countLatched = false;
            }
            default -> {
                b = readMsbNext ? value >> 8 & 0xFF : value & 0xFF;
                if (readMsbNext) {
                    countLatched = false;
                }
                readMsbNext = !readMsbNext;
            }
        }
        return b;
    }

    private int format(int ce) {
        return bcd ? toBcd(ce) : ce;
    }

    static int fromBcd(int v) {
        return (v >> 12 & 0xF) * 1000 + (v >> 8 & 0xF) * 100 + (v >> 4 & 0xF) * 10 + (v & 0xF);
    }

    static int toBcd(int v) {
        return (v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
    }

    State save() {
        return new State(modeBits, bcd, access, cr, writeMsbNext, writeLsb, readMsbNext,
                countLatched, latchedCount, statusLatched, latchedStatus, gate, countWritten,
                nullCount, crLoadTick, seg, next);
    }

    void restore(State s) {
        modeBits = s.modeBits() & 7;
        mode = modeBits > 5 ? modeBits - 4 : modeBits;
        bcd = s.bcd();
        access = s.access() & 3;
        cr = s.cr() & 0xFFFF;
        writeMsbNext = s.writeMsbNext();
        writeLsb = s.writeLsb() & 0xFF;
        readMsbNext = s.readMsbNext();
        countLatched = s.countLatched();
        latchedCount = s.latchedCount() & 0xFFFF;
        statusLatched = s.statusLatched();
        latchedStatus = s.latchedStatus() & 0xFF;
        gate = s.gate();
        countWritten = s.countWritten();
        nullCount = s.nullCount();
        crLoadTick = s.crLoadTick();
        seg = s.seg();
        next = s.next();
    }
}

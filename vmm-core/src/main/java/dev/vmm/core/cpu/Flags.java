package dev.vmm.core.cpu;

/**
 * EFLAGS with lazily evaluated arithmetic flags. An arithmetic instruction records its operands,
 * result, width and kind; CF, PF, AF, ZF, SF and OF are computed only when something reads them.
 * Handlers whose flags are irregular (shifts, multiplies, BCD) set them eagerly with
 * {@link #setArith(int)}.
 */
public final class Flags {
    public static final int CF = 1;
    public static final int PF = 1 << 2;
    public static final int AF = 1 << 4;
    public static final int ZF = 1 << 6;
    public static final int SF = 1 << 7;
    public static final int TF = 1 << 8;
    public static final int IF = 1 << 9;
    public static final int DF = 1 << 10;
    public static final int OF = 1 << 11;
    public static final int IOPL = 3 << 12;
    public static final int NT = 1 << 14;
    public static final int RF = 1 << 16;
    public static final int VM = 1 << 17;
    public static final int AC = 1 << 18;
    public static final int VIF = 1 << 19;
    public static final int VIP = 1 << 20;
    public static final int ID = 1 << 21;
    /** The six arithmetic status flags. */
    public static final int ARITH = CF | PF | AF | ZF | SF | OF;

    // Lazy kinds.
    static final int NONE = 0;
    static final int ADD = 1;
    static final int ADC = 2;      // ADD with carry-in 1
    static final int SUB = 3;
    static final int SBB = 4;      // SUB with borrow-in 1
    static final int LOGIC = 5;
    static final int INC = 6;      // CF kept in 'bits'
    static final int DEC = 7;      // CF kept in 'bits'

    /** All flag bits; the ARITH bits are valid only when {@link #kind} is NONE (CF too for INC/DEC). */
    int bits = 2;
    int kind;
    int size;
    long a;
    long b;
    long res;

    /** Records an ADD/ADC/SUB/SBB/LOGIC/INC/DEC result of {@code size} bytes. */
    void lazy(int kind, int size, long a, long b, long res) {
        if (kind == INC || kind == DEC) {
            bits = (bits & ~CF) | cf();
        }
        this.kind = kind;
        this.size = size;
        this.a = a;
        this.b = b;
        this.res = res;
    }

    private static long mask(int size) {
        return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }

    private static long sign(int size) {
        return 1L << (size * 8 - 1);
    }

    public int cf() {
        long m = mask(size);
        return switch (kind) {
            case NONE, INC, DEC -> bits & CF;
            case ADD -> Long.compareUnsigned(res & m, a & m) < 0 ? 1 : 0;
            case ADC -> Long.compareUnsigned(res & m, a & m) <= 0 ? 1 : 0;
            case SUB -> Long.compareUnsigned(a & m, b & m) < 0 ? 1 : 0;
            case SBB -> Long.compareUnsigned(a & m, b & m) <= 0 ? 1 : 0;
            default -> 0;
        };
    }

    public boolean zf() {
        return kind == NONE ? (bits & ZF) != 0 : (res & mask(size)) == 0;
    }

    public boolean sf() {
        return kind == NONE ? (bits & SF) != 0 : (res & sign(size)) != 0;
    }

    public boolean pf() {
        return kind == NONE ? (bits & PF) != 0 : (Integer.bitCount((int) res & 0xFF) & 1) == 0;
    }

    public boolean af() {
        return switch (kind) {
            case NONE -> (bits & AF) != 0;
            case LOGIC -> false;
            case INC, DEC -> ((a ^ res) & 0x10) != 0;
            default -> ((a ^ b ^ res) & 0x10) != 0;
        };
    }

    public boolean of() {
        long s = sign(size);
        return switch (kind) {
            case NONE -> (bits & OF) != 0;
            case ADD, ADC -> ((a ^ res) & (b ^ res) & s) != 0;
            case SUB, SBB -> ((a ^ b) & (a ^ res) & s) != 0;
            case INC -> (res & mask(size)) == s;
            case DEC -> (res & mask(size)) == s - 1;
            default -> false;
        };
    }

    /** The arithmetic flags as EFLAGS bits. */
    public int arith() {
        if (kind == NONE) {
            return bits & ARITH;
        }
        return cf() | (pf() ? PF : 0) | (af() ? AF : 0) | (zf() ? ZF : 0) | (sf() ? SF : 0) | (of() ? OF : 0);
    }

    /** Sets all six arithmetic flags from {@code v} (other bits ignored). */
    public void setArith(int v) {
        bits = (bits & ~ARITH) | (v & ARITH);
        kind = NONE;
    }

    /** Materializes the lazy flags, then replaces the flags in {@code mask} by those of {@code v}. */
    public void setMasked(int mask, int v) {
        int all = get();
        bits = (all & ~mask) | (v & mask) | 2;
        kind = NONE;
    }

    /** Sets ZF, SF, PF from {@code res} of {@code size} bytes and the given CF/OF/AF bits. */
    public void setResult(long res, int size, int cfOfAf) {
        long m = mask(size);
        int v = cfOfAf & (CF | OF | AF);
        if ((res & m) == 0) {
            v |= ZF;
        }
        if ((res & sign(size)) != 0) {
            v |= SF;
        }
        if ((Integer.bitCount((int) res & 0xFF) & 1) == 0) {
            v |= PF;
        }
        setArith(v);
    }

    /** The whole EFLAGS value. */
    public int get() {
        return (bits & ~ARITH) | arith() | 2;
    }

    /** Replaces the whole EFLAGS value (the caller has applied any write masks). */
    public void set(int v) {
        bits = (v & 0x003F_7FD5) | 2;
        kind = NONE;
    }

    public boolean test(int flag) {
        return switch (flag) {
            case CF -> cf() != 0;
            case ZF -> zf();
            case SF -> sf();
            case OF -> of();
            case PF -> pf();
            case AF -> af();
            default -> (bits & flag) != 0;
        };
    }

    public void setBit(int flag, boolean on) {
        if ((flag & ARITH) != 0) {
            setMasked(flag, on ? flag : 0);
        } else {
            bits = on ? bits | flag : bits & ~flag;
        }
    }

    /** Evaluates condition code {@code cc} (the low nibble of Jcc/SETcc/CMOVcc). */
    public boolean cond(int cc) {
        boolean r = switch (cc >>> 1) {
            case 0 -> of();
            case 1 -> cf() != 0;
            case 2 -> zf();
            case 3 -> cf() != 0 || zf();
            case 4 -> sf();
            case 5 -> pf();
            case 6 -> sf() != of();
            default -> zf() || sf() != of();
        };
        return r ^ ((cc & 1) != 0);
    }
}

package dev.vmm.core.cpu.diff;

import dev.vmm.core.cpu.oracle.RegisterImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Builds one differential test case: the instruction bytes, the input registers, flags and data,
 * and the mask of status flags left undefined. Instruction generators ask for operand values with
 * {@link #need} / {@link #needMem}: in a single-instruction case those become the input state, in a
 * sequence they are emitted as {@code MOV} instructions right before the instruction, so every
 * memory address stays inside the data region and every DIV stays non-faulting whatever the
 * earlier instructions did.
 *
 * <p>Only encodings that mean the same in 32-bit and 64-bit mode are emitted (see
 * {@link dev.vmm.core.cpu.oracle.NativeExecutor}): no REX bytes, no ESP, no RIP-relative ModRM, no
 * 0x67, no segment overrides; effective addresses never wrap.
 */
final class CaseBuilder {
    static final int CF = 0x001;
    static final int PF = 0x004;
    static final int AF = 0x010;
    static final int ZF = 0x040;
    static final int SF = 0x080;
    static final int DF = 0x400;
    static final int OF = 0x800;
    static final int STATUS = CF | PF | AF | ZF | SF | OF;

    static final int ESP = 4;
    private static final int[] GPRS = {0, 1, 2, 3, 5, 6, 7};
    private static final long[] EDGES = {0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFFL,
        0x8000_0000L, 0xFFFF_FFFFL};

    /** Data region offsets: the window randomized for every case, and where plain operands live. */
    static final int WINDOW = 0x6000;
    static final int WINDOW_SIZE = 0x4000;
    static final int HOT_LO = 0x7800;
    static final int HOT_HI = 0x8800;

    final Random rnd;
    final long dataAddress;
    final boolean sequence;
    /** Host-specific mode: also generate cases whose result the SDM leaves undefined. */
    final boolean strict;
    final int[] regs = new int[8];
    int flagsIn;
    final byte[] window = new byte[WINDOW_SIZE];

    private byte[] code = new byte[64];
    private int len;
    private final List<Integer> starts = new ArrayList<>();
    /** Memory operands (offset, size) of the case, for the failure report. */
    private final List<int[]> memOperands = new ArrayList<>();

    /** Claimed 32-bit registers of the current instruction (bit n = register n). */
    private int claimed;
    /** Status flags currently undefined (accumulated over a sequence). */
    private int undefined;
    // Per-instruction flag effects.
    private int reads;
    private int writes;
    private int undef;

    CaseBuilder(Random rnd, long dataAddress, boolean sequence, boolean strict) {
        this.rnd = rnd;
        this.dataAddress = dataAddress;
        this.sequence = sequence;
        this.strict = strict;
        for (int r : GPRS) {
            regs[r] = regValue();
        }
        flagsIn = rnd.nextInt() & (STATUS | DF);
        rnd.nextBytes(window);
        for (int k = HOT_LO - WINDOW - 0x100; k < HOT_HI - WINDOW + 0x100; k += 4) {   // edge-biased
            int v = regValue();
            window[k] = (byte) v;
            window[k + 1] = (byte) (v >>> 8);
            window[k + 2] = (byte) (v >>> 16);
            window[k + 3] = (byte) (v >>> 24);
        }
    }

    // ---- random values --------------------------------------------------------------------------

    int rand(int n) {
        return rnd.nextInt(n);
    }

    boolean chance(int percent) {
        return rnd.nextInt(100) < percent;
    }

    /** A random value of {@code size} bytes, biased to edge values (zero-extended). */
    long value(int size) {
        long m = mask(size);
        int k = rnd.nextInt(8);
        if (k < 3) {
            long e = EDGES[rnd.nextInt(EDGES.length)];
            return e & m;
        }
        if (k == 3) {
            return rnd.nextInt(16) & m;
        }
        if (k == 4) {
            return (m - rnd.nextInt(16)) & m;
        }
        return rnd.nextLong() & m;
    }

    /** A random 32-bit register value: an edge value in its low byte/word/dword, random above. */
    int regValue() {
        int size = 1 << rnd.nextInt(3);
        long m = mask(size);
        return (int) ((rnd.nextInt() & ~m) | value(size));
    }

    static long mask(int size) {
        return size == 4 ? 0xFFFF_FFFFL : (1L << (size * 8)) - 1;
    }

    /** A random operand size: 1, 2 or 4 bytes. */
    int size() {
        return 1 << rnd.nextInt(3);
    }

    /** A random 'v' operand size: 2 or 4 bytes. */
    int sizeV() {
        return 2 << rnd.nextInt(2);
    }

    /** Records a memory location the instruction touches, for the report. */
    void noteMem(int off, int size) {
        memOperands.add(new int[] {off, size});
    }

    /** One of EAX ECX EDX EBX EBP ESI EDI. */
    int anyReg() {
        return GPRS[rnd.nextInt(GPRS.length)];
    }

    /** A register not claimed by the current instruction; -1 if none is left. */
    int freeReg() {
        int n = 0;
        for (int r : GPRS) {
            if ((claimed & 1 << r) == 0) {
                n++;
            }
        }
        if (n == 0) {
            return -1;
        }
        int pick = rnd.nextInt(n);
        for (int r : GPRS) {
            if ((claimed & 1 << r) == 0 && pick-- == 0) {
                return r;
            }
        }
        return -1;
    }

    /** A register for operand size {@code size}: 0-7 for bytes (AL..BH), else one of {@link #anyReg}. */
    int reg(int size) {
        return size == 1 ? rnd.nextInt(8) : anyReg();
    }

    /** The 32-bit register underlying {@code r} at {@code size} (AH..BH map to EAX..EBX). */
    static int full(int r, int size) {
        return size == 1 ? r & 3 : r;
    }

    boolean isClaimed(int r32) {
        return (claimed & 1 << r32) != 0;
    }

    // ---- needs -----------------------------------------------------------------------------------

    /** Register {@code r32} (32-bit number) must hold {@code v} when the instruction runs. */
    void need(int r32, int v) {
        if (r32 == ESP || r32 < 0) {
            throw new IllegalArgumentException("bad register " + r32);
        }
        if (isClaimed(r32)) {
            throw new IllegalStateException("register " + r32 + " needed twice");
        }
        claimed |= 1 << r32;
        if (sequence) {
            insn(0xB8 + r32, v, v >>> 8, v >>> 16, v >>> 24);
        } else {
            regs[r32] = v;
        }
    }

    /** Register {@code r} at operand size {@code size} must hold {@code v} (other bits random). */
    void needSized(int r, int size, long v) {
        if (size == 4) {
            need(r, (int) v);
            return;
        }
        int r32 = full(r, size);
        if (isClaimed(r32)) {
            throw new IllegalStateException("register " + r32 + " needed twice");
        }
        claimed |= 1 << r32;
        if (sequence) {
            if (size == 1) {
                insn(0xB0 + r, (int) v);
            } else {
                insn(0x66, 0xB8 + r, (int) v, (int) v >>> 8);
            }
        } else if (size == 1) {
            int shift = r < 4 ? 0 : 8;
            regs[r32] = (int) (regs[r32] & ~(0xFF << shift) | (v & 0xFF) << shift);
        } else {
            regs[r32] = (int) (regs[r32] & ~0xFFFF | v & 0xFFFF);
        }
    }

    /** Marks {@code r32} as taken without giving it a value (its random value is used as is). */
    void claim(int r32) {
        claimed |= 1 << r32;
    }

    /** Current value of register {@code r} at {@code size}, if known (single-instruction cases). */
    long known(int r, int size) {
        if (sequence) {
            throw new IllegalStateException("register values are unknown in a sequence");
        }
        int v = regs[full(r, size)];
        if (size == 1 && r >= 4) {
            v >>>= 8;
        }
        return v & mask(size);
    }

    /** The {@code size} bytes at data offset {@code off} must hold {@code v}. */
    void needMem(int off, int size, long v) {
        if (sequence) {
            int[] abs = absolute(off);
            switch (size) {
                case 1 -> emit(new int[] {0xC6, abs[0], abs[1], abs[2], abs[3], abs[4], abs[5], (int) v});
                case 2 -> emit(new int[] {0x66, 0xC7, abs[0], abs[1], abs[2], abs[3], abs[4], abs[5],
                    (int) v, (int) v >>> 8});
                default -> emit(new int[] {0xC7, abs[0], abs[1], abs[2], abs[3], abs[4], abs[5],
                    (int) v, (int) (v >>> 8), (int) (v >>> 16), (int) (v >>> 24)});
            }
        } else {
            for (int k = 0; k < size; k++) {
                window[off - WINDOW + k] = (byte) (v >>> (8 * k));
            }
        }
    }

    /** ModRM (mod=00 r/m=100, reg 0) + SIB 0x25 + disp32 of an absolute address. */
    private int[] absolute(int off) {
        long a = dataAddress + off;
        return new int[] {0x04, 0x25, (int) a & 0xFF, (int) (a >>> 8) & 0xFF, (int) (a >>> 16) & 0xFF,
            (int) (a >>> 24) & 0xFF};
    }

    /** Memory at data offset {@code off} (single-instruction cases: the initial value). */
    long knownMem(int off, int size) {
        if (sequence) {
            throw new IllegalStateException("memory contents are unknown in a sequence");
        }
        long v = 0;
        for (int k = size - 1; k >= 0; k--) {
            v = v << 8 | window[off - WINDOW + k] & 0xFF;
        }
        return v;
    }

    // ---- memory operands ------------------------------------------------------------------------

    /** A memory operand: ModRM mod and r/m, the SIB/displacement bytes, and the data offset. */
    record Mem(int mod, int rm, int[] tail, int offset) {
    }

    /** An r/m operand: a register ({@code mem == null}) or memory. */
    record Rm(int reg, Mem mem) {
        boolean isReg() {
            return mem == null;
        }
    }

    /** A memory operand of {@code size} bytes at a random offset in the hot area. */
    Mem mem(int size) {
        return memAt(HOT_LO + rand(HOT_HI - HOT_LO - size), size);
    }

    /**
     * A memory operand addressing data offset {@code off}, in a random addressing form; its base and
     * index registers are needed (and claimed) with the values that make up the address.
     */
    Mem memAt(int off, int size) {
        long addr = dataAddress + off;
        memOperands.add(new int[] {off, size});
        int form = rand(sequence ? 10 : 8);
        int b = form >= 7 ? -1 : freeReg();
        if (b < 0) {   // [disp32] through SIB (mod=00 r/m=101 would be RIP-relative in 64-bit mode)
            return new Mem(0, 4, concat(0x25, le32(addr)), off);
        }
        switch (form) {
            case 0 -> {   // [base]; [ebp] needs a zero disp8
                need(b, (int) addr);
                return b == 5 ? new Mem(1, 5, new int[] {0}, off) : new Mem(0, b, new int[0], off);
            }
            case 1 -> {   // [base+disp8]
                int d = rand(256) - 128;
                need(b, (int) (addr - d));
                return new Mem(1, b, new int[] {d & 0xFF}, off);
            }
            case 2 -> {   // [base+disp32]
                long d = disp32(addr);
                need(b, (int) (addr - d));
                return new Mem(2, b, le32(d), off);
            }
            case 3, 4, 5 -> { // [base+index*scale+disp]
                claim(b);
                int x = freeReg();
                claimed &= ~(1 << b);
                if (x < 0) {
                    need(b, (int) addr);
                    return b == 5 ? new Mem(1, 5, new int[] {0}, off) : new Mem(0, b, new int[0], off);
                }
                int s = rand(4);
                long xi = rand(0x400);
                int mod = b == 5 ? 1 + rand(2) : rand(3);
                long d = mod == 0 ? 0 : mod == 1 ? rand(256) - 128 : disp32(addr - (xi << s));
                need(x, (int) xi);
                need(b, (int) (addr - d - (xi << s)));
                int sib = s << 6 | x << 3 | b;
                int[] tail = mod == 0 ? new int[] {sib} : mod == 1 ? new int[] {sib, (int) d & 0xFF}
                        : concat(sib, le32(d));
                return new Mem(mod, 4, tail, off);
            }
            default -> {   // [index*scale+disp32], no base
                int s = rand(4);
                long xi = rand((int) Math.min(addr >>> s, 1 << 20));
                long d = addr - (xi << s);
                need(b, (int) xi);
                return new Mem(0, 4, concat(s << 6 | b << 3 | 5, le32(d)), off);
            }
        }
    }

    /** A 32-bit displacement such that {@code addr - disp} is a valid unsigned 32-bit base. */
    private long disp32(long addr) {
        return switch (rand(3)) {
            case 0 -> rand(0x2000) - 0x1000;
            case 1 -> (long) (rnd.nextDouble() * addr);
            default -> -(long) (rnd.nextDouble() * 0x3000_0000L);
        };
    }

    private static int[] le32(long v) {
        return new int[] {(int) v & 0xFF, (int) (v >>> 8) & 0xFF, (int) (v >>> 16) & 0xFF, (int) (v >>> 24) & 0xFF};
    }

    private static int[] concat(int first, int[] rest) {
        int[] r = new int[rest.length + 1];
        r[0] = first;
        System.arraycopy(rest, 0, r, 1, rest.length);
        return r;
    }

    /** A random r/m operand of {@code size}: a register with probability {@code regPercent}. */
    Rm rm(int size, int regPercent) {
        if (chance(regPercent)) {
            return new Rm(reg(size), null);
        }
        return new Rm(-1, mem(size));
    }

    // ---- emission --------------------------------------------------------------------------------

    /** Emits one instruction made of {@code bytes} (each taken modulo 256). */
    void insn(int... bytes) {
        emit(bytes);
    }

    private void emit(int[] bytes) {
        starts.add(len);
        for (int b : bytes) {
            append(b);
        }
    }

    private void append(int b) {
        if (len == code.length) {
            code = Arrays.copyOf(code, len * 2);
        }
        code[len++] = (byte) b;
    }

    /**
     * Emits {@code prefixes}, {@code opcode} (one or more bytes), then the ModRM of {@code rm} with
     * {@code regField}, its SIB/displacement, then {@code imm} ({@code immSize} bytes).
     */
    void modrm(int[] prefixes, int[] opcode, int regField, Rm rm, long imm, int immSize) {
        starts.add(len);
        for (int p : prefixes) {
            append(p);
        }
        for (int o : opcode) {
            append(o);
        }
        if (rm.isReg()) {
            append(0xC0 | regField << 3 | rm.reg());
        } else {
            Mem m = rm.mem();
            append(m.mod() << 6 | regField << 3 | m.rm());
            for (int t : m.tail()) {
                append(t);
            }
        }
        for (int k = 0; k < immSize; k++) {
            append((int) (imm >>> (8 * k)));
        }
    }

    /** Emits {@code prefixes}, a one-byte {@code opcode} without ModRM, then {@code imm}. */
    void modrmless(int[] prefixes, int opcode, long imm, int immSize) {
        starts.add(len);
        for (int p : prefixes) {
            append(p);
        }
        append(opcode);
        for (int k = 0; k < immSize; k++) {
            append((int) (imm >>> (8 * k)));
        }
    }

    /** Operand-size prefix for {@code size}: {0x66} for 16 bits, none otherwise. */
    static int[] osize(int size) {
        return size == 2 ? new int[] {0x66} : new int[0];
    }

    // ---- per-instruction bookkeeping -------------------------------------------------------------

    /** Starts an instruction: a generator calls this first. */
    void begin() {
        claimed = 0;
        reads = 0;
        writes = 0;
        undef = 0;
    }

    /** The flag effects of the instruction just generated. */
    void flags(int read, int written, int undefinedAfter) {
        reads = read;
        writes = written | undefinedAfter;
        undef = undefinedAfter;
    }

    /** A saved position, to drop an instruction again. */
    int[] mark() {
        return new int[] {len, starts.size(), memOperands.size()};
    }

    void reset(int[] mark) {
        len = mark[0];
        while (starts.size() > mark[1]) {
            starts.removeLast();
        }
        while (memOperands.size() > mark[2]) {
            memOperands.removeLast();
        }
    }

    /** True if the instruction just generated reads a flag that is currently undefined. */
    boolean readsUndefined() {
        return (reads & undefined) != 0;
    }

    /** Commits the instruction's flag effects to the running undefined mask. */
    void commit() {
        undefined = (undefined & ~writes) | undef;
    }

    int undefinedFlags() {
        return undefined;
    }

    DiffCase build(String cls, String name, int index) {
        RegisterImage in = new RegisterImage(regs[0], regs[3], regs[1], regs[2], regs[6], regs[7], regs[5], flagsIn);
        List<int[]> mems = List.copyOf(memOperands);
        return new DiffCase(cls, name, index, Arrays.copyOf(code, len),
                starts.stream().mapToInt(Integer::intValue).toArray(), in, window.clone(), mems, undefined);
    }
}

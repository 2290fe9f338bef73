package dev.vmm.core.cpu;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmm.core.cpu.oracle.NativeExecutor;
import dev.vmm.core.cpu.oracle.NativeResult;
import dev.vmm.core.cpu.oracle.RegisterImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * Differential test of the arithmetic and data-movement instructions (AluOps, MulDivOps, MoveOps,
 * FlagOps) against the host CPU through {@link NativeExecutor}: random register and memory operands
 * at 8, 16 and 32 bits (fixed seeds), run natively and in the emulator (flat 32-bit protected mode,
 * code at the executor's code address, data at its data address), then the seven registers, the
 * status flags plus DF, and a 512-byte data window are compared. Only flags the SDM calls undefined
 * for the instruction are masked (each mask says why). BCD instructions are invalid in 64-bit mode
 * and are covered by BcdOpsTest instead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArithOracleTest {
    private static final int CASES = 300;
    /** The data window compared after each case: data region offsets [WIN, WIN + WIN_SIZE). */
    private static final int WIN = 0x100;
    private static final int WIN_SIZE = 0x200;
    private static final int CF = Flags.CF;
    private static final int PF = Flags.PF;
    private static final int AF = Flags.AF;
    private static final int ZF = Flags.ZF;
    private static final int SF = Flags.SF;
    private static final int OF = Flags.OF;
    /** Compared flag bits: the six status flags and DF. */
    private static final int COMPARED = NativeExecutor.FLAGS_STATUS | NativeExecutor.FLAG_DF;
    /** AND/OR/XOR/TEST: "the state of the AF flag is undefined" (SDM). */
    private static final int UNDEF_LOGIC = AF;
    /**
     * MUL/IMUL: "the SF, ZF, AF and PF flags are undefined" (SDM). We set them as Intel does (from the
     * low half, AF = 0; see MulDivOpsTest); an AMD host leaves them unchanged.
     */
    private static final int UNDEF_MUL = SF | ZF | AF | PF;
    /** DIV/IDIV: "the CF, OF, SF, ZF, AF and PF flags are undefined" (SDM). */
    private static final int UNDEF_DIV = CF | OF | SF | ZF | AF | PF;
    private static final int[] SPECIAL = {0, 1, -1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF,
        0x8000_0000, 0x0F, 0x10, 0x99, 0x9A, 0xFFFF_FF80, 0xFFFF_8000, 0x0001_0000};
    private static final String[] ALU = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"};

    private NativeExecutor ex;
    private CpuFixture f;
    private int data;
    private long codeAddress;
    private boolean lahf;

    @BeforeAll
    void setUp() {
        assumeTrue(NativeExecutor.isSupported(),
                "native x86 oracle needs Linux x86-64; skipped on " + NativeExecutor.hostDescription());
        ex = new NativeExecutor();
        data = (int) ex.dataAddress();
        codeAddress = ex.testCodeAddress();
        f = new CpuFixture(2L << 30);
        f.flat32(codeAddress);
        lahf = lahfIn64BitMode();
    }

    @AfterAll
    void tearDown() {
        if (ex != null) {
            ex.close();
        }
        if (f != null) {
            f.close();
        }
    }

    /** Generates one case into {@code k}; returns false to have it thrown away and regenerated. */
    @FunctionalInterface
    private interface Gen {
        boolean gen(Case k, Random rnd);
    }

    private record Family(String name, int undefined, Gen gen) {
    }

    @TestFactory
    Stream<DynamicTest> oracle() {
        List<Family> fams = new ArrayList<>();
        for (int op = 0; op < 8; op++) {
            int o = op;
            fams.add(new Family(ALU[op], op == 1 || op == 4 || op == 6 ? UNDEF_LOGIC : 0, (k, r) -> alu(k, r, o)));
        }
        fams.add(new Family("TEST", UNDEF_LOGIC, this::test));
        fams.add(new Family("INC/DEC", 0, (k, r) -> unary(k, r, r.nextBoolean() ? 0xFE : 0xFF, r.nextInt(2))));
        fams.add(new Family("NOT/NEG", 0, (k, r) -> unary(k, r, r.nextBoolean() ? 0xF6 : 0xF7, 2 + r.nextInt(2))));
        fams.add(new Family("MUL/IMUL r/m", UNDEF_MUL, (k, r) -> unary(k, r, r.nextBoolean() ? 0xF6 : 0xF7,
                4 + r.nextInt(2))));
        fams.add(new Family("IMUL Gv,Ev[,imm]", UNDEF_MUL, this::imul));
        fams.add(new Family("DIV", UNDEF_DIV, (k, r) -> div(k, r, false)));
        fams.add(new Family("IDIV", UNDEF_DIV, (k, r) -> div(k, r, true)));
        fams.add(new Family("MOVZX/MOVSX", 0, this::movx));
        fams.add(new Family("XCHG", 0, this::xchg));
        fams.add(new Family("CBW/CWD", 0, this::cbw));
        fams.add(new Family("CMOVcc", 0, this::cmov));
        fams.add(new Family("BSWAP", 0, this::bswap));
        fams.add(new Family("XADD", 0, this::xadd));
        fams.add(new Family("CMPXCHG", 0, this::cmpxchg));
        fams.add(new Family("CMPXCHG8B", 0, this::cmpxchg8b));
        fams.add(new Family("XLAT", 0, this::xlat));
        fams.add(new Family("flag ops", 0, this::flagOps));
        fams.add(new Family("sequences", 0, this::sequence));
        return fams.stream().map(fam -> DynamicTest.dynamicTest(fam.name() + " x" + CASES, () -> run(fam)));
    }

    // ---- the comparison ---------------------------------------------------------------------

    private void run(Family fam) {
        Random rnd = new Random(fam.name().hashCode() * 31L + 12345);
        for (int n = 0; n < CASES; n++) {
            Case k;
            do {
                k = new Case(rnd);
            } while (!fam.gen().gen(k, rnd));
            compare(fam.name() + " case " + n, k, fam.undefined() | k.undefined);
        }
    }

    private void compare(String what, Case k, int undefined) {
        byte[] code = k.code.toByteArray();
        MemorySegment.copy(k.mem, 0, ex.data(), JAVA_BYTE, WIN, WIN_SIZE);
        RegisterImage in = new RegisterImage(k.r[0], k.r[3], k.r[1], k.r[2], k.r[6], k.r[7], k.r[5], k.flags);
        NativeResult nat = ex.run(in, code);

        Cpu c = f.cpu;
        for (int n = 0; n < 8; n++) {
            c.r[n] = n == Cpu.ESP ? CpuFixture.STACK_TOP : k.r[n] & 0xFFFF_FFFFL;
        }
        c.flags.set((k.flags & NativeExecutor.FLAGS_SETTABLE) | 2);
        c.rip = codeAddress;
        c.halted = false;
        f.load(codeAddress, code);
        f.load(codeAddress + code.length, 0xF4);
        f.load(data + WIN, k.mem);
        Cpu.Exit exit = f.run(100);

        String ctx = what + ": code " + hex(code) + " in " + in;
        assertEquals(Cpu.Exit.HALT, exit, ctx);
        assertEquals(codeAddress + code.length + 1, c.rip, ctx + ": stopped at the wrong place");
        RegisterImage out = nat.registers();
        for (int n : new int[] {0, 1, 2, 3, 5, 6, 7}) {
            assertEquals(hex32(out.reg(n)), hex32((int) c.r[n]), ctx + ": register " + n);
        }
        int mask = COMPARED & ~undefined;
        assertEquals(hex32(out.eflags() & mask), hex32(c.eflags() & mask), ctx + ": flags (mask " + hex32(mask) + ")");
        for (int b = 0; b < WIN_SIZE; b++) {
            int exp = nat.data()[WIN + b] & 0xFF;
            int act = f.mem.read8(data + WIN + b);
            if (exp != act) {
                fail(ctx + ": data byte " + Integer.toHexString(WIN + b) + " expected " + exp + " but was " + act);
            }
        }
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02X ", x & 0xFF));
        }
        return sb.toString().trim();
    }

    private static String hex32(int v) {
        return String.format("%08x", v);
    }

    // ---- case state and operand generation --------------------------------------------------

    /** One generated case: registers (x86 numbering, [4] unused), EFLAGS, the data window, code. */
    private final class Case {
        final int[] r = new int[8];
        int flags;
        final byte[] mem = new byte[WIN_SIZE];
        final ByteArrayOutputStream code = new ByteArrayOutputStream();
        /** Extra flags to mask for this case only. */
        int undefined;
        /** The r/m operand of the last {@link #modrm}: memory at data offset memOff, or register rm. */
        boolean isMem;
        int rm;
        int memOff;

        Case(Random rnd) {
            for (int n = 0; n < 8; n++) {
                r[n] = val(rnd);
            }
            r[4] = 0;
            flags = rnd.nextInt() & NativeExecutor.FLAGS_SETTABLE;
            rnd.nextBytes(mem);
        }

        void emit(int... bytes) {
            for (int b : bytes) {
                code.write(b);
            }
        }

        void imm(Random rnd, int size) {
            int v = val(rnd);
            for (int n = 0; n < size; n++) {
                code.write(v >>> (8 * n));
            }
        }

        /** The 0x66 prefix half of the time; returns the operand size (2 or 4). */
        int osize(Random rnd) {
            if (rnd.nextBoolean()) {
                emit(0x66);
                return 2;
            }
            return 4;
        }

        long reg(int n, int w) {
            if (w == 1) {
                return n < 4 ? r[n] & 0xFF : (r[n - 4] >>> 8) & 0xFF;
            }
            return w == 2 ? r[n] & 0xFFFF : r[n] & 0xFFFF_FFFFL;
        }

        void setReg(int n, int w, long v) {
            if (w == 1) {
                if (n < 4) {
                    r[n] = (r[n] & ~0xFF) | (int) (v & 0xFF);
                } else {
                    r[n - 4] = (r[n - 4] & ~0xFF00) | (int) ((v & 0xFF) << 8);
                }
            } else if (w == 2) {
                r[n] = (r[n] & ~0xFFFF) | (int) (v & 0xFFFF);
            } else {
                r[n] = (int) v;
            }
        }

        long memValue(int off, int w) {
            long v = 0;
            for (int n = 0; n < w; n++) {
                v |= (long) (mem[off - WIN + n] & 0xFF) << (8 * n);
            }
            return v;
        }

        void setMem(int off, int w, long v) {
            for (int n = 0; n < w; n++) {
                mem[off - WIN + n] = (byte) (v >>> (8 * n));
            }
        }

        /** The value of the r/m operand of the last {@link #modrm} at width {@code w}. */
        long operand(int w) {
            return isMem ? memValue(memOff, w) : reg(rm, w);
        }

        /** A random register for a ModRM reg field at width {@code w} (never ESP/SP). */
        int regField(Random rnd, int w) {
            int n = rnd.nextInt(8);
            return w != 1 && n == 4 ? rnd.nextInt(4) : n;
        }

        /**
         * Emits ModRM (+SIB +displacement) with reg field {@code reg}: a register r/m (not ESP unless
         * byte-sized) or a memory operand inside the data window whose base and index registers are
         * not in the {@code avoid} mask. Must come after the opcode and before any immediate.
         */
        void modrm(Random rnd, int reg, int w, boolean regOk, boolean memOk, int avoid) {
            isMem = memOk && (!regOk || rnd.nextBoolean());
            if (!isMem) {
                rm = regField(rnd, w);
                emit(0xC0 | reg << 3 | rm);
                return;
            }
            List<Integer> bases = new ArrayList<>();
            for (int n : new int[] {0, 1, 2, 3, 5, 6, 7}) {
                if ((avoid & 1 << n) == 0) {
                    bases.add(n);
                }
            }
            int b = bases.get(rnd.nextInt(bases.size()));
            memOff = WIN + rnd.nextInt(WIN_SIZE - 8);
            setMem(memOff, 4, val(rnd));
            int addr = data + memOff;
            int variant = rnd.nextInt(4);
            if (variant == 0 && b == 5 || variant == 3 && bases.size() < 2) {
                variant = 1;
            }
            switch (variant) {
                case 0 -> {
                    emit(reg << 3 | b);
                    r[b] = addr;
                }
                case 1 -> {
                    int d = rnd.nextInt(256) - 128;
                    emit(0x40 | reg << 3 | b, d & 0xFF);
                    r[b] = addr - d;
                }
                case 2 -> {
                    int d = rnd.nextInt(0x20000) - 0x10000;
                    emit(0x80 | reg << 3 | b, d, d >>> 8, d >>> 16, d >>> 24);
                    r[b] = addr - d;
                }
                default -> {
                    int x;
                    do {
                        x = bases.get(rnd.nextInt(bases.size()));
                    } while (x == b);
                    int s = rnd.nextInt(4);
                    int xi = rnd.nextInt(16);
                    int d = rnd.nextInt(256) - 128;
                    emit(0x44 | reg << 3, s << 6 | x << 3 | b, d & 0xFF);
                    r[x] = xi;
                    r[b] = addr - d - (xi << s);
                }
            }
        }
    }

    private static int val(Random rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> SPECIAL[rnd.nextInt(SPECIAL.length)];
            case 1 -> rnd.nextInt(256) - 128;
            default -> rnd.nextInt();
        };
    }

    // ---- generators -------------------------------------------------------------------------

    /** ADD..CMP (op 0..7) in all nine forms; LOCK on some memory destinations. */
    private boolean alu(Case k, Random rnd, int op) {
        int form = rnd.nextInt(9);
        boolean lockable = op != 7;
        switch (form) {
            case 0, 2 -> {
                boolean lock = lockable && form == 0 && rnd.nextInt(4) == 0;
                if (lock) {
                    k.emit(0xF0);
                }
                k.emit(op * 8 + form);
                k.modrm(rnd, rnd.nextInt(8), 1, !lock, true, 0);
            }
            case 1, 3 -> {
                boolean lock = lockable && form == 1 && rnd.nextInt(4) == 0;
                if (lock) {
                    k.emit(0xF0);
                }
                int w = k.osize(rnd);
                k.emit(op * 8 + form);
                k.modrm(rnd, k.regField(rnd, w), w, !lock, true, 0);
            }
            case 4 -> {
                k.emit(op * 8 + 4);
                k.imm(rnd, 1);
            }
            case 5 -> {
                int w = k.osize(rnd);
                k.emit(op * 8 + 5);
                k.imm(rnd, w);
            }
            case 6 -> {
                k.emit(0x80);
                k.modrm(rnd, op, 1, true, true, 0);
                k.imm(rnd, 1);
            }
            case 7 -> {
                int w = k.osize(rnd);
                k.emit(0x81);
                k.modrm(rnd, op, w, true, true, 0);
                k.imm(rnd, w);
            }
            default -> {
                int w = k.osize(rnd);
                k.emit(0x83);
                k.modrm(rnd, op, w, true, true, 0);
                k.imm(rnd, 1);
            }
        }
        return true;
    }

    private boolean test(Case k, Random rnd) {
        switch (rnd.nextInt(6)) {
            case 0 -> {
                k.emit(0x84);
                k.modrm(rnd, rnd.nextInt(8), 1, true, true, 0);
            }
            case 1 -> {
                int w = k.osize(rnd);
                k.emit(0x85);
                k.modrm(rnd, k.regField(rnd, w), w, true, true, 0);
            }
            case 2 -> {
                k.emit(0xA8);
                k.imm(rnd, 1);
            }
            case 3 -> {
                int w = k.osize(rnd);
                k.emit(0xA9);
                k.imm(rnd, w);
            }
            case 4 -> {
                k.emit(0xF6);
                k.modrm(rnd, 0, 1, true, true, 0);
                k.imm(rnd, 1);
            }
            default -> {
                int w = k.osize(rnd);
                k.emit(0xF7);
                k.modrm(rnd, 0, w, true, true, 0);
                k.imm(rnd, w);
            }
        }
        return true;
    }

    /** Group FE/FF or F6/F7 with ModRM reg {@code sub}; LOCK on some memory forms of INC/DEC/NOT/NEG. */
    private boolean unary(Case k, Random rnd, int opcode, int sub) {
        boolean lock = sub < 4 && rnd.nextInt(4) == 0;
        if (lock) {
            k.emit(0xF0);
        }
        int w = (opcode & 1) == 0 ? 1 : k.osize(rnd);
        k.emit(opcode);
        k.modrm(rnd, sub, w, !lock, true, 0);
        return true;
    }

    private boolean imul(Case k, Random rnd) {
        int form = rnd.nextInt(3);
        int w = k.osize(rnd);
        int reg = k.regField(rnd, w);
        switch (form) {
            case 0 -> {
                k.emit(0x0F, 0xAF);
                k.modrm(rnd, reg, w, true, true, 0);
            }
            case 1 -> {
                k.emit(0x69);
                k.modrm(rnd, reg, w, true, true, 0);
                k.imm(rnd, w);
            }
            default -> {
                k.emit(0x6B);
                k.modrm(rnd, reg, w, true, true, 0);
                k.imm(rnd, 1);
            }
        }
        return true;
    }

    /** DIV/IDIV with operands that cannot fault (a #DE would kill the JVM natively). */
    private boolean div(Case k, Random rnd, boolean signed) {
        int w = rnd.nextBoolean() ? 1 : k.osize(rnd);
        k.emit(w == 1 ? 0xF6 : 0xF7);
        k.modrm(rnd, signed ? 7 : 6, w, true, true, 1 << Cpu.EAX | 1 << Cpu.EDX);
        int hiReg = w == 1 ? 4 : Cpu.EDX;
        long lo = k.reg(Cpu.EAX, w);
        long d = k.operand(w);
        if (rnd.nextInt(10) < 7) {
            long hi;
            if (signed) {
                hi = Cpu.sext(lo, w) < 0 ? -1 : 0;
            } else {
                hi = d == 0 ? 0 : Long.remainderUnsigned(rnd.nextLong(), d);
            }
            k.setReg(hiReg, w, hi);
        }
        return divOk(k, w, signed);
    }

    /** Whether DIV/IDIV of width {@code w} on the case's final state completes without #DE. */
    private static boolean divOk(Case k, int w, boolean signed) {
        long d = k.operand(w);
        if (d == 0) {
            return false;
        }
        long n = switch (w) {
            case 1 -> k.reg(Cpu.EAX, 2);
            case 2 -> k.reg(Cpu.EDX, 2) << 16 | k.reg(Cpu.EAX, 2);
            default -> k.reg(Cpu.EDX, 4) << 32 | k.reg(Cpu.EAX, 4);
        };
        if (!signed) {
            return Long.compareUnsigned(Long.divideUnsigned(n, d), Cpu.mask(-1L, w)) <= 0;
        }
        long sn = Cpu.sext(n, 2 * w);
        long sd = Cpu.sext(d, w);
        if (sn == Long.MIN_VALUE && sd == -1) {
            return false;
        }
        long q = sn / sd;
        long lim = 1L << (8 * w - 1);
        return q >= -lim && q < lim;
    }

    private boolean movx(Case k, Random rnd) {
        int w = k.osize(rnd);
        int op = new int[] {0xB6, 0xB7, 0xBE, 0xBF}[rnd.nextInt(4)];
        k.emit(0x0F, op);
        k.modrm(rnd, k.regField(rnd, w), (op & 1) == 0 ? 1 : 2, true, true, 0);
        return true;
    }

    private boolean xchg(Case k, Random rnd) {
        switch (rnd.nextInt(3)) {
            case 0 -> {
                boolean lock = rnd.nextInt(3) == 0;
                if (lock) {
                    k.emit(0xF0);
                }
                k.emit(0x86);
                k.modrm(rnd, rnd.nextInt(8), 1, !lock, true, 0);
            }
            case 1 -> {
                int w = k.osize(rnd);
                k.emit(0x87);
                k.modrm(rnd, k.regField(rnd, w), w, true, true, 0);
            }
            default -> {
                k.osize(rnd);
                int n = 1 + rnd.nextInt(7);
                k.emit(0x90 + (n == 4 ? 3 : n));
            }
        }
        return true;
    }

    private boolean cbw(Case k, Random rnd) {
        k.osize(rnd);
        k.emit(rnd.nextBoolean() ? 0x98 : 0x99);
        return true;
    }

    private boolean cmov(Case k, Random rnd) {
        int w = k.osize(rnd);
        k.emit(0x0F, 0x40 + rnd.nextInt(16));
        k.modrm(rnd, k.regField(rnd, w), w, true, true, 0);
        return true;
    }

    /** BSWAP, also with 0x66 (undefined per SDM; Intel and AMD both clear the low word, as we do). */
    private boolean bswap(Case k, Random rnd) {
        if (rnd.nextInt(4) == 0) {
            k.emit(0x66);
        }
        int n = rnd.nextInt(7);
        k.emit(0x0F, 0xC8 + (n >= 4 ? n + 1 : n));
        return true;
    }

    private boolean xadd(Case k, Random rnd) {
        boolean lock = rnd.nextInt(3) == 0;
        if (lock) {
            k.emit(0xF0);
        }
        int w = rnd.nextBoolean() ? 1 : k.osize(rnd);
        k.emit(0x0F, w == 1 ? 0xC0 : 0xC1);
        k.modrm(rnd, k.regField(rnd, w), w, !lock, true, 0);
        return true;
    }

    /** CMPXCHG; half the cases make the accumulator equal to the destination. */
    private boolean cmpxchg(Case k, Random rnd) {
        boolean lock = rnd.nextInt(3) == 0;
        if (lock) {
            k.emit(0xF0);
        }
        int w = rnd.nextBoolean() ? 1 : k.osize(rnd);
        k.emit(0x0F, w == 1 ? 0xB0 : 0xB1);
        k.modrm(rnd, k.regField(rnd, w), w, !lock, true, 1 << Cpu.EAX);
        if (rnd.nextBoolean()) {
            k.setReg(Cpu.EAX, w, k.operand(w));
        }
        return true;
    }

    /** CMPXCHG8B m64; half the cases make EDX:EAX equal to the memory operand. */
    private boolean cmpxchg8b(Case k, Random rnd) {
        if (rnd.nextInt(3) == 0) {
            k.emit(0xF0);
        }
        k.emit(0x0F, 0xC7);
        k.modrm(rnd, 1, 4, false, true, 0x0F);
        k.setMem(k.memOff + 4, 4, val(rnd));
        if (rnd.nextBoolean()) {
            long m = k.memValue(k.memOff, 8);
            k.r[Cpu.EAX] = (int) m;
            k.r[Cpu.EDX] = (int) (m >>> 32);
        }
        return true;
    }

    private boolean xlat(Case k, Random rnd) {
        k.r[Cpu.EBX] = data + WIN + rnd.nextInt(WIN_SIZE - 0x100);
        k.emit(0xD7);
        return true;
    }

    private boolean flagOps(Case k, Random rnd) {
        int[] ops = {0xF5, 0xF8, 0xF9, 0xFC, 0xFD, 0x9E, 0x9F};
        int count = 1 + rnd.nextInt(3);
        for (int n = 0; n < count; n++) {
            int op = ops[rnd.nextInt(ops.length)];
            if ((op == 0x9E || op == 0x9F) && !lahf) {
                op = 0xF5;
            }
            k.emit(op);
        }
        return true;
    }

    /**
     * Two to five register-only ALU, INC/DEC/NEG/NOT and flag instructions in a row: the lazy flags
     * of one feed the next (ADC/SBB/INC/DEC/CMC read CF). AF is masked if the last flag writer was a
     * logic instruction.
     */
    private boolean sequence(Case k, Random rnd) {
        int count = 2 + rnd.nextInt(4);
        for (int n = 0; n < count; n++) {
            int kind = rnd.nextInt(6);
            switch (kind) {
                case 0, 1, 2 -> {
                    int op = rnd.nextInt(8);
                    int w = rnd.nextBoolean() ? 1 : k.osize(rnd);
                    k.emit(op * 8 + (w == 1 ? 0 : 1) + 2 * rnd.nextInt(2));
                    k.modrm(rnd, k.regField(rnd, w), w, true, false, 0);
                    k.undefined = op == 1 || op == 4 || op == 6 ? AF : 0;
                }
                case 3 -> {
                    int sub = rnd.nextInt(2);
                    int w = rnd.nextBoolean() ? 1 : k.osize(rnd);
                    k.emit(w == 1 ? 0xFE : 0xFF);
                    k.modrm(rnd, sub, w, true, false, 0);
                    k.undefined = 0;
                }
                case 4 -> {
                    int sub = 2 + rnd.nextInt(2);
                    int w = rnd.nextBoolean() ? 1 : k.osize(rnd);
                    k.emit(w == 1 ? 0xF6 : 0xF7);
                    k.modrm(rnd, sub, w, true, false, 0);
                    if (sub == 3) {
                        k.undefined = 0;
                    }
                }
                default -> k.emit(new int[] {0xF5, 0xF8, 0xF9}[rnd.nextInt(3)]);
            }
        }
        return true;
    }

    /** LAHF/SAHF are valid in 64-bit mode only with CPUID.80000001H:ECX.LAHF-SAHF (lahf_lm). */
    private static boolean lahfIn64BitMode() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo")).contains(" lahf_lm");
        } catch (IOException e) {
            return false;
        }
    }
}

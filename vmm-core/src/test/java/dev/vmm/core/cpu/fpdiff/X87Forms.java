package dev.vmm.core.cpu.fpdiff;

import static dev.vmm.core.cpu.fpdiff.X87Gen.depth;
import static dev.vmm.core.cpu.fpdiff.X87Gen.fcw;
import static dev.vmm.core.cpu.fpdiff.X87Gen.mem;
import static dev.vmm.core.cpu.fpdiff.X87Gen.randomStack;
import static dev.vmm.core.cpu.fpdiff.X87Gen.reg;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * Every x87 instruction form of the P6 except the transcendental group, as a named generator of differential
 * cases: the bytes (register forms with a random ST(i), memory forms with {@code [esi]} or {@code [esi+disp8]}),
 * a starting state from {@link X87Gen} and the memory operand.
 *
 * <p>{@link Form#envImage} marks the forms that store an environment image: there the bytes of the
 * last-instruction pointers are not compared (the host runs in 64-bit mode with another CS and stores them
 * differently; unit tests check them).
 */
final class X87Forms {
    private X87Forms() {
    }

    /**
     * One instruction form.
     *
     * @param name      as reported (mnemonic and operands)
     * @param weight    relative case count
     * @param envImage  -1, or the size of the environment image at [esi] (14 or 28) whose pointer fields are masked
     * @param gen       builds case {@code index} from a random source
     */
    record Form(String name, int weight, int envImage, BiFunction<Random, Integer, FpCase> gen) {
    }

    static final String[] ARITH = {"FADD", "FMUL", "", "", "FSUB", "FSUBR", "FDIV", "FDIVR"};
    /** The DC/DE register forms name reg 4/5 and 6/7 the other way round. */
    static final String[] ARITH_STI = {"FADD", "FMUL", "", "", "FSUBR", "FSUB", "FDIVR", "FDIV"};

    static List<Form> all() {
        List<Form> out = new ArrayList<>();
        arithmetic(out);
        compares(out);
        loadsAndStores(out);
        stackAndControl(out);
        return out;
    }

    private static FpCase of(String name, int index, byte[] code, FxImage in, byte[] mem, Random r) {
        return new FpCase(name, index, code, in, mem, r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                r.nextInt(0x1000) & FpDiffRunner.STATUS | 2);
    }

    private static int disp(Random r) {
        return r.nextBoolean() ? 0 : 8 * (1 + r.nextInt(15));
    }

    /** Memory area with {@code operand} at {@code disp}. */
    private static byte[] area(int disp, byte[] operand) {
        byte[] m = new byte[disp + Math.max(operand.length, 16)];
        System.arraycopy(operand, 0, m, disp, operand.length);
        return m;
    }

    private static byte[] le(long v, int n) {
        ByteBuffer b = X87Gen.buffer(8).putLong(v);
        byte[] out = new byte[n];
        System.arraycopy(b.array(), 0, out, 0, n);
        return out;
    }

    private static byte[] ext(long[] v) {
        return X87Gen.buffer(10).putLong(v[1]).putShort((short) v[0]).array();
    }

    // ---- arithmetic ---------------------------------------------------------------------------------------------

    private static void arithmetic(List<Form> out) {
        for (int op : new int[] {0, 1, 4, 5, 6, 7}) {
            String n = ARITH[op];
            out.add(memForm(n + " m32", 4, 0xD8, op, Kind.F32));
            out.add(memForm(n + " m64", 4, 0xDC, op, Kind.F64));
            out.add(memForm("FI" + n.substring(1) + " m32", 2, 0xDA, op, Kind.I32));
            out.add(memForm("FI" + n.substring(1) + " m16", 2, 0xDE, op, Kind.I16));
            out.add(regForm(n + " ST,STi", 5, 0xD8, op, 2));
            out.add(regForm(ARITH_STI[op] + " STi,ST", 4, 0xDC, op, 2));
            out.add(regForm(ARITH_STI[op] + "P STi,ST", 4, 0xDE, op, 2));
        }
        out.add(fixed("FSQRT", 6, 0xD9, 0xFA, 1));
        out.add(fixed("FABS", 2, 0xD9, 0xE1, 1));
        out.add(fixed("FCHS", 2, 0xD9, 0xE0, 1));
    }

    enum Kind { F32, F64, I16, I32, I64, F80, BCD }

    private static byte[] operand(Random r, Kind k, long[] st0) {
        return switch (k) {
            case F32 -> le(X87Gen.f32(r), 4);
            case F64 -> le(X87Gen.f64(r), 8);
            case I16 -> le(FpValues.integer(r, 16), 2);
            case I32 -> le(FpValues.integer(r, 32), 4);
            case I64 -> le(FpValues.integer(r, 64), 8);
            case F80 -> ext(st0 != null && r.nextBoolean() ? X87Gen.near(r, st0) : X87Gen.f80(r));
            case BCD -> X87Gen.bcd(r);
        };
    }

    /** A memory-operand form with ST(0) as the other operand: usual depth 1-2. */
    static Form memForm(String name, int weight, int opcode, int regField, Kind kind) {
        return new Form(name, weight, -1, (r, idx) -> {
            int d = disp(r);
            FxImage in = randomStack(r, fcw(r), depth(r, 1 + r.nextInt(2)));
            long[] st0 = in.ftw() == 0 ? null : new long[] {in.stSe(0), in.stSig(0)};
            return of(name, idx, mem(opcode, regField, d), in, area(d, operand(r, kind, st0)), r);
        });
    }

    /** A register form with ST(i) from ModRM r/m. */
    static Form regForm(String name, int weight, int opcode, int regField, int usualDepth) {
        return new Form(name, weight, -1, (r, idx) -> {
            int i = r.nextInt(4) == 0 ? r.nextInt(8) : 1 + r.nextInt(2);
            FxImage in = randomStack(r, fcw(r), depth(r, Math.max(usualDepth, i + 1)), i);
            return of(name, idx, reg(opcode, regField, i), in, new byte[0], r);
        });
    }

    /** A form with a fixed ModRM byte. */
    static Form fixed(String name, int weight, int opcode, int modrm, int usualDepth) {
        return new Form(name, weight, -1, (r, idx) -> {
            FxImage in = randomStack(r, fcw(r), depth(r, usualDepth));
            return of(name, idx, new byte[] {(byte) opcode, (byte) modrm}, in, new byte[0], r);
        });
    }

    // ---- comparisons --------------------------------------------------------------------------------------------

    private static void compares(List<Form> out) {
        out.add(memForm("FCOM m32", 2, 0xD8, 2, Kind.F32));
        out.add(memForm("FCOMP m32", 2, 0xD8, 3, Kind.F32));
        out.add(memForm("FCOM m64", 2, 0xDC, 2, Kind.F64));
        out.add(memForm("FCOMP m64", 2, 0xDC, 3, Kind.F64));
        out.add(memForm("FICOM m32", 2, 0xDA, 2, Kind.I32));
        out.add(memForm("FICOMP m32", 2, 0xDA, 3, Kind.I32));
        out.add(memForm("FICOM m16", 2, 0xDE, 2, Kind.I16));
        out.add(memForm("FICOMP m16", 2, 0xDE, 3, Kind.I16));
        out.add(regForm("FCOM ST,STi", 3, 0xD8, 2, 2));
        out.add(regForm("FCOMP ST,STi", 3, 0xD8, 3, 2));
        out.add(regForm("FCOM ST,STi (DC D0)", 1, 0xDC, 2, 2));
        out.add(regForm("FCOMP ST,STi (DC D8)", 1, 0xDC, 3, 2));
        out.add(regForm("FCOMP ST,STi (DE D0)", 1, 0xDE, 2, 2));
        out.add(regForm("FUCOM ST,STi", 3, 0xDD, 4, 2));
        out.add(regForm("FUCOMP ST,STi", 3, 0xDD, 5, 2));
        out.add(fixed("FCOMPP", 2, 0xDE, 0xD9, 2));
        out.add(fixed("FUCOMPP", 2, 0xDA, 0xE9, 2));
        out.add(regForm("FCOMI ST,STi", 3, 0xDB, 6, 2));
        out.add(regForm("FUCOMI ST,STi", 3, 0xDB, 5, 2));
        out.add(regForm("FCOMIP ST,STi", 3, 0xDF, 6, 2));
        out.add(regForm("FUCOMIP ST,STi", 3, 0xDF, 5, 2));
        out.add(fixed("FTST", 2, 0xD9, 0xE4, 1));
        out.add(fixed("FXAM", 3, 0xD9, 0xE5, 1));
    }

    // ---- loads and stores ---------------------------------------------------------------------------------------

    private static void loadsAndStores(List<Form> out) {
        out.add(memForm("FLD m32", 3, 0xD9, 0, Kind.F32));
        out.add(memForm("FLD m64", 3, 0xDD, 0, Kind.F64));
        out.add(memForm("FLD m80", 2, 0xDB, 5, Kind.F80));
        out.add(regForm("FLD STi", 2, 0xD9, 0, 2));
        out.add(memForm("FILD m16", 1, 0xDF, 0, Kind.I16));
        out.add(memForm("FILD m32", 1, 0xDB, 0, Kind.I32));
        out.add(memForm("FILD m64", 2, 0xDF, 5, Kind.I64));
        out.add(memForm("FBLD m80", 3, 0xDF, 4, Kind.BCD));
        String[] consts = {"FLD1", "FLDL2T", "FLDL2E", "FLDPI", "FLDLG2", "FLDLN2", "FLDZ"};
        for (int k = 0; k < consts.length; k++) {
            out.add(fixed(consts[k], 1, 0xD9, 0xE8 + k, 1));
        }
        out.add(store("FST m32", 4, 0xD9, 2, 4));
        out.add(store("FSTP m32", 2, 0xD9, 3, 4));
        out.add(store("FST m64", 4, 0xDD, 2, 8));
        out.add(store("FSTP m64", 2, 0xDD, 3, 8));
        out.add(store("FSTP m80", 2, 0xDB, 7, 10));
        out.add(regForm("FST STi", 2, 0xDD, 2, 2));
        out.add(regForm("FSTP STi", 2, 0xDD, 3, 2));
        out.add(regForm("FSTP STi (D9 D8, FSTPNCE)", 1, 0xD9, 3, 2));
        out.add(regForm("FSTP STi (DF D0)", 1, 0xDF, 2, 2));
        out.add(regForm("FSTP STi (DF D8)", 1, 0xDF, 3, 2));
        out.add(store("FIST m16", 3, 0xDF, 2, 2));
        out.add(store("FIST m32", 3, 0xDB, 2, 4));
        out.add(store("FISTP m16", 2, 0xDF, 3, 2));
        out.add(store("FISTP m32", 2, 0xDB, 3, 4));
        out.add(store("FISTP m64", 3, 0xDF, 7, 8));
        out.add(store("FISTTP m16", 2, 0xDF, 1, 2));
        out.add(store("FISTTP m32", 2, 0xDB, 1, 4));
        out.add(store("FISTTP m64", 2, 0xDD, 1, 8));
        out.add(store("FBSTP m80", 4, 0xDF, 6, 10));
    }

    /**
     * A store from ST(0): values biased to the integer ranges for the integer and BCD stores (and their
     * boundaries), to the destination format's ends for the real stores.
     */
    static Form store(String name, int weight, int opcode, int regField, int width) {
        boolean integer = name.startsWith("FI") || name.startsWith("FB");
        return new Form(name, weight, -1, (r, idx) -> {
            int d = disp(r);
            int fcw = fcw(r);
            int n = depth(r, 1 + r.nextInt(2));
            long[][] v = new long[n][];
            for (int k = 0; k < n; k++) {
                v[k] = X87Gen.f80(r);
            }
            if (n > 0 && integer && r.nextInt(3) > 0) {
                v[0] = integerish(r, name.startsWith("FB") ? 60 : 8 * width);
            } else if (n > 0 && !integer && r.nextInt(3) == 0) {
                v[0] = nearFormatEnd(r, width);
            }
            FxImage in = X87Gen.state(r, fcw, v);
            byte[] m = new byte[d + 16];
            r.nextBytes(m);
            return of(name, idx, mem(opcode, regField, d), in, m, r);
        });
    }

    /** A value near an integer of up to {@code bits} bits (halves, boundaries, and just beyond). */
    private static long[] integerish(Random r, int bits) {
        int e = 16383 + r.nextInt(bits + 2) - 1;
        long sig = switch (r.nextInt(4)) {
            case 0 -> Long.MIN_VALUE;
            case 1 -> -1L;
            default -> r.nextLong() | Long.MIN_VALUE;
        };
        if (r.nextBoolean()) {
            int keep = Math.max(0, e - 16383 + 2);
            sig &= keep >= 64 ? -1L : ~(-1L >>> keep);
            sig |= Long.MIN_VALUE;
        }
        return new long[] {(r.nextBoolean() ? 0x8000 : 0) | e, sig};
    }

    /** A value near the largest or smallest magnitude of binary32 (width 4) or binary64. */
    private static long[] nearFormatEnd(Random r, int width) {
        int bias = 16383;
        int[] ends = width == 4 ? new int[] {127, -126, -149} : new int[] {1023, -1022, -1074};
        int e = bias + ends[r.nextInt(3)] + r.nextInt(5) - 2;
        return new long[] {(r.nextBoolean() ? 0x8000 : 0) | e, X87Gen.f80(r)[1] | Long.MIN_VALUE};
    }

    // ---- stack management and control ---------------------------------------------------------------------------

    private static void stackAndControl(List<Form> out) {
        out.add(regForm("FXCH ST,STi", 2, 0xD9, 1, 2));
        out.add(regForm("FXCH ST,STi (DD C8)", 1, 0xDD, 1, 2));
        out.add(regForm("FXCH ST,STi (DF C8)", 1, 0xDF, 1, 2));
        String[] cmov = {"FCMOVB", "FCMOVE", "FCMOVBE", "FCMOVU", "FCMOVNB", "FCMOVNE", "FCMOVNBE", "FCMOVNU"};
        for (int k = 0; k < 8; k++) {
            out.add(regForm(cmov[k] + " ST,STi", 1, k < 4 ? 0xDA : 0xDB, k & 3, 2));
        }
        out.add(regForm("FFREE STi", 1, 0xDD, 0, 2));
        out.add(regForm("FFREEP STi", 1, 0xDF, 0, 2));
        out.add(fixed("FDECSTP", 1, 0xD9, 0xF6, 2));
        out.add(fixed("FINCSTP", 1, 0xD9, 0xF7, 2));
        out.add(fixed("FNOP", 1, 0xD9, 0xD0, 2));
        out.add(fixed("FNENI", 1, 0xDB, 0xE0, 2));
        out.add(fixed("FNDISI", 1, 0xDB, 0xE1, 2));
        out.add(fixed("FNSETPM", 1, 0xDB, 0xE4, 2));
        out.add(fixed("FNINIT", 1, 0xDB, 0xE3, 2));
        out.add(fixed("FNCLEX", 2, 0xDB, 0xE2, 2));
        out.add(fixed("FNSTSW AX", 2, 0xDF, 0xE0, 2));
        out.add(memForm("FNSTSW m16", 1, 0xDD, 7, Kind.I16));
        out.add(memForm("FNSTCW m16", 1, 0xD9, 7, Kind.I16));
        out.add(new Form("FLDCW m16", 3, -1, (r, idx) -> {
            int d = disp(r);
            FxImage in = randomStack(r, fcw(r), depth(r, 2));
            int cw = switch (r.nextInt(3)) {
                case 0 -> r.nextInt(0x10000);
                case 1 -> fcw(r);
                default -> fcw(r) ^ 1 << r.nextInt(16);
            };
            return of("FLDCW m16", idx, mem(0xD9, 5, d), in, area(d, le(cw, 2)), r);
        }));
        for (boolean o16 : new boolean[] {false, true}) {
            String sz = o16 ? " (16-bit)" : " (32-bit)";
            int size = o16 ? 14 : 28;
            out.add(envForm("FNSTENV" + sz, 2, 0xD9, 6, o16, size, false));
            out.add(envForm("FLDENV" + sz, 3, 0xD9, 4, o16, size, true));
            out.add(envForm("FNSAVE" + sz, 2, 0xDD, 6, o16, size, false));
            out.add(envForm("FRSTOR" + sz, 3, 0xDD, 4, o16, size + 80, true));
        }
    }

    /**
     * FNSTENV/FNSAVE (store at [esi]) and FLDENV/FRSTOR (load a random image, sometimes a stored-looking one, from
     * [esi]) in the 32-bit or, with a 66 prefix, the 16-bit protected-mode format.
     */
    static Form envForm(String name, int weight, int opcode, int regField, boolean o16, int size, boolean load) {
        return new Form(name, weight, load ? -1 : (o16 ? 14 : 28), (r, idx) -> {
            FxImage in = randomStack(r, fcw(r), r.nextInt(9));
            byte[] m = new byte[112];
            r.nextBytes(m);
            if (load) {
                ByteBuffer b = ByteBuffer.wrap(m).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                int step = o16 ? 2 : 4;
                if (r.nextBoolean()) {
                    b.putShort(0, (short) fcw(r));
                }
                if (r.nextBoolean()) {
                    b.putShort(step, (short) (b.getShort(step) & 0x7F7F));  // else ES and B as they come
                }
                int regs = o16 ? 14 : 28;
                for (int k = 0; k < 8 && size > regs; k++) {
                    long[] v = X87Gen.f80(r);
                    b.putLong(regs + 10 * k, v[1]).putShort(regs + 10 * k + 8, (short) v[0]);
                }
            }
            byte[] code = mem(opcode, regField, 0);
            return of(name, idx, o16 ? X87Gen.prefix(0x66, code) : code, in, m, r);
        });
    }
}

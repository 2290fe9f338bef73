package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.FpOracle.bytes;
import static dev.vmm.core.fpu.FpOracle.cat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link FpEnv#oeUnmasked} and {@link FpEnv#ueUnmasked} against the host x87: with the overflow and underflow
 * exceptions unmasked, an extended result is delivered rounded to the precision control with its exponent adjusted
 * by 24576, and underflow is reported for every tiny result, exact or not (SDM vol. 1, 8.5.4 and 8.5.5).
 *
 * <p>Record (64 bytes): +0 control word, +2 status word out, +16 operand a, +32 operand b (TBYTE), +48 result.
 * Body: FNINIT, FLDCW, FLD b, FLD a, the operation ST(0) op ST(1), FNSTSW, FNCLEX (so the waiting store does not
 * report the pending exception), FSTP m80. Operands are drawn near the ends of the exponent range so that most
 * cases overflow or underflow; every case is compared bit-exactly (result, the six flags, C1).
 */
class X87UnmaskedOracleTest {
    private static final int N = 4000;
    private static final int REC = 64;
    private static FpOracle oracle;

    @BeforeAll
    static void open() {
        assumeTrue(FpOracle.supported(), "needs Linux x86-64: " + FpOracle.host());
        oracle = new FpOracle(0x0E_0E_0EL);
    }

    @AfterAll
    static void close() {
        if (oracle != null) {
            oracle.close();
        }
    }

    private interface Op {
        void apply(FpEnv x, long[] a, long[] b);
    }

    /** A value near the bottom (class 0), the top (1) or the middle (2) of the exponent range. */
    private long[] extreme(int cls) {
        int s = oracle.rnd.nextBoolean() ? 0x8000 : 0;
        int spread = oracle.rnd.nextInt(4) == 0 ? 80 : 3;
        int e = switch (cls) {
            case 0 -> oracle.rnd.nextInt(spread);
            case 1 -> 0x7FFE - oracle.rnd.nextInt(spread);
            default -> 16383 + oracle.rnd.nextInt(-16, 17);
        };
        long sig = oracle.rnd.nextLong() | Long.MIN_VALUE;
        if (oracle.rnd.nextInt(4) == 0) {
            sig &= -1L << oracle.rnd.nextInt(64);
        }
        if (e == 0 && oracle.rnd.nextBoolean()) {
            sig >>>= oracle.rnd.nextInt(1, 64);
        }
        return new long[] {s | e, sig};
    }

    /** {@code sameClass}: both operands from the same end of the range (for addition, which needs that to overflow). */
    private void run(String name, int modrm, boolean sameClass, Op op) {
        byte[] body = cat(bytes(0xDB, 0xE3, 0xD9, 0x2E, 0xDB, 0x6E, 0x20, 0xDB, 0x6E, 0x10), bytes(0xD8, modrm),
                bytes(0xDD, 0x7E, 0x02, 0xDB, 0xE2, 0xDB, 0x7E, 0x30));
        FpOracle.Tally t = new FpOracle.Tally(name);
        int wrapped = 0;
        int batch = FpOracle.maxCases(REC);
        for (int done = 0; done < N; done += batch) {
            int n = Math.min(batch, N - done);
            ByteBuffer rec = FpOracle.newRecords(REC, n);
            int[] cws = new int[n];
            long[][] as = new long[n][];
            long[][] bs = new long[n][];
            for (int i = 0; i < n; i++) {
                int pc = new int[] {0, 2, 3}[oracle.rnd.nextInt(3)];
                // OM and UM clear; PM masked or not (PE then reports too); IE, DE, ZE masked.
                int masks = 0x07 | (oracle.rnd.nextBoolean() ? 0x20 : 0);
                cws[i] = 0x0040 | masks | pc << 8 | oracle.rnd.nextInt(4) << 10;
                int cls = oracle.rnd.nextInt(3);
                as[i] = extreme(cls);
                bs[i] = extreme(sameClass || oracle.rnd.nextBoolean() ? cls : oracle.rnd.nextInt(3));
                int o = i * REC;
                rec.putShort(o, (short) cws[i]);
                rec.putLong(o + 16, as[i][1]).putShort(o + 24, (short) as[i][0]);
                rec.putLong(o + 32, bs[i][1]).putShort(o + 40, (short) bs[i][0]);
            }
            ByteBuffer out = oracle.run(body, REC, rec, n);
            FpEnv x = new FpEnv();
            for (int i = 0; i < n; i++) {
                int o = i * REC;
                x.controlWord(cws[i]);
                x.flags = 0;
                x.c1 = false;
                x.oeUnmasked = true;
                x.ueUnmasked = true;
                op.apply(x, as[i], bs[i]);
                int sw = out.getShort(o + 2) & 0xFFFF;
                String want = String.format("%04x:%016x f%02x c%d", x.se, x.sig, x.flags, x.c1 ? 1 : 0);
                String got = String.format("%04x:%016x f%02x c%d", out.getShort(o + 56) & 0xFFFF,
                        out.getLong(o + 48), sw & FpEnv.ALL, (sw & 0x200) != 0 ? 1 : 0);
                if ((sw & (FpEnv.OE | FpEnv.UE)) != 0) {
                    wrapped++;
                }
                t.flags(sw & FpEnv.ALL);
                t.check(want.equals(got), String.format("cw=%04x a=%x:%x b=%x:%x: want %s, host %s", cws[i],
                        as[i][0], as[i][1], bs[i][0], bs[i][1], want, got));
            }
        }
        assertEquals(0, t.fails, t.toString());
        assertTrue(wrapped > N / 20, name + ": only " + wrapped + " cases overflowed or underflowed");
    }

    @Test
    void multiplyAndDivideWrapTheExponent() {
        run("FMUL", 0xC9, false, (x, a, b) -> F80.mul(x, (int) a[0], a[1], (int) b[0], b[1]));
        run("FDIV", 0xF1, false, (x, a, b) -> F80.div(x, (int) a[0], a[1], (int) b[0], b[1]));
    }

    @Test
    void addAndSubtractWrapTheExponent() {
        run("FADD", 0xC1, true, (x, a, b) -> F80.add(x, (int) a[0], a[1], (int) b[0], b[1]));
        run("FSUB", 0xE1, true, (x, a, b) -> F80.sub(x, (int) a[0], a[1], (int) b[0], b[1]));
    }
}

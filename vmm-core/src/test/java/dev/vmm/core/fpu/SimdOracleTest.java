package dev.vmm.core.fpu;

import static dev.vmm.core.fpu.FpOracle.bytes;
import static dev.vmm.core.fpu.FpOracle.cat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Oracle tests of {@link Simd} against the host's SSE unit, in batches (record layout as in
 * {@link SseOracleTest}: +0 MXCSR in, +4 MXCSR out, +8 a, +16 b, +24 result): MINSx/MAXSx and the
 * eight CMPSx predicates bit-exactly (result and IE DE ZE OE UE PE) with random rounding, DAZ and FTZ;
 * RCPSS/RSQRTSS bit-exactly for every special operand and within the SDM's relative error 1.5 * 2^-12
 * for normal ones (the one documented implementation-specific difference; the counts of lanes where the
 * host's approximation differs from ours are logged). Also checks, without the host, over every seventh
 * significand at two exponents and every exponent at a few significands, that {@link Simd#rcp} and
 * {@link Simd#rsqrt} are the exact value correctly rounded to 12 significant bits,
 * against an independent reference computed in double precision (exact: no 1/x or 1/sqrt(x) of a
 * binary32 operand lies within 2^-52 of a 12-bit rounding midpoint without being on it).
 */
class SimdOracleTest {
    private static final Logger LOG = LoggerFactory.getLogger(SimdOracleTest.class);
    private static final int N = 4_000;
    private static final int REC = 32;
    private static final byte[] LDMXCSR = bytes(0x0F, 0xAE, 0x16);
    private static final byte[] STMXCSR = bytes(0x0F, 0xAE, 0x5E, 0x04);
    private static FpOracle oracle;
    private static final List<String> SUMMARY = new ArrayList<>();

    interface Model {
        long apply(FpEnv x, long a, long b);
    }

    @BeforeAll
    static void open() {
        assumeTrue(FpOracle.supported(), "needs Linux x86-64: " + FpOracle.host());
        oracle = new FpOracle(0x51_3D_0A_C1EL);
    }

    @AfterAll
    static void close() {
        if (oracle != null) {
            oracle.close();
            LOG.info("Simd vs host:\n  {}", String.join("\n  ", SUMMARY));
        }
    }

    private static byte[] load(int kind) {
        return kind == 64 ? bytes(0xF2, 0x0F, 0x10, 0x46, 0x08, 0xF2, 0x0F, 0x10, 0x4E, 0x10)
                : bytes(0xF3, 0x0F, 0x10, 0x46, 0x08, 0xF3, 0x0F, 0x10, 0x4E, 0x10);
    }

    private static byte[] store(int kind) {
        return kind == 64 ? bytes(0xF2, 0x0F, 0x11, 0x46, 0x18) : bytes(0xF3, 0x0F, 0x11, 0x46, 0x18);
    }

    private long operand(int kind, long other) {
        int f = kind == 64 ? 52 : 23;
        int w = kind == 64 ? 11 : 8;
        long[] specials = kind == 64 ? FpOracle.F64_SPECIALS : FpOracle.F32_SPECIALS;
        return oracle.rnd.nextBoolean() ? oracle.near(other, f, w, specials) : oracle.binary(f, w, specials);
    }

    /** Runs {@code op} (xmm0 op= xmm1) on N random operand pairs; {@code check} judges each result. */
    private FpOracle.Tally runGroup(String name, int kind, byte[] op, Model model, Judge check) {
        FpOracle.Tally t = new FpOracle.Tally(name);
        byte[] body = cat(LDMXCSR, load(kind), op, store(kind), STMXCSR);
        int batch = FpOracle.maxCases(REC);
        long[] ins = new long[3 * batch];
        for (int done = 0; done < N; done += batch) {
            int n = Math.min(batch, N - done);
            ByteBuffer rec = FpOracle.newRecords(REC, n);
            for (int i = 0; i < n; i++) {
                int mxcsr = 0x1F80 | oracle.rnd.nextInt(4) << 13 | (oracle.rnd.nextBoolean() ? 0x40 : 0)
                        | (oracle.rnd.nextBoolean() ? 0x8000 : 0);
                long a = operand(kind, 0);
                long b = operand(kind, a);
                ins[3 * i] = mxcsr;
                ins[3 * i + 1] = a;
                ins[3 * i + 2] = b;
                rec.putInt(i * REC, mxcsr);
                rec.putLong(i * REC + 8, a);
                rec.putLong(i * REC + 16, b);
            }
            ByteBuffer out = oracle.run(body, REC, rec, n);
            FpEnv x = new FpEnv();
            for (int i = 0; i < n; i++) {
                x.mxcsr((int) ins[3 * i]);
                x.flags = 0;
                long a = ins[3 * i + 1];
                long b = ins[3 * i + 2];
                long want = model.apply(x, a, b);
                long got = kind == 64 ? out.getLong(i * REC + 24) : out.getInt(i * REC + 24) & 0xFFFF_FFFFL;
                int gotFlags = out.getInt(i * REC + 4) & FpEnv.ALL;
                t.flags(gotFlags);
                check.judge(t, a, b, kind == 64 ? want : want & 0xFFFF_FFFFL, x.flags, got, gotFlags);
            }
        }
        SUMMARY.add(t.toString());
        return t;
    }

    interface Judge {
        void judge(FpOracle.Tally t, long a, long b, long want, int wantFlags, long got, int gotFlags);
    }

    private static void exact(FpOracle.Tally t, long a, long b, long want, int wantFlags, long got, int gotFlags) {
        t.check(want == got && wantFlags == gotFlags, String.format("a=%x b=%x: want %x flags %02x, host %x flags %02x",
                a, b, want, wantFlags, got, gotFlags));
    }

    private static byte[] op(int prefix, int opc, int... rest) {
        return cat(bytes(prefix, 0x0F, opc, 0xC1), bytes(rest));
    }

    @Test
    void minMax() {
        for (boolean max : new boolean[] {false, true}) {
            int opc = max ? 0x5F : 0x5D;
            String n = max ? "MAX" : "MIN";
            FpOracle.Tally s = runGroup(n + "SS", 32, op(0xF3, opc), (x, a, b) -> Simd.minMax(x, a, b, 23, 8, max),
                    SimdOracleTest::exact);
            FpOracle.Tally d = runGroup(n + "SD", 64, op(0xF2, opc), (x, a, b) -> Simd.minMax(x, a, b, 52, 11, max),
                    SimdOracleTest::exact);
            assertEquals(0, s.fails + d.fails, s + "\n" + d);
        }
    }

    @Test
    void comparePredicates() {
        for (int p = 0; p < 8; p++) {
            int pred = p;
            FpOracle.Tally s = runGroup("CMPSS/" + p, 32, op(0xF3, 0xC2, p),
                    (x, a, b) -> Simd.compare(x, a, b, 23, 8, pred) ? 0xFFFF_FFFFL : 0, SimdOracleTest::exact);
            FpOracle.Tally d = runGroup("CMPSD/" + p, 64, op(0xF2, 0xC2, p | 0xF8),
                    (x, a, b) -> Simd.compare(x, a, b, 52, 11, pred) ? -1L : 0, SimdOracleTest::exact);
            assertEquals(0, s.fails + d.fails, s + "\n" + d);
        }
    }

    /**
     * RCPSS and RSQRTSS: special operands bit-exact, normal ones within 1.5 * 2^-12 of the exact value
     * (as vmm's results are), no flags ever. The differences from the host are counted.
     */
    @Test
    void approximations() {
        for (boolean rsqrt : new boolean[] {false, true}) {
            int[] differ = new int[2];
            double[] worst = new double[1];
            FpOracle.Tally t = runGroup(rsqrt ? "RSQRTSS" : "RCPSS", 32, op(0xF3, rsqrt ? 0x52 : 0x53),
                    (x, a, b) -> rsqrt ? Simd.rsqrt((int) b) : Simd.rcp((int) b),
                    (tally, a, b, want, wantFlags, got, gotFlags) -> {
                        int x = (int) b;
                        boolean normal = (x >>> 23 & 0xFF) != 0 && (x >>> 23 & 0xFF) != 0xFF && !(rsqrt && x < 0);
                        double exact = rsqrt ? 1 / Math.sqrt(Float.intBitsToFloat(x)) : 1.0 / Float.intBitsToFloat(x);
                        float ax = Math.abs(Float.intBitsToFloat(x));
                        boolean tinyZone = !rsqrt && ax > 0x1.ffap125f && ax < 0x1.001802p126f;
                        boolean ok;
                        if (want == got || !normal) {
                            ok = want == got;
                        } else {
                            double eh = relErr((int) got, exact);
                            double ev = relErr((int) want, exact);
                            ok = eh <= 1.5 / 4096 && ev <= 1.5 / 4096;
                            if (ok) {
                                worst[0] = Math.max(worst[0], eh);
                                differ[0]++;
                            } else if (tinyZone && (got == (x & 0x8000_0000L) || eh <= 1.5 / 4096)
                                    && (want == (x & 0x8000_0000L) || ev <= 1.5 / 4096)) {
                                ok = true;
                                differ[1]++;
                            }
                        }
                        tally.check(ok && gotFlags == 0 && wantFlags == 0, String.format(
                                "x=%08x: vmm %08x, host %08x flags %02x", x, want, got, gotFlags));
                    });
            SUMMARY.add(String.format("  %s: %d of %d results differ from the host's, both within 1.5*2^-12 (the "
                    + "host's largest relative error %.3f * 2^-12), %d in the tiny-result zone (one is a zero)",
                    rsqrt ? "RSQRTSS" : "RCPSS", differ[0], t.cases, worst[0] * 4096, differ[1]));
            assertEquals(0, t.fails, t.toString());
        }
    }

    private static double relErr(int r, double exact) {
        int e = r >>> 23 & 0xFF;
        if (e == 0 || e == 0xFF) {
            return Double.POSITIVE_INFINITY;
        }
        return Math.abs(Float.intBitsToFloat(r) - exact) / Math.abs(exact);
    }

    /**
     * The exact value v rounded to 12 significant bits (nearest-even) as binary32 bits, or +0 if the
     * rounded value is below the smallest normal (RCP's flush of tiny results).
     */
    private static int round12(double v) {
        long bits = Double.doubleToRawLongBits(v);
        long unit = 1L << (52 - 11);
        long rem = bits & (unit - 1);
        long kept = bits - rem;
        if (rem > unit / 2 || rem == unit / 2 && (kept & unit) != 0) {
            kept += unit;
        }
        double k = Double.longBitsToDouble(kept);
        return k < 0x1p-126 ? 0 : Float.floatToRawIntBits((float) k);
    }

    /** Every seventh significand at two exponents (and every exponent at a few significands) against round12. */
    @Test
    void approximationsAreTheExactValueRoundedTo12Bits() {
        int mismatches = 0;
        String first = "";
        for (int m = 0; m < 1 << 23; m += 7) {
            for (int e : new int[] {127, 128}) {
                int x = e << 23 | m;
                double xv = Float.intBitsToFloat(x);
                int want = round12(1 / Math.sqrt(xv));
                int rcpWant = round12(1 / xv);
                if (Simd.rsqrt(x) != want || Simd.rcp(x) != rcpWant || Simd.rcp(x | 0x8000_0000) != (rcpWant | 0x8000_0000)) {
                    if (mismatches++ == 0) {
                        first = String.format("x=%08x: rsqrt %08x want %08x, rcp %08x want %08x", x, Simd.rsqrt(x), want,
                                Simd.rcp(x), rcpWant);
                    }
                }
            }
        }
        for (int e = 1; e < 255; e++) {
            for (int m : new int[] {0, 1, 0x40_0000, 0x7F_FFFF, 0x2A_AAAB}) {
                int x = e << 23 | m;
                double xv = Float.intBitsToFloat(x);
                int rcpWant = round12(1 / xv);
                if (Simd.rcp(x) != rcpWant || Simd.rsqrt(x) != round12(1 / Math.sqrt(xv))) {
                    if (mismatches++ == 0) {
                        first = String.format("x=%08x: rcp %08x want %08x", x, Simd.rcp(x), rcpWant);
                    }
                }
            }
        }
        assertEquals(0, mismatches, first);
    }

    /** The special operands of the SDM (RCPPS/RSQRTPS): zeros, denormals, infinities, NaNs, negatives, tiny results. */
    @Test
    void approximationSpecialCases() {
        assertEquals(0x7F80_0000, Simd.rcp(0));
        assertEquals(0xFF80_0000, Simd.rcp(0x8000_0000));
        assertEquals(0x7F80_0000, Simd.rcp(0x0000_0001), "a denormal reads as zero");
        assertEquals(0xFF80_0000, Simd.rcp(0x807F_FFFF));
        assertEquals(0, Simd.rcp(0x7F80_0000));
        assertEquals(0x8000_0000, Simd.rcp(0xFF80_0000));
        assertEquals(0x7FC0_0001, Simd.rcp(0x7F80_0001), "an SNaN is quieted");
        assertEquals(0xFFC0_0000, Simd.rcp(0xFFC0_0000));
        assertEquals(0x3F80_0000, Simd.rcp(0x3F80_0000));
        assertEquals(0x3E80_0000, Simd.rcp(0x4080_0000));
        // 1.11111111110100000000000B * 2^125 is guaranteed not to flush, 1.00000000000110000000001B * 2^126 to flush.
        assertTrue(Simd.rcp(0x7E7F_D000) != 0);
        assertEquals(0, Simd.rcp(0x7E80_0C01));
        assertEquals(0x8000_0000, Simd.rcp(0xFF7F_FFFF));
        assertEquals(0x7F80_0000, Simd.rsqrt(0));
        assertEquals(0xFF80_0000, Simd.rsqrt(0x8000_0000));
        assertEquals(0xFF80_0000, Simd.rsqrt(0x8000_0001), "a negative denormal reads as -0");
        assertEquals(0, Simd.rsqrt(0x7F80_0000));
        assertEquals(0xFFC0_0000, Simd.rsqrt(0xFF80_0000));
        assertEquals(0xFFC0_0000, Simd.rsqrt(0xBF80_0000));
        assertEquals(0x7FC0_0001, Simd.rsqrt(0x7F80_0001));
        assertEquals(0x3F80_0000, Simd.rsqrt(0x3F80_0000));
        assertEquals(0x3F00_0000, Simd.rsqrt(0x4080_0000));
    }
}

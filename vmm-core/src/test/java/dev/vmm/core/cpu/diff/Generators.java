package dev.vmm.core.cpu.diff;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** All instruction generators, grouped by class, and the random-sequence generator. */
final class Generators {
    private Generators() {
    }

    static final String SEQUENCES = "SEQUENCE";

    /** Instruction classes in report order. */
    static final List<String> CLASSES = List.of("ALU", "SHIFT", "MULDIV", "BIT", "MOVE", "STRING", "FLAGS", SEQUENCES);

    /** Every single-instruction generator; {@code scale} multiplies the case counts. */
    static List<Gen.Spec> all(double scale) {
        List<Gen.Spec> l = new ArrayList<>();
        l.addAll(AluGens.specs(n(1000, scale)));
        l.addAll(ShiftBitGens.shiftSpecs(n(900, scale)));
        l.addAll(MulDivGens.specs(n(600, scale)));
        l.addAll(ShiftBitGens.bitSpecs(n(600, scale)));
        l.addAll(MoveGens.specs(n(450, scale)));
        l.addAll(StringGens.specs(n(600, scale)));
        l.addAll(AluGens.flagSpecs(n(400, scale)));
        return l;
    }

    /** The sequence "generator": its cases are built by {@link #sequence}. */
    static Gen.Spec sequenceSpec(double scale) {
        return new Gen.Spec(SEQUENCES, "2-4 random instructions", n(5000, scale), false, b -> { });
    }

    private static int n(int base, double scale) {
        return Math.max(1, (int) Math.round(base * scale));
    }

    /** One single-instruction case. */
    static DiffCase single(Gen.Spec spec, Random rnd, long dataAddress, int index, boolean strict) {
        CaseBuilder b = new CaseBuilder(rnd, dataAddress, false, strict);
        spec.gen().emit(b);
        b.commit();
        return b.build(spec.cls(), spec.name(), index);
    }

    /**
     * A sequence of 2-4 instructions drawn from {@code pool}. Operand values an instruction depends
     * on are set up by MOVs right before it; an instruction that would read a flag an earlier one
     * left undefined is replaced by another.
     */
    static DiffCase sequence(List<Gen.Spec> pool, Random rnd, long dataAddress, int index) {
        CaseBuilder b = new CaseBuilder(rnd, dataAddress, true, false);
        int n = 2 + rnd.nextInt(3);
        StringBuilder names = new StringBuilder();
        for (int k = 0; k < n; k++) {
            int[] mark = b.mark();
            for (int attempt = 0; ; attempt++) {
                Gen.Spec spec = pool.get(rnd.nextInt(pool.size()));
                spec.gen().emit(b);
                if (b.readsUndefined() && attempt < 50) {
                    b.reset(mark);
                    continue;
                }
                if (b.readsUndefined()) {
                    b.reset(mark);
                    break;
                }
                b.commit();
                names.append(names.isEmpty() ? "" : ",").append(spec.name());
                break;
            }
        }
        return b.build(SEQUENCES, names.toString(), index);
    }
}

package dev.vmm.core.cpu.sst;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of one SingleStepTests file run: passed, failed, skipped and excused tests, the profile classes that
 * applied, a histogram of what differed in failing tests, and the first few failures in readable form.
 */
final class SstFileResult {
    /** How many failures are kept verbatim per file. */
    static final int EXAMPLES = 3;

    final String key;
    final String mnemonic;
    int total;
    int passed;
    int failed;
    /** Not run ({@link Sst286Profile.Kind#SKIP}). */
    int skipped;
    /** Run and mismatched, but excused ({@link Sst286Profile.Kind#EXCUSED}). */
    int excused;
    long nanos;
    final Map<Sst286Profile, Integer> classes = new EnumMap<>(Sst286Profile.class);
    /** Failing tests per difference kind ("AX", "FLAGS.OF", "RAM", "no HLT", ...); a test counts once per kind. */
    final Map<String, Integer> diffKinds = new TreeMap<>();
    final List<String> examples = new ArrayList<>();

    SstFileResult(String key, String mnemonic) {
        this.key = key;
        this.mnemonic = mnemonic;
    }

    void count(Sst286Profile c) {
        classes.merge(c, 1, Integer::sum);
    }

    int classCount(Sst286Profile c) {
        return classes.getOrDefault(c, 0);
    }

    /** Tests that count toward the pass rate. */
    int judged() {
        return passed + failed;
    }

    /** Adds {@code o}'s counts into this (for totals). */
    void add(SstFileResult o) {
        total += o.total;
        passed += o.passed;
        failed += o.failed;
        skipped += o.skipped;
        excused += o.excused;
        nanos += o.nanos;
        o.classes.forEach((k, v) -> classes.merge(k, v, Integer::sum));
        o.diffKinds.forEach((k, v) -> diffKinds.merge(k, v, Integer::sum));
    }

    /** The most frequent difference kinds, e.g. {@code "FLAGS.AF x120, AX x3"}. */
    String topDiffs(int n) {
        return diffKinds.entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .limit(n)
                .map(e -> e.getKey() + " x" + e.getValue())
                .reduce((a, b) -> a + ", " + b)
                .orElse("");
    }

    /** Pass percentage of the judged tests (100 when none were judged). */
    double rate() {
        return judged() == 0 ? 100.0 : 100.0 * passed / judged();
    }

    /** One table row: key, mnemonic, counts, classes that applied. */
    String row() {
        StringBuilder sb = new StringBuilder(String.format("%-6s %-8s %5d %5d %5d %5d %7.2f%%", key, mnemonic,
                passed, failed, skipped, excused, rate()));
        if (!classes.isEmpty()) {
            sb.append("  ");
            classes.forEach((k, v) -> sb.append(' ').append(k.name()).append('=').append(v));
        }
        return sb.toString();
    }

    static String header() {
        return String.format("%-6s %-8s %5s %5s %5s %5s %8s", "file", "mnem", "pass", "fail", "skip", "excus",
                "rate");
    }

    @Override
    public String toString() {
        return row();
    }
}

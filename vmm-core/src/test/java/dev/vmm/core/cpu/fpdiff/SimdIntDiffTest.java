package dev.vmm.core.cpu.fpdiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmm.core.cpu.OpcodeEntry;
import dev.vmm.core.cpu.OpcodeTable;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MMX, SSE and SSE2 integer and data-movement instructions against the host CPU: every row of
 * their table (every mandatory prefix, register and memory form) with the inputs of
 * {@link SimdIntCases}. Everything is compared bit-exactly (the whole FXSAVE image, so also what an
 * MMX instruction does to the x87 state: TOP = 0, all tags valid, the exponent of a written register
 * all ones; the general registers, flags and the memory-operand area): no difference is accepted.
 * The number of cases per instruction is logged (INFO); per instruction and per row it is written to
 * {@code target/simd-int-diff-report.txt}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SimdIntDiffTest {
    private static final Logger LOG = LoggerFactory.getLogger(SimdIntDiffTest.class);

    /** Every instruction this test covers; each must have at least one row in the table. */
    static final List<String> MNEMONICS = List.of(
            // MMX
            "MOVD", "MOVQ", "PACKSSWB", "PACKSSDW", "PACKUSWB", "PUNPCKLBW", "PUNPCKLWD", "PUNPCKLDQ", "PUNPCKHBW",
            "PUNPCKHWD", "PUNPCKHDQ", "PADDB", "PADDW", "PADDD", "PSUBB", "PSUBW", "PSUBD", "PADDSB", "PADDSW",
            "PADDUSB", "PADDUSW", "PSUBSB", "PSUBSW", "PSUBUSB", "PSUBUSW", "PMULLW", "PMULHW", "PMADDWD", "PCMPEQB",
            "PCMPEQW", "PCMPEQD", "PCMPGTB", "PCMPGTW", "PCMPGTD", "PAND", "PANDN", "POR", "PXOR", "PSLLW", "PSLLD",
            "PSLLQ", "PSRLW", "PSRLD", "PSRLQ", "PSRAW", "PSRAD", "EMMS",
            // SSE on MMX registers, SSE2 additions
            "PAVGB", "PAVGW", "PEXTRW", "PINSRW", "PMAXSW", "PMAXUB", "PMINSW", "PMINUB", "PMOVMSKB", "PMULHUW",
            "PSADBW", "PSHUFW", "MASKMOVQ", "MOVNTQ", "PADDQ", "PSUBQ", "PMULUDQ",
            // SSE2 on XMM registers only
            "PSHUFD", "PSHUFHW", "PSHUFLW", "PUNPCKLQDQ", "PUNPCKHQDQ", "PSLLDQ", "PSRLDQ", "MOVDQA", "MOVDQU",
            "MOVQ2DQ", "MOVDQ2Q", "MASKMOVDQU", "MOVNTDQ",
            // moves and logic on floating-point data
            "MOVAPS", "MOVUPS", "MOVAPD", "MOVUPD", "MOVSS", "MOVSD", "MOVLPS", "MOVHPS", "MOVLPD", "MOVHPD",
            "MOVHLPS", "MOVLHPS", "MOVMSKPS", "MOVMSKPD", "MOVNTPS", "MOVNTPD", "MOVNTI", "ANDPS", "ANDNPS", "ORPS",
            "XORPS", "ANDPD", "ANDNPD", "ORPD", "XORPD", "SHUFPS", "SHUFPD", "UNPCKLPS", "UNPCKHPS", "UNPCKLPD",
            "UNPCKHPD",
            // cacheability and ordering
            "PREFETCHNTA", "PREFETCHT0", "PREFETCHT1", "PREFETCHT2", "SFENCE", "LFENCE", "MFENCE", "CLFLUSH");

    private static final Set<String> CACHE = Set.of("PREFETCHNTA", "PREFETCHT0", "PREFETCHT1", "PREFETCHT2", "SFENCE",
            "LFENCE", "MFENCE", "CLFLUSH", "MOVNTI", "EMMS");

    private FpDiffRunner runner;

    @BeforeAll
    void open() {
        assumeTrue(FpDiffRunner.isSupported(), "native x86 oracle unavailable on " + FpDiffRunner.hostDescription());
        runner = new FpDiffRunner();
    }

    @AfterAll
    void close() {
        if (runner != null) {
            runner.close();
        }
    }

    /** The table rows of {@link #MNEMONICS} (not the string MOVSD, which has no mandatory-prefix attribute). */
    static List<OpcodeEntry> rows() {
        Set<String> ours = new LinkedHashSet<>(MNEMONICS);
        List<OpcodeEntry> out = new ArrayList<>();
        for (OpcodeEntry e : OpcodeTable.entries()) {
            if (ours.contains(e.mnemonic()) && (e.has(OpcodeEntry.F_SIMD_PREFIX) || CACHE.contains(e.mnemonic()))) {
                out.add(e);
            }
        }
        return out;
    }

    private static String form(OpcodeEntry e) {
        String p = e.has(OpcodeEntry.F_P66) ? "66 " : e.has(OpcodeEntry.F_PF2) ? "F2 " : e.has(OpcodeEntry.F_PF3)
                ? "F3 " : "";
        return String.format("%s0F %02X%s %s", p, e.opcode(), e.group() >= 0 ? " /" + e.group() : "", e.notation());
    }

    /** The case counts per instruction and per row, in {@code target/simd-int-diff-report.txt}. */
    private static void writeReport(String report) {
        Path target = Paths.get("target");
        if (Files.isDirectory(target)) {
            try {
                Files.writeString(target.resolve("simd-int-diff-report.txt"), report, StandardCharsets.UTF_8);
            } catch (IOException e) {
                LOG.warn("cannot write the report: {}", e.toString());
            }
        }
    }

    @Test
    void everyRowAgreesWithTheHost() {
        long t0 = System.nanoTime();
        long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        Random r = new Random(0x5_1D_1A7L);
        Map<String, Integer> perInstruction = new TreeMap<>();
        StringBuilder perForm = new StringBuilder();
        int total = 0;
        int failures = 0;
        StringBuilder first = new StringBuilder();
        for (OpcodeEntry e : rows()) {
            List<FpCase> cases = new SimdIntCases(e, runner.memAddress()).cases(r, form(e));
            for (FpCase c : cases) {
                String report = runner.check(c);
                if (report != null && failures++ < 5) {
                    first.append(report);
                }
            }
            perInstruction.merge(e.mnemonic(), cases.size(), Integer::sum);
            perForm.append(String.format("%n  %-40s %5d", form(e), cases.size()));
            total += cases.size();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long cpuMs = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1_000_000;
        StringBuilder sb = new StringBuilder(String.format(
                "MMX/SSE/SSE2 integer and moves: %d cases, %d ms (%d ms of CPU time) on %s", total, ms, cpuMs,
                FpDiffRunner.hostDescription()));
        StringBuilder compact = new StringBuilder();
        int n = 0;
        for (Map.Entry<String, Integer> en : perInstruction.entrySet()) {
            sb.append(String.format("%n  %-12s %5d", en.getKey(), en.getValue()));
            compact.append(n++ % 10 == 0 ? "\n  " : ", ").append(en.getKey()).append(' ').append(en.getValue());
        }
        writeReport(sb + "\n per form:" + perForm + "\n");
        LOG.info("MMX/SSE/SSE2 integer and moves: {} cases in {} ms, {} ms of CPU time ({} rows; per row: "
                + "target/simd-int-diff-report.txt){}", total, ms, cpuMs, rows().size(), compact);
        assertEquals(Set.copyOf(MNEMONICS), perInstruction.keySet(), "instructions with cases");
        assertTrue(total > 10_000, "cases: " + total);
        assertEquals(0, failures, first.toString());
    }
}

package dev.vmm.firmware.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ACPICA tools as the oracle (Debian package acpica-tools; CI installs it): {@code iasl -d}
 * disassembles every table and reports bad checksums ("Firmware Warning ... Incorrect checksum"),
 * bad lengths and malformed structures; the DSDT's disassembly must compile back with no errors
 * or warnings; {@code acpiexec} loads the DSDT into a namespace and evaluates its objects. Skips
 * when the tools are missing.
 */
class IaslOracleTest {
    /** What in iasl's/acpiexec's output or in a disassembly means a malformed table. */
    private static final Pattern BAD = Pattern.compile(
            "(?i)\\berror|\\bwarning|incorrect|invalid|unknown|terminates in the middle|\\bAE_[A-Z_]+");

    @TempDir
    Path dir;

    private record Run(int rc, String out) {
    }

    private static Path tool(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static Path requireTool(String name) {
        Path p = tool(name);
        Assumptions.assumeTrue(p != null,
                name + " not installed (Debian package acpica-tools): skipping the ACPICA oracle");
        return p;
    }

    private Run run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + Arrays.toString(cmd));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static String squeeze(String s) {
        return s.replaceAll("[ \\t]+", " ");
    }

    private static List<String> badLines(String text) {
        List<String> bad = new ArrayList<>();
        for (String line : text.split("\n")) {
            // iasl's banner and the disassembly's own "Error"-free boilerplate are fine; flag the rest.
            if (BAD.matcher(line).find() && !line.contains("Compiler/Disassembler")) {
                bad.add(line);
            }
        }
        return bad;
    }

    private String disassemble(Path iasl, String sig, byte[] table) throws Exception {
        String file = sig.toLowerCase() + ".dat";
        Files.write(dir.resolve(file), table);
        Run r = run(iasl.toString(), "-d", file);
        assertEquals(0, r.rc(), sig + ": iasl -d failed:\n" + r.out());
        assertTrue(r.out().contains("Binary file appears to be a valid ACPI table"), r.out());
        assertEquals(List.of(), badLines(r.out()), sig + ": iasl output");
        String dsl = Files.readString(dir.resolve(sig.toLowerCase() + ".dsl"), StandardCharsets.ISO_8859_1);
        assertEquals(List.of(), badLines(dsl), sig + ": disassembly");
        return squeeze(dsl);
    }

    private static void assertContains(String text, String... expected) {
        for (String e : expected) {
            assertTrue(text.contains(e), "missing \"" + e + "\" in:\n" + text);
        }
    }

    @Test
    void iaslDisassemblesEveryTableCleanly() throws Exception {
        Path iasl = requireTool("iasl");
        TableLayout l = AcpiTablesTest.layout();
        Map<String, String> dsl = new java.util.HashMap<>();
        for (String sig : List.of("FACP", "APIC", "HPET", "RSDT", "XSDT", "DSDT")) {
            dsl.put(sig, disassemble(iasl, sig, l.table(sig)));
        }
        dsl.put("FACS", disassemble(iasl, "FACS", Arrays.copyOf(l.region(), 64)));

        assertContains(dsl.get("FACP"), "Revision : 03", "Length : 000000F4", "SCI Interrupt : 0009",
                "SMI Command Port : 00000000",
                "PM1A Event Block Address : 00000600", "PM1A Control Block Address : 00000604",
                "PM Timer Block Address : 00000608", "GPE0 Block Address : 00000620",
                "PM1 Event Block Length : 04", "PM1 Control Block Length : 02", "PM Timer Block Length : 04",
                "GPE0 Block Length : 08", "RTC Century Index : 32",
                "Legacy Devices Supported (V2) : 1", "8042 Present on ports 60/64 (V2) : 1",
                "WBINVD instruction is operational (V1) : 1", "All CPUs support C1 (V1) : 1",
                "Control Method Sleep Button (V1) : 1", "Reset Register Supported (V2) : 1",
                "32-bit PM Timer (V1) : 0", "Address : 0000000000000CF9", "Value to cause reset : 06",
                "Address : 0000000000000600", "Address : 0000000000000620",
                String.format("DSDT Address : %016X", l.address("DSDT")),
                String.format("FACS Address : %016X", l.address("FACS")));
        assertContains(dsl.get("APIC"), "Local Apic Address : FEE00000", "PC-AT Compatibility : 1",
                "Subtable Type : 00 [Processor Local APIC]", "Processor Enabled : 1",
                "Subtable Type : 01 [I/O APIC]", "Address : FEC00000",
                "Subtable Type : 02 [Interrupt Source Override]", "Source : 00 [044h 0068 4] Interrupt : 00000002"
                        .replace(" [044h", "\n[044h"),
                "Source : 09\n[04Eh 0078 4] Interrupt : 00000009\n[052h 0082 2] Flags (decoded below) : 000D",
                "Subtable Type : 04 [Local APIC NMI]", "Interrupt Input LINT : 01");
        assertContains(dsl.get("HPET"), "Hardware Block ID : 8086A201", "Address : 00000000FED00000",
                "Minimum Clock Ticks : 0080");
        assertContains(dsl.get("RSDT"), String.format("ACPI Table Address 0 : %08X", l.address("FACP")));
        assertContains(dsl.get("XSDT"), String.format("ACPI Table Address 2 : %016X", l.address("HPET")));
        assertContains(dsl.get("FACS"), "Signature : \"FACS\"", "Length : 00000040", "Version : 02");
        assertContains(dsl.get("DSDT"), "Device (PCI0)", "EisaId (\"PNP0A03\")", "Name (_PRT, Package (0x7C)",
                "Name (\\_S5, Package (0x04)", "Device (ISA)", "Name (_ADR, 0x00010000)",
                "EisaId (\"PNP0B00\")", "EisaId (\"PNP0303\")", "EisaId (\"PNP0F13\")", "EisaId (\"PNP0501\")",
                "EisaId (\"PNP0103\")", "EisaId (\"PNP0C0F\")", "Memory32Fixed (ReadWrite,\n 0xFED00000, // Address Base\n 0x00000400,",
                "0x0CF8, // Range Minimum\n 0x0CF8, // Range Maximum\n 0x01, // Alignment\n 0x08, // Length",
                "0x00000D00, // Range Minimum\n 0x0000FFFF, // Range Maximum",
                "0x08000000, // Range Minimum\n 0xFEBFFFFF, // Range Maximum",
                "0x000A0000, // Range Minimum\n 0x000BFFFF, // Range Maximum",
                "Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, ,, )\n {\n 0x0000000A,",
                "0x0001FFFF, \n Zero, \n \\_SB.LNKA, \n Zero");
    }

    @Test
    void dsdtDisassemblyCompilesBackWithoutErrorsOrWarnings() throws Exception {
        Path iasl = requireTool("iasl");
        disassemble(iasl, "DSDT", AcpiTablesTest.layout().table("DSDT"));
        Run r = run(iasl.toString(), "-p", "recompiled", "dsdt.dsl");
        assertEquals(0, r.rc(), r.out());
        assertTrue(r.out().contains("Compilation successful. 0 Errors, 0 Warnings"), r.out());
    }

    @Test
    void acpiexecLoadsAndEvaluatesTheDsdt() throws Exception {
        Path acpiexec = requireTool("acpiexec");
        Files.write(dir.resolve("dsdt.dat"), AcpiTablesTest.layout().table("DSDT"));
        Run r = run(acpiexec.toString(), "-b",
                "evaluate \\_S5; evaluate \\_SB.PCI0._CRS; evaluate \\_SB.LNKC._CRS; evaluate \\_SB.PCI0.ISA.HPET._STA;"
                        + " evaluate \\_SB.PCI0.ISA.RTC._CRS; evaluate \\_SB.LNKA._STA",
                "dsdt.dat");
        assertEquals(0, r.rc(), r.out());
        assertEquals(List.of(), badLines(r.out()), "acpiexec output");
        String out = squeeze(r.out());
        assertContains(out, "1 ACPI AML tables successfully acquired and loaded",
                "Evaluation of \\_S5 returned object", "[Package] Contains 4 Elements:",
                // PCI0: WordBusNumber 0-0xFF first, the end tag last (the _PRT's 124 packages are
                // checked in the disassembly: acpiexec's debugger buffer is too small to print them).
                "88 0D 00 02 0C 00 00 00 00 00 FF 00 00 00 00 01", "Evaluation of \\_SB.PCI0._CRS returned",
                // LNKC: Interrupt descriptor, level/active-high/shared consumer, GSI 11.
                "89 06 00 09 01 0B 00 00 00 79 00",
                "[Integer] = 000000000000000F", "[Integer] = 000000000000000B",
                // RTC: IO 0x70-0x71, IRQNoFlags {8}.
                "47 01 70 00 70 00 01 02 22 00 01 79 00");
    }
}

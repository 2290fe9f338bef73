package dev.vmm.firmware.bios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's {@code xorriso} (package xorriso; CI installs it) as the ISO builder and as the oracle
 * of what an ISO's El Torito catalog says ({@code -report_el_torito plain}). Tests that use it
 * skip when it is missing.
 */
final class Xorriso {
    /** What {@code -report_el_torito plain} says of the first boot image. */
    record Report(long catalogLba, String platform, boolean bootable, String emulation, int loadSegment,
                  int loadSize, long lba) {
    }

    private static final Pattern CATALOG = Pattern.compile("El Torito catalog\\s*:\\s*(\\d+)");
    private static final Pattern IMAGE = Pattern.compile(
            "El Torito boot img\\s*:\\s*1\\s+(\\S+)\\s+([yn])\\s+(\\S+)\\s+0x([0-9a-fA-F]+)\\s+0x[0-9a-fA-F]+\\s+(\\d+)"
                    + "\\s+(\\d+)");

    private Xorriso() {
    }

    static Path tool(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    static Path require() {
        Path p = tool("xorriso");
        Assumptions.assumeTrue(p != null, "xorriso not installed (Debian package xorriso): skipping the ISO tests");
        return p;
    }

    /** Runs xorriso in mkisofs mode: {@code xorriso -as mkisofs ARGS}. */
    static void mkisofs(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(require().toString(), "-as", "mkisofs"));
        cmd.addAll(List.of(args));
        run(workDir, cmd);
    }

    static Report report(Path iso) throws IOException, InterruptedException {
        String out = run(iso.getParent(), List.of(require().toString(), "-indev", iso.toString(),
                "-report_el_torito", "plain"));
        Matcher c = CATALOG.matcher(out);
        Matcher m = IMAGE.matcher(out);
        assertTrue(c.find() && m.find(), "xorriso report:\n" + out);
        return new Report(Long.parseLong(c.group(1)), m.group(1), m.group(2).equals("y"), m.group(3),
                Integer.parseInt(m.group(4), 16), Integer.parseInt(m.group(5)), Long.parseLong(m.group(6)));
    }

    private static String run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), cmd + ":\n" + out);
        return out;
    }
}

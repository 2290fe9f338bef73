package dev.vmm.devices.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The qemu tools (Debian package qemu-utils: qemu-img, qemu-io) as the oracle of the disk format
 * tests. Tests that need them skip with a message when they are absent; CI installs them.
 */
public final class QemuTools {
    private QemuTools() {
    }

    /** The output and exit status of a command. */
    public record Result(int exit, String output) {
    }

    /** Skips the calling test unless qemu-img and qemu-io run. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(runs("qemu-img") && runs("qemu-io"),
                "qemu-img/qemu-io (Debian package qemu-utils) not installed");
    }

    private static boolean runs(String tool) {
        try {
            return exec(List.of(tool, "--version")).exit() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs a command and returns its status and combined output. */
    public static Result exec(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Result(p.exitValue(), out);
    }

    /** Runs a command, fails the test on a non-zero exit, returns the output. */
    public static String run(String... cmd) throws IOException {
        Result r = exec(List.of(cmd));
        assertEquals(0, r.exit(), String.join(" ", cmd) + " failed:\n" + r.output());
        return r.output();
    }
}

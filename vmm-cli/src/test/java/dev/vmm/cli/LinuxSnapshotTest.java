package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmm.images.GuestImages;
import dev.vmm.images.ImageManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8's determinism test: the Linux guest (tiny-i386, kernel booted directly, 256 MiB) run with
 * {@code --deterministic}, saved at a fixed instruction count by one process and restored by a new
 * JVM, reaches a later instruction count with the serial output and RAM of the uninterrupted run,
 * byte for byte. Each vmm is a child {@code java} process running {@code dev.vmm.cli.Main}; the
 * uninterrupted run and the saving run go side by side.
 *
 * <p>The counts: the kernel's console starts printing (its log from time 0) at about
 * {@value #FIRST_OUTPUT} instructions, after the decompressor; the save falls in the middle of that
 * output and the stop a little later, so both parts of the output are non-empty.
 */
class LinuxSnapshotTest {
    /** About where the first serial byte appears (measured, for the choice of the counts below). */
    static final long FIRST_OUTPUT = 2_900_000_000L;
    static final long SAVE_AT = 3_400_000_000L;
    static final long STOP_AT = 3_800_000_000L;

    @TempDir
    Path dir;

    private record Outcome(int status, String stderr) {
    }

    @Test
    void linuxSavedAndRestoredInANewJvmEndsLikeTheUninterruptedRun() throws Exception {
        GuestImages images = GuestImages.fromEnvironment();
        GuestImages.Status st = images.status("tiny-i386");
        assumeTrue(st == GuestImages.Status.OK, () -> "guest image tiny-i386 is " + st.label() + " in "
                + images.dir() + ": build it with ./vmm images build (CI does it in .ci/run); skipping");
        ImageManifest tiny = images.manifest("tiny-i386").orElseThrow();
        List<String> boot = List.of("--kernel", tiny.file("boot.kernel").orElseThrow().toString(),
                "--initrd", tiny.file("boot.initrd").orElseThrow().toString(),
                "--append", tiny.require("boot.append"), "--memory", "256M", "--deterministic");
        Path snap = dir.resolve("linux.vmmsnap");

        Process whole = vmm(concat(List.of("run"), boot, List.of("--serial", "file:" + dir.resolve("a.txt"),
                "--stop-at", Long.toString(STOP_AT), "--ram-hash")), "a.log");
        Process saving = vmm(concat(List.of("run"), boot, List.of("--serial", "file:" + dir.resolve("b.txt"),
                "--save-at", SAVE_AT + ":" + snap, "--stop-at", Long.toString(SAVE_AT))), "b.log");
        Outcome a = finish(whole, "a.log");
        Outcome b = finish(saving, "b.log");
        assertEquals(0, a.status(), a.stderr());
        assertEquals(0, b.status(), b.stderr());
        assertTrue(b.stderr().contains("vmm: saved " + snap + " at instruction " + SAVE_AT), b.stderr());

        Outcome c = finish(vmm(List.of("restore", snap.toString(), "--serial", "file:" + dir.resolve("c.txt"),
                    "--stop-at", Long.toString(STOP_AT), "--ram-hash"), "c.log"), "c.log");
        assertEquals(0, c.status(), c.stderr());

        byte[] uninterrupted = Files.readAllBytes(dir.resolve("a.txt"));
        byte[] before = Files.readAllBytes(dir.resolve("b.txt"));
        byte[] after = Files.readAllBytes(dir.resolve("c.txt"));
        assertTrue(before.length > 0 && after.length > 0, "output on both sides of the save: " + before.length
                + " and " + after.length + " bytes");
        assertTrue(new String(uninterrupted, StandardCharsets.ISO_8859_1).startsWith("[    0.000000] Linux version "),
                "the kernel's log");
        byte[] joined = new byte[before.length + after.length];
        System.arraycopy(before, 0, joined, 0, before.length);
        System.arraycopy(after, 0, joined, before.length, after.length);
        assertArrayEquals(uninterrupted, joined, "serial output: saved + restored = uninterrupted");
        String hash = ramHash(a.stderr());
        assertEquals(hash, ramHash(c.stderr()), "RAM at instruction " + STOP_AT);
    }

    private static String ramHash(String stderr) {
        return stderr.lines().filter(l -> l.startsWith("vmm: RAM SHA-256 ")).findFirst()
                .orElseThrow(() -> new AssertionError("no RAM hash in: " + stderr));
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) {
            all.addAll(p);
        }
        return all;
    }

    /** Starts {@code vmm args} in a new JVM, stderr into {@code log}. */
    private Process vmm(List<String> args, String log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.vmm.cli.Main"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve(log).toFile()).redirectInput(ProcessBuilder.Redirect.from(
                        Path.of("/dev/null").toFile())).start();
    }

    private Outcome finish(Process p, String log) throws Exception {
        if (!p.waitFor(20, TimeUnit.MINUTES)) {          // a bound, not a timing assertion
            p.destroyForcibly();
            throw new AssertionError("vmm did not end within 20 minutes");
        }
        return new Outcome(p.exitValue(), Files.readString(dir.resolve(log)));
    }
}

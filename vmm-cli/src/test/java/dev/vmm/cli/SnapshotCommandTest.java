package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.SnapshotDisks;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vmm run --save-at}, {@code vmm restore} and their refusals, with a BIOS-booted guest
 * (snapshot/board-guest.s of vmm-devices as the disk's boot sector) that takes PIT interrupts, prints
 * on COM1 and reads and writes its disk on every tick, then exits through the debug-exit port.
 */
class SnapshotCommandTest {
    /** Status of the guest's debug exit: (0x10 << 1) | 1. */
    private static final int GUEST_EXIT = 0x21;

    @TempDir
    Path dir;

    private String stderr = "";

    private int vmm(String... args) {
        CommandLine cmd = Main.commandLine();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        stderr = err.toString();
        return code;
    }

    private Path disk(String name) throws IOException {
        byte[] guest;
        try (InputStream in = SnapshotCommandTest.class.getResourceAsStream("/snapshot/board-guest.bin")) {
            guest = in.readAllBytes();
        }
        byte[] img = new byte[64 * 512];
        for (int i = 512; i < img.length; i++) {
            img[i] = (byte) ('a' + i / 512 % 26);
        }
        System.arraycopy(guest, 0, img, 0, guest.length);
        img[510] = 0x55;
        img[511] = (byte) 0xAA;
        Path p = dir.resolve(name);
        Files.write(p, img);
        return p;
    }

    private String serial(String name) throws IOException {
        return Files.readString(dir.resolve(name), StandardCharsets.ISO_8859_1);
    }

    private String f(String name) {
        return dir.resolve(name).toString();
    }

    /** Every file of the directory with its SHA-256. */
    private Map<String, String> files() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                m.put(p.getFileName().toString(), SnapshotDisks.sha256(p));
            }
        }
        return m;
    }

    @Test
    void aCopyOnWriteVmSavedMidRunRestoresAnyNumberOfTimesAndEndsLikeTheUninterruptedRun() throws Exception {
        Path d = disk("d.img");
        String diskSha = SnapshotDisks.sha256(d);
        assertEquals(GUEST_EXIT, vmm("run", "--disk", d.toString(), "--deterministic", "--debug-exit", "--serial",
                "file:" + f("a.txt"), "--ram-hash"), stderr);
        String whole = serial("a.txt");
        String ramLine = stderr.lines().filter(l -> l.startsWith("vmm: RAM SHA-256")).findFirst().orElseThrow();
        assertTrue(whole.length() > 100, whole);

        long at = 2_000_000;
        assertEquals(0, vmm("run", "--disk", d.toString(), "--deterministic", "--debug-exit", "--serial",
                "file:" + f("b.txt"), "--save-at", at + ":" + f("s.vmmsnap"), "--stop-at", Long.toString(at)), stderr);
        assertTrue(stderr.startsWith("vmm: saved " + f("s.vmmsnap") + " at instruction "), stderr);
        String before = serial("b.txt");
        assertTrue(!before.isEmpty() && before.length() < whole.length(), before);
        assertTrue(Files.isRegularFile(dir.resolve("s.vmmsnap.ide0-0.qcow2")), "the in-memory delta, frozen");
        assertEquals(diskSha, SnapshotDisks.sha256(d), "the cow disk's file is never written");

        for (String out : List.of("c1.txt", "c2.txt")) {
            assertEquals(GUEST_EXIT, vmm("restore", f("s.vmmsnap"), "--serial", "file:" + f(out), "--ram-hash"),
                    stderr);
            assertEquals(whole, before + serial(out), "serial output of the restored run " + out);
            assertTrue(stderr.contains(ramLine), stderr + " vs " + ramLine);
        }
        assertEquals(diskSha, SnapshotDisks.sha256(d));

        Assumptions.assumeTrue(tool("qemu-img", "--version"), "qemu-img (qemu-utils) not installed");
        exec("qemu-img", "check", f("s.vmmsnap.ide0-0.qcow2"));
        assertTrue(exec("qemu-img", "info", f("s.vmmsnap.ide0-0.qcow2")).contains("backing file: d.img"));
    }

    @Test
    void aWrittenThroughDiskIsFrozenAtTheSaveAndTheVmGoesOnInAnOverlay() throws Exception {
        Path d = disk("d.img");
        assertEquals(GUEST_EXIT, vmm("run", "--disk", disk("ref.img").toString(), "--disk-mode", "rw",
                "--deterministic", "--debug-exit", "--serial", "file:" + f("a.txt")), stderr);
        String whole = serial("a.txt");
        long at = 3_000_000;
        assertEquals(GUEST_EXIT, vmm("run", "--disk", d.toString(), "--disk-mode", "rw", "--deterministic",
                "--debug-exit", "--serial", "file:" + f("b.txt"), "--save-at", at + ":" + f("s.vmmsnap")), stderr);
        assertEquals(whole, serial("b.txt"), "saving does not change the run");
        assertTrue(stderr.contains("disk writes now go to " + f("s.vmmsnap.ide0-0.after.qcow2")), stderr);
        String frozen = SnapshotDisks.sha256(d);
        assertEquals(GUEST_EXIT, vmm("restore", f("s.vmmsnap"), "--serial", "file:" + f("c.txt"), "--disk-mode",
                "rw"), stderr);
        assertTrue(whole.endsWith(serial("c.txt")) && !serial("c.txt").isEmpty(), serial("c.txt"));
        assertEquals(frozen, SnapshotDisks.sha256(d), "the frozen image is never written again");
        assertTrue(stderr.contains("disk writes go to " + f("s.vmmsnap.ide0-0.restored.qcow2")), stderr);

        Assumptions.assumeTrue(tool("qemu-img", "--version"), "qemu-img (qemu-utils) not installed");
        for (String q : List.of("s.vmmsnap.ide0-0.after.qcow2", "s.vmmsnap.ide0-0.restored.qcow2")) {
            exec("qemu-img", "check", f(q));
            assertTrue(exec("qemu-img", "info", f(q)).contains("backing file: d.img"), q);
        }
    }

    @Test
    void badSnapshotsAreRefusedBeforeAnythingRunsAndNothingChanges() throws Exception {
        Path d = disk("d.img");
        assertEquals(0, vmm("run", "--disk", d.toString(), "--deterministic", "--debug-exit", "--serial", "none",
                "--save-at", "2000000:" + f("s.vmmsnap"), "--stop-at", "2000000"), stderr);
        byte[] good = Files.readAllBytes(dir.resolve("s.vmmsnap"));

        Files.write(dir.resolve("trunc.vmmsnap"), java.util.Arrays.copyOf(good, good.length / 2));
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x40;
        Files.write(dir.resolve("corrupt.vmmsnap"), bad);
        bad = good.clone();
        bad[0] = 'X';
        Files.write(dir.resolve("magic.vmmsnap"), bad);
        bad = good.clone();
        bad[8] = 9;
        Files.write(dir.resolve("newer.vmmsnap"), bad);

        refused("trunc.vmmsnap", "truncated file: ");
        refused("corrupt.vmmsnap", "corrupted file: checksum mismatch in section ");
        refused("magic.vmmsnap", "not a vmm snapshot (wrong magic)");
        refused("newer.vmmsnap", "written by a newer vmm: format version 9, this vmm reads up to 2");
        refused("none.vmmsnap", "no such file");

        Path delta = dir.resolve("s.vmmsnap.ide0-0.qcow2");
        byte[] deltaBytes = Files.readAllBytes(delta);
        byte[] base = Files.readAllBytes(d);
        base[5000] ^= 1;
        Files.write(d, base);
        refused("s.vmmsnap", "disk image " + d.toAbsolutePath() + " changed since the snapshot (its SHA-256 differs)");
        base[5000] ^= 1;
        Files.write(d, base);
        Files.delete(delta);
        refused("s.vmmsnap", "disk image " + delta.toAbsolutePath() + " is missing");
        Files.write(delta, deltaBytes);
        assertEquals(0, vmm("restore", f("s.vmmsnap"), "--serial", "none", "--stop-at", "2500000"), stderr);
    }

    /** A bzImage whose kernel counts its boots on the disk (snapshot/reboot-kernel.s): "K0..K2", exit 2. */
    private Path rebootKernel() throws IOException {
        byte[] payload;
        try (InputStream in = SnapshotCommandTest.class.getResourceAsStream("/snapshot/reboot-kernel.bin")) {
            payload = in.readAllBytes();
        }
        Path k = dir.resolve("reboot.bz");
        Files.write(k, RunCommandTest.bzImage(payload));
        return k;
    }

    @Test
    void aVmBootedFromAKernelRebootsAfterARestoreAsUnderVmmRun() throws Exception {
        Path k = rebootKernel();
        Files.write(dir.resolve("count.img"), new byte[64 * 512]);
        List<String> boot = List.of("--kernel", k.toString(), "--append", "console=ttyS0 reboot-test", "--disk",
                f("count.img"), "--deterministic", "--debug-exit", "--serial", "none");
        int exit = (2 << 1) | 1;
        assertEquals(exit, vmm(concat(List.of("run"), boot, List.of("--debugcon", f("a.txt")))), stderr);
        String whole = serial("a.txt");
        assertEquals("K0console=ttyS0 reboot-test\nK1console=ttyS0 reboot-test\nK2console=ttyS0 reboot-test\n",
                whole, "three boots, counted on the disk");

        long at = 30_000;        // in the first boot (about 41,000 instructions), after its line, before its reset
        assertEquals(0, vmm(concat(List.of("run"), boot, List.of("--debugcon", f("b.txt"), "--save-at",
                at + ":" + f("k.vmmsnap"), "--stop-at", Long.toString(at)))), stderr);
        String before = serial("b.txt");
        assertEquals("K0console=ttyS0 reboot-test\n", before);

        assertEquals(exit, vmm("restore", f("k.vmmsnap"), "--serial", "none", "--debugcon", f("c.txt")), stderr);
        assertEquals(whole, before + serial("c.txt"), "the restored VM rebooted twice through its kernel");

        // The kernel file changed: refused before anything runs, as a changed disk is.
        byte[] kernel = Files.readAllBytes(k);
        kernel[kernel.length - 1] ^= 1;
        Files.write(k, kernel);
        refused("k.vmmsnap", "kernel file " + k.toAbsolutePath() + " changed since the snapshot (its SHA-256 differs) "
                + "(a guest reset boots it again)");
        Files.delete(k);
        refused("k.vmmsnap", "kernel file " + k.toAbsolutePath() + " is missing");
    }

    /**
     * A read-only disk refuses the guest's first sector write, and the guest (which waits for DRQ) stops
     * ticking: its output differs from a run whose writes work. A restore that follows the stored mode
     * goes on read-only; {@code --disk-mode cow} lets the writes through.
     */
    @Test
    void theDiskModeIsStoredAndARestoreFollowsItUnlessTold() throws Exception {
        Path d = disk("d.img");
        String stop = "4000000";
        List<String> ro = List.of("--disk", d.toString(), "--disk-mode", "ro", "--deterministic", "--debug-exit",
                "--stop-at", stop);
        assertEquals(0, vmm(concat(List.of("run"), ro, List.of("--serial", "file:" + f("a.txt")))), stderr);
        String whole = serial("a.txt");
        assertEquals(0, vmm("run", "--disk", disk("cow.img").toString(), "--deterministic", "--debug-exit",
                "--stop-at", stop, "--serial", "file:" + f("cow.txt")), stderr);
        String writable = serial("cow.txt");
        assertTrue(writable.startsWith(whole) && writable.length() > whole.length(), whole + " vs " + writable);

        long at = 100_000;       // before the first tick's disk write
        assertEquals(0, vmm(concat(List.of("run"), ro, List.of("--serial", "file:" + f("b.txt"), "--save-at",
                at + ":" + f("s.vmmsnap")))), stderr);
        assertEquals(whole, serial("b.txt"), "saving does not change the run");
        VmSnapshots.Medium m = VmSnapshots.load(dir.resolve("s.vmmsnap")).recipe().media().get(0);
        assertEquals("ro", m.mode());
        assertEquals(0, vmm("restore", f("s.vmmsnap"), "--serial", "file:" + f("c.txt"), "--stop-at", stop),
                stderr);
        assertEquals(whole, serial("c.txt"), "restored read-only, as saved");
        assertEquals(0, vmm("restore", f("s.vmmsnap"), "--serial", "file:" + f("d.txt"), "--stop-at", stop,
                "--disk-mode", "cow"), stderr);
        assertEquals(writable, serial("d.txt"), "--disk-mode cow: the guest's writes work");
        assertEquals(RunCommand.EXIT_BAD_INPUT, vmm("restore", f("s.vmmsnap"), "--disk-mode", "wb"), stderr);
        assertEquals("vmm restore: --disk-mode must be cow, rw or ro, not 'wb'\n", stderr);
    }

    private static String[] concat(List<String> a, List<String> b, List<String> c) {
        return Stream.of(a, b, c).flatMap(List::stream).toArray(String[]::new);
    }

    private void refused(String snapshot, String message) throws IOException {
        Map<String, String> before = files();
        assertEquals(RunCommand.EXIT_BAD_INPUT, vmm("restore", f(snapshot), "--serial", "file:" + f("out.txt")),
                stderr);
        assertTrue(stderr.startsWith("vmm restore: " + f(snapshot) + ": " + message), stderr);
        assertEquals(1, stderr.lines().count(), "one line: " + stderr);
        assertEquals(before, files(), "no file was written or changed");
    }

    private static boolean tool(String... cmd) {
        try {
            return new ProcessBuilder(cmd).redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }
}

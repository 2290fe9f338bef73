package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code vmm disk info} and {@code vmm disk convert}, with qemu-img as the oracle. */
public class DiskCommandTest {
    @TempDir
    Path dir;

    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    private int vmm(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (i / 65536) % 3 == 1 ? 0 : (byte) (i * 11 + (i >>> 8));
        }
        return b;
    }

    @Test
    void convertsAmongAllFormatsAndInfoDescribesThem() throws IOException {
        byte[] data = pattern(2 * 1024 * 1024 + 512);
        Path raw = dir.resolve("a.raw");
        Files.write(raw, data);
        // the format from -O, or from the extension
        assertEquals(0, vmm("disk", "convert", raw.toString(), dir.resolve("a.qcow2").toString()),
                err::toString);
        assertTrue(out.toString().contains("(qcow2)"), out::toString);
        assertEquals(0, vmm("disk", "convert", "-O", "vmdk", dir.resolve("a.qcow2").toString(),
                dir.resolve("a.disk").toString()), err::toString);
        assertEquals(0, vmm("disk", "convert", dir.resolve("a.disk").toString(),
                dir.resolve("back.img").toString()), err::toString);
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("back.img")));

        assertEquals(0, vmm("disk", "info", dir.resolve("a.disk").toString()), err::toString);
        assertTrue(out.toString().contains("format:         vmdk (streamOptimized, compressed)"),
                out::toString);
        assertTrue(out.toString().contains("virtual size:   " + "2 MiB (2097664 bytes)")
                || out.toString().contains("(2097664 bytes)"), out::toString);

        assertEquals(0, vmm("disk", "info", dir.resolve("a.qcow2").toString()), err::toString);
        String info = out.toString();
        assertTrue(info.contains("format:         qcow2 (version 3 (compat 1.1), cluster size"
                + " 65536, refcount bits 16)"), info);
        assertTrue(info.contains("virtual size:   2.0 MiB (2097664 bytes)"), info);
        // clusters 0, 2, 3, 5..: the zero clusters 1, 4, 7, 10, ... hold nothing
        assertTrue(info.contains("allocated:      1.4 MiB (1441792 bytes) of guest data"), info);
        assertFalse(info.contains("backing"), info);
    }

    @Test
    void infoShowsTheBackingChainLikeQemuImg() throws IOException, InterruptedException {
        Assumptions.assumeTrue(tool("qemu-img", "--version"), "qemu-img not installed");
        Path base = dir.resolve("base.raw");
        Files.write(base, pattern(1 << 20));
        Path mid = dir.resolve("mid.qcow2");
        Path top = dir.resolve("top.qcow2");
        qemu("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                mid.toString());
        qemu("qemu-img", "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2",
                top.toString());
        assertEquals(0, vmm("disk", "info", top.toString()), err::toString);
        String info = out.toString();
        assertTrue(info.contains("backing file:   mid.qcow2"), info);
        assertTrue(info.contains("  1. " + mid + " (qcow2, 1 MiB (1048576 bytes))"), info);
        assertTrue(info.contains("  2. " + base + " (raw, 1 MiB (1048576 bytes))"), info);
        // qemu-img converts our flattening back to the base
        assertEquals(0, vmm("disk", "convert", "-O", "qcow2", top.toString(),
                dir.resolve("flat.qcow2").toString()), err::toString);
        qemu("qemu-img", "convert", "-O", "raw", dir.resolve("flat.qcow2").toString(),
                dir.resolve("flat.raw").toString());
        assertArrayEquals(Files.readAllBytes(base), Files.readAllBytes(dir.resolve("flat.raw")));
    }

    @Test
    void refusalsNameTheProblem() throws IOException {
        assertEquals(1, vmm("disk", "info", dir.resolve("nope.qcow2").toString()));
        assertTrue(err.toString().startsWith("vmm disk info: disk image "), err::toString);
        assertTrue(err.toString().contains("no such file"), err::toString);
        Path bad = dir.resolve("bad.qcow2");
        Files.write(bad, "QFI\u00fb".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(1, vmm("disk", "convert", bad.toString(), dir.resolve("o.raw").toString()));
        assertTrue(err.toString().contains("truncated"), err::toString);
        assertFalse(Files.exists(dir.resolve("o.raw")));
        Path raw = dir.resolve("r.raw");
        Files.write(raw, new byte[512]);
        assertEquals(1, vmm("disk", "convert", "-O", "vdi", raw.toString(),
                dir.resolve("o.vdi").toString()));
        assertTrue(err.toString().contains("unknown disk format 'vdi'"), err::toString);
        assertEquals(2, vmm("disk"));
        assertTrue(err.toString().contains("Usage: vmm disk"), err::toString);
    }

    @Test
    void theCommandsAreRegistered() {
        assertEquals(0, vmm("--help"));
        for (String c : new String[] {"disk", "export", "import"}) {
            assertTrue(out.toString().lines().anyMatch(l -> l.strip().startsWith(c + " ")),
                    c + " in:\n" + out);
        }
        assertEquals(0, vmm("disk", "convert", "--help"));
        assertTrue(out.toString().contains("-O=raw|qcow2|vmdk"), out::toString);
    }

    @Test
    void progressBarDrawsInPlaceOncePerPercent() {
        StringWriter sw = new StringWriter();
        try (ProgressBar bar = new ProgressBar(new PrintWriter(sw), "converting", true)) {
            for (long done = 0; done <= 1000; done += 5) {
                bar.update(done, 1000);
            }
        }
        String s = sw.toString();
        assertEquals(101, s.chars().filter(c -> c == '\r').count(), "once per percent");
        assertTrue(s.endsWith("\rconverting [##############################] 100%  0.0/0.0 MiB"
                + System.lineSeparator()), s);
        StringWriter quiet = new StringWriter();
        try (ProgressBar bar = new ProgressBar(new PrintWriter(quiet), "x", false)) {
            bar.update(1, 2);
        }
        assertEquals("", quiet.toString());
    }

    public static boolean tool(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public static String qemu(String... cmd) throws IOException {
        Process p = new ProcessBuilder(List.of(cmd)).redirectErrorStream(true).start();
        String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + o);
        return o;
    }
}

package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The whole CLI against a host started with {@code vmm host}, as a user would drive it. */
class HostCliTest {
    /** Each task on a thread of its own (the common pool may have a single thread here). */
    private static final java.util.concurrent.Executor NEW_THREAD = r -> Thread.ofPlatform().daemon(true).start(r);

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int vmm(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 3];
        all[0] = args[0];
        all[1] = "--home=" + dir.resolve("home");
        all[2] = "--socket";
        all[3] = dir.resolve("vmm.sock").toString();
        System.arraycopy(args, 1, all, 4, args.length - 1);
        return cmd.execute(all);
    }

    @Test
    void createStartPsPauseStopDeleteThroughTheCli() throws Exception {
        Path kernel = TestGuests.kernel(dir, "echo.bz", TestGuests.ECHO);
        assertEquals(1, vmm("ps"), "no host yet");
        assertTrue(err.toString().startsWith("vmm ps: no vmm host on "), err.toString());

        assertEquals(0, vmm("create", "web", "--memory", "24M", "--kernel", kernel.toString()), err::toString);
        assertEquals("created web\n", out.toString());
        assertEquals(2, vmm("create", "web", "--memory", "24M", "--kernel", kernel.toString()));
        assertTrue(err.toString().contains("a VM named web exists already"), err.toString());
        assertEquals(2, vmm("create", "x", "--memory", "24M", "--disk", dir.resolve("nope.img").toString()));
        assertEquals("vmm create: --disk " + dir.resolve("nope.img") + ": no such file\n", err.toString());
        assertEquals(0, vmm("create", "big", "--memory", "64M", "--kernel", kernel.toString()));
        assertTrue(Files.readString(dir.resolve("home/vms/web.json")).contains("\"memoryBytes\" : 25165824"));

        CompletableFuture<Integer> host = CompletableFuture.supplyAsync(() -> {
            CommandLine cmd = Main.commandLine();
            cmd.setOut(new PrintWriter(new StringWriter(), true));
            return cmd.execute("host", "--home=" + dir.resolve("home"), "--socket", dir.resolve("vmm.sock").toString(),
                    "--memory-pool", "64M", "--workers", "2");
        }, NEW_THREAD);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!ControlClient.answers(dir.resolve("vmm.sock")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }

        assertEquals(0, vmm("start", "web", "--cpu-weight", "2", "--cpu-cap", "50"), err::toString);
        assertEquals(1, vmm("start", "big"));
        assertEquals("vmm start: cannot reserve 64 MiB for big: 40 MiB of the 64 MiB budget left (web holds 24 MiB)\n",
                err.toString());
        assertEquals(0, vmm("ps"), err::toString);
        String ps = out.toString();
        assertTrue(ps.startsWith("NAME "), ps);
        assertTrue(ps.matches("(?s).*\\nweb +running +24 MiB .* 2 +50%\\n.*"), ps);
        assertTrue(ps.endsWith("pool: 24 MiB of 64 MiB reserved\n"), ps);
        assertEquals(0, vmm("list"));
        assertTrue(out.toString().matches("(?s).*\\nweb +24 MiB +running +kernel .*"), out.toString());

        assertEquals(1, vmm("delete", "web"));
        assertEquals("vmm delete: web is running; stop it first (vmm stop web)\n", err.toString());
        assertEquals(0, vmm("pause", "web"));
        assertEquals(0, vmm("ps"));
        assertTrue(out.toString().matches("(?s).*\\nweb +paused .*"), out.toString());
        assertEquals(0, vmm("resume", "web"));
        assertEquals(1, vmm("pause", "nothere"));
        assertEquals("vmm pause: no VM named nothere\n", err.toString());

        monitorThroughTheConsoleCommand();

        assertEquals(0, vmm("stop", "web"));
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        do {
            vmm("ps");
        } while (!out.toString().contains("stopped") && System.nanoTime() < deadline);
        assertTrue(out.toString().contains("(stopped by host)"), out.toString());
        assertEquals(0, vmm("delete", "web"), err::toString);
        assertFalse(Files.exists(dir.resolve("home/vms/web.json")));

        try (ControlClient c = ControlClient.connect(dir.resolve("vmm.sock"))) {
            assertTrue(c.request(ControlClient.request("shutdown")).path("ok").asBoolean());
        }
        assertEquals(0, host.get(60, TimeUnit.SECONDS));
        assertFalse(Files.exists(dir.resolve("vmm.sock")), "the host removes its socket");
    }

    /** {@code vmm console --monitor web} on a terminal over test streams. */
    private void monitorThroughTheConsoleCommand() throws Exception {
        Attributes raw = new Attributes();
        raw.setLocalFlags(EnumSet.of(Attributes.LocalFlag.ICANON, Attributes.LocalFlag.ECHO), false);
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        PipedOutputStream keys = new PipedOutputStream();
        try (Terminal t = TerminalBuilder.builder().system(false).type("xterm").streams(new PipedInputStream(keys),
                screen).attributes(raw).size(new Size(100, 40)).build()) {
            ConsoleCommand console = new ConsoleCommand();
            console.terminal = t;
            CommandLine cmd = new CommandLine(console);
            cmd.setErr(new PrintWriter(err, true));
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> cmd.execute("--home="
                    + dir.resolve("home"), "--socket", dir.resolve("vmm.sock").toString(), "--monitor", "web"), NEW_THREAD);
            keys.write(("info status\rscreendump " + dir.resolve("shot.png") + "\r\u0001c")
                    .getBytes(StandardCharsets.UTF_8));
            keys.flush();
            try {
                assertEquals(0, run.get(20, TimeUnit.SECONDS), err::toString);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("the console did not end; screen: " + screen.toString(StandardCharsets.UTF_8)
                        + "\nerr: " + err, e);
            }
            keys.close();
        }
        String shown = screen.toString(StandardCharsets.UTF_8);
        assertTrue(shown.contains("VM status: running"), shown);
        assertTrue(Files.size(dir.resolve("shot.png")) > 0, "the host wrote the screen");
        assertEquals("screendump " + Path.of("a.png").toAbsolutePath(), ConsoleCommand.absolutePaths("screendump a.png"),
                "the host writes files relative to the client's directory");
    }
}

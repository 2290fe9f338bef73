package dev.vmm.cli.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.console.TerminalBackend;
import dev.vmm.devices.serial.SerialReceiver;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.EnumSet;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;

/** The (vmm) prompt on a jline terminal over test streams: editing, completion, history, escapes. */
class MonitorConsoleTest {
    /** Each task on a thread of its own (the common pool may have a single thread here). */
    private static final java.util.concurrent.Executor NEW_THREAD = r -> Thread.ofPlatform().daemon(true).start(r);

    private static Terminal terminal(PipedInputStream keys, ByteArrayOutputStream screen) throws Exception {
        Attributes raw = new Attributes();               // as the serial console leaves it: no echo, no line editing
        raw.setLocalFlags(EnumSet.of(LocalFlag.ICANON, LocalFlag.ECHO, LocalFlag.ISIG), false);
        return TerminalBuilder.builder().system(false).type("xterm").streams(keys, screen).attributes(raw)
                .size(new Size(80, 24)).build();
    }

    @Test
    void runsLinesCompletesRecallsAndGoesBack() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        AtomicInteger quits = new AtomicInteger();
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        PipedOutputStream keyboard = new PipedOutputStream();
        try (Terminal t = terminal(new PipedInputStream(keyboard), screen)) {
            MonitorConsole console = new MonitorConsole(t, line -> {
                lines.add(line);
                return MonitorCommands.Reply.of("did " + line);
            }, quits::incrementAndGet);
            CompletableFuture<MonitorConsole.Outcome> first = CompletableFuture.supplyAsync(console::run, NEW_THREAD);
            // "info st" + TAB completes the topic; "x/2xb 0" runs; Ctrl-A c goes back
            keyboard.write("info st\t\rx/2xb 0\r\u0001c".getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            assertEquals(MonitorConsole.Outcome.CONSOLE, first.get(30, TimeUnit.SECONDS));
            assertEquals(List.of("info status ", "x/2xb 0"), lines);

            // a second visit keeps the history: up arrow twice recalls "info status"
            CompletableFuture<MonitorConsole.Outcome> second = CompletableFuture.supplyAsync(console::run, NEW_THREAD);
            keyboard.write("\u001bOA\u001bOA\r\u0001x".getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            assertEquals(MonitorConsole.Outcome.QUIT, second.get(30, TimeUnit.SECONDS));
            assertEquals(List.of("info status ", "x/2xb 0", "info status"), lines, "history keeps lines trimmed");
            assertEquals(1, quits.get(), "Ctrl-A x ends the VM");
            keyboard.close();
        }
        String shown = screen.toString(StandardCharsets.UTF_8);
        assertTrue(shown.contains(MonitorConsole.BANNER), shown);
        assertTrue(shown.contains(MonitorConsole.PROMPT), shown);
        assertTrue(shown.contains("did x/2xb 0\r\n"), shown);
    }

    @Test
    void quitCommandEndsTheConsole() throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        PipedOutputStream keyboard = new PipedOutputStream();
        try (Terminal t = terminal(new PipedInputStream(keyboard), screen)) {
            MonitorConsole console = new MonitorConsole(t, line -> new MonitorCommands.Reply("", line.equals("quit")),
                    () -> { });
            CompletableFuture<MonitorConsole.Outcome> run = CompletableFuture.supplyAsync(console::run, NEW_THREAD);
            keyboard.write("help\rquit\r".getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            assertEquals(MonitorConsole.Outcome.QUIT, run.get(30, TimeUnit.SECONDS));
            keyboard.close();
        }
    }

    /** Ctrl-A c on the serial console opens the monitor; guest output waits until it is left. */
    @Test
    void serialConsoleHoldsGuestOutputWhileTheMonitorRuns() throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        PipedOutputStream keyboard = new PipedOutputStream();
        CountDownLatch inMonitor = new CountDownLatch(1);
        CountDownLatch written = new CountDownLatch(1);
        CountDownLatch left = new CountDownLatch(1);
        try (Terminal t = terminal(new PipedInputStream(keyboard), screen)) {
            TerminalBackend[] backend = new TerminalBackend[1];
            backend[0] = new TerminalBackend(t, false, () -> { }, () -> {
                inMonitor.countDown();
                try {
                    written.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                t.writer().print("MONITOR");
                t.writer().flush();
            });
            backend[0].connect(new NullReceiver());
            keyboard.write("\u0001c".getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            assertTrue(inMonitor.await(30, TimeUnit.SECONDS));
            for (char c : "GUEST".toCharArray()) {
                backend[0].write(c);
            }
            written.countDown();
            keyboard.write("\u0001x".getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!screen.toString(StandardCharsets.UTF_8).contains("GUEST") && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            left.countDown();
            backend[0].close();
            keyboard.close();
        }
        String shown = screen.toString(StandardCharsets.UTF_8);
        assertTrue(shown.indexOf("MONITOR") >= 0 && shown.indexOf("MONITOR") < shown.indexOf("GUEST"),
                "guest output written during the monitor comes after it: " + shown);
    }

    private static final class NullReceiver implements SerialReceiver {
        @Override
        public int rxSpace() {
            return 16;
        }

        @Override
        public void deliver(byte[] data, int off, int len) {
        }

        @Override
        public void deliverBreak() {
        }

        @Override
        public void setModemInputs(int msrBits) {
        }

        @Override
        public void setSpaceListener(Runnable listener) {
        }
    }
}

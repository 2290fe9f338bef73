package dev.vmm.cli.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.console.VgaConsole;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;

/** Ctrl-A c on the VGA console of {@code vmm run}: the monitor prompt, no drawing meanwhile, a full redraw after. */
class VgaMonitorTest {
    private static final String CLEAR = "\u001b[2J";

    /** The terminal's output so far; synchronized, as the console's threads write it. */
    private static final class Screen extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        /** Waits (bounded) until the output after {@code from} contains {@code s}; returns its index. */
        int await(String s, int from) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (text().indexOf(s, from) < 0) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no '" + s + "' on the screen after " + from + ": " + text());
                }
                Thread.sleep(5);
            }
            return text().indexOf(s, from);
        }
    }

    private static void put(PcBoard board, int cell, String text) {
        for (int i = 0; i < text.length(); i++) {
            board.memory().write16(0xB8000 + 2L * (cell + i), 0x0700 | text.charAt(i));
        }
    }

    @Test
    void ctrlACOpensTheMonitorAndTheScreenComesBackAfter() throws Exception {
        Screen screen = new Screen();
        PipedOutputStream keys = new PipedOutputStream();
        Attributes cooked = new Attributes();
        cooked.setLocalFlags(EnumSet.of(LocalFlag.ICANON, LocalFlag.ECHO), true);
        AtomicInteger quits = new AtomicInteger();
        try (PcBoard board = BoardConfig.builder().memory(1 << 20).build()) {
            board.vga().setMode3();
            put(board, 0, "VGA1");
            Terminal t = TerminalBuilder.builder().system(false).type("xterm").streams(new PipedInputStream(keys),
                    screen).attributes(cooked).size(new Size(80, 25)).build();
            VgaConsole vga = VgaConsole.on(t, () -> board, quits::incrementAndGet, term -> {
                RunMonitor m = new RunMonitor(() -> board, quits::incrementAndGet);
                m.attach(term);
                return m;
            });
            try {
                screen.await("VGA1", 0);
                keys.write("\u0001c".getBytes(StandardCharsets.US_ASCII));
                keys.flush();
                int banner = screen.await(MonitorConsole.BANNER, 0);
                put(board, 80, "VGA2");                 // the guest writes while the monitor has the terminal
                keys.write("info status\r".getBytes(StandardCharsets.US_ASCII));
                keys.flush();
                int reply = screen.await("VM status: running", banner);
                keys.write("\u0001c".getBytes(StandardCharsets.US_ASCII));
                keys.flush();
                int redraw = screen.await(CLEAR, reply);
                int second = screen.await("VGA2", redraw);
                assertTrue(screen.text().indexOf("VGA2") == second, "nothing drawn while the monitor ran: "
                        + screen.text());
                assertTrue(screen.text().indexOf("VGA1", redraw) > redraw, "the whole screen is drawn again");
                keys.write("\u0001x".getBytes(StandardCharsets.US_ASCII));
                keys.flush();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (quits.get() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(1, quits.get(), "Ctrl-A x on the VGA console still quits");
            } finally {
                vga.close();
                keys.close();
            }
        }
    }
}

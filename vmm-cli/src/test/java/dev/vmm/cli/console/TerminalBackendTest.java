package dev.vmm.cli.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.serial.SerialReceiver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;

/** The terminal backend on a jline terminal over test streams (no real tty). */
class TerminalBackendTest {
    /** A receiver with room for everything that records what it gets. */
    private static final class Receiver implements SerialReceiver {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        int breaks;

        @Override
        public synchronized int rxSpace() {
            return 16;
        }

        @Override
        public synchronized void deliver(byte[] data, int off, int len) {
            got.write(data, off, len);
        }

        @Override
        public synchronized void deliverBreak() {
            breaks++;
            got.write('#');
        }

        @Override
        public void setModemInputs(int msrBits) {
        }

        @Override
        public void setSpaceListener(Runnable listener) {
        }
    }

    private static Terminal terminal(java.io.InputStream keys, ByteArrayOutputStream screen)
            throws Exception {
        Attributes cooked = new Attributes();
        cooked.setLocalFlags(EnumSet.of(LocalFlag.ICANON, LocalFlag.ECHO, LocalFlag.ISIG), true);
        return TerminalBuilder.builder().system(false).type("xterm")
                .streams(keys, screen).attributes(cooked).build();
    }

    @Test
    void keystrokesReachTheGuestAndEscapesRun() throws Exception {
        byte[] keys = "root\r\u0003\u0001\u0001\u0001b\u0001h\u0001x"
                .getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        CountDownLatch quit = new CountDownLatch(1);
        AtomicInteger monitors = new AtomicInteger();
        Receiver rx = new Receiver();
        PipedOutputStream keyboard = new PipedOutputStream();
        try (Terminal t = terminal(new PipedInputStream(keyboard), screen)) {
            TerminalBackend backend =
                    new TerminalBackend(t, false, quit::countDown, monitors::incrementAndGet);
            backend.connect(rx);                // raw mode before the user types
            keyboard.write(keys);
            keyboard.flush();
            assertTrue(quit.await(10, TimeUnit.SECONDS), "Ctrl-A x quits");
            // The terminal copies the pty's output to 'screen' on its own thread: wait for the last
            // line (bounded) before closing, or closing the pty may drop what it has not copied yet.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!screen.toString(StandardCharsets.UTF_8).endsWith("vmm: terminated\r\n")
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            backend.close();
            keyboard.close();
        }
        assertEquals("root\r\u0003\u0001#", rx.got.toString(StandardCharsets.ISO_8859_1),
                "Ctrl-C is the guest's, not a signal; C-a C-a is one C-a; C-a b a break");
        assertEquals(1, rx.breaks);
        assertEquals(0, monitors.get());
        String shown = screen.toString(StandardCharsets.UTF_8);
        assertTrue(shown.contains(EscapeFilter.HELP), shown);
        assertTrue(shown.endsWith("vmm: terminated\r\n"), shown);
        assertFalse(shown.contains("root"), "raw mode: no echo");
    }

    @Test
    void guestOutputIsWrittenRawAndTheTerminalIsRestored() throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (Terminal t = terminal(new ByteArrayInputStream(new byte[0]), screen)) {
            TerminalBackend backend = new TerminalBackend(t, false, () -> { }, () -> { });
            backend.connect(new Receiver());
            Attributes raw = t.getAttributes();
            assertFalse(raw.getLocalFlag(LocalFlag.ICANON));
            assertFalse(raw.getLocalFlag(LocalFlag.ECHO));
            assertFalse(raw.getLocalFlag(LocalFlag.ISIG));
            for (int b : new int[] {'o', 'k', '\r', '\n', 0x1B, '[', 'm', 0xE9, 0x00}) {
                backend.write(b);
            }
            t.flush();
            // The terminal copies its output to 'screen' on its own thread: wait for it (bounded).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (screen.size() < 9 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            backend.close();
            backend.write('x');
            Attributes restored = t.getAttributes();
            assertTrue(restored.getLocalFlag(LocalFlag.ICANON));
            assertTrue(restored.getLocalFlag(LocalFlag.ECHO));
            assertTrue(restored.getLocalFlag(LocalFlag.ISIG));
            t.flush();
        }
        assertArrayEquals(new byte[] {'o', 'k', '\r', '\n', 0x1B, '[', 'm', (byte) 0xE9, 0x00},
                screen.toByteArray());
    }
}

package dev.vmm.cli.console;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.BooleanSupplier;
import org.jline.terminal.Terminal;
import org.jline.utils.ClosedException;
import org.jline.utils.NonBlockingInputStream;
import org.slf4j.Logger;

/** The keyboard loop shared by the terminal consoles: terminal bytes into an {@link EscapeFilter}. */
final class TerminalInput {
    /** How long one read waits before the loop checks whether it was closed. */
    static final long POLL_MILLIS = 100;

    private TerminalInput() {
    }

    /**
     * Feeds every byte of {@code terminal}'s input to {@code filter} until the input ends or
     * {@code closed} says to stop. Runs on the caller's (reader) thread.
     */
    static void pump(Terminal terminal, EscapeFilter filter, BooleanSupplier closed, Logger log) {
        InputStream in = terminal.input();
        byte[] one = new byte[1];
        try {
            while (!closed.getAsBoolean()) {
                int c = in instanceof NonBlockingInputStream nb ? nb.read(POLL_MILLIS) : in.read();
                if (c == NonBlockingInputStream.READ_EXPIRED) {
                    continue;
                }
                if (c < 0) {
                    return;
                }
                one[0] = (byte) c;
                filter.feed(one, 0, 1);
            }
        } catch (ClosedException e) {
            log.debug("terminal input closed");
        } catch (IOException e) {
            if (!closed.getAsBoolean()) {
                log.warn("terminal input failed: {}", e.toString());
            }
        }
    }

    /** Waits a little for a console thread to finish (not for the calling thread itself). */
    static void join(Thread t) {
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(java.time.Duration.ofMillis(4 * POLL_MILLIS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Removes the terminal-restoring shutdown hook once the console restored the terminal itself. */
    static void removeShutdownHook(Thread hook) {
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook restores (again, harmlessly)
            }
        }
    }
}

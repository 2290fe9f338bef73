package dev.vmm.cli.console;

import dev.vmm.devices.serial.HostInput;
import dev.vmm.devices.serial.SerialBackend;
import dev.vmm.devices.serial.SerialReceiver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A serial port on the user's terminal, like QEMU's {@code -serial mon:stdio}.
 *
 * <p>On {@link #connect} the terminal goes into raw mode, with signals off too, so Ctrl-C and
 * Ctrl-Z reach the guest; a reader thread passes keystrokes through the {@link EscapeFilter}
 * (Ctrl-A x quits, Ctrl-A c the monitor, Ctrl-A b break, Ctrl-A h help, Ctrl-A Ctrl-A a literal
 * Ctrl-A) and on to the UART with flow control ({@link HostInput}). Guest output is written to
 * the terminal's byte stream untranslated; the terminal's own output processing (ONLCR) stays as
 * it was, as in QEMU, so guests that send bare LF do not staircase. {@link #close()} restores
 * the terminal's attributes, and so does a shutdown hook if the JVM exits first.
 */
public final class TerminalBackend implements SerialBackend {
    private static final Logger log = LoggerFactory.getLogger(TerminalBackend.class);

    private final Terminal terminal;
    private final boolean ownsTerminal;
    private final Runnable onQuit;
    private final Runnable onMonitor;
    private final HostInput input = new HostInput(HostInput.DEFAULT_CAPACITY);
    private final OutputStream out;
    private final Object outLock = new Object();
    private final EscapeFilter filter;
    private volatile boolean closed;
    private boolean outputFailed;
    /** Guest output that came while the monitor had the terminal (null while it has not); guarded by outLock. */
    private java.io.ByteArrayOutputStream held;
    private Attributes saved;
    private Thread reader;
    private Thread shutdownHook;

    /**
     * @param terminal the terminal to use
     * @param ownsTerminal close the terminal on {@link #close()}
     * @param onQuit runs (on the reader thread) when the user types Ctrl-A x
     * @param onMonitor runs (on the reader thread) when the user types Ctrl-A c
     */
    public TerminalBackend(Terminal terminal, boolean ownsTerminal, Runnable onQuit,
                           Runnable onMonitor) {
        this.terminal = terminal;
        this.ownsTerminal = ownsTerminal;
        this.onQuit = onQuit;
        this.onMonitor = onMonitor;
        this.out = terminal.output();
        this.filter = new EscapeFilter(new Commands());
    }

    /** A backend on the process's own terminal. */
    public static TerminalBackend system(Runnable onQuit, Runnable onMonitor) throws IOException {
        Terminal t = TerminalBuilder.builder().name("vmm serial").system(true).build();
        return new TerminalBackend(t, true, onQuit, onMonitor);
    }

    /** Most guest output kept while the monitor has the terminal; output beyond it is dropped. */
    static final int HOLD_LIMIT = 1 << 20;

    /** The terminal (the monitor reads its lines from it while the reader thread runs it). */
    public Terminal terminal() {
        return terminal;
    }

    /** The flow-control queue between the keyboard and the UART. */
    public HostInput input() {
        return input;
    }

    private final class Commands implements EscapeFilter.Target {
        @Override
        public void toGuest(byte[] data, int off, int len) {
            input.offer(data, off, len);
        }

        @Override
        public void quit() {
            message("vmm: terminated\r\n");
            onQuit.run();
        }

        /** The monitor runs on this (the reader) thread; guest output waits for it, up to {@link #HOLD_LIMIT}. */
        @Override
        public void monitor() {
            synchronized (outLock) {
                held = new java.io.ByteArrayOutputStream();
            }
            try {
                onMonitor.run();
            } finally {
                synchronized (outLock) {
                    byte[] b = held.toByteArray();
                    held = null;
                    try {
                        out.write(b);
                        out.flush();
                    } catch (IOException e) {
                        log.debug("terminal output: {}", e.toString());
                    }
                }
            }
        }

        @Override
        public void help() {
            message("\r\n" + EscapeFilter.HELP);
        }

        @Override
        public void sendBreak() {
            input.sendBreak();
        }
    }

    @Override
    public void connect(SerialReceiver receiver) {
        input.connect(receiver);
        synchronized (this) {
            if (closed) {
                return;
            }
            saved = terminal.enterRawMode();
            Attributes raw = terminal.getAttributes();
            raw.setLocalFlag(LocalFlag.ISIG, false);
            raw.setInputFlag(InputFlag.ISTRIP, false);
            terminal.setAttributes(raw);
            shutdownHook = new Thread(this::restoreTerminal, "vmm-terminal-restore");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            reader = new Thread(this::readLoop, "vmm-serial-terminal");
            reader.setDaemon(true);
            reader.start();
        }
    }

    private void readLoop() {
        TerminalInput.pump(terminal, filter, () -> closed, log);
    }

    /** Waits until the reader thread ends (end of the terminal's input, or close). */
    public boolean awaitInputEnd(Duration timeout) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = reader;
        }
        return t == null || t.join(timeout);
    }

    @Override
    public void write(int b) {
        synchronized (outLock) {
            if (closed || outputFailed) {
                return;
            }
            if (held != null) {
                if (held.size() < HOLD_LIMIT) {
                    held.write(b);
                }
                return;
            }
            try {
                out.write(b);
                out.flush();
            } catch (IOException e) {
                outputFailed = true;
                log.warn("terminal output failed, dropping further output: {}", e.toString());
            }
        }
    }

    private void message(String s) {
        synchronized (outLock) {
            try {
                out.write(s.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                log.debug("terminal message: {}", e.toString());
            }
        }
    }

    private synchronized void restoreTerminal() {
        if (saved != null) {
            terminal.setAttributes(saved);
            terminal.flush();
            saved = null;
        }
    }

    @Override
    public void close() {
        Thread t;
        Thread hook;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = reader;
            hook = shutdownHook;
        }
        TerminalInput.join(t);
        restoreTerminal();
        TerminalInput.removeShutdownHook(hook);
        if (ownsTerminal) {
            try {
                terminal.close();
            } catch (IOException e) {
                log.debug("closing the terminal: {}", e.toString());
            }
        }
    }
}

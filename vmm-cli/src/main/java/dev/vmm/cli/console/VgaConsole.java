package dev.vmm.cli.console;

import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ps2.UsKeyboardLayout;
import dev.vmm.devices.vga.AnsiTextRenderer;
import dev.vmm.devices.vga.TextSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VGA text screen on the user's terminal, for runs whose serial port is not the terminal: a
 * timer thread draws the screen of the current board with an {@link AnsiTextRenderer} (a full
 * frame, then changed cells) about 20 times a second, and a reader thread types keystrokes on the
 * board's PS/2 keyboard through {@link UsKeyboardLayout}: printable ASCII, Enter, Tab, Backspace
 * (DEL or BS) and Esc. Escape sequences of other keys (arrows, function keys) arrive as Esc and
 * their characters. Ctrl-A x quits and Ctrl-A c opens the monitor, as on the serial console
 * ({@link EscapeFilter}): the painter stops drawing, the terminal is cleared for the prompt, and
 * when the monitor is left the screen is drawn again in full.
 */
public final class VgaConsole implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(VgaConsole.class);
    private static final long FRAME_MILLIS = 50;
    private static final String CSI = "\u001b[";

    private final Terminal terminal;
    private final Supplier<PcBoard> board;
    private final Runnable onQuit;
    private final Runnable monitor;
    private final AnsiTextRenderer renderer;
    private final EscapeFilter filter;
    private final Object outLock = new Object();
    private volatile boolean closed;
    /** While the monitor has the terminal nothing is drawn; guarded by this. */
    private boolean monitorActive;
    private Attributes saved;
    private Thread painter;
    private Thread reader;
    private Thread shutdownHook;

    private VgaConsole(Terminal terminal, Supplier<PcBoard> board, Runnable onQuit,
                       Function<Terminal, Runnable> monitor) {
        this.terminal = terminal;
        this.board = board;
        this.onQuit = onQuit;
        this.monitor = monitor == null ? null : monitor.apply(terminal);
        String ct = System.getenv("COLORTERM");
        this.renderer = new AnsiTextRenderer(ct != null && (ct.contains("truecolor") || ct.contains("24bit"))
                ? AnsiTextRenderer.Colours.TRUECOLOR : AnsiTextRenderer.Colours.ANSI256);
        this.filter = new EscapeFilter(new Keys());
    }

    /** Whether the process has an interactive terminal to draw on. */
    public static boolean available() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** Takes over the process's terminal: raw mode, painter and reader threads; no monitor. */
    public static VgaConsole start(Supplier<PcBoard> board, Runnable onQuit) throws IOException {
        return start(board, onQuit, null);
    }

    /**
     * Takes over the process's terminal: raw mode, painter and reader threads.
     *
     * @param monitor makes the monitor shown on a terminal (Ctrl-A c runs it on the reader thread);
     *                null: Ctrl-A c does nothing
     */
    public static VgaConsole start(Supplier<PcBoard> board, Runnable onQuit, Function<Terminal, Runnable> monitor)
            throws IOException {
        Terminal t = TerminalBuilder.builder().name("vmm vga").system(true).build();
        return on(t, board, onQuit, monitor);
    }

    /** The console on {@code t} (tests: a terminal over streams), started; closing it closes {@code t}. */
    public static VgaConsole on(Terminal t, Supplier<PcBoard> board, Runnable onQuit,
                                Function<Terminal, Runnable> monitor) {
        VgaConsole v = new VgaConsole(t, board, onQuit, monitor);
        v.begin();
        return v;
    }

    private synchronized void begin() {
        saved = terminal.enterRawMode();
        Attributes raw = terminal.getAttributes();
        raw.setLocalFlag(LocalFlag.ISIG, false);
        raw.setInputFlag(InputFlag.ISTRIP, false);
        terminal.setAttributes(raw);
        shutdownHook = new Thread(this::restoreTerminal, "vmm-vga-restore");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        painter = new Thread(this::paintLoop, "vmm-vga-painter");
        painter.setDaemon(true);
        painter.start();
        reader = new Thread(this::readLoop, "vmm-vga-keyboard");
        reader.setDaemon(true);
        reader.start();
    }

    private void paintLoop() {
        try {
            while (!closed) {
                paint();
                Thread.sleep(FRAME_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Draws the current board's screen now (the renderer sends only what changed). */
    public synchronized void paint() {
        PcBoard b = board.get();
        if (b == null || monitorActive) {
            return;
        }
        TextSnapshot s = b.vga().textScreen();
        String frame = renderer.update(s);
        if (!frame.isEmpty()) {
            write(frame);
        }
    }

    private void write(String s) {
        synchronized (outLock) {
            try {
                OutputStream out = terminal.output();
                out.write(s.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                log.debug("terminal output: {}", e.toString());
            }
        }
    }

    private final class Keys implements EscapeFilter.Target {
        @Override
        public void toGuest(byte[] data, int off, int len) {
            PcBoard b = board.get();
            if (b == null) {
                return;
            }
            for (int i = off; i < off + len; i++) {
                char c = (char) (data[i] & 0xFF);
                if (c == 0x7F) {
                    c = '\b';
                }
                if (!UsKeyboardLayout.canType(c)) {
                    continue;
                }
                for (int[] event : UsKeyboardLayout.type(String.valueOf(c))) {
                    b.keyboardController().keyboard().pressScancodeSet2(event);
                }
            }
        }

        @Override
        public void quit() {
            onQuit.run();
        }

        /** Runs the monitor on this (the reader) thread; the screen is not drawn meanwhile, and fully after. */
        @Override
        public void monitor() {
            if (monitor == null) {
                return;
            }
            synchronized (VgaConsole.this) {          // waits for a frame being drawn
                monitorActive = true;
            }
            write(CSI + "0m" + CSI + "2J" + CSI + "H" + CSI + "?25h");
            try {
                monitor.run();
            } finally {
                synchronized (VgaConsole.this) {
                    monitorActive = false;
                    renderer.invalidate();
                }
                paint();
            }
        }

        @Override
        public void help() {
            // the screen belongs to the guest: no help text over it
        }

        @Override
        public void sendBreak() {
            // no serial line to break
        }
    }

    private void readLoop() {
        TerminalInput.pump(terminal, filter, () -> closed, log);
    }

    private void restoreTerminal() {
        synchronized (outLock) {
            if (saved != null) {
                write(CSI + "0m" + CSI + "?25h\r\n");
                terminal.setAttributes(saved);
                terminal.flush();
                saved = null;
            }
        }
    }

    /** Draws the last frame, stops the threads and restores the terminal. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        TerminalInput.join(painter);
        TerminalInput.join(reader);
        restoreTerminal();
        TerminalInput.removeShutdownHook(shutdownHook);
        try {
            terminal.close();
        } catch (IOException e) {
            log.debug("closing the terminal: {}", e.toString());
        }
    }
}

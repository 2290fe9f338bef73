package dev.vmm.cli;

import dev.vmm.cli.console.TerminalBackend;
import dev.vmm.cli.console.VgaConsole;
import dev.vmm.cli.monitor.RunMonitor;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.serial.FileBackend;
import dev.vmm.devices.serial.NullBackend;
import dev.vmm.devices.serial.SerialBackend;
import dev.vmm.devices.serial.SerialReceiver;
import dev.vmm.devices.vga.Screenshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.jline.terminal.Terminal;

/**
 * What {@code vmm run} and {@code vmm restore} share: the serial console on the terminal with its
 * monitor, the VGA console, and the loop that runs boards until the guest ends, rebooting on a
 * guest reset, saving at {@code --save-at} and stopping at {@code --stop-at}.
 */
final class BoardSession {
    /** Where the boards come from, and how the running one is saved. */
    interface Machine {
        /**
         * The board to run: the first one (booted or restored), or after a guest reset a fresh one;
         * null if this machine cannot reboot (the message is printed by the machine).
         */
        PcBoard board(boolean first, PrintWriter err) throws RunCommand.BadInput;

        /** Saves {@code board} (stopped at an instruction boundary) to {@code file}; returns what to tell the user. */
        String save(PcBoard board, Path file) throws IOException;
    }

    /** {@code --save-at N:FILE}. */
    record SaveAt(long instructions, Path file) {
        static SaveAt parse(String text) throws RunCommand.BadInput {
            int colon = text.indexOf(':');
            long n = -1;
            if (colon > 0) {
                try {
                    n = Long.parseLong(text.substring(0, colon).replace("_", ""));
                } catch (NumberFormatException e) {
                    n = -1;
                }
            }
            if (n <= 0 || colon == text.length() - 1) {
                throw new RunCommand.BadInput("--save-at must be N:FILE with N a positive number of instructions, not '"
                        + text + "'");
            }
            return new SaveAt(n, Path.of(text.substring(colon + 1)));
        }
    }

    private final String serial;
    private final Long stopAt;
    private final SaveAt saveAt;
    private final boolean ramHash;
    private final Path screenshot;
    private Terminal terminal;
    private volatile boolean quit;
    private volatile PcBoard current;
    private VgaConsole vga;
    private volatile Machine machine;

    private BoardSession(String serial, Long stopAt, SaveAt saveAt, boolean ramHash, Path screenshot) {
        this.serial = serial;
        this.stopAt = stopAt;
        this.saveAt = saveAt;
        this.ramHash = ramHash;
        this.screenshot = screenshot;
    }

    /** A session from the options {@code vmm run} and {@code vmm restore} share; bad values are refused. */
    static BoardSession of(String serial, Long stopAt, String saveAt, boolean ramHash, Path screenshot)
            throws RunCommand.BadInput {
        if (stopAt != null && stopAt <= 0) {
            throw new RunCommand.BadInput("--stop-at must be a positive number of instructions, not " + stopAt);
        }
        return new BoardSession(serial, stopAt, saveAt == null ? null : SaveAt.parse(saveAt), ramHash, screenshot);
    }

    /** What a command that boots or restores a VM does, given where to report and what to close at the end. */
    interface Body {
        int run(PrintWriter err, List<AutoCloseable> resources) throws RunCommand.BadInput;
    }

    /**
     * Runs a command's {@code body}: a refusal is one line on stderr and status 2; the resources the body
     * opened are closed in reverse order, whatever happens.
     */
    static int runCommand(String command, PrintWriter err, Body body) {
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            return body.run(err, resources);
        } catch (RunCommand.BadInput e) {
            err.println(command + ": " + e.getMessage());
            return RunCommand.EXIT_BAD_INPUT;
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    err.println(command + ": closing " + resources.get(i) + ": " + e.getMessage());
                }
            }
            err.flush();
        }
    }

    /** Tests: the terminal that {@code --serial stdio} uses instead of the process's own. */
    void onTerminal(Terminal t) {
        this.terminal = t;
    }

    /** The board now running (null between boards). */
    PcBoard current() {
        return current;
    }

    /** COM1's backend from {@code --serial}; the monitor's {@code savevm} saves through {@code machine}. */
    SerialBackend serialBackend(List<AutoCloseable> resources, Machine m) throws RunCommand.BadInput {
        this.machine = m;
        SerialBackend backend;
        if (serial.equals("none")) {
            backend = new NullBackend();
        } else if (serial.startsWith("file:") && serial.length() > 5) {
            try {
                backend = new FileBackend(Path.of(serial.substring(5)), false);
            } catch (IOException e) {
                throw new RunCommand.BadInput("--serial " + serial + ": " + e.getMessage());
            }
        } else if (serial.equals("stdio")) {
            TerminalBackend t;
            RunMonitor monitor = new RunMonitor(() -> current, this::quit, this::saveFromMonitor);
            try {
                t = terminal != null ? new TerminalBackend(terminal, false, this::quit, monitor)
                        : TerminalBackend.system(this::quit, monitor);
            } catch (IOException e) {
                throw new RunCommand.BadInput("--serial stdio: no terminal: " + e.getMessage());
            }
            monitor.attach(t);
            backend = new Reconnecting(t);
        } else {
            throw new RunCommand.BadInput("--serial must be stdio, none or file:PATH, not '" + serial + "'");
        }
        resources.add(backend);
        return backend;
    }

    /** The monitor's {@code savevm} (the monitor holds the vCPU meanwhile). */
    private String saveFromMonitor(PcBoard b, Path file) throws IOException {
        return machine.save(b, file);
    }

    /** With a serial console other than the terminal, the VGA screen goes on the terminal. */
    void startVga(List<AutoCloseable> resources) throws RunCommand.BadInput {
        if (!serial.equals("stdio") && VgaConsole.available()) {
            try {
                vga = VgaConsole.start(() -> current, this::quit, t -> {
                    RunMonitor m = new RunMonitor(() -> current, this::quit, this::saveFromMonitor);
                    m.attach(t);
                    return m;
                });
            } catch (IOException e) {
                throw new RunCommand.BadInput("cannot show the VGA screen on this terminal: " + e.getMessage());
            }
            resources.add(vga);
        }
    }

    /** Runs the machine's boards until the guest ends; returns the exit status. */
    int run(PrintWriter err, Machine m) throws RunCommand.BadInput {
        this.machine = m;
        boolean first = true;
        while (true) {
            PcBoard board = m.board(first, err);
            if (board == null) {
                return 0;
            }
            try (board) {
                first = false;
                current = board;
                if (quit) {
                    return 0;
                }
                PcBoard.Exit exit = runOne(err, board, m);
                if (vga != null) {
                    vga.paint();
                }
                current = null;
                if (exit.kind() == PcBoard.ExitKind.RESET) {
                    if (quit) {
                        return 0;
                    }
                    continue;
                }
                return finish(err, board, exit);
            }
        }
    }

    /** One board's run, with the save of {@code --save-at} on the way. */
    private PcBoard.Exit runOne(PrintWriter err, PcBoard board, Machine m) {
        long end = stopAt != null ? stopAt : Long.MAX_VALUE;
        if (saveAt != null && board.cpu().instructionCount() < saveAt.instructions()
                && saveAt.instructions() <= end) {
            PcBoard.Exit e = board.runTo(saveAt.instructions());
            if (e.kind() != PcBoard.ExitKind.LIMIT) {
                err.println("vmm: the guest ended before instruction " + saveAt.instructions() + " (--save-at): "
                        + "nothing saved");
                return e;
            }
            try {
                err.println("vmm: " + m.save(board, saveAt.file()));
            } catch (IOException | RuntimeException e2) {
                err.println("vmm: --save-at: saving " + saveAt.file() + " failed: " + e2.getMessage());
            }
            err.flush();
        }
        return board.runTo(end);
    }

    private int finish(PrintWriter err, PcBoard board, PcBoard.Exit exit) {
        writeScreenshot(err, board);
        if (vga != null) {
            vga.close();            // the terminal back to normal before any message
        }
        if (ramHash) {
            err.println("vmm: RAM SHA-256 " + ramSha256(board.memory().ram()) + " at instruction "
                    + board.cpu().instructionCount());
        }
        switch (exit.kind()) {
            case POWER_OFF, STOPPED -> {
                return 0;
            }
            case DEBUG_EXIT -> {
                return exit.status();
            }
            case SHUTDOWN -> {
                err.println("vmm: guest triple fault; CPU state:");
                err.println(board.cpu());
                return RunCommand.EXIT_TRIPLE_FAULT;
            }
            case HALTED -> {
                err.println("vmm: guest halted with interrupts disabled");
                return RunCommand.EXIT_HALTED;
            }
            case LIMIT -> {
                err.println("vmm: stopped after " + stopAt + " instructions (--stop-at)");
                return 0;
            }
            default -> throw new IllegalStateException("unexpected exit " + exit);
        }
    }

    /** The SHA-256 of guest RAM, hexadecimal (to compare two runs). */
    static String ramSha256(MemorySegment ram) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        for (long at = 0; at < ram.byteSize(); at += buf.length) {
            int n = (int) Math.min(buf.length, ram.byteSize() - at);
            MemorySegment.copy(ram, ValueLayout.JAVA_BYTE, at, buf, 0, n);
            sha.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private void writeScreenshot(PrintWriter err, PcBoard board) {
        if (screenshot == null) {
            return;
        }
        try {
            Screenshot.writePng(board.vga().textScreen(), screenshot);
        } catch (IOException e) {
            err.println("vmm: writing the screenshot " + screenshot + ": " + e.getMessage());
        }
    }

    /** Ctrl-A x: ends the run from the terminal thread. */
    void quit() {
        quit = true;
        PcBoard b = current;
        if (b != null) {
            b.requestStop();
        }
    }

    /** The UART connects its backend once per board; the terminal enters raw mode only for the first board. */
    private static final class Reconnecting implements SerialBackend {
        private final TerminalBackend terminal;
        private boolean connected;

        Reconnecting(TerminalBackend terminal) {
            this.terminal = terminal;
        }

        @Override
        public void write(int b) {
            terminal.write(b);
        }

        @Override
        public synchronized void connect(SerialReceiver receiver) {
            if (connected) {
                terminal.input().connect(receiver);
            } else {
                connected = true;
                terminal.connect(receiver);
            }
        }

        @Override
        public void close() {
            terminal.close();
        }
    }
}

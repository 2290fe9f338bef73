package dev.vmm.cli.monitor;

import dev.vmm.cli.console.TerminalBackend;
import dev.vmm.devices.board.PcBoard;
import java.util.function.Supplier;
import org.jline.terminal.Terminal;

/**
 * The monitor of {@code vmm run}: Ctrl-A c on the serial console, or on the VGA console
 * ({@link dev.vmm.cli.console.VgaConsole}), calls {@link #run()} on the terminal's reader thread,
 * which shows the {@code (vmm)} prompt until Ctrl-A c again (guest output waits meanwhile, see
 * {@link TerminalBackend}; the VGA console stops drawing and redraws the screen after). History is
 * kept across visits.
 */
public final class RunMonitor implements Runnable {
    private final MonitorCommands commands;
    private final Runnable quit;
    private volatile Terminal terminal;
    private MonitorConsole console;

    /**
     * @param current the board now running (null between boards)
     * @param quit    ends the run (as Ctrl-A x)
     */
    public RunMonitor(Supplier<PcBoard> current, Runnable quit) {
        this(current, quit, null);
    }

    /** @param saver saves the running board for {@code savevm} (null: not possible) */
    public RunMonitor(Supplier<PcBoard> current, Runnable quit, RunTarget.Saver saver) {
        this.commands = new MonitorCommands(new RunTarget("vmm run", current, quit, saver));
        this.quit = quit;
    }

    /** The terminal backend whose Ctrl-A c calls {@link #run()}. */
    public void attach(TerminalBackend terminal) {
        this.terminal = terminal.terminal();
    }

    /** The terminal the prompt is shown on (the VGA console's). */
    public void attach(Terminal t) {
        this.terminal = t;
    }

    @Override
    public void run() {
        Terminal t = terminal;
        if (t == null) {
            return;
        }
        if (console == null) {
            console = new MonitorConsole(t, commands::execute, quit);
        }
        console.run();
    }
}

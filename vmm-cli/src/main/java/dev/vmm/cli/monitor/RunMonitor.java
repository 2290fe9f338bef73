package dev.vmm.cli.monitor;

import dev.vmm.cli.console.TerminalBackend;
import dev.vmm.devices.board.PcBoard;
import java.util.function.Supplier;

/**
 * The monitor of {@code vmm run}: Ctrl-A c on the serial console calls {@link #run()} on the
 * terminal's reader thread, which shows the {@code (vmm)} prompt until Ctrl-A c again (guest output
 * waits meanwhile, see {@link TerminalBackend}). History is kept across visits.
 */
public final class RunMonitor implements Runnable {
    private final MonitorCommands commands;
    private final Runnable quit;
    private volatile TerminalBackend backend;
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
        this.backend = terminal;
    }

    @Override
    public void run() {
        TerminalBackend b = backend;
        if (b == null) {
            return;
        }
        if (console == null) {
            console = new MonitorConsole(b.terminal(), commands::execute, quit);
        }
        console.run();
    }
}

package dev.vmm.cli.monitor;

import dev.vmm.devices.board.PcBoard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The monitor's target in {@code vmm run}: the board that runs on the command's own thread. Stop
 * and continue hold the vCPU in its {@linkplain dev.vmm.devices.board.VcpuGate gate}; a reset ends
 * the board's run with a reset, after which the command builds a fresh board (which starts running).
 */
public final class RunTarget implements MonitorTarget {
    private final String name;
    private final Supplier<PcBoard> current;
    private final Runnable quit;
    private final Saver saver;

    /** How {@code vmm run} saves its board, called with the vCPU held (see {@link MonitorTarget#saveVm}). */
    @FunctionalInterface
    public interface Saver {
        String save(PcBoard board, Path file) throws IOException;
    }

    /**
     * @param current the board now running (null between boards)
     * @param quit    ends the run (as Ctrl-A x does)
     */
    public RunTarget(String name, Supplier<PcBoard> current, Runnable quit) {
        this(name, current, quit, null);
    }

    /** @param saver saves the board for {@code savevm} (null: it cannot be saved) */
    public RunTarget(String name, Supplier<PcBoard> current, Runnable quit, Saver saver) {
        this.name = name;
        this.current = current;
        this.quit = quit;
        this.saver = saver;
    }

    @Override
    public String saveVm(Path file) throws IOException {
        PcBoard b = board();
        if (saver == null || b == null) {
            return MonitorTarget.super.saveVm(file);
        }
        try {
            return b.gate().call(() -> {       // the vCPU held at an instruction boundary meanwhile
                try {
                    return saver.save(b, file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public PcBoard board() {
        return current.get();
    }

    @Override
    public boolean paused() {
        PcBoard b = board();
        return b != null && b.gate().paused();
    }

    @Override
    public void pause() {
        PcBoard b = board();
        if (b != null) {
            b.gate().pause();
        }
    }

    @Override
    public void resume() {
        PcBoard b = board();
        if (b != null) {
            b.gate().resume();
        }
    }

    @Override
    public void reset() {
        PcBoard b = board();
        if (b != null) {
            b.requestReset();
        }
    }

    @Override
    public void quit() {
        quit.run();
    }
}

package dev.vmm.cli.monitor;

import dev.vmm.devices.board.PcBoard;
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

    /**
     * @param current the board now running (null between boards)
     * @param quit    ends the run (as Ctrl-A x does)
     */
    public RunTarget(String name, Supplier<PcBoard> current, Runnable quit) {
        this.name = name;
        this.current = current;
        this.quit = quit;
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

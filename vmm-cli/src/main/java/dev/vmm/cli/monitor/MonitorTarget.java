package dev.vmm.cli.monitor;

import dev.vmm.devices.board.PcBoard;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The VM a monitor works on: its current board and the controls that differ between a standalone
 * {@code vmm run} (the board runs on the command's thread) and a VM of a host (the board runs in
 * the host's scheduler). Every method may be called from the monitor's thread while the guest runs.
 */
public interface MonitorTarget {
    /** The VM's name, for messages. */
    String name();

    /** The board now running (a reboot replaces it), or null between boards. */
    PcBoard board();

    /** Whether the guest is stopped by the monitor ({@code stop}) or the host. */
    boolean paused();

    /** Stops the guest at an instruction boundary until {@link #resume()}. */
    void pause();

    void resume();

    /** Resets the machine (a reboot); a paused machine runs again. */
    void reset();

    /** Presses the ACPI power button: a guest with ACPI shuts down cleanly. */
    default void powerDown() {
        PcBoard b = board();
        if (b != null) {
            b.acpi().pressPowerButton();
        }
    }

    /**
     * Saves the VM to the snapshot {@code file} at an instruction boundary; the VM goes on running.
     * Returns what to tell the user.
     */
    default String saveVm(Path file) throws IOException {
        throw new IOException("this VM cannot be saved from here");
    }

    /** Ends the VM at once (QEMU's {@code quit}). */
    void quit();
}

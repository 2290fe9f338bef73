package dev.vmm.cli.host;

import dev.vmm.cli.monitor.MonitorTarget;
import dev.vmm.cli.monitor.RunTarget;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.board.VmHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The monitor's target for a VM of a host: {@code stop}/{@code cont} pause and resume its
 * scheduler task (no worker thread waits), {@code quit} stops the VM, {@code system_reset} reboots it.
 */
final class HostedTarget implements MonitorTarget {
    private final VmHost host;
    private final String name;
    private final RunTarget.Saver saver;

    HostedTarget(VmHost host, String name) {
        this(host, name, null);
    }

    /** @param saver saves the VM's board for {@code savevm} (null: it cannot be saved) */
    HostedTarget(VmHost host, String name, RunTarget.Saver saver) {
        this.host = host;
        this.name = name;
        this.saver = saver;
    }

    /** Pauses the VM (if it runs), saves it with the vCPU held, and lets it run again. */
    @Override
    public String saveVm(Path file) throws IOException {
        PcBoard b = board();
        if (saver == null || b == null) {
            return MonitorTarget.super.saveVm(file);
        }
        boolean running = !paused();
        if (running) {
            host.pause(name);
        }
        try {
            return b.gate().call(() -> {
                try {
                    return saver.save(b, file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            if (running) {
                host.resume(name);
            }
        }
    }

    private VmHost.VmInfo info() {
        return host.info(name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public PcBoard board() {
        VmHost.State s = info().state();
        return s == VmHost.State.STOPPED ? null : host.vm(name).board();
    }

    @Override
    public boolean paused() {
        return info().state() == VmHost.State.PAUSED;
    }

    @Override
    public void pause() {
        host.pause(name);
    }

    @Override
    public void resume() {
        host.resume(name);
    }

    @Override
    public void reset() {
        host.vm(name).reset();
    }

    @Override
    public void quit() {
        host.stop(name);
    }
}

package dev.vmm.cli.host;

import dev.vmm.cli.monitor.MonitorTarget;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.board.VmHost;

/**
 * The monitor's target for a VM of a host: {@code stop}/{@code cont} pause and resume its
 * scheduler task (no worker thread waits), {@code quit} stops the VM, {@code system_reset} reboots it.
 */
final class HostedTarget implements MonitorTarget {
    private final VmHost host;
    private final String name;

    HostedTarget(VmHost host, String name) {
        this.host = host;
        this.name = name;
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

package dev.vmm.devices.pci;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * A test-only PCI function: BAR0 = 32 I/O ports, BAR1 = 4 KiB of memory, BAR2 = 1 MiB of
 * prefetchable memory, INTA#. It records every BAR callback as "barN 0xBASE on|off" and claims
 * its I/O window on the port bus, as a real device does (so overlapping windows are refused).
 */
final class TestFunction extends PciFunction {
    static final int VENDOR = 0x1234;
    static final int DEVICE = 0x5678;

    final List<String> events = new ArrayList<>();
    private final PioBus io;
    private final String name;

    TestFunction(PioBus io, String name) {
        super(new PciConfigSpace(VENDOR, DEVICE, 0x020000, 0x01)
                .setSubsystem(0x1AF4, 0x0001)
                .setInterruptPin(1)
                .defineIoBar(0, 32)
                .defineMemoryBar(1, 0x1000, false)
                .defineMemoryBar(2, 0x10_0000, true));
        this.io = io;
        this.name = name;
    }

    @Override
    protected void onBarChanged(int bar, long base, boolean enabled) {
        if (bar == 0) {
            if (enabled) {
                io.register((int) base, 32, name, new PortIoDevice() { });
            } else {
                io.unregister((int) base, 32);
            }
        }
        events.add("bar" + bar + " 0x" + Long.toHexString(base) + (enabled ? " on" : " off"));
    }

    void interrupt(boolean level) {
        setIntx(level);
    }

    List<String> takeEvents() {
        List<String> copy = List.copyOf(events);
        events.clear();
        return copy;
    }
}

package dev.vmm.devices.ide;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.core.persist.Persist;

/**
 * The PIIX IDE function: two channels at the legacy compatibility addresses (primary 1F0h-1F7h +
 * 3F6h on IRQ14, secondary 170h-177h + 376h on IRQ15) and the 16 bus-master ports (primary at
 * +0..7, secondary at +8..15) wherever PCI BAR4 puts them.
 *
 * <p>The PCI function (config space, BAR4, command register) lives elsewhere; it calls
 * {@link #setBusMasterBase(int)} whenever BAR4 or I/O decoding changes, including after it
 * restores a snapshot: the base is PCI state, not part of {@link State}.
 */
public final class IdeController implements Persist<IdeController.State> {
    public static final int PRIMARY_BASE = 0x1F0;
    public static final int PRIMARY_CONTROL = 0x3F6;
    public static final int SECONDARY_BASE = 0x170;
    public static final int SECONDARY_CONTROL = 0x376;
    public static final int BUS_MASTER_PORTS = 16;

    /** Both channels. */
    public record State(IdeChannel.State primary, IdeChannel.State secondary) {
    }

    private final IdeChannel[] channels;
    private final PortIoDevice busMasterPorts = new PortIoDevice() {
        @Override
        public int ioRead(int port, int size) {
            return busMasterRead(port - busMasterBase, size);
        }

        @Override
        public void ioWrite(int port, int size, int value) {
            busMasterWrite(port - busMasterBase, size, value);
        }
    };
    private PioBus bus;
    private volatile int busMasterBase = -1;

    public IdeController(PhysicalMemory memory, IrqLine irq14, IrqLine irq15) {
        channels = new IdeChannel[] {
            new IdeChannel("ide0", PRIMARY_BASE, PRIMARY_CONTROL, irq14, memory),
            new IdeChannel("ide1", SECONDARY_BASE, SECONDARY_CONTROL, irq15, memory),
        };
    }

    /** Channel 0 (primary) or 1 (secondary). */
    public IdeChannel channel(int n) {
        return channels[n];
    }

    /** Puts {@code drive} on {@code channel} (0, 1) as {@code unit} (0 master, 1 slave). */
    public void connect(int channel, int unit, IdeDrive drive) {
        channels[channel].connect(unit, drive);
    }

    /** Claims the legacy ports of both channels (and the bus-master ports if already placed). */
    public synchronized void attach(PioBus bus) {
        if (this.bus != null) {
            throw new IllegalStateException("IDE controller is already attached");
        }
        this.bus = bus;
        for (IdeChannel c : channels) {
            bus.register(c.commandBase(), 8, c.name(), c);
            bus.register(c.controlPort(), 1, c.name() + "-control", c);
        }
        if (busMasterBase >= 0) {
            bus.register(busMasterBase, BUS_MASTER_PORTS, "ide-busmaster", busMasterPorts);
        }
    }

    /**
     * Moves the 16 bus-master ports to {@code ioBase} (BAR4 without its flag bits; the low four
     * bits are ignored). 0 or a negative value unmaps them (BAR unassigned or I/O decoding off).
     */
    public synchronized void setBusMasterBase(int ioBase) {
        int base = ioBase <= 0 ? -1 : ioBase & 0xFFF0;
        if (base == busMasterBase) {
            return;
        }
        if (bus != null && busMasterBase >= 0) {
            bus.unregister(busMasterBase, BUS_MASTER_PORTS);
        }
        if (bus != null && base >= 0) {
            bus.register(base, BUS_MASTER_PORTS, "ide-busmaster", busMasterPorts);
        }
        busMasterBase = base;
    }

    /** The bus-master port base, or -1 while unmapped. */
    public int busMasterBase() {
        return busMasterBase;
    }

    /** Reads {@code size} bytes at {@code offset} (0-15) of the bus-master block. */
    public int busMasterRead(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            int o = offset + i;
            int b = o >= 0 && o < BUS_MASTER_PORTS ? channels[o >> 3].busMasterRead(o & 7) : 0xFF;
            v |= b << (8 * i);
        }
        return v;
    }

    /** Writes {@code size} bytes at {@code offset} (0-15) of the bus-master block, low first. */
    public void busMasterWrite(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            int o = offset + i;
            if (o >= 0 && o < BUS_MASTER_PORTS) {
                channels[o >> 3].busMasterWrite(o & 7, value >>> (8 * i));
            }
        }
    }

    @Override
    public State save() {
        return new State(channels[0].save(), channels[1].save());
    }

    @Override
    public void restore(State s) {
        channels[0].restore(s.primary());
        channels[1].restore(s.secondary());
    }
}

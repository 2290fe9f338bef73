package dev.vmm.devices.pic;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.irq.InterruptSource;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;

/**
 * The PC/AT pair of 8259A controllers: master at 0x20/0x21, slave at 0xA0/0xA1 with its INT
 * wired to the master's IR2, and the PIIX edge/level control registers (ELCR) at 0x4D0/0x4D1.
 *
 * <p>{@link #irq(int)} hands out the ISA lines IRQ0-15. IRQ2 does not exist on the AT bus (IR2
 * carries the cascade); as on the AT, a device on IRQ2 is redirected to IRQ9. The CPU sees the
 * master's INT through {@link #intrPending()} and runs the acknowledge cycle with
 * {@link #acknowledge()}. When nothing is pending at acknowledge time, the chip that was asked
 * answers with its IR7 vector (spurious IRQ7, or IRQ15 on the slave, where the master still puts
 * IR2 in service, as the real pair does, so the handler must EOI the master).
 *
 * <p>Thread safety: every entry point is synchronized, so devices on host threads may drive
 * their lines while the vCPU thread acknowledges.
 */
public final class DualPic implements PortIoDevice, InterruptSource, Persist<DualPic.State> {
    /** The cascade input of the master. */
    public static final int CASCADE_IR = 2;
    /** ELCR1: IRQ0, 1 and 2 are edge only. ELCR2: IRQ8 and IRQ13 are edge only (PIIX/PIIX3). */
    private static final int ELCR1_WRITABLE = 0xF8;
    private static final int ELCR2_WRITABLE = 0xDE;

    /** The state of the pair. */
    public record State(Pic8259.State master, Pic8259.State slave) {
    }

    private final Pic8259 master;
    private final Pic8259 slave;
    private final IrqLine[] lines = new IrqLine[16];
    private Runnable intrListener;
    private Runnable changeListener = () -> { };

    public DualPic() {
        master = new Pic8259(true, ELCR1_WRITABLE, this::masterOutput);
        slave = new Pic8259(false, ELCR2_WRITABLE, level -> master.setInput(CASCADE_IR, level));
        for (int n = 0; n < 16; n++) {
            int pin = n == CASCADE_IR ? 9 : n;
            lines[n] = level -> setIrq(pin, level);
        }
    }

    /** Claims 0x20-0x21, 0xA0-0xA1 and 0x4D0-0x4D1 on {@code bus}. */
    public void attach(PioBus bus) {
        bus.register(0x20, 2, "pic-master", this);
        bus.register(0xA0, 2, "pic-slave", this);
        bus.register(0x4D0, 2, "elcr", this);
    }

    /** The ISA interrupt line IRQ{@code n} (0-15). */
    public IrqLine irq(int n) {
        if (n < 0 || n > 15) {
            throw new IllegalArgumentException("no IRQ " + n);
        }
        return lines[n];
    }

    /** Called (on the thread that raised it) each time INTR goes from low to high. */
    public synchronized void setIntrListener(Runnable listener) {
        this.intrListener = listener;
    }

    @Override
    public synchronized boolean onChange(Runnable listener) {
        changeListener = listener;
        return true;
    }

    private synchronized void setIrq(int pin, boolean level) {
        if (pin < 8) {
            master.setInput(pin, level);
        } else {
            slave.setInput(pin - 8, level);
        }
        changeListener.run();
    }

    private void masterOutput(boolean level) {
        Runnable l = intrListener;
        if (level && l != null) {
            l.run();
        }
    }

    @Override
    public synchronized boolean intrPending() {
        return master.output();
    }

    @Override
    public synchronized int acknowledge() {
        int ir = master.highestRequest();
        if (ir < 0) {
            return master.vectorBase() + 7;     // spurious IRQ7: nothing set in service
        }
        boolean cascaded = !master.single() && (master.icw3() & (1 << ir)) != 0;
        if (!cascaded) {
            master.acknowledge(ir);
            return master.vectorBase() + ir;
        }
        int vector = 0xFF;                      // no slave answers this cascade address
        if ((slave.icw3() & 7) == ir) {
            int sir = slave.highestRequest();
            if (sir < 0) {
                vector = slave.vectorBase() + 7; // spurious IRQ15
            } else {
                slave.acknowledge(sir);
                vector = slave.vectorBase() + sir;
            }
        }
        master.acknowledge(ir);
        if (slave.output()) {
            // The slave still requests: the master sees a fresh edge on its cascade input.
            master.setInput(CASCADE_IR, false);
            master.setInput(CASCADE_IR, true);
        }
        return vector;
    }

    @Override
    public synchronized int ioRead(int port, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= readByte(port + i) << (8 * i);
        }
        return v;
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        for (int i = 0; i < size; i++) {
            writeByte(port + i, (value >>> (8 * i)) & 0xFF);
        }
        changeListener.run();     // an unmask, EOI or new initialisation may raise INTR
    }

    private int readByte(int port) {
        return switch (port) {
            case 0x20, 0x21 -> master.ioRead(port, 1);
            case 0xA0, 0xA1 -> slave.ioRead(port, 1);
            case 0x4D0 -> master.elcr();
            case 0x4D1 -> slave.elcr();
            default -> 0xFF;
        };
    }

    private void writeByte(int port, int value) {
        switch (port) {
            case 0x20, 0x21 -> master.ioWrite(port, 1, value);
            case 0xA0, 0xA1 -> slave.ioWrite(port, 1, value);
            case 0x4D0 -> master.setElcr(value);
            case 0x4D1 -> slave.setElcr(value);
            default -> { }
        }
    }

    /** The master chip (for the board and for inspection). */
    public Pic8259 master() {
        return master;
    }

    /** The slave chip. */
    public Pic8259 slave() {
        return slave;
    }

    @Override
    public synchronized State save() {
        return new State(master.save(), slave.save());
    }

    @Override
    public synchronized void restore(State s) {
        master.restore(s.master());
        slave.restore(s.slave());
        changeListener.run();
    }
}

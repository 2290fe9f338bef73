package dev.vmm.devices.ps2;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.persist.Persist;
import java.util.function.Consumer;

/**
 * System control port A (0x92, "fast A20 and reset", PS/2 and PIIX): bit 1 asks for A20, bit 0
 * resets the processor when it goes from 0 to 1 (so software must write 0 before the next
 * reset, as on the PIIX). All bits read back as written (bit 3, the power-on password lock,
 * and bits 6-7, the disk activity light, are stored only). Power-on value 0x00.
 *
 * <p>Thread safety: the vCPU thread is the only user; entry points are synchronized anyway.
 */
public final class Port92 implements PortIoDevice, Persist<Port92.State> {
    public static final int PORT = 0x92;
    public static final int FAST_RESET = 0x01;
    public static final int FAST_A20 = 0x02;

    /** The register as last written. */
    public record State(int value) {
    }

    private final Consumer<Boolean> a20;
    private final Runnable reset;
    private int value;

    /**
     * @param a20 told each time bit 1 changes (usually {@code A20Gate::setFromPort92})
     * @param reset called on each 0-to-1 transition of bit 0
     */
    public Port92(Consumer<Boolean> a20, Runnable reset) {
        this.a20 = a20;
        this.reset = reset;
    }

    /** Claims port 0x92 on {@code bus}. */
    public void attach(PioBus bus) {
        bus.register(PORT, 1, "port92", this);
    }

    @Override
    public synchronized int ioRead(int port, int size) {
        return size == 1 ? value : value | (size == 4 ? 0xFFFF_FF00 : 0xFF00);
    }

    @Override
    public synchronized void ioWrite(int port, int size, int v) {
        v &= 0xFF;
        int old = value;
        value = v;
        if (((old ^ v) & FAST_A20) != 0) {
            a20.accept((v & FAST_A20) != 0);
        }
        if ((old & FAST_RESET) == 0 && (v & FAST_RESET) != 0) {
            reset.run();
        }
    }

    /** Power-on: 0x00, which withdraws this port's A20 request. */
    public synchronized void powerOn() {
        if ((value & FAST_A20) != 0) {
            a20.accept(false);
        }
        value = 0;
    }

    /** Whether this port asks for A20. */
    public synchronized boolean a20() {
        return (value & FAST_A20) != 0;
    }

    @Override
    public synchronized State save() {
        return new State(value);
    }

    /** Restores the register; the A20 consumer is not told (the A20Gate restores its own). */
    @Override
    public synchronized void restore(State s) {
        value = s.value() & 0xFF;
    }
}

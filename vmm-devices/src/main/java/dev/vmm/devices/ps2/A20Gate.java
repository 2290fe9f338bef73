package dev.vmm.devices.ps2;

import dev.vmm.core.persist.Persist;
import java.util.function.Consumer;

/**
 * The A20 gate of the PC board: address line 20 is enabled when the keyboard controller's
 * output port (bit 1) or the fast A20 bit of port 0x92 asks for it, as the chipset ORs the two.
 * The CPU side ({@link #connect}) hears only the changes of the OR.
 *
 * <p>Power-on: the keyboard controller asks for A20 (its output port starts as 0xCF, as on
 * QEMU's board, which SeaBIOS relies on), port 0x92 does not, so the gate starts enabled, which
 * is also the CPU's reset state.
 */
public final class A20Gate implements Persist<A20Gate.State> {
    /** The two requests. */
    public record State(boolean fromI8042, boolean fromPort92) {
    }

    private Consumer<Boolean> cpu;
    private boolean fromI8042 = true;
    private boolean fromPort92;

    /** A gate whose output goes nowhere until {@link #connect}. */
    public A20Gate() {
        this(enabled -> { });
    }

    public A20Gate(Consumer<Boolean> cpu) {
        this.cpu = cpu;
    }

    /** Connects the CPU side and tells it the current level. */
    public synchronized void connect(Consumer<Boolean> cpuSide) {
        this.cpu = cpuSide;
        cpuSide.accept(enabled());
    }

    /** The keyboard controller's request (pass {@code gate::setFromI8042} to the I8042). */
    public synchronized void setFromI8042(boolean on) {
        boolean was = enabled();
        fromI8042 = on;
        changed(was);
    }

    /** Port 0x92's request (pass {@code gate::setFromPort92} to Port92). */
    public synchronized void setFromPort92(boolean on) {
        boolean was = enabled();
        fromPort92 = on;
        changed(was);
    }

    /** Whether A20 is enabled. */
    public synchronized boolean enabled() {
        return fromI8042 || fromPort92;
    }

    private void changed(boolean was) {
        boolean now = enabled();
        if (now != was) {
            cpu.accept(now);
        }
    }

    @Override
    public synchronized State save() {
        return new State(fromI8042, fromPort92);
    }

    /** Restores the requests; the CPU side is not told (the CPU restores its own A20 mask). */
    @Override
    public synchronized void restore(State s) {
        fromI8042 = s.fromI8042();
        fromPort92 = s.fromPort92();
    }
}

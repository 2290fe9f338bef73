package dev.vmm.devices.pci;

import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;

/**
 * A level-triggered interrupt wire shared by several devices (wired-OR): the output is asserted
 * while any input is. Each device gets its own input from {@link #newInput()}, so one device
 * lowering its request leaves the wire asserted while another still drives it. The output is
 * driven only when the OR changes.
 *
 * <p>Inputs are numbered in the order they are handed out; a machine built by the same recipe
 * gets the same numbering, which is what the saved state relies on. Up to 64 inputs.
 *
 * <p>Thread safety: inputs may be driven from any thread.
 */
public final class SharedIrqLine implements Persist<SharedIrqLine.State> {
    /** Bit n = input n is asserted. */
    public record State(long levels) {
    }

    private final IrqLine output;
    private int inputs;
    private volatile long levels;

    public SharedIrqLine(IrqLine output) {
        this.output = output;
    }

    /** A new input of the wire. */
    public synchronized IrqLine newInput() {
        if (inputs == 64) {
            throw new IllegalStateException("a shared IRQ line takes at most 64 inputs");
        }
        long mask = 1L << inputs++;
        return level -> set(mask, level);
    }

    private synchronized void set(long mask, boolean level) {
        long old = levels;
        long now = level ? old | mask : old & ~mask;
        if (now != old) {
            levels = now;
            if ((old == 0) != (now == 0)) {
                output.set(now != 0);
            }
        }
    }

    /** True while any input is asserted. */
    public boolean level() {
        return levels != 0;
    }

    /** How many inputs were handed out. */
    public synchronized int inputCount() {
        return inputs;
    }

    @Override
    public State save() {
        return new State(levels);
    }

    /** Restores the input levels; the output is not driven (its receiver restores its own state). */
    @Override
    public synchronized void restore(State s) {
        long valid = inputs == 64 ? -1L : (1L << inputs) - 1;
        if ((s.levels() & ~valid) != 0) {
            throw new IllegalArgumentException("shared IRQ state names inputs this line lacks: 0x"
                    + Long.toHexString(s.levels()));
        }
        levels = s.levels();
    }
}

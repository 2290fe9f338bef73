package dev.vmm.devices.pci;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;

/**
 * The PC's numeric-coprocessor error logic, which the PIIX3 keeps from the AT (82371SB datasheet, "Coprocessor
 * error", FERR#/IGNNE#): the processor's FERR# output, asserted when a waiting x87 instruction finds an unmasked
 * exception pending while CR0.NE is clear, latches IRQ13; a write of any value to I/O port F0h clears the latch
 * (IRQ13 falls) and asserts IGNNE#, so that the processor ignores the error and the handler's FNCLEX or FNINIT
 * can run. The CPU model carries on past a pending error by itself (see {@code FpuStateOps.x87Pending}), so
 * IGNNE# needs no wire here.
 *
 * <p>The latch is set on the low-to-high edge of FERR#: while FERR# stays asserted (the handler wrote F0h but left
 * the exception pending) further waiting instructions raise no new interrupt, as on the hardware with IGNNE#
 * asserted. Reads of port F0h float high.
 *
 * <p>Thread safety: the vCPU thread is the only user; entry points are synchronized anyway.
 */
public final class FerrLatch implements PortIoDevice, Persist<FerrLatch.State> {
    /** The "clear coprocessor error" port. */
    public static final int PORT = 0xF0;

    /**
     * @param ferr    the level of FERR#
     * @param latched IRQ13 is latched (asserted)
     */
    public record State(boolean ferr, boolean latched) {
    }

    private final IrqLine irq13;
    private boolean ferr;
    private boolean latched;

    /** @param irq13 the ISA IRQ13 input this logic drives */
    public FerrLatch(IrqLine irq13) {
        this.irq13 = irq13;
    }

    /** Claims port F0h on {@code bus}. */
    public void attach(PioBus bus) {
        bus.register(PORT, 1, "ferr", this);
    }

    /** The FERR# input, to connect to the processor ({@code Cpu.setFerr}). */
    public IrqLine ferrInput() {
        return this::setFerr;
    }

    private synchronized void setFerr(boolean level) {
        if (level && !ferr) {
            latched = true;
            irq13.raise();
        }
        ferr = level;
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        if (latched) {
            latched = false;
            irq13.lower();
        }
    }

    /** Whether IRQ13 is latched. */
    public synchronized boolean latched() {
        return latched;
    }

    @Override
    public synchronized State save() {
        return new State(ferr, latched);
    }

    /** Restores the latch and drives IRQ13 to match it. */
    @Override
    public synchronized void restore(State s) {
        ferr = s.ferr();
        latched = s.latched();
        irq13.set(latched);
    }
}

package dev.vmm.devices.pci;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Function 0 of the Intel 82371SB PIIX3 (00:01.0, 8086:7000, class 0601, multi-function): the
 * PCI-to-ISA bridge's PCI interrupt router and the reset control register.
 *
 * <p>PIRQ routing: the four PCI interrupt wires PIRQA#-PIRQD# are {@link SharedIrqLine}s (a
 * wire is asserted while any device on it asserts); {@link #pirq(int)} hands out an input of
 * one, {@link #intx(int, int)} the input a device's INTx pin is wired to. PIRQRC[A:D]
 * (0x60-0x63, reset 0x80) route each wire to an ISA IRQ: bit 7 set disables the route, bits 3:0
 * name IRQ 3-7, 9-12, 14 or 15 (values 0-2, 8 and 13 are reserved and route nowhere); bits 6:4
 * read 0. The ISA IRQ line (from the board's {@code isaIrq} provider) is asserted while any
 * wire routed to it is; the ELCR that makes the PIC level triggered for it is in the PIC
 * (0x4D0/0x4D1). If an ISA device shares an IRQ with a PIRQ route, the board's provider must
 * hand out an input of a shared line, not the PIC pin itself.
 *
 * <p>Board wiring (as on QEMU's i440FX board and in SeaBIOS's tables): INTA# of device d is on
 * PIRQ[(d - 1) & 3], INTB# on the next wire, and so on; with the pin register's numbering (1 =
 * INTA#) that is PIRQ[(d + pin - 2) & 3].
 *
 * <p>Reset control (I/O port 0xCF9, byte register, reset 00h): bit 1 SRST picks a hard (1) or
 * soft (0) reset; a 0-to-1 transition of bit 2 RCPU starts it, through the injected
 * {@code resetRequest} (the board performs a full system reset in both cases and then resets
 * this bridge, which clears the register). Bits 7:3 and 0 read 0. Wider accesses see the register
 * in their low byte.
 *
 * <p>The other PIIX3 function-0 registers (ISA clock and recovery timers, X-bus chip select, top
 * of memory, motherboard IRQ and DMA routing, APIC base, SMI registers) hold their power-on
 * values and read back what the BIOS writes; they have no effect: the board's ISA devices are
 * always decoded, and SMM is not modelled.
 */
public final class Piix3IsaBridge extends PciFunction implements PortIoDevice, Persist<Piix3IsaBridge.State> {
    public static final int VENDOR_INTEL = 0x8086;
    public static final int DEVICE_ID = 0x7000;
    public static final int PIRQRC = 0x60;
    public static final int PIRQ_DISABLED = 0x80;
    public static final int RESET_CONTROL_PORT = 0xCF9;
    public static final int RC_SRST = 0x02;
    public static final int RC_RCPU = 0x04;
    /** ISA IRQs a PIRQ may be routed to: 3-7, 9-12, 14, 15. */
    private static final int ROUTABLE_IRQS = 0xDEF8;

    /** Reset control and the input levels of the four PIRQ wires (routing is in the config space). */
    public record State(int resetControl, List<SharedIrqLine.State> pirqs) {
        public State {
            pirqs = List.copyOf(pirqs);
        }
    }

    private final IntFunction<IrqLine> isaIrq;
    private final Runnable resetRequest;
    private final SharedIrqLine[] pirqs = new SharedIrqLine[4];
    private final IrqLine[] isaLines = new IrqLine[16];
    private final boolean[] driven = new boolean[16];
    private int resetControl;

    /**
     * @param isaIrq the board's ISA interrupt lines, by IRQ number
     * @param resetRequest asked for a system reset when RCPU goes from 0 to 1
     */
    public Piix3IsaBridge(IntFunction<IrqLine> isaIrq, Runnable resetRequest) {
        super(configSpace());
        this.isaIrq = isaIrq;
        this.resetRequest = resetRequest;
        for (int n = 0; n < 4; n++) {
            pirqs[n] = new SharedIrqLine(level -> route(true));
        }
    }

    private static PciConfigSpace configSpace() {
        PciConfigSpace c = new PciConfigSpace(VENDOR_INTEL, DEVICE_ID, 0x060100, 0x00)
                .setMultiFunction()
                .defineRegister(PciConfigSpace.COMMAND, 2, 0x0007, 0x0008)   // I/O, memory, master hardwired
                .defineRegister(PciConfigSpace.STATUS, 2, PciConfigSpace.STS_DEVSEL_MEDIUM, 0)
                .defineWriteOneToClear(PciConfigSpace.STATUS, 2, 0x3800)    // RMA, RTA, STA
                .defineRegister(PciConfigSpace.CACHE_LINE_SIZE, 1, 0, 0)
                .defineRegister(PciConfigSpace.LATENCY_TIMER, 1, 0, 0)
                .defineRegister(PciConfigSpace.INTERRUPT_LINE, 1, 0, 0)
                .defineRegister(0x4C, 1, 0x4D, 0xFF)      // IORT (the rest of 0x40-0xFF: plain RW)
                .defineRegister(0x4E, 2, 0x0003, 0xFFFF)  // XBCS
                .defineRegister(0x69, 1, 0x02, 0xFF)      // TOM
                .defineRegister(0x70, 1, 0x80, 0xFF)      // MBIRQ0
                .defineRegister(0x76, 2, 0x0C0C, 0xFFFF)  // MBDMA0-1
                .defineRegister(0x78, 2, 0x0002, 0xFFFF)  // PCSC
                .defineRegister(0xA0, 1, 0x08, 0xFF)      // SMICNTL
                .defineRegister(0xA8, 1, 0x0F, 0xFF);     // FTMR
        for (int n = 0; n < 4; n++) {
            c.defineRegister(PIRQRC + n, 1, PIRQ_DISABLED, 0x8F);
        }
        return c;
    }

    /** Claims the reset control register at 0xCF9. */
    public void attach(PioBus io) {
        io.register(RESET_CONTROL_PORT, 1, "piix3-reset-control", this);
    }

    /** A new input of PCI interrupt wire PIRQ{@code n} (0-3 = A-D). */
    public IrqLine pirq(int n) {
        return pirqs[n].newInput();
    }

    /** The input a device's interrupt pin is wired to: PIRQ[(device + pin - 2) & 3]. */
    public IrqLine intx(int device, int pin) {
        if (pin < 1 || pin > 4) {
            throw new IllegalArgumentException("interrupt pin " + pin);
        }
        return pirq(pirqOf(device, pin));
    }

    /** The PIRQ wire (0-3) that INTx pin {@code pin} (1 = INTA#) of {@code device} is wired to. */
    public static int pirqOf(int device, int pin) {
        return (device + pin - 2) & 3;
    }

    /** True while some device asserts PIRQ{@code n}. */
    public boolean pirqLevel(int n) {
        return pirqs[n].level();
    }

    /** The ISA IRQ PIRQ{@code n} is routed to, or -1. */
    public synchronized int routedIrq(int n) {
        return decodeRoute(config().get8(PIRQRC + n));
    }

    private static int decodeRoute(int reg) {
        int irq = reg & 0x0F;
        return (reg & PIRQ_DISABLED) == 0 && (ROUTABLE_IRQS >>> irq & 1) != 0 ? irq : -1;
    }

    /** Recomputes the ISA IRQ levels from the wires and the routes; drives the ones that changed. */
    private synchronized void route(boolean drive) {
        int want = 0;
        for (int n = 0; n < 4; n++) {
            int irq = decodeRoute(config().get8(PIRQRC + n));
            if (irq >= 0 && pirqs[n].level()) {
                want |= 1 << irq;
            }
        }
        for (int pass = 0; pass < 2; pass++) {          // lower first, then raise: a re-route moves the level
            boolean raise = pass == 1;
            for (int irq = 0; irq < 16; irq++) {
                boolean level = (want >>> irq & 1) != 0;
                if (level != driven[irq] && level == raise) {
                    driven[irq] = level;
                    if (drive) {
                        isaLine(irq).set(level);
                    }
                }
            }
        }
    }

    private IrqLine isaLine(int irq) {
        IrqLine l = isaLines[irq];
        if (l == null) {
            l = isaIrq.apply(irq);
            isaLines[irq] = l;
        }
        return l;
    }

    @Override
    protected void configWritten(int offset, int size) {
        if (overlaps(offset, size, PIRQRC, 4)) {
            route(true);
        }
    }

    @Override
    protected void configRestored() {
        route(false);
    }

    // ---- reset control, port 0xCF9 ----------------------------------------------------------

    @Override
    public synchronized int ioRead(int port, int size) {
        return size == 1 ? resetControl : resetControl | (-1 << 8) & (size == 4 ? -1 : 0xFFFF);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        boolean start;
        synchronized (this) {
            int now = value & (RC_SRST | RC_RCPU);
            start = (resetControl & RC_RCPU) == 0 && (now & RC_RCPU) != 0;
            resetControl = now;
        }
        if (start) {
            resetRequest.run();
        }
    }

    /** The reset control register. */
    public synchronized int resetControl() {
        return resetControl;
    }

    @Override
    public synchronized void reset() {
        super.reset();
        resetControl = 0;
        route(true);
    }

    // ---- snapshots --------------------------------------------------------------------------

    @Override
    public State save() {
        List<SharedIrqLine.State> levels = new ArrayList<>();
        for (SharedIrqLine p : pirqs) {
            levels.add(p.save());
        }
        synchronized (this) {
            return new State(resetControl, levels);
        }
    }

    /**
     * Restores the reset control register and the wire levels. The ISA lines are not driven: the
     * PIC restores its own input levels.
     */
    @Override
    public void restore(State s) {
        if (s.pirqs().size() != 4) {
            throw new IllegalArgumentException("PIIX3 state has " + s.pirqs().size() + " PIRQ wires");
        }
        for (int n = 0; n < 4; n++) {
            pirqs[n].restore(s.pirqs().get(n));
        }
        synchronized (this) {
            resetControl = s.resetControl() & (RC_SRST | RC_RCPU);
            route(false);
        }
    }
}

package dev.vmm.devices.pic;

import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.persist.Persist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Intel 8259A programmable interrupt controller, in 8086 mode.
 *
 * <p>The chip has two ports: A0=0 (ICW1, OCW2, OCW3; reads IRR, ISR or the poll byte) and A0=1
 * (ICW2-ICW4, OCW1; reads IMR). {@code ioRead}/{@code ioWrite} decode A0 from bit 0 of the
 * port number, so the chip can sit at 0x20/0x21 or 0xA0/0xA1. Interrupt inputs arrive through
 * {@link #setInput}; the INT output goes to the {@link Output} given to the constructor. The
 * interrupt acknowledge cycle (cascading included) is run by {@link DualPic}, which uses
 * {@link #highestRequest()} and {@link #acknowledge(int)}.
 *
 * <p>Trigger mode: an input is level-triggered when ICW1.LTIM is set or its ELCR bit is set,
 * edge-triggered otherwise. Edge: a rising edge on the input sets the IRR bit, which stays set
 * until the request is acknowledged (lowering the input does not withdraw it, so a device may
 * pulse its line). Level: the IRR bit follows the input.
 *
 * <p>Not modelled: MCS-80/85 mode (ICW4.uPM = 0 and ICW1.IC4 = 0 still behave as 8086 mode,
 * as on every PC chipset) and buffered mode (ICW4.BUF and M/S are stored and read back only).
 */
public final class Pic8259 implements PortIoDevice, Persist<Pic8259.State> {
    private static final Logger log = LoggerFactory.getLogger(Pic8259.class);

    /** The chip's INT output pin. */
    @FunctionalInterface
    public interface Output {
        void set(boolean level);
    }

    /**
     * The chip's architectural state.
     *
     * @param irr interrupt request register
     * @param isr in-service register
     * @param imr interrupt mask register (OCW1)
     * @param inputs the levels of the IR0-IR7 input pins
     * @param elcr edge/level control bits (1 = level)
     * @param lowestPriority the IR level with the lowest priority (7 after ICW1; moved by rotation)
     * @param initStep 0 = operational, 2/3/4 = expecting ICW2/ICW3/ICW4
     * @param icw1 the last ICW1 (IC4, SNGL, ADI, LTIM bits)
     * @param vectorBase T7-T3 of ICW2 (vector of IR0)
     * @param icw3 master: IR levels with a slave; slave: its ID
     * @param icw4 the last ICW4 (uPM, AEOI, M/S, BUF, SFNM), 0 when ICW1 asked for none
     * @param readIsr OCW3 RIS: command-port reads return ISR instead of IRR
     * @param poll OCW3 P: the next command-port read is a poll
     * @param specialMask OCW3 special mask mode
     * @param rotateInAutoEoi OCW2 rotate-in-automatic-EOI mode
     * @param output the level currently driven on INT
     */
    public record State(int irr, int isr, int imr, int inputs, int elcr, int lowestPriority,
                        int initStep, int icw1, int vectorBase, int icw3, int icw4, boolean readIsr,
                        boolean poll, boolean specialMask, boolean rotateInAutoEoi, boolean output) {
    }

    private final boolean master;
    private final int elcrWritable;
    private final Output out;

    private int irr;
    private int isr;
    private int imr;
    private int inputs;
    private int elcr;
    private int lowestPriority = 7;
    private int initStep;
    private int icw1;
    private int vectorBase;
    private int icw3;
    private int icw4;
    private boolean readIsr;
    private boolean poll;
    private boolean specialMask;
    private boolean rotateInAutoEoi;
    private boolean output;
    private long ignoredWrites;

    /**
     * @param master true for the master chip (relevant to special fully nested mode)
     * @param elcrWritable the ELCR bits that may be set (IRQ0-2 and IRQ8/13 are edge-only on PIIX)
     * @param out the INT output pin
     */
    public Pic8259(boolean master, int elcrWritable, Output out) {
        this.master = master;
        this.elcrWritable = elcrWritable & 0xFF;
        this.out = out;
    }

    /** Drives input pin {@code ir} (0-7) to {@code level}. */
    public void setInput(int ir, boolean level) {
        int bit = 1 << ir;
        boolean was = (inputs & bit) != 0;
        if (level) {
            inputs |= bit;
            if (levelTriggered(bit) || !was) {
                irr |= bit;
            }
        } else {
            inputs &= ~bit;
            if (levelTriggered(bit)) {
                irr &= ~bit;
            }
        }
        update();
    }

    private boolean levelTriggered(int bit) {
        return (icw1 & 0x08) != 0 || (elcr & bit) != 0;
    }

    /** The INT output level. */
    public boolean output() {
        return output;
    }

    /** The vector base programmed by ICW2. */
    public int vectorBase() {
        return vectorBase;
    }

    /** ICW3: on a master the IR levels that have a slave, on a slave its ID. */
    public int icw3() {
        return icw3;
    }

    /** True when ICW1 selected single mode (no cascade). */
    public boolean single() {
        return (icw1 & 0x02) != 0;
    }

    public int elcr() {
        return elcr;
    }

    /** Writes the edge/level control register; bits that are edge-only stay 0. */
    public void setElcr(int value) {
        elcr = value & elcrWritable;
        for (int ir = 0; ir < 8; ir++) {
            int bit = 1 << ir;
            if (levelTriggered(bit)) {
                irr = (irr & ~bit) | (inputs & bit);
            }
        }
        update();
    }

    /**
     * The IR level that would interrupt the CPU now (not masked, and of higher priority than every
     * level in service), or -1.
     */
    public int highestRequest() {
        int pending = irr & ~imr;
        int p = priorityOf(pending);
        if (p == 8) {
            return -1;
        }
        int inService = isr;
        if (specialMask) {
            inService &= ~imr;
        }
        int current = priorityOf(inService);
        int ir = levelAt(p);
        boolean sfnmCascade = master && (icw4 & 0x10) != 0 && (icw3 & (1 << ir)) != 0;
        if (p < current || (sfnmCascade && p == current)) {
            return ir;
        }
        return -1;
    }

    /** Rank (0 = highest) of the highest-priority set bit of {@code mask}, 8 when none. */
    private int priorityOf(int mask) {
        if ((mask & 0xFF) == 0) {
            return 8;
        }
        int p = 0;
        while ((mask & (1 << levelAt(p))) == 0) {
            p++;
        }
        return p;
    }

    private int levelAt(int rank) {
        return (rank + lowestPriority + 1) & 7;
    }

    /**
     * The chip's part of the acknowledge cycle for level {@code ir}: sets the ISR bit (or, in
     * automatic EOI mode, rotates if asked) and clears the request.
     */
    public void acknowledge(int ir) {
        int bit = 1 << ir;
        if ((icw4 & 0x02) != 0) {
            if (rotateInAutoEoi) {
                lowestPriority = ir;
            }
        } else {
            isr |= bit;
        }
        irr &= ~bit;
        if (levelTriggered(bit)) {
            irr |= inputs & bit;
        }
        update();
    }

    @Override
    public int ioRead(int port, int size) {
        if ((port & 1) != 0) {
            return imr;
        }
        if (poll) {
            poll = false;
            int ir = highestRequest();
            if (ir < 0) {
                return 0;
            }
            acknowledge(ir);
            return 0x80 | ir;
        }
        return readIsr ? isr : irr;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        value &= 0xFF;
        if ((port & 1) == 0) {
            if ((value & 0x10) != 0) {
                icw1(value);
            } else if ((value & 0x08) != 0) {
                ocw3(value);
            } else {
                ocw2(value);
            }
        } else {
            dataWrite(value);
        }
    }

    private void icw1(int value) {
        icw1 = value & 0x0F;
        initStep = 2;
        imr = 0;
        isr = 0;
        icw4 = 0;
        icw3 = 0;
        lowestPriority = 7;
        readIsr = false;
        poll = false;
        specialMask = false;
        rotateInAutoEoi = false;
        // The edge sense latches are reset: an edge input needs a new rising edge.
        irr = 0;
        for (int ir = 0; ir < 8; ir++) {
            int bit = 1 << ir;
            if (levelTriggered(bit)) {
                irr |= inputs & bit;
            }
        }
        if ((value & 0x01) == 0) {
            notice("ICW1 without ICW4 (MCS-80/85 mode); 8086 mode kept");
        }
        update();
    }

    private void dataWrite(int value) {
        switch (initStep) {
            case 2 -> {
                vectorBase = value & 0xF8;
                initStep = single() ? ((icw1 & 1) != 0 ? 4 : 0) : 3;
            }
            case 3 -> {
                icw3 = value;
                initStep = (icw1 & 1) != 0 ? 4 : 0;
            }
            case 4 -> {
                icw4 = value & 0x1F;
                initStep = 0;
                if ((value & 0x01) == 0) {
                    notice("ICW4 selects MCS-80/85 mode; 8086 mode kept");
                }
            }
            default -> imr = value;
        }
        update();
    }

    private void ocw2(int value) {
        int level = value & 7;
        switch (value >> 5) {
            case 0 -> rotateInAutoEoi = false;          // clear rotate in automatic EOI mode
            case 4 -> rotateInAutoEoi = true;           // set rotate in automatic EOI mode
            case 1, 5 -> {                              // non-specific EOI (and rotate)
                int p = priorityOf(isr);
                if (p != 8) {
                    int ir = levelAt(p);
                    isr &= ~(1 << ir);
                    if (value >> 5 == 5) {
                        lowestPriority = ir;
                    }
                }
            }
            case 3 -> isr &= ~(1 << level);            // specific EOI
            case 7 -> {                                 // rotate on specific EOI
                isr &= ~(1 << level);
                lowestPriority = level;
            }
            case 6 -> lowestPriority = level;           // set priority
            default -> { }                              // 010: no operation
        }
        update();
    }

    private void ocw3(int value) {
        if ((value & 0x40) != 0) {
            specialMask = (value & 0x20) != 0;
        }
        if ((value & 0x02) != 0) {
            readIsr = (value & 0x01) != 0;
        }
        poll = (value & 0x04) != 0;
        update();
    }

    private void update() {
        boolean level = initStep == 0 && highestRequest() >= 0;
        if (level != output) {
            output = level;
            out.set(level);
        }
    }

    private void notice(String what) {
        if (ignoredWrites++ == 0) {
            log.warn("8259 {}: {}", master ? "master" : "slave", what);
        }
    }

    @Override
    public State save() {
        return new State(irr, isr, imr, inputs, elcr, lowestPriority, initStep, icw1, vectorBase,
                icw3, icw4, readIsr, poll, specialMask, rotateInAutoEoi, output);
    }

    /** Restores the state; the output pin is not driven (the receiver restores its own state). */
    @Override
    public void restore(State s) {
        irr = s.irr() & 0xFF;
        isr = s.isr() & 0xFF;
        imr = s.imr() & 0xFF;
        inputs = s.inputs() & 0xFF;
        elcr = s.elcr() & elcrWritable;
        lowestPriority = s.lowestPriority() & 7;
        initStep = s.initStep();
        icw1 = s.icw1() & 0x0F;
        vectorBase = s.vectorBase() & 0xF8;
        icw3 = s.icw3() & 0xFF;
        icw4 = s.icw4() & 0x1F;
        readIsr = s.readIsr();
        poll = s.poll();
        specialMask = s.specialMask();
        rotateInAutoEoi = s.rotateInAutoEoi();
        output = s.output();
    }
}

package dev.vmm.devices.apic;

import dev.vmm.core.bus.MmioDevice;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.core.persist.Persist;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Intel 82093AA I/O APIC with 24 input pins, at 0xFEC00000: IOREGSEL at offset 0x00 selects a
 * register, IOWIN at 0x10 reads and writes it. Registers: 0x00 ID (bits 27:24), 0x01 version
 * 0x00170011 (24 redirection entries, version 0x11), 0x02 arbitration ID, and 0x10-0x3F the 24
 * 64-bit redirection entries (low dword at 0x10 + 2n, high dword at 0x11 + 2n).
 *
 * <p>Redirection entry: vector (7:0), delivery mode (10:8: fixed, lowest priority, SMI, NMI, INIT,
 * ExtINT), destination mode (11), delivery status (12, always 0: delivery is instantaneous),
 * polarity (13, 1 = active low), remote IRR (14, read-only), trigger mode (15, 1 = level), mask
 * (16), destination (63:56). Entries reset masked.
 *
 * <p>Pins: {@link #pin(int)} takes the electrical level of the pin; polarity decides whether high
 * or low is asserted. The board's lines are active high (true = asserted), so the firmware's MADT
 * and DSDT must declare every pin active high, as QEMU's do; a guest that programs a pin active low
 * sees it asserted while the line is idle, as real hardware would. Edge-triggered: an
 * unasserted-to-asserted transition on an unmasked pin sends one message; edges on a masked pin are
 * lost (82093AA datasheet). Level-triggered (fixed and lowest-priority delivery): while the pin is
 * asserted, unmasked and its remote IRR is clear, a message is sent and remote IRR is set; the
 * local APIC's EOI for the entry's vector ({@link #eoi(int)}) clears remote IRR, and a pin that is
 * still asserted is delivered again. SMI, NMI, INIT and ExtINT messages are edge-like (the
 * datasheet requires edge trigger mode for them).
 *
 * <p>Destination: every message goes to the one local APIC through {@link ApicBus}, whatever the
 * destination field holds (on this one-CPU board any destination a guest programs means the BSP).
 *
 * <p>Thread safety: every entry point is synchronized; devices on host threads may drive pins.
 * Messages are sent under this lock (the local APIC never calls back into it under its own).
 */
public final class IoApic implements MmioDevice, Persist<IoApic.State> {
    private static final Logger log = LoggerFactory.getLogger(IoApic.class);

    public static final long DEFAULT_BASE = 0xFEC0_0000L;
    public static final int SIZE = 0x1000;
    public static final int PINS = 24;
    public static final int VERSION = 0x0017_0011;
    public static final int IOREGSEL = 0x00;
    public static final int IOWIN = 0x10;
    public static final int REG_ID = 0x00;
    public static final int REG_VERSION = 0x01;
    public static final int REG_ARB = 0x02;
    public static final int REG_REDTBL = 0x10;

    public static final long DEST_LOGICAL = 1L << 11;
    public static final long POLARITY_LOW = 1L << 13;
    public static final long REMOTE_IRR = 1L << 14;
    public static final long TRIGGER_LEVEL = 1L << 15;
    public static final long MASKED = 1L << 16;
    private static final long WRITABLE = 0xFF00_0000_0001_AFFFL;

    /**
     * The I/O APIC's state.
     *
     * @param inputs the electrical level of each pin (bit n = pin n)
     * @param redirection the 24 redirection entries
     */
    public record State(int id, int ioregsel, int inputs, List<Long> redirection) {
        public State {
            redirection = List.copyOf(redirection);
        }
    }

    private final ApicBus bus;
    private final long[] redtbl = new long[PINS];
    private final IrqLine[] pins = new IrqLine[PINS];
    private int id;
    private int ioregsel;
    private int inputs;
    private long guestErrors;

    /** @param bus where messages go: the local APIC */
    public IoApic(ApicBus bus) {
        this.bus = bus;
        for (int n = 0; n < PINS; n++) {
            int pin = n;
            pins[n] = level -> setPin(pin, level);
            redtbl[n] = MASKED;
        }
    }

    /** Maps the registers at 0xFEC00000. */
    public void attach(PhysicalMemory memory) {
        memory.addMmio(DEFAULT_BASE, SIZE, "ioapic", this);
    }

    /** Input pin {@code n} (0-23); {@code set(level)} drives its electrical level. */
    public IrqLine pin(int n) {
        if (n < 0 || n >= PINS) {
            throw new IllegalArgumentException("no I/O APIC pin " + n);
        }
        return pins[n];
    }

    /** Redirection entry {@code n} as the guest would read it. */
    public synchronized long entry(int n) {
        return redtbl[n];
    }

    private boolean asserted(int n) {
        return ((inputs >>> n & 1) != 0) != ((redtbl[n] & POLARITY_LOW) != 0);
    }

    private static boolean levelFixed(long e) {
        int mode = (int) (e >> 8 & 7);
        return (e & TRIGGER_LEVEL) != 0
                && (mode == ApicBus.FIXED || mode == ApicBus.LOWEST_PRIORITY);
    }

    private synchronized void setPin(int n, boolean level) {
        boolean was = asserted(n);
        if (level) {
            inputs |= 1 << n;
        } else {
            inputs &= ~(1 << n);
        }
        boolean now = asserted(n);
        if (levelFixed(redtbl[n])) {
            serviceLevel(n);
        } else if (now && !was && (redtbl[n] & MASKED) == 0) {
            send(n);
        }
    }

    /** A level-triggered pin: delivers if asserted, unmasked and not awaiting its EOI. */
    private void serviceLevel(int n) {
        long e = redtbl[n];
        if (asserted(n) && (e & (MASKED | REMOTE_IRR)) == 0) {
            redtbl[n] = e | REMOTE_IRR;
            send(n);
        }
    }

    private void send(int n) {
        long e = redtbl[n];
        bus.deliver((int) (e & 0xFF), (int) (e >> 8 & 7), levelFixed(e), (int) (e >>> 56),
                (e & DEST_LOGICAL) != 0);
    }

    /** The local APIC's EOI broadcast for a level-triggered {@code vector}. */
    public synchronized void eoi(int vector) {
        for (int n = 0; n < PINS; n++) {
            long e = redtbl[n];
            if ((e & 0xFF) == vector && (e & REMOTE_IRR) != 0) {
                redtbl[n] = e & ~REMOTE_IRR;
                if (levelFixed(e)) {
                    serviceLevel(n);
                }
            }
        }
    }

    @Override
    public synchronized long mmioRead(long offset, int size) {
        int off = (int) (offset & 0xFFF);
        long v;
        if (off < 4) {
            v = ioregsel;
        } else if (off >= IOWIN && off < IOWIN + 4) {
            v = readRegister(ioregsel) & 0xFFFF_FFFFL;
        } else {
            return 0;
        }
        v >>>= (off & 3) * 8;
        return size >= 8 ? v : v & ((1L << size * 8) - 1);
    }

    @Override
    public synchronized void mmioWrite(long offset, int size, long value) {
        int off = (int) (offset & 0xFFF);
        if (off == IOREGSEL) {
            ioregsel = (int) value & 0xFF;
        } else if (off == IOWIN && size >= 4) {
            writeRegister(ioregsel, (int) value);
        } else {
            notice("write of " + size + " bytes at offset 0x" + Integer.toHexString(off));
        }
    }

    private int readRegister(int reg) {
        if (reg >= REG_REDTBL && reg < REG_REDTBL + 2 * PINS) {
            long e = redtbl[(reg - REG_REDTBL) >> 1];
            return (reg & 1) == 0 ? (int) e : (int) (e >>> 32);
        }
        return switch (reg) {
            case REG_ID, REG_ARB -> id << 24;
            case REG_VERSION -> VERSION;
            default -> 0;
        };
    }

    private void writeRegister(int reg, int value) {
        if (reg >= REG_REDTBL && reg < REG_REDTBL + 2 * PINS) {
            int n = (reg - REG_REDTBL) >> 1;
            long old = redtbl[n];
            long e = (reg & 1) == 0
                    ? (old & 0xFFFF_FFFF_0000_0000L) | (value & 0xFFFF_FFFFL)
                    : (old & 0xFFFF_FFFFL) | (long) value << 32;
            e = (e & WRITABLE) | (old & REMOTE_IRR);
            if ((e & TRIGGER_LEVEL) == 0) {
                e &= ~REMOTE_IRR;
            }
            redtbl[n] = e;
            if (levelFixed(e)) {
                serviceLevel(n);
            }
        } else if (reg == REG_ID) {
            id = value >>> 24 & 0xF;
        } else {
            notice("write to read-only or absent register 0x" + Integer.toHexString(reg));
        }
    }

    private void notice(String what) {
        if (guestErrors++ == 0) {
            log.warn("I/O APIC: {}", what);
        }
    }

    @Override
    public synchronized State save() {
        List<Long> r = new ArrayList<>(PINS);
        for (long e : redtbl) {
            r.add(e);
        }
        return new State(id, ioregsel, inputs, r);
    }

    /** Restores the state; sends nothing (the local APIC restores its own IRR). */
    @Override
    public synchronized void restore(State s) {
        if (s.redirection().size() != PINS) {
            throw new IllegalArgumentException(
                    "I/O APIC state with " + s.redirection().size() + " pins");
        }
        id = s.id() & 0xF;
        ioregsel = s.ioregsel() & 0xFF;
        inputs = s.inputs() & ((1 << PINS) - 1);
        for (int n = 0; n < PINS; n++) {
            redtbl[n] = s.redirection().get(n) & (WRITABLE | REMOTE_IRR);
        }
    }
}

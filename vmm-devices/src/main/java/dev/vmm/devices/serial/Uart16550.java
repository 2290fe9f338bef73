package dev.vmm.devices.serial;

import static dev.vmm.devices.serial.UartRegisters.FCR_CLEAR_RX;
import static dev.vmm.devices.serial.UartRegisters.FCR_CLEAR_TX;
import static dev.vmm.devices.serial.UartRegisters.FCR_ENABLE;
import static dev.vmm.devices.serial.UartRegisters.IER_MSI;
import static dev.vmm.devices.serial.UartRegisters.IER_RDI;
import static dev.vmm.devices.serial.UartRegisters.IER_RLSI;
import static dev.vmm.devices.serial.UartRegisters.IER_THRI;
import static dev.vmm.devices.serial.UartRegisters.IIR_FIFO_ENABLED;
import static dev.vmm.devices.serial.UartRegisters.IIR_MSI;
import static dev.vmm.devices.serial.UartRegisters.IIR_NO_INT;
import static dev.vmm.devices.serial.UartRegisters.IIR_RDI;
import static dev.vmm.devices.serial.UartRegisters.IIR_RLSI;
import static dev.vmm.devices.serial.UartRegisters.IIR_THRI;
import static dev.vmm.devices.serial.UartRegisters.IIR_TIMEOUT;
import static dev.vmm.devices.serial.UartRegisters.LCR_DLAB;
import static dev.vmm.devices.serial.UartRegisters.LSR_BI;
import static dev.vmm.devices.serial.UartRegisters.LSR_DR;
import static dev.vmm.devices.serial.UartRegisters.LSR_FIFO_ERROR;
import static dev.vmm.devices.serial.UartRegisters.LSR_TEMT;
import static dev.vmm.devices.serial.UartRegisters.LSR_THRE;
import static dev.vmm.devices.serial.UartRegisters.MCR_LOOP;
import static dev.vmm.devices.serial.UartRegisters.MCR_OUT2;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One National Semiconductor PC16550D UART (the "16550A" Linux identifies) at eight consecutive
 * ports, with its interrupt output on an ISA line gated by OUT2 as on PC serial cards.
 *
 * <p>Registers: RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, and the divisor latch under DLAB.
 * Interrupts in the chip's priority order: receiver line status (OE, PE, FE, BI; cleared by
 * reading LSR), received data at the FIFO trigger level (1, 4, 8 or 14) or a character timeout
 * (cleared by reading RBR), THR empty (cleared by reading IIR when it is the reported source, or by
 * writing THR; armed again when the THR empties and when IER.ETBEI goes from 0 to 1, which
 * Linux's UART_BUG_TXEN and UART_BUG_THRE tests check), and modem status (cleared by reading MSR).
 * The IRQ pin is asserted while an enabled interrupt is pending, MCR.OUT2 is set and loopback is
 * off (in loopback the OUT2 pin is inactive, which disconnects the IRQ on a PC).
 *
 * <p>Transmit: a character written to THR goes to the {@link SerialBackend} at once; the line
 * speed is not emulated, so THR and the transmitter are empty again right away (THRE and TEMT
 * stay set) and the THR-empty interrupt follows immediately. In loopback mode the character goes
 * to the receiver instead, and the modem status inputs follow MCR (CTS=RTS, DSR=DTR, RI=OUT1,
 * DCD=OUT2).
 *
 * <p>Receive, two paths. {@link #receive(int)} is a character arriving on the line on the
 * machine's thread (the one that drives the {@link VirtualClock}: loopback, tests, scripted
 * input): in FIFO mode the character-timeout indication comes four character times (at the
 * programmed divisor and frame format) after the last character received or read, on the virtual
 * clock, as the datasheet says. Host backends use {@link SerialReceiver#deliver} from their own
 * threads; those bytes were not paced at the line rate, so the line is idle right after them and
 * the timeout indication is given at once (a host thread never touches the clock). A full FIFO
 * overruns: OE is set and the character is lost (in 16450 mode the holding register is
 * overwritten). {@link HostInput} gives backends flow control so that does not happen to pasted
 * text.
 *
 * <p>The word length, parity and stop bits in LCR set the character time; characters are not
 * cut to the word length (as in QEMU), so a guest that never programs LCR (power-on: 5 bits)
 * still prints.
 *
 * <p>Not modelled: parity/framing errors on the wire (a backend can only send characters and
 * breaks), sending a break (LCR bit 6 is stored), and the DMA mode signals TXRDY/RXRDY (FCR
 * bit 3 is stored).
 *
 * <p>Thread safety: all state is guarded by this object's lock; the backend's {@code write} and
 * the space listener run after the lock is released.
 */
public final class Uart16550 implements PortIoDevice, SerialReceiver, Persist<UartState> {
    private static final Logger log = LoggerFactory.getLogger(Uart16550.class);

    /** The 1.8432 MHz crystal divided by 16. */
    static final int BAUD_BASE = 115_200;
    private static final int[] TRIGGER_LEVELS = {1, 4, 8, 14};
    /** Power-on divisor: 9600 baud (the latch is undefined on the chip). */
    private static final int RESET_DIVISOR = 12;

    private final int base;
    private final VirtualClock clock;
    private final IrqLine irq;
    private final SerialBackend backend;
    private final VirtualClock.Timer timeoutTimer;
    private final RxFifo rx = new RxFifo();
    private final ModemLines modem = new ModemLines();
    private volatile Runnable spaceListener;

    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int divisor = RESET_DIVISOR;
    private int fcr;
    private int rbr;
    private boolean thrPending;
    private boolean timeoutPending;
    private long timeoutDeadline = -1;
    private boolean irqLevel;
    /** Set under the lock when the guest made room in the receiver; consumed after unlocking. */
    private boolean spaceFreed;

    /**
     * @param base the first of the eight ports (see {@link ComPort})
     * @param irq the ISA line the board wires the interrupt output to
     */
    public Uart16550(int base, VirtualClock clock, IrqLine irq, SerialBackend backend) {
        this.base = base;
        this.clock = clock;
        this.irq = irq;
        this.backend = backend;
        this.timeoutTimer = clock.newTimer(this::onTimeout);
    }

    /** Claims the eight ports on {@code bus} and connects the backend's input. */
    public void attach(PioBus bus) {
        bus.register(base, 8, String.format("uart16550@0x%x", base), this);
        backend.connect(this);
    }

    public int base() {
        return base;
    }

    /** Characters lost because the receiver was full. */
    public synchronized long overruns() {
        return rx.overruns();
    }

    // ---- port access -------------------------------------------------------------------

    @Override
    public int ioRead(int port, int size) {
        if (size != 1) {
            return wideRead(port, size);
        }
        int v;
        boolean freed;
        synchronized (this) {
            v = readRegister((port - base) & 7);
            freed = takeSpaceFreed();
        }
        if (freed) {
            notifySpace();
        }
        return v;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        if (size != 1) {
            wideWrite(port, size, value);
            return;
        }
        int out;
        boolean freed;
        synchronized (this) {
            out = writeRegister((port - base) & 7, value & 0xFF);
            freed = takeSpaceFreed();
        }
        if (out >= 0) {
            backend.write(out);
        }
        if (freed) {
            notifySpace();
        }
    }

    /** A 16/32-bit access is split into byte cycles at consecutive ports, as the ISA bus does. */
    private int wideRead(int port, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            int b = port + i < base + 8 ? ioRead(port + i, 1) : 0xFF;
            v |= b << (8 * i);
        }
        return v;
    }

    private void wideWrite(int port, int size, int value) {
        for (int i = 0; i < size && port + i < base + 8; i++) {
            ioWrite(port + i, 1, value >>> (8 * i));
        }
    }

    private int readRegister(int reg) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        return switch (reg) {
            case 0 -> dlab ? divisor & 0xFF : readRbr();
            case 1 -> dlab ? divisor >>> 8 : ier;
            case 2 -> readIir();
            case 3 -> lcr;
            case 4 -> mcr;
            case 5 -> readLsr();
            case 6 -> readMsr();
            default -> scr;
        };
    }

    /** Returns the character to transmit to the backend, or -1. */
    private int writeRegister(int reg, int v) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (reg) {
            case 0 -> {
                if (dlab) {
                    divisor = divisor & 0xFF00 | v;
                } else {
                    return writeThr(v);
                }
            }
            case 1 -> {
                if (dlab) {
                    divisor = divisor & 0xFF | v << 8;
                } else {
                    writeIer(v);
                }
            }
            case 2 -> writeFcr(v);
            case 3 -> lcr = v;
            case 4 -> writeMcr(v);
            case 7 -> scr = v;
            default -> { }                      // LSR and MSR: factory test only, ignored
        }
        return -1;
    }

    private int readRbr() {
        if (rx.isEmpty()) {
            return rbr;
        }
        rbr = rx.read();
        timeoutPending = false;
        spaceFreed = true;
        rearmTimeout();
        updateIrq();
        return rbr;
    }

    private int readIir() {
        int id = interruptId();
        if (id == IIR_THRI) {
            thrPending = false;
            updateIrq();
        }
        return id | (fifoEnabled() ? IIR_FIFO_ENABLED : 0);
    }

    private int readLsr() {
        int v = lsr();
        rx.lineStatusRead();
        updateIrq();
        return v;
    }

    private int lsr() {
        return (rx.isEmpty() ? 0 : LSR_DR) | rx.lsrErrors() | LSR_THRE | LSR_TEMT
                | (fifoEnabled() && rx.errorLatch() ? LSR_FIFO_ERROR : 0);
    }

    private int readMsr() {
        int v = modem.read();
        updateIrq();
        return v;
    }

    private int writeThr(int v) {
        int c = v;
        // The character leaves THR at once: THR is empty again, and THRE interrupts anew.
        thrPending = (ier & IER_THRI) != 0;
        if ((mcr & MCR_LOOP) != 0) {
            receiveEntry(c);
            updateIrq();
            return -1;
        }
        updateIrq();
        return c;
    }

    private void writeIer(int v) {
        int old = ier;
        ier = v & 0x0F;
        if ((ier & IER_THRI) == 0) {
            thrPending = false;
        } else if ((old & IER_THRI) == 0) {
            thrPending = true;                  // THRE is set: enabling ETBEI interrupts at once
        }
        updateIrq();
    }

    private void writeFcr(int v) {
        boolean enable = (v & FCR_ENABLE) != 0;
        if (enable != fifoEnabled()) {
            clearRx();
            clearTx();
        }
        if (enable) {
            if ((v & FCR_CLEAR_RX) != 0) {
                clearRx();
            }
            if ((v & FCR_CLEAR_TX) != 0) {
                clearTx();
            }
            fcr = v & 0xC9;
        } else {
            fcr = 0;
        }
        updateIrq();
    }

    private void clearRx() {
        rx.clear();
        timeoutPending = false;
        disarmTimeout();
        spaceFreed = true;
    }

    private void clearTx() {
        thrPending = (ier & IER_THRI) != 0;     // the (always empty) TX FIFO empties: THRE
    }

    private void writeMcr(int v) {
        boolean wasLoop = (mcr & MCR_LOOP) != 0;
        mcr = v & 0x1F;
        if (wasLoop && (mcr & MCR_LOOP) == 0) {
            spaceFreed = true;                  // the receiver input is connected again
        }
        modem.update(mcr);
        updateIrq();
    }

    // ---- receiver ----------------------------------------------------------------------

    /**
     * A character arrives on the line now, on the thread that drives the virtual clock. In FIFO
     * mode it restarts the four-character timeout (unless a timeout is already indicated).
     */
    public void receive(int c) {
        synchronized (this) {
            if ((mcr & MCR_LOOP) != 0) {
                return;
            }
            receiveEntry(c & 0xFF);
            updateIrq();
        }
    }

    /** A break arrives on the line now, on the thread that drives the virtual clock. */
    public void receiveBreak() {
        synchronized (this) {
            if ((mcr & MCR_LOOP) != 0) {
                return;
            }
            receiveEntry(LSR_BI << 8);
            updateIrq();
        }
    }

    private void receiveEntry(int entry) {
        pushRx(entry);
        if (fifoEnabled() && !timeoutPending) {
            armTimeout();
        }
    }

    @Override
    public synchronized int rxSpace() {
        if ((mcr & MCR_LOOP) != 0) {
            return 0;
        }
        return (fifoEnabled() ? RxFifo.CAPACITY : 1) - rx.size();
    }

    @Override
    public synchronized void deliver(byte[] data, int off, int len) {
        if ((mcr & MCR_LOOP) != 0 || len <= 0) {
            return;
        }
        for (int i = 0; i < len; i++) {
            pushRx(data[off + i] & 0xFF);
        }
        hostLineIdle();
    }

    @Override
    public synchronized void deliverBreak() {
        if ((mcr & MCR_LOOP) != 0) {
            return;
        }
        pushRx(LSR_BI << 8);
        hostLineIdle();
    }

    /** After a host delivery the line is idle: the timeout indication is due at once. */
    private void hostLineIdle() {
        if (fifoEnabled() && !rx.isEmpty()) {
            timeoutPending = true;
        }
        updateIrq();
    }

    @Override
    public synchronized void setModemInputs(int msrBits) {
        modem.setInputs(msrBits, mcr);
        updateIrq();
    }

    @Override
    public void setSpaceListener(Runnable listener) {
        spaceListener = listener;
    }

    /** Puts a received entry into the FIFO (or the holding register), with overrun. */
    private void pushRx(int entry) {
        if (rx.receive(entry, fifoEnabled()) && rx.overruns() == 1) {
            log.debug("uart 0x{}: receiver overrun", Integer.toHexString(base));
        }
    }

    // ---- character timeout (machine thread only) ----------------------------------------

    private void armTimeout() {
        timeoutDeadline = clock.nanos() + 4 * characterNanos();
        clock.arm(timeoutTimer, timeoutDeadline);
    }

    private void disarmTimeout() {
        timeoutDeadline = -1;
        clock.disarm(timeoutTimer);
    }

    private void rearmTimeout() {
        if (fifoEnabled() && !rx.isEmpty()) {
            armTimeout();
        } else {
            disarmTimeout();
        }
    }

    private synchronized void onTimeout() {
        timeoutDeadline = -1;
        if (fifoEnabled() && !rx.isEmpty()) {
            timeoutPending = true;
            updateIrq();
        }
    }

    /** One character time: start bit, data bits, parity, stop bits, at the programmed rate. */
    long characterNanos() {
        int dataBits = 5 + (lcr & 0x03);
        int halfBits = 2 * (1 + dataBits + ((lcr & 0x08) != 0 ? 1 : 0));
        halfBits += (lcr & 0x04) == 0 ? 2 : dataBits == 5 ? 3 : 4;
        long d = divisor == 0 ? 0x10000 : divisor;
        return halfBits * d * 1_000_000_000L / (2L * BAUD_BASE);
    }

    // ---- interrupts and modem lines ----------------------------------------------------

    private boolean fifoEnabled() {
        return (fcr & FCR_ENABLE) != 0;
    }

    private int triggerLevel() {
        return fifoEnabled() ? TRIGGER_LEVELS[fcr >>> 6] : 1;
    }

    /** The pending interrupt of highest priority, as IIR bits 0-3. */
    private int interruptId() {
        if ((ier & IER_RLSI) != 0 && rx.lsrErrors() != 0) {
            return IIR_RLSI;
        }
        if ((ier & IER_RDI) != 0 && !rx.isEmpty()) {
            if (timeoutPending) {
                return IIR_TIMEOUT;
            }
            if (rx.size() >= triggerLevel()) {
                return IIR_RDI;
            }
        }
        if (thrPending) {
            return IIR_THRI;
        }
        if ((ier & IER_MSI) != 0 && modem.changed()) {
            return IIR_MSI;
        }
        return IIR_NO_INT;
    }

    private boolean irqPinLevel() {
        return interruptId() != IIR_NO_INT && (mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
    }

    private void updateIrq() {
        boolean level = irqPinLevel();
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    private boolean takeSpaceFreed() {
        boolean f = spaceFreed;
        spaceFreed = false;
        return f;
    }

    private void notifySpace() {
        Runnable l = spaceListener;
        if (l != null) {
            l.run();
        }
    }

    // ---- persist -----------------------------------------------------------------------

    @Override
    public synchronized UartState save() {
        return new UartState(ier, lcr, mcr, scr, divisor, fcr, rx.lsrErrors(), rx.errorLatch(),
                modem.msr(), modem.inputs(), rbr, rx.data(), rx.errorFlags(), thrPending,
                timeoutPending, timeoutDeadline);
    }

    /**
     * Restores the registers and FIFO and re-arms the character timeout. The IRQ line is not
     * driven: the interrupt controller restores its own view of it.
     */
    @Override
    public synchronized void restore(UartState s) {
        rx.load(s.rxData(), s.rxFlags(), s.lsrErrors(), s.fifoErrorLatch());  // checks first
        ier = s.ier() & 0x0F;
        lcr = s.lcr() & 0xFF;
        mcr = s.mcr() & 0x1F;
        scr = s.scr() & 0xFF;
        divisor = s.divisor() & 0xFFFF;
        fcr = s.fcr() & 0xC9;
        modem.load(s.msr(), s.modemInputs());
        rbr = s.rbr() & 0xFF;
        thrPending = s.thrPending() && (ier & IER_THRI) != 0;
        timeoutPending = s.timeoutPending();
        if (s.timeoutDeadline() >= 0) {
            timeoutDeadline = s.timeoutDeadline();
            clock.arm(timeoutTimer, timeoutDeadline);
        } else {
            disarmTimeout();
        }
        irqLevel = irqPinLevel();
    }
}

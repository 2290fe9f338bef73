package dev.vmm.devices.ps2;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;
import java.util.Arrays;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Intel 8042 keyboard controller of the PC/AT and PS/2 (as AMI and Phoenix firmware runs it),
 * with a {@link Ps2Keyboard} on its keyboard port and a {@link Ps2Mouse} on its auxiliary port.
 * Port 0x60 is the data port, 0x64 status (read) and command (write).
 *
 * <p>Status: OBF, IBF (always 0: commands complete at once), SYS (set by self test 0xAA or by
 * the command byte), A2 (last write went to 0x64), keyboard not inhibited (always: no keylock),
 * AUXB (the output buffer holds mouse data), timeout and parity (always 0: both devices are
 * always present and error free).
 *
 * <p>Command byte (RAM byte 0, 0x20 read / 0x60 write; 0x21-0x3F / 0x61-0x7F reach the other 31
 * RAM bytes): bit 0 IRQ1 enable, bit 1 IRQ12 enable, bit 2 SYS, bit 4 keyboard clock disabled,
 * bit 5 mouse clock disabled, bit 6 set 2 to set 1 translation. Commands: 0xA4 password test
 * (0xF1: none), 0xA7/0xA8 mouse port off/on, 0xA9 mouse port test (0x00), 0xAA self test (0x55),
 * 0xAB keyboard port test (0x00), 0xAD/0xAE keyboard port off/on, 0xC0 input port (0xA0:
 * keyboard not inhibited, no manufacturing jumper, colour display), 0xD0/0xD1 read/write output
 * port (bit 0 low resets the system, bit 1 is A20, bits 4/5 read OBF from keyboard/mouse), 0xD2
 * and 0xD3 put the next data byte in the output buffer as keyboard / mouse data (no
 * translation), 0xD4 sends it to the mouse, 0xDD/0xDF A20 off/on, 0xF0-0xFF pulse the output
 * port lines whose bits are 0 (bit 0: reset). A data byte with no command waiting goes to the
 * keyboard. Sending to a device enables its port, as the firmware must clock it out.
 *
 * <p>Output buffer: one byte. When it is empty the controller loads, in this order, its own
 * pending answer, then a byte from the keyboard (unless its port is disabled; translated when
 * bit 6 is on: 0xF0 is swallowed and sets bit 7 of the next code), then a byte from the mouse
 * (unless disabled). Reading 0x60 empties it and loads the next byte at once.
 *
 * <p>Interrupts: IRQ1 is high while the output buffer holds keyboard-side data and bit 0 is set,
 * IRQ12 while it holds mouse data and bit 1 is set, like the 8042's OBF pins. The line drops
 * when the guest reads 0x60 and rises again when the next byte is loaded, so an edge-triggered
 * 8259 or IOAPIC sees one edge per byte, and Linux's handler (one byte per interrupt) sees every
 * byte. A level, unlike a pulse, also raises the line when the guest enables the interrupt
 * while a byte is already waiting (SeaBIOS restoring its command byte after a command, Linux
 * enabling a port after a flush); with a pulse that byte would never be signalled and the
 * keyboard would go dead.
 *
 * <p>Power-on state (as QEMU's controller, which SeaBIOS and Linux are tested against): command
 * byte 0x03, output port 0xCF (A20 enabled, reset high), SYS clear.
 *
 * <p>Thread safety: the ports are used by the vCPU thread, host input by any thread; both
 * synchronize on one lock. The IRQ lines, the A20 consumer and the reset runnable are called
 * with that lock held.
 */
public final class I8042 implements PortIoDevice, Persist<I8042.State> {
    private static final Logger log = LoggerFactory.getLogger(I8042.class);

    public static final int DATA_PORT = 0x60;
    public static final int STATUS_PORT = 0x64;

    public static final int STR_OBF = 0x01;
    public static final int STR_IBF = 0x02;
    public static final int STR_SYS = 0x04;
    public static final int STR_CMD = 0x08;
    public static final int STR_NOT_INHIBITED = 0x10;
    public static final int STR_AUXDATA = 0x20;
    public static final int STR_TIMEOUT = 0x40;
    public static final int STR_PARITY = 0x80;

    public static final int CTR_KBDINT = 0x01;
    public static final int CTR_AUXINT = 0x02;
    public static final int CTR_SYS = 0x04;
    public static final int CTR_KBDDIS = 0x10;
    public static final int CTR_AUXDIS = 0x20;
    public static final int CTR_XLATE = 0x40;

    public static final int POWER_ON_CTR = CTR_KBDINT | CTR_AUXINT;
    public static final int POWER_ON_OUTPUT_PORT = 0xCF;
    public static final int INPUT_PORT = 0xA0;

    private static final int OUT_RESET = 0x01;
    private static final int OUT_A20 = 0x02;
    private static final int OUT_OBF = 0x10;
    private static final int OUT_AUXOBF = 0x20;

    /**
     * The controller's state.
     *
     * @param ram the 32 bytes of controller RAM; byte 0 is the command byte
     * @param outputPort the output port as last written (bits 4-5 are not stored)
     * @param lastWasCommand status bit 3 (A2)
     * @param pendingCommand the command waiting for a data byte, 0 when none
     * @param answerPending the controller's own answer waits for the output buffer
     * @param xlatBreak translation swallowed an 0xF0 and waits for the code after it
     */
    public record State(byte[] ram, int outputPort, boolean sysFlag, boolean lastWasCommand,
                        boolean obf, int obData, boolean obAux, int pendingCommand,
                        boolean answerPending, int answer, boolean answerAux, boolean xlatBreak,
                        Ps2Keyboard.State keyboard, Ps2Mouse.State mouse) {
        public State {
            ram = ram.clone();
        }

        @Override
        public byte[] ram() {
            return ram.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && Arrays.equals(ram, s.ram)
                    && outputPort == s.outputPort && sysFlag == s.sysFlag
                    && lastWasCommand == s.lastWasCommand && obf == s.obf
                    && obData == s.obData && obAux == s.obAux
                    && pendingCommand == s.pendingCommand && answerPending == s.answerPending
                    && answer == s.answer && answerAux == s.answerAux
                    && xlatBreak == s.xlatBreak && keyboard.equals(s.keyboard)
                    && mouse.equals(s.mouse);
        }

        @Override
        public int hashCode() {
            return (Arrays.hashCode(ram) * 31 + keyboard.hashCode()) * 31 + mouse.hashCode();
        }

        @Override
        public String toString() {
            return "I8042.State[ctr=0x" + Integer.toHexString(ram[0] & 0xFF) + ", out=0x"
                    + Integer.toHexString(outputPort) + ", sys=" + sysFlag + ", a2="
                    + lastWasCommand + ", obf=" + obf + "/0x" + Integer.toHexString(obData)
                    + (obAux ? " aux" : "") + ", pending=0x" + Integer.toHexString(pendingCommand)
                    + ", answer=" + (answerPending ? Integer.toHexString(answer) : "-")
                    + ", xlatBreak=" + xlatBreak + ", " + keyboard + ", " + mouse + "]";
        }
    }

    private final Object lock = new Object();
    private final IrqLine irq1;
    private final IrqLine irq12;
    private final Consumer<Boolean> a20;
    private final Runnable reset;
    private final Ps2Keyboard keyboard;
    private final Ps2Mouse mouse;
    private final byte[] ram = new byte[32];
    private int outputPort = POWER_ON_OUTPUT_PORT;
    private boolean sysFlag;
    private boolean lastWasCommand = true;
    private boolean obf;
    private int obData;
    private boolean obAux;
    private int pendingCommand;
    private boolean answerPending;
    private int answer;
    private boolean answerAux;
    private boolean xlatBreak;
    private boolean irq1Level;
    private boolean irq12Level;
    private long ignoredCommands;

    /**
     * @param irq1 the keyboard interrupt line
     * @param irq12 the mouse interrupt line
     * @param a20 told each time output port bit 1 changes (usually {@code A20Gate::setFromI8042})
     * @param reset called when the controller pulls the system reset line
     */
    public I8042(IrqLine irq1, IrqLine irq12, Consumer<Boolean> a20, Runnable reset) {
        this.irq1 = irq1;
        this.irq12 = irq12;
        this.a20 = a20;
        this.reset = reset;
        this.keyboard = new Ps2Keyboard(lock, this::service);
        this.mouse = new Ps2Mouse(lock, this::service);
        ram[0] = (byte) POWER_ON_CTR;
    }

    /** Claims ports 0x60 and 0x64 on {@code bus} (0x61 belongs to the speaker/PIT). */
    public void attach(PioBus bus) {
        bus.register(DATA_PORT, 1, "i8042-data", this);
        bus.register(STATUS_PORT, 1, "i8042-cmd", this);
    }

    public Ps2Keyboard keyboard() {
        return keyboard;
    }

    public Ps2Mouse mouse() {
        return mouse;
    }

    /** The command byte. */
    public int commandByte() {
        synchronized (lock) {
            return ram[0] & 0xFF;
        }
    }

    /** Whether the output port asks for A20. */
    public boolean a20() {
        synchronized (lock) {
            return (outputPort & OUT_A20) != 0;
        }
    }

    /** Commands and data bytes the controller did not understand. */
    public long ignoredCommands() {
        synchronized (lock) {
            return ignoredCommands;
        }
    }

    @Override
    public int ioRead(int port, int size) {
        int v;
        synchronized (lock) {
            v = port == DATA_PORT ? readData() : status();
        }
        return size == 1 ? v : v | (size == 4 ? 0xFFFF_FF00 : 0xFF00);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        synchronized (lock) {
            if (port == DATA_PORT) {
                lastWasCommand = false;
                writeData(value & 0xFF);
            } else {
                lastWasCommand = true;
                pendingCommand = 0;
                command(value & 0xFF);
            }
        }
    }

    private int status() {
        return (obf ? STR_OBF : 0) | (sysFlag ? STR_SYS : 0) | (lastWasCommand ? STR_CMD : 0)
                | STR_NOT_INHIBITED | (obf && obAux ? STR_AUXDATA : 0);
    }

    private int readData() {
        int v = obData;
        if (obf) {
            obf = false;
            updateIrqs();                       // the line falls...
            service();                          // ...and rises again if another byte waits
        }
        return v;
    }

    private void writeData(int v) {
        int cmd = pendingCommand;
        pendingCommand = 0;
        if (cmd >= 0x60 && cmd <= 0x7F) {
            ram[cmd & 0x1F] = (byte) v;
            if (cmd == 0x60) {
                sysFlag = (v & CTR_SYS) != 0;
            }
        } else if (cmd == 0xD1) {
            writeOutputPort(v);
        } else if (cmd == 0xD2 || cmd == 0xD3) {
            answer(v, cmd == 0xD3);
        } else if (cmd == 0xD4) {
            ctr(commandByteRaw() & ~CTR_AUXDIS);
            mouse.receive(v);
        } else {
            ctr(commandByteRaw() & ~CTR_KBDDIS);
            keyboard.receive(v);
        }
        service();
    }

    private void command(int cmd) {
        if (cmd >= 0x20 && cmd <= 0x3F) {
            answer(ram[cmd & 0x1F] & 0xFF, false);
        } else if ((cmd >= 0x60 && cmd <= 0x7F) || (cmd >= 0xD1 && cmd <= 0xD4)) {
            pendingCommand = cmd;
        } else if (cmd >= 0xF0) {
            if ((cmd & OUT_RESET) == 0) {
                reset.run();                    // pulse: the line is high again afterwards
            }
        } else {
            switch (cmd) {
                case 0xA4 -> answer(0xF1, false);
                case 0xA7 -> ctr(commandByteRaw() | CTR_AUXDIS);
                case 0xA8 -> ctr(commandByteRaw() & ~CTR_AUXDIS);
                case 0xA9, 0xAB -> answer(0x00, false);
                case 0xAA -> {
                    sysFlag = true;
                    answer(0x55, false);
                }
                case 0xAD -> ctr(commandByteRaw() | CTR_KBDDIS);
                case 0xAE -> ctr(commandByteRaw() & ~CTR_KBDDIS);
                case 0xC0 -> answer(INPUT_PORT, false);
                case 0xD0 -> answer(outputPort | (obf && !obAux ? OUT_OBF : 0)
                        | (obf && obAux ? OUT_AUXOBF : 0), false);
                case 0xDD -> writeOutputPort(outputPort & ~OUT_A20);
                case 0xDF -> writeOutputPort(outputPort | OUT_A20);
                default -> notice("command 0x" + Integer.toHexString(cmd));
            }
        }
        service();
    }

    private void writeOutputPort(int v) {
        boolean was = (outputPort & OUT_A20) != 0;
        boolean now = (v & OUT_A20) != 0;
        outputPort = (v | OUT_RESET) & ~(OUT_OBF | OUT_AUXOBF) & 0xFF;
        if (now != was) {
            a20.accept(now);
        }
        if ((v & OUT_RESET) == 0) {
            reset.run();
        }
    }

    private int commandByteRaw() {
        return ram[0] & 0xFF;
    }

    private void ctr(int v) {
        ram[0] = (byte) v;
    }

    /** The controller's own answer; it goes out before device data. */
    private void answer(int v, boolean aux) {
        if (answerPending) {
            notice("answer not read, replaced");
        }
        answerPending = true;
        answer = v & 0xFF;
        answerAux = aux;
    }

    /** Fills an empty output buffer and drives the interrupt lines. */
    private void service() {
        if (!obf) {
            if (answerPending) {
                answerPending = false;
                load(answer, answerAux);
            } else if ((ram[0] & CTR_KBDDIS) != 0 || !loadFromKeyboard()) {
                if ((ram[0] & CTR_AUXDIS) == 0 && mouse.hasOutput()) {
                    load(mouse.takeOutput(), true);
                }
            }
        }
        updateIrqs();
    }

    private boolean loadFromKeyboard() {
        while (keyboard.hasOutput()) {
            int b = keyboard.takeOutput();
            if ((ram[0] & CTR_XLATE) == 0) {
                load(b, false);
                return true;
            }
            if (b == ScancodeTables.BREAK_PREFIX) {
                xlatBreak = true;
                continue;
            }
            load(ScancodeTables.set2ToSet1(b) | (xlatBreak ? 0x80 : 0), false);
            xlatBreak = false;
            return true;
        }
        return false;
    }

    private void load(int v, boolean aux) {
        obf = true;
        obData = v & 0xFF;
        obAux = aux;
    }

    private void updateIrqs() {
        boolean l1 = obf && !obAux && (ram[0] & CTR_KBDINT) != 0;
        boolean l12 = obf && obAux && (ram[0] & CTR_AUXINT) != 0;
        if (l1 != irq1Level) {
            irq1Level = l1;
            irq1.set(l1);
        }
        if (l12 != irq12Level) {
            irq12Level = l12;
            irq12.set(l12);
        }
    }

    private void notice(String what) {
        if (ignoredCommands++ == 0) {
            log.warn("i8042: unsupported {}", what);
        }
    }

    /**
     * Power-on (or full chipset) reset of the controller and both devices. Not for the CPU
     * reset the controller itself pulses: a real 8042 keeps running then, and its SYS flag
     * tells the BIOS that the reset was a warm one.
     */
    public void powerOn() {
        synchronized (lock) {
            Arrays.fill(ram, (byte) 0);
            ram[0] = (byte) POWER_ON_CTR;
            boolean a20Was = (outputPort & OUT_A20) != 0;
            outputPort = POWER_ON_OUTPUT_PORT;
            if (!a20Was) {
                a20.accept(true);
            }
            sysFlag = false;
            lastWasCommand = true;
            obf = false;
            obData = 0;
            obAux = false;
            pendingCommand = 0;
            answerPending = false;
            xlatBreak = false;
            keyboard.powerOn();
            mouse.powerOn();
            updateIrqs();
        }
    }

    @Override
    public State save() {
        synchronized (lock) {
            return new State(ram, outputPort, sysFlag, lastWasCommand, obf, obData, obAux,
                    pendingCommand, answerPending, answer, answerAux, xlatBreak,
                    keyboard.save(), mouse.save());
        }
    }

    /**
     * Restores the controller and both devices. Neither the IRQ lines nor the A20 consumer is
     * driven: the PIC and the A20 gate restore their own state.
     */
    @Override
    public void restore(State s) {
        synchronized (lock) {
            byte[] r = s.ram();
            if (r.length != ram.length) {
                throw new IllegalArgumentException("i8042 RAM must have 32 bytes, not " + r.length);
            }
            System.arraycopy(r, 0, ram, 0, ram.length);
            outputPort = s.outputPort() & 0xCF;
            sysFlag = s.sysFlag();
            lastWasCommand = s.lastWasCommand();
            obf = s.obf();
            obData = s.obData() & 0xFF;
            obAux = s.obAux();
            pendingCommand = s.pendingCommand() & 0xFF;
            answerPending = s.answerPending();
            answer = s.answer() & 0xFF;
            answerAux = s.answerAux();
            xlatBreak = s.xlatBreak();
            keyboard.restore(s.keyboard());
            mouse.restore(s.mouse());
            irq1Level = obf && !obAux && (ram[0] & CTR_KBDINT) != 0;
            irq12Level = obf && obAux && (ram[0] & CTR_AUXINT) != 0;
        }
    }
}

package dev.vmm.devices.serial;

import dev.vmm.core.bus.PioBus;
import dev.vmm.devices.testutil.DetClock;
import dev.vmm.devices.testutil.RecordingLine;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A UART at COM1 on a port bus, with deterministic time, a recorded IRQ4 and a backend. */
final class UartHarness {
    static final int BASE = ComPort.COM1.base();
    static final int RBR = 0;
    static final int THR = 0;
    static final int DLL = 0;
    static final int IER = 1;
    static final int DLM = 1;
    static final int IIR = 2;
    static final int FCR = 2;
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    /** Records what the guest transmits and keeps the receiver it was connected to. */
    static final class Recording implements SerialBackend {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        SerialReceiver receiver;
        boolean closed;

        @Override
        public void write(int b) {
            out.write(b);
        }

        @Override
        public void connect(SerialReceiver r) {
            receiver = r;
        }

        @Override
        public void close() {
            closed = true;
        }

        String text() {
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    final DetClock t;
    final RecordingLine irq;
    final PioBus bus = new PioBus();
    final Uart16550 uart;
    final SerialBackend backend;

    UartHarness() {
        this(new DetClock(), new Recording());
    }

    UartHarness(DetClock t, SerialBackend backend) {
        this.t = t;
        this.irq = new RecordingLine(t.clock);
        this.backend = backend;
        this.uart = new Uart16550(BASE, t.clock, irq, backend);
        uart.attach(bus);
    }

    Recording recording() {
        return (Recording) backend;
    }

    int in(int reg) {
        return bus.read(BASE + reg, 1);
    }

    void out(int reg, int value) {
        bus.write(BASE + reg, 1, value);
    }

    /** Programs the divisor latch as a driver does (DLAB on, DLL, DLM, LCR back). */
    void divisor(int d, int lcr) {
        out(LCR, 0x80);
        out(DLL, d & 0xFF);
        out(DLM, d >> 8);
        out(LCR, lcr);
    }

    /** What Linux's set_termios leaves for 115200 8N1 with the 16550A's FIFO at trigger 8. */
    void linuxSetup() {
        divisor(1, 0x03);
        out(FCR, 0x81);
        out(MCR, 0x0B);                         // DTR, RTS, OUT2
        out(IER, 0x05);                         // RLSI, RDI
    }

    /** Reads characters while LSR.DR, as serial8250_rx_chars does. */
    String drain() {
        StringBuilder sb = new StringBuilder();
        while ((in(LSR) & 0x01) != 0) {
            sb.append((char) in(RBR));
        }
        return sb.toString();
    }

    void receive(String s) {
        for (char c : s.toCharArray()) {
            uart.receive(c);
        }
    }
}

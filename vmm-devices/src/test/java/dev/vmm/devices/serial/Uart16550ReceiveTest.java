package dev.vmm.devices.serial;

import static dev.vmm.devices.serial.UartHarness.FCR;
import static dev.vmm.devices.serial.UartHarness.IER;
import static dev.vmm.devices.serial.UartHarness.IIR;
import static dev.vmm.devices.serial.UartHarness.LSR;
import static dev.vmm.devices.serial.UartHarness.MCR;
import static dev.vmm.devices.serial.UartHarness.RBR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Trigger levels and the character timeout in deterministic guest time; host input. */
class Uart16550ReceiveTest {
    /** 115200 baud 8N1: 10 bits of 1/115200 s = 86,805 ns; the timeout is four of them. */
    private static final long CHAR_8N1_115200 = 86_805;
    private static final long TIMEOUT = 4 * CHAR_8N1_115200;

    private final UartHarness h = new UartHarness();

    private int in(int reg) {
        return h.in(reg);
    }

    private void out(int reg, int v) {
        h.out(reg, v);
    }

    @ParameterizedTest
    @CsvSource({"0x01, 1", "0x41, 4", "0x81, 8", "0xC1, 14"})
    void receivedDataInterruptAtTheTriggerLevel(int fcr, int level) {
        h.divisor(1, 0x03);
        out(FCR, fcr);
        out(MCR, 0x08);
        out(IER, 0x01);
        for (int i = 1; i < level; i++) {
            h.uart.receive('0' + i);
            assertEquals(0xC1, in(IIR), "below the trigger level");
        }
        h.uart.receive('!');
        assertEquals(0xC4, in(IIR));
        assertTrue(h.irq.level());
        in(RBR);
        assertEquals(0xC1, in(IIR), "below the level again");
        assertFalse(h.irq.level());
    }

    @Test
    void characterTimeoutAfterFourCharacterTimes() {
        h.linuxSetup();                         // trigger 8, RDI and RLSI, OUT2
        assertEquals(CHAR_8N1_115200, h.uart.characterNanos());
        h.t.advanceTo(1_000);
        h.receive("abc");
        assertEquals(0xC1, in(IIR));
        h.t.advanceTo(1_000 + TIMEOUT - 1);
        assertFalse(h.irq.level());
        assertEquals(0xC1, in(IIR));
        h.t.advanceTo(1_000 + TIMEOUT);
        assertTrue(h.irq.level(), "timeout: four character times without a read or a character");
        assertEquals(1_000 + TIMEOUT, h.irq.edges().getFirst().nanos());
        assertEquals(0xCC, in(IIR));

        // Reading one character clears it and restarts the timer.
        assertEquals('a', in(RBR));
        assertEquals(0xC1, in(IIR));
        assertFalse(h.irq.level());
        long read = h.t.now();
        h.t.advanceTo(read + TIMEOUT - 1);
        assertEquals(0xC1, in(IIR));
        h.t.advanceTo(read + TIMEOUT);
        assertEquals(0xCC, in(IIR));
        assertEquals("bc", h.drain());
        assertEquals(0xC1, in(IIR));
        h.t.advanceBy(10 * TIMEOUT);
        assertEquals(0xC1, in(IIR), "no timeout with an empty FIFO");
        assertEquals(2, h.irq.risingEdges());
    }

    @Test
    void eachCharacterRestartsTheTimer() {
        h.linuxSetup();
        for (int i = 0; i < 5; i++) {
            h.uart.receive('x');
            h.t.advanceBy(TIMEOUT - 1);
        }
        assertEquals(0xC1, in(IIR));
        h.t.advanceBy(1);
        assertEquals(0xCC, in(IIR));
        h.uart.receive('y');
        assertEquals(0xCC, in(IIR), "a new character does not clear an indicated timeout");
    }

    @Test
    void timeoutFollowsTheProgrammedRateAndFrame() {
        h.divisor(12, 0x1A);                    // 9600 baud, 7 data bits, even parity, 1 stop
        out(FCR, 0x41);
        out(IER, 0x01);
        long charTime = 10L * 12 * 1_000_000_000L / 115_200;
        assertEquals(charTime, h.uart.characterNanos());
        h.divisor(12, 0x1F);                    // 8 data bits, parity, 2 stop bits: 12 bits
        assertEquals(12L * 12 * 1_000_000_000L / 115_200, h.uart.characterNanos());
        h.divisor(12, 0x04);                    // 5 data bits, 1.5 stop bits: 7.5 bits
        assertEquals(15L * 12 * 1_000_000_000L / 230_400, h.uart.characterNanos());
    }

    @Test
    void noTimeoutIn16450Mode() {
        h.divisor(1, 0x03);
        out(IER, 0x01);
        h.uart.receive('a');
        assertEquals(0x04, in(IIR));
        h.t.advanceBy(10 * TIMEOUT);
        assertEquals(0x04, in(IIR));
        assertEquals(Long.MAX_VALUE, h.t.clock.nextDeadline());
    }

    @Test
    void fifoResetDiscardsInputAndTheTimeout() {
        h.linuxSetup();
        h.receive("abc");
        out(FCR, 0x83);                         // enable, clear RX
        assertEquals(0x60, in(LSR));
        assertEquals(Long.MAX_VALUE, h.t.clock.nextDeadline());
        h.t.advanceBy(2 * TIMEOUT);
        assertEquals(0xC1, in(IIR));
        h.receive("de");
        out(FCR, 0x00);                         // FIFOs off: both are cleared
        assertEquals(0x60, in(LSR));
        assertEquals(0x01, in(IIR));
    }

    @Test
    void hostDeliveryIndicatesTheTimeoutAtOnce() {
        h.linuxSetup();
        SerialReceiver rx = h.recording().receiver;
        assertEquals(16, rx.rxSpace());
        rx.deliver("ls\r".getBytes(StandardCharsets.US_ASCII), 0, 3);
        assertEquals(13, rx.rxSpace());
        assertTrue(h.irq.level(), "the host's bytes came all at once: the line is idle now");
        assertEquals(0xCC, in(IIR));
        assertEquals("ls\r", h.drain());
        assertFalse(h.irq.level());
        assertEquals(Long.MAX_VALUE, h.t.clock.nextDeadline(), "the host path armed no timer");
    }

    @Test
    void pastedTextIsFlowControlledWithoutOverruns() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            text.append("line ").append(i).append(" of pasted text\r");
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
        PipedOutputStream keyboard = new PipedOutputStream();
        StreamBackend backend =
                new StreamBackend(new PipedInputStream(keyboard, 8192), null, "paste");
        UartHarness p = new UartHarness(new dev.vmm.devices.testutil.DetClock(), backend);
        p.linuxSetup();                         // the driver is up before anything is typed
        keyboard.write(bytes);
        keyboard.close();
        assertTrue(backend.awaitInputEnd(Duration.ofSeconds(10)));
        assertEquals(bytes.length - 16, backend.input().pending(), "16 in the FIFO, rest queued");
        StringBuilder got = new StringBuilder();
        int interrupts = 0;
        while (p.irq.level()) {
            interrupts++;
            assertEquals(0xCC, p.in(IIR) & 0xCE);
            got.append(p.drain());              // each read makes room; more bytes follow
        }
        assertEquals(text.toString(), got.toString());
        assertEquals(1, interrupts, "serial8250_rx_chars keeps reading while DR");
        assertEquals(0, p.uart.overruns());
        assertEquals(0, backend.input().dropped());
        backend.close();
    }

    @Test
    void inputBeforeTheDriverWaitsForRoom() {
        HostInput input = new HostInput(8);
        UartHarness.Recording backend = new UartHarness.Recording();
        UartHarness p = new UartHarness(new dev.vmm.devices.testutil.DetClock(), backend);
        input.connect(backend.receiver);
        input.offer("0123456789".getBytes(StandardCharsets.US_ASCII), 0, 10);
        assertEquals(7, input.pending(), "16450 mode: one character in RBR");
        assertEquals(2, input.dropped(), "the queue holds 8");
        p.out(FCR, 0x07);                       // the driver enables and clears the FIFOs
        assertEquals(0, input.pending(), "the freed room pulled the queue in");
        assertEquals("1234567", p.drain());
        input.sendBreak();
        assertEquals(0xF1, p.in(LSR), "BI with DR, and LSR bit 7 in FIFO mode");
        assertEquals(0, p.in(RBR));
    }

    @Test
    void hostThreadAndGuestRunConcurrently() {
        byte[] bytes = new byte[20_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7 + i / 256);
        }
        dev.vmm.devices.testutil.DetClock t = new dev.vmm.devices.testutil.DetClock();
        java.util.concurrent.atomic.AtomicBoolean line =
                new java.util.concurrent.atomic.AtomicBoolean();
        StreamBackend backend = new StreamBackend(new java.io.ByteArrayInputStream(bytes), null,
                "concurrent");
        Uart16550 uart = new Uart16550(0x2F8, t.clock, line::set, backend);
        dev.vmm.core.bus.PioBus bus = new dev.vmm.core.bus.PioBus();
        uart.attach(bus);                       // the reader thread starts delivering now
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            while (got.size() < bytes.length) {
                if ((bus.read(0x2F8 + LSR, 1) & 0x01) != 0) {
                    got.write(bus.read(0x2F8 + RBR, 1));
                } else {
                    Thread.onSpinWait();
                }
            }
        });
        org.junit.jupiter.api.Assertions.assertArrayEquals(bytes, got.toByteArray());
        assertEquals(0, uart.overruns());
        backend.close();
    }
}

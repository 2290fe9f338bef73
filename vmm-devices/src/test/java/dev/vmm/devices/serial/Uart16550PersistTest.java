package dev.vmm.devices.serial;

import static dev.vmm.devices.serial.UartHarness.FCR;
import static dev.vmm.devices.serial.UartHarness.IER;
import static dev.vmm.devices.serial.UartHarness.IIR;
import static dev.vmm.devices.serial.UartHarness.LSR;
import static dev.vmm.devices.serial.UartHarness.MSR;
import static dev.vmm.devices.serial.UartHarness.RBR;
import static dev.vmm.devices.serial.UartHarness.SCR;
import static dev.vmm.devices.serial.UartHarness.THR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.vmm.devices.testutil.DetClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Save in the middle of a reception and a transmission; the copy continues identically. */
class Uart16550PersistTest {
    private static final long TIMEOUT = 4 * 86_805;

    /** Drives a guest sequence and records every value read, the output and the IRQ edges. */
    private static List<String> continueRun(UartHarness h) {
        List<String> trace = new ArrayList<>();
        trace.add("lsr " + h.in(LSR));          // clears the overrun's line status interrupt
        h.t.advanceBy(TIMEOUT / 2);
        trace.add("iir " + h.in(IIR));
        h.t.advanceBy(TIMEOUT / 2);
        trace.add("iir " + h.in(IIR) + " irq " + h.irq.level());
        trace.add("lsr " + h.in(LSR));
        trace.add("rbr " + h.in(RBR));
        trace.add("lsr " + h.in(LSR));
        trace.add("rx " + h.drain());
        trace.add("iir " + h.in(IIR));
        trace.add("iir " + h.in(IIR));
        trace.add("msr " + h.in(MSR));
        trace.add("iir " + h.in(IIR) + " irq " + h.irq.level());
        h.out(THR, 'Z');
        trace.add("iir " + h.in(IIR));
        trace.add("scr " + h.in(SCR));
        trace.add("out " + h.recording().text());
        trace.add("edges " + h.irq.edges());
        return trace;
    }

    @Test
    void saveAndRestoreMidStream() {
        UartHarness a = new UartHarness();
        a.linuxSetup();
        a.out(IER, 0x0F);
        a.out(SCR, 0x5A);
        a.out(THR, 'A');
        a.t.advanceTo(5_000);
        a.receive("hello");
        a.uart.receiveBreak();
        a.receive("world, more than a FIFO");   // overruns
        a.uart.setModemInputs(0x70);            // RI rises, DCD drops
        a.t.advanceTo(5_000 + TIMEOUT / 3);

        UartState saved = a.uart.save();
        assertEquals(saved, a.uart.save());
        assertEquals(16, saved.rxData().length);
        assertEquals(5_000 + TIMEOUT, saved.timeoutDeadline());

        DetClock t2 = new DetClock();
        t2.advanceTo(a.t.now());
        UartHarness b = new UartHarness(t2, new UartHarness.Recording());
        b.recording().out.write('A');
        b.uart.restore(saved);
        assertEquals(saved, b.uart.save());
        b.irq.set(a.irq.level());               // the PIC keeps its own view of the line
        a.irq.clear();
        b.irq.clear();

        List<String> expected = continueRun(a);
        List<String> actual = continueRun(b);
        assertEquals(expected, actual);
        assertEquals("lsr 227", expected.get(0), "OE, DR, THRE, TEMT, FIFO error (the break)");
        assertEquals("iir 196", expected.get(1), "16 characters over trigger level 8");
        assertEquals("iir 204 irq true", expected.get(2), "the timeout fired after restore too");
    }

    @Test
    void stateRecordCopiesItsArrays() {
        UartHarness a = new UartHarness();
        a.out(FCR, 0x01);
        a.receive("ab");
        UartState s = a.uart.save();
        byte[] data = s.rxData();
        data[0] = 'x';
        assertEquals('a', s.rxData()[0]);
        a.in(RBR);
        assertNotEquals(s, a.uart.save());
        a.uart.restore(s);
        assertEquals("ab", a.drain());
    }
}

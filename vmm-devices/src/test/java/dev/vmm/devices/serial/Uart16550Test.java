package dev.vmm.devices.serial;

import static dev.vmm.devices.serial.UartHarness.FCR;
import static dev.vmm.devices.serial.UartHarness.IER;
import static dev.vmm.devices.serial.UartHarness.IIR;
import static dev.vmm.devices.serial.UartHarness.LCR;
import static dev.vmm.devices.serial.UartHarness.LSR;
import static dev.vmm.devices.serial.UartHarness.MCR;
import static dev.vmm.devices.serial.UartHarness.MSR;
import static dev.vmm.devices.serial.UartHarness.RBR;
import static dev.vmm.devices.serial.UartHarness.THR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Interrupt priorities, THRE, loopback, modem lines, overrun, line errors, IRQ gating. */
class Uart16550Test {
    private final UartHarness h = new UartHarness();

    {
        h.out(LCR, 0x03);                       // 8N1, as every driver programs it
    }

    private int in(int reg) {
        return h.in(reg);
    }

    private void out(int reg, int v) {
        h.out(reg, v);
    }

    @Test
    void interruptPriorityOrder() {
        out(FCR, 0x01);                         // FIFO, trigger level 1
        out(MCR, 0x08);
        out(IER, 0x0F);
        assertEquals(0xC2, in(IIR), "THRE on enabling ETBEI");
        out(IER, 0x0D);
        out(IER, 0x0F);                         // re-arm THRE
        for (int i = 0; i < 17; i++) {
            h.uart.receive('a' + i);            // the 17th overruns
        }
        h.uart.setModemInputs(0x30);            // DCD drops: DDCD
        assertTrue(h.irq.level());

        assertEquals(0xC6, in(IIR), "receiver line status first");
        assertEquals(0xC6, in(IIR), "reading IIR does not clear it");
        assertEquals(0x63, in(LSR), "OE, DR, THRE, TEMT");
        assertEquals(0x61, in(LSR), "OE cleared by the read");
        assertEquals(0xC4, in(IIR), "then received data");
        assertEquals("abcdefghijklmnop", h.drain());
        assertEquals(0xC2, in(IIR), "then THR empty, cleared by this read");
        assertEquals(0xC0, in(IIR), "then modem status");
        assertTrue(h.irq.level());
        assertEquals(0x38, in(MSR), "CTS, DSR, DDCD");
        assertEquals(0x30, in(MSR), "deltas cleared by the read");
        assertEquals(0xC1, in(IIR));
        assertFalse(h.irq.level());
        assertEquals(1, h.uart.overruns());
    }

    @Test
    void thrWriteClearsAndRearmsThre() {
        out(MCR, 0x08);
        out(IER, 0x02);
        assertTrue(h.irq.level());
        assertEquals(0x02, in(IIR), "16450 mode: no FIFO bits");
        assertFalse(h.irq.level());
        assertEquals(0x01, in(IIR));
        out(THR, 'x');
        assertEquals(0x60, in(LSR), "sent at once: THR and shift register empty");
        assertTrue(h.irq.level(), "THR empty again: THRE interrupt");
        out(IER, 0x02);
        assertEquals(0x02, in(IIR));
        out(IER, 0x02);                         // no 0 -> 1 edge of ETBEI: not re-armed
        assertEquals(0x01, in(IIR));
        out(IER, 0x00);
        out(THR, 'y');
        assertEquals(0x01, in(IIR), "no THRE interrupt with ETBEI off");
        assertEquals("xy", h.recording().text());
    }

    @Test
    void irqPinGatedByOut2AndLoopback() {
        out(IER, 0x02);
        assertFalse(h.irq.level(), "OUT2 off: the PC's IRQ buffer is disabled");
        assertEquals(0x02, in(IIR) & 0x0F);
        out(IER, 0);
        out(IER, 0x02);
        out(MCR, 0x08);
        assertTrue(h.irq.level(), "OUT2 on");
        out(MCR, 0x18);
        assertFalse(h.irq.level(), "loopback: OUT2 pin inactive");
        out(MCR, 0x08);
        assertTrue(h.irq.level());
        out(MCR, 0x00);
        assertFalse(h.irq.level());
        assertEquals(4, h.irq.edges().size());
    }

    @Test
    void loopbackEchoesAStringAndModemLines() {
        h.divisor(1, 0x03);
        out(FCR, 0x07);
        out(MCR, 0x10);
        assertEquals(0x00, in(MSR) & 0xF0, "all modem inputs follow the cleared outputs");
        in(MSR);
        String s = "Hello, 16550A!";
        StringBuilder echo = new StringBuilder();
        for (char c : s.toCharArray()) {
            out(THR, c);
            assertEquals(0x61, in(LSR), "DR with THRE/TEMT");
            echo.append((char) in(RBR));
        }
        assertEquals(s, echo.toString());
        assertEquals(0, h.recording().out.size());

        out(MCR, 0x11);                         // DTR -> DSR
        assertEquals(0x22, in(MSR), "DSR, DDSR");
        out(MCR, 0x12);                         // RTS -> CTS
        assertEquals(0x13, in(MSR), "CTS, DCTS, DDSR (DSR fell)");
        out(MCR, 0x14);                         // OUT1 -> RI
        assertEquals(0x41, in(MSR), "RI rising sets no delta; DCTS");
        out(MCR, 0x18);                         // OUT2 -> DCD
        assertEquals(0x8C, in(MSR), "DCD, DDCD, TERI on RI's trailing edge");

        // Input from the far end is disconnected in loopback.
        assertEquals(0, h.uart.rxSpace());
        h.uart.receive('z');
        h.uart.deliver(new byte[] {'q'}, 0, 1);
        assertEquals(0x60, in(LSR));
        out(MCR, 0x00);
        assertEquals(0xB3, in(MSR), "back to the far end's CTS, DSR, DCD: DCTS, DDSR");
        assertEquals(16, h.uart.rxSpace());
    }

    @Test
    void charactersAreNotCutToTheWordLength() {
        out(THR, 0xC1);                         // LCR never programmed: 5 bits at power-on
        h.uart.receive(0xFF);
        assertEquals(0xFF, in(RBR));
        assertEquals(new String(new char[] {0xC1}), h.recording().text());
    }

    @Test
    void overrunIn16450ModeOverwritesTheHoldingRegister() {
        out(IER, 0x05);
        out(MCR, 0x08);
        h.uart.receive('1');
        assertEquals(0x04, in(IIR), "received data, no FIFO bits");
        h.uart.receive('2');
        assertEquals(0x06, in(IIR), "overrun: line status");
        assertEquals(0x63, in(LSR));
        assertEquals('2', in(RBR));
        assertEquals(0x60, in(LSR));
        assertEquals('2', in(RBR), "an empty RBR reads the last character");
        assertEquals(0x01, in(IIR));
        assertEquals(1, h.uart.rxSpace(), "16450 mode: one holding register");
    }

    @Test
    void overrunInFifoModeKeepsTheFifo() {
        out(FCR, 0xC1);
        for (int i = 0; i < 20; i++) {
            h.uart.receive('A' + i);
        }
        assertEquals(0, h.uart.rxSpace());
        assertEquals(0x63, in(LSR));
        assertEquals("ABCDEFGHIJKLMNOP", h.drain());
        assertEquals(4, h.uart.overruns());
    }

    @Test
    void breakAndFifoErrorBit() {
        out(FCR, 0x01);
        out(IER, 0x05);
        out(MCR, 0x08);
        h.uart.receive('a');
        h.uart.receiveBreak();
        h.uart.receive('b');
        assertEquals(0xC4, in(IIR), "the break is not at the top of the FIFO yet");
        assertEquals(0xE1, in(LSR), "but LSR bit 7 tells an error is in the FIFO");
        assertEquals('a', in(RBR));
        assertEquals(0xC6, in(IIR), "the break reached the top: line status");
        assertEquals(0xF1, in(LSR), "BI, FIFO error, DR");
        assertEquals(0x00, in(RBR), "a break reads as a 0 character");
        assertEquals(0xE1, in(LSR), "bit 7 stays until an LSR read with no error left");
        assertEquals(0x61, in(LSR));
        assertEquals('b', in(RBR));
        assertEquals(0xC1, in(IIR));
    }

    @Test
    void wideAccessesSplitIntoByteCycles() {
        out(LCR, 0x80);
        h.bus.write(UartHarness.BASE, 2, 0x0180);   // DLL, DLM in one 16-bit OUT
        assertEquals(0x0180, h.bus.read(UartHarness.BASE, 2));
        out(LCR, 0x03);
        h.bus.write(UartHarness.BASE + 7, 1, 0x5A);
        assertEquals(0xFF5A, h.bus.read(UartHarness.BASE + 7, 2), "the port after SCR is not ours");
    }
}

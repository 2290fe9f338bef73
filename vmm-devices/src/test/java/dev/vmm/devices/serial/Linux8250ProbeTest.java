package dev.vmm.devices.serial;

import static dev.vmm.devices.serial.UartHarness.DLL;
import static dev.vmm.devices.serial.UartHarness.DLM;
import static dev.vmm.devices.serial.UartHarness.FCR;
import static dev.vmm.devices.serial.UartHarness.IER;
import static dev.vmm.devices.serial.UartHarness.IIR;
import static dev.vmm.devices.serial.UartHarness.LCR;
import static dev.vmm.devices.serial.UartHarness.LSR;
import static dev.vmm.devices.serial.UartHarness.MCR;
import static dev.vmm.devices.serial.UartHarness.MSR;
import static dev.vmm.devices.serial.UartHarness.RBR;
import static dev.vmm.devices.serial.UartHarness.SCR;
import static dev.vmm.devices.serial.UartHarness.THR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The port as Linux's 8250 driver finds and starts it (drivers/tty/serial/8250/8250_port.c:
 * autoconfig, autoconfig_16550a with the full variant probe, size_fifo, serial8250_do_startup),
 * step by step, with the values the driver checks.
 */
class Linux8250ProbeTest {
    private final UartHarness h = new UartHarness();

    private int in(int reg) {
        return h.in(reg);
    }

    private void out(int reg, int v) {
        h.out(reg, v);
    }

    @Test
    void powerOnRegisters() {
        assertEquals(0x00, in(IER));
        assertEquals(0x01, in(IIR), "no interrupt, FIFOs off");
        assertEquals(0x00, in(LCR));
        assertEquals(0x00, in(MCR));
        assertEquals(0x60, in(LSR), "THRE and TEMT");
        assertEquals(0xB0, in(MSR), "CTS, DSR, DCD from the other end; no deltas");
        assertFalse(h.irq.level());
    }

    @Test
    void scratchRegisterAndDivisorLatch() {
        for (int v : new int[] {0x55, 0xAA, 0x00, 0xFF}) {
            out(SCR, v);
            assertEquals(v, in(SCR));
        }
        out(LCR, 0x83);                         // DLAB with 8N1
        out(DLL, 0x0C);
        out(DLM, 0x01);
        assertEquals(0x0C, in(DLL));
        assertEquals(0x01, in(DLM));
        out(LCR, 0x03);
        assertEquals(0x03, in(LCR));
        assertEquals(0x00, in(IER), "offset 1 is IER again, untouched by the DLM write");
        out(LCR, 0x80);
        assertEquals(0x010C, in(DLL) | in(DLM) << 8);
    }

    @Test
    void autoconfigIdentifiesA16550A() {
        // Existence test on IER (upper nibble masked as the driver does).
        int scratch = in(IER);
        out(IER, 0);
        int scratch2 = in(IER) & 0x0F;
        out(IER, 0x0F);
        int scratch3 = in(IER) & 0x0F;
        out(IER, scratch);
        assertEquals(0, scratch2);
        assertEquals(0x0F, scratch3);

        int saveMcr = in(MCR);
        int saveLcr = in(LCR);
        // Loopback test: MCR = LOOP | OUT2 | RTS must read back as DCD | CTS.
        out(MCR, 0x10 | 0x0A);
        int status1 = in(MSR) & 0xF0;
        out(MCR, saveMcr);
        assertEquals(0x90, status1);

        // EFR (none here: with LCR=0xBF offset 2 writes FCR), then the FIFO test.
        out(LCR, 0xBF);
        out(2, 0);
        out(LCR, 0);
        out(FCR, 0x01);
        assertEquals(3, in(IIR) >> 6, "IIR bits 7-6 = 11: 16550A");

        assertEquals("16550A", variantProbe());
        assertEquals(16, sizeFifo());

        out(LCR, saveLcr);
        // Reset the UART as autoconfig does at the end.
        out(MCR, saveMcr);
        out(FCR, 0x01);
        out(FCR, 0x07);
        out(FCR, 0x00);
        in(RBR);
        out(IER, 0);
        assertEquals(0x01, in(IIR));
        assertEquals(0x60, in(LSR));
    }

    /** autoconfig_16550a with CONFIG_SERIAL_8250_16550A_VARIANTS. */
    private String variantProbe() {
        out(LCR, 0x80);
        if (in(2) == 0) {
            return "EFRv1 (ST16C650V1)";
        }
        out(LCR, 0xBF);
        if (in(2) == 0) {
            return "EFRv2";
        }
        out(LCR, 0);
        int status1 = in(MCR);
        out(LCR, 0xE0);
        int status2 = in(2);
        if (((status2 ^ status1) & 0x10) == 0) {
            out(LCR, 0);
            out(MCR, status1 ^ 0x10);
            out(LCR, 0xE0);
            status2 = in(2);
            out(LCR, 0);
            out(MCR, status1);
            if (((status2 ^ status1) & 0x10) != 0) {
                return "NS16550";
            }
        }
        out(LCR, 0);
        out(FCR, 0x21);
        status1 = in(IIR) & 0xE0;
        out(FCR, 0x01);
        out(LCR, 0x80);
        out(FCR, 0x21);
        status2 = in(IIR) & 0xE0;
        out(FCR, 0x01);
        out(LCR, 0);
        if (status1 == 0xC0 && status2 == 0xE0) {
            return "16750";
        }
        int iersave = in(IER);
        out(IER, iersave & ~0x40);
        if ((in(IER) & 0x40) == 0) {
            out(IER, iersave | 0x40);
            if ((in(IER) & 0x40) != 0) {
                return "XScale";
            }
        }
        out(IER, iersave);
        return "16550A";
    }

    /** size_fifo: 256 characters into the transmitter in loopback, count what the RX kept. */
    private int sizeFifo() {
        int oldLcr = in(LCR);
        out(LCR, 0);
        int oldFcr = in(FCR);
        int oldMcr = in(MCR);
        out(FCR, 0x07);
        out(MCR, 0x10);
        out(LCR, 0x80);
        int oldDl = in(DLL) | in(DLM) << 8;
        out(DLL, 1);
        out(DLM, 0);
        out(LCR, 0x03);
        for (int i = 0; i < 256; i++) {
            out(THR, i);
        }
        int count = 0;
        while ((in(LSR) & 0x01) != 0 && count < 256) {
            assertEquals(count, in(RBR), "the first sixteen characters, in order");
            count++;
        }
        out(FCR, oldFcr);
        out(MCR, oldMcr);
        out(LCR, 0x80);
        out(DLL, oldDl & 0xFF);
        out(DLM, oldDl >> 8);
        out(LCR, oldLcr);
        assertEquals(0, h.recording().out.size(), "loopback sends nothing to the backend");
        return count;
    }

    @Test
    void startupFindsNeitherThreNorTxenBug() {
        // serial8250_clear_fifos, then clear the interrupt registers.
        out(FCR, 0x01);
        out(FCR, 0x07);
        out(FCR, 0x00);
        in(LSR);
        in(RBR);
        in(IIR);
        in(MSR);
        assertTrue(in(LSR) != 0xFF);

        // UART_BUG_THRE: THRE must be reasserted after IIR cleared it and IER is rewritten.
        assertTrue((in(LSR) & 0x20) != 0);
        out(IER, 0x02);
        int iir1 = in(IIR);
        out(IER, 0);
        out(IER, 0x02);
        int iir = in(IIR);
        out(IER, 0);
        assertEquals(0x02, iir1, "THRE reported");
        assertEquals(0x02, iir, "and reported again after the IER rewrite");

        out(LCR, 0x03);
        out(MCR, 0x0B);                         // DTR | RTS | OUT2

        // UART_BUG_TXEN: enabling THRI with the transmitter empty must interrupt.
        out(IER, 0x02);
        int lsr = in(LSR);
        iir = in(IIR);
        out(IER, 0);
        assertTrue((lsr & 0x40) != 0);
        assertEquals(0x02, iir & 0x0F);

        in(LSR);
        in(RBR);
        in(IIR);
        in(MSR);
        out(IER, 0x05);
        assertEquals(0x01, in(IIR));
        assertFalse(h.irq.level());
    }

    @Test
    void interruptDrivenTransmitAsTheDriverDoesIt() {
        h.linuxSetup();
        String msg = "Linux version 6.1.0 (debian-kernel@lists.debian.org)\r\n";
        int sent = 0;
        // start_tx: set THRI; THRE interrupts at once.
        out(IER, 0x07);
        assertTrue(h.irq.level(), "IRQ4 raised by THRE");
        int interrupts = 0;
        while (h.irq.level()) {
            interrupts++;
            int iir = in(IIR);
            assertEquals(0xC2, iir);
            assertFalse(h.irq.level(), "reading IIR cleared THRE");
            int n = Math.min(16, msg.length() - sent);   // tx_loadsz
            for (int i = 0; i < n; i++) {
                out(THR, msg.charAt(sent++));
            }
            if (sent == msg.length()) {
                // The circular buffer is empty: the next THRE stops transmission.
                assertEquals(0xC2, in(IIR));
                out(IER, 0x05);
            }
        }
        assertEquals(msg, h.recording().text());
        assertEquals(4, interrupts, "one THRE interrupt per 16 characters");
        assertEquals(0xC1, in(IIR));
    }

    @Test
    void polledConsoleWrite() {
        h.linuxSetup();
        // serial8250_console_write: save IER, clear it, write, wait for TEMT, restore IER.
        int ier = in(IER);
        out(IER, 0);
        for (char c : "console\r\n".toCharArray()) {
            while ((in(LSR) & 0x20) == 0) {
                // wait_for_xmitr
            }
            out(THR, c);
        }
        assertEquals(0x60, in(LSR) & 0x60);
        out(IER, ier);
        assertEquals("console\r\n", h.recording().text());
        assertFalse(h.irq.level());
    }
}

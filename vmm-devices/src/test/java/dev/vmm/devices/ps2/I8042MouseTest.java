package dev.vmm.devices.ps2;

import static dev.vmm.devices.ps2.I8042.CTR_AUXDIS;
import static dev.vmm.devices.ps2.I8042.CTR_AUXINT;
import static dev.vmm.devices.ps2.I8042.CTR_KBDDIS;
import static dev.vmm.devices.ps2.I8042.CTR_KBDINT;
import static dev.vmm.devices.ps2.I8042.CTR_XLATE;
import static dev.vmm.devices.ps2.I8042Harness.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mouse through 0xD4, as Linux's psmouse probes it, and its packets on IRQ12. */
class I8042MouseTest {
    private final I8042Harness h = new I8042Harness();
    private final Ps2Mouse mouse = h.kbc.mouse();

    /** Sends a byte to the mouse and returns its answer (all AUX data). */
    private List<Integer> send(int b) {
        h.command(0xD4);
        h.data(b);
        List<Integer> got = new ArrayList<>();
        while (h.obf()) {
            got.add(h.read(true));
        }
        return got;
    }

    /** Linux: both ports on, both interrupts on, translation on. */
    private void linuxPorts() {
        h.writeCtr(CTR_KBDINT | CTR_AUXINT | I8042.CTR_SYS | CTR_XLATE);
        h.irq12.clear();
    }

    /** Reads what IRQ12 announces, one byte per interrupt, as i8042_interrupt does. */
    private List<Integer> irq12Bytes() {
        List<Integer> got = new ArrayList<>();
        while (h.irq12.level()) {
            got.add(h.read(true));
        }
        return got;
    }

    @Test
    void resetIdAndIntelliMouseKnock() {
        h.writeCtr(CTR_KBDDIS | CTR_AUXDIS | CTR_XLATE);     // interrupts off: polled
        assertEquals(list(0xFA, 0xAA, 0x00), send(0xFF));
        assertEquals(0, h.kbc.commandByte() & CTR_AUXDIS, "sending enabled the AUX port");
        assertEquals(list(0xFA, 0x00), send(0xF2));
        for (int rate : new int[] {200, 100, 80}) {
            assertEquals(list(0xFA), send(0xF3));
            assertEquals(list(0xFA), send(rate));
        }
        assertEquals(list(0xFA, 0x03), send(0xF2));
        for (int rate : new int[] {200, 200, 80}) {
            send(0xF3);
            send(rate);
        }
        assertEquals(list(0xFA, 0x04), send(0xF2), "IntelliMouse Explorer");
        assertEquals(list(0xFA, 0xAA, 0x00), send(0xFF));
        assertEquals(list(0xFA, 0x00), send(0xF2), "reset forgets the wheel");
        assertEquals(0, mouse.ignoredBytes());
    }

    @Test
    void movementPacketOnIrq12WithAuxb() {
        linuxPorts();
        send(0xFF);
        for (int rate : new int[] {200, 100, 80}) {
            send(0xF3);
            send(rate);
        }
        send(0xF2);
        assertEquals(list(0xFA), send(0xF4));
        h.irq12.clear();
        h.irq1.clear();
        mouse.move(5, -3, 1, Ps2Mouse.BUTTON_LEFT);
        assertEquals(list(0x29, 0x05, 0xFD, 0x01), irq12Bytes());
        assertEquals(4, h.irq12.risingEdges());
        assertEquals(0, h.irq1.risingEdges());
        mouse.move(0, 0, 0);                                 // button released: a packet
        assertEquals(list(0x08, 0x00, 0x00, 0x00), irq12Bytes());
        mouse.move(0, 0, 0);                                 // nothing changed: none
        assertFalse(h.obf());
    }

    @Test
    void overflowAndSignBits() {
        linuxPorts();
        send(0xF4);
        mouse.move(300, -300, Ps2Mouse.BUTTON_RIGHT | Ps2Mouse.BUTTON_MIDDLE);
        assertEquals(list(0xEE, 0xFF, 0x00), irq12Bytes());
        mouse.move(-1, 1, 0);
        assertEquals(list(0x18, 0xFF, 0x01), irq12Bytes());
    }

    @Test
    void statusScalingResolutionRate() {
        h.writeCtr(CTR_KBDDIS);
        send(0xE7);
        send(0xE8);
        send(0x03);
        send(0xF3);
        send(40);
        assertEquals(list(0xFA, 0x10, 0x03, 40), send(0xE9));
        send(0xF4);
        send(0xF0);
        assertEquals(list(0xFA, 0x70, 0x03, 40), send(0xE9), "remote, enabled, 2:1");
        send(0xF6);
        assertEquals(list(0xFA, 0x00, 0x02, 100), send(0xE9), "defaults");
        assertEquals(list(0xFA), send(0xF3));
        assertEquals(list(0xFE), send(7), "invalid rate");
        assertEquals(1, mouse.ignoredBytes());
    }

    @Test
    void twoToOneScalingInStreamMode() {
        linuxPorts();
        send(0xE7);
        send(0xF4);
        mouse.move(4, -5, 0);
        assertEquals(list(0x28, 6, 0xF7), irq12Bytes());
    }

    @Test
    void remoteModeReportsOnReadData() {
        linuxPorts();
        send(0xF0);
        mouse.move(3, 4, 0);
        mouse.move(1, 0, Ps2Mouse.BUTTON_LEFT);
        assertFalse(h.obf(), "no stream in remote mode");
        assertEquals(list(0xFA, 0x09, 0x04, 0x04), send(0xEB));
        assertEquals(list(0xFA, 0x09, 0x00, 0x00), send(0xEB), "counters restarted");
    }

    @Test
    void disabledReportingDropsMotion() {
        linuxPorts();
        mouse.move(3, 4, 0);
        assertFalse(h.obf());
        send(0xF4);
        assertFalse(h.obf(), "nothing accumulated while disabled");
    }

    @Test
    void blockedPortKeepsCountingUntilThereIsRoom() {
        linuxPorts();
        send(0xF4);
        h.command(0xA7);                                     // AUX clock inhibited
        for (int i = 0; i < 7; i++) {
            mouse.move(1, 0, 0);
        }
        assertFalse(h.obf());
        h.command(0xA8);
        List<Integer> got = irq12Bytes();
        assertEquals(18, got.size(), "5 queued packets, then the rest as one");
        assertEquals(list(0x08, 0x01, 0x00), got.subList(0, 3));
        assertEquals(list(0x08, 0x02, 0x00), got.subList(15, 18));
    }

    @Test
    void wrapModeEchoesAndResend() {
        h.writeCtr(CTR_KBDDIS);
        send(0xEE);
        assertEquals(list(0x55), send(0x55));
        assertEquals(list(0xFA), send(0xEC));
        assertEquals(list(0xFA, 0x00), send(0xF2));
        assertEquals(list(0xFA, 0x00), send(0xFE), "resend the last answer");
        assertEquals(list(0xFE), send(0x42), "not a mouse command");
    }

    @Test
    void keyboardAndMouseShareTheBufferBySource() {
        linuxPorts();
        send(0xF4);
        h.irq1.clear();
        h.irq12.clear();
        h.kbc.keyboard().pressScancodeSet2(0x1C);
        mouse.move(1, 1, 0);
        assertTrue(h.irq1.level());
        assertFalse(h.irq12.level());
        assertEquals(0x1E, h.read(false));
        assertTrue(h.irq12.level());
        assertEquals(list(0x08, 0x01, 0x01), irq12Bytes());
    }
}

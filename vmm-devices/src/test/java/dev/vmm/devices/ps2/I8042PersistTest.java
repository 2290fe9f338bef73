package dev.vmm.devices.ps2;

import static dev.vmm.devices.ps2.I8042.CTR_AUXDIS;
import static dev.vmm.devices.ps2.I8042.CTR_AUXINT;
import static dev.vmm.devices.ps2.I8042.CTR_KBDINT;
import static dev.vmm.devices.ps2.I8042.CTR_XLATE;
import static dev.vmm.devices.ps2.I8042Harness.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Save in the middle of commands and transfers, restore into a fresh board, carry on. */
class I8042PersistTest {
    private final I8042Harness a = new I8042Harness();

    /** A fresh board restored from {@code a}'s state. */
    private I8042Harness copy() {
        I8042Harness b = new I8042Harness();
        b.kbc.restore(a.kbc.save());
        b.port92.restore(a.port92.save());
        b.gate.restore(a.gate.save());
        assertEquals(a.kbc.save(), b.kbc.save());
        assertEquals(a.port92.save(), b.port92.save());
        assertEquals(a.gate.save(), b.gate.save());
        assertEquals(List.of(), b.cpuA20, "restore tells the CPU nothing");
        assertEquals(0, b.irq1.edges().size() + b.irq12.edges().size(), "lines not driven");
        b.cpuA20.addAll(a.cpuA20);                           // same history from here on
        b.resets = a.resets;
        return b;
    }

    /** Runs the same steps on the original and the copy: same results, same final state. */
    private <T> T same(I8042Harness b, Function<I8042Harness, T> steps) {
        T x = steps.apply(a);
        assertEquals(x, steps.apply(b));
        assertEquals(a.kbc.save(), b.kbc.save());
        assertEquals(a.cpuA20, b.cpuA20);
        assertEquals(a.resets, b.resets);
        return x;
    }

    private static List<Integer> mouseSend(I8042Harness h, int... bytes) {
        for (int v : bytes) {
            h.command(0xD4);
            h.data(v);
        }
        return h.drain();
    }

    @Test
    void controllerWaitingForItsDataByte() {
        a.command(0x60);
        I8042Harness b = copy();
        int ctr = same(b, h -> {
            h.data(0x45);
            return h.ctr();
        });
        assertEquals(0x45, ctr);
        a.command(0xD1);
        b = copy();
        same(b, h -> {
            h.data(0xDD);
            return h.gate.enabled();
        });
        assertEquals(List.of(false), b.cpuA20);
        a.command(0xD4);
        b = copy();
        assertEquals(list(0x1FA, 0x100), same(b, h -> {
            h.data(0xF2);
            return h.drain();
        }));
    }

    @Test
    void keyboardWaitingForLedBits() {
        a.writeCtr(CTR_AUXDIS | CTR_XLATE);
        a.data(0xED);
        assertEquals(list(0xFA), a.drain());
        I8042Harness b = copy();
        assertEquals(list(0xFA), same(b, h -> {
            h.data(0x04);
            return h.drain();
        }));
        assertEquals(4, b.kbc.keyboard().leds());
    }

    @Test
    void mouseHalfwayThroughTheIntelliMouseKnock() {
        a.writeCtr(CTR_XLATE);
        mouseSend(a, 0xF3, 200, 0xF3, 100, 0xF3);
        I8042Harness b = copy();
        assertEquals(list(0x1FA, 0x1FA, 0x103), same(b, h -> mouseSend(h, 80, 0xF2)));
        assertEquals(3, b.kbc.mouse().deviceId());
    }

    @Test
    void translationBetweenBreakPrefixAndCode() {
        a.writeCtr(CTR_AUXDIS | CTR_XLATE | CTR_KBDINT);
        a.kbc.keyboard().pressScancodeSet2(0xF0);           // the keyboard sent only the prefix
        assertFalse(a.obf());
        I8042Harness b = copy();
        assertEquals(list(0x9E), same(b, h -> {
            h.kbc.keyboard().pressScancodeSet2(0x1C);
            return h.drain();
        }));
    }

    @Test
    void queuesAndOutputBufferMidTransfer() {
        a.writeCtr(CTR_XLATE | CTR_KBDINT | CTR_AUXINT);
        mouseSend(a, 0xF4);
        a.kbc.mouse().move(2, 3, Ps2Mouse.BUTTON_LEFT);
        assertEquals(0x09, a.read(true));                   // first packet byte read
        for (int[] e : UsKeyboardLayout.type("Hi")) {
            a.kbc.keyboard().pressScancodeSet2(e);
        }
        a.command(0x20);                                     // the answer waits behind data
        assertTrue(a.irq12.level());
        I8042Harness b = copy();
        List<Integer> rest = same(b, I8042Harness::drain);
        // The rest of the packet, the CTR answer first, then keys, then the mouse again.
        assertEquals(list(0x102, 0x43, 0x2A, 0x23, 0xA3, 0xAA, 0x17, 0x97, 0x103), rest);
        assertEquals(7, b.irq1.risingEdges(), "one edge per keyboard-side byte loaded");
        assertEquals(1, b.irq12.risingEdges());
        assertFalse(b.irq1.level());
        assertFalse(b.irq12.level());
    }

    @Test
    void port92AndGate() {
        a.command(0xDD);
        a.bus.write(Port92.PORT, 1, Port92.FAST_RESET | Port92.FAST_A20);
        I8042Harness b = copy();
        assertEquals(0x03, b.bus.read(Port92.PORT, 1));
        assertTrue(b.gate.enabled());
        same(b, h -> {
            h.bus.write(Port92.PORT, 1, Port92.FAST_RESET);  // A20 off, no new reset edge
            return h.gate.enabled();
        });
        assertFalse(b.gate.enabled());
        assertEquals(List.of(false, true, false), b.cpuA20);
        assertEquals(1, b.resets);
    }
}

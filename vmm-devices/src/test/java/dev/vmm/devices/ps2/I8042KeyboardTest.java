package dev.vmm.devices.ps2;

import static dev.vmm.devices.ps2.I8042.CTR_AUXDIS;
import static dev.vmm.devices.ps2.I8042.CTR_KBDINT;
import static dev.vmm.devices.ps2.I8042.CTR_XLATE;
import static dev.vmm.devices.ps2.I8042Harness.list;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keyboard's command set, key buffer and the controller's translation. */
class I8042KeyboardTest {
    private final I8042Harness h = new I8042Harness();
    private final Ps2Keyboard kbd = h.kbc.keyboard();

    /** Sends a byte to the keyboard and returns everything it answers. */
    private List<Integer> send(int b) {
        h.data(b);
        return h.drain();
    }

    @Test
    void commandsAnswerPerSpecification() {
        h.writeCtr(CTR_AUXDIS);                              // no translation, no IRQs
        assertEquals(list(0xFA, 0xAB, 0x83), send(0xF2));
        assertEquals(list(0xEE), send(0xEE));
        assertEquals(list(0xEE), send(0xFE), "resend repeats the last byte");
        assertEquals(list(0xFA), send(0xF3));
        assertEquals(list(0xFA), send(0x20));
        assertEquals(0x20, kbd.typematic());
        assertEquals(list(0xFA), send(0xED));
        assertEquals(list(0xFA), send(0x07));
        assertEquals(7, kbd.leds());
        assertEquals(list(0xFA), send(0xF0));
        assertEquals(list(0xFA, 0x02), send(0x00));
        assertEquals(list(0xFA), send(0xF6));
        assertEquals(Ps2Keyboard.DEFAULT_TYPEMATIC, kbd.typematic());
        assertEquals(list(0xFA, 0xAA), send(0xFF));
        assertEquals(0, kbd.leds(), "reset turns the LEDs off");
        assertEquals(list(0xFE), send(0x01), "unknown command");
        assertEquals(1, kbd.ignoredBytes());
        assertEquals(list(0xFA), send(0xF0));
        assertEquals(list(0xFE), send(0x05), "no scan code set 5");
    }

    @Test
    void commandByteDuringParameterAbortsTheCommand() {
        h.writeCtr(CTR_AUXDIS);
        send(0xED);
        assertEquals(list(0xFA, 0xAB, 0x83), send(0xF2));
        assertEquals(list(0xFE), send(0x02), "0x02 is a command again, not LED bits");
        assertEquals(0, kbd.leds());
    }

    @Test
    void disabledScanningDropsKeys() {
        h.writeCtr(CTR_AUXDIS);
        send(0xF5);
        assertFalse(kbd.pressScancodeSet2(0x1C));
        assertEquals(List.of(), h.drain());
        send(0xF4);
        assertTrue(kbd.pressScancodeSet2(0x1C));
        assertEquals(list(0x1C), h.drain());
    }

    @Test
    void translationOfExtendedKeysAndPause() {
        h.writeCtr(CTR_AUXDIS | CTR_XLATE);
        kbd.pressScancodeSet2(0xE0, 0x75);                   // up arrow
        kbd.pressScancodeSet2(0xE0, 0xF0, 0x75);
        kbd.pressScancodeSet2(0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
        kbd.pressScancodeSet2(0x83);                         // F7, the one code above 0x7F
        kbd.pressScancodeSet2(0xF0, 0x83);
        assertEquals(list(0xE0, 0x48, 0xE0, 0xC8, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, 0x41, 0xC1),
                h.drain());
    }

    @Test
    void keyboardInSet1WithoutTranslation() {
        h.writeCtr(CTR_AUXDIS);
        send(0xF0);
        send(0x01);
        for (int[] e : UsKeyboardLayout.type("L")) {
            kbd.pressScancodeSet2(e);
        }
        assertEquals(list(0x2A, 0x26, 0xA6, 0xAA), h.drain(), "shift, l, shift released");
        send(0xF0);
        assertEquals(list(0xFA, 0x01), send(0x00));
    }

    @Test
    void disabledPortHoldsKeysUpToTheBufferAndOverrun() {
        h.writeCtr(CTR_AUXDIS | CTR_XLATE | CTR_KBDINT);
        h.command(0xAD);
        for (int i = 0; i < 15; i++) {
            assertTrue(kbd.pressScancodeSet2(0x1C));
        }
        assertFalse(kbd.pressScancodeSet2(0xF0, 0x1C), "two bytes do not fit in one");
        assertFalse(kbd.pressScancodeSet2(0x1C), "buffer full");
        assertFalse(h.obf());
        assertEquals(0, h.irq1.risingEdges());
        h.command(0xAE);
        List<Integer> got = new ArrayList<>();
        while (h.irq1.level()) {
            got.add(h.read(false));
        }
        List<Integer> want = new ArrayList<>(Collections.nCopies(15, 0x1E));
        want.add(0xFF);                                      // overrun 0x00 translated
        assertEquals(want, got);
    }

    @Test
    void enablingTheInterruptWithAByteWaitingRaisesIrq1() {
        h.writeCtr(CTR_AUXDIS | CTR_XLATE);                  // IRQ1 off
        kbd.pressScancodeSet2(0x1C);
        assertTrue(h.obf());
        assertEquals(0, h.irq1.risingEdges());
        h.command(0x60);
        h.data(CTR_AUXDIS | CTR_XLATE | CTR_KBDINT);
        assertTrue(h.irq1.level(), "a level, not a lost pulse");
        assertEquals(0x1E, h.read(false));
        assertFalse(h.irq1.level());
    }

    @Test
    void commandAnswerGoesBeforeKeysAndKeysWaitForTheBuffer() {
        h.writeCtr(CTR_AUXDIS | CTR_XLATE);
        kbd.pressScancodeSet2(0x1C);                         // loaded into the buffer
        kbd.pressScancodeSet2(0x32);                         // waits in the keyboard
        h.data(0xEE);                                        // echo: answered before 0x32
        assertEquals(list(0x1E, 0xEE, 0x30), h.drain());
    }

    @Test
    void writeKeyboardOutputBufferIsNotTranslated() {
        h.writeCtr(CTR_AUXDIS | CTR_XLATE | CTR_KBDINT);
        h.irq1.clear();
        h.command(0xD2);
        h.data(0xF0);
        assertTrue(h.irq1.level());
        assertEquals(0xF0, h.read(false));
    }

    @Test
    void controllerRamAndInputPort() {
        h.command(0x65);
        h.data(0x5A);
        assertArrayEquals(new int[] {0x5A}, h.i8042Command(0x0125));
        assertEquals(I8042.POWER_ON_CTR, h.ctr(), "byte 0 untouched");
        assertArrayEquals(new int[] {I8042.INPUT_PORT}, h.i8042Command(0x01C0));
        assertArrayEquals(new int[] {0xF1}, h.i8042Command(0x01A4), "no password");
        h.command(0xC1);
        assertEquals(1, h.kbc.ignoredCommands());
    }

    @Test
    void sysFlagFollowsCommandByte() {
        h.writeCtr(I8042.CTR_SYS);
        assertEquals(I8042.STR_SYS, h.status() & I8042.STR_SYS);
        h.writeCtr(0);
        assertEquals(0, h.status() & I8042.STR_SYS);
        assertEquals(0, h.status() & I8042.STR_CMD, "the CTR went through 0x60");
        h.command(0xFF);
        assertEquals(I8042.STR_CMD, h.status() & I8042.STR_CMD, "last write went to 0x64");
        h.data(0xEE);
        assertEquals(0, h.status() & I8042.STR_CMD);
    }

    @Test
    void usLayout() {
        assertArrayEquals(new int[] {0x12, 0x1E, 0xF0, 0x1E, 0xF0, 0x12, 0x29, 0xF0, 0x29},
                UsKeyboardLayout.bytes(UsKeyboardLayout.type("@ ")));
        assertArrayEquals(new int[] {0x0D, 0xF0, 0x0D, 0x66, 0xF0, 0x66, 0x76, 0xF0, 0x76},
                UsKeyboardLayout.bytes(UsKeyboardLayout.type("\t\b\u001b")));
        assertThrows(IllegalArgumentException.class, () -> UsKeyboardLayout.type("é"));
        for (char c = 0x20; c < 0x7F; c++) {
            assertTrue(UsKeyboardLayout.canType(c), "printable " + c);
        }
    }
}

package dev.vmm.devices.ps2;

import static dev.vmm.devices.ps2.I8042.CTR_AUXDIS;
import static dev.vmm.devices.ps2.I8042.CTR_AUXINT;
import static dev.vmm.devices.ps2.I8042.CTR_KBDDIS;
import static dev.vmm.devices.ps2.I8042.CTR_KBDINT;
import static dev.vmm.devices.ps2.I8042.CTR_XLATE;
import static dev.vmm.devices.ps2.I8042Harness.list;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The controller driven as Linux's i8042 driver and SeaBIOS's ps2port.c drive it. */
class I8042ProbeTest {
    private final I8042Harness h = new I8042Harness();

    @Test
    void linuxControllerProbe() {
        // i8042_controller_check: status, then flush.
        assertEquals(I8042.STR_CMD | I8042.STR_NOT_INHIBITED, h.status());
        assertEquals(List.of(), h.flush());

        // i8042_controller_selftest.
        assertArrayEquals(new int[] {0x55}, h.i8042Command(0x01AA));
        assertEquals(I8042.STR_SYS, h.status() & I8042.STR_SYS, "self test sets SYS");

        // i8042_controller_init: two equal CTR reads, no keylock, CTR written back.
        int c0 = h.ctr();
        int c1 = h.ctr();
        assertEquals(I8042.POWER_ON_CTR, c0);
        assertEquals(c0, c1);
        assertTrue((h.status() & I8042.STR_NOT_INHIBITED) != 0, "no \"Keylock active\"");
        assertEquals(3, h.irq1.risingEdges(), "answers raise IRQ1 while its enable bit is set");
        int ctr = (c0 | CTR_KBDDIS) & ~CTR_KBDINT;          // XLATE clear: i8042_direct
        h.writeCtr(ctr);
        assertEquals(0x12, h.ctr());
        assertEquals(List.of(), h.flush());

        // Keyboard port test (SeaBIOS and Linux's i8042_kbd_port_test).
        assertArrayEquals(new int[] {0x00}, h.i8042Command(0x01AB));

        // i8042_check_aux: loopback, bit-assignment test through 0xA7/0xA8.
        assertArrayEquals(new int[] {0x5A}, h.i8042Command(0x11D3, 0x5A));
        h.command(0xA7);
        assertEquals(CTR_AUXDIS, h.ctr() & CTR_AUXDIS);
        h.command(0xA8);
        assertEquals(0, h.ctr() & CTR_AUXDIS);
        assertArrayEquals(new int[] {0x00}, h.i8042Command(0x01A9), "AUX port test");

        // AUX IRQ delivery test: port enabled, loop 0xA5 without reading; IRQ12 must come.
        ctr = (ctr & ~CTR_AUXDIS) | CTR_AUXINT;
        h.writeCtr(ctr);
        h.irq12.clear();
        h.command(0xD3);
        h.data(0xA5);
        assertTrue(h.irq12.level());
        assertEquals(0xA5, h.read(true));                    // i8042_aux_test_irq
        assertFalse(h.irq12.level());
        assertEquals(1, h.irq12.risingEdges());
        ctr = (ctr | CTR_AUXDIS) & ~CTR_AUXINT;
        h.writeCtr(ctr);

        // i8042_set_mux_mode: a plain controller loops 0xA4 back unchanged: no MUX.
        assertArrayEquals(new int[] {0xF0}, h.i8042Command(0x11D3, 0xF0));
        assertArrayEquals(new int[] {0x56}, h.i8042Command(0x11D3, 0x56));
        assertArrayEquals(new int[] {0xA4}, h.i8042Command(0x11D3, 0xA4));

        // i8042_enable_kbd_port, then atkbd_probe's GETID over IRQ1 (non-translated).
        ctr = (ctr & ~CTR_KBDDIS) | CTR_KBDINT;
        h.writeCtr(ctr);
        h.irq1.clear();
        h.data(0xF2);
        List<Integer> got = new ArrayList<>();
        while (h.irq1.level()) {
            got.add(h.read(false));                          // i8042_interrupt: one byte
        }
        assertEquals(list(0xFA, 0xAB, 0x83), got);
        assertEquals(3, h.irq1.risingEdges(), "one edge per byte");
        assertEquals(0, h.kbc.ignoredCommands());
    }

    /** SeaBIOS __ps2_command for the keyboard, with its CTR dance around the command. */
    private int[] seabiosKbdCommand(int ps2ctr, int command, int... params) {
        int newctr = (ps2ctr | CTR_AUXDIS | CTR_KBDDIS) & ~(CTR_KBDINT | CTR_AUXINT);
        h.writeCtr(newctr);
        h.flush();                                           // "flush any interrupts"
        newctr &= ~CTR_KBDDIS;
        h.writeCtr(newctr);
        int receive = (command >> 8) & 0xF;
        int[] out;
        if ((command & 0xFF) == 0xFF) {                      // reset: 2 bytes, no ACK check
            h.data(0xFF);
            assertEquals(0xFA, h.read(false));
            out = new int[] {h.read(false), h.obf() ? h.read(false) : 0};
        } else {
            h.data(command & 0xFF);
            assertEquals(0xFA, h.read(false));
            for (int p : params) {
                h.data(p);
                assertEquals(0xFA, h.read(false));
            }
            out = new int[receive];
            for (int i = 0; i < receive; i++) {
                out[i] = h.read(false);
            }
        }
        h.writeCtr(ps2ctr);
        return out;
    }

    private void seabiosKeyboardSetup() {
        assertEquals(List.of(), h.flush());
        assertArrayEquals(new int[] {0x55}, h.i8042Command(0x01AA));
        assertArrayEquals(new int[] {0x00}, h.i8042Command(0x01AB));
        int ps2ctr = CTR_KBDDIS | CTR_AUXDIS;
        h.irq1.clear();
        assertArrayEquals(new int[] {0xAA, 0x00}, seabiosKbdCommand(ps2ctr, 0x02FF));
        seabiosKbdCommand(ps2ctr, 0x00F5);                   // ATKBD_CMD_RESET_DIS
        seabiosKbdCommand(ps2ctr, 0x10F0, 0x02);             // ATKBD_CMD_SSCANSET 2
        ps2ctr = CTR_AUXDIS | CTR_XLATE | CTR_KBDINT;
        seabiosKbdCommand(ps2ctr, 0x00F4);                   // ATKBD_CMD_ENABLE
        assertEquals(0x61, h.kbc.commandByte());
        assertEquals(0, h.irq1.risingEdges(), "interrupts are off while SeaBIOS polls");
    }

    @Test
    void seabiosKeyboardInitAndLeds() {
        seabiosKeyboardSetup();
        assertTrue(h.kbc.keyboard().scanning());
        assertEquals(2, h.kbc.keyboard().scancodeSet());
        // kbd.c set_leds: ATKBD_CMD_SETLEDS (0x10ed) with caps + num lock.
        seabiosKbdCommand(0x61, 0x10ED, 0x06);
        assertEquals(0x06, h.kbc.keyboard().leds());
        assertEquals(0, h.irq1.risingEdges());
        assertEquals(0, h.kbc.keyboard().ignoredBytes());
    }

    @Test
    void typedTextArrivesAsSet1OnIrq1() {
        seabiosKeyboardSetup();
        for (int[] event : UsKeyboardLayout.type("ls\n")) {
            assertTrue(h.kbc.keyboard().pressScancodeSet2(event));
        }
        List<Integer> got = new ArrayList<>();
        while (h.irq1.level()) {                             // SeaBIOS handle_09
            int st = h.status();
            assertEquals(0, st & I8042.STR_AUXDATA);
            got.add(h.read(false));
            h.command(0xAE);                                 // "old programs expect ISR..."
        }
        assertEquals(list(0x26, 0xA6, 0x1F, 0x9F, 0x1C, 0x9C), got);
        assertEquals(6, h.irq1.risingEdges());
        assertFalse(h.obf());
    }

    @Test
    void translatedIdentifyAndScancodeSetQuery() {
        seabiosKeyboardSetup();
        // Linux atkbd on a translating controller: ID 0xAB 0x83 arrives as 0xAB 0x41.
        assertArrayEquals(new int[] {0xAB, 0x41}, seabiosKbdCommand(0x61, 0x02F2));
        // Get scan code set: 2, translated to 0x41.
        assertArrayEquals(new int[] {0x41}, seabiosKbdCommand(0x61, 0x11F0, 0x00));
    }
}

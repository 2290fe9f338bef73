package dev.vmm.devices.vga;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The VGA registers and memory window, driven through ports and guest physical memory. */
class VgaTest {
    private final VgaHarness h = new VgaHarness();

    @AfterEach
    void close() {
        h.close();
    }

    @Test
    void helloWithAttribute1fAppearsInTheTextScreen() {
        h.vga.setMode3();
        h.print(0, 0, "Hello", 0x1F);
        TextSnapshot s = h.vga.textScreen();
        assertEquals(80, s.columns());
        assertEquals(25, s.rows());
        assertTrue(s.line(0).startsWith("Hello "), s.line(0));
        for (int c = 0; c < 5; c++) {
            assertEquals("Hello".charAt(c), s.character(0, c));
            assertEquals(0x1F, s.attribute(0, c));
        }
        assertEquals(0xFFFFFF, s.foreground(0, 0), "bright white");
        assertEquals(0x0000AA, s.background(0, 0), "blue");
        assertEquals(0x20, s.character(0, 5));
        assertEquals(0x07, s.attribute(24, 79), "mode set cleared the screen to grey on black");
        assertEquals("Hello", s.text().strip());
        // word reads and writes see the same bytes
        assertEquals(0x1F48, h.mem.read16(0xB8000));
        h.mem.write16(0xB8000 + 2 * 80, 0x4E00 | 'W');
        assertEquals('W', h.vga.textScreen().character(1, 0));
        assertEquals(0x4E, h.vga.textScreen().attribute(1, 0));
    }

    @Test
    void mode3RegistersReadBackThroughThePorts() {
        assertEquals(0x67, h.in(0x3CC));
        int[] seq = {0x03, 0x00, 0x03, 0x00, 0x02};
        for (int i = 0; i < 5; i++) {
            assertEquals(seq[i], h.seq(i), "SR" + i);
        }
        assertEquals(0x5F, h.crtc(0x00));
        assertEquals(0x4F, h.crtc(0x09));
        assertEquals(0x8E, h.crtc(0x11));
        assertEquals(0xA3, h.crtc(0x17));
        assertEquals(0x10, h.gc(0x05));
        assertEquals(0x0E, h.gc(0x06));
        assertEquals(0xFF, h.gc(0x08));
        h.in(0x3DA);
        h.out(0x3C0, 0x06 | 0x20);
        assertEquals(0x14, h.in(0x3C1), "palette entry 6 is brown (DAC 0x14)");
        h.out(0x3C0, 0x14);                     // data write, flip-flop back to index
        h.out(0x3C0, 0x10 | 0x20);
        assertEquals(0x0C, h.in(0x3C1), "mode control: blink and line graphics");
        assertEquals(0x30, h.in(0x3C0), "index 0x10 with the palette address source bit");
    }

    @Test
    void wordOutWritesIndexAndData() {
        h.pio.write(0x3C4, 2, 0x0F02);          // out dx, ax: map mask = 0x0F
        assertEquals(0x0F, h.seq(2));
        h.pio.write(0x3CE, 2, 0x0508);          // bit mask = 0x05
        assertEquals(0x0508, h.pio.read(0x3CE, 2));
        h.pio.write(0x3D4, 2, 0x340F);          // cursor location low
        assertEquals(0x34, h.crtc(0x0F));
    }

    @Test
    void cursorMovesWithCrtcRegisters0e0f() {
        h.crtc(0x0E, 0x00);
        h.crtc(0x0F, 165);                      // 2 * 80 + 5
        TextSnapshot s = h.vga.textScreen();
        assertEquals(2, s.cursorRow());
        assertEquals(5, s.cursorColumn());
        assertTrue(s.cursorVisible());
        assertEquals(13, s.cursorStart());
        assertEquals(14, s.cursorEnd());

        int pos = 24 * 80 + 79;
        h.pio.write(0x3D4, 2, 0x0E | (pos >> 8) << 8);
        h.pio.write(0x3D4, 2, 0x0F | (pos & 0xFF) << 8);
        s = h.vga.textScreen();
        assertEquals(24, s.cursorRow());
        assertEquals(79, s.cursorColumn());

        h.crtc(0x0A, 0x20 | 0x0D);              // cursor disable
        assertFalse(h.vga.textScreen().cursorVisible());
        h.crtc(0x0A, 0x00);
        h.crtc(0x0B, 0x0F);                     // block cursor
        assertTrue(h.vga.textScreen().cursorVisible());
        assertEquals(0, h.vga.textScreen().cursorStart());

        h.crtc(0x0F, (pos + 1) & 0xFF);         // one past the screen
        assertFalse(h.vga.textScreen().cursorVisible());
    }

    @Test
    void startAddressScrollsTheScreen() {
        for (int r = 0; r < 26; r++) {
            h.print(r, 0, "row " + r, 0x07);
        }
        assertEquals("row 0", h.vga.textScreen().line(0).strip());
        h.crtc(0x0C, 0);
        h.crtc(0x0D, 80);                       // start one row down (in character units)
        h.crtc(0x0E, 0);
        h.crtc(0x0F, 80 + 3);
        TextSnapshot s = h.vga.textScreen();
        assertEquals("row 1", s.line(0).strip());
        assertEquals("row 25", s.line(24).strip(), "row 25 was off screen before");
        assertEquals(0, s.cursorRow(), "the cursor location is relative to the start address");
        assertEquals(3, s.cursorColumn());
        h.crtc(0x0D, 40);                       // half a row: rows straddle lines
        assertEquals("row 1", h.vga.textScreen().line(0).substring(40).strip());
    }

    @Test
    void protectBitGuardsCrtcRegisters0To7() {
        assertEquals(0x80, h.crtc(0x11) & 0x80, "mode 3 sets the protect bit");
        h.crtc(0x01, 0x27);
        assertEquals(0x4F, h.crtc(0x01), "protected");
        h.crtc(0x07, 0x00);
        assertEquals(0x0F, h.crtc(0x07), "only line compare bit 8 (bit 4) is writable");
        h.crtc(0x11, 0x0E);
        h.crtc(0x01, 0x27);
        assertEquals(0x27, h.crtc(0x01));
        assertEquals(40, h.vga.textScreen().columns());
        h.crtc(0x0C, 0x12);
        assertEquals(0x12, h.crtc(0x0C), "registers above 7 are never protected");
    }

    @Test
    void attributeFlipFlopIsResetByReadingInputStatus1() {
        h.in(0x3DA);
        h.out(0x3C0, 0x11 | 0x20);              // index: overscan; flip-flop now at data
        h.in(0x3DA);                            // back to index
        h.out(0x3C0, 0x12 | 0x20);              // taken as an index, not as overscan data
        assertEquals(0x32, h.in(0x3C0));
        h.out(0x3C0, 0x07);                     // data: colour plane enable
        assertEquals(0x07, h.in(0x3C1));
        h.out(0x3C0, 0x11 | 0x20);
        assertEquals(0x00, h.in(0x3C1), "overscan untouched");
        // without the reset, index and data alternate
        h.out(0x3C0, 0x05);
        h.out(0x3C0, 0x01);                     // index 1
        h.out(0x3C0, 0x3F);                     // palette 1 = 0x3F
        h.in(0x3DA);
        h.out(0x3C0, 0x01 | 0x20);
        assertEquals(0x3F, h.in(0x3C1));
        assertEquals(0x05, h.vga.save().ac()[0x11], "the 0x05 went to overscan");
    }

    @Test
    void paletteAddressSourceClearBlanksTheScreen() {
        h.in(0x3DA);
        h.out(0x3C0, 0x00);                     // PAS = 0: the CPU owns the palette
        assertTrue(h.vga.textScreen().geometry().blanked());
        assertFalse(h.vga.textScreen().cursorVisible());
        h.out(0x3C0, 0x00);
        h.out(0x3C0, 0x20);
        assertFalse(h.vga.textScreen().geometry().blanked());
        h.seq(0x01, 0x20);                      // screen off
        assertTrue(h.vga.textScreen().geometry().blanked());
    }

    @Test
    void dacTripletsWriteAndReadBackWithAutoIncrement() {
        h.out(0x3C8, 5);
        assertEquals(0, h.in(0x3C7), "DAC state: write mode");
        int[] rgb = {0x01, 0x02, 0x03, 0x3F, 0xFF, 0x20};
        for (int v : rgb) {
            h.out(0x3C9, v);
        }
        assertEquals(7, h.in(0x3C8), "the write index moved on after each triplet");
        h.out(0x3C7, 5);
        assertEquals(3, h.in(0x3C7), "DAC state: read mode");
        int[] back = new int[6];
        for (int i = 0; i < 6; i++) {
            back[i] = h.in(0x3C9);
        }
        assertArrayEquals(new int[] {0x01, 0x02, 0x03, 0x3F, 0x3F, 0x20}, back, "6 bits each");
        assertEquals(0xFF, h.in(0x3C6));
        // the default mode 3 DAC: entry 0x14 is brown, 0x3F white
        h.out(0x3C7, 0x14);
        assertArrayEquals(new int[] {0x2A, 0x15, 0x00},
                new int[] {h.in(0x3C9), h.in(0x3C9), h.in(0x3C9)});
        // a DAC change shows in the colours of the text screen
        h.out(0x3C8, 0x01);                     // attribute colour 1 -> palette 1 -> DAC 1
        h.out(0x3C9, 0x3F);
        h.out(0x3C9, 0x00);
        h.out(0x3C9, 0x00);
        h.print(0, 0, "x", 0x01);
        assertEquals(0xFF0000, h.vga.textScreen().foreground(0, 0));
        h.out(0x3C6, 0x00);                     // pixel mask: everything reads entry 0
        assertEquals(0x000000, h.vga.textScreen().foreground(0, 0));
    }

    @Test
    void fontLoadsIntoPlane2WithoutTouchingText() {
        h.print(0, 0, "AB", 0x07);
        byte[] glyph = new byte[32];
        for (int i = 0; i < 16; i++) {
            glyph[i] = (byte) (i % 2 == 0 ? 0xAA : 0x55);
        }
        h.loadFont('A', glyph);
        TextSnapshot s = h.vga.textScreen();
        assertEquals("AB", s.line(0).substring(0, 2), "text in planes 0/1 intact");
        byte[] font = s.font(0, 0);
        assertEquals(0xAA, font['A' * 32] & 0xFF);
        assertEquals(0x55, font['A' * 32 + 1] & 0xFF);
        assertEquals(0, font['B' * 32]);
        // read the glyph back through the window, as vgacon does when it saves the font
        h.seq(0x04, 0x07);
        h.gc(0x04, 0x02);
        h.gc(0x05, 0x00);
        h.gc(0x06, 0x04);
        assertEquals(0xAA, h.mem.read8(0xA0000 + 'A' * 32));
        assertEquals(0x55, h.mem.read8(0xA0000 + 'A' * 32 + 1));
        assertEquals(0xFF, h.mem.read8(0xB8000), "0xB8000 is outside a 64 KiB window at 0xA0000");
    }

    @Test
    void characterMapSelectPicksTheFontByAttributeBit3() {
        byte[] a = new byte[32];
        a[0] = 0x11;
        h.loadFont('Q', a);
        TextSnapshot s = h.vga.textScreen();
        assertEquals(0x11, s.font(0, 0)['Q' * 32]);
        h.seq(0x03, 0x04);                      // map A = 1 (offset 0x4000), map B = 0
        h.print(0, 0, "QQ", 0x0F);
        h.print(0, 1, "Q", 0x07);
        s = h.vga.textScreen();
        assertNull(s.font(0, 0), "map A (attribute bit 3 set) is blank");
        assertEquals(0x11, s.font(0, 1)['Q' * 32]);
    }

    @Test
    void planarWriteModesAndColourCompare() {
        h.seq(0x04, 0x06);                      // planar
        h.gc(0x05, 0x00);
        h.gc(0x06, 0x05);                       // graphics, 64 KiB at 0xA8000
        h.seq(0x02, 0x0F);
        // (above 0x8000: the mode 3 clear filled planes 0 and 1 below it)
        // write mode 0 with set/reset on planes 0 and 2 (colour 5) and bit mask 0xF0
        h.gc(0x00, 0x05);
        h.gc(0x01, 0x0F);
        h.gc(0x08, 0xF0);
        h.mem.read8(0xA8000);                   // load latches (all zero)
        h.mem.write8(0xA8000, 0x00);
        assertEquals(0x00F000F0, planes(0x8000));
        // write mode 1 copies the latches
        h.mem.read8(0xA8000);
        h.gc(0x05, 0x01);
        h.mem.write8(0xA8010, 0x00);
        assertEquals(0x00F000F0, planes(0x8010));
        // write mode 2: the CPU byte is a colour; XOR with the latches
        h.gc(0x05, 0x02);
        h.gc(0x03, 0x18);                       // XOR
        h.gc(0x08, 0xFF);
        h.mem.read8(0xA8000);
        h.mem.write8(0xA8000, 0x03);            // colour 3: planes 0, 1
        assertEquals(0x00F0FF0F, planes(0x8000));
        // read mode 1: which pixels have colour 5 (planes 0 and 2 set, 1 and 3 clear)?
        h.gc(0x03, 0x00);
        h.gc(0x05, 0x08);
        h.gc(0x02, 0x05);
        h.gc(0x07, 0x0F);
        h.mem.write8(0xA8020, 0);               // (write mode 0 with set/reset 5 everywhere)
        assertEquals(0xFF, h.mem.read8(0xA8020));
        assertEquals(0x00, h.mem.read8(0xA8000));
        h.gc(0x07, 0x01);                       // care about plane 0 only
        assertEquals(0x0F, h.mem.read8(0xA8000));
    }

    /** The four plane bytes at {@code offset}, plane 0 in bits 7-0, read with read mode 0. */
    private int planes(int offset) {
        int gc5 = h.gc(0x05);
        h.gc(0x05, gc5 & ~0x08);
        int v = 0;
        for (int p = 0; p < 4; p++) {
            h.gc(0x04, p);
            v |= h.mem.read8(0xA0000 + offset) << (8 * p);
        }
        h.gc(0x05, gc5);
        return v;
    }

    @Test
    void chain4SpreadsConsecutiveBytesOverThePlanes() {
        h.seq(0x04, 0x0E);                      // mode 13h: chain 4
        h.seq(0x02, 0x0F);
        h.gc(0x05, 0x40);
        h.gc(0x06, 0x05);
        h.mem.write32(0xA0004, 0x44332211);
        assertEquals(0x44332211, h.mem.read32(0xA0004));
        h.seq(0x04, 0x06);                      // unchained: the bytes sit at offset 4 of planes 0-3
        assertEquals(0x44332211, planes(4));
    }

    @Test
    void miscOutputMovesTheCrtcToMonochromePorts() {
        h.crtc(0x0E, 0x00);
        h.out(0x3C2, 0x66);                     // I/O address select = 0: 0x3Bx
        assertEquals(0x66, h.in(0x3CC));
        assertEquals(0xFF, h.in(0x3D5), "colour ports are dead");
        h.out(0x3B4, 0x0F);
        h.out(0x3B5, 0x42);
        assertEquals(0x42, h.in(0x3B5));
        h.in(0x3C0);
        h.out(0x3C0, 0x31);                     // index
        h.in(0x3DA);                            // no effect: not Input Status 1 now
        h.out(0x3C0, 0x09);                     // data: overscan
        assertEquals(0x09, h.vga.save().ac()[0x11]);
        h.out(0x3C0, 0x31);
        h.in(0x3BA);                            // the monochrome status port resets it
        h.out(0x3C0, 0x32);
        assertEquals(0x32, h.in(0x3C0));
        h.out(0x3C2, 0x67);
        assertEquals(0x42, h.crtc(0x0F));
    }

    @Test
    void inputStatus1RetraceBitTogglesAsGuestTimeAdvances() {
        long line = 100L * 9 * 1_000_000_000L / 28_322_000L;   // 31.78 us (31.5 kHz)
        long frame = 449 * line;                                // 70 Hz
        assertEquals(0x00, h.in(0x3DA) & 0x09, "line 0, first dot: display enabled");
        h.t.advanceTo(line * 9 / 10);
        assertEquals(0x01, h.in(0x3DA) & 0x09, "horizontal blanking");
        h.t.advanceTo(line * 300);
        assertEquals(0x00, h.in(0x3DA) & 0x09);
        h.t.advanceTo(line * 405);
        assertEquals(0x01, h.in(0x3DA) & 0x09, "vertical blanking, before the retrace");
        h.t.advanceTo(line * 412);
        assertEquals(0x09, h.in(0x3DA) & 0x09, "vertical retrace");
        h.t.advanceTo(line * 414);
        assertEquals(0x01, h.in(0x3DA) & 0x09, "retrace over (2 lines)");
        h.t.advanceTo(frame + line * 413);
        assertEquals(0x09, h.in(0x3DA) & 0x09, "next frame");

        // the classic loop: wait for the end of a retrace, then for the next one, each step
        // costing guest time as the polling instructions would
        int polls = 0;
        while ((h.in(0x3DA) & 0x08) != 0) {
            h.t.advanceBy(1000);
            polls++;
        }
        long end = h.t.now();
        while ((h.in(0x3DA) & 0x08) == 0) {
            h.t.advanceBy(1000);
            polls++;
        }
        long start = h.t.now();
        assertTrue(polls < 20_000, "loops end");
        assertEquals(2 * frame + 412 * line, start, 1000.0);
        assertNotEquals(end, start);
    }

    @Test
    void nonsenseTimingRegistersStillToggleTheRetraceBit() {
        h.crtc(0x11, 0x00);
        for (int i = 0; i < 0x19; i++) {
            h.crtc(i, 0);
        }
        boolean seen = false;
        for (int i = 0; i < 20_000 && !seen; i++) {
            h.t.advanceBy(1000);
            seen = (h.in(0x3DA) & 0x08) != 0;
        }
        assertTrue(seen);
    }

    @Test
    void unknownRegistersAreCountedNotThrown() {
        h.seq(0x07, 0x12);
        assertEquals(0xFF, h.seq(0x07));
        h.crtc(0x40, 0x12);
        assertEquals(0xFF, h.crtc(0x40));
        assertTrue(h.vga.ignoredAccesses() >= 4);
    }
}

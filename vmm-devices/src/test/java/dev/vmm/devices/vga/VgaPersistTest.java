package dev.vmm.devices.vga;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Save and restore in the middle of guest operations; both machines then behave the same. */
class VgaPersistTest {
    /** Brings {@code h} mid-way: font loaded, text, DAC triplet half written, AC flip-flop at data. */
    private static void midOperation(VgaHarness h) {
        byte[] glyph = new byte[32];
        glyph[3] = 0x7E;
        h.loadFont('A', glyph);
        h.print(3, 10, "persist", 0x2F);
        h.crtc(0x0C, 0x00);
        h.crtc(0x0D, 0x50);
        h.crtc(0x0F, 0xA5);
        h.out(0x3C8, 0x10);
        h.out(0x3C9, 0x11);
        h.out(0x3C9, 0x22);                     // blue still to come
        h.in(0x3DA);
        h.out(0x3C0, 0x01);                     // AC index 1, PAS off: next write is data
        h.t.advanceBy(5_000_000);
    }

    private static void continueOperation(VgaHarness h) {
        h.out(0x3C0, 0x3C);                     // palette 1
        h.out(0x3C0, 0x20);
        h.out(0x3C9, 0x33);                     // completes DAC entry 0x10
        h.print(4, 0, "after", 0x1E);
        h.out(0x3C7, 0x10);
    }

    @Test
    void roundTripMidOperationContinuesIdentically() {
        try (VgaHarness a = new VgaHarness(); VgaHarness b = new VgaHarness()) {
            midOperation(a);
            Vga.State saved = a.vga.save();
            assertTrue(saved.memory().size() < 64, "sparse: " + saved.memory().size() + " pages");
            b.t.advanceTo(a.t.now());
            b.vga.restore(saved);
            assertEquals(saved, b.vga.save());
            assertEquals(saved.hashCode(), b.vga.save().hashCode());

            continueOperation(a);
            continueOperation(b);
            assertEquals(a.vga.save(), b.vga.save());
            TextSnapshot sa = a.vga.textScreen();
            TextSnapshot sb = b.vga.textScreen();
            assertEquals(sa.text(), sb.text());
            assertEquals(0x3C, b.vga.save().ac()[1]);
            assertEquals(sa.foreground(4, 0), sb.foreground(4, 0));
            assertEquals(sa.cursorRow(), sb.cursorRow());
            assertArrayEquals(Screenshot.png(sa), Screenshot.png(sb));
            for (int v : new int[] {0x11, 0x22, 0x33}) {
                assertEquals(v, a.in(0x3C9));
                assertEquals(v, b.in(0x3C9), "the half-written DAC triplet survived");
            }
            assertEquals(a.in(0x3DA), b.in(0x3DA));
            long cell = 0xB8000 + 2 * (3 * 80 + 10);
            assertEquals(0x2F70, b.mem.read16(cell));
            assertEquals(a.mem.read16(cell), b.mem.read16(cell));
        }
    }

    @Test
    void restoreReplacesEverything() {
        try (VgaHarness a = new VgaHarness(); VgaHarness b = new VgaHarness()) {
            Vga.State fresh = a.vga.save();
            midOperation(b);
            assertNotEquals(fresh, b.vga.save());
            b.vga.restore(fresh);
            assertEquals(fresh, b.vga.save());
            assertEquals(a.vga.textScreen().text(), b.vga.textScreen().text());
            assertNull(b.vga.textScreen().font(0, 0), "the loaded font is gone");
        }
    }

    @Test
    void statesAreImmutable() {
        try (VgaHarness a = new VgaHarness()) {
            Vga.State s = a.vga.save();
            s.crtc()[0] = 0;
            s.memory().getFirst().data()[0] = 0;
            s.dac().rgb()[5] = 9;
            assertEquals(s, a.vga.save());
        }
    }
}

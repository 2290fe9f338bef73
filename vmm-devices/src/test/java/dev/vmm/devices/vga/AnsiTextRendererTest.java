package dev.vmm.devices.vga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** ANSI rendering of small text screens: full frames, diffs, colours, CP437, the cursor. */
class AnsiTextRendererTest {
    private static final String ESC = "\u001b[";

    /** 3x2: "Hi!" bright white on blue; "o" grey on black, "k" yellow on red, box corner. */
    private static TextSnapshot small(String top, int cursorRow, int cursorCol) {
        byte[] chars = (top + "ok").getBytes(StandardCharsets.ISO_8859_1);
        chars = java.util.Arrays.copyOf(chars, 6);
        chars[5] = (byte) 0xC9;
        byte[] attrs = {0x1F, 0x1F, 0x1F, 0x07, 0x4E, (byte) 0x8A};
        return TextSnapshot.of(3, 2, chars, attrs, cursorRow, cursorCol);
    }

    @Test
    void fullFrameHasPositionsColoursTextAndCursor() {
        AnsiTextRenderer r = new AnsiTextRenderer(AnsiTextRenderer.Colours.ANSI16);
        String out = r.fullFrame(small("Hi!", 1, 1));
        assertTrue(out.startsWith(ESC + "?25l" + ESC + "0m" + ESC + "2J"), out);
        assertTrue(out.contains(ESC + "1;1H" + ESC + "97;44mHi!"), out);
        assertTrue(out.contains(ESC + "2;1H" + ESC + "37;40mo" + ESC + "93;41mk"), out);
        // 0x8A: bright green on black, bit 7 = blink (shown steady, no bright background)
        assertTrue(out.contains(ESC + "92;40m╔"), out);
        assertTrue(out.endsWith(ESC + "0m" + ESC + "2;2H" + ESC + "3 q" + ESC + "?25h"), out);
        assertFalse(out.contains("\u001b[5"), "no blink attribute");
    }

    @Test
    void updateSendsOnlyChangedCells() {
        AnsiTextRenderer r = new AnsiTextRenderer(AnsiTextRenderer.Colours.ANSI16);
        r.update(small("Hi!", 1, 1));                                   // first: a full frame
        assertEquals("", r.update(small("Hi!", 1, 1)), "nothing changed");
        String out = r.update(small("Ho!", 1, 1));
        assertEquals(ESC + "?25l" + ESC + "1;2H" + ESC + "97;44mo" + ESC + "0m"
                + ESC + "2;2H" + ESC + "3 q" + ESC + "?25h", out);
        out = r.update(small("Ho!", -1, 0));
        assertEquals(ESC + "?25l", out, "cursor hidden, no cells drawn");
        out = r.update(small("Ho!", 0, 2));
        assertEquals(ESC + "1;3H" + ESC + "3 q" + ESC + "?25h", out, "cursor moved only");
        r.invalidate();
        assertTrue(r.update(small("Ho!", 0, 2)).contains(ESC + "2J"));
    }

    @Test
    void colourDepths() {
        TextSnapshot s = small("Hi!", -1, 0);
        String t = new AnsiTextRenderer(AnsiTextRenderer.Colours.TRUECOLOR).fullFrame(s);
        assertTrue(t.contains(ESC + "38;2;255;255;255;48;2;0;0;170mHi!"), t);
        assertTrue(t.contains(ESC + "38;2;255;255;85;48;2;170;0;0mk"), t);
        String x = new AnsiTextRenderer(AnsiTextRenderer.Colours.ANSI256).fullFrame(s);
        assertTrue(x.contains(ESC + "38;5;231;48;5;19mHi!"), x);
        assertEquals(16, AnsiTextRenderer.nearest256(0x000000));
        assertEquals(130, AnsiTextRenderer.nearest256(0xAA5500));
        assertEquals(248, AnsiTextRenderer.nearest256(0xAAAAAA));
        assertEquals(3, AnsiTextRenderer.nearest16(0xAA5500), "brown is ANSI yellow");
        assertEquals(11, AnsiTextRenderer.nearest16(0xFFFF60));
    }

    @Test
    void rendersTheVgaTextScreen() {
        try (VgaHarness h = new VgaHarness()) {
            h.print(0, 0, "Hello", 0x1F);
            AnsiTextRenderer r = new AnsiTextRenderer(AnsiTextRenderer.Colours.ANSI16);
            String out = r.fullFrame(h.vga.textScreen());
            assertTrue(out.contains(ESC + "1;1H" + ESC + "97;44mHello" + ESC + "37;40m "), out);
            assertTrue(out.contains(ESC + "25;1H"), out);
            assertTrue(out.endsWith(ESC + "1;1H" + ESC + "3 q" + ESC + "?25h"), "underline cursor");
            h.print(24, 79, "Z", 0x07);
            assertEquals(ESC + "?25l" + ESC + "25;80H" + ESC + "37;40mZ" + ESC + "0m" + ESC + "1;1H"
                    + ESC + "3 q" + ESC + "?25h", r.update(h.vga.textScreen()));
        }
    }
}

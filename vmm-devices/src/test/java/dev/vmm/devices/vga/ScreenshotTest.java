package dev.vmm.devices.vga;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** PNG screenshots of the text screen, with the built-in font and with one the guest loaded. */
class ScreenshotTest {
    private static final int W = 9;
    private static final int H = 16;

    private final VgaHarness h = new VgaHarness();

    @AfterEach
    void close() {
        h.close();
    }

    private BufferedImage shot() throws IOException {
        byte[] png = Screenshot.png(h.vga.textScreen());
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertNotNull(img, "a PNG ImageIO can decode");
        return img;
    }

    private static int px(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    @Test
    void mode3ScreenIsA720x400PngWithTheCellColours() throws IOException {
        h.print(0, 0, " ", 0x4F);               // white on red
        h.print(1, 2, "\u00DB", 0x1E);          // full block, yellow on blue
        h.crtc(0x0E, 0);
        h.crtc(0x0F, 3 * 80);                   // cursor at row 3, column 0 (scan lines 13-14)
        BufferedImage img = shot();
        assertEquals(720, img.getWidth());
        assertEquals(400, img.getHeight());
        assertEquals(0xAA0000, px(img, 4, 8), "background of a blank cell");
        for (int x = 0; x < W; x++) {
            for (int y = 0; y < H; y++) {
                assertEquals(0xFFFF55, px(img, 2 * W + x, H + y),
                        "full block fills the cell, 9th dot included (line graphics)");
            }
        }
        assertEquals(0x000000, px(img, 4, 3 * H + 12), "above the cursor");
        assertEquals(0xAAAAAA, px(img, 4, 3 * H + 13), "cursor in the foreground colour");
        assertEquals(0xAAAAAA, px(img, 8, 3 * H + 14), "cursor covers the 9th dot");
        assertEquals(0x000000, px(img, 4, 3 * H + 15));
    }

    @Test
    void builtInFontDrawsLettersAndBoxes() throws IOException {
        h.print(0, 0, "A\u00C4", 0x07);
        BufferedImage img = shot();
        int lit = 0;
        for (int x = 0; x < 8; x++) {
            for (int y = 0; y < H; y++) {
                lit += px(img, x, y) == 0xAAAAAA ? 1 : 0;
            }
        }
        assertTrue(lit > 10 && lit < 80, "'A' has some dots: " + lit);
        for (int x = W; x < 2 * W; x++) {
            assertEquals(0xAAAAAA, px(img, x, 7), "the horizontal line of 0xC4 spans all 9 dots");
            assertEquals(0x000000, px(img, x, 6));
        }
    }

    @Test
    void fontLoadedIntoPlane2ChangesTheGlyph() throws IOException {
        h.print(0, 0, "A", 0x07);
        h.crtc(0x0A, 0x20);                     // cursor off
        BufferedImage before = shot();
        byte[] glyph = new byte[32];
        for (int i = 0; i < 16; i++) {
            glyph[i] = (byte) (i < 8 ? 0xF0 : 0x0F);
        }
        h.loadFont('A', glyph);
        BufferedImage after = shot();
        boolean changed = false;
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < 8; x++) {
                boolean on = ((glyph[y] & 0xFF) & (0x80 >> x)) != 0;
                assertEquals(on ? 0xAAAAAA : 0x000000, px(after, x, y), "dot " + x + "," + y);
                changed |= px(after, x, y) != px(before, x, y);
            }
            assertEquals(0x000000, px(after, 8, y), "9th dot of a letter is background");
        }
        assertTrue(changed);
    }

    @Test
    void fortyColumnModeDoublesDotsAndBlankedScreenIsBlack() throws IOException {
        h.crtc(0x11, 0x0E);
        h.crtc(0x01, 39);                       // 40 columns
        h.seq(0x01, 0x08);                      // dot clock / 2
        h.print(0, 0, " ", 0x20);               // green background
        BufferedImage img = shot();
        assertEquals(720, img.getWidth());
        assertEquals(0x00AA00, px(img, 17, 0), "cell 0 is 18 dots wide");
        h.seq(0x01, 0x28);                      // screen off
        img = shot();
        assertEquals(0x000000, px(img, 0, 0));
        assertFalse(h.vga.textScreen().cursorVisible());
    }

    @Test
    void builtInFontTableShape() {
        byte[] f = BuiltinFont.glyphs();
        assertEquals(4096, f.length);
        for (int y = 0; y < 16; y++) {
            assertEquals(0, f[0x20 * 16 + y], "space is blank");
            assertEquals((byte) 0xFF, f[0xDB * 16 + y], "0xDB is a full block");
            assertEquals(y == 7 ? (byte) 0xFF : 0, f[0xC4 * 16 + y], "0xC4 is a line on row 7");
        }
        // the double corner 0xC9: outer line on row 5 from column 2, inner on row 7 from column 5
        assertEquals(0x3F, f[0xC9 * 16 + 5] & 0xFF);
        assertEquals(0x37, f[0xC9 * 16 + 7] & 0xFF);
    }

    @Test
    void cp437MapsToUnicode() {
        assertEquals(' ', Cp437.toUnicode(0));
        assertEquals('☺', Cp437.toUnicode(1));
        assertEquals('A', Cp437.toUnicode('A'));
        assertEquals('⌂', Cp437.toUnicode(0x7F));
        assertEquals('Ç', Cp437.toUnicode(0x80));
        assertEquals('╔', Cp437.toUnicode(0xC9));
        assertEquals('█', Cp437.toUnicode(0xDB));
        assertEquals('■', Cp437.toUnicode(0xFE));
        assertEquals(' ', Cp437.toUnicode(0xFF));
    }
}

package dev.vmm.devices.vga;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Renders a {@link TextSnapshot} to pixels as the CRT shows it, and to PNG (javax.imageio).
 *
 * <p>Each cell is {@code cellWidth x cellHeight} dots (mode 3: 9x16, so 80x25 cells make
 * 720x400), doubled horizontally in 40-column modes and vertically with scan doubling. Glyphs
 * come from the font the guest stored in plane 2 (the map the attribute selects) or, where that
 * map is blank, from {@link BuiltinFont} (scaled to the cell height). The 9th dot is background,
 * or repeats the 8th for characters 0xC0-0xDF when line graphics are enabled. Foreground,
 * background and intensity come from the attribute through the palette; blinking characters are
 * shown steady (visible); the cursor fills its scan lines in the cell's foreground colour. A
 * blanked screen is black.
 */
public final class Screenshot {
    private Screenshot() {
    }

    /** The screen as an RGB image. */
    public static BufferedImage render(TextSnapshot s) {
        TextSnapshot.Geometry g = s.geometry();
        int cw = g.cellWidth();
        int ch = g.cellHeight();
        int sx = g.halfDotClock() ? 2 : 1;
        int sy = g.doubleScan() ? 2 : 1;
        BufferedImage img = new BufferedImage(s.columns() * cw * sx, s.rows() * ch * sy,
                BufferedImage.TYPE_INT_RGB);
        if (g.blanked()) {
            return img;
        }
        int[] line = new int[cw];
        for (int r = 0; r < s.rows(); r++) {
            for (int c = 0; c < s.columns(); c++) {
                int code = s.character(r, c);
                int fg = s.foreground(r, c);
                int bg = s.background(r, c);
                boolean cursor = s.cursorVisible() && r == s.cursorRow() && c == s.cursorColumn();
                boolean ninth = cw == 9 && g.lineGraphics() && code >= 0xC0 && code <= 0xDF;
                for (int y = 0; y < ch; y++) {
                    int bits = glyphRow(s, r, c, code, y, ch);
                    boolean dot9 = ninth && (bits & 1) != 0;
                    if (cursor && y >= s.cursorStart() && y <= s.cursorEnd()) {
                        bits = 0xFF;
                        dot9 = true;
                    }
                    for (int x = 0; x < 8 && x < cw; x++) {
                        line[x] = (bits & (0x80 >> x)) != 0 ? fg : bg;
                    }
                    if (cw == 9) {
                        line[8] = dot9 ? fg : bg;
                    }
                    int px = c * cw * sx;
                    int py = (r * ch + y) * sy;
                    for (int dy = 0; dy < sy; dy++) {
                        for (int x = 0; x < cw; x++) {
                            for (int dx = 0; dx < sx; dx++) {
                                img.setRGB(px + x * sx + dx, py + dy, line[x]);
                            }
                        }
                    }
                }
            }
        }
        return img;
    }

    private static int glyphRow(TextSnapshot s, int r, int c, int code, int y, int cellHeight) {
        if (y >= 32) {
            return 0;
        }
        int bits = s.glyphRow(r, c, code, y);
        if (bits >= 0) {
            return bits;
        }
        return BuiltinFont.row(code, y * BuiltinFont.HEIGHT / cellHeight);
    }

    /** The screen as PNG bytes. */
    public static byte[] png(TextSnapshot s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(render(s), "png", out)) {
                throw new IllegalStateException("no PNG writer in this Java runtime");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);      // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /** Writes the screen as a PNG file. */
    public static void writePng(TextSnapshot s, Path file) throws IOException {
        Files.write(file, png(s));
    }
}

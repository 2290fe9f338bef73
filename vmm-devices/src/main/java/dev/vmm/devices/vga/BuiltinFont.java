package dev.vmm.devices.vga;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An 8x16 font for the 256 CP437 characters, used when the guest loaded none into plane 2.
 *
 * <p>No font file is copied: the glyphs are drawn once per JVM at first use from Java's own
 * logical font "Monospaced" (whatever the host's font configuration maps it to) through Java2D,
 * which works headless ({@code -Djava.awt.headless=true} or no display at all), without
 * anti-aliasing, each character placed at its CP437 code via {@link Cp437}. The shades, box
 * drawing and block characters are drawn by {@link BoxGlyphs} so lines join across cells. Should
 * the host have no usable font, printable characters fall back to hollow boxes.
 *
 * <p>The table is computed once and never changes (no mutable state).
 */
public final class BuiltinFont {
    private static final Logger log = LoggerFactory.getLogger(BuiltinFont.class);

    public static final int WIDTH = 8;
    public static final int HEIGHT = 16;

    private BuiltinFont() {
    }

    private static final class Holder {
        static final byte[] GLYPHS = build();
    }

    /** The 4096 bytes of the font: 16 scan lines per character, bit 7 = leftmost dot. */
    public static byte[] glyphs() {
        return Holder.GLYPHS.clone();
    }

    /** Scan line {@code line} (0-15) of character {@code ch} (0-255). */
    static int row(int ch, int line) {
        return Holder.GLYPHS[(ch & 0xFF) * HEIGHT + line] & 0xFF;
    }

    private static byte[] build() {
        byte[] out = new byte[256 * HEIGHT];
        byte[] g = new byte[HEIGHT];
        for (int ch = 0xB0; ch <= 0xDF; ch++) {
            BoxGlyphs.draw(ch, g);
            System.arraycopy(g, 0, out, ch * HEIGHT, HEIGHT);
        }
        try {
            drawFromFont(out);
        } catch (RuntimeException | LinkageError | InternalError e) {
            log.warn("no usable host font for the built-in VGA font ({}); using boxes", e.toString());
            for (int ch = 0; ch < 256; ch++) {
                if (!BoxGlyphs.covers(ch) && !blank(ch)) {
                    hollowBox(out, ch);
                }
            }
        }
        return out;
    }

    private static boolean blank(int ch) {
        return ch == 0 || ch == 0x20 || ch == 0xFF;
    }

    private static void drawFromFont(byte[] out) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
                    RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS,
                    RenderingHints.VALUE_FRACTIONALMETRICS_OFF);
            Font font = fitting(g);
            g.setFont(font);
            FontMetrics fm = g.getFontMetrics();
            int baseline = fm.getAscent() + Math.max(0, (HEIGHT - fm.getAscent() - fm.getDescent()) / 2);
            for (int ch = 0; ch < 256; ch++) {
                if (BoxGlyphs.covers(ch) || blank(ch)) {
                    continue;
                }
                char u = Cp437.toUnicode(ch);
                if (!font.canDisplay(u)) {
                    hollowBox(out, ch);
                    continue;
                }
                g.setColor(Color.BLACK);
                g.fillRect(0, 0, WIDTH, HEIGHT);
                g.setColor(Color.WHITE);
                int x = Math.max(0, (WIDTH - fm.charWidth(u)) / 2);
                g.drawString(String.valueOf(u), x, baseline);
                for (int y = 0; y < HEIGHT; y++) {
                    int bits = 0;
                    for (int px = 0; px < WIDTH; px++) {
                        if ((img.getRGB(px, y) & 0x80) != 0) {
                            bits |= 0x80 >> px;
                        }
                    }
                    out[ch * HEIGHT + y] = (byte) bits;
                }
            }
        } finally {
            g.dispose();
        }
    }

    /** The largest Monospaced size whose advance and height fit the 8x16 cell. */
    private static Font fitting(Graphics2D g) {
        Font base = new Font(Font.MONOSPACED, Font.PLAIN, HEIGHT);
        for (int size = HEIGHT; size > 6; size--) {
            Font f = base.deriveFont((float) size);
            FontMetrics fm = g.getFontMetrics(f);
            if (fm.charWidth('M') <= WIDTH && fm.getAscent() + fm.getDescent() <= HEIGHT) {
                return f;
            }
        }
        return base.deriveFont(7f);
    }

    private static void hollowBox(byte[] out, int ch) {
        for (int y = 3; y <= 12; y++) {
            out[ch * HEIGHT + y] = (byte) (y == 3 || y == 12 ? 0x7E : 0x42);
        }
    }
}

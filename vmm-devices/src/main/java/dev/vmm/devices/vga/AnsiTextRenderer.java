package dev.vmm.devices.vga;

/**
 * Renders {@link TextSnapshot}s for a terminal as ANSI (ECMA-48 / xterm) escape sequences. It
 * returns strings and does no terminal I/O itself.
 *
 * <p>{@link #fullFrame} draws every cell; {@link #update} draws only the cells that changed since
 * the frame drawn before (falling back to a full frame when the size or geometry changed) and
 * returns the empty string when nothing did. Cells are CP437 mapped to Unicode ({@link Cp437});
 * colours are the cell's foreground and background RGB as the VGA palette makes them, sent as
 * the nearest of the 16 ANSI colours (the VGA's own 16 colours, ANSI order), of the xterm
 * 256-colour cube and grey ramp, or as 24-bit colour. Blinking is not sent (shown steady). The
 * terminal cursor ends at the VGA cursor, shown (blinking block or underline, after the cursor
 * start scan line) or hidden. A blanked VGA screen renders as black blanks.
 *
 * <p>Not thread-safe: one renderer per terminal, used by one thread.
 */
public final class AnsiTextRenderer {
    /** How colours are sent. */
    public enum Colours { ANSI16, ANSI256, TRUECOLOR }

    private static final String CSI = "\u001b[";
    /** The VGA colour of each ANSI colour 0-15 (black, red, green, yellow, blue, ..., white). */
    private static final int[] ANSI16_RGB = {
        0x000000, 0xAA0000, 0x00AA00, 0xAA5500, 0x0000AA, 0xAA00AA, 0x00AAAA, 0xAAAAAA,
        0x555555, 0xFF5555, 0x55FF55, 0xFFFF55, 0x5555FF, 0xFF55FF, 0x55FFFF, 0xFFFFFF,
    };
    private static final int[] CUBE = {0, 95, 135, 175, 215, 255};

    private final Colours colours;
    private TextSnapshot last;
    private String lastCursor = "";
    // terminal state while a frame is built
    private String sgr;
    private int row;
    private int col;

    public AnsiTextRenderer(Colours colours) {
        this.colours = colours;
    }

    /** Forgets the previous frame, so the next {@link #update} draws a full frame. */
    public void invalidate() {
        last = null;
    }

    /** Clears the terminal and draws every cell, then places the cursor. */
    public String fullFrame(TextSnapshot s) {
        StringBuilder sb = new StringBuilder(s.rows() * s.columns() * 4);
        sb.append(CSI).append("?25l").append(CSI).append("0m").append(CSI).append("2J");
        begin();
        for (int r = 0; r < s.rows(); r++) {
            for (int c = 0; c < s.columns(); c++) {
                cell(sb, s, r, c);
            }
        }
        finish(sb, s, true);
        return sb.toString();
    }

    /** Draws the cells that changed since the last frame and moves the cursor if it moved. */
    public String update(TextSnapshot s) {
        TextSnapshot prev = last;
        if (prev == null || prev.columns() != s.columns() || prev.rows() != s.rows()
                || !prev.geometry().equals(s.geometry())) {
            return fullFrame(s);
        }
        StringBuilder sb = new StringBuilder();
        begin();
        boolean drew = false;
        for (int r = 0; r < s.rows(); r++) {
            for (int c = 0; c < s.columns(); c++) {
                if (glyph(s, r, c) != glyph(prev, r, c) || fg(s, r, c) != fg(prev, r, c)
                        || bg(s, r, c) != bg(prev, r, c)) {
                    if (!drew) {
                        sb.append(CSI).append("?25l");
                        drew = true;
                    }
                    cell(sb, s, r, c);
                }
            }
        }
        finish(sb, s, drew);
        return sb.toString();
    }

    private void begin() {
        sgr = null;
        row = -1;
        col = -1;
    }

    private void cell(StringBuilder sb, TextSnapshot s, int r, int c) {
        if (r != row || c != col) {
            sb.append(CSI).append(r + 1).append(';').append(c + 1).append('H');
        }
        String want = colour(fg(s, r, c), true) + ';' + colour(bg(s, r, c), false);
        if (!want.equals(sgr)) {
            sb.append(CSI).append(want).append('m');
            sgr = want;
        }
        sb.append(glyph(s, r, c));
        row = r;
        col = c + 1 < s.columns() ? c + 1 : -1;     // after the last column the position is vague
    }

    private void finish(StringBuilder sb, TextSnapshot s, boolean drew) {
        if (sgr != null) {
            sb.append(CSI).append("0m");
        }
        String cursor;
        if (s.cursorVisible()) {
            int shape = s.cursorStart() <= s.geometry().cellHeight() / 2 ? 1 : 3;
            cursor = CSI + (s.cursorRow() + 1) + ';' + (s.cursorColumn() + 1) + 'H'
                    + CSI + shape + " q" + CSI + "?25h";
        } else {
            cursor = CSI + "?25l";
        }
        if (drew || !cursor.equals(lastCursor)) {
            sb.append(cursor);
        }
        lastCursor = cursor;
        last = s;
    }

    private static char glyph(TextSnapshot s, int r, int c) {
        return s.geometry().blanked() ? ' ' : Cp437.toUnicode(s.character(r, c));
    }

    private static int fg(TextSnapshot s, int r, int c) {
        return s.geometry().blanked() ? 0 : s.foreground(r, c);
    }

    private static int bg(TextSnapshot s, int r, int c) {
        return s.geometry().blanked() ? 0 : s.background(r, c);
    }

    /** The SGR parameters selecting {@code rgb} as foreground or background. */
    private String colour(int rgb, boolean foreground) {
        return switch (colours) {
            case ANSI16 -> {
                int i = nearest16(rgb);
                yield Integer.toString(i < 8 ? (foreground ? 30 : 40) + i : (foreground ? 90 : 100) + i - 8);
            }
            case ANSI256 -> (foreground ? "38;5;" : "48;5;") + nearest256(rgb);
            case TRUECOLOR -> (foreground ? "38;2;" : "48;2;") + (rgb >> 16 & 0xFF) + ';'
                    + (rgb >> 8 & 0xFF) + ';' + (rgb & 0xFF);
        };
    }

    /** The ANSI colour 0-15 nearest to {@code rgb}. */
    static int nearest16(int rgb) {
        int best = 0;
        long bestD = Long.MAX_VALUE;
        for (int i = 0; i < 16; i++) {
            long d = distance(rgb, ANSI16_RGB[i]);
            if (d < bestD) {
                bestD = d;
                best = i;
            }
        }
        return best;
    }

    /** The xterm colour 16-255 (6x6x6 cube or grey ramp) nearest to {@code rgb}. */
    static int nearest256(int rgb) {
        int r = cubeLevel(rgb >> 16 & 0xFF);
        int g = cubeLevel(rgb >> 8 & 0xFF);
        int b = cubeLevel(rgb & 0xFF);
        int cube = 16 + 36 * r + 6 * g + b;
        long cubeD = distance(rgb, CUBE[r] << 16 | CUBE[g] << 8 | CUBE[b]);
        int avg = ((rgb >> 16 & 0xFF) + (rgb >> 8 & 0xFF) + (rgb & 0xFF)) / 3;
        int k = Math.clamp((avg - 8 + 5) / 10, 0, 23);
        int grey = 8 + 10 * k;
        long greyD = distance(rgb, grey << 16 | grey << 8 | grey);
        return greyD < cubeD ? 232 + k : cube;
    }

    private static int cubeLevel(int v) {
        int best = 0;
        for (int i = 1; i < CUBE.length; i++) {
            if (Math.abs(CUBE[i] - v) < Math.abs(CUBE[best] - v)) {
                best = i;
            }
        }
        return best;
    }

    private static long distance(int a, int b) {
        long dr = (a >> 16 & 0xFF) - (b >> 16 & 0xFF);
        long dg = (a >> 8 & 0xFF) - (b >> 8 & 0xFF);
        long db = (a & 0xFF) - (b & 0xFF);
        return dr * dr + dg * dg + db * db;
    }
}

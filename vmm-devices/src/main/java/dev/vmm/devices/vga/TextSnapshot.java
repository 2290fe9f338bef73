package dev.vmm.devices.vga;

import java.util.Arrays;

/**
 * An immutable picture of the VGA text screen as the CRT would show it: the characters and
 * attributes of every cell (read from planes 0 and 1 starting at the CRTC start address), the
 * cursor, the cell geometry, the 16 colours the attribute nibbles stand for (through the
 * Attribute Controller palette, Colour Select, Colour Plane Enable and the DAC), and the fonts
 * stored in plane 2.
 *
 * <p>Renderers ({@link AnsiTextRenderer}, {@link Screenshot}) work from this class alone, so it
 * can be taken on the vCPU thread and rendered on another.
 */
public final class TextSnapshot {
    /** Bytes of one font map in plane 2: 256 characters of 32 scan lines. */
    public static final int FONT_BYTES = 256 * 32;

    private final int columns;
    private final int rows;
    private final byte[] chars;
    private final byte[] attrs;
    private final int cursorRow;
    private final int cursorColumn;
    private final boolean cursorEnabled;
    private final int cursorStart;
    private final int cursorEnd;
    private final Geometry geometry;
    private final int[] palette;
    private final byte[] fontA;
    private final byte[] fontB;

    /**
     * How characters become pixels.
     *
     * @param cellWidth 8 or 9 dots per character (Sequencer Clocking Mode bit 0)
     * @param cellHeight scan lines per character row (CRTC Maximum Scan Line + 1)
     * @param doubleScan every scan line is shown twice (CRTC 0x09 bit 7)
     * @param halfDotClock dots are shown twice as wide (Sequencer Clocking Mode bit 3: 40 columns)
     * @param blinkEnabled attribute bit 7 means blink, not bright background (AC Mode bit 3)
     * @param lineGraphics the 9th dot of characters 0xC0-0xDF repeats the 8th (AC Mode bit 2)
     * @param blanked the screen shows nothing (screen off, or the palette owned by the CPU)
     * @param graphicsMode the Attribute Controller is in graphics mode (the text view is moot)
     */
    public record Geometry(int cellWidth, int cellHeight, boolean doubleScan, boolean halfDotClock,
                           boolean blinkEnabled, boolean lineGraphics, boolean blanked,
                           boolean graphicsMode) {
        /** Mode 3: 9x16 cells, blink enabled, line graphics. */
        public static final Geometry MODE3 = new Geometry(9, 16, false, false, true, true, false, false);
    }

    TextSnapshot(int columns, int rows, byte[] chars, byte[] attrs, int cursorRow, int cursorColumn,
                 boolean cursorEnabled, int cursorStart, int cursorEnd, Geometry geometry,
                 int[] palette, byte[] fontA, byte[] fontB) {
        if (columns < 1 || rows < 1 || chars.length != columns * rows || attrs.length != chars.length
                || palette.length != 16) {
            throw new IllegalArgumentException("inconsistent text snapshot " + columns + "x" + rows);
        }
        this.columns = columns;
        this.rows = rows;
        this.chars = chars;
        this.attrs = attrs;
        this.cursorRow = cursorRow;
        this.cursorColumn = cursorColumn;
        this.cursorEnabled = cursorEnabled;
        this.cursorStart = cursorStart;
        this.cursorEnd = cursorEnd;
        this.geometry = geometry;
        this.palette = palette;
        this.fontA = fontA;
        this.fontB = fontB;
    }

    /**
     * A screen in mode 3 colours and geometry, without a loaded font: for tests and for callers
     * that build screens themselves. {@code cursorRow = -1} hides the cursor (an underline cursor
     * on scan lines 14-15 otherwise).
     */
    public static TextSnapshot of(int columns, int rows, byte[] chars, byte[] attrs,
                                  int cursorRow, int cursorColumn) {
        int[] pal = new int[16];
        for (int i = 0; i < 16; i++) {
            pal[i] = Mode3.textColour(i);
        }
        return new TextSnapshot(columns, rows, chars.clone(), attrs.clone(), cursorRow,
                cursorColumn, cursorRow >= 0, 14, 15, Geometry.MODE3, pal, null, null);
    }

    public int columns() {
        return columns;
    }

    public int rows() {
        return rows;
    }

    /** The CP437 code of the cell at {@code row, column}. */
    public int character(int row, int column) {
        return chars[index(row, column)] & 0xFF;
    }

    /** The attribute byte of the cell at {@code row, column}. */
    public int attribute(int row, int column) {
        return attrs[index(row, column)] & 0xFF;
    }

    private int index(int row, int column) {
        if (row < 0 || row >= rows || column < 0 || column >= columns) {
            throw new IndexOutOfBoundsException("cell " + row + "," + column);
        }
        return row * columns + column;
    }

    /** The foreground colour (0xRRGGBB) of the cell. */
    public int foreground(int row, int column) {
        return palette[attribute(row, column) & 0x0F];
    }

    /** The background colour (0xRRGGBB) of the cell; bit 7 is blink, not intensity, when enabled. */
    public int background(int row, int column) {
        int a = attribute(row, column);
        return palette[geometry.blinkEnabled() ? (a >> 4) & 7 : a >> 4];
    }

    /** True when the cell blinks (attribute bit 7 with blink enabled). */
    public boolean blinking(int row, int column) {
        return geometry.blinkEnabled() && (attribute(row, column) & 0x80) != 0;
    }

    /** The colour (0xRRGGBB) that attribute nibble {@code index} (0-15) shows. */
    public int colour(int index) {
        return palette[index & 0x0F];
    }

    /**
     * The 32 bytes per character of the font map this cell's character comes from (attribute bit
     * 3 selects map A when set, map B when clear), or null when that map in plane 2 is blank (the
     * guest never loaded a font there).
     */
    public byte[] font(int row, int column) {
        byte[] f = (attribute(row, column) & 0x08) != 0 ? fontA : fontB;
        return f == null ? null : f.clone();
    }

    /** Glyph scan line {@code line} of character {@code ch} in the cell's font map, or -1. */
    int glyphRow(int row, int column, int ch, int line) {
        byte[] f = (attribute(row, column) & 0x08) != 0 ? fontA : fontB;
        return f == null ? -1 : f[ch * 32 + line] & 0xFF;
    }

    /** Row of the cursor, -1 when it lies outside the screen. */
    public int cursorRow() {
        return cursorRow;
    }

    /** Column of the cursor, -1 when it lies outside the screen. */
    public int cursorColumn() {
        return cursorColumn;
    }

    /** True when the cursor shows: enabled, start scan line within the cell and not after the end, on screen. */
    public boolean cursorVisible() {
        return cursorEnabled && cursorRow >= 0 && cursorColumn >= 0 && cursorStart <= cursorEnd
                && cursorStart < geometry.cellHeight() && !geometry.blanked();
    }

    /** First scan line of the cursor in its cell (CRTC 0x0A bits 4-0). */
    public int cursorStart() {
        return cursorStart;
    }

    /** Last scan line of the cursor in its cell (CRTC 0x0B bits 4-0). */
    public int cursorEnd() {
        return cursorEnd;
    }

    public Geometry geometry() {
        return geometry;
    }

    /** Row {@code row} as Unicode text (CP437 mapped, trailing blanks kept). */
    public String line(int row) {
        return Cp437.decode(Arrays.copyOfRange(chars, row * columns, (row + 1) * columns));
    }

    /** All rows as Unicode text, trailing blanks stripped, joined by newlines. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            if (r > 0) {
                sb.append('\n');
            }
            sb.append(line(r).stripTrailing());
        }
        return sb.toString();
    }

    /** True when both snapshots show the same cells with the same colours. */
    boolean sameCells(TextSnapshot o) {
        return o != null && columns == o.columns && rows == o.rows && Arrays.equals(chars, o.chars)
                && Arrays.equals(attrs, o.attrs) && Arrays.equals(palette, o.palette)
                && geometry.equals(o.geometry);
    }

    @Override
    public String toString() {
        return "TextSnapshot[" + columns + "x" + rows + ", cursor=" + cursorRow + "," + cursorColumn
                + (cursorVisible() ? "" : " hidden") + "]";
    }
}

package dev.vmm.devices.vga;

/**
 * Reads the text screen the way the CRTC scans it, into a {@link TextSnapshot}.
 *
 * <p>Columns: Horizontal Display End + 1. Rows: (Vertical Display End + 1) scan lines divided by
 * the scan lines per character row (Maximum Scan Line + 1, twice that with scan doubling). Cell
 * {@code (r, c)} is at memory address counter {@code start + r * 2 * Offset + c}, turned into a
 * plane offset by the CRTC's addressing mode: doubleword (CRTC 0x14 bit 6) shifts it left by 2,
 * byte mode (CRTC 0x17 bit 6) uses it as is, word mode shifts it left by 1 and fills bit 0 with
 * MA13 or MA15 (CRTC 0x17 bit 5). The character is in plane 0, the attribute in plane 1.
 *
 * <p>Not modelled: the split screen (Line Compare), the preset row scan and horizontal pixel
 * panning (smooth scrolling), the cursor skew and the underline location (the monochrome
 * underline).
 */
final class TextScanout {
    private static final int MAX_COLUMNS = 256;
    private static final int MAX_ROWS = 256;

    private TextScanout() {
    }

    static TextSnapshot capture(byte[] seq, byte[] crtc, byte[] ac, boolean paletteEnabled,
                                VgaMemory mem, VgaDac dac) {
        int columns = Math.min(MAX_COLUMNS, (crtc[1] & 0xFF) + 1);
        int ov = crtc[7] & 0xFF;
        int scanLines = ((crtc[0x12] & 0xFF) | (ov & 0x02) << 7 | (ov & 0x40) << 3) + 1;
        int cellHeight = (crtc[9] & 0x1F) + 1;
        boolean doubleScan = (crtc[9] & 0x80) != 0;
        int rowLines = cellHeight * (doubleScan ? 2 : 1);
        int rows = Math.clamp(scanLines / rowLines, 1, MAX_ROWS);
        int start = (crtc[0x0C] & 0xFF) << 8 | (crtc[0x0D] & 0xFF);
        int stride = 2 * (crtc[0x13] & 0xFF);

        byte[] chars = new byte[rows * columns];
        byte[] attrs = new byte[rows * columns];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                int addr = planeOffset(crtc, start + r * stride + c);
                chars[r * columns + c] = (byte) mem.plane(0, addr);
                attrs[r * columns + c] = (byte) mem.plane(1, addr);
            }
        }

        int cursor = (crtc[0x0E] & 0xFF) << 8 | (crtc[0x0F] & 0xFF);
        int delta = (cursor - start) & 0xFFFF;
        int cursorRow = stride == 0 ? (delta < columns ? 0 : -1) : delta / stride;
        int cursorCol = stride == 0 ? delta : delta % stride;
        if (cursorRow < 0 || cursorRow >= rows || cursorCol >= columns) {
            cursorRow = -1;
            cursorCol = -1;
        }
        boolean cursorEnabled = (crtc[0x0A] & 0x20) == 0;

        int mode = ac[0x10] & 0xFF;
        TextSnapshot.Geometry g = new TextSnapshot.Geometry(
                (seq[1] & 0x01) != 0 ? 8 : 9, cellHeight, doubleScan, (seq[1] & 0x08) != 0,
                (mode & 0x08) != 0, (mode & 0x04) != 0,
                !paletteEnabled || (seq[1] & 0x20) != 0, (mode & 0x01) != 0);

        int[] palette = new int[16];
        int planeEnable = ac[0x12] & 0x0F;
        int colourSelect = ac[0x14] & 0x0F;
        for (int i = 0; i < 16; i++) {
            int p = ac[i & planeEnable] & 0x3F;
            if ((mode & 0x80) != 0) {
                p = (p & 0x0F) | (colourSelect & 0x03) << 4;
            }
            p |= (colourSelect & 0x0C) << 4;
            palette[i] = dac.rgb24(p);
        }

        int sel = seq[3] & 0xFF;
        int mapA = (sel >> 2) & 3 | (sel >> 3) & 4;
        int mapB = sel & 3 | (sel >> 2) & 4;
        byte[] fontA = font(mem, mapA);
        byte[] fontB = mapB == mapA ? fontA : font(mem, mapB);
        return new TextSnapshot(columns, rows, chars, attrs, cursorRow, cursorCol, cursorEnabled,
                crtc[0x0A] & 0x1F, crtc[0x0B] & 0x1F, g, palette, fontA, fontB);
    }

    /** The plane offset the CRTC reads for memory address counter value {@code ma}. */
    static int planeOffset(byte[] crtc, int ma) {
        ma &= 0xFFFF;
        if ((crtc[0x14] & 0x40) != 0) {
            return (ma << 2) & 0xFFFF;
        }
        if ((crtc[0x17] & 0x40) != 0) {
            return ma;
        }
        int low = (crtc[0x17] & 0x20) != 0 ? ma >> 15 : ma >> 13;
        return ((ma << 1) | (low & 1)) & 0xFFFF;
    }

    /** Character map {@code n} (0-7) of plane 2, or null when it holds only zeros. */
    private static byte[] font(VgaMemory mem, int n) {
        int base = (n & 3) * 0x4000 + (n >> 2) * 0x2000;
        byte[] f = mem.copy(2, base, TextSnapshot.FONT_BYTES);
        for (byte b : f) {
            if (b != 0) {
                return f;
            }
        }
        return null;
    }
}

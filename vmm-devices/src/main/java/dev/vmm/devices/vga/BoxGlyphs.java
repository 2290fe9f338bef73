package dev.vmm.devices.vga;

/**
 * Draws the CP437 shades (0xB0-0xB2), box-drawing characters (0xB3-0xDA) and blocks
 * (0xDB-0xDF) into 8x16 glyphs, so lines join across cells as in the IBM font: a single line is
 * columns 3-4 or row 7, a double line columns 2-3 and 5-6 or rows 5 and 7.
 */
final class BoxGlyphs {
    /** Arms of 0xB3-0xDA: up, down, left, right; 0 none, 1 single, 2 double. */
    private static final String ARMS =
            "1100" + "1110" + "1120" + "2210" + "0210" + "0120" + "2220" + "2200"  // B3-BA
            + "0220" + "2020" + "2010" + "1020" + "0110" + "1001" + "1011" + "0111" // BB-C2
            + "1101" + "0011" + "1111" + "1102" + "2201" + "2002" + "0202" + "2022" // C3-CA
            + "0222" + "2202" + "0022" + "2222" + "1022" + "2011" + "0122" + "0211" // CB-D2
            + "2001" + "1002" + "0102" + "0201" + "2211" + "1122" + "1010" + "0101"; // D3-DA

    private BoxGlyphs() {
    }

    /** True for the codes this class draws. */
    static boolean covers(int ch) {
        return ch >= 0xB0 && ch <= 0xDF;
    }

    /** Fills {@code g[0..15]} (one byte per scan line, bit 7 = leftmost dot) with glyph {@code ch}. */
    static void draw(int ch, byte[] g) {
        java.util.Arrays.fill(g, (byte) 0);
        switch (ch) {
            case 0xB0 -> pattern(g, 0x22, 0x88);
            case 0xB1 -> pattern(g, 0x55, 0xAA);
            case 0xB2 -> pattern(g, 0xDD, 0x77);
            case 0xDB -> rect(g, 0, 7, 0, 15);
            case 0xDC -> rect(g, 0, 7, 8, 15);
            case 0xDD -> rect(g, 0, 3, 0, 15);
            case 0xDE -> rect(g, 4, 7, 0, 15);
            case 0xDF -> rect(g, 0, 7, 0, 7);
            default -> lines(g, ch - 0xB3);
        }
    }

    private static void pattern(byte[] g, int even, int odd) {
        for (int y = 0; y < 16; y++) {
            g[y] = (byte) ((y & 1) == 0 ? even : odd);
        }
    }

    /** Sets the dots of columns {@code x0..x1} on rows {@code y0..y1} (inclusive). */
    private static void rect(byte[] g, int x0, int x1, int y0, int y1) {
        int bits = 0;
        for (int x = x0; x <= x1; x++) {
            bits |= 0x80 >> x;
        }
        for (int y = y0; y <= y1; y++) {
            g[y] |= (byte) bits;
        }
    }

    private static void lines(byte[] g, int i) {
        int u = ARMS.charAt(i * 4) - '0';
        int d = ARMS.charAt(i * 4 + 1) - '0';
        int l = ARMS.charAt(i * 4 + 2) - '0';
        int r = ARMS.charAt(i * 4 + 3) - '0';
        boolean hDouble = l == 2 || r == 2;
        boolean vDouble = u == 2 || d == 2;
        // vertical arms
        if (u == 1 && d == 1) {
            rect(g, 3, 4, 0, 15);
        } else {
            if (u == 1) {
                rect(g, 3, 4, 0, hDouble && l == 2 && r == 2 ? 5 : 7);
            }
            if (d == 1) {
                rect(g, 3, 4, hDouble && !(l == 2 && r == 2) ? 5 : 7, 15);
            }
        }
        if (u == 2) {
            rect(g, 2, 3, 0, !hDouble || (r == 2 && l != 2) ? 7 : 5);
            rect(g, 5, 6, 0, !hDouble || (l == 2 && r != 2) ? 7 : 5);
        }
        if (d == 2) {
            rect(g, 2, 3, hDouble && r == 2 && l != 2 ? 5 : 7, 15);
            rect(g, 5, 6, hDouble && l == 2 && r != 2 ? 5 : 7, 15);
        }
        // horizontal arms
        if (l == 1 && r == 1) {
            rect(g, 0, 7, 7, 7);
        } else {
            if (l == 1) {
                rect(g, 0, vDouble ? (u == 2 && d == 2 ? 2 : 6) : 4, 7, 7);
            }
            if (r == 1) {
                rect(g, vDouble ? (u == 2 && d == 2 ? 5 : 2) : 3, 7, 7, 7);
            }
        }
        if (l == 2) {
            rect(g, 0, !vDouble ? 4 : d == 2 && u != 2 ? 6 : 3, 5, 5);
            rect(g, 0, !vDouble ? 4 : u == 2 && d != 2 ? 6 : 3, 7, 7);
        }
        if (r == 2) {
            rect(g, !vDouble ? 3 : d == 2 && u != 2 ? 2 : 5, 7, 5, 5);
            rect(g, !vDouble ? 3 : u == 2 && d != 2 ? 2 : 5, 7, 7, 7);
        }
    }
}

package dev.vmm.devices.vga;

/**
 * The CRT's raster position as a function of guest time, for Input Status 1 (0x3DA / 0x3BA):
 * bit 0 (display disabled: horizontal or vertical blanking) and bit 3 (vertical retrace).
 *
 * <p>The line period comes from the CRTC horizontal total, the character width and the dot clock
 * (Miscellaneous Output bits 3-2: 25.175 or 28.322 MHz, halved by Sequencer Clocking Mode bit 3);
 * the frame from the vertical total, vertical display end and vertical retrace start/end. Mode 3
 * gives 31.78 us lines (31.5 kHz) and 449-line frames (70 Hz) with the retrace on lines 412-413.
 * Registers that make no sense (a BIOS halfway through a mode set) fall back to mode 3's timing,
 * so a guest polling the retrace bit always sees it toggle.
 */
final class CrtTiming {
    static final int DISPLAY_DISABLED = 0x01;
    static final int VERTICAL_RETRACE = 0x08;

    private static final long DOT_25 = 25_175_000L;
    private static final long DOT_28 = 28_322_000L;
    private static final long MODE3_LINE_NS = 100L * 9 * 1_000_000_000L / DOT_28;

    private CrtTiming() {
    }

    /** Input Status 1 bits 0 and 3 at guest time {@code nanos}. */
    static int status(byte[] crtc, byte[] seq, int misc, long nanos) {
        int hTotal = (crtc[0] & 0xFF) + 5;
        int hDisplay = (crtc[1] & 0xFF) + 1;
        int ov = crtc[7] & 0xFF;
        int vTotal = ((crtc[6] & 0xFF) | (ov & 0x01) << 8 | (ov & 0x20) << 4) + 2;
        int vDisplay = ((crtc[0x12] & 0xFF) | (ov & 0x02) << 7 | (ov & 0x40) << 3) + 1;
        int vrStart = (crtc[0x10] & 0xFF) | (ov & 0x04) << 6 | (ov & 0x80) << 2;
        int vrLength = ((crtc[0x11] & 0x0F) - vrStart) & 0x0F;
        long lineNs;
        if (hDisplay >= hTotal || vDisplay >= vTotal || vrStart >= vTotal || vrStart < vDisplay) {
            hTotal = 100;
            hDisplay = 80;
            vTotal = 449;
            vDisplay = 400;
            vrStart = 412;
            vrLength = 2;
            lineNs = MODE3_LINE_NS;
        } else {
            long dot = ((misc >> 2) & 3) == 1 ? DOT_28 : DOT_25;
            if ((seq[1] & 0x08) != 0) {
                dot /= 2;
            }
            int charWidth = (seq[1] & 0x01) != 0 ? 8 : 9;
            lineNs = Math.max(1, hTotal * charWidth * 1_000_000_000L / dot);
        }
        if (vrLength == 0) {
            vrLength = 16;
        }
        long inFrame = Math.floorMod(nanos, lineNs * vTotal);
        long line = inFrame / lineNs;
        long inLine = inFrame % lineNs;
        int v = 0;
        if (line >= vDisplay || inLine * hTotal >= (long) hDisplay * lineNs) {
            v |= DISPLAY_DISABLED;
        }
        if (line >= vrStart && line < vrStart + vrLength) {
            v |= VERTICAL_RETRACE;
        }
        return v;
    }
}

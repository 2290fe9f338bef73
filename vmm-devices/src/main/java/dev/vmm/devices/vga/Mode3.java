package dev.vmm.devices.vga;

/**
 * The register set of BIOS video mode 3 (80x25 text, 16 colours, 9x16 cells, 720x400 at 70 Hz,
 * I/O at 0x3Dx), as in the IBM VGA technical reference's mode tables, and the default DAC
 * contents a VGA BIOS loads for text modes.
 */
final class Mode3 {
    static final int MISC = 0x67;
    static final int[] SEQ = {0x03, 0x00, 0x03, 0x00, 0x02};
    static final int[] CRTC = {
        0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F,
        0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
        0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3,
        0xFF,
    };
    static final int[] GC = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
    static final int[] AC = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07,
        0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
        0x0C, 0x00, 0x0F, 0x08, 0x00,
    };

    private Mode3() {
    }

    /**
     * DAC entry {@code i} (0-63) of the EGA-compatible palette, as 6-bit r, g, b packed in bits
     * 23-16, 15-8, 7-0: bits 2, 1, 0 of the index add 2/3 red, green, blue; bits 5, 4, 3 add 1/3.
     */
    static int egaDac(int i) {
        int r = ((i & 4) != 0 ? 0x2A : 0) + ((i & 0x20) != 0 ? 0x15 : 0);
        int g = ((i & 2) != 0 ? 0x2A : 0) + ((i & 0x10) != 0 ? 0x15 : 0);
        int b = ((i & 1) != 0 ? 0x2A : 0) + ((i & 0x08) != 0 ? 0x15 : 0);
        return r << 16 | g << 8 | b;
    }

    /** The 24-bit colour attribute nibble {@code i} shows in mode 3 (the classic 16 colours). */
    static int textColour(int i) {
        int v = egaDac(AC[i & 0x0F]);
        return scale(v >> 16) << 16 | scale((v >> 8) & 0xFF) << 8 | scale(v & 0xFF);
    }

    private static int scale(int v6) {
        return v6 << 2 | v6 >> 4;
    }
}

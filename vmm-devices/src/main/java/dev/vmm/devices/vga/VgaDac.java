package dev.vmm.devices.vga;

/**
 * The VGA DAC (an IMS G171 / INMOS-compatible RAMDAC): 256 colour entries of three 6-bit
 * values, the Pixel Mask (0x3C6), the read index (0x3C7 write), the write index (0x3C8) and the
 * data port (0x3C9), which moves through red, green, blue and then to the next entry. Reading
 * 0x3C7 returns the DAC state: 0 after a write index was set, 3 after a read index was set.
 *
 * <p>A write cycle commits an entry only when its blue value arrives. Not modelled: the single
 * shared address register of real parts (mixing read and write cycles), and the 8-bit mode of
 * later DACs.
 */
final class VgaDac {
    private final byte[] rgb = new byte[768];
    private int pixelMask = 0xFF;
    private int readIndex;
    private int writeIndex;
    private int component;
    private boolean readMode;
    private int pending;

    int pixelMask() {
        return pixelMask;
    }

    void setPixelMask(int v) {
        pixelMask = v & 0xFF;
    }

    void setReadIndex(int v) {
        readIndex = v & 0xFF;
        component = 0;
        readMode = true;
    }

    void setWriteIndex(int v) {
        writeIndex = v & 0xFF;
        component = 0;
        readMode = false;
    }

    int writeIndex() {
        return writeIndex;
    }

    /** The DAC state register (0x3C7 read). */
    int state() {
        return readMode ? 3 : 0;
    }

    int readData() {
        int v = rgb[readIndex * 3 + component] & 0x3F;
        if (++component == 3) {
            component = 0;
            readIndex = (readIndex + 1) & 0xFF;
        }
        return v;
    }

    void writeData(int v) {
        v &= 0x3F;
        if (component < 2) {
            pending |= v << (component * 8);
            component++;
            return;
        }
        set(writeIndex, pending & 0xFF, (pending >> 8) & 0xFF, v);
        pending = 0;
        component = 0;
        writeIndex = (writeIndex + 1) & 0xFF;
    }

    /** Sets entry {@code index} to 6-bit {@code r, g, b}. */
    void set(int index, int r, int g, int b) {
        rgb[index * 3] = (byte) (r & 0x3F);
        rgb[index * 3 + 1] = (byte) (g & 0x3F);
        rgb[index * 3 + 2] = (byte) (b & 0x3F);
    }

    /** Entry {@code index} as a 24-bit 0xRRGGBB colour (6-bit values scaled to 8 bits). */
    int rgb24(int index) {
        index &= pixelMask;
        return scale(rgb[index * 3]) << 16 | scale(rgb[index * 3 + 1]) << 8 | scale(rgb[index * 3 + 2]);
    }

    private static int scale(byte v6) {
        int v = v6 & 0x3F;
        return v << 2 | v >> 4;
    }

    Vga.DacState save() {
        return new Vga.DacState(rgb, pixelMask, readIndex, writeIndex, component, readMode, pending);
    }

    void restore(Vga.DacState s) {
        System.arraycopy(s.rgb(), 0, rgb, 0, 768);
        pixelMask = s.pixelMask() & 0xFF;
        readIndex = s.readIndex() & 0xFF;
        writeIndex = s.writeIndex() & 0xFF;
        component = Math.floorMod(s.component(), 3);
        readMode = s.readMode();
        pending = s.pending() & 0xFFFF;
    }
}

package dev.vmm.devices.vga;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.testutil.DetClock;

/** A VGA on its buses, driven through ports and guest memory as a BIOS or driver would. */
final class VgaHarness implements AutoCloseable {
    final DetClock t = new DetClock();
    final PioBus pio = new PioBus();
    final PhysicalMemory mem = PhysicalMemory.create(1 << 20);
    final Vga vga = new Vga(t.clock);

    VgaHarness() {
        vga.attach(pio, mem);
    }

    void out(int port, int value) {
        pio.write(port, 1, value);
    }

    int in(int port) {
        return pio.read(port, 1);
    }

    void seq(int index, int value) {
        out(0x3C4, index);
        out(0x3C5, value);
    }

    int seq(int index) {
        out(0x3C4, index);
        return in(0x3C5);
    }

    void crtc(int index, int value) {
        out(0x3D4, index);
        out(0x3D5, value);
    }

    int crtc(int index) {
        out(0x3D4, index);
        return in(0x3D5);
    }

    void gc(int index, int value) {
        out(0x3CE, index);
        out(0x3CF, value);
    }

    int gc(int index) {
        out(0x3CE, index);
        return in(0x3CF);
    }

    /** Writes an attribute register the way BIOSes do: reset the flip-flop, index, data, PAS on. */
    void attr(int index, int value) {
        in(0x3DA);
        out(0x3C0, index);
        out(0x3C0, value);
        out(0x3C0, 0x20);
    }

    /** Writes {@code text} with {@code attribute} at row/column of the 80-column text buffer. */
    void print(int row, int column, String text, int attribute) {
        long a = 0xB8000 + (row * 80L + column) * 2;
        for (int i = 0; i < text.length(); i++) {
            mem.write8(a + 2L * i, text.charAt(i));
            mem.write8(a + 2L * i + 1, attribute);
        }
    }

    /**
     * Loads {@code glyphs} (32 bytes per character) for characters {@code first..} into
     * character map 0 of plane 2, with the register sequence BIOSes and Linux vgacon use, and
     * restores the text-mode mapping afterwards.
     */
    void loadFont(int first, byte[] glyphs) {
        seq(0x00, 0x01);            // synchronous reset
        seq(0x02, 0x04);            // write plane 2 only
        seq(0x04, 0x07);            // sequential addressing (odd/even off), extended memory
        seq(0x00, 0x03);
        gc(0x04, 0x02);             // read plane 2
        gc(0x05, 0x00);             // write mode 0, odd/even reads off
        gc(0x06, 0x04);             // 64 KiB at 0xA0000, graphics off
        for (int i = 0; i < glyphs.length; i++) {
            mem.write8(0xA0000 + first * 32L + i, glyphs[i]);
        }
        seq(0x00, 0x01);
        seq(0x02, 0x03);
        seq(0x04, 0x03);
        seq(0x00, 0x03);
        gc(0x04, 0x00);
        gc(0x05, 0x10);
        gc(0x06, 0x0E);
    }

    @Override
    public void close() {
        mem.close();
    }
}

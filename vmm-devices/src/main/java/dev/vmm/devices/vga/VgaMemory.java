package dev.vmm.devices.vga;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The 256 KiB of VGA display memory as four 64 KiB planes, and the host (CPU) side of the
 * memory window 0xA0000-0xBFFFF: address decoding, the four write modes, the two read modes and
 * the 32-bit latch.
 *
 * <p>Decoding follows the registers as the VGA reference describes them:
 * <ul>
 *   <li>Graphics Controller Miscellaneous (GC 6) bits 3-2 pick the window: 128 KiB at 0xA0000,
 *       64 KiB at 0xA0000, 32 KiB at 0xB0000 or 32 KiB at 0xB8000; host addresses outside it
 *       read all ones and drop writes.</li>
 *   <li>Chain 4 (Sequencer Memory Mode bit 3): address bits 1-0 select the plane, the plane
 *       offset is the address with those bits cleared (as the CRTC in doubleword mode scans).</li>
 *   <li>Odd/even writes (Sequencer Memory Mode bit 2 clear): address bit 0 selects planes 0/2
 *       (even) or 1/3 (odd), the plane offset is the address with bit 0 cleared (as the CRTC in
 *       word mode scans). Odd/even reads (GC Mode bit 4 set) select plane
 *       {@code (readMap & 2) | A0} at the same offset.</li>
 *   <li>Otherwise planar: the offset is the address; the Map Mask (Sequencer 2) enables planes;
 *       writes go through the write mode, data rotate, function, set/reset and bit mask logic;
 *       reads load the latches and return the Read Map Select plane (read mode 0) or the colour
 *       compare result (read mode 1).</li>
 * </ul>
 * In chain-4 and odd/even modes host writes store the byte as is into the enabled planes, as
 * QEMU and Bochs do: the BIOS and Linux never combine those modes with set/reset or bit masks.
 */
final class VgaMemory {
    static final int PLANE_SIZE = 0x10000;
    /** The size of the host window at 0xA0000. */
    static final int WINDOW = 0x20000;
    /** The granule of the sparse snapshot form. */
    static final int PAGE = 0x1000;

    private final byte[][] planes = new byte[4][PLANE_SIZE];
    private final byte[] seq;
    private final byte[] gc;
    /** The four latch bytes, plane 0 in bits 7-0. */
    private int latches;

    /** @param seq the sequencer registers, @param gc the graphics controller registers (shared) */
    VgaMemory(byte[] seq, byte[] gc) {
        this.seq = seq;
        this.gc = gc;
    }

    /** Plane offset of window offset {@code addr} per GC 6, or -1 when outside the window. */
    private int windowOffset(int addr) {
        return switch ((gc[6] >> 2) & 3) {
            case 0 -> addr & 0xFFFF;
            case 1 -> addr < 0x10000 ? addr : -1;
            case 2 -> addr >= 0x10000 && addr < 0x18000 ? addr - 0x10000 : -1;
            default -> addr >= 0x18000 ? addr - 0x18000 : -1;
        };
    }

    private boolean chain4() {
        return (seq[4] & 0x08) != 0;
    }

    /** A host read of one byte at window offset {@code addr} (0 .. 0x1FFFF). */
    int read(int addr) {
        int off = windowOffset(addr);
        if (off < 0) {
            return 0xFF;
        }
        if (chain4()) {
            int base = off & ~3;
            loadLatches(base);
            return planes[off & 3][base] & 0xFF;
        }
        boolean oddEven = (gc[5] & 0x10) != 0;
        int base = oddEven ? off & ~1 : off;
        loadLatches(base);
        if ((gc[5] & 0x08) != 0) {
            return colorCompare();
        }
        int plane = oddEven ? (gc[4] & 2) | (off & 1) : gc[4] & 3;
        return (latches >>> (plane * 8)) & 0xFF;
    }

    private void loadLatches(int base) {
        latches = (planes[0][base] & 0xFF) | (planes[1][base] & 0xFF) << 8
                | (planes[2][base] & 0xFF) << 16 | (planes[3][base] & 0xFF) << 24;
    }

    /** Read mode 1: a 1 for every pixel whose colour matches Color Compare in the cared planes. */
    private int colorCompare() {
        int dontCare = gc[7] & 0x0F;
        int result = 0xFF;
        for (int p = 0; p < 4; p++) {
            if ((dontCare & (1 << p)) != 0) {
                int want = (gc[2] & (1 << p)) != 0 ? 0xFF : 0x00;
                result &= ~(((latches >>> (p * 8)) & 0xFF) ^ want);
            }
        }
        return result & 0xFF;
    }

    /** A host write of one byte at window offset {@code addr} (0 .. 0x1FFFF). */
    void write(int addr, int value) {
        int off = windowOffset(addr);
        if (off < 0) {
            return;
        }
        int mapMask = seq[2] & 0x0F;
        if (chain4()) {
            int plane = off & 3;
            if ((mapMask & (1 << plane)) != 0) {
                planes[plane][off & ~3] = (byte) value;
            }
            return;
        }
        if ((seq[4] & 0x04) == 0) {
            int enable = mapMask & ((off & 1) != 0 ? 0x0A : 0x05);
            int base = off & ~1;
            for (int p = 0; p < 4; p++) {
                if ((enable & (1 << p)) != 0) {
                    planes[p][base] = (byte) value;
                }
            }
            return;
        }
        writePlanar(off, value & 0xFF, mapMask);
    }

    private void writePlanar(int off, int value, int mapMask) {
        int mode = gc[5] & 3;
        int rotate = gc[3] & 7;
        int rotated = ((value >>> rotate) | (value << (8 - rotate))) & 0xFF;
        int bitMask = gc[8] & 0xFF;
        int setReset = gc[0] & 0x0F;
        int enableSr = gc[1] & 0x0F;
        for (int p = 0; p < 4; p++) {
            if ((mapMask & (1 << p)) == 0) {
                continue;
            }
            int latch = (latches >>> (p * 8)) & 0xFF;
            int srBits = (setReset & (1 << p)) != 0 ? 0xFF : 0;
            int data;
            int mask = bitMask;
            switch (mode) {
                case 0 -> data = (enableSr & (1 << p)) != 0 ? srBits : rotated;
                case 1 -> {
                    planes[p][off] = (byte) latch;
                    continue;
                }
                case 2 -> data = (value & (1 << p)) != 0 ? 0xFF : 0;
                default -> {
                    data = srBits;
                    mask = rotated & bitMask;
                }
            }
            data = switch ((gc[3] >> 3) & 3) {
                case 0 -> data;
                case 1 -> data & latch;
                case 2 -> data | latch;
                default -> data ^ latch;
            };
            planes[p][off] = (byte) ((data & mask) | (latch & ~mask));
        }
    }

    /** A byte of plane {@code plane} (no side effects). */
    int plane(int plane, int offset) {
        return planes[plane][offset & 0xFFFF] & 0xFF;
    }

    /** Copies {@code length} bytes of a plane from {@code offset} (wrapping at 64 KiB). */
    byte[] copy(int plane, int offset, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = planes[plane][(offset + i) & 0xFFFF];
        }
        return out;
    }

    /** Fills plane offsets {@code [from, to)} of {@code plane} with {@code value}. */
    void fill(int plane, int from, int to, int value) {
        Arrays.fill(planes[plane], from, to, (byte) value);
    }

    int latches() {
        return latches;
    }

    /** The non-zero 4 KiB pages of all planes. */
    List<Vga.MemoryPage> pages() {
        List<Vga.MemoryPage> out = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            for (int off = 0; off < PLANE_SIZE; off += PAGE) {
                if (!zero(planes[p], off)) {
                    out.add(new Vga.MemoryPage(p, off, Arrays.copyOfRange(planes[p], off, off + PAGE)));
                }
            }
        }
        return out;
    }

    private static boolean zero(byte[] b, int from) {
        for (int i = from; i < from + PAGE; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    void restore(List<Vga.MemoryPage> pages, int latches) {
        for (byte[] plane : planes) {
            Arrays.fill(plane, (byte) 0);
        }
        for (Vga.MemoryPage page : pages) {
            byte[] d = page.data();
            if (page.plane() < 0 || page.plane() > 3 || page.offset() < 0
                    || page.offset() + d.length > PLANE_SIZE) {
                throw new IllegalArgumentException("VGA memory page out of range: " + page);
            }
            System.arraycopy(d, 0, planes[page.plane()], page.offset(), d.length);
        }
        this.latches = latches;
    }
}

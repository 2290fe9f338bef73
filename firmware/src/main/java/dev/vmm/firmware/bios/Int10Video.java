package dev.vmm.firmware.bios;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.vga.Vga;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INT 10h in text mode 3 (80x25, 16 colours): the BIOS writes the text memory at 0xB8000
 * (character, attribute pairs; 4 KiB per page) and moves the CRTC cursor. Other modes are refused
 * (the mode stays 3).
 */
final class Int10Video {
    private static final Logger log = LoggerFactory.getLogger(Int10Video.class);
    static final long TEXT = 0xB8000;
    static final int COLUMNS = 80;
    static final int ROWS = 25;
    static final int PAGE_BYTES = 0x1000;
    static final int PAGES = 8;
    static final int DEFAULT_ATTR = 0x07;

    private final PhysicalMemory mem;
    private final PioBus io;
    private final Vga vga;

    Int10Video(PhysicalMemory mem, PioBus io, Vga vga) {
        this.mem = mem;
        this.io = io;
        this.vga = vga;
    }

    /** Mode 3 with a blank screen, as POST leaves it. */
    void init() {
        setMode3(true);
    }

    void handle(CallFrame f) {
        switch (f.ah()) {
            case 0x00 -> setMode(f);
            case 0x01 -> setCursorShape(f.cx());
            case 0x02 -> setCursor(f.bh(), f.dh(), f.dl());
            case 0x03 -> {
                int page = f.bh() & 7;
                f.setCx(mem.read16(BiosData.CURSOR_SHAPE));
                f.setDx(mem.read16(BiosData.CURSOR_POS + 2 * page));
            }
            case 0x05 -> setPage(f.al() & 7);
            case 0x06 -> scroll(f.al(), f.bh(), f.ch(), f.cl(), f.dh(), f.dl(), true);
            case 0x07 -> scroll(f.al(), f.bh(), f.ch(), f.cl(), f.dh(), f.dl(), false);
            case 0x08 -> {
                int page = f.bh() & 7;
                int pos = mem.read16(BiosData.CURSOR_POS + 2 * page);
                f.setAx(mem.read16(cell(page, pos >>> 8, pos & 0xFF)));
            }
            case 0x09 -> writeRepeated(f.bh() & 7, f.al(), f.bl(), f.cx(), true);
            case 0x0A -> writeRepeated(f.bh() & 7, f.al(), 0, f.cx(), false);
            case 0x0E -> teletype(f.al(), -1);
            case 0x0F -> {
                f.setAx(COLUMNS << 8 | mem.read8(BiosData.VIDEO_MODE));
                f.setBx((mem.read8(BiosData.ACTIVE_PAGE) << 8) | f.bl());
            }
            case 0x12 -> {
                if (f.bl() == 0x10) {            // EGA/VGA information: colour, 256 KiB
                    f.setBx(0x0003);
                    f.setCx(0x0009);
                }
            }
            case 0x13 -> writeString(f);
            case 0x1A -> {
                if (f.al() == 0x00) {            // display combination: VGA colour
                    f.setAl(0x1A);
                    f.setBx(0x0008);
                }
            }
            default -> log.debug("INT 10h AH={} not supported", Integer.toHexString(f.ah()));
        }
    }

    private void setMode(CallFrame f) {
        int mode = f.al() & 0x7F;
        if (mode == 0x02 || mode == 0x03) {
            setMode3((f.al() & 0x80) == 0);
            f.setAl(0x30);
        } else {
            log.info("INT 10h: video mode {} is not supported; staying in mode 3", Integer.toHexString(mode));
        }
    }

    private void setMode3(boolean clear) {
        vga.setMode3();
        mem.write8(BiosData.VIDEO_MODE, 3);
        mem.write16(BiosData.VIDEO_COLUMNS, COLUMNS);
        mem.write16(BiosData.VIDEO_PAGE_SIZE, PAGE_BYTES);
        mem.write16(BiosData.VIDEO_PAGE_START, 0);
        for (int p = 0; p < PAGES; p++) {
            mem.write16(BiosData.CURSOR_POS + 2 * p, 0);
        }
        mem.write16(BiosData.CURSOR_SHAPE, 0x0607);
        mem.write8(BiosData.ACTIVE_PAGE, 0);
        mem.write16(BiosData.CRTC_BASE, 0x3D4);
        mem.write8(BiosData.MODE_CONTROL, 0x29);
        mem.write8(BiosData.PALETTE, 0x30);
        mem.write8(BiosData.VIDEO_ROWS, ROWS - 1);
        mem.write16(BiosData.CHAR_HEIGHT, 16);
        mem.write8(BiosData.VIDEO_CONTROL, 0x60);
        mem.write8(BiosData.VIDEO_SWITCHES, 0xF9);
        mem.write8(BiosData.VGA_FLAGS, 0x51);
        if (clear) {
            for (int i = 0; i < PAGES * PAGE_BYTES; i += 2) {
                mem.write16(TEXT + i, DEFAULT_ATTR << 8 | ' ');
            }
        }
        crtc(0x0C, 0);
        crtc(0x0D, 0);
        setCursorShape(0x0607);
        updateCrtcCursor();
    }

    private void crtc(int index, int value) {
        io.write(0x3D4, 1, index);
        io.write(0x3D5, 1, value);
    }

    private void setCursorShape(int cx) {
        mem.write16(BiosData.CURSOR_SHAPE, cx);
        crtc(0x0A, (cx >>> 8) & 0x3F);
        crtc(0x0B, cx & 0x1F);
    }

    private void setPage(int page) {
        mem.write8(BiosData.ACTIVE_PAGE, page);
        mem.write16(BiosData.VIDEO_PAGE_START, page * PAGE_BYTES);
        int start = page * PAGE_BYTES / 2;
        crtc(0x0C, start >>> 8);
        crtc(0x0D, start & 0xFF);
        updateCrtcCursor();
    }

    void setCursor(int page, int row, int column) {
        page &= 7;
        mem.write16(BiosData.CURSOR_POS + 2 * page, (row & 0xFF) << 8 | (column & 0xFF));
        if (page == mem.read8(BiosData.ACTIVE_PAGE)) {
            updateCrtcCursor();
        }
    }

    private void updateCrtcCursor() {
        int page = mem.read8(BiosData.ACTIVE_PAGE);
        int pos = mem.read16(BiosData.CURSOR_POS + 2 * page);
        int at = page * PAGE_BYTES / 2 + (pos >>> 8) * COLUMNS + (pos & 0xFF);
        crtc(0x0E, (at >>> 8) & 0xFF);
        crtc(0x0F, at & 0xFF);
    }

    private static long cell(int page, int row, int column) {
        return TEXT + (long) page * PAGE_BYTES + 2L * (row * COLUMNS + column);
    }

    private void writeRepeated(int page, int ch, int attr, int count, boolean withAttr) {
        int pos = mem.read16(BiosData.CURSOR_POS + 2 * page);
        int at = (pos >>> 8) * COLUMNS + (pos & 0xFF);
        for (int i = 0; i < count && at + i < COLUMNS * ROWS; i++) {
            long a = TEXT + (long) page * PAGE_BYTES + 2L * (at + i);
            mem.write8(a, ch);
            if (withAttr) {
                mem.write8(a + 1, attr);
            }
        }
    }

    /**
     * Scrolls a window up ({@code up}) or down by {@code lines} (0: blank it), filling with
     * {@code attr}. Works on the active page.
     */
    void scroll(int lines, int attr, int top, int left, int bottom, int right, boolean up) {
        int page = mem.read8(BiosData.ACTIVE_PAGE);
        bottom = Math.min(bottom, ROWS - 1);
        right = Math.min(right, COLUMNS - 1);
        if (top > bottom || left > right) {
            return;
        }
        int height = bottom - top + 1;
        if (lines == 0 || lines > height) {
            lines = height;
        }
        for (int i = 0; i < height; i++) {
            int row = up ? top + i : bottom - i;
            int from = up ? row + lines : row - lines;
            boolean blank = up ? from > bottom : from < top;
            for (int c = left; c <= right; c++) {
                int v = blank ? (attr << 8 | ' ') : mem.read16(cell(page, from, c));
                mem.write16(cell(page, row, c), v);
            }
        }
    }

    /** Teletype output of {@code ch} on the active page; {@code attr} &lt; 0 keeps the cell's attribute. */
    void teletype(int ch, int attr) {
        int page = mem.read8(BiosData.ACTIVE_PAGE);
        int pos = mem.read16(BiosData.CURSOR_POS + 2 * page);
        int row = pos >>> 8;
        int col = pos & 0xFF;
        switch (ch) {
            case 0x07 -> { }
            case 0x08 -> col = Math.max(0, col - 1);
            case 0x0A -> row++;
            case 0x0D -> col = 0;
            default -> {
                long a = cell(page, row, col);
                mem.write8(a, ch);
                if (attr >= 0) {
                    mem.write8(a + 1, attr);
                }
                col++;
            }
        }
        if (col >= COLUMNS) {
            col = 0;
            row++;
        }
        if (row >= ROWS) {
            int fill = mem.read8(cell(page, ROWS - 1, 0) + 1);
            scroll(1, fill == 0 ? DEFAULT_ATTR : fill, 0, 0, ROWS - 1, COLUMNS - 1, true);
            row = ROWS - 1;
        }
        setCursor(page, row, col);
    }

    /** Prints {@code text} by teletype (for the BIOS's own messages). */
    void print(String text) {
        for (int i = 0; i < text.length(); i++) {
            teletype(text.charAt(i), -1);
        }
    }

    private void writeString(CallFrame f) {
        int mode = f.al();
        int page = f.bh() & 7;
        int saved = mem.read16(BiosData.CURSOR_POS + 2 * page);
        int active = mem.read8(BiosData.ACTIVE_PAGE);
        mem.write8(BiosData.ACTIVE_PAGE, page);
        setCursor(page, f.dh(), f.dl());
        long src = f.linear(Cpu.ES, f.bp());
        int attr = f.bl();
        for (int i = 0; i < f.cx(); i++) {
            int ch = mem.read8(src++);
            if ((mode & 2) != 0) {
                attr = mem.read8(src++);
            }
            teletype(ch, ch == 7 || ch == 8 || ch == 10 || ch == 13 ? -1 : attr);
        }
        mem.write8(BiosData.ACTIVE_PAGE, active);
        if ((mode & 1) == 0) {
            setCursor(page, saved >>> 8, saved & 0xFF);
        } else {
            updateCrtcCursor();
        }
    }
}

package dev.vmm.firmware.bios;

/** Addresses of the BIOS data area (segment 0x40) and the EBDA. */
final class BiosData {
    static final int BDA = 0x400;
    static final int COM_PORTS = 0x400;
    static final int LPT_PORTS = 0x408;
    static final int EBDA_SEGMENT = 0x40E;
    static final int EQUIPMENT = 0x410;
    static final int MEMORY_KIB = 0x413;
    static final int KBD_FLAGS = 0x417;
    static final int KBD_FLAGS2 = 0x418;
    static final int KBD_HEAD = 0x41A;
    static final int KBD_TAIL = 0x41C;
    /** Keyboard buffer: offsets 0x1E-0x3E of segment 0x40. */
    static final int KBD_BUFFER_START = 0x1E;
    static final int KBD_BUFFER_END = 0x3E;
    static final int VIDEO_MODE = 0x449;
    static final int VIDEO_COLUMNS = 0x44A;
    static final int VIDEO_PAGE_SIZE = 0x44C;
    static final int VIDEO_PAGE_START = 0x44E;
    static final int CURSOR_POS = 0x450;
    static final int CURSOR_SHAPE = 0x460;
    static final int ACTIVE_PAGE = 0x462;
    static final int CRTC_BASE = 0x463;
    static final int MODE_CONTROL = 0x465;
    static final int PALETTE = 0x466;
    static final int TICKS = 0x46C;
    static final int MIDNIGHT = 0x470;
    static final int DISK_STATUS = 0x474;
    static final int HARD_DISKS = 0x475;
    static final int KBD_BUFFER_START_PTR = 0x480;
    static final int KBD_BUFFER_END_PTR = 0x482;
    static final int VIDEO_ROWS = 0x484;
    static final int CHAR_HEIGHT = 0x485;
    static final int VIDEO_CONTROL = 0x487;
    static final int VIDEO_SWITCHES = 0x488;
    static final int VGA_FLAGS = 0x489;
    static final int KBD_FLAGS3 = 0x496;

    static final long EBDA = 0x9FC00;
    static final int EBDA_KIB = 1;
    /** Ticks in a day: 0x1800B0 (18.2065 Hz). */
    static final long TICKS_PER_DAY = 0x1800B0;

    private BiosData() {
    }
}

package dev.vmm.firmware.bios;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.memory.PhysicalMemory;

/**
 * The keyboard: the IRQ1 handler turns the controller's (translated, set 1) scancodes into
 * scan/ASCII words in the BDA ring buffer (0x41E-0x43D), and INT 16h reads them. Waiting reads
 * (AH=00h/10h) idle in the stub until IRQ1 fills the buffer.
 */
final class Int16Keyboard {
    static final int RIGHT_SHIFT = 0x01;
    static final int LEFT_SHIFT = 0x02;
    static final int CTRL = 0x04;
    static final int ALT = 0x08;
    static final int CAPS_LOCK = 0x40;

    /** US layout, set 1 make codes 0x00-0x39: unshifted, then shifted. */
    private static final String NORMAL =
            "\0\u001b1234567890-=\b\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
    private static final String SHIFTED =
            "\0\u001b!@#$%^&*()_+\b\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

    private final PhysicalMemory mem;
    private final PioBus io;
    private boolean e0;

    Int16Keyboard(PhysicalMemory mem, PioBus io) {
        this.mem = mem;
        this.io = io;
    }

    /** IRQ1 saw an E0h prefix (a snapshot's state). */
    boolean e0() {
        return e0;
    }

    void setE0(boolean e0) {
        this.e0 = e0;
    }

    void init() {
        mem.write8(BiosData.KBD_FLAGS, 0);
        mem.write8(BiosData.KBD_FLAGS2, 0);
        mem.write8(BiosData.KBD_FLAGS3, 0x10);   // 101/102-key keyboard
        mem.write16(BiosData.KBD_HEAD, BiosData.KBD_BUFFER_START);
        mem.write16(BiosData.KBD_TAIL, BiosData.KBD_BUFFER_START);
        mem.write16(BiosData.KBD_BUFFER_START_PTR, BiosData.KBD_BUFFER_START);
        mem.write16(BiosData.KBD_BUFFER_END_PTR, BiosData.KBD_BUFFER_END);
        // Keyboard controller: keyboard interrupt, system flag, mouse port off, translation to set 1.
        io.write(0x64, 1, 0x60);
        io.write(0x60, 1, 0x65);
    }

    /** IRQ1: one byte from the controller. */
    void irq() {
        if ((io.read(0x64, 1) & 1) == 0) {
            return;
        }
        int code = io.read(0x60, 1);
        if (code == 0xE0) {
            e0 = true;
            return;
        }
        boolean extended = e0;
        e0 = false;
        boolean release = (code & 0x80) != 0;
        int make = code & 0x7F;
        int flags = mem.read8(BiosData.KBD_FLAGS);
        int bit = switch (make) {
            case 0x2A -> extended ? 0 : LEFT_SHIFT;
            case 0x36 -> RIGHT_SHIFT;
            case 0x1D -> CTRL;
            case 0x38 -> ALT;
            default -> 0;
        };
        if (bit != 0) {
            mem.write8(BiosData.KBD_FLAGS, release ? flags & ~bit : flags | bit);
            return;
        }
        if (release) {
            return;
        }
        if (make == 0x3A) {
            mem.write8(BiosData.KBD_FLAGS, flags ^ CAPS_LOCK);
            return;
        }
        push(make << 8 | ascii(make, flags, extended));
    }

    private static int ascii(int make, int flags, boolean extended) {
        if (extended) {
            return make == 0x1C ? '\r' : make == 0x35 ? '/' : 0xE0;
        }
        if (make >= NORMAL.length()) {
            return 0;
        }
        boolean shift = (flags & (LEFT_SHIFT | RIGHT_SHIFT)) != 0;
        char c = shift ? SHIFTED.charAt(make) : NORMAL.charAt(make);
        if ((flags & CAPS_LOCK) != 0 && Character.isLetter(c)) {
            c = shift ? Character.toLowerCase(c) : Character.toUpperCase(c);
        }
        if ((flags & CTRL) != 0 && Character.isLetter(c)) {
            return Character.toLowerCase(c) - 'a' + 1;
        }
        if ((flags & ALT) != 0) {
            return 0;
        }
        return c;
    }

    /** Appends a scan/ASCII word to the buffer; false when it is full. */
    boolean push(int word) {
        int head = mem.read16(BiosData.KBD_HEAD);
        int tail = mem.read16(BiosData.KBD_TAIL);
        int next = tail + 2 >= BiosData.KBD_BUFFER_END ? BiosData.KBD_BUFFER_START : tail + 2;
        if (next == head) {
            return false;
        }
        mem.write16(BiosData.BDA + tail, word);
        mem.write16(BiosData.KBD_TAIL, next);
        return true;
    }

    void handle(CallFrame f) {
        int fn = f.ah();
        switch (fn) {
            case 0x00, 0x10 -> {
                int head = mem.read16(BiosData.KBD_HEAD);
                if (head == mem.read16(BiosData.KBD_TAIL)) {
                    f.retryAfterInterrupt();
                    return;
                }
                int word = mem.read16(BiosData.BDA + head);
                int next = head + 2 >= BiosData.KBD_BUFFER_END ? BiosData.KBD_BUFFER_START : head + 2;
                mem.write16(BiosData.KBD_HEAD, next);
                f.setAx(fn == 0x00 ? classic(word) : word);
            }
            case 0x01, 0x11 -> {
                int head = mem.read16(BiosData.KBD_HEAD);
                if (head == mem.read16(BiosData.KBD_TAIL)) {
                    f.setZf(true);
                    return;
                }
                int word = mem.read16(BiosData.BDA + head);
                f.setAx(fn == 0x01 ? classic(word) : word);
                f.setZf(false);
            }
            case 0x02 -> f.setAl(mem.read8(BiosData.KBD_FLAGS));
            case 0x09 -> f.setAl(0x20);                 // functionality: AH=10h-12h supported
            case 0x12 -> f.setAx(mem.read8(BiosData.KBD_FLAGS2) << 8 | mem.read8(BiosData.KBD_FLAGS));
            case 0x05 -> f.setAl(push(f.cx()) ? 0 : 1);
            default -> { }
        }
    }

    /** The word the non-extended functions return (no E0h ASCII codes). */
    private static int classic(int word) {
        return (word & 0xFF) == 0xE0 ? word & 0xFF00 : word;
    }
}

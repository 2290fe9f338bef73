package dev.vmm.devices.ps2;

import java.util.ArrayList;
import java.util.List;

/**
 * Typing text on a US-layout keyboard: printable ASCII, Enter ({@code \n} or {@code \r}), Tab,
 * Backspace ({@code \b}) and Escape ({@code \u001b}) become set 2 key events, a make and a
 * break per key, with the left Shift held around characters that need it. For tests and for a
 * monitor's "sendkey"; feed the events to {@link Ps2Keyboard#pressScancodeSet2} one by one,
 * waiting for {@link Ps2Keyboard#freeSpace()} when the guest reads slower than the host types.
 */
public final class UsKeyboardLayout {
    public static final int LEFT_SHIFT = 0x12;
    public static final int ENTER = 0x5A;

    /** Set 2 make code per ASCII character; bit 8 = needs Shift; 0 = not on the layout. */
    private static final int[] KEYS = new int[128];
    private static final int SHIFT = 0x100;

    static {
        String letters = "abcdefghijklmnopqrstuvwxyz";
        int[] letterCodes = {0x1C, 0x32, 0x21, 0x23, 0x24, 0x2B, 0x34, 0x33, 0x43, 0x3B, 0x42,
            0x4B, 0x3A, 0x31, 0x44, 0x4D, 0x15, 0x2D, 0x1B, 0x2C, 0x3C, 0x2A, 0x1D, 0x22, 0x35,
            0x1A};
        for (int i = 0; i < letters.length(); i++) {
            KEYS[letters.charAt(i)] = letterCodes[i];
            KEYS[Character.toUpperCase(letters.charAt(i))] = letterCodes[i] | SHIFT;
        }
        // Each key: unshifted character, shifted character, set 2 make code.
        String plain = "1234567890`-=[]\\;',./ ";
        String shifted = "!@#$%^&*()~_+{}|:\"<>?\0";
        int[] codes = {0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46, 0x45, 0x0E, 0x4E,
            0x55, 0x54, 0x5B, 0x5D, 0x4C, 0x52, 0x41, 0x49, 0x4A, 0x29};
        for (int i = 0; i < plain.length(); i++) {
            KEYS[plain.charAt(i)] = codes[i];
            if (shifted.charAt(i) != 0) {
                KEYS[shifted.charAt(i)] = codes[i] | SHIFT;
            }
        }
        KEYS['\n'] = ENTER;
        KEYS['\r'] = ENTER;
        KEYS['\t'] = 0x0D;
        KEYS['\b'] = 0x66;
        KEYS[0x1B] = 0x76;
    }

    private UsKeyboardLayout() {
    }

    /** Whether {@code c} can be typed. */
    public static boolean canType(char c) {
        return c < 128 && KEYS[c] != 0;
    }

    /**
     * The key events that type {@code text}, in order: each element is one make or break
     * sequence of set 2 bytes.
     *
     * @throws IllegalArgumentException for a character that is not on the layout
     */
    public static List<int[]> type(String text) {
        List<int[]> events = new ArrayList<>();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!canType(c)) {
                throw new IllegalArgumentException(
                        "no US key for U+" + String.format("%04X", (int) c));
            }
            int code = KEYS[c] & 0xFF;
            boolean shift = (KEYS[c] & SHIFT) != 0;
            if (shift) {
                events.add(new int[] {LEFT_SHIFT});
            }
            events.add(new int[] {code});
            events.add(new int[] {ScancodeTables.BREAK_PREFIX, code});
            if (shift) {
                events.add(new int[] {ScancodeTables.BREAK_PREFIX, LEFT_SHIFT});
            }
        }
        return events;
    }

    /** All bytes of {@code events}, concatenated. */
    public static int[] bytes(List<int[]> events) {
        return events.stream().flatMapToInt(java.util.Arrays::stream).toArray();
    }
}

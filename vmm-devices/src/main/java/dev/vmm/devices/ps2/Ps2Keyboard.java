package dev.vmm.devices.ps2;

import dev.vmm.core.persist.Persist;
import java.util.Arrays;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MF2 PS/2 keyboard (IBM 101/102-key, ID 0xAB 0x83) on the i8042's keyboard port.
 *
 * <p>Commands from the host, each answered with ACK 0xFA unless noted: 0xED set LEDs (+1 byte),
 * 0xEE echo (answers 0xEE), 0xF0 get/set scan code set (+1 byte: 0 reports the set after the
 * ACK, 1-3 select it), 0xF2 identify (0xFA 0xAB 0x83), 0xF3 typematic rate/delay (+1 byte),
 * 0xF4 enable scanning (clears the key buffer), 0xF5 defaults and disable, 0xF6 defaults and
 * enable, 0xF7-0xFD set-3 key types (acknowledged, stored nowhere), 0xFE resend (repeats the
 * last byte sent), 0xFF reset (0xFA 0xAA, the self test passes). Unknown bytes are answered
 * with 0xFE. A byte with bit 7 set while a command waits for its parameter aborts that command
 * and is taken as a new command, as real keyboards do.
 *
 * <p>Command answers go out before buffered key codes (the keyboard answers at once). Key
 * codes wait in the 16-byte buffer of a real keyboard while the controller inhibits the
 * interface; a key event that does not fit is dropped and an overrun code (0x00 in sets 2
 * and 3, 0xFF in set 1) is queued when a byte is still free.
 *
 * <p>Host input is set 2 ({@link #pressScancodeSet2}); see {@link UsKeyboardLayout} for typing
 * text. In set 1 the keyboard converts with the standard table; set 3 is accepted and reported
 * but keys are still sent as set 2 codes (no BIOS or Linux guest selects set 3 by default).
 *
 * <p>Thread safety: host input may come from any thread; every entry point synchronizes on
 * the controller's lock.
 */
public final class Ps2Keyboard implements Ps2Device, Persist<Ps2Keyboard.State> {
    private static final Logger log = LoggerFactory.getLogger(Ps2Keyboard.class);

    public static final int ACK = 0xFA;
    public static final int RESEND = 0xFE;
    public static final int BAT_OK = 0xAA;
    public static final int ECHO = 0xEE;
    /** The size of a real keyboard's buffer. */
    public static final int BUFFER_SIZE = 16;
    /** 10.9 characters/s after a 500 ms delay. */
    public static final int DEFAULT_TYPEMATIC = 0x2B;

    private static final int CMD_SET_LEDS = 0xED;
    private static final int CMD_SCANCODE_SET = 0xF0;
    private static final int CMD_TYPEMATIC = 0xF3;

    /**
     * The keyboard's state.
     *
     * @param responses command answers not yet sent
     * @param keys the key buffer
     * @param pendingCommand the command waiting for its parameter byte, 0 when none
     * @param lastByte the last byte sent (for 0xFE resend)
     */
    public record State(byte[] responses, byte[] keys, int pendingCommand, int scancodeSet,
                        int leds, int typematic, boolean scanning, int lastByte) {
        public State {
            responses = responses.clone();
            keys = keys.clone();
        }

        @Override
        public byte[] responses() {
            return responses.clone();
        }

        @Override
        public byte[] keys() {
            return keys.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && Arrays.equals(responses, s.responses)
                    && Arrays.equals(keys, s.keys) && pendingCommand == s.pendingCommand
                    && scancodeSet == s.scancodeSet && leds == s.leds
                    && typematic == s.typematic && scanning == s.scanning
                    && lastByte == s.lastByte;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(keys) * 31 + Arrays.hashCode(responses) + pendingCommand;
        }

        @Override
        public String toString() {
            HexFormat hex = HexFormat.of();
            return "Ps2Keyboard.State[responses=" + hex.formatHex(responses) + ", keys="
                    + hex.formatHex(keys) + ", pendingCommand=" + pendingCommand
                    + ", set=" + scancodeSet + ", leds=" + leds + ", typematic=" + typematic
                    + ", scanning=" + scanning + ", lastByte=" + lastByte + "]";
        }
    }

    private final Object lock;
    private final Runnable dataReady;
    private final ByteFifo responses = new ByteFifo(BUFFER_SIZE);
    private final ByteFifo keys = new ByteFifo(BUFFER_SIZE);
    private int pendingCommand;
    private int scancodeSet = 2;
    private int leds;
    private int typematic = DEFAULT_TYPEMATIC;
    private boolean scanning = true;
    private int lastByte;
    private long ignoredBytes;

    /**
     * @param lock the controller's lock, held while host input is queued
     * @param dataReady called (with the lock held) when host input queued bytes
     */
    Ps2Keyboard(Object lock, Runnable dataReady) {
        this.lock = lock;
        this.dataReady = dataReady;
    }

    /**
     * Queues one key event as set 2 bytes (a make code like {@code 0x1C}, a break like
     * {@code 0xF0, 0x1C}, prefixes included: {@code 0xE0, 0xF0, 0x75}).
     *
     * @return false when the event was dropped: scanning is disabled, or the buffer is full
     */
    public boolean pressScancodeSet2(int... bytes) {
        synchronized (lock) {
            if (!scanning) {
                return false;
            }
            int[] codes = scancodeSet == 1 ? ScancodeTables.set2ToSet1(bytes) : bytes;
            if (keys.free() < codes.length) {
                keys.add(scancodeSet == 1 ? 0xFF : 0x00);   // overrun, when a byte is free
                dataReady.run();
                return false;
            }
            for (int c : codes) {
                keys.add(c);
            }
            dataReady.run();
            return true;
        }
    }

    /** Free bytes in the key buffer (a host feeding text waits for room). */
    public int freeSpace() {
        synchronized (lock) {
            return keys.free();
        }
    }

    /** The LED bits of the last 0xED command: 0 scroll lock, 1 num lock, 2 caps lock. */
    public int leds() {
        synchronized (lock) {
            return leds;
        }
    }

    public int scancodeSet() {
        synchronized (lock) {
            return scancodeSet;
        }
    }

    public int typematic() {
        synchronized (lock) {
            return typematic;
        }
    }

    public boolean scanning() {
        synchronized (lock) {
            return scanning;
        }
    }

    /** Bytes the keyboard did not understand (answered with 0xFE). */
    public long ignoredBytes() {
        synchronized (lock) {
            return ignoredBytes;
        }
    }

    @Override
    public boolean hasOutput() {
        return !responses.isEmpty() || !keys.isEmpty();
    }

    @Override
    public int takeOutput() {
        int b = responses.isEmpty() ? keys.poll() : responses.poll();
        if (b >= 0) {
            lastByte = b;
        }
        return b;
    }

    @Override
    public void receive(int b) {
        b &= 0xFF;
        if (pendingCommand != 0 && b < 0x80) {
            parameter(b);
        } else {
            pendingCommand = 0;
            command(b);
        }
    }

    private void parameter(int b) {
        int cmd = pendingCommand;
        pendingCommand = 0;
        switch (cmd) {
            case CMD_SET_LEDS -> {
                leds = b & 0x07;
                respond(ACK);
            }
            case CMD_TYPEMATIC -> {
                typematic = b;
                respond(ACK);
            }
            case CMD_SCANCODE_SET -> {
                if (b == 0) {
                    respond(ACK);
                    respond(scancodeSet);
                } else if (b <= 3) {
                    scancodeSet = b;
                    keys.clear();
                    respond(ACK);
                } else {
                    notice("scan code set " + b);
                    respond(RESEND);
                }
            }
            default -> {                       // 0xFB-0xFD: a list of set-3 keys
                pendingCommand = cmd;
                respond(ACK);
            }
        }
    }

    private void command(int b) {
        switch (b) {
            case CMD_SET_LEDS, CMD_SCANCODE_SET, CMD_TYPEMATIC, 0xFB, 0xFC, 0xFD -> {
                pendingCommand = b;
                respond(ACK);
            }
            case ECHO -> respond(ECHO);
            case 0xF2 -> {
                respond(ACK);
                respond(0xAB);
                respond(0x83);
            }
            case 0xF4 -> {
                keys.clear();
                scanning = true;
                respond(ACK);
            }
            case 0xF5, 0xF6 -> {
                defaults();
                scanning = b == 0xF6;
                respond(ACK);
            }
            case 0xF7, 0xF8, 0xF9, 0xFA -> respond(ACK);
            case RESEND -> respond(lastByte);
            case 0xFF -> {
                defaults();
                responses.clear();
                scanning = true;
                leds = 0;
                respond(ACK);
                respond(BAT_OK);
            }
            default -> {
                notice("command 0x" + Integer.toHexString(b));
                respond(RESEND);
            }
        }
    }

    private void defaults() {
        keys.clear();
        scancodeSet = 2;
        typematic = DEFAULT_TYPEMATIC;
    }

    private void respond(int b) {
        if (!responses.add(b)) {
            notice("answers not read, dropped 0x" + Integer.toHexString(b));
        }
    }

    private void notice(String what) {
        if (ignoredBytes++ == 0) {
            log.warn("PS/2 keyboard: unsupported {}", what);
        }
    }

    /** Power-on state: set 2, scanning, buffers empty. */
    void powerOn() {
        defaults();
        responses.clear();
        pendingCommand = 0;
        leds = 0;
        scanning = true;
        lastByte = 0;
    }

    @Override
    public State save() {
        synchronized (lock) {
            return new State(responses.toArray(), keys.toArray(), pendingCommand, scancodeSet,
                    leds, typematic, scanning, lastByte);
        }
    }

    @Override
    public void restore(State s) {
        synchronized (lock) {
            responses.set(s.responses());
            keys.set(s.keys());
            pendingCommand = s.pendingCommand() & 0xFF;
            scancodeSet = s.scancodeSet();
            leds = s.leds() & 0x07;
            typematic = s.typematic() & 0x7F;
            scanning = s.scanning();
            lastByte = s.lastByte() & 0xFF;
        }
    }
}

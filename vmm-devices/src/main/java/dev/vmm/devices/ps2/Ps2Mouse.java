package dev.vmm.devices.ps2;

import dev.vmm.core.persist.Persist;
import java.util.Arrays;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PS/2 mouse with the IntelliMouse (ID 3, wheel) and IntelliMouse Explorer (ID 4, wheel and
 * buttons 4/5) extensions, on the i8042's auxiliary port.
 *
 * <p>Commands, each answered with ACK 0xFA first: 0xE6/0xE7 scaling 1:1 / 2:1, 0xE8 resolution
 * (+1 byte, 0-3), 0xE9 status (3 bytes: mode bits and buttons, resolution, sample rate), 0xEA
 * stream mode, 0xEB read data (one packet), 0xEC/0xEE leave/enter wrap (echo) mode, 0xF0
 * remote mode, 0xF2 device ID (0x00; 0x03 after the sample rates 200, 100, 80; then 0x04 after
 * 200, 200, 80), 0xF3 sample rate (+1 byte: 10, 20, 40, 60, 80, 100 or 200), 0xF4/0xF5
 * enable/disable reporting, 0xF6 defaults, 0xFE resend (the last packet or answer, no ACK),
 * 0xFF reset (0xFA 0xAA 0x00; ID back to 0). Invalid commands and parameters are answered with
 * 0xFE. A command makes the mouse drop the packets it has not sent yet, as a real mouse stops
 * streaming to answer.
 *
 * <p>Host input: {@link #move} adds to the movement counters. In stream mode with reporting
 * enabled a packet (3 bytes, 4 with a wheel) goes out at once when the 16-byte queue has room,
 * otherwise the counters keep accumulating until it has. A packet carries the 9-bit counters
 * (sign bits in byte 0); a counter beyond -256..255 sets its overflow bit and is sent
 * saturated; the counters restart from 0 after each packet. 2:1 scaling applies in stream mode
 * only, as specified. The sample rate and resolution are stored and reported; the host's
 * deltas are taken as counts at the current resolution, and packets are not paced by the rate.
 *
 * <p>Thread safety: every entry point synchronizes on the controller's lock.
 */
public final class Ps2Mouse implements Ps2Device, Persist<Ps2Mouse.State> {
    private static final Logger log = LoggerFactory.getLogger(Ps2Mouse.class);

    public static final int ACK = 0xFA;
    public static final int RESEND = 0xFE;
    public static final int BUTTON_LEFT = 0x01;
    public static final int BUTTON_RIGHT = 0x02;
    public static final int BUTTON_MIDDLE = 0x04;
    public static final int BUTTON_4 = 0x08;
    public static final int BUTTON_5 = 0x10;
    public static final int BUFFER_SIZE = 16;

    private static final int CMD_SET_RESOLUTION = 0xE8;
    private static final int CMD_SET_RATE = 0xF3;
    private static final int INTELLIMOUSE_KNOCK = (200 << 16) | (100 << 8) | 80;
    private static final int EXPLORER_KNOCK = (200 << 16) | (200 << 8) | 80;
    private static final int COUNTER_LIMIT = 1 << 16;

    /**
     * The mouse's state.
     *
     * @param queue bytes not yet sent
     * @param lastUnit the last packet or command answer (for 0xFE resend)
     * @param pendingCommand the command waiting for its parameter byte, 0 when none
     * @param rateHistory the last three sample rates set, oldest in bits 16-23
     * @param reportedButtons the buttons as the last packet reported them
     */
    public record State(byte[] queue, byte[] lastUnit, int pendingCommand, int sampleRate,
                        int resolution, boolean scaling21, boolean remote, boolean reporting,
                        boolean wrap, int deviceId, int rateHistory, int dx, int dy, int dz,
                        int buttons, int reportedButtons) {
        public State {
            queue = queue.clone();
            lastUnit = lastUnit.clone();
        }

        @Override
        public byte[] queue() {
            return queue.clone();
        }

        @Override
        public byte[] lastUnit() {
            return lastUnit.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && Arrays.equals(queue, s.queue)
                    && Arrays.equals(lastUnit, s.lastUnit) && pendingCommand == s.pendingCommand
                    && sampleRate == s.sampleRate && resolution == s.resolution
                    && scaling21 == s.scaling21 && remote == s.remote
                    && reporting == s.reporting && wrap == s.wrap && deviceId == s.deviceId
                    && rateHistory == s.rateHistory && dx == s.dx && dy == s.dy && dz == s.dz
                    && buttons == s.buttons && reportedButtons == s.reportedButtons;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(queue) * 31 + rateHistory * 7 + dx + dy + deviceId;
        }

        @Override
        public String toString() {
            HexFormat hex = HexFormat.of();
            return "Ps2Mouse.State[queue=" + hex.formatHex(queue) + ", pendingCommand="
                    + pendingCommand + ", rate=" + sampleRate + ", resolution=" + resolution
                    + ", scaling21=" + scaling21 + ", remote=" + remote + ", reporting="
                    + reporting + ", wrap=" + wrap + ", id=" + deviceId + ", rates=0x"
                    + Integer.toHexString(rateHistory) + ", d=(" + dx + "," + dy + "," + dz
                    + "), buttons=" + buttons + "/" + reportedButtons + "]";
        }
    }

    private final Object lock;
    private final Runnable dataReady;
    private final ByteFifo queue = new ByteFifo(BUFFER_SIZE);
    private byte[] lastUnit = new byte[0];
    private int pendingCommand;
    private int sampleRate;
    private int resolution;
    private boolean scaling21;
    private boolean remote;
    private boolean reporting;
    private boolean wrap;
    private int deviceId;
    private int rateHistory;
    private int dx;
    private int dy;
    private int dz;
    private int buttons;
    private int reportedButtons;
    private long ignoredBytes;

    Ps2Mouse(Object lock, Runnable dataReady) {
        this.lock = lock;
        this.dataReady = dataReady;
        defaults();
    }

    /**
     * Host input: moves the mouse and sets the buttons.
     *
     * @param dx counts to the right
     * @param dy counts up (away from the user), the PS/2 convention
     * @param dz wheel counts as the IntelliMouse reports them (positive = towards the user)
     * @param buttons {@code BUTTON_*} bits held down
     */
    public void move(int dx, int dy, int dz, int buttons) {
        synchronized (lock) {
            this.buttons = buttons & 0x1F;
            if (!remote && (!reporting || wrap)) {
                return;                         // a disabled stream mouse reports nothing
            }
            this.dx = clampCounter(this.dx + (long) dx);
            this.dy = clampCounter(this.dy + (long) dy);
            this.dz = clampCounter(this.dz + (long) dz);
            if (streaming()) {
                flushMotion();
                dataReady.run();
            }
        }
    }

    /** Host input without a wheel. */
    public void move(int dx, int dy, int buttons) {
        move(dx, dy, 0, buttons);
    }

    public int deviceId() {
        synchronized (lock) {
            return deviceId;
        }
    }

    public int sampleRate() {
        synchronized (lock) {
            return sampleRate;
        }
    }

    public int resolution() {
        synchronized (lock) {
            return resolution;
        }
    }

    public boolean reporting() {
        synchronized (lock) {
            return reporting;
        }
    }

    /** Bytes the mouse did not understand (answered with 0xFE). */
    public long ignoredBytes() {
        synchronized (lock) {
            return ignoredBytes;
        }
    }

    @Override
    public boolean hasOutput() {
        return !queue.isEmpty();
    }

    @Override
    public int takeOutput() {
        int b = queue.poll();
        if (streaming()) {
            flushMotion();                      // counters waiting for room
        }
        return b;
    }

    @Override
    public void receive(int b) {
        b &= 0xFF;
        if (pendingCommand != 0) {
            int cmd = pendingCommand;
            pendingCommand = 0;
            parameter(cmd, b);
            return;
        }
        if (wrap && b != 0xEC && b != 0xFF) {
            queue.add(b);                        // wrap mode echoes everything else
            return;
        }
        if (b != RESEND) {
            queue.clear();                      // stop streaming to answer
        }
        command(b);
    }

    private void parameter(int cmd, int b) {
        if (cmd == CMD_SET_RESOLUTION) {
            if (b > 3) {
                invalid("resolution " + b);
                return;
            }
            resolution = b;
        } else {
            if (b != 10 && b != 20 && b != 40 && b != 60 && b != 80 && b != 100 && b != 200) {
                invalid("sample rate " + b);
                return;
            }
            sampleRate = b;
            rateHistory = (rateHistory << 8 | b) & 0xFF_FFFF;
            if (rateHistory == INTELLIMOUSE_KNOCK && deviceId == 0) {
                deviceId = 3;
            } else if (rateHistory == EXPLORER_KNOCK && deviceId == 3) {
                deviceId = 4;
            }
        }
        answer(ACK);
    }

    private void command(int b) {
        switch (b) {
            case 0xE6, 0xE7 -> {
                scaling21 = b == 0xE7;
                answer(ACK);
            }
            case CMD_SET_RESOLUTION, CMD_SET_RATE -> {
                pendingCommand = b;
                answer(ACK);
            }
            case 0xE9 -> {
                int status = (remote ? 0x40 : 0) | (reporting ? 0x20 : 0)
                        | (scaling21 ? 0x10 : 0) | ((buttons & BUTTON_LEFT) != 0 ? 0x04 : 0)
                        | ((buttons & BUTTON_MIDDLE) != 0 ? 0x02 : 0)
                        | ((buttons & BUTTON_RIGHT) != 0 ? 0x01 : 0);
                answer(ACK, status, resolution, sampleRate);
            }
            case 0xEA, 0xF0 -> {
                remote = b == 0xF0;
                resetCounters();
                answer(ACK);
            }
            case 0xEB -> {
                answer(ACK);
                queuePacket(false);
            }
            case 0xEC, 0xEE -> {
                wrap = b == 0xEE;
                resetCounters();
                answer(ACK);
            }
            case 0xF2 -> answer(ACK, deviceId);
            case 0xF4, 0xF5 -> {
                reporting = b == 0xF4;
                resetCounters();
                answer(ACK);
            }
            case 0xF6 -> {
                defaults();
                answer(ACK);
            }
            case RESEND -> {
                for (byte u : lastUnit) {
                    queue.add(u);
                }
            }
            case 0xFF -> {
                defaults();
                deviceId = 0;
                rateHistory = 0;
                answer(ACK, 0xAA, 0x00);
            }
            default -> invalid("command 0x" + Integer.toHexString(b));
        }
    }

    private void defaults() {
        sampleRate = 100;
        resolution = 2;
        scaling21 = false;
        remote = false;
        reporting = false;
        wrap = false;
        resetCounters();
    }

    private void resetCounters() {
        dx = 0;
        dy = 0;
        dz = 0;
        reportedButtons = buttons;
    }

    private boolean streaming() {
        return !remote && reporting && !wrap;
    }

    private void flushMotion() {
        if ((dx != 0 || dy != 0 || dz != 0 || buttons != reportedButtons)
                && queue.free() >= packetSize()) {
            queuePacket(scaling21);
        }
    }

    private int packetSize() {
        return deviceId == 0 ? 3 : 4;
    }

    /** Queues one packet from the counters and restarts them. */
    private void queuePacket(boolean scale) {
        int x = scale ? scale21(dx) : dx;
        int y = scale ? scale21(dy) : dy;
        boolean xo = x < -256 || x > 255;
        boolean yo = y < -256 || y > 255;
        x = Math.clamp(x, -256, 255);
        y = Math.clamp(y, -256, 255);
        int b0 = 0x08 | (buttons & (BUTTON_LEFT | BUTTON_RIGHT | BUTTON_MIDDLE))
                | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0) | (xo ? 0x40 : 0) | (yo ? 0x80 : 0);
        byte[] p = new byte[packetSize()];
        p[0] = (byte) b0;
        p[1] = (byte) x;
        p[2] = (byte) y;
        if (deviceId == 3) {
            p[3] = (byte) Math.clamp(dz, -128, 127);
        } else if (deviceId == 4) {
            p[3] = (byte) ((Math.clamp(dz, -8, 7) & 0x0F) | ((buttons & BUTTON_4) != 0 ? 0x10 : 0)
                    | ((buttons & BUTTON_5) != 0 ? 0x20 : 0));
        }
        unit(p);
        resetCounters();
    }

    /** 2:1 scaling: 1, 1, 3, 6, 9 for counts 1-5, doubled above. */
    private static int scale21(int n) {
        int m = Math.abs(n);
        int s = switch (m) {
            case 0, 1 -> m;
            case 2 -> 1;
            case 3 -> 3;
            case 4 -> 6;
            case 5 -> 9;
            default -> 2 * m;
        };
        return n < 0 ? -s : s;
    }

    private static int clampCounter(long v) {
        return Math.clamp(v, -COUNTER_LIMIT, COUNTER_LIMIT);
    }

    private void answer(int... bytes) {
        byte[] u = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            u[i] = (byte) bytes[i];
        }
        unit(u);
    }

    private void unit(byte[] u) {
        lastUnit = u;
        for (byte b : u) {
            if (!queue.add(b)) {
                notice("answers not read, bytes dropped");
                return;
            }
        }
    }

    private void invalid(String what) {
        notice(what);
        answer(RESEND);
    }

    private void notice(String what) {
        if (ignoredBytes++ == 0) {
            log.warn("PS/2 mouse: unsupported {}", what);
        }
    }

    /** Power-on state: ID 0, defaults, nothing queued. */
    void powerOn() {
        queue.clear();
        lastUnit = new byte[0];
        pendingCommand = 0;
        defaults();
        deviceId = 0;
        rateHistory = 0;
        buttons = 0;
        reportedButtons = 0;
    }

    @Override
    public State save() {
        synchronized (lock) {
            return new State(queue.toArray(), lastUnit, pendingCommand, sampleRate, resolution,
                    scaling21, remote, reporting, wrap, deviceId, rateHistory, dx, dy, dz,
                    buttons, reportedButtons);
        }
    }

    @Override
    public void restore(State s) {
        synchronized (lock) {
            queue.set(s.queue());
            lastUnit = s.lastUnit();
            pendingCommand = s.pendingCommand() & 0xFF;
            sampleRate = s.sampleRate() & 0xFF;
            resolution = s.resolution() & 3;
            scaling21 = s.scaling21();
            remote = s.remote();
            reporting = s.reporting();
            wrap = s.wrap();
            deviceId = s.deviceId();
            rateHistory = s.rateHistory() & 0xFF_FFFF;
            dx = s.dx();
            dy = s.dy();
            dz = s.dz();
            buttons = s.buttons() & 0x1F;
            reportedButtons = s.reportedButtons() & 0x1F;
        }
    }
}

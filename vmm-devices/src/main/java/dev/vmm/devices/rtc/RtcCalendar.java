package dev.vmm.devices.rtc;

/**
 * The MC146818 update cycle: advances the time and calendar bytes of the CMOS RAM by one second,
 * in the data format (BCD or binary, register B bit 2) and hour format (12 or 24, bit 1) the
 * registers are in, exactly as the chip does it: registers hold whatever was written, and an
 * out-of-range value rolls over at its next increment. Leap years are every fourth year (00
 * included, as on the chip). With DSE set, the last Sunday of April skips from 1:59:59 AM to
 * 3:00:00 AM and the last Sunday of October goes from 1:59:59 AM back to 1:00:00 AM once.
 */
final class RtcCalendar {
    static final int SECONDS = 0x00;
    static final int SECONDS_ALARM = 0x01;
    static final int MINUTES = 0x02;
    static final int MINUTES_ALARM = 0x03;
    static final int HOURS = 0x04;
    static final int HOURS_ALARM = 0x05;
    static final int DAY_OF_WEEK = 0x06;
    static final int DAY_OF_MONTH = 0x07;
    static final int MONTH = 0x08;
    static final int YEAR = 0x09;
    static final int REG_B = 0x0B;
    static final int B_DSE = 0x01;
    static final int B_24H = 0x02;
    static final int B_BINARY = 0x04;
    private static final int PM = 0x80;
    private static final int SECONDS_PER_DAY = 86_400;

    private final byte[] ram;
    /** DSE: the October fall-back has been taken and 1:00-1:59 AM runs a second time. */
    private boolean fellBack;

    RtcCalendar(byte[] ram) {
        this.ram = ram;
    }

    boolean fellBack() {
        return fellBack;
    }

    void setFellBack(boolean v) {
        fellBack = v;
    }

    private boolean binary() {
        return (ram[REG_B] & B_BINARY) != 0;
    }

    private boolean h24() {
        return (ram[REG_B] & B_24H) != 0;
    }

    /** The value of a register, decoded from BCD when the chip is in BCD mode. */
    int get(int reg) {
        int raw = ram[reg] & 0xFF;
        if (reg == HOURS && !h24()) {
            raw &= 0x7F;
        }
        return binary() ? raw : (raw >> 4) * 10 + (raw & 0xF);
    }

    void set(int reg, int value) {
        ram[reg] = (byte) (binary() ? value : (value / 10) << 4 | value % 10);
    }

    private boolean pm() {
        return (ram[HOURS] & PM) != 0;
    }

    /**
     * Runs {@code n} update cycles. Returns true when the alarm matched after one of them. Whole
     * days are skipped at midnight when more than two days remain (DSE off), so long gaps cost
     * little; the last day is always stepped second by second so any alarm still matches.
     */
    boolean advance(long n) {
        boolean alarm = false;
        while (n > 0) {
            if (n > 2L * SECONDS_PER_DAY && (ram[REG_B] & B_DSE) == 0 && atMidnight()) {
                nextDay();
                n -= SECONDS_PER_DAY;
                continue;
            }
            tick();
            n--;
            alarm |= alarmMatches();
        }
        return alarm;
    }

    private boolean atMidnight() {
        if (get(SECONDS) != 0 || get(MINUTES) != 0) {
            return false;
        }
        return h24() ? get(HOURS) == 0 : get(HOURS) == 12 && !pm();
    }

    /** Alarm bytes match the time bytes; 0xC0-0xFF in an alarm byte is "don't care". */
    boolean alarmMatches() {
        return matches(SECONDS_ALARM, SECONDS) && matches(MINUTES_ALARM, MINUTES)
                && matches(HOURS_ALARM, HOURS);
    }

    private boolean matches(int alarm, int time) {
        int a = ram[alarm] & 0xFF;
        return (a & 0xC0) == 0xC0 || a == (ram[time] & 0xFF);
    }

    /** One second. */
    void tick() {
        int s = get(SECONDS) + 1;
        if (s < 60) {
            set(SECONDS, s);
            return;
        }
        set(SECONDS, 0);
        int m = get(MINUTES) + 1;
        if (m < 60) {
            set(MINUTES, m);
            return;
        }
        set(MINUTES, 0);
        nextHour();
    }

    private void nextHour() {
        boolean oneAm = get(HOURS) == 1 && (h24() || !pm());
        if (oneAm && (ram[REG_B] & B_DSE) != 0 && get(DAY_OF_WEEK) == 1) {
            int month = get(MONTH);
            int day = get(DAY_OF_MONTH);
            if (month == 4 && day >= 24) {
                setHour(3, false);
                return;
            }
            if (month == 10 && day >= 25) {
                if (!fellBack) {
                    fellBack = true;
                    setHour(1, false);
                    return;
                }
                fellBack = false;
            }
        }
        if (h24()) {
            int h = get(HOURS) + 1;
            if (h < 24) {
                set(HOURS, h);
            } else {
                set(HOURS, 0);
                nextDay();
            }
            return;
        }
        int h = get(HOURS);
        boolean pm = pm();
        if (h == 11) {
            setHour(12, !pm);
            if (pm) {
                nextDay();
            }
        } else {
            setHour(h >= 12 ? 1 : h + 1, pm);
        }
    }

    private void setHour(int h, boolean pm) {
        set(HOURS, h);
        if (!h24() && pm) {
            ram[HOURS] |= (byte) PM;
        }
    }

    private void nextDay() {
        int dow = get(DAY_OF_WEEK);
        set(DAY_OF_WEEK, dow >= 7 ? 1 : dow + 1);
        int day = get(DAY_OF_MONTH) + 1;
        if (day <= daysInMonth(get(MONTH), get(YEAR))) {
            set(DAY_OF_MONTH, day);
            return;
        }
        set(DAY_OF_MONTH, 1);
        int month = get(MONTH) + 1;
        if (month <= 12) {
            set(MONTH, month);
            return;
        }
        set(MONTH, 1);
        int year = get(YEAR) + 1;
        set(YEAR, year <= 99 ? year : 0);
    }

    static int daysInMonth(int month, int year) {
        return switch (month) {
            case 2 -> year % 4 == 0 ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }
}

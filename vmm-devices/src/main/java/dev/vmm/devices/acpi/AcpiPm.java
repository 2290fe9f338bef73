package dev.vmm.devices.acpi;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACPI fixed hardware of a PIIX4-style power-management function: a 64-byte I/O block at a
 * base the board or the PCI function's PMBA sets ({@link #attach}). Layout (offsets from the
 * base; the FADT points at them):
 * <pre>
 *   0x00  PM1a_EVT_BLK  PM1_STS (2 bytes) + PM1_EN (2 bytes)     FADT PM1_EVT_LEN = 4
 *   0x04  PM1a_CNT_BLK  PM1_CNT (2 bytes)                        FADT PM1_CNT_LEN = 2
 *   0x08  PM_TMR_BLK    PM_TMR (4 bytes, 24-bit value)           FADT PM_TMR_LEN = 4
 *   0x20  GPE0_BLK      GPE0_STS (4 bytes) + GPE0_EN (4 bytes)   FADT GPE0_BLK_LEN = 8
 * </pre>
 * Other offsets read 0 and ignore writes. The FADT's TMR_VAL_EXT flag must be clear (24 bits).
 *
 * <p>PM1_STS (write 1 to clear): TMR_STS (0), GBL_STS (5), PWRBTN_STS (8), SLPBTN_STS (9),
 * RTC_STS (10), WAK_STS (15). PM1_EN: the enables of bits 0, 5, 8, 9, 10. PM1_CNT: SCI_EN (0),
 * BM_RLD (1), GBL_RLS (2, write-only), SLP_TYP (12:10), SLP_EN (13, write-only). Writing SLP_EN
 * with SLP_TYP = {@link #SLP_TYP_S5} (0, the PIIX4 value QEMU's DSDT uses in {@code _S5}) calls the
 * power-off callback. Other sleep types (S3 = {@link #SLP_TYP_S3}) are not supported: logged once,
 * and the machine "wakes" at once (WAK_STS set) so a guest polling WAK_STS does not hang; the DSDT
 * should declare {@code _S5} only.
 *
 * <p>PM timer: 3.579545 MHz, 24 bits, free-running from power-on as a function of guest time
 * (never ticking per instruction). TMR_STS is set each time bit 23 toggles; it is computed at each
 * access, and a {@link VirtualClock} timer is armed for the next toggle only while TMR_EN and
 * SCI_EN are set.
 *
 * <p>SCI: asserted (level) while SCI_EN is set and an enabled PM1 status bit or GPE0 status bit is
 * set. Without SCI_EN the events would raise SMIs, which this board does not have: the firmware
 * sets SCI_EN before handing over, or its FADT gives SMI_CMD = 0 (ACPI mode only) and Linux finds
 * SCI_EN set already.
 *
 * <p>Thread safety: entry points are synchronized; {@link #pressPowerButton()} and
 * {@link #raiseGpe} may come from other threads (they only drive SCI; the clock's timers are
 * touched on the vCPU thread alone). The power-off callback runs outside the lock, on the vCPU
 * thread.
 */
public final class AcpiPm implements PortIoDevice, Persist<AcpiPm.State> {
    private static final Logger log = LoggerFactory.getLogger(AcpiPm.class);

    public static final int BLOCK_LEN = 0x40;
    public static final int PM1_EVT_OFFSET = 0x00;
    public static final int PM1_EVT_LEN = 4;
    public static final int PM1_CNT_OFFSET = 0x04;
    public static final int PM1_CNT_LEN = 2;
    public static final int PM_TMR_OFFSET = 0x08;
    public static final int PM_TMR_LEN = 4;
    public static final int GPE0_OFFSET = 0x20;
    public static final int GPE0_LEN = 8;
    /** The PM timer's width: FADT flag TMR_VAL_EXT must be clear. */
    public static final int TIMER_BITS = 24;
    public static final long TIMER_HZ = 3_579_545;

    /** SLP_TYP values, for the DSDT's {@code \_S5} (and {@code \_S3}, which is not supported). */
    public static final int SLP_TYP_S5 = 0;
    public static final int SLP_TYP_S3 = 1;

    public static final int TMR_STS = 1;
    public static final int GBL_STS = 1 << 5;
    public static final int PWRBTN_STS = 1 << 8;
    public static final int SLPBTN_STS = 1 << 9;
    public static final int RTC_STS = 1 << 10;
    public static final int WAK_STS = 1 << 15;
    public static final int TMR_EN = TMR_STS;
    public static final int PWRBTN_EN = PWRBTN_STS;
    public static final int SCI_EN = 1;
    public static final int SLP_EN = 1 << 13;

    private static final int PM1_STS_BITS =
            TMR_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | RTC_STS | WAK_STS;
    private static final int PM1_EN_BITS = TMR_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | RTC_STS;
    private static final int PM1_CNT_BITS = SCI_EN | 2 | 7 << 10;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /**
     * The block's state (not its base address: the PCI function that places it restores that).
     *
     * @param lastTick the PM timer tick up to which TMR_STS has been brought
     */
    public record State(int pm1Sts, int pm1En, int pm1Cnt, int gpeSts, int gpeEn, long lastTick) {
    }

    private final VirtualClock clock;
    private final IrqLine sci;
    private final Runnable powerOff;
    private final VirtualClock.Timer timer;
    private PioBus bus;
    private int base = -1;
    private int pm1Sts;
    private int pm1En;
    private int pm1Cnt;
    private int gpeSts;
    private int gpeEn;
    private long lastTick;
    private boolean sciLevel;
    private long unsupportedSleeps;
    private long guestErrors;

    /**
     * @param sci the SCI line (ISA IRQ 9 by convention; level, shared)
     * @param powerOff called when the guest enters S5
     */
    public AcpiPm(VirtualClock clock, IrqLine sci, Runnable powerOff) {
        this.clock = clock;
        this.sci = sci;
        this.powerOff = powerOff;
        this.timer = clock.newTimer(this::onTimer);
        lastTick = tick();
    }

    /** Places the block at {@code base} (moving it if it was attached elsewhere). */
    public synchronized void attach(PioBus bus, int base) {
        detach();
        bus.register(base, BLOCK_LEN, "acpi-pm", this);
        this.bus = bus;
        this.base = base;
    }

    /** Removes the block from its bus (PMBA disabled). */
    public synchronized void detach() {
        if (bus != null) {
            bus.unregister(base, BLOCK_LEN);
            bus = null;
            base = -1;
        }
    }

    /** The base port, or -1 when detached. */
    public synchronized int base() {
        return base;
    }

    /** PM timer ticks since power-on. */
    private long tick() {
        long t = clock.nanos();
        return t / NANOS_PER_SECOND * TIMER_HZ + t % NANOS_PER_SECOND * TIMER_HZ / NANOS_PER_SECOND;
    }

    private static long nanosAt(long tick) {
        long rem = tick % TIMER_HZ * NANOS_PER_SECOND;
        return tick / TIMER_HZ * NANOS_PER_SECOND + (rem + TIMER_HZ - 1) / TIMER_HZ;
    }

    /** The PM_TMR register now. */
    public synchronized int timerValue() {
        return (int) (tick() & ((1 << TIMER_BITS) - 1));
    }

    /** Brings TMR_STS up to the present: set if bit 23 toggled since the last look. */
    private void sync() {
        long k = tick();
        if (k >>> (TIMER_BITS - 1) != lastTick >>> (TIMER_BITS - 1)) {
            pm1Sts |= TMR_STS;
        }
        lastTick = k;
    }

    private synchronized void onTimer() {
        sync();
        update();
    }

    /** Drives SCI (any thread). */
    private void driveSci() {
        boolean enabled = (pm1Cnt & SCI_EN) != 0;
        boolean level = enabled && ((pm1Sts & pm1En & PM1_EN_BITS) != 0 || (gpeSts & gpeEn) != 0);
        if (level != sciLevel) {
            sciLevel = level;
            sci.set(level);
        }
    }

    /** Drives SCI; arms the timer for the next bit-23 toggle if it can raise SCI (vCPU thread). */
    private void update() {
        driveSci();
        if ((pm1Cnt & SCI_EN) != 0 && (pm1En & TMR_EN) != 0 && (pm1Sts & TMR_STS) == 0) {
            long next = ((lastTick >>> (TIMER_BITS - 1)) + 1) << (TIMER_BITS - 1);
            clock.arm(timer, nanosAt(next));
        } else {
            clock.disarm(timer);
        }
    }

    /** The power button: sets PWRBTN_STS; SCI follows if PWRBTN_EN and SCI_EN are set. */
    public synchronized void pressPowerButton() {
        pm1Sts |= PWRBTN_STS;
        driveSci();                             // no timer work: the clock belongs to the vCPU
    }

    /** Sets GPE0 status bit {@code bit} (0-31), as a hot-plug controller would. */
    public synchronized void raiseGpe(int bit) {
        gpeSts |= 1 << bit;
        driveSci();
    }

    @Override
    public synchronized int ioRead(int port, int size) {
        int off = port - base;
        sync();
        update();
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= readByte(off + i) << 8 * i;
        }
        return v;
    }

    private int readByte(int off) {
        int shift = (off & 3) * 8;
        int reg = switch (off & ~3) {
            case PM1_EVT_OFFSET -> pm1Sts | pm1En << 16;
            case PM1_CNT_OFFSET -> pm1Cnt;
            case PM_TMR_OFFSET -> (int) (lastTick & ((1 << TIMER_BITS) - 1));
            case GPE0_OFFSET -> gpeSts;
            case GPE0_OFFSET + 4 -> gpeEn;
            default -> 0;
        };
        return reg >>> shift & 0xFF;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        boolean powerDown;
        synchronized (this) {
            sync();
            int sleep = -1;
            for (int i = 0; i < size; i++) {
                sleep = Math.max(sleep, writeByte(port - base + i, value >>> 8 * i & 0xFF));
            }
            powerDown = sleep >= 0 && sleepRequest(sleep);
            update();
        }
        if (powerDown) {
            powerOff.run();
        }
    }

    /** Writes one byte; returns the SLP_TYP if it set SLP_EN, else -1. */
    private int writeByte(int off, int b) {
        int shift = (off & 3) * 8;
        switch (off) {
            case PM1_EVT_OFFSET, PM1_EVT_OFFSET + 1 -> pm1Sts &= ~(b << shift & PM1_STS_BITS);
            case PM1_EVT_OFFSET + 2, PM1_EVT_OFFSET + 3 -> pm1En = pm1En & ~(0xFF << shift - 16)
                    | (b << shift - 16 & PM1_EN_BITS);
            case PM1_CNT_OFFSET, PM1_CNT_OFFSET + 1 -> {
                pm1Cnt = pm1Cnt & ~(0xFF << shift) | (b << shift & PM1_CNT_BITS);
                if ((b << shift & SLP_EN) != 0) {
                    return pm1Cnt >> 10 & 7;
                }
            }
            default -> {
                if (off >= GPE0_OFFSET && off < GPE0_OFFSET + 4) {
                    gpeSts &= ~(b << shift);
                } else if (off >= GPE0_OFFSET + 4 && off < GPE0_OFFSET + GPE0_LEN) {
                    gpeEn = gpeEn & ~(0xFF << shift) | b << shift;
                } else if (off != PM1_CNT_OFFSET + 2 && off != PM1_CNT_OFFSET + 3
                        && (off < PM_TMR_OFFSET || off >= PM_TMR_OFFSET + PM_TMR_LEN)) {
                    notice("write to unmodelled PM register 0x" + Integer.toHexString(off));
                }
            }
        }
        return -1;
    }

    /** SLP_EN was written with {@code type}: returns true to power off. */
    private boolean sleepRequest(int type) {
        if (type == SLP_TYP_S5) {
            log.info("guest entered S5: powering off");
            return true;
        }
        if (unsupportedSleeps++ == 0) {
            log.warn("ACPI sleep type {} is not supported (S5 = {} only); the guest wakes at once",
                    type, SLP_TYP_S5);
        }
        pm1Sts |= WAK_STS;
        return false;
    }

    private void notice(String what) {
        if (guestErrors++ == 0) {
            log.warn("ACPI PM: {}", what);
        }
    }

    @Override
    public synchronized State save() {
        sync();
        return new State(pm1Sts, pm1En, pm1Cnt, gpeSts, gpeEn, lastTick);
    }

    /** Restores the state and re-arms the timer; SCI is not driven (the PIC restores its input). */
    @Override
    public synchronized void restore(State s) {
        pm1Sts = s.pm1Sts() & PM1_STS_BITS;
        pm1En = s.pm1En() & PM1_EN_BITS;
        pm1Cnt = s.pm1Cnt() & PM1_CNT_BITS;
        gpeSts = s.gpeSts();
        gpeEn = s.gpeEn();
        lastTick = s.lastTick();
        sciLevel = (pm1Cnt & SCI_EN) != 0
                && ((pm1Sts & pm1En & PM1_EN_BITS) != 0 || (gpeSts & gpeEn) != 0);
        update();
    }
}

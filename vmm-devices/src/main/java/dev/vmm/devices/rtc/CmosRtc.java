package dev.vmm.devices.rtc;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;

/**
 * The Motorola MC146818 real-time clock with 128 bytes of CMOS RAM, at ports 0x70 (index, bit 7
 * masks NMI) and 0x71 (data).
 *
 * <p>Time: the chip's 32.768 kHz divider chain is a function of guest time (the
 * {@link VirtualClock}); it ends a second every 32768 cycles, and each such update cycle advances
 * the time and calendar bytes ({@link RtcCalendar}), so the registers hold exactly what the guest
 * wrote and count on from there. At construction they are set from a wall-clock base time (in
 * UTC; a deterministic run passes a fixed one), BCD and 24-hour, with the first update when the
 * base time's second ends. UIP (register A bit 7) is set during the 8 divider cycles (244 us)
 * before each update. SET stops updates (and clears UIE); a divider reset (DV = 11x) stops the
 * chain, and leaving it starts the first update half a second later.
 *
 * <p>Interrupts: PF at the periodic rate of register A (RS3-0), AF when an update makes the time
 * match the alarm bytes (0xC0-0xFF = don't care), UF after every update. IRQF = PF.PIE + AF.AIE +
 * UF.UIE drives IRQ8; reading register C clears the flags and lowers IRQ8. Flags are computed
 * lazily from the divider count at each access; a {@link VirtualClock} timer is armed only for
 * the next enabled interrupt, and not at all while IRQ8 is asserted.
 *
 * <p>Not modelled: the SQW pin (SQWE is stored), the divider settings for 4.194304 and 1.048576
 * MHz crystals (DV = 000, 001 count like 010, as on emulated PCs), the update cycle's own 1984 us
 * (the update is instantaneous at the end of the UIP window), and a century register updated by
 * the chip (the MC146818 has none; byte 0x32 is plain RAM the BIOS fills).
 *
 * <p>Single-threaded: ports and timers are used from the vCPU thread that runs the clock.
 */
public final class CmosRtc implements PortIoDevice, Persist<CmosRtc.State> {
    public static final int REG_A = 0x0A;
    public static final int REG_B = 0x0B;
    public static final int REG_C = 0x0C;
    public static final int REG_D = 0x0D;
    public static final int A_UIP = 0x80;
    public static final int B_SET = 0x80;
    public static final int B_PIE = 0x40;
    public static final int B_AIE = 0x20;
    public static final int B_UIE = 0x10;
    public static final int C_IRQF = 0x80;
    public static final int C_PF = 0x40;
    public static final int C_AF = 0x20;
    public static final int C_UF = 0x10;
    public static final int D_VRT = 0x80;

    static final long CYCLES_PER_SECOND = 32_768;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long UIP_CYCLES = 8;

    /**
     * The chip's state.
     *
     * @param ram the 128 bytes (time, registers A-D, and RAM 0x0E-0x7F)
     * @param dividerOrigin guest time at which the divider chain's cycle count was 0
     * @param lastCycle the divider cycle up to which updates and flags have been applied
     * @param dstFellBack DSE: October's 1 AM hour is running for the second time
     */
    public record State(byte[] ram, int index, boolean nmiMasked, long dividerOrigin,
                        long lastCycle, boolean dstFellBack) {
        public State {
            ram = ram.clone();
        }

        @Override
        public byte[] ram() {
            return ram.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && Arrays.equals(ram, s.ram) && index == s.index
                    && nmiMasked == s.nmiMasked && dividerOrigin == s.dividerOrigin
                    && lastCycle == s.lastCycle && dstFellBack == s.dstFellBack;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ram) * 31 + Long.hashCode(lastCycle);
        }

        @Override
        public String toString() {
            return "CmosRtc.State[index=" + index + ", lastCycle=" + lastCycle + ", ram="
                    + java.util.HexFormat.of().formatHex(ram) + "]";
        }
    }

    private final VirtualClock clock;
    private final IrqLine irq8;
    private final Instant baseTime;
    private final VirtualClock.Timer timer;
    private final byte[] ram = new byte[128];
    private final RtcCalendar calendar = new RtcCalendar(ram);
    private int index;
    private boolean nmiMasked;
    private long dividerOrigin;
    private long lastCycle;
    private boolean irqLevel;

    /**
     * @param baseTime the wall-clock time (read as UTC) the clock shows at the current guest time
     */
    public CmosRtc(VirtualClock clock, IrqLine irq8, Instant baseTime) {
        this.clock = clock;
        this.irq8 = irq8;
        this.baseTime = baseTime;
        this.timer = clock.newTimer(this::onTimer);
        LocalDateTime t = LocalDateTime.ofInstant(baseTime, ZoneOffset.UTC);
        ram[REG_A] = 0x26;                      // 32.768 kHz time base, 1024 Hz periodic rate
        ram[REG_B] = RtcCalendar.B_24H;         // BCD, 24-hour
        ram[REG_D] = (byte) D_VRT;
        calendar.set(RtcCalendar.SECONDS, t.getSecond());
        calendar.set(RtcCalendar.MINUTES, t.getMinute());
        calendar.set(RtcCalendar.HOURS, t.getHour());
        calendar.set(RtcCalendar.DAY_OF_WEEK, t.getDayOfWeek().getValue() % 7 + 1);
        calendar.set(RtcCalendar.DAY_OF_MONTH, t.getDayOfMonth());
        calendar.set(RtcCalendar.MONTH, t.getMonthValue());
        calendar.set(RtcCalendar.YEAR, t.getYear() % 100);
        dividerOrigin = clock.nanos() - t.getNano();
        lastCycle = cycleAt(clock.nanos());
    }

    public CmosRtc(VirtualClock clock, IrqLine irq8, long epochSeconds) {
        this(clock, irq8, Instant.ofEpochSecond(epochSeconds));
    }

    /** Claims ports 0x70-0x71 on {@code bus}. */
    public void attach(PioBus bus) {
        bus.register(0x70, 2, "cmos-rtc", this);
    }

    /** The wall-clock time given at construction. */
    public Instant baseTime() {
        return baseTime;
    }

    /** Bit 7 of the last index written to port 0x70: NMIs are masked. */
    public boolean nmiMasked() {
        return nmiMasked;
    }

    /** A CMOS byte as stored (no side effects; time bytes as of the last access). */
    public int cmosByte(int addr) {
        return ram[addr & 0x7F] & 0xFF;
    }

    /** Sets a byte of the general-purpose RAM (0x0E-0x7F), as a BIOS setup would. */
    public void setCmosByte(int addr, int value) {
        if (addr < 0x0E || addr > 0x7F) {
            throw new IllegalArgumentException("not CMOS RAM: 0x" + Integer.toHexString(addr));
        }
        ram[addr] = (byte) value;
    }

    @Override
    public int ioRead(int port, int size) {
        if ((port & 1) == 0) {
            return 0xFF;                        // the index register is write-only
        }
        return switch (index) {
            case REG_A -> {
                sync();
                yield ram[REG_A] & 0x7F | (updateInProgress() ? A_UIP : 0);
            }
            case REG_C -> {
                sync();
                int v = ram[REG_C] & 0xFF;
                ram[REG_C] = 0;
                updateIrq();
                rearm();
                yield v;
            }
            case REG_D -> D_VRT;
            default -> {
                if (index <= REG_B) {
                    sync();
                }
                yield ram[index] & 0xFF;
            }
        };
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        value &= 0xFF;
        if ((port & 1) == 0) {
            index = value & 0x7F;
            nmiMasked = (value & 0x80) != 0;
            return;
        }
        switch (index) {
            case REG_A -> writeA(value);
            case REG_B -> {
                sync();
                if ((value & B_SET) != 0) {
                    value &= ~B_UIE;
                }
                ram[REG_B] = (byte) value;
                updateIrq();
                rearm();
            }
            case REG_C, REG_D -> { }            // read-only
            default -> {
                if (index < REG_A) {
                    sync();
                }
                ram[index] = (byte) value;
            }
        }
    }

    private void writeA(int value) {
        sync();
        boolean wasRunning = dividerRunning();
        ram[REG_A] = (byte) (value & 0x7F);
        if (!wasRunning && dividerRunning()) {
            // Out of divider reset: the first update cycle begins half a second later.
            long now = clock.nanos();
            dividerOrigin = now - NANOS_PER_SECOND / 2;
            lastCycle = cycleAt(now);
        }
        rearm();
    }

    private boolean dividerRunning() {
        return (ram[REG_A] & 0x70) <= 0x20;
    }

    private boolean setMode() {
        return (ram[REG_B] & B_SET) != 0;
    }

    private boolean updateInProgress() {
        return dividerRunning() && !setMode()
                && Math.floorMod(lastCycle, CYCLES_PER_SECOND) >= CYCLES_PER_SECOND - UIP_CYCLES;
    }

    /** Divider cycles of the periodic interrupt, 0 when off (RS3-0 of register A). */
    private int periodCycles() {
        int rs = ram[REG_A] & 0x0F;
        if (rs == 0) {
            return 0;
        }
        return rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
    }

    private long cycleAt(long nanos) {
        long d = nanos - dividerOrigin;
        return Math.floorDiv(d, NANOS_PER_SECOND) * CYCLES_PER_SECOND
                + Math.floorMod(d, NANOS_PER_SECOND) * CYCLES_PER_SECOND / NANOS_PER_SECOND;
    }

    private long nanosAtCycle(long cycle) {
        long rem = Math.floorMod(cycle, CYCLES_PER_SECOND) * NANOS_PER_SECOND;
        return dividerOrigin + Math.floorDiv(cycle, CYCLES_PER_SECOND) * NANOS_PER_SECOND
                + (rem + CYCLES_PER_SECOND - 1) / CYCLES_PER_SECOND;
    }

    /** Applies the update cycles and periodic ticks that happened up to now. */
    private void sync() {
        if (!dividerRunning()) {
            return;
        }
        long c = cycleAt(clock.nanos());
        if (c <= lastCycle) {
            return;
        }
        long updates = Math.floorDiv(c, CYCLES_PER_SECOND)
                - Math.floorDiv(lastCycle, CYCLES_PER_SECOND);
        int period = periodCycles();
        int flags = 0;
        if (period != 0 && Math.floorDiv(c, period) > Math.floorDiv(lastCycle, period)) {
            flags |= C_PF;
        }
        lastCycle = c;
        if (updates > 0 && !setMode()) {
            flags |= C_UF;
            if (calendar.advance(updates)) {
                flags |= C_AF;
            }
        }
        ram[REG_C] |= (byte) flags;
        updateIrq();
    }

    /** IRQF = PF.PIE + AF.AIE + UF.UIE, and IRQ8 follows it. */
    private void updateIrq() {
        int c = ram[REG_C] & 0xFF;
        boolean irqf = (c & ram[REG_B] & 0x70) != 0;
        ram[REG_C] = (byte) (irqf ? c | C_IRQF : c & ~C_IRQF);
        if (irqf != irqLevel) {
            irqLevel = irqf;
            irq8.set(irqf);
        }
    }

    private void onTimer() {
        sync();
        rearm();
    }

    /** Arms the timer at the next divider cycle that can raise an enabled interrupt. */
    private void rearm() {
        long next = Long.MAX_VALUE;
        int b = ram[REG_B];
        if (dividerRunning() && (ram[REG_C] & C_IRQF) == 0) {
            int period = periodCycles();
            if ((b & B_PIE) != 0 && period != 0) {
                next = (Math.floorDiv(lastCycle, period) + 1) * period;
            }
            if ((b & (B_UIE | B_AIE)) != 0 && !setMode()) {
                next = Math.min(next,
                        (Math.floorDiv(lastCycle, CYCLES_PER_SECOND) + 1) * CYCLES_PER_SECOND);
            }
        }
        if (next == Long.MAX_VALUE) {
            clock.disarm(timer);
        } else {
            clock.arm(timer, nanosAtCycle(next));
        }
    }

    @Override
    public State save() {
        return new State(ram, index, nmiMasked, dividerOrigin, lastCycle, calendar.fellBack());
    }

    /** Restores the state and re-arms the timer; IRQ8 is not driven (the PIC has its own). */
    @Override
    public void restore(State s) {
        byte[] r = s.ram();
        if (r.length != ram.length) {
            throw new IllegalArgumentException("CMOS state must have 128 bytes, not " + r.length);
        }
        System.arraycopy(r, 0, ram, 0, ram.length);
        index = s.index() & 0x7F;
        nmiMasked = s.nmiMasked();
        dividerOrigin = s.dividerOrigin();
        lastCycle = s.lastCycle();
        irqLevel = (ram[REG_C] & C_IRQF) != 0;
        calendar.setFellBack(s.dstFellBack());
        rearm();
    }
}

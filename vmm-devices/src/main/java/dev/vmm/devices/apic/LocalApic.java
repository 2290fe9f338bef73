package dev.vmm.devices.apic;

import static dev.vmm.devices.apic.ApicRegisters.*;

import dev.vmm.core.bus.MmioDevice;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.irq.InterruptSource;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.core.persist.Persist;
import java.util.Arrays;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local APIC of the one CPU, in xAPIC mode: 4 KiB of registers at 0xFEE00000 (Intel SDM vol. 3,
 * chapter 10), and what the CPU sees as its interrupt controller.
 *
 * <p>Registers: ID, version 0x00050014 (version 0x14, six LVT entries), TPR, APR, PPR,
 * EOI, LDR, DFR, SVR, ISR/TMR/IRR, ESR, ICR, the LVT (timer, thermal, performance counter, LINT0,
 * LINT1, error) and the timer ({@link ApicTimer}: one-shot, periodic, TSC-deadline). Registers
 * ({@link ApicRegisters}) are 32 bits wide at 16-byte strides; reads of any width return the bytes
 * of the register, writes must be 32 bits at the start of the register.
 *
 * <p>Interrupt acceptance: a fixed interrupt sets its IRR bit (and its TMR bit when
 * level-triggered); the highest IRR vector is dispatched when its priority class is above the
 * PPR's (PPR = TPR, or the class of the highest ISR vector when that is higher). The acknowledge
 * cycle moves it from IRR to ISR; EOI clears the highest ISR bit and, when that vector's TMR bit
 * is set, broadcasts the EOI to the I/O APIC ({@link #setEoiListener}). Vectors 0-15 are illegal
 * and set the ESR.
 *
 * <p>Virtual wire: when LVT LINT0 is ExtINT and unmasked, the 8259's INTR reaches the CPU through
 * the APIC, and the acknowledge cycle goes to the 8259 (after the APIC's own interrupts, which
 * come first). As QEMU does for the bootstrap processor, LINT0 resets to ExtINT unmasked, so a
 * BIOS that never touches the APIC gets its PIC interrupts. When the APIC is globally disabled
 * (IA32_APIC_BASE bit 11, {@link #setBaseMsr}) its registers read as absent memory and the CPU sees
 * the 8259 only; disabling it resets the APIC's registers.
 *
 * <p>IPIs (ICR): this board has one CPU. An IPI reaches this APIC by the "self" or "all including
 * self" shorthands or by a destination that matches it (physical: its ID or 0xFF; logical: its
 * LDR in the flat or cluster model). Fixed and lowest-priority IPIs set IRR; NMI and INIT go to the
 * CPU through listeners (on INIT the CPU resets itself and calls {@link #init()}). Start-up, SMI
 * and IPIs that reach no CPU (another ID, "all excluding self") are dropped and counted. Delivery
 * is instantaneous: the delivery-status bit always reads 0.
 *
 * <p>Not modelled: x2APIC, the EOI-broadcast suppression bit (not advertised in the version), the
 * focus-processor bit (stored), LINT0 in delivery modes other than ExtINT and LINT1 inputs (the
 * board has no NMI source), remote read, thermal and performance-counter events, and moving the
 * register page (the base address in IA32_APIC_BASE is logged once and ignored; no guest moves it).
 *
 * <p>Thread safety: every entry point is synchronized, so an I/O APIC driven by a host thread may
 * deliver while the vCPU runs; such deliveries touch no {@link VirtualClock} timer (the clock
 * belongs to the vCPU thread). Listeners run under this lock and must only set flags or wake the
 * vCPU; the EOI broadcast and the 8259 are called outside it.
 */
public final class LocalApic
        implements MmioDevice, InterruptSource, ApicBus, Persist<LocalApic.State> {
    private static final Logger log = LoggerFactory.getLogger(LocalApic.class);

    public static final long DEFAULT_BASE = 0xFEE0_0000L;
    public static final int SIZE = 0x1000;
    public static final int VERSION = 0x0005_0014;
    /** IA32_APIC_BASE bits: bootstrap processor, global enable. */
    public static final long BASE_BSP = 1L << 8;
    public static final long BASE_ENABLE = 1L << 11;
    /** IA32_APIC_BASE after reset: 0xFEE00000, enabled, BSP. */
    public static final long RESET_BASE_MSR = DEFAULT_BASE | BASE_ENABLE | BASE_BSP;

    private static final int TIMER = 0;
    private static final int LINT0 = 3;
    private static final int ERROR = 5;
    /** Writable bits of the LVT entries: timer, thermal, perf, LINT0, LINT1, error. */
    private static final int[] LVT_WRITABLE =
        {0x700FF, 0x107FF, 0x107FF, 0x1A7FF, 0x1A7FF, 0x100FF};
    private static final int EXTINT_UNMASKED = ApicBus.EXTINT << 8;

    /**
     * The APIC's state.
     *
     * @param baseMsr IA32_APIC_BASE as last set
     * @param esrPending errors logged since the last ESR write (they appear at the next write)
     * @param extIntPending an ExtINT message awaits its acknowledge cycle at the 8259
     */
    public record State(long baseMsr, int id, int tpr, int ldr, int dfr, int svr,
                        VectorSet.State irr, VectorSet.State isr, VectorSet.State tmr, int esr,
                        int esrPending, int icrLow, int icrHigh, int lvtTimer, int lvtThermal,
                        int lvtPerf, int lvtLint0, int lvtLint1, int lvtError,
                        boolean extIntPending, ApicTimer.State timer) {
    }

    private final InterruptSource pic;
    private final ApicTimer timer;
    private final ApicPriorities prio = new ApicPriorities();
    private final int[] lvt = new int[6];
    private long baseMsr = RESET_BASE_MSR;
    private boolean globalEnabled = true;
    private int id;
    private int ldr;
    private int dfr;
    private int svr;
    private int esr;
    private int esrPending;
    private int icrLow;
    private int icrHigh;
    private boolean extIntPending;
    /** The 8259 pair reports its changes, so this APIC can report its own. */
    private final boolean picNotifies;
    private IntConsumer eoiListener = v -> { };
    private Runnable intrListener = () -> { };
    /** Runs after every change that may raise INTR (the CPU's interrupt hint); see {@link #onChange}. */
    private Runnable changeListener = () -> { };
    private Runnable nmiListener = () -> { };
    private Runnable initListener = () -> { };
    private long droppedIpis;
    private long droppedMessages;
    private long guestErrors;

    /**
     * @param timerHz the APIC timer's input clock before the divider (the bus clock, e.g. 1 GHz)
     * @param tsc the CPU's time-stamp counter (for TSC-deadline mode)
     * @param tscHz the rate at which {@code tsc} advances with guest time
     * @param pic the 8259 pair, seen through LINT0 in virtual-wire mode
     */
    public LocalApic(VirtualClock clock, long timerHz, LongSupplier tsc, long tscHz,
                     InterruptSource pic) {
        this.pic = pic;
        this.picNotifies = pic.onChange(() -> changeListener.run());
        this.timer = new ApicTimer(clock, timerHz, tsc, tscHz, this::onTimer);
        resetRegisters();
    }

    @Override
    public synchronized boolean onChange(Runnable listener) {
        changeListener = listener;
        return picNotifies;
    }

    /** Maps the register page at its default address 0xFEE00000. */
    public void attach(PhysicalMemory memory) {
        memory.addMmio(DEFAULT_BASE, SIZE, "lapic", this);
    }

    /** Called with the vector of every EOI for a level-triggered interrupt (the I/O APIC's EOI). */
    public synchronized void setEoiListener(IntConsumer listener) {
        eoiListener = listener;
    }

    /** Called (on the delivering thread) whenever an interrupt is accepted: wake a halted vCPU. */
    public synchronized void setIntrListener(Runnable listener) {
        intrListener = listener;
    }

    /** Called when an NMI is delivered to the CPU (LVT, IPI or I/O APIC). */
    public synchronized void setNmiListener(Runnable listener) {
        nmiListener = listener;
    }

    /**
     * Called when an INIT is delivered to the CPU (possibly on a device thread). The CPU resets
     * itself and calls {@link #init()} on the vCPU thread.
     */
    public synchronized void setInitListener(Runnable listener) {
        initListener = listener;
    }

    /** Power-on reset: IA32_APIC_BASE and all registers to their reset values. */
    public synchronized void reset() {
        baseMsr = RESET_BASE_MSR;
        globalEnabled = true;
        id = 0;
        extIntPending = false;
        resetRegisters();
        changeListener.run();
    }

    /** INIT: the registers return to their reset values, except the APIC ID (vCPU thread). */
    public synchronized void init() {
        extIntPending = false;
        resetRegisters();
        changeListener.run();
    }

    /** The register reset of SDM 10.4.7.1, except the APIC ID. */
    private void resetRegisters() {
        prio.reset();
        ldr = 0;
        dfr = 0xFFFF_FFFF;
        svr = 0xFF;
        esr = 0;
        esrPending = 0;
        icrLow = 0;
        icrHigh = 0;
        Arrays.fill(lvt, LVT_MASKED);
        lvt[LINT0] = EXTINT_UNMASKED;               // virtual wire on the BSP, as QEMU resets it
        timer.reset(ApicTimer.ONE_SHOT);
    }

    // ---- the CPU side --------------------------------------------------------------------

    /** WRMSR IA32_APIC_BASE (0x1B): bit 11 enables the APIC globally. */
    public synchronized void setBaseMsr(long value) {
        boolean enable = (value & BASE_ENABLE) != 0;
        if (!enable && globalEnabled) {
            resetRegisters();
            extIntPending = false;
        }
        if ((value & 0xF_FFFF_F000L) != DEFAULT_BASE && enable) {
            notice("the APIC base moved to 0x" + Long.toHexString(value & 0xF_FFFF_F000L)
                    + "; the registers stay at 0xFEE00000");
        }
        globalEnabled = enable;
        baseMsr = value;
        changeListener.run();
    }

    public synchronized long baseMsr() {
        return baseMsr;
    }

    /** True when IA32_APIC_BASE bit 11 is set (CPUID.1:EDX.APIC follows it). */
    public synchronized boolean globallyEnabled() {
        return globalEnabled;
    }

    /** RDMSR IA32_TSC_DEADLINE (0x6E0): the deadline in TSC-deadline mode, else 0. */
    public synchronized long readTscDeadline() {
        return timer.readTscDeadline();
    }

    /** WRMSR IA32_TSC_DEADLINE (0x6E0): ignored unless the LVT timer is in TSC-deadline mode. */
    public synchronized void writeTscDeadline(long value) {
        if (timer.writeTscDeadline(value)) {
            timerInterrupt();
        }
    }

    /** CR8 (64-bit mode): TPR bits 7:4. */
    public synchronized int cr8() {
        return prio.tpr >>> 4;
    }

    public synchronized void setCr8(int value) {
        prio.tpr = (value & 0xF) << 4;
        changeListener.run();
    }

    /** The APIC ID (CPUID.1:EBX[31:24] reports the initial one, 0). */
    public synchronized int id() {
        return id;
    }

    // ---- InterruptSource -----------------------------------------------------------------

    @Override
    public boolean intrPending() {
        synchronized (this) {
            if (globalEnabled) {
                if (prio.deliverable() >= 0) {
                    return true;
                }
                if (!extIntPending && !virtualWire()) {
                    return false;
                }
            }
        }
        return pic.intrPending();
    }

    @Override
    public int acknowledge() {
        synchronized (this) {
            if (globalEnabled) {
                int v = prio.acknowledge();
                if (v >= 0) {
                    return v;
                }
                if (!extIntPending && !virtualWire()) {
                    return svr & 0xFF;              // the interrupt went away: spurious vector
                }
                extIntPending = false;
            }
        }
        return pic.acknowledge();
    }

    private boolean virtualWire() {
        return (lvt[LINT0] & (LVT_MASKED | 0x700)) == EXTINT_UNMASKED;
    }

    /** Accepts a fixed interrupt into IRR. */
    private void accept(int vector, boolean level) {
        if (vector < 16) {
            error(ESR_RECEIVE_ILLEGAL_VECTOR);
            return;
        }
        prio.accept(vector, level);
        intrListener.run();
        changeListener.run();
    }

    private void error(int bits) {
        esrPending |= bits;
        int e = lvt[ERROR];
        if ((e & LVT_MASKED) == 0 && (e & 0xFF) >= 16) {
            accept(e & 0xFF, false);
        }
    }

    private synchronized void onTimer() {
        if (timer.expire()) {
            timerInterrupt();
        }
    }

    private void timerInterrupt() {
        int t = lvt[TIMER];
        if ((t & LVT_MASKED) == 0) {
            accept(t & 0xFF, false);
        }
    }

    // ---- APIC bus: messages from the I/O APIC --------------------------------------------

    /**
     * A message from the I/O APIC. Destination matching is trivial on this one-CPU board: every
     * message is for this APIC, whatever its destination field (Linux programs the BSP there).
     */
    @Override
    public synchronized void deliver(int vector, int deliveryMode, boolean level, int destination,
                                     boolean logical) {
        if (!globalEnabled) {
            dropMessage("message while the APIC is globally disabled");
            return;
        }
        receive(vector, deliveryMode, level);
    }

    private void receive(int vector, int mode, boolean level) {
        switch (mode) {
            case FIXED, LOWEST_PRIORITY -> {
                if ((svr & SVR_ENABLE) == 0) {
                    dropMessage("fixed interrupt while the APIC is software-disabled");
                } else {
                    accept(vector & 0xFF, level);
                }
            }
            case NMI -> nmiListener.run();
            case INIT -> initListener.run();
            case EXTINT -> {
                extIntPending = true;
                intrListener.run();
                changeListener.run();
            }
            default -> dropMessage("delivery mode " + mode + " (SMI, start-up or reserved)");
        }
    }

    // ---- IPIs ----------------------------------------------------------------------------

    private void sendIpi() {
        if (!Icr.reachesSelf(icrLow, icrHigh, id, ldr, dfr)) {
            if (droppedIpis++ == 0) {
                log.info("IPI 0x{} to an absent CPU dropped (one CPU)",
                        Integer.toHexString(icrLow));
            }
            return;
        }
        int mode = Icr.deliveryMode(icrLow);
        int vector = Icr.vector(icrLow);
        if (Icr.initDeassert(icrLow)) {
            return;
        }
        if ((mode == FIXED || mode == LOWEST_PRIORITY) && vector < 16) {
            error(ESR_SEND_ILLEGAL_VECTOR);
            return;
        }
        receive(vector, mode == LOWEST_PRIORITY ? FIXED : mode, false);
    }

    // ---- MMIO ----------------------------------------------------------------------------

    @Override
    public long mmioRead(long offset, int size) {
        int off = (int) (offset & 0xFFF);
        long v;
        synchronized (this) {
            if (!globalEnabled) {
                return MmioDevice.super.mmioRead(offset, size);
            }
            v = (off & 0xF) < 4 ? readRegister(off & 0xFF0) & 0xFFFF_FFFFL : 0;
        }
        v >>>= (off & 3) * 8;
        return size >= 8 ? v : v & ((1L << size * 8) - 1);
    }

    private int readRegister(int reg) {
        return switch (reg) {
            case REG_ID -> id << 24;
            case REG_VERSION -> VERSION;
            case REG_TPR -> prio.tpr;
            case REG_APR -> prio.apr();
            case REG_PPR -> prio.ppr();
            case REG_EOI, REG_RRD -> 0;
            case REG_LDR -> ldr;
            case REG_DFR -> dfr;
            case REG_SVR -> svr;
            case REG_ESR -> esr;
            case REG_ICR_LOW -> icrLow;
            case REG_ICR_HIGH -> icrHigh;
            case REG_TIMER_INITIAL -> (int) timer.initialCount();
            case REG_TIMER_CURRENT -> (int) timer.currentCount();
            case REG_TIMER_DIVIDE -> timer.divideConfig();
            default -> {
                if (reg >= REG_ISR && reg < REG_ESR) {
                    yield prio.word(reg);
                }
                if (reg >= REG_LVT_TIMER && reg <= REG_LVT_ERROR) {
                    yield lvt[(reg - REG_LVT_TIMER) >> 4];
                }
                error(ESR_ILLEGAL_REGISTER);
                yield 0;
            }
        };
    }

    @Override
    public void mmioWrite(long offset, int size, long value) {
        int off = (int) (offset & 0xFFF);
        int eoiVector;
        IntConsumer eoi;
        synchronized (this) {
            if (!globalEnabled) {
                return;
            }
            if ((off & 0xF) != 0 || size < 4) {
                notice("write of " + size + " bytes at offset 0x" + Integer.toHexString(off)
                        + " (registers take aligned 32-bit writes)");
                return;
            }
            eoiVector = writeRegister(off, (int) value);
            eoi = eoiListener;
            changeListener.run();   // TPR, EOI, SVR and LVT writes may let an interrupt through
        }
        if (eoiVector >= 0) {
            eoi.accept(eoiVector);
        }
    }

    /** Writes a register; returns the vector to broadcast as EOI to the I/O APIC, or -1. */
    private int writeRegister(int reg, int value) {
        switch (reg) {
            case REG_ID -> id = value >>> 24;
            case REG_TPR -> prio.tpr = value & 0xFF;
            case REG_EOI -> {
                return prio.eoi();
            }
            case REG_LDR -> ldr = value & 0xFF00_0000;
            case REG_DFR -> dfr = value | 0x0FFF_FFFF;
            case REG_SVR -> {
                svr = value & 0x3FF;
                if ((svr & SVR_ENABLE) == 0) {
                    for (int i = 0; i < lvt.length; i++) {
                        lvt[i] |= LVT_MASKED;
                    }
                }
            }
            case REG_ESR -> {
                esr = esrPending;
                esrPending = 0;
            }
            case REG_ICR_LOW -> {
                icrLow = value & Icr.WRITABLE_LOW;
                sendIpi();
            }
            case REG_ICR_HIGH -> icrHigh = value & Icr.WRITABLE_HIGH;
            case REG_TIMER_INITIAL -> timer.writeInitialCount(value & 0xFFFF_FFFFL);
            case REG_TIMER_DIVIDE -> timer.writeDivideConfig(value);
            case REG_VERSION, REG_APR, REG_PPR, REG_RRD, REG_TIMER_CURRENT -> { }   // read-only
            default -> {
                if (reg >= REG_LVT_TIMER && reg <= REG_LVT_ERROR) {
                    writeLvt((reg - REG_LVT_TIMER) >> 4, value);
                } else if (reg < REG_ISR || reg >= REG_ESR) {
                    error(ESR_ILLEGAL_REGISTER);    // ISR, TMR, IRR are read-only
                }
            }
        }
        return -1;
    }

    private void writeLvt(int n, int value) {
        int v = value & LVT_WRITABLE[n];
        if ((svr & SVR_ENABLE) == 0) {
            v |= LVT_MASKED;                        // masks stay set while software-disabled
        }
        lvt[n] = v;
        if (n == TIMER) {
            timer.setMode(timerMode(v));
        }
    }

    private static int timerMode(int lvtTimer) {
        int m = lvtTimer >> 17 & 3;
        return m == 3 ? ApicTimer.ONE_SHOT : m;     // 11 is reserved
    }

    // ---- misbehaviour ----------------------------------------------------------------------

    private void dropMessage(String what) {
        if (droppedMessages++ == 0) {
            log.info("local APIC dropped a {}", what);
        }
    }

    private void notice(String what) {
        if (guestErrors++ == 0) {
            log.warn("local APIC: {}", what);
        }
    }

    /** IPIs that reached no CPU on this one-CPU board. */
    public synchronized long droppedIpis() {
        return droppedIpis;
    }

    /** Bus messages not accepted (APIC disabled, SMI, start-up). */
    public synchronized long droppedMessages() {
        return droppedMessages;
    }

    // ---- Persist -------------------------------------------------------------------------

    @Override
    public synchronized State save() {
        return new State(baseMsr, id, prio.tpr, ldr, dfr, svr, prio.irr.save(), prio.isr.save(),
                prio.tmr.save(), esr,
                esrPending, icrLow, icrHigh, lvt[0], lvt[1], lvt[2], lvt[3], lvt[4], lvt[5],
                extIntPending, timer.save());
    }

    @Override
    public synchronized void restore(State s) {
        baseMsr = s.baseMsr();
        globalEnabled = (baseMsr & BASE_ENABLE) != 0;
        id = s.id() & 0xFF;
        prio.tpr = s.tpr() & 0xFF;
        ldr = s.ldr() & 0xFF00_0000;
        dfr = s.dfr() | 0x0FFF_FFFF;
        svr = s.svr() & 0x3FF;
        prio.irr.restore(s.irr());
        prio.isr.restore(s.isr());
        prio.tmr.restore(s.tmr());
        esr = s.esr();
        esrPending = s.esrPending();
        icrLow = s.icrLow() & Icr.WRITABLE_LOW;
        icrHigh = s.icrHigh() & Icr.WRITABLE_HIGH;
        int[] l = {s.lvtTimer(), s.lvtThermal(), s.lvtPerf(), s.lvtLint0(), s.lvtLint1(),
            s.lvtError()};
        for (int i = 0; i < lvt.length; i++) {
            lvt[i] = l[i] & LVT_WRITABLE[i];
        }
        extIntPending = s.extIntPending();
        timer.restore(s.timer(), timerMode(lvt[TIMER]));
        changeListener.run();
    }
}

package dev.vmm.devices.board;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.MsrExtension;
import dev.vmm.core.cpu.VcpuLoop;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.acpi.AcpiPm;
import dev.vmm.devices.apic.IoApic;
import dev.vmm.devices.apic.LocalApic;
import dev.vmm.devices.debug.DebugConsole;
import dev.vmm.devices.debug.DebugExit;
import dev.vmm.devices.hpet.Hpet;
import dev.vmm.devices.ide.IdeController;
import dev.vmm.devices.pci.FerrLatch;
import dev.vmm.devices.pci.I440fxHostBridge;
import dev.vmm.devices.pci.PciBus;
import dev.vmm.devices.pci.PciVga;
import dev.vmm.devices.pci.Piix3IsaBridge;
import dev.vmm.devices.pci.PiixIde;
import dev.vmm.devices.pci.SharedIrqLine;
import dev.vmm.devices.pic.DualPic;
import dev.vmm.devices.pit.Pit8254;
import dev.vmm.devices.pit.SpeakerPort;
import dev.vmm.devices.ps2.A20Gate;
import dev.vmm.devices.ps2.I8042;
import dev.vmm.devices.ps2.Port92;
import dev.vmm.devices.rtc.CmosLayout;
import dev.vmm.devices.rtc.CmosRtc;
import dev.vmm.devices.serial.Uart16550;
import dev.vmm.devices.vga.Vga;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PC: one CPU, RAM, and the devices of an i440FX/PIIX3 board, wired as real boards wire them.
 * Built by {@link BoardConfig} through a readable recipe of {@code attach*} steps; nothing is
 * static, so many boards live in one JVM.
 *
 * <p>Interrupts: every ISA IRQ is a wired-OR line ({@link SharedIrqLine}) that drives both the
 * 8259 pair and the I/O APIC (IRQ0 on I/O APIC pin 2, as the MP/ACPI tables will say). The CPU
 * takes its interrupts from the local APIC, which passes the 8259's through in virtual-wire mode
 * until the guest programs it.
 *
 * <p>Time: one {@link VirtualClock} drives every timer; the TSC counts guest nanoseconds (1 GHz).
 * In deterministic mode guest time is derived from the instruction count only, so the same guest
 * with the same input produces the same output on every run.
 */
public final class PcBoard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PcBoard.class);

    public static final int[] COM_BASES = {0x3F8, 0x2F8, 0x3E8, 0x2E8};
    public static final int[] COM_IRQS = {4, 3, 4, 3};
    /** I/O base of the ACPI PM block (PIIX4 PMBA, as QEMU places it). */
    public static final int PM_BASE = 0x600;
    /** ACPI SCI interrupt. */
    public static final int SCI_IRQ = 9;
    /** Local APIC timer input clock. */
    public static final long APIC_TIMER_HZ = 1_000_000_000L;
    /** TSC rate: guest nanoseconds. */
    public static final long TSC_HZ = 1_000_000_000L;
    /** IA32_TSC_DEADLINE. */
    public static final int MSR_TSC_DEADLINE = 0x6E0;
    /** PCI device number of the PCI VGA card, when the config has one. */
    public static final int VGA_DEVICE = 2;
    /** IA32_APIC_BASE. */
    public static final int MSR_APIC_BASE = 0x1B;

    /** Why {@link #run(long)} returned. */
    public enum ExitKind {
        /** The guest powered off (ACPI S5). */
        POWER_OFF,
        /** The guest asked for a reset (keyboard controller, port 0x92, 0xCF9): build a fresh board. */
        RESET,
        /** The guest wrote to the debug-exit port; {@link Exit#status()} is (value << 1) | 1. */
        DEBUG_EXIT,
        /** Triple fault: the processor shut down. */
        SHUTDOWN,
        /** HLT with interrupts disabled and nothing that could ever wake it. */
        HALTED,
        /** The instruction budget ran out. */
        LIMIT,
        /** {@link #requestStop()} was called. */
        STOPPED
    }

    /** The outcome of a run. */
    public record Exit(ExitKind kind, int status) {
    }

    private final BoardConfig config;
    private final VirtualClock clock;
    private final PhysicalMemory memory;
    private final PioBus io = new PioBus();
    private final Cpu cpu;
    private final VcpuLoop loop;
    private final SharedIrqLine[] isaIrq = new SharedIrqLine[16];
    private DualPic pic;
    private IoApic ioapic;
    private LocalApic lapic;
    private Pit8254 pit;
    private CmosRtc rtc;
    private Hpet hpet;
    private I8042 keyboard;
    private A20Gate a20;
    private Port92 port92;
    private final Uart16550[] uarts = new Uart16550[4];
    private Vga vga;
    private PciBus pci;
    private Piix3IsaBridge isaBridge;
    private IdeController ide;
    private FerrLatch ferr;
    private AcpiPm pm;
    private volatile ExitKind pending;
    private volatile int pendingStatus;
    /** {@link #requestStop()} was called and no run has returned {@link ExitKind#STOPPED} for it yet. */
    private volatile boolean stopRequested;
    private final VcpuGate gate;
    private final HostedSlices slices;
    private final SnapshotParts snapshotParts = new SnapshotParts();

    PcBoard(BoardConfig config) {
        this.config = config;
        this.clock = config.deterministic()
                ? new VirtualClock(VirtualClock.Mode.DETERMINISTIC, 1)
                : new VirtualClock(VirtualClock.Mode.REALTIME);
        this.memory = PhysicalMemory.create(config.memoryBytes());
        this.cpu = new Cpu(memory, io);
        this.loop = new VcpuLoop(cpu, clock);
        this.gate = new VcpuGate(this::kick, () -> stopRequested || pending != null);
        this.slices = new HostedSlices(this);
        cpu.setTimeStampSource(clock::nanos);
        attachInterruptControllers();
        attachTimers();
        attachKeyboardController();
        attachSerialPorts();
        attachVga();
        attachPci();
        attachCoprocessorError();
        attachIde();
        attachAcpi();
        attachDebugDevices();
    }

    // ---- the recipe ----------------------------------------------------------------------------

    private void attachInterruptControllers() {
        pic = new DualPic();
        pic.attach(io);
        lapic = new LocalApic(clock, APIC_TIMER_HZ, cpu::readTsc, TSC_HZ, pic);
        lapic.attach(memory);
        ioapic = new IoApic(lapic);
        ioapic.attach(memory);
        lapic.setEoiListener(ioapic::eoi);
        for (int n = 0; n < 16; n++) {
            IrqLine picPin = pic.irq(n);
            IrqLine apicPin = ioapic.pin(n == 0 ? 2 : n);
            isaIrq[n] = new SharedIrqLine(level -> {
                picPin.set(level);
                apicPin.set(level);
            });
        }
        cpu.setInterruptSource(lapic);
        pic.setIntrListener(this::interruptRaised);
        lapic.setIntrListener(this::interruptRaised);
        lapic.setInitListener(() -> exitRequested(ExitKind.RESET, 0));
        cpu.attachApic(new ApicMsrs());
    }

    /** The local APIC's MSRs as the CPU sees them. */
    private final class ApicMsrs implements MsrExtension {
        @Override
        public boolean implemented(int index) {
            return index == MSR_APIC_BASE || index == MSR_TSC_DEADLINE;
        }

        @Override
        public long read(int index) {
            return index == MSR_APIC_BASE ? lapic.baseMsr() : lapic.readTscDeadline();
        }

        @Override
        public boolean write(int index, long value) {
            if (index == MSR_TSC_DEADLINE) {
                lapic.writeTscDeadline(value);
                return true;
            }
            long reserved = ~(0xF_FFFF_F000L | LocalApic.BASE_ENABLE | LocalApic.BASE_BSP);
            if ((value & reserved) != 0) {
                return false;
            }
            lapic.setBaseMsr(value);
            return true;
        }
    }

    /** The HPET owns IRQ0 and IRQ8: it passes the PIT and RTC through until legacy replacement is on. */
    private void attachTimers() {
        hpet = new Hpet(clock, ioapic::pin, isaIrq[0].newInput(), isaIrq[8].newInput());
        hpet.attach(memory);
        pit = new Pit8254(clock, hpet.pitInput());
        pit.attach(io);
        new SpeakerPort(pit).attach(io);        // channel 2's GATE and OUT: Linux calibrates the TSC there
        rtc = new CmosRtc(clock, hpet.rtcInput(), config.rtcTime());
        rtc.attach(io);
        CmosLayout.fill(rtc, config.memoryBytes());
    }

    private void attachKeyboardController() {
        a20 = new A20Gate(cpu::setA20);
        keyboard = new I8042(isaIrq[1].newInput(), isaIrq[12].newInput(), a20::setFromI8042, this::resetRequested);
        keyboard.attach(io);
        port92 = new Port92(a20::setFromPort92, this::resetRequested);
        port92.attach(io);
    }

    private void attachSerialPorts() {
        for (int n = 0; n < 4; n++) {
            if (config.serial(n) != null) {
                uarts[n] = new Uart16550(COM_BASES[n], clock, isaIrq[COM_IRQS[n]].newInput(), config.serial(n));
                uarts[n].attach(io);
            }
        }
    }

    private void attachVga() {
        vga = new Vga(clock);
        vga.attach(io, memory);
    }

    private void attachPci() {
        pci = new PciBus();
        pci.attach(io);
        byte[] flash = config.roms().flash();
        if (flash != null) {
            // The flash chip ends at 4 GiB (the reset vector); its top also shows below 1 MiB through PAM.
            memory.addRom((1L << 32) - flash.length, flash);
            pci.add(0, 0, new I440fxHostBridge(new ShadowRam(memory, flash)));
        } else {
            pci.add(0, 0, new I440fxHostBridge());
        }
        isaBridge = new Piix3IsaBridge(n -> isaIrq[n].newInput(), this::resetRequested);
        isaBridge.attach(io);
        pci.add(1, 0, isaBridge);
        pci.setIntxRouter(isaBridge::intx);
        byte[] vgaRom = config.roms().vgaRom();
        if (vgaRom != null) {
            pci.add(VGA_DEVICE, 0, new PciVga(memory, vgaRom));
        }
    }

    /** FERR# raises IRQ13 through the PIIX3's latch; a write to port F0h clears it. */
    private void attachCoprocessorError() {
        ferr = new FerrLatch(isaIrq[13].newInput());
        ferr.attach(io);
        cpu.setFerr(ferr.ferrInput());
    }

    private void attachIde() {
        ide = new IdeController(memory, isaIrq[14].newInput(), isaIrq[15].newInput());
        for (BoardConfig.Drive d : config.drives()) {
            ide.connect(d.channel(), d.unit(), d.drive());
        }
        ide.attach(io);
        pci.add(1, 1, new PiixIde(ide::setBusMasterBase));
    }

    private void attachAcpi() {
        pm = new AcpiPm(clock, isaIrq[SCI_IRQ].newInput(), () -> exitRequested(ExitKind.POWER_OFF, 0));
        pm.attach(io, PM_BASE);
    }

    private void attachDebugDevices() {
        if (config.debugConsole() != null) {
            new DebugConsole(config.debugConsole()).attach(io);
        }
        if (config.debugExit()) {
            new DebugExit(status -> exitRequested(ExitKind.DEBUG_EXIT, status)).attach(io);
        }
    }

    // ---- running -------------------------------------------------------------------------------

    private void resetRequested() {
        exitRequested(ExitKind.RESET, 0);
    }

    private void exitRequested(ExitKind kind, int status) {
        if (pending == null) {
            pendingStatus = status;
            pending = kind;
        }
        cpu.requestStop();
        gate.wakeRunner();
        slices.wakeHost();
    }

    /** A device raised the CPU's interrupt line (any thread): a halted CPU must look at it. */
    private void interruptRaised() {
        loop.wake();
        slices.interruptRaised();
    }

    /** Makes the running quantum return at the next instruction boundary (the gate wants the CPU). */
    private void kick() {
        cpu.requestStop();
        loop.wake();
    }

    /**
     * Runs the guest for at most {@code maxInstructions} (use {@link Long#MAX_VALUE} for no limit).
     * HLT idles without spinning. While the monitor holds the {@linkplain #gate() gate} or has paused
     * the board, the guest does not run and this call waits.
     */
    public Exit run(long maxInstructions) {
        long start = cpu.instructionCount();
        while (true) {
            Cpu.Exit e;
            gate.enter();
            try {
                long done = cpu.instructionCount() - start;
                if (stopRequested || pending != null) {
                    e = Cpu.Exit.STOPPED;
                } else if (maxInstructions != Long.MAX_VALUE && done >= maxInstructions) {
                    e = Cpu.Exit.LIMIT;
                } else {
                    e = loop.run(maxInstructions == Long.MAX_VALUE ? Long.MAX_VALUE : maxInstructions - done);
                }
            } finally {
                gate.exit();
            }
            Exit x = exitFor(e);
            if (x != null) {
                return x;
            }
            // the monitor kicked the CPU out of its quantum: go on once it lets go of the gate
        }
    }

    /**
     * Runs until the instruction count reaches {@code stopAt}, counted from power-on (or the saved
     * machine's power-on, after a restore): the stop point of {@link #run(long) run(stopAt)} on a fresh
     * board. In deterministic mode an idle CPU also stops once guest time reaches {@code stopAt}
     * instructions' worth of nanoseconds, as there. Otherwise as {@link #run(long)}.
     */
    public Exit runTo(long stopAt) {
        long endTime = clock.mode() == VirtualClock.Mode.DETERMINISTIC
                ? Math.multiplyHigh(stopAt, clock.nanosPerInstruction()) != 0 ? Long.MAX_VALUE
                : stopAt * clock.nanosPerInstruction() : Long.MAX_VALUE;
        while (true) {
            Cpu.Exit e;
            gate.enter();
            try {
                if (stopRequested || pending != null) {
                    e = Cpu.Exit.STOPPED;
                } else if (cpu.instructionCount() >= stopAt) {
                    e = Cpu.Exit.LIMIT;
                } else {
                    e = loop.runUntil(stopAt, endTime);
                }
            } finally {
                gate.exit();
            }
            Exit x = exitFor(e);
            if (x != null) {
                return x;
            }
        }
    }

    /** What a run that ended with {@code e} reports; null if it only made way for the monitor. */
    Exit exitFor(Cpu.Exit e) {
        ExitKind kind = pending;
        if (kind != null) {
            return new Exit(kind, pendingStatus);
        }
        return switch (e) {
            case SHUTDOWN -> {
                // The CPU logged the triple fault; the caller decides whether to show the state.
                log.debug("guest triple-faulted; CPU state:\n{}", cpu);
                yield new Exit(ExitKind.SHUTDOWN, 0);
            }
            case HALT -> new Exit(ExitKind.HALTED, 0);
            case LIMIT -> new Exit(ExitKind.LIMIT, 0);
            case STOPPED -> {
                if (stopRequested) {
                    stopRequested = false;
                    yield new Exit(ExitKind.STOPPED, 0);
                }
                yield null;
            }
        };
    }

    /**
     * One quantum of at most {@code maxInstructions} for a host's scheduler: never blocks a worker.
     * HLT returns at once with the time to the next timer, a paused board returns without running;
     * guest time keeps flowing between quanta (until {@link #pauseClock()}).
     */
    public HostedSlices.Slice runSlice(long maxInstructions) {
        return slices.run(maxInstructions);
    }

    /** Tells the host that this board wants the CPU again (an interrupt while it idled): {@code wake} runs on any thread. */
    public void setHostWakeListener(Runnable wake) {
        slices.setWakeListener(wake);
        gate.setOnResume(wake);
    }

    /** Stops guest time of a hosted board at an instruction boundary (the host paused it). */
    public void pauseClock() {
        gate.inspect(clock::stop);
    }

    /** Asks {@link #run(long)} to return (any thread); a CPU idling in HLT is woken for it. */
    public void requestStop() {
        stopRequested = true;
        cpu.requestStop();
        loop.wake();
        gate.wakeRunner();
        slices.wakeHost();
    }

    /**
     * Ends the running quantum of a hosted board at the next instruction boundary, for the host's
     * scheduler (preemption, pause, stop): unlike {@link #requestStop()} it leaves no request behind,
     * so a board paused this way does not look as if it were ending; the scheduler keeps its own
     * record of why it asked.
     */
    public void endQuantum() {
        cpu.requestStop();
        loop.wake();
    }

    /** The reset button: the run ends with {@link ExitKind#RESET} (a paused board too). */
    public void requestReset() {
        resetRequested();
        loop.wake();
    }

    /**
     * Executes one instruction (or delivers one pending interrupt) on the calling thread, which
     * must hold the {@linkplain #gate() gate} (inside {@link VcpuGate#call}). Guest time advances by
     * what the instruction retired. Returns the CPU's exit: {@link Cpu.Exit#HALT} if it is halted
     * with no interrupt to take.
     */
    public Cpu.Exit step() {
        long before = cpu.instructionCount();
        Cpu.Exit e = cpu.run(1);
        if (e == Cpu.Exit.STOPPED && cpu.instructionCount() == before) {
            e = cpu.run(1);                     // the stop request was the gate's kick
        }
        clock.retired(cpu.instructionCount() - before);
        clock.runDue();
        return e;
    }

    /** Holds the vCPU at an instruction boundary for the monitor, or pauses the board. */
    public VcpuGate gate() {
        return gate;
    }

    /** True once the guest asked to power off, reset or exit (the pending exit), or a stop was requested. */
    public boolean finishing() {
        return pending != null || stopRequested;
    }

    boolean consumeStopRequest() {
        if (stopRequested) {
            stopRequested = false;
            return true;
        }
        return false;
    }

    /** The ISA interrupt lines the board's devices use, by IRQ number (for listings). */
    public java.util.SortedMap<Integer, String> isaIrqUsers() {
        java.util.SortedMap<Integer, String> m = new java.util.TreeMap<>();
        m.put(0, "timer (PIT channel 0, HPET legacy)");
        m.put(1, "i8042 keyboard");
        for (int n = 0; n < 4; n++) {
            if (uarts[n] != null) {
                m.merge(COM_IRQS[n], "COM" + (n + 1), (a, b) -> a + ", " + b);
            }
        }
        m.put(8, "RTC (HPET legacy)");
        m.put(SCI_IRQ, "ACPI SCI");
        m.put(12, "i8042 mouse");
        m.put(14, "IDE primary");
        m.put(15, "IDE secondary");
        return m;
    }

    // ---- parts ---------------------------------------------------------------------------------

    public BoardConfig config() {
        return config;
    }

    public Cpu cpu() {
        return cpu;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public PioBus io() {
        return io;
    }

    public VirtualClock clock() {
        return clock;
    }

    public DualPic pic() {
        return pic;
    }

    public LocalApic localApic() {
        return lapic;
    }

    public IoApic ioApic() {
        return ioapic;
    }

    public Pit8254 pit() {
        return pit;
    }

    public CmosRtc rtc() {
        return rtc;
    }

    public Hpet hpet() {
        return hpet;
    }

    public I8042 keyboardController() {
        return keyboard;
    }

    public A20Gate a20Gate() {
        return a20;
    }

    public Port92 port92() {
        return port92;
    }

    /** The wired-OR line of ISA IRQ {@code n} (0-15). */
    public SharedIrqLine isaIrq(int n) {
        return isaIrq[n];
    }

    public Piix3IsaBridge isaBridge() {
        return isaBridge;
    }

    public Uart16550 serial(int n) {
        return uarts[n];
    }

    public Vga vga() {
        return vga;
    }

    public PciBus pci() {
        return pci;
    }

    public IdeController ide() {
        return ide;
    }

    public AcpiPm acpi() {
        return pm;
    }

    public FerrLatch coprocessorError() {
        return ferr;
    }

    /** State other modules keep for this board, saved with it (see {@link BoardSnapshot}). */
    public SnapshotParts snapshotParts() {
        return snapshotParts;
    }

    /** Releases guest memory. Serial backends and disk images belong to whoever made the config. */
    @Override
    public void close() {
        memory.close();
    }
}

package dev.vmm.devices.board;

import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.cpu.CpuState;
import dev.vmm.core.cpu.FpuState;
import dev.vmm.core.persist.Persist;
import dev.vmm.core.snapshot.CpuSection;
import dev.vmm.core.snapshot.RamSection;
import dev.vmm.core.snapshot.RecordCodec;
import dev.vmm.core.snapshot.SectionInput;
import dev.vmm.core.snapshot.SectionOutput;
import dev.vmm.core.snapshot.Snapshot;
import dev.vmm.core.snapshot.SnapshotFormatException;
import dev.vmm.core.snapshot.SnapshotWriter;
import dev.vmm.devices.acpi.AcpiPm;
import dev.vmm.devices.apic.IoApic;
import dev.vmm.devices.apic.LocalApic;
import dev.vmm.devices.hpet.Hpet;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.ide.IdeController;
import dev.vmm.devices.pci.FerrLatch;
import dev.vmm.devices.pci.PciBus;
import dev.vmm.devices.pci.Piix3IsaBridge;
import dev.vmm.devices.pci.SharedIrqLine;
import dev.vmm.devices.pic.DualPic;
import dev.vmm.devices.pit.Pit8254;
import dev.vmm.devices.ps2.A20Gate;
import dev.vmm.devices.ps2.I8042;
import dev.vmm.devices.ps2.Port92;
import dev.vmm.devices.rtc.CmosRtc;
import dev.vmm.devices.serial.UartState;
import dev.vmm.devices.vga.Vga;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot of a whole {@link PcBoard}: its shape (what the board was built from, so a restore
 * builds the same one), RAM, the virtual clock, the CPU with its FPU, and every device, each in a
 * section of its own (docs/snapshot-format.md). Devices are encoded by {@link RecordCodec}; the CPU
 * and RAM by their fixed codecs.
 *
 * <p>Save and restore run at an instruction boundary: on the vCPU's thread, or inside the board's
 * {@linkplain PcBoard#gate() gate}. A restore goes into a freshly built board of the same shape and
 * before it runs: RAM first (the CPU reloads PAE pointers from it), then the clock (which drops every
 * pending timer), the CPU, then the devices, each re-arming its timers from its restored registers.
 */
public final class BoardSnapshot {
    private static final Logger log = LoggerFactory.getLogger(BoardSnapshot.class);
    /** The board's shape. */
    public static final String SHAPE = "board";
    public static final String FPU = "fpu";
    public static final String CLOCK = "clock";
    /** Every section version of this class's sections (the record encoding versions them by field). */
    public static final int VERSION = 1;

    /**
     * What the board was built from, as far as the guest can see it (host resources such as serial
     * backends and image files are not part of it).
     *
     * @param memoryBytes   guest RAM
     * @param deterministic guest time from the instruction count
     * @param rtcSeconds    the RTC's start time, seconds since the epoch
     * @param rtcNanos      and its nanoseconds
     * @param serialPorts   bit n: COM(n+1) is present
     * @param drives        the IDE drives
     * @param debugConsole  port 0xE9 is present
     * @param debugExit     the exit device on port 0xF4 is present
     * @param flash         the BIOS flash image (empty: none)
     * @param vgaRom        the PCI VGA card's option ROM (empty: no card)
     */
    public record Shape(long memoryBytes, boolean deterministic, long rtcSeconds, int rtcNanos, int serialPorts,
                        List<DriveSlot> drives, boolean debugConsole, boolean debugExit, byte[] flash,
                        byte[] vgaRom) {
        public Shape {
            drives = List.copyOf(drives);
            flash = flash.clone();
            vgaRom = vgaRom.clone();
        }

        @Override
        public byte[] flash() {
            return flash.clone();
        }

        @Override
        public byte[] vgaRom() {
            return vgaRom.clone();
        }

        /** The shape of {@code c}. */
        public static Shape of(BoardConfig c) {
            int serial = 0;
            for (int n = 0; n < 4; n++) {
                if (c.serial(n) != null) {
                    serial |= 1 << n;
                }
            }
            List<DriveSlot> drives = new ArrayList<>();
            for (BoardConfig.Drive d : c.drives()) {
                drives.add(new DriveSlot(d.channel(), d.unit(), d.drive() instanceof AtapiCdrom));
            }
            byte[] flash = c.roms().flash();
            byte[] vga = c.roms().vgaRom();
            return new Shape(c.memoryBytes(), c.deterministic(), c.rtcTime().getEpochSecond(), c.rtcTime().getNano(),
                    serial, drives, c.debugConsole() != null, c.debugExit(), flash == null ? new byte[0] : flash,
                    vga == null ? new byte[0] : vga);
        }

        /** The RTC's start time. */
        public Instant rtcTime() {
            return Instant.ofEpochSecond(rtcSeconds, rtcNanos);
        }

        /**
         * A builder with everything of this shape that is not a host resource: memory, time, ROMs,
         * the exit device. The caller adds the serial backends, the drives and the debug console.
         */
        public BoardConfig.Builder builder() {
            return BoardConfig.builder().memory(memoryBytes).deterministic(deterministic).rtcTime(rtcTime())
                    .debugExit(debugExit).firmware(flash.length == 0 ? null : flash)
                    .vgaRom(vgaRom.length == 0 ? null : vgaRom);
        }

        /** What differs between this shape and {@code other}, or null if nothing does. */
        public String difference(Shape other) {
            List<String> d = new ArrayList<>();
            if (memoryBytes != other.memoryBytes) {
                d.add("memory " + memoryBytes + " vs " + other.memoryBytes);
            }
            if (deterministic != other.deterministic) {
                d.add("deterministic " + deterministic + " vs " + other.deterministic);
            }
            if (serialPorts != other.serialPorts) {
                d.add("serial ports 0x" + Integer.toHexString(serialPorts) + " vs 0x"
                        + Integer.toHexString(other.serialPorts));
            }
            if (!drives.equals(other.drives)) {
                d.add("drives " + drives + " vs " + other.drives);
            }
            if (debugConsole != other.debugConsole || debugExit != other.debugExit) {
                d.add("debug devices");
            }
            if (!Arrays.equals(flash, other.flash) || !Arrays.equals(vgaRom, other.vgaRom)) {
                d.add("ROM images");
            }
            return d.isEmpty() ? null : String.join(", ", d);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && difference(s) == null && rtcSeconds == s.rtcSeconds
                    && rtcNanos == s.rtcNanos;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(memoryBytes) * 31 + drives.hashCode();
        }

        @Override
        public String toString() {
            return "Shape[" + (memoryBytes >> 20) + " MiB, deterministic=" + deterministic + ", serial=0x"
                    + Integer.toHexString(serialPorts) + ", drives=" + drives + ", flash=" + flash.length
                    + " bytes, vgaRom=" + vgaRom.length + " bytes]";
        }
    }

    /** An IDE drive position and its kind. */
    public record DriveSlot(int channel, int unit, boolean cdrom) {
    }

    /** The 16 ISA interrupt wires' input levels. */
    public record IsaIrqState(List<SharedIrqLine.State> lines) {
        public IsaIrqState {
            lines = List.copyOf(lines);
        }
    }

    /** One device section: its record type, how to read it from the board and put it back. */
    private record Part<S extends Record>(String name, Class<S> type, Supplier<S> save, Consumer<S> restore) {
        static <S extends Record> Part<S> of(String name, Class<S> type, Persist<S> p) {
            return new Part<>(name, type, p::save, p::restore);
        }
    }

    private BoardSnapshot() {
    }

    /** Every section name a board snapshot may hold. */
    public static Set<String> sectionNames() {
        Set<String> s = new HashSet<>(Set.of(SHAPE, RamSection.NAME, CLOCK, CpuSection.NAME, FPU, "pic", "ioapic",
                "lapic", "pit", "rtc", "hpet", "i8042", "a20", "port92", "vga", "pci", "piix3", "ide", "acpi-pm",
                "ferr", "isa-irq"));
        for (int n = 0; n < 4; n++) {
            s.add(uart(n));
        }
        return Set.copyOf(s);
    }

    private static String uart(int n) {
        return "uart" + n;
    }

    /** The device sections of {@code b}, in restore order (after RAM, clock and CPU). */
    private static List<Part<?>> devices(PcBoard b) {
        List<Part<?>> parts = new ArrayList<>();
        parts.add(new Part<>(FPU, FpuState.class, b.cpu().fpu::save, b.cpu().fpu::restore));
        parts.add(Part.of("pic", DualPic.State.class, b.pic()));
        parts.add(Part.of("ioapic", IoApic.State.class, b.ioApic()));
        parts.add(Part.of("lapic", LocalApic.State.class, b.localApic()));
        parts.add(Part.of("pit", Pit8254.State.class, b.pit()));
        parts.add(Part.of("rtc", CmosRtc.State.class, b.rtc()));
        parts.add(Part.of("hpet", Hpet.State.class, b.hpet()));
        parts.add(Part.of("i8042", I8042.State.class, b.keyboardController()));
        parts.add(Part.of("a20", A20Gate.State.class, b.a20Gate()));
        parts.add(Part.of("port92", Port92.State.class, b.port92()));
        for (int n = 0; n < 4; n++) {
            if (b.serial(n) != null) {
                parts.add(Part.of(uart(n), UartState.class, b.serial(n)));
            }
        }
        parts.add(Part.of("vga", Vga.State.class, b.vga()));
        parts.add(Part.of("pci", PciBus.State.class, b.pci()));
        parts.add(Part.of("piix3", Piix3IsaBridge.State.class, b.isaBridge()));
        parts.add(Part.of("ide", IdeController.State.class, b.ide()));
        parts.add(Part.of("acpi-pm", AcpiPm.State.class, b.acpi()));
        parts.add(Part.of("ferr", FerrLatch.State.class, b.coprocessorError()));
        parts.add(new Part<>("isa-irq", IsaIrqState.class, () -> {
            List<SharedIrqLine.State> l = new ArrayList<>();
            for (int n = 0; n < 16; n++) {
                l.add(b.isaIrq(n).save());
            }
            return new IsaIrqState(l);
        }, s -> {
            if (s.lines().size() != 16) {
                throw new IllegalArgumentException(s.lines().size() + " ISA IRQ lines, a PC has 16");
            }
            for (int n = 0; n < 16; n++) {
                b.isaIrq(n).restore(s.lines().get(n));
            }
        }));
        return parts;
    }

    /**
     * Adds the board's sections to {@code w}. The states are captured now (call at an instruction
     * boundary); RAM is read when {@code w} writes, so the board must not run until then.
     */
    public static void addSections(SnapshotWriter w, PcBoard b) {
        Shape shape = Shape.of(b.config());
        VirtualClock.State clock = b.clock().save();
        CpuState cpu = b.cpu().save();
        w.section(SHAPE, VERSION, false, out -> RecordCodec.write(out, shape));
        w.section(RamSection.NAME, RamSection.VERSION, false, out -> RamSection.write(out, b.memory().ram()));
        w.section(CLOCK, VERSION, false, out -> RecordCodec.write(out, clock));
        w.section(CpuSection.NAME, CpuSection.VERSION, false, out -> CpuSection.write(out, cpu));
        for (Part<?> p : devices(b)) {
            Record state = p.save().get();
            w.section(p.name(), VERSION, false, out -> RecordCodec.write(out, state));
        }
        for (SnapshotParts.Part<?> p : b.snapshotParts().all()) {
            Record state = p.persist().save();
            w.section(p.name(), p.version(), p.optional(), out -> RecordCodec.write(out, state));
        }
    }

    /** The board shape stored in {@code s} (to build the board a restore goes into). */
    public static Shape shape(Snapshot s) throws SnapshotFormatException {
        return read(s.require(SHAPE), Shape.class);
    }

    /**
     * Restores {@code s} into {@code b}, a freshly built board of the same shape that has not run.
     * Every section is decoded before anything changes; a snapshot of another shape, a missing or
     * malformed section, a state a device refuses are {@link SnapshotFormatException}s (the board is
     * then unusable and must be closed).
     */
    public static void restore(PcBoard b, Snapshot s) throws SnapshotFormatException {
        restore(b, s, Set.of());
    }

    /**
     * Restores {@code s} into {@code b} as {@link #restore(PcBoard, Snapshot)} does, and also the
     * board's {@linkplain PcBoard#snapshotParts() registered parts}: each from its section, or left as
     * built when the file lacks it (written before the part existed). A section that is neither the
     * board's, nor a registered part's, nor one of {@code others} (sections the caller reads itself) is
     * refused: the snapshot holds state this machine would drop.
     */
    public static void restore(PcBoard b, Snapshot s, Set<String> others) throws SnapshotFormatException {
        String diff = Shape.of(b.config()).difference(shape(s));
        if (diff != null) {
            throw new SnapshotFormatException("the snapshot's machine differs from the one built for it: " + diff);
        }
        // RAM is decompressed on other threads while this one decodes the other sections; nothing else
        // touches the fresh board's RAM meanwhile, and the board is not left before RAM is done.
        SectionInput ramIn = s.require(RamSection.NAME);
        FutureTask<Void> ram = new FutureTask<>(() -> {
            long t0 = System.nanoTime();
            RamSection.read(ramIn, b.memory().ram());
            log.debug("RAM restored in {} ms", (System.nanoTime() - t0) / 1_000_000);
            return null;
        });
        Thread.ofPlatform().name("snapshot-ram").start(ram);
        Decoded d;
        try {
            d = decode(b, s, others);
        } finally {
            SnapshotFormatException e = await(ram);
            if (e != null) {
                throw e;
            }
        }
        apply(CLOCK, () -> b.clock().restore(d.clock()));
        apply(CpuSection.NAME, () -> b.cpu().restore(d.cpu()));
        for (Map.Entry<Part<?>, Record> e : d.states().entrySet()) {
            apply(e.getKey().name(), () -> restorePart(e.getKey(), e.getValue()));
        }
        for (Map.Entry<SnapshotParts.Part<?>, Record> e : d.extra().entrySet()) {
            apply(e.getKey().name(), () -> restoreExtra(e.getKey(), e.getValue()));
        }
    }

    /** Every section but RAM, decoded. */
    private record Decoded(VirtualClock.State clock, CpuState cpu, Map<Part<?>, Record> states,
                           Map<SnapshotParts.Part<?>, Record> extra) {
    }

    private static Decoded decode(PcBoard b, Snapshot s, Set<String> others) throws SnapshotFormatException {
        long t0 = System.nanoTime();
        VirtualClock.State clock = read(s.require(CLOCK), VirtualClock.State.class);
        CpuState cpu = CpuSection.read(s.require(CpuSection.NAME));
        Map<Part<?>, Record> states = new LinkedHashMap<>();
        Set<String> expected = new HashSet<>(Set.of(SHAPE, RamSection.NAME, CLOCK, CpuSection.NAME));
        for (Part<?> p : devices(b)) {
            states.put(p, read(s.require(p.name()), p.type()));
            expected.add(p.name());
        }
        Map<SnapshotParts.Part<?>, Record> extra = new LinkedHashMap<>();
        for (SnapshotParts.Part<?> p : b.snapshotParts().all()) {
            expected.add(p.name());
            var sec = s.find(p.name());
            if (sec.isPresent()) {
                SectionInput in = sec.get().input();
                if (in.version() > p.version()) {
                    throw new SnapshotFormatException("section '" + p.name() + "' has version " + in.version()
                            + ", this vmm reads up to " + p.version());
                }
                extra.put(p, RecordCodec.read(in, p.type()));
            }
        }
        for (Snapshot.Section sec : s.sections()) {
            if (!expected.contains(sec.name()) && !others.contains(sec.name())) {
                throw new SnapshotFormatException("the snapshot has a '" + sec.name() + "' section for "
                        + (sectionNames().contains(sec.name()) ? "a device" : "a part") + " this machine lacks");
            }
        }
        log.debug("device sections decoded in {} ms", (System.nanoTime() - t0) / 1_000_000);
        return new Decoded(clock, cpu, states, extra);
    }

    /** Waits for {@code task}; its format error, or null. */
    private static SnapshotFormatException await(FutureTask<Void> task) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    task.get();
                    return null;
                } catch (InterruptedException e) {
                    interrupted = true;         // the RAM thread must finish before the board may be closed
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof SnapshotFormatException f) {
                        return f;
                    }
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Encodes and decodes the state of every part of {@code b} in memory, and RAM's compressor: in a fresh
     * JVM, the first use of the record encoding (reflection, method handles) and of zstd costs far more
     * than the work itself. A restore runs this on another thread, on a throwaway board, while it reads
     * the file.
     */
    public static void warmUp(PcBoard b) {
        List<Record> states = new ArrayList<>();
        states.add(b.clock().save());
        for (Part<?> p : devices(b)) {
            states.add(p.save().get());
        }
        for (SnapshotParts.Part<?> p : b.snapshotParts().all()) {
            states.add(p.persist().save());
        }
        try {
            for (Record r : states) {
                SectionOutput out = new SectionOutput();
                RecordCodec.write(out, r);
                RecordCodec.read(new SectionInput("warm-up", VERSION, Arrays.copyOf(out.buffer(), out.size())),
                        r.getClass());
            }
            CpuSection.write(new SectionOutput(), b.cpu().save());
            RamSection.warmUp();
        } catch (SnapshotFormatException e) {
            throw new IllegalStateException("a state does not decode as it was encoded", e);
        }
    }

    private static <S extends Record> void restorePart(Part<S> p, Record state) {
        p.restore().accept(p.type().cast(state));
    }

    private static <S extends Record> void restoreExtra(SnapshotParts.Part<S> p, Record state) {
        p.persist().restore(p.type().cast(state));
    }

    private static void apply(String section, Runnable r) throws SnapshotFormatException {
        try {
            r.run();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new SnapshotFormatException("section '" + section + "': " + e.getMessage());
        }
    }

    private static <S extends Record> S read(SectionInput in, Class<S> type) throws SnapshotFormatException {
        if (in.version() > VERSION) {
            throw new SnapshotFormatException("section '" + in.section() + "' has version " + in.version()
                    + ", this vmm reads up to " + VERSION);
        }
        return RecordCodec.read(in, type);
    }
}

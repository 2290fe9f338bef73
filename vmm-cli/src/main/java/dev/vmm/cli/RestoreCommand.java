package dev.vmm.cli;

import dev.vmm.core.snapshot.SnapshotFormatException;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.BoardSnapshot;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.serial.NullBackend;
import dev.vmm.devices.serial.SerialBackend;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.RawImage;
import dev.vmm.devices.storage.SnapshotDisks;
import dev.vmm.devices.storage.SwappableDisk;
import dev.vmm.devices.storage.formats.DiskImages;
import dev.vmm.devices.storage.qcow2.Qcow2Overlay;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmm restore FILE}: builds the machine a snapshot describes, restores its state and runs it
 * on from where it was saved, as {@code vmm run} would. The snapshot, and every disk image it names
 * (path, size and SHA-256), are checked before anything runs; each problem is one line on stderr and
 * status 2. The frozen images are never written: the restored VM's disk writes go to a fresh
 * copy-on-write overlay, in memory ({@code --disk-mode cow}) or in a new qcow2 file beside the
 * snapshot ({@code --disk-mode rw}), so one snapshot restores any number of times.
 */
@Command(
        name = "restore",
        mixinStandardHelpOptions = true,
        description = {"Resumes a VM saved with vmm run --save-at or the monitor's savevm.",
                "Example: vmm restore vm.vmmsnap --serial stdio"},
        sortOptions = false)
public final class RestoreCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RestoreCommand.class);

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The snapshot file.")
    private Path file;

    @Option(names = "--serial", paramLabel = "stdio|none|file:PATH", defaultValue = "stdio",
            description = "COM1: the terminal (Ctrl-A x quits), nothing, or a file (default: ${DEFAULT-VALUE}).")
    private String serial;

    @Option(names = "--disk-mode", paramLabel = "cow|rw|ro",
            description = "Where the restored VM's disk writes go: cow keeps them in memory, rw in a new qcow2 "
                    + "overlay beside the snapshot, ro refuses them; the frozen images stay unchanged (default: the "
                    + "mode the saved VM had; cow for a snapshot that does not say).")
    private String diskMode;

    @Option(names = "--stop-at", paramLabel = "N", description = "Stop cleanly (status 0) at instruction N, counted "
            + "from the saved VM's (re)boot, where vmm run --stop-at N would have stopped.")
    private Long stopAt;

    @Option(names = "--save-at", paramLabel = "N:FILE", description = "Save again at instruction N, then go on.")
    private String saveAt;

    @Option(names = "--ram-hash", description = "When the VM ends, print the SHA-256 of guest RAM (to compare runs).")
    private boolean ramHash;

    @Option(names = "--debugcon", paramLabel = "FILE", description = "Where bytes written to port 0xE9 go, if the "
            + "saved VM had that port (default: nowhere).")
    private Path debugcon;

    @Option(names = "--screenshot", paramLabel = "FILE", description = "Write a PNG of the VGA text screen when the "
            + "VM ends.")
    private Path screenshot;

    @Override
    public Integer call() {
        return BoardSession.runCommand("vmm restore", spec.commandLine().getErr(), this::run);
    }

    private int run(PrintWriter err, List<AutoCloseable> resources) throws RunCommand.BadInput {
        String override = diskMode == null ? null : diskMode.toLowerCase(Locale.ROOT);
        if (override != null && !List.of("cow", "rw", "ro").contains(override)) {
            throw new RunCommand.BadInput("--disk-mode must be cow, rw or ro, not '" + diskMode + "'");
        }
        long t0 = System.nanoTime();
        VmSnapshots.warmUp();
        VmSnapshots.Loaded loaded = VmSnapshots.open(file);
        log.debug("restore: file read and checked in {} ms", (System.nanoTime() - t0) / 1_000_000);
        BoardSession session = BoardSession.of(serial, stopAt, saveAt, ramHash, screenshot);
        checkKernelPaths(loaded);

        List<VmSnapshots.Drive> drives = new ArrayList<>();
        for (VmSnapshots.Medium m : loaded.recipe().media()) {
            Path top = Path.of(m.chain().get(0).path());
            try {
                if (m.cdrom()) {
                    IsoImage iso = IsoImage.open(top);
                    resources.add(iso);
                    drives.add(new VmSnapshots.Drive(m.channel(), m.unit(), null, top));
                    isos.add(iso);
                    continue;
                }
                String mode = override != null ? override : m.mode().isEmpty() ? "cow" : m.mode();
                BlockDevice dev = switch (mode) {
                    case "rw" -> {
                        loaded.checkFiles(file);            // nothing is written before the files are checked
                        Path overlay = freeOverlay(m);
                        BlockDevice d = Qcow2Overlay.create(DiskImages.open(top, null, RawImage.Mode.READ_ONLY),
                                overlay);
                        err.println("vmm restore: disk writes go to " + overlay);
                        yield d;
                    }
                    case "ro" -> DiskImages.open(top, null, RawImage.Mode.READ_ONLY);
                    default -> DiskImages.open(top, null, RawImage.Mode.COPY_ON_WRITE);
                };
                SwappableDisk disk = new SwappableDisk(dev, m.name());
                resources.add(disk);
                drives.add(new VmSnapshots.Drive(m.channel(), m.unit(), disk, null));
            } catch (IOException e) {
                loaded.checkFiles(file);    // a missing or changed image: the snapshot's own message
                throw new RunCommand.BadInput(file + ": " + e.getMessage());
            }
        }
        VmSnapshots.Recipe recipe = loaded.recipe();
        VmSnapshots saver = new VmSnapshots(recipe.boot(), recipe.bootOrder(), drives, recipe.kernel());
        Restored machine = new Restored(loaded, drives, saver, t0);
        loaded.checkFiles(file);            // before the console's and debug port's files are created
        machine.com1 = session.serialBackend(resources, machine);
        session.startVga(resources);
        if (loaded.shape().debugConsole()) {
            try {
                machine.debug = debugcon == null ? OutputStream.nullOutputStream() : Files.newOutputStream(debugcon);
            } catch (IOException e) {
                throw new RunCommand.BadInput("--debugcon " + debugcon + ": " + e.getMessage());
            }
            resources.add(machine.debug);
        }
        return session.run(err, machine);
    }

    private final List<IsoImage> isos = new ArrayList<>();

    /** "; N ms since the process started" (the JVM's start-up included), or "" where the OS does not say. */
    private static String sinceProcessStart() {
        return ProcessHandle.current().info().startInstant()
                .map(t -> "; " + java.time.Duration.between(t, java.time.Instant.now()).toMillis()
                        + " ms since the process started")
                .orElse("");
    }

    /**
     * Refuses a snapshot whose {@code --initrd} option names its files relative to another directory than
     * this one (the option is passed on as given, so it must name the same files here).
     */
    private void checkKernelPaths(VmSnapshots.Loaded loaded) throws RunCommand.BadInput {
        VmSnapshots.KernelBoot k = loaded.recipe().kernel();
        if (k == null) {
            return;
        }
        List<Path> named = VmSnapshots.initrdFiles(k.initrd());
        List<Path> stored = k.initrdFiles().stream().map(f -> Path.of(f.path())).toList();
        if (!named.equals(stored)) {
            throw new RunCommand.BadInput(file + ": the --initrd files of the snapshot (" + k.initrd() + ") are named "
                    + "relative to another directory: run vmm restore where vmm run was started");
        }
    }

    /**
     * How a guest reset reboots a VM booted from a kernel file: the files the snapshot names, checked again
     * (they may have changed since the restore began) and loaded as {@code vmm run} loaded them. Made at
     * the first reset, not before the restore: the files are the ones the saved VM booted (same SHA-256).
     */
    private BootSetup kernelReboot(VmSnapshots.Loaded loaded) throws RunCommand.BadInput {
        VmSnapshots.KernelBoot k = loaded.recipe().kernel();
        try {
            String problem = SnapshotDisks.check(k.files(), "kernel file");
            if (problem != null) {
                throw new RunCommand.BadInput("the guest reset, but " + problem);
            }
        } catch (IOException e) {
            throw new RunCommand.BadInput("the guest reset, but reading its kernel files failed: " + e.getMessage());
        }
        return BootSetup.kernel(loaded.shape().memoryBytes(), Path.of(k.kernel().path()), k.initrd(), k.append());
    }

    private Path freeOverlay(VmSnapshots.Medium m) {
        String base = file.toAbsolutePath() + ".ide" + m.channel() + "-" + m.unit() + ".restored";
        Path p = Path.of(base + ".qcow2");
        for (int n = 2; Files.exists(p); n++) {
            p = Path.of(base + "." + n + ".qcow2");
        }
        return p;
    }

    /**
     * The machine of a snapshot: restored first; a guest reset reboots it as {@code vmm run} would, through
     * the built-in BIOS or the kernel files the snapshot names.
     */
    private final class Restored implements BoardSession.Machine {
        private final VmSnapshots.Loaded loaded;
        private final List<VmSnapshots.Drive> drives;
        private final VmSnapshots saver;
        private BootSetup reboot;
        private final long started;
        private SerialBackend com1;
        private OutputStream debug;

        Restored(VmSnapshots.Loaded loaded, List<VmSnapshots.Drive> drives, VmSnapshots saver, long started) {
            this.loaded = loaded;
            this.drives = drives;
            this.saver = saver;
            this.started = started;
        }

        @Override
        public PcBoard board(boolean first, PrintWriter err) throws RunCommand.BadInput {
            VmSnapshots.Boot boot = loaded.recipe().boot();
            if (!first && boot == VmSnapshots.Boot.KERNEL && reboot == null) {
                if (loaded.recipe().kernel() == null) {
                    err.println("vmm restore: the guest reset; the snapshot does not name the kernel the VM booted "
                            + "from, so it cannot reboot (run it again with vmm run)");
                    return null;
                }
                reboot = kernelReboot(loaded);
            }
            long t1 = System.nanoTime();
            BoardSnapshot.Shape shape = loaded.shape();
            BoardConfig.Builder b = shape.builder().debugConsole(debug);
            for (int n = 0; n < 4; n++) {
                if ((shape.serialPorts() & 1 << n) != 0) {
                    b.serial(n, n == 0 ? com1 : new NullBackend());
                }
            }
            int cd = 0;
            for (VmSnapshots.Drive d : drives) {
                b.drive(d.channel(), d.unit(),
                        d.disk() != null ? new AtaDisk(d.disk()) : new AtapiCdrom(isos.get(cd++)));
            }
            PcBoard board = b.build();
            try {
                VmSnapshots.attachFirmware(board, loaded.recipe());
                if (boot == VmSnapshots.Boot.KERNEL && !first) {
                    reboot.install(board);          // the kernel, its tables and command line, as vmm run
                }
                if (first) {
                    long t2 = System.nanoTime();
                    BoardSnapshot.restore(board, loaded.snapshot(), Set.of(VmSnapshots.MACHINE));
                    log.debug("restore: board built in {} ms, state restored in {} ms", (t2 - t1) / 1_000_000,
                            (System.nanoTime() - t2) / 1_000_000);
                    err.printf(Locale.ROOT, "vmm: restored %s at instruction %d (%d ms%s)%n", file,
                            board.cpu().instructionCount(), (System.nanoTime() - started) / 1_000_000,
                            sinceProcessStart());
                    err.flush();
                }
            } catch (SnapshotFormatException | IllegalArgumentException e) {
                board.close();
                throw new RunCommand.BadInput(file + ": " + e.getMessage());
            }
            return board;
        }

        @Override
        public String save(PcBoard board, Path target) throws IOException {
            return saver.save(board, target);
        }
    }
}

package dev.vmm.cli;

import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.serial.SerialBackend;
import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.SwappableDisk;
import dev.vmm.devices.storage.RawImage;
import dev.vmm.devices.storage.formats.DiskImages;
import dev.vmm.images.GuestImages;
import org.jline.terminal.Terminal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vmm run}: builds a PC board from the options and runs it on the calling thread until the guest powers off,
 * exits through the debug-exit port, triple-faults, halts for good, runs out of {@code --stop-at} instructions or
 * the user types Ctrl-A x. A guest reset builds a fresh board from the same options (a reboot); disk images stay
 * open across it, so a copy-on-write overlay survives the reboot as a real disk would.
 *
 * <p>Boot ({@link BootSetup}): with {@code --kernel} a Linux bzImage or a multiboot kernel is loaded directly (with the
 * ACPI and MP tables and E820 map the BIOS would give); with {@code --bios} an external BIOS image runs from the
 * board's flash; otherwise the project's BIOS boots the devices of {@code --boot} (the {@code --disk}'s MBR, the
 * {@code --cdrom}'s El Torito image). Bad input is refused before anything is written.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {"Runs a virtual PC.",
                "Examples: vmm run                 (the default guest: Debian i386, a shell on COM1; built on "
                        + "first use)",
                "          vmm run --disk disk.img",
                "          vmm run --kernel bzImage --initrd initrd.img --append \"console=ttyS0\""},
        sortOptions = false)
public final class RunCommand implements Callable<Integer> {

    /** Usage errors, bad files: before the VM starts. */
    static final int EXIT_BAD_INPUT = 2;
    static final int EXIT_TRIPLE_FAULT = 3;
    static final int EXIT_HALTED = 4;

    @Spec
    private CommandSpec spec;

    @Option(names = "--disk", paramLabel = "FILE", description = "Raw disk image on the primary master; booted by "
            + "the BIOS.")
    private Path disk;

    @Option(names = "--disk-mode", paramLabel = "rw|ro|cow", defaultValue = "cow",
            description = "How guest writes reach the disk image: rw writes the file, ro refuses writes, cow keeps "
                    + "them in memory and never changes the file (default: ${DEFAULT-VALUE}).")
    private String diskMode;

    @Option(names = "--cdrom", paramLabel = "FILE", description = "ISO image on the secondary master; the BIOS boots "
            + "its El Torito no-emulation image when there is no bootable disk (see --boot).")
    private Path cdrom;

    @Option(names = "--boot", paramLabel = "ORDER", description = "Boot order of the BIOS, as in QEMU: c = the disk, "
            + "d = the CD, e.g. d or dc (default: the disk, then the CD).")
    private String boot;

    @Option(names = "--bios", paramLabel = "FILE", description = "Run this BIOS image (e.g. SeaBIOS's bios.bin) from "
            + "the board's flash instead of the built-in BIOS; it prints through the PCI VGA card's option ROM.")
    private Path bios;

    @Option(names = "--bios-log", paramLabel = "FILE", description = "With --bios: where bytes written to port 0x402 "
            + "go (the debug log of SeaBIOS, as QEMU's isa-debugcon there).")
    private Path biosLog;

    @Option(names = "--kernel", paramLabel = "FILE", description = "Linux bzImage or multiboot kernel to boot "
            + "directly.")
    private Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk for --kernel; for a multiboot "
            + "kernel its modules, as in QEMU: \"FILE [ARGS],FILE...\".")
    private Path initrd;

    @Option(names = "--append", paramLabel = "STRING", description = "Kernel command line for --kernel.")
    private String append;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "128M",
            description = "Guest RAM: a number with K, M or G (no suffix: MiB) (default: ${DEFAULT-VALUE}).")
    private String memory;

    @Option(names = "--serial", paramLabel = "stdio|none|file:PATH", defaultValue = "stdio",
            description = "COM1: the terminal (raw mode, Ctrl-A x quits, Ctrl-A h help), nothing, or a file "
                    + "(default: ${DEFAULT-VALUE}).")
    private String serial;

    @Option(names = "--debugcon", paramLabel = "FILE|stdio", description = "Where bytes written to port 0xE9 go.")
    private String debugcon;

    @Option(names = "--debug-exit", description = "Add the exit device on port 0xF4: writing v ends vmm with "
            + "status (v << 1) | 1.")
    private boolean debugExit;

    @Option(names = "--deterministic", description = "Derive guest time from the instruction count "
            + "(repeatable runs).")
    private boolean deterministic;

    @Option(names = "--screenshot", paramLabel = "FILE", description = "Write a PNG of the VGA text screen when the "
            + "VM ends.")
    private Path screenshot;

    @Option(names = "--stop-at", paramLabel = "N", description = "Stop cleanly (status 0) after N instructions, "
            + "counted from the last (re)boot (with --deterministic an idle guest also stops once its time reaches "
            + "N ns).")
    private Long stopAt;

    @Option(names = "--save-at", paramLabel = "N:FILE", description = "Save the VM to the snapshot FILE when it "
            + "reaches instruction N (the point --stop-at N would stop at), then go on; vmm restore FILE resumes it.")
    private String saveAt;

    @Option(names = "--ram-hash", description = "When the VM ends, print the SHA-256 of guest RAM (to compare runs).")
    private boolean ramHash;

    /** A refusal before the VM starts: one line on stderr, status 2. */
    public static final class BadInput extends Exception {
        private static final long serialVersionUID = 1L;

        BadInput(String message) {
            super(message);
        }
    }

    private Terminal terminal;

    @Override
    public Integer call() {
        return BoardSession.runCommand("vmm run", spec.commandLine().getErr(), this::run);
    }

    private int run(PrintWriter err, List<AutoCloseable> resources) throws BadInput {
        if (disk == null && kernel == null && cdrom == null && bios == null && initrd == null) {
            useDefaultGuest(err);
        }
        if (disk == null && kernel == null && cdrom == null && bios == null) {
            throw new BadInput("nothing to boot: give --disk FILE, --cdrom FILE, --kernel FILE or --bios FILE");
        }
        if (kernel == null && (initrd != null || append != null)) {
            throw new BadInput("--initrd and --append need --kernel");
        }
        if (bios != null && kernel != null) {
            throw new BadInput("--bios and --kernel exclude each other: a kernel given with --kernel runs without a "
                    + "BIOS");
        }
        if (biosLog != null && bios == null) {
            throw new BadInput("--bios-log needs --bios");
        }
        if (boot != null && (kernel != null || bios != null)) {
            throw new BadInput("--boot orders the built-in BIOS's devices; it does not apply to --kernel or --bios");
        }
        BoardSession session = BoardSession.of(serial, stopAt, saveAt, ramHash, screenshot);
        if (terminal != null) {
            session.onTerminal(terminal);
        }
        long ram = parseMemory(memory);
        RawImage.Mode mode = switch (diskMode.toLowerCase(Locale.ROOT)) {
            case "rw" -> RawImage.Mode.READ_WRITE;
            case "ro" -> RawImage.Mode.READ_ONLY;
            case "cow" -> RawImage.Mode.COPY_ON_WRITE;
            default -> throw new BadInput("--disk-mode must be rw, ro or cow, not '" + diskMode + "'");
        };

        SwappableDisk diskImage = null;
        if (disk != null) {
            try {
                // raw, qcow2 or VMDK, probed; a snapshot may switch it to an overlay
                diskImage = new SwappableDisk(DiskImages.open(disk, null, mode));
            } catch (IOException e) {
                throw new BadInput(e.getMessage());
            }
            resources.add(diskImage);
        }
        IsoImage iso = null;
        if (cdrom != null) {
            requireFile(cdrom, "--cdrom");
            try {
                iso = IsoImage.open(cdrom);
            } catch (IOException e) {
                throw new BadInput("CD image " + cdrom + ": " + e.getMessage());
            }
            resources.add(iso);
        }
        BootSetup bootSetup;
        if (kernel != null) {
            bootSetup = BootSetup.kernel(ram, kernel, initrd == null ? null : initrd.toString(), append);
        } else if (bios != null) {
            bootSetup = BootSetup.externalBios(bios);
        } else {
            bootSetup = BootSetup.bios(boot, diskImage, disk, iso, cdrom);
        }

        OutputStream debugOut = null;
        if (debugcon != null) {
            if (debugcon.equals("stdio")) {
                debugOut = new FilterOutputStream(System.out) {
                    @Override
                    public void write(int b) {
                        System.out.write(b);
                        System.out.flush();
                    }

                    @Override
                    public void close() {
                        System.out.flush();
                    }
                };
            } else {
                try {
                    debugOut = new UnbufferedFile(new FileOutputStream(debugcon));
                } catch (IOException e) {
                    throw new BadInput("--debugcon " + debugcon + ": " + e.getMessage());
                }
            }
            resources.add(debugOut);
        }

        if (biosLog != null) {
            try {
                OutputStream logOut = new UnbufferedFile(new FileOutputStream(biosLog.toFile()));
                resources.add(logOut);
                bootSetup.biosLog(logOut);
            } catch (IOException e) {
                throw new BadInput("--bios-log " + biosLog + ": " + e.getMessage());
            }
        }

        VmSnapshots.Boot bootKind = kernel != null ? VmSnapshots.Boot.KERNEL
                : bios != null ? VmSnapshots.Boot.EXTERNAL_BIOS : VmSnapshots.Boot.BIOS;
        List<VmSnapshots.Drive> drives = new ArrayList<>();
        if (diskImage != null) {
            drives.add(new VmSnapshots.Drive(0, 0, diskImage, null));
        }
        if (iso != null) {
            drives.add(new VmSnapshots.Drive(1, 0, null, cdrom));
        }
        VmSnapshots saver = new VmSnapshots(bootKind, boot == null ? "" : boot, drives,
                kernel == null ? null : new VmSnapshots.Kernel(kernel, initrd == null ? null : initrd.toString(), append));
        VmSnapshots.warmUp();           // so that a save (--save-at, the monitor's savevm) holds the guest less
        Booted machine = new Booted(bootSetup, diskImage, iso, saver);
        SerialBackend com1 = session.serialBackend(resources, machine);
        session.startVga(resources);
        machine.template = BoardConfig.builder().memory(ram).deterministic(deterministic)
                .serial(0, com1).debugConsole(debugOut).debugExit(debugExit).config();
        return session.run(err, machine);
    }

    /** A VM booted from the command line's options; a guest reset boots a fresh board the same way. */
    private static final class Booted implements BoardSession.Machine {
        private final BootSetup bootSetup;
        private final SwappableDisk disk;
        private final IsoImage cd;
        private final VmSnapshots saver;
        private BoardConfig template;

        Booted(BootSetup bootSetup, SwappableDisk disk, IsoImage cd, VmSnapshots saver) {
            this.bootSetup = bootSetup;
            this.disk = disk;
            this.cd = cd;
            this.saver = saver;
        }

        @Override
        public PcBoard board(boolean first, PrintWriter err) throws BadInput {
            // Fresh drive objects each boot: a reset returns the controllers to power-on state.
            BoardConfig.Builder fresh = BoardConfig.builder().memory(template.memoryBytes())
                    .deterministic(template.deterministic()).rtcTime(template.rtcTime()).serial(0, template.serial(0))
                    .debugConsole(template.debugConsole()).debugExit(template.debugExit());
            if (disk != null) {
                fresh.drive(0, 0, new AtaDisk(disk));
            }
            if (cd != null) {
                fresh.drive(1, 0, new AtapiCdrom(cd));
            }
            bootSetup.configure(fresh);
            PcBoard board = fresh.build();
            try {
                bootSetup.install(board);
            } catch (IllegalArgumentException e) {
                board.close();
                if (first) {
                    throw new BadInput(e.getMessage());
                }
                throw e;
            }
            return board;
        }

        @Override
        public String save(PcBoard board, Path file) throws IOException {
            return saver.save(board, file);
        }
    }

    /** Nothing to boot given: the default guest (built on first use) as --kernel, --initrd and --append. */
    private void useDefaultGuest(PrintWriter err) throws BadInput {
        try {
            DefaultGuest.Boot g = DefaultGuest.prepare(GuestImages.fromEnvironment(), err);
            kernel = g.kernel();
            initrd = g.initrd();
            if (append == null) {
                append = g.append();
            }
        } catch (DefaultGuest.Unavailable e) {
            throw new BadInput(e.getMessage());
        }
    }

    /** Tests: the terminal that {@code --serial stdio} uses instead of the process's own. */
    RunCommand onTerminal(Terminal t) {
        this.terminal = t;
        return this;
    }

    private static void requireFile(Path p, String option) throws BadInput {
        if (!Files.isRegularFile(p)) {
            throw new BadInput(option + " " + p + ": " + (Files.exists(p) ? "not a regular file" : "no such file"));
        }
    }

    /** Parses {@code 128M}, {@code 1G}, {@code 65536K}; a bare number is MiB, as in QEMU. */
    static long parseMemory(String text) throws BadInput {
        String t = text.strip().toUpperCase(Locale.ROOT);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})([KMG]?)(I?B)?").matcher(t);
        if (!m.matches()) {
            throw new BadInput("--memory: '" + text + "' is not a size such as 128M or 1G");
        }
        long n = Long.parseLong(m.group(1));
        long bytes = switch (m.group(2)) {
            case "K" -> n << 10;
            case "G" -> n << 30;
            default -> n << 20;
        };
        if (bytes < (1 << 20) || (bytes & 0xFFF) != 0 || bytes > (3L << 30)) {
            throw new BadInput("--memory: '" + text + "' must be between 1M and 3G and a multiple of 4K");
        }
        return bytes;
    }

    /** A file for the debug console, flushed per byte so a crash loses nothing. */
    private static final class UnbufferedFile extends FilterOutputStream {
        UnbufferedFile(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }
    }
}

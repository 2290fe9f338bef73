package dev.vmm.cli.host;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmm create NAME --memory 256M --disk IMG [--kernel ...]}: stores a VM definition. */
@Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Defines a VM (stored as JSON in $VMM_HOME/vms) for a host to start; it boots as vmm run "
                + "would with the same options.",
                "Example: vmm create web --memory 256M --disk web.img"})
public final class CreateCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private HostOptions options;

    @Parameters(index = "0", paramLabel = "NAME", description = "The VM's name (letters, digits, '.', '_', '-').")
    private String name;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "128M",
            description = "Guest RAM, e.g. 256M or 1G (default: ${DEFAULT-VALUE}).")
    private String memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1",
            description = "Virtual CPUs the VM declares in an exported appliance (the board runs one; "
                    + "default: ${DEFAULT-VALUE}).")
    private int cpus;

    @Option(names = "--disk", paramLabel = "IMG", description = "Disk image (raw, qcow2 or VMDK); repeat for up to "
            + "three: primary master, primary slave, secondary slave.")
    private List<Path> disks = new ArrayList<>();

    @Option(names = "--disk-mode", paramLabel = "rw|ro|cow", defaultValue = "cow",
            description = "How guest writes reach the images (default: ${DEFAULT-VALUE}: kept in memory).")
    private String diskMode;

    @Option(names = "--cdrom", paramLabel = "ISO", description = "ISO image on the secondary master.")
    private Path cdrom;

    @Option(names = "--boot", paramLabel = "ORDER", description = "Boot order of the BIOS: c = the first disk, "
            + "d = the CD (default: the disk, then the CD).")
    private String boot;

    @Option(names = "--bios", paramLabel = "FILE", description = "An external BIOS image (e.g. SeaBIOS's bios.bin) "
            + "instead of the built-in BIOS.")
    private Path bios;

    @Option(names = "--kernel", paramLabel = "FILE", description = "Linux bzImage or multiboot kernel to boot "
            + "directly.")
    private Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk for --kernel; for a multiboot "
            + "kernel its modules: \"FILE [ARGS],FILE...\".")
    private String initrd;

    @Option(names = "--append", paramLabel = "STRING", description = "Kernel command line for --kernel.")
    private String append;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            VmDefinition.Builder b = VmDefinition.builder(name, SizeParser.parse(memory, "--memory")).cpus(cpus)
                    .diskMode(diskMode).boot(boot);
            for (Path d : disks) {
                b.disk(file(d, "--disk"));
            }
            b.cdrom(file(cdrom, "--cdrom")).bios(file(bios, "--bios"));
            if (kernel != null) {
                b.kernel(file(kernel, "--kernel"), initrd == null ? null : initrd(initrd), append);
            } else if (initrd != null || append != null) {
                throw new IllegalArgumentException("--initrd and --append need --kernel");
            }
            new VmStore(options.paths()).create(b.build());
            spec.commandLine().getOut().println("created " + name);
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            err.println("vmm create: " + e.getMessage());
            return 2;
        }
    }

    /** An initrd file, or multiboot modules "FILE [ARGS],FILE": every file made absolute. */
    static String initrd(String option) {
        if (Files.isRegularFile(Path.of(option))) {
            return Path.of(option).toAbsolutePath().normalize().toString();     // one file, whatever its name
        }
        List<String> entries = new ArrayList<>();
        for (String entry : option.split(",", -1)) {
            String e = entry.strip();
            if (e.isEmpty()) {
                throw new IllegalArgumentException("--initrd '" + option + "': an empty module entry");
            }
            String[] fileAndArgs = e.split("\\s+", 2);
            Path f = file(Path.of(fileAndArgs[0]), "--initrd");
            entries.add(f + (fileAndArgs.length > 1 ? " " + fileAndArgs[1] : ""));
        }
        return String.join(",", entries);
    }

    private static Path file(Path p, String option) {
        if (p == null) {
            return null;
        }
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(option + " " + p + ": " + (Files.exists(p) ? "not a regular file"
                    : "no such file"));
        }
        return p.toAbsolutePath().normalize();
    }
}

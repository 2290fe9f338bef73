package dev.vmm.cli.host;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmm create NAME --memory 256M --disk IMG [--kernel ...]}: stores a VM definition. */
@Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Defines a VM (stored as JSON in $VMM_HOME/vms) for a host to start.",
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

    @Option(names = "--disk", paramLabel = "IMG", description = "Raw disk image on the primary master.")
    private Path disk;

    @Option(names = "--disk-mode", paramLabel = "rw|ro|cow", defaultValue = "cow",
            description = "How guest writes reach the image (default: ${DEFAULT-VALUE}: kept in memory).")
    private String diskMode;

    @Option(names = "--cdrom", paramLabel = "ISO", description = "ISO image on the secondary master.")
    private Path cdrom;

    @Option(names = "--kernel", paramLabel = "FILE", description = "Linux bzImage to boot directly.")
    private Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk for --kernel.")
    private Path initrd;

    @Option(names = "--append", paramLabel = "STRING", description = "Kernel command line for --kernel.")
    private String append;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            VmDefinition def = new VmDefinition(VmDefinition.FORMAT, name, SizeParser.parse(memory, "--memory"),
                    file(disk, "--disk"), diskMode, file(cdrom, "--cdrom"), file(kernel, "--kernel"),
                    file(initrd, "--initrd"), append);
            new VmStore(options.paths()).create(def);
            spec.commandLine().getOut().println("created " + name);
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            err.println("vmm create: " + e.getMessage());
            return 2;
        }
    }

    private static String file(Path p, String option) {
        if (p == null) {
            return null;
        }
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(option + " " + p + ": " + (Files.exists(p) ? "not a regular file"
                    : "no such file"));
        }
        return p.toAbsolutePath().normalize().toString();
    }
}

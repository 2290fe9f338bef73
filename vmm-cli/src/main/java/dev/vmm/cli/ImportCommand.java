package dev.vmm.cli;

import dev.vmm.cli.appliance.ApplianceImport;
import dev.vmm.cli.host.HostOptions;
import dev.vmm.cli.host.VmDefinition;
import dev.vmm.cli.host.VmStore;
import dev.vmm.core.monitor.Sizes;
import dev.vmm.devices.storage.formats.DiskFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmm import FILE.ova [--name NAME]}: an OVA (ours, VirtualBox's) as a new VM. */
@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = {"Imports an OVA appliance as a new VM: verifies every digest of its"
                + " manifest first, converts its disks (kept in $VMM_HOME/vms/NAME/), creates the VM"
                + " definition (vmm start NAME boots it on a host).",
            "A refused or failed import leaves nothing behind."},
        sortOptions = false)
public final class ImportCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private HostOptions options;

    @Parameters(paramLabel = "FILE", description = "The OVA to import.")
    private Path ova;

    @Option(names = "--name", paramLabel = "NAME",
            description = "Name of the new VM (default: the appliance's name).")
    private String name;

    @Option(names = "--disk-format", paramLabel = "qcow2|raw", defaultValue = "qcow2",
            description = "Format of the imported disks (default: ${DEFAULT-VALUE}).")
    private String diskFormat;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try (ProgressBar bar = ProgressBar.onTerminal(err, "importing")) {
            VmStore store = new VmStore(options.paths());
            VmDefinition vm = ApplianceImport.importOva(store, ova, name,
                    DiskFormat.parse(diskFormat), bar);
            bar.finish();
            spec.commandLine().getOut().println("imported " + vm.name() + ": " + vm.cpus()
                    + " CPU(s), " + Sizes.format(vm.memoryBytes()) + ", " + vm.disks().size() + " disk(s)"
                    + (vm.cdrom() != null ? ", CD image" : "")
                    + (vm.kernel() != null ? ", kernel" : "")
                    + (store.suspended(vm.name()) ? "; suspended (vmm start " + vm.name() + " resumes it)" : ""));
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            err.println("vmm import: " + e.getMessage());
            return DiskCommand.EXIT_FAILED;
        }
    }
}

package dev.vmm.cli;

import dev.vmm.cli.appliance.ApplianceExport;
import dev.vmm.cli.host.DefinitionCommands;
import dev.vmm.cli.host.HostOptions;
import dev.vmm.cli.host.VmDefinition;
import dev.vmm.cli.host.VmStore;
import dev.vmm.devices.appliance.OvfDescriptor;
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

/** {@code vmm export NAME -o NAME.ova}: a VM as an OVA that other hypervisors import. */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {"Exports a VM defined with vmm create or vmm import as an OVA appliance (OVF"
                + " descriptor, streamOptimized VMDK disks, manifest).",
            "Example: vmm export web -o web.ova --ovf-version 2.0"},
        sortOptions = false)
public final class ExportCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private HostOptions options;

    @Parameters(paramLabel = "NAME", description = "The VM to export.")
    private String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "The OVA to write (default: NAME.ova).")
    private Path output;

    @Option(names = "--ovf-version", paramLabel = "1.0|2.0", defaultValue = "1.0",
            description = "OVF version of the descriptor (default: ${DEFAULT-VALUE}).")
    private String ovfVersion;

    @Option(names = "--manifest", paramLabel = "sha256|sha1", defaultValue = "sha256",
            description = "Digest of the manifest (default: ${DEFAULT-VALUE}).")
    private String manifest;

    @Option(names = "--include-state",
            description = "Carry the saved state of the suspended VM (vmm suspend NAME), so the imported VM "
                    + "resumes where it was (other hypervisors ignore it).")
    private boolean includeState;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Path out = output != null ? output : Path.of(name + ".ova");
        try (ProgressBar bar = ProgressBar.onTerminal(err, "exporting")) {
            VmStore store = new VmStore(options.paths());
            VmDefinition vm = store.load(name);
            String state = DefinitionCommands.hostStates(options).get(name);
            if (vm.diskMode().equals("rw") && ("running".equals(state) || "paused".equals(state))) {
                err.println("vmm export: " + name + " is " + state + " and writes its disks; stop it first (vmm stop "
                        + name + ")");
                return DiskCommand.EXIT_FAILED;
            }
            OvfDescriptor d = ApplianceExport.export(store, name, out, ovfVersion, manifest, includeState,
                    bar);
            bar.finish();
            spec.commandLine().getOut().println("exported " + d.name() + " to " + out + " ("
                    + d.disks().size() + " disk(s), OVF " + d.ovfVersion()
                    + (d.state() != null ? ", saved state" : "") + ")");
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            err.println("vmm export: " + e.getMessage());
            return DiskCommand.EXIT_FAILED;
        }
    }
}

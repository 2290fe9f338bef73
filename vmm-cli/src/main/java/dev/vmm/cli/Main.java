package dev.vmm.cli;

import java.util.concurrent.Callable;

import dev.vmm.cli.host.ConsoleCommand;
import dev.vmm.cli.host.CreateCommand;
import dev.vmm.cli.host.DefinitionCommands;
import dev.vmm.cli.host.HostClientCommands;
import dev.vmm.cli.host.HostCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code vmm} command: entry point of the launcher script. */
@Command(
        name = "vmm",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "A Type-2 hypervisor with full-system x86 emulation.",
        subcommands = {DisasmCommand.class, RunCommand.class, CreateCommand.class, DefinitionCommands.List.class,
            DefinitionCommands.Delete.class, HostCommand.class, HostClientCommands.Start.class,
            HostClientCommands.Ps.class, HostClientCommands.Pause.class, HostClientCommands.Resume.class,
            HostClientCommands.Stop.class, ConsoleCommand.class, DiskCommand.class, ExportCommand.class, ImportCommand.class,
            ImagesCommand.class, RestoreCommand.class, HostClientCommands.SaveVm.class,
            HostClientCommands.Suspend.class},
        sortOptions = false)
public final class Main implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    /** Builds the command line for {@code vmm}; tests drive it with their own writers. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** Without a subcommand there is nothing to do: show the usage, as a usage error. */
    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        cmd.usage(cmd.getErr());
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }
}

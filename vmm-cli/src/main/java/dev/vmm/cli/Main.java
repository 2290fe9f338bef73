package dev.vmm.cli;

import java.util.Arrays;
import java.util.List;
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

/**
 * The {@code vmm} command: entry point of the launcher script. Its subcommands are added by
 * {@link #commandLine(String[])}, not by its annotation: use that, not {@code new CommandLine(new Main())}.
 */
@Command(
        name = "vmm",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "A Type-2 hypervisor with full-system x86 emulation.",
        sortOptions = false)
public final class Main implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    /** The subcommands, in the order the usage lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(DisasmCommand.class, RunCommand.class, CreateCommand.class,
            DefinitionCommands.List.class, DefinitionCommands.Delete.class, HostCommand.class,
            HostClientCommands.Start.class, HostClientCommands.Ps.class, HostClientCommands.Pause.class,
            HostClientCommands.Resume.class, HostClientCommands.Stop.class, ConsoleCommand.class, DiskCommand.class,
            ExportCommand.class, ImportCommand.class, ImagesCommand.class, RestoreCommand.class,
            HostClientCommands.SaveVm.class, HostClientCommands.Suspend.class);

    /** Builds the command line for {@code vmm} with every subcommand; tests drive it with their own writers. */
    public static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * Builds the command line for {@code vmm} to run {@code args}: with only the subcommand that
     * {@code args[0]} names, if it names one, else with all of them (for the usage, which a
     * mistyped name's error shows too). Picocli reflects over each command it is given: all of them
     * took about 0.15 s more than {@code run} alone, at the start of every boot.
     */
    public static CommandLine commandLine(String[] args) {
        CommandLine cmd = new CommandLine(new Main());
        Class<?> named = args.length == 0 ? null : SUBCOMMANDS.stream()
                .filter(c -> names(c).contains(args[0])).findFirst().orElse(null);
        for (Class<?> c : SUBCOMMANDS) {
            if (named == null || c == named) {
                cmd.addSubcommand(c);
            }
        }
        return cmd;
    }

    /** The name and aliases of a subcommand, from its annotation. */
    private static List<String> names(Class<?> command) {
        Command c = command.getAnnotation(Command.class);
        List<String> names = new java.util.ArrayList<>(Arrays.asList(c.aliases()));
        names.add(c.name());
        return names;
    }

    public static void main(String[] args) {
        System.exit(commandLine(args).execute(args));
    }

    /** Without a subcommand there is nothing to do: show the usage, as a usage error. */
    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        cmd.usage(cmd.getErr());
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }
}

package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

class MainTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    @Test
    void versionPrintsProjectVersion() {
        int code = run("--version");
        assertEquals(0, code);
        String version = out.toString().strip();
        assertTrue(version.matches("vmm \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), version);
        assertEquals("", err.toString());
    }

    @Test
    void helpExitsZero() {
        int code = run("--help");
        assertEquals(0, code);
        assertTrue(out.toString().contains("Usage: vmm"), out::toString);
    }

    @Test
    void unknownOptionIsUsageError() {
        int code = run("--no-such-option");
        assertEquals(2, code);
        assertTrue(err.toString().contains("Unknown option: '--no-such-option'"), err::toString);
        assertEquals("", out.toString());
    }

    @Test
    void noSubcommandShowsUsageAsError() {
        int code = run();
        assertEquals(2, code);
        assertTrue(err.toString().contains("Usage: vmm"), err::toString);
    }

    @Test
    void aNamedSubcommandIsTheOnlyOneBuiltAndParsesAsWithAll() {
        String[] args = {"run", "--kernel", "k", "--memory", "64M", "--deterministic"};
        CommandLine only = Main.commandLine(args);
        assertEquals(java.util.Set.of("run"), only.getSubcommands().keySet());
        CommandLine all = Main.commandLine();
        assertEquals(Main.SUBCOMMANDS.size(), all.getSubcommands().size());
        CommandLine.ParseResult a = only.parseArgs(args).subcommand();
        CommandLine.ParseResult b = all.parseArgs(args).subcommand();
        assertEquals(b.matchedOptions().stream().map(o -> o.longestName() + "=" + o.getValue()).toList(),
                a.matchedOptions().stream().map(o -> o.longestName() + "=" + o.getValue()).toList());
    }

    @Test
    void anUnknownNameIsAUsageErrorWhoseUsageListsEverySubcommand() {
        CommandLine cmd = Main.commandLine(new String[] {"rn"});
        assertEquals(Main.SUBCOMMANDS.size(), cmd.getSubcommands().size());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        assertEquals(2, cmd.execute("rn"));
        assertTrue(err.toString().contains("Unmatched argument at index 0: 'rn'"), err::toString);
        for (Class<?> c : Main.SUBCOMMANDS) {
            String name = c.getAnnotation(CommandLine.Command.class).name();
            assertTrue(err.toString().contains("  " + name + " "), name + " in " + err);
        }
    }

    @Test
    void helpListsEverySubcommand() {
        assertEquals(0, run("--help"));
        for (Class<?> c : Main.SUBCOMMANDS) {
            String name = c.getAnnotation(CommandLine.Command.class).name();
            assertTrue(out.toString().contains(name), name + " in " + out);
        }
    }
}

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
}

package dev.vmm.cli.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmm.core.monitor.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The small commands that send one request to a running host: start, ps, pause, resume, stop, suspend. */
public final class HostClientCommands {
    /** Exit status when the host refused a request or is not running. */
    static final int EXIT_REFUSED = 1;

    private HostClientCommands() {
    }

    /** Sends {@code request} and returns the reply's JSON, or prints the refusal and returns null. */
    static JsonNode ask(HostOptions options, CommandSpec spec, ObjectNode request) {
        PrintWriter err = spec.commandLine().getErr();
        try (ControlClient c = ControlClient.connect(options.paths().socket())) {
            JsonNode reply = c.request(request);
            if (!reply.path("ok").asBoolean()) {
                err.println("vmm " + spec.name() + ": " + reply.path("error").asText("refused"));
                return null;
            }
            return reply;
        } catch (IOException e) {
            err.println("vmm " + spec.name() + ": " + e.getMessage());
            return null;
        }
    }

    /** {@code vmm start NAME}. */
    @Command(name = "start", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Starts a defined VM on the running host.",
                "A suspended VM resumes where it was, from its saved state (which is then discarded)."})
    public static final class Start implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Mixin
        private HostOptions options;
        @Parameters(index = "0", paramLabel = "NAME")
        private String name;
        @Option(names = "--cpu-weight", paramLabel = "W", defaultValue = "1",
                description = "Proportional CPU share, 1-10000 (default: ${DEFAULT-VALUE}).")
        private int weight;
        @Option(names = "--cpu-cap", paramLabel = "P", defaultValue = "0",
                description = "Most of one core it may use, in percent (1-100; 0: no cap, the default).")
        private int cap;
        @Option(names = "--discard-state", description = "Boot a suspended VM afresh, dropping its saved state.")
        private boolean discardState;

        @Override
        public Integer call() {
            ObjectNode r = ControlClient.request("start").put("name", name).put("cpuWeight", weight)
                    .put("cpuCap", cap).put("discardState", discardState);
            return printed(spec, ask(options, spec, r));
        }
    }

    /** {@code vmm ps}. */
    @Command(name = "ps", mixinStandardHelpOptions = true, description = "Lists the host's VMs: state, memory, CPU.")
    public static final class Ps implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Mixin
        private HostOptions options;

        @Override
        public Integer call() {
            JsonNode reply = ask(options, spec, ControlClient.request("list"));
            if (reply == null) {
                return EXIT_REFUSED;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-16s %-9s %10s %10s %8s %6s %6s  %s%n", "NAME", "STATE", "RESERVED", "TOUCHED", "CPU-S",
                    "CPU%", "WEIGHT", "CAP");
            for (JsonNode v : reply.path("vms")) {
                out.printf(Locale.ROOT, "%-16s %-9s %10s %10s %8.1f %6s %6d  %s%s%n", v.path("name").asText(),
                        v.path("state").asText(), Sizes.format(v.path("reservedBytes").asLong()),
                        Sizes.format(v.path("residentBytes").asLong()), v.path("cpuNanos").asLong() / 1e9,
                        v.has("cpuPercent") ? v.path("cpuPercent").asText() : "-", v.path("cpuWeight").asInt(),
                        v.path("cpuCap").asInt() == 0 ? "-" : v.path("cpuCap").asInt() + "%",
                        v.has("reason") ? "  (" + v.path("reason").asText() + ")" : "");
            }
            JsonNode pool = reply.path("pool");
            out.printf("pool: %s of %s reserved%n", Sizes.format(pool.path("usedBytes").asLong()),
                    Sizes.format(pool.path("budgetBytes").asLong()));
            out.flush();
            return 0;
        }
    }

    /** The host's reply: its output printed (if it has one); the exit status. */
    private static int printed(CommandSpec spec, JsonNode reply) {
        if (reply == null) {
            return EXIT_REFUSED;
        }
        if (reply.has("output")) {
            spec.commandLine().getOut().println(reply.path("output").asText());
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /** The request of {@code pause}, {@code resume}, {@code suspend} and {@code stop}: an op and a name. */
    abstract static class NamedOp implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Mixin
        private HostOptions options;
        @Parameters(index = "0", paramLabel = "NAME")
        private String name;

        @Override
        public Integer call() {
            return printed(spec, ask(options, spec, ControlClient.request(spec.name()).put("name", name)));
        }
    }

    /** {@code vmm pause NAME}. */
    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Takes a VM off the CPU (its memory stays, its guest time stops).")
    public static final class Pause extends NamedOp {
    }

    /** {@code vmm resume NAME}. */
    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Lets a paused VM run again.")
    public static final class Resume extends NamedOp {
    }

    /** {@code vmm savevm NAME FILE}. */
    @Command(name = "savevm", mixinStandardHelpOptions = true,
            description = "Saves a VM of the running host to a snapshot file (vmm restore FILE resumes it); "
                    + "the VM goes on.")
    public static final class SaveVm implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Mixin
        private HostOptions options;
        @Parameters(index = "0", paramLabel = "NAME")
        private String name;
        @Parameters(index = "1", paramLabel = "FILE")
        private java.nio.file.Path file;

        @Override
        public Integer call() {
            return printed(spec, ask(options, spec, ControlClient.request("savevm").put("name", name)
                    .put("file", file.toAbsolutePath().toString())));
        }
    }

    /** {@code vmm suspend NAME}. */
    @Command(name = "suspend", mixinStandardHelpOptions = true,
            description = {"Saves a VM's state into its directory ($VMM_HOME/vms/NAME/state.vmmsnap) and stops it; "
                + "its memory returns to the pool.", "vmm start NAME resumes it where it was."})
    public static final class Suspend extends NamedOp {
    }

    /** {@code vmm stop NAME}. */
    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stops a VM at once (as pulling the plug); its memory returns to the pool.")
    public static final class Stop extends NamedOp {
    }
}

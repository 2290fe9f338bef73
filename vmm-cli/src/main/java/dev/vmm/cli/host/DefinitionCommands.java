package dev.vmm.cli.host;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vmm.core.monitor.Sizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmm list} and {@code vmm delete}: the stored definitions, with the host's view when one runs. */
public final class DefinitionCommands {
    private DefinitionCommands() {
    }

    /** The states of the VMs of the host on {@code options}' socket; empty if no host runs there. */
    static Map<String, String> hostStates(HostOptions options) throws IOException {
        Map<String, String> states = new HashMap<>();
        try (ControlClient c = ControlClient.connect(options.paths().socket())) {
            JsonNode reply = c.request(ControlClient.request("list"));
            for (JsonNode v : reply.path("vms")) {
                states.put(v.path("name").asText(), v.path("state").asText());
            }
        } catch (ControlClient.NoHost e) {
            // no host: nothing runs
        }
        return states;
    }

    /** {@code vmm list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the defined VMs (and their state on the host, if one runs).")
    public static final class List implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Mixin
        private HostOptions options;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                Map<String, String> states = hostStates(options);
                out.printf("%-16s %8s  %-9s %s%n", "NAME", "MEMORY", "STATE", "BOOT");
                for (VmDefinition d : new VmStore(options.paths()).list()) {
                    String boot = d.kernel() != null ? "kernel " + d.kernel() : "disk " + d.disk();
                    out.printf("%-16s %8s  %-9s %s%n", d.name(), Sizes.format(d.memoryBytes()),
                            states.getOrDefault(d.name(), "-"), boot);
                }
                out.flush();
                return 0;
            } catch (IOException | IllegalArgumentException e) {
                spec.commandLine().getErr().println("vmm list: " + e.getMessage());
                return 2;
            }
        }
    }

    /** {@code vmm delete NAME}. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Removes a VM definition (refused while the VM runs; its disk images stay).")
    public static final class Delete implements Callable<Integer> {
        @Spec
        private CommandSpec spec;
        @Mixin
        private HostOptions options;
        @Parameters(index = "0", paramLabel = "NAME")
        private String name;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            try {
                VmStore store = new VmStore(options.paths());
                if (!store.exists(name)) {
                    err.println("vmm delete: no VM named " + name);
                    return 2;
                }
                String state = hostStates(options).get(name);
                if ("running".equals(state) || "paused".equals(state) || "created".equals(state)) {
                    err.println("vmm delete: " + name + " is " + state + "; stop it first (vmm stop " + name + ")");
                    return HostClientCommands.EXIT_REFUSED;
                }
                store.delete(name);
                spec.commandLine().getOut().println("deleted " + name);
                return 0;
            } catch (IOException | IllegalArgumentException e) {
                err.println("vmm delete: " + e.getMessage());
                return 2;
            }
        }
    }
}

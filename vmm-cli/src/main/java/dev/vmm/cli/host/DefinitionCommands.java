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
    public static Map<String, String> hostStates(HostOptions options) throws IOException {
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
                VmStore store = new VmStore(options.paths());
                for (VmDefinition d : store.list()) {
                    String boot = bootOf(d);
                    out.printf("%-16s %8s  %-9s %s%n", d.name(), Sizes.format(d.memoryBytes()),
                            SavedStates.state(store, d.name(), states.get(d.name())), boot);
                }
                out.flush();
                return 0;
            } catch (IOException | IllegalArgumentException e) {
                spec.commandLine().getErr().println("vmm list: " + e.getMessage());
                return 2;
            }
        }
    }

    /** What {@code d} boots, for {@code vmm list}. */
    static String bootOf(VmDefinition d) {
        if (d.kernel() != null) {
            return "kernel " + d.kernel();
        }
        if (d.bios() != null) {
            return "bios " + d.bios();
        }
        boolean cdFirst = d.disks().isEmpty() || d.boot() != null && d.boot().toLowerCase(java.util.Locale.ROOT)
                .startsWith("d");
        return cdFirst && d.cdrom() != null ? "cdrom " + d.cdrom() : "disk " + d.disks().getFirst();
    }

    /** {@code vmm delete NAME}. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Removes a VM definition (refused while the VM runs).",
                "Disk images named with vmm create stay; the VM's own files in $VMM_HOME/vms/NAME/ go (an imported "
                    + "VM's disks, the overlays of its saves, its saved state)."})
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

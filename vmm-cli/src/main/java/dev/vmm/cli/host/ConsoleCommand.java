package dev.vmm.cli.host;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vmm.cli.console.EscapeFilter;
import dev.vmm.cli.monitor.MonitorCommands;
import dev.vmm.cli.monitor.MonitorConsole;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.NonBlockingInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmm console NAME}: the serial console of a host's VM on this terminal (raw mode). Ctrl-A d
 * (or Ctrl-A x) detaches and leaves the VM running, Ctrl-A c opens the VM's monitor, Ctrl-A h
 * helps. {@code vmm console --monitor NAME}: the monitor prompt alone.
 */
@Command(name = "console", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Attaches to a host VM's serial console (Ctrl-A d detaches, the VM goes on),",
                "or with --monitor to its monitor (help lists the commands)."})
public final class ConsoleCommand implements Callable<Integer> {
    static final String HELP = """
            C-a h    print this help\r
            C-a d    detach (the VM goes on running)\r
            C-a x    detach too\r
            C-a c    the VM's monitor (C-a c again to come back)\r
            C-a C-a  send C-a to the guest\r
            """;

    @Spec
    private CommandSpec spec;

    @Mixin
    private HostOptions options;

    @Parameters(index = "0", paramLabel = "NAME")
    private String name;

    @Option(names = "--monitor", description = "The monitor prompt instead of the serial console.")
    private boolean monitor;

    /** The terminal to use; tests set one over streams. */
    Terminal terminal;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Path socket = options.paths().socket();
        try (ControlClient control = ControlClient.connect(socket)) {
            Terminal t = terminal != null ? terminal : TerminalBuilder.builder().name("vmm console").system(true).build();
            try {
                MonitorConsole prompt = new MonitorConsole(t, line -> monitorLine(control, line), () -> { });
                if (monitor) {
                    JsonNode check = control.request(ControlClient.request("monitor").put("name", name)
                            .put("line", "info status"));
                    if (!check.path("ok").asBoolean()) {
                        err.println("vmm console: " + check.path("error").asText());
                        return HostClientCommands.EXIT_REFUSED;
                    }
                    prompt.run();
                    return 0;
                }
                try (ControlClient serial = ControlClient.connect(socket)) {
                    JsonNode reply = serial.request(ControlClient.request("console").put("name", name));
                    if (!reply.path("ok").asBoolean()) {
                        err.println("vmm console: " + reply.path("error").asText());
                        return HostClientCommands.EXIT_REFUSED;
                    }
                    new Session(t, serial, prompt).run();
                    return 0;
                }
            } finally {
                if (terminal == null) {
                    t.close();
                }
            }
        } catch (IOException e) {
            err.println("vmm console: " + e.getMessage());
            return HostClientCommands.EXIT_REFUSED;
        }
    }

    /** One monitor line over the control connection; relative file names are made absolute here. */
    private MonitorCommands.Reply monitorLine(ControlClient control, String line) {
        try {
            JsonNode r = control.request(ControlClient.request("monitor").put("name", name)
                    .put("line", absolutePaths(line)));
            if (!r.path("ok").asBoolean()) {
                return new MonitorCommands.Reply(r.path("error").asText() + "\n", true);
            }
            return new MonitorCommands.Reply(r.path("output").asText(), r.path("quit").asBoolean());
        } catch (IOException e) {
            return new MonitorCommands.Reply("vmm console: " + e.getMessage() + "\n", true);
        }
    }

    /**
     * {@code screendump FILE}, {@code savevm FILE}: the host writes the file, so a relative name is
     * resolved against our directory.
     */
    static String absolutePaths(String line) {
        String[] w = line.strip().split("\\s+");
        if (w.length == 2 && (w[0].equals("screendump") || w[0].equals("screenshot") || w[0].equals("savevm"))) {
            return w[0] + " " + Path.of(w[1]).toAbsolutePath();
        }
        return line;
    }

    /** The attached serial console: guest output to the terminal, keystrokes through the escape filter. */
    static final class Session implements EscapeFilter.Target {
        private final Terminal terminal;
        private final ControlClient serial;
        private final MonitorConsole prompt;
        private final Object outLock = new Object();
        private volatile boolean detached;
        private boolean holding;
        private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();

        Session(Terminal terminal, ControlClient serial, MonitorConsole prompt) {
            this.terminal = terminal;
            this.serial = serial;
            this.prompt = prompt;
        }

        void run() throws IOException {
            Attributes saved = terminal.enterRawMode();
            Attributes raw = terminal.getAttributes();
            raw.setLocalFlag(Attributes.LocalFlag.ISIG, false);
            terminal.setAttributes(raw);
            Thread output = Thread.ofVirtual().name("vmm-console-output").start(this::pumpOutput);
            try {
                EscapeFilter filter = new EscapeFilter(this);
                InputStream in = terminal.input();
                byte[] one = new byte[1];
                while (!detached && output.isAlive()) {
                    int c = in instanceof NonBlockingInputStream nb ? nb.read(100) : in.read();
                    if (c == NonBlockingInputStream.READ_EXPIRED) {
                        continue;
                    }
                    if (c < 0) {
                        break;
                    }
                    one[0] = (byte) c;
                    filter.feed(one, 0, 1);
                }
            } finally {
                detached = true;
                serial.close();
                try {
                    output.join(java.time.Duration.ofSeconds(2));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                terminal.setAttributes(saved);
                message("\r\n");
            }
        }

        private void pumpOutput() {
            InputStream in = serial.input();
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (outLock) {
                        if (holding) {
                            if (held.size() < (1 << 20)) {
                                held.write(buf, 0, n);
                            }
                        } else {
                            terminal.output().write(buf, 0, n);
                            terminal.output().flush();
                        }
                    }
                }
            } catch (IOException e) {
                // detached, or the host went away
            }
            if (!detached) {
                message("\r\nvmm console: the host closed the console\r\n");
            }
        }

        private void message(String s) {
            synchronized (outLock) {
                try {
                    OutputStream out = terminal.output();
                    out.write(s.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException e) {
                    // the terminal is gone
                }
            }
        }

        @Override
        public void toGuest(byte[] data, int off, int len) {
            try {
                serial.output().write(data, off, len);
                serial.output().flush();
            } catch (IOException e) {
                detached = true;
            }
        }

        @Override
        public void quit() {
            detach();
        }

        @Override
        public void detach() {
            message("\r\nvmm console: detached (the VM goes on running)\r\n");
            detached = true;
        }

        @Override
        public void monitor() {
            synchronized (outLock) {
                holding = true;
            }
            try {
                if (prompt.run() == MonitorConsole.Outcome.QUIT) {
                    detached = true;
                }
            } finally {
                synchronized (outLock) {
                    holding = false;
                    try {
                        terminal.output().write(held.toByteArray());
                        terminal.output().flush();
                    } catch (IOException e) {
                        // the terminal is gone
                    }
                    held.reset();
                }
            }
        }

        @Override
        public void help() {
            message("\r\n" + HELP);
        }

        @Override
        public void sendBreak() {
            // a break does not cross the control socket (yet)
        }
    }
}

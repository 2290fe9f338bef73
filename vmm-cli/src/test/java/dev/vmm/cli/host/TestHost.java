package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine;

/**
 * A host started with {@code vmm host} on a data directory and a socket of a test, and the CLI
 * against it as a user would drive it: {@link #vmm} runs one command and keeps its output.
 */
public final class TestHost implements AutoCloseable {
    /** Each task on a thread of its own (the common pool may have a single thread here). */
    public static final Executor NEW_THREAD = r -> Thread.ofPlatform().daemon(true).start(r);

    public final Path home;
    public final Path socket;
    public final StringWriter out = new StringWriter();
    public final StringWriter err = new StringWriter();
    private final CompletableFuture<Integer> host;

    /** Starts a host on {@code home} and {@code socket} with a memory pool of {@code pool}, two workers. */
    public TestHost(Path home, Path socket, String pool) throws InterruptedException {
        this.home = home;
        this.socket = socket;
        host = CompletableFuture.supplyAsync(() -> {
            CommandLine cmd = Main.commandLine();
            cmd.setOut(new PrintWriter(new StringWriter(), true));
            return cmd.execute("host", "--home=" + home, "--socket", socket.toString(), "--memory-pool", pool,
                    "--workers", "2");
        }, NEW_THREAD);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!ControlClient.answers(socket)) {
            assertTrue(System.nanoTime() < deadline, "the host did not come up");
            Thread.sleep(10);
        }
    }

    /** Runs {@code vmm COMMAND --home=HOME --socket SOCKET ARGS...}; its output is in {@link #out} and {@link #err}. */
    public int vmm(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 3];
        all[0] = args[0];
        all[1] = "--home=" + home;
        all[2] = "--socket";
        all[3] = socket.toString();
        System.arraycopy(args, 1, all, 4, args.length - 1);
        return cmd.execute(all);
    }

    public VmStore store() {
        return new VmStore(new VmmPaths(home, socket));
    }

    /** A console on VM {@code name}'s COM1 (the output since the VM started comes first). */
    public Console console(String name) throws IOException {
        return new Console(name);
    }

    /** What VM {@code name}'s COM1 shows, up to and including {@code text} (bounded by a generous timeout). */
    public String serialUntil(String name, String text) throws Exception {
        try (Console c = console(name)) {
            return c.until(text);
        }
    }

    /** An attached console: reads the VM's output in the background. */
    public final class Console implements AutoCloseable {
        private final String name;
        private final ControlClient client;
        private final ByteArrayOutputStream got = new ByteArrayOutputStream();
        private final CompletableFuture<Void> reader;

        private Console(String name) throws IOException {
            this.name = name;
            client = ControlClient.connect(socket);
            assertTrue(client.request(ControlClient.request("console").put("name", name)).path("ok").asBoolean(),
                    "console " + name);
            InputStream in = client.input();
            reader = CompletableFuture.runAsync(() -> {
                byte[] buf = new byte[256];
                try {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        synchronized (got) {
                            got.write(buf, 0, n);
                            got.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the connection closed
                } finally {
                    synchronized (got) {
                        got.notifyAll();
                    }
                }
            }, NEW_THREAD);
        }

        /** Types {@code keys} on the VM's COM1. */
        public void type(String keys) throws IOException {
            client.output().write(keys.getBytes(StandardCharsets.ISO_8859_1));
            client.output().flush();
        }

        /** Everything so far. */
        public String text() {
            synchronized (got) {
                return got.toString(StandardCharsets.ISO_8859_1);
            }
        }

        /** Waits until the output contains {@code text} (120 s at most) and returns all of it. */
        public String until(String text) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            synchronized (got) {
                while (!text().contains(text)) {
                    if (reader.isDone()) {
                        throw new AssertionError("end of " + name + "'s console before '" + text + "': " + text());
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError(name + " did not write '" + text + "'; it wrote: " + text());
                    }
                    got.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
                return text();
            }
        }

        /** Waits until the host closes the console (the VM stopped) and returns all it showed. */
        public String untilEnd() throws Exception {
            try {
                reader.get(120, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError(name + "'s console did not end; it showed: " + text(), e);
            }
            return text();
        }

        @Override
        public void close() throws IOException {
            client.close();
        }
    }

    /** Asks the host to shut down and waits for it. */
    @Override
    public void close() throws IOException {
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(c.request(ControlClient.request("shutdown")).path("ok").asBoolean());
        }
        try {
            assertEquals(0, host.get(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for the host", e);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            throw new AssertionError("the host did not stop", e);
        }
    }
}

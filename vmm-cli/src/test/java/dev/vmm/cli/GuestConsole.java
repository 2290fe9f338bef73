package dev.vmm.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import picocli.CommandLine;

/**
 * {@code vmm run} in-process with COM1 on a terminal over test streams, driven like a person at the keyboard:
 * wait for a pattern, type a command, read its output. Everything the guest prints is also copied to a log
 * file. A run that ends, or a guest kernel panic, fails the wait at once with the end of the output.
 */
final class GuestConsole implements AutoCloseable {

    /** The shell prompt of the guest images: user@host:directory# (hostname vmm). */
    static final Pattern PROMPT = Pattern.compile("root@vmm:[^\r\n]*# ");
    private static final String ECHOED_MARKER = "echo \"__EN\"\"D__$?\"";
    private static final Pattern END = Pattern.compile("__END__(\\d+)\r*\n");
    private static final String PANIC = "Kernel panic - not syncing";

    private final Screen screen;
    private final PipedOutputStream keys;
    private final Terminal terminal;
    private final StringWriter err = new StringWriter();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private int mark;

    private GuestConsole(Path log, List<String> args) throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        screen = new Screen(Files.newOutputStream(log));
        keys = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(keys, 4096);
        Attributes cooked = new Attributes();
        cooked.setLocalFlags(EnumSet.of(LocalFlag.ICANON, LocalFlag.ECHO, LocalFlag.ISIG), true);
        terminal = TerminalBuilder.builder().system(false).type("vt100").streams(in, screen).attributes(cooked)
                .build();
        CommandLine cmd = new CommandLine(new RunCommand().onTerminal(terminal));
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        cmd.setErr(new PrintWriter(err, true));
        String[] argv = args.toArray(String[]::new);
        Thread.ofPlatform().name("vmm-run").daemon().start(() -> {
            try {
                exit.complete(cmd.execute(argv));
            } catch (Throwable t) {
                exit.completeExceptionally(t);
            }
        });
    }

    /** Starts {@code vmm run ARGS} ({@code --serial stdio}, the default, is this console). */
    static GuestConsole start(Path log, List<String> args) throws IOException {
        return new GuestConsole(log, args);
    }

    /** Waits for {@code p} in the output after the last match; returns the text before it. */
    String expect(Pattern p, Duration timeout) {
        return expectMatch(p, timeout).before();
    }

    private record Found(String before, Matcher m) {
    }

    private Found expectMatch(Pattern p, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (screen) {
            while (true) {
                String text = screen.text(mark);
                Matcher m = p.matcher(text);
                if (m.find()) {
                    mark += m.end();
                    return new Found(text.substring(0, m.start()), m);
                }
                if (text.contains(PANIC)) {
                    waitQuietly(2000);       // the rest of the panic message
                    throw failure("the guest kernel panicked while waiting for '" + p + "'");
                }
                if (exit.isDone()) {
                    throw failure("vmm run ended with status " + exitText() + " while waiting for '" + p + "'");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw failure("no '" + p + "' within " + timeout);
                }
                waitQuietly(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 500));
            }
        }
    }

    private void waitQuietly(long millis) {
        try {
            screen.wait(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Types {@code command}, waits for it to end and for the prompt; returns its output (CRs removed). */
    String run(String command, Duration timeout) {
        type(command + "; " + ECHOED_MARKER + "\r");     // the echoed line does not match __END__
        Found f = expectMatch(END, timeout);
        expect(PROMPT, timeout);
        // Drop the echo of the command line (the shell may wrap it over several lines): up to its end marker.
        String out = f.before().replace("\r", "");
        int echo = out.lastIndexOf(ECHOED_MARKER);
        int nl = out.indexOf('\n', Math.max(echo, 0));
        out = nl < 0 ? "" : out.substring(nl + 1);
        if (!f.m().group(1).equals("0")) {
            throw new AssertionError("'" + command + "' exited with status " + f.m().group(1) + ":\n" + out);
        }
        return out;
    }

    void type(String text) {
        try {
            keys.write(text.getBytes(StandardCharsets.UTF_8));
            keys.flush();
        } catch (IOException e) {
            throw new AssertionError("typing to the guest: " + e.getMessage(), e);
        }
    }

    /** Waits for {@code vmm run} to end; returns its exit status. */
    int awaitExit(Duration timeout) {
        try {
            return exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw failure("vmm run did not end within " + timeout);
        } catch (ExecutionException e) {
            throw new AssertionError("vmm run threw", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** What vmm printed on stderr. */
    String errors() {
        return err.toString();
    }

    private String exitText() {
        try {
            return String.valueOf(exit.getNow(null));
        } catch (RuntimeException e) {
            return "(threw " + e.getCause() + ")";
        }
    }

    private AssertionError failure(String what) {
        String text = screen.text(0);
        String tail = text.substring(Math.max(0, text.length() - 3000));
        return new AssertionError(what + "\n--- vmm stderr:\n" + err + "\n--- last console output:\n" + tail);
    }

    /** Ctrl-A x when the run is still going (a failed test), then closes the terminal. */
    @Override
    public void close() throws IOException {
        if (!exit.isDone()) {
            type("\u0001x");
            try {
                exit.get(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // reported by the test's own failure
            }
        }
        keys.close();
        terminal.close();
        screen.close();
    }

    /** The guest's output: kept for matching and copied to the log. */
    private static final class Screen extends OutputStream {
        private final OutputStream log;
        private byte[] buf = new byte[1 << 16];
        private int len;

        Screen(OutputStream log) {
            this.log = log;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int n) throws IOException {
            if (len + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
            System.arraycopy(b, off, buf, len, n);
            len += n;
            log.write(b, off, n);
            notifyAll();
        }

        @Override
        public synchronized void flush() throws IOException {
            log.flush();
        }

        synchronized String text(int from) {
            return new String(buf, from, len - from, StandardCharsets.ISO_8859_1);
        }

        @Override
        public synchronized void close() throws IOException {
            log.close();
        }
    }
}

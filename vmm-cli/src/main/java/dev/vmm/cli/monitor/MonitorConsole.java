package dev.vmm.cli.monitor;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jline.keymap.KeyMap;
import org.jline.reader.Binding;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.Reference;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.history.DefaultHistory;
import org.jline.terminal.Terminal;

/**
 * The {@code (vmm)} prompt on a terminal, as QEMU's monitor: jline line editing with history
 * (kept across visits), tab completion of commands and {@code info} topics, and {@code help}.
 * Ctrl-A c goes back to the serial console (as does Ctrl-D on an empty line), Ctrl-A x ends the VM,
 * as on the serial console. Commands go to a function (a {@link MonitorCommands} in {@code vmm run},
 * the host's control API in {@code vmm console --monitor}).
 */
public final class MonitorConsole {
    /** The prompt, as QEMU's {@code (qemu)}. */
    public static final String PROMPT = "(vmm) ";
    static final String BANNER = "vmm monitor - type 'help' for more information, Ctrl-A c to return";

    /** Why {@link #run} returned. */
    public enum Outcome {
        /** Ctrl-A c or Ctrl-D: back to the serial console, the VM goes on. */
        CONSOLE,
        /** {@code quit} or Ctrl-A x: the VM ends. */
        QUIT
    }

    private final Terminal terminal;
    private final Function<String, MonitorCommands.Reply> commands;
    private final Runnable quit;
    private final DefaultHistory history = new DefaultHistory();
    private LineReader reader;
    private Outcome escape;

    /**
     * @param commands runs one line (on the console's thread)
     * @param quit     runs on Ctrl-A x
     */
    public MonitorConsole(Terminal terminal, Function<String, MonitorCommands.Reply> commands, Runnable quit) {
        this.terminal = terminal;
        this.commands = commands;
        this.quit = quit;
    }

    private LineReader reader() {
        if (reader == null) {
            LineReader r = LineReaderBuilder.builder().terminal(terminal).appName("vmm").history(history)
                    .completer(new Words()).variable(LineReader.HISTORY_SIZE, 500)
                    .variable(LineReader.AMBIGUOUS_BINDING, 500L).build();
            r.setOpt(LineReader.Option.DISABLE_EVENT_EXPANSION);
            r.getWidgets().put("vmm-console", () -> escape(r, Outcome.CONSOLE));
            r.getWidgets().put("vmm-quit", () -> escape(r, Outcome.QUIT));
            KeyMap<Binding> main = r.getKeyMaps().get(LineReader.MAIN);
            main.bind(new Reference("vmm-console"), "\u0001c", "\u0001C");
            main.bind(new Reference("vmm-quit"), "\u0001x", "\u0001X");
            reader = r;
        }
        return reader;
    }

    private boolean escape(LineReader r, Outcome outcome) {
        escape = outcome;
        r.getBuffer().clear();
        r.callWidget(LineReader.ACCEPT_LINE);
        return true;
    }

    /** Reads and runs commands until the user goes back to the console or the VM ends. */
    public Outcome run() {
        PrintWriter out = terminal.writer();
        out.print("\r\n" + BANNER + "\r\n");
        out.flush();
        LineReader r = reader();
        while (true) {
            escape = null;
            String line;
            try {
                line = r.readLine(PROMPT);
            } catch (UserInterruptException e) {
                continue;                       // Ctrl-C: drop the line, as a shell does
            } catch (EndOfFileException e) {
                return Outcome.CONSOLE;
            }
            if (escape == Outcome.QUIT) {
                quit.run();
                return Outcome.QUIT;
            }
            if (escape != null) {
                out.print("\r\n");
                out.flush();
                return escape;
            }
            MonitorCommands.Reply reply = commands.apply(line);
            out.print(reply.text().replace("\n", "\r\n"));
            out.flush();
            if (reply.quit()) {
                return Outcome.QUIT;
            }
        }
    }

    /** Completes the first word from the commands, the second of {@code info} and {@code help}. */
    private static final class Words implements Completer {
        @Override
        public void complete(LineReader reader, org.jline.reader.ParsedLine line, List<Candidate> candidates) {
            List<String> before = new ArrayList<>(line.words().subList(0, line.wordIndex()));
            for (String w : MonitorCommands.candidates(before)) {
                candidates.add(new Candidate(w));
            }
        }
    }
}

package dev.vmm.cli.monitor;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.vga.Screenshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's command language, as in QEMU's human monitor: one line in, text out. No terminal
 * here: the console ({@link MonitorConsole}) and the host's control API feed it lines, and tests
 * call {@link #execute} directly. Anything that reads or changes the machine runs with the vCPU
 * held at an instruction boundary ({@link dev.vmm.devices.board.VcpuGate}), so it is safe while
 * the guest runs on another thread.
 */
public final class MonitorCommands {
    private static final Logger log = LoggerFactory.getLogger(MonitorCommands.class);

    /**
     * What a command printed, and whether the monitor session ends.
     *
     * @param text the output, lines ended by {@code \n} (empty for none)
     * @param quit true after {@code quit}: the VM is ending
     */
    public record Reply(String text, boolean quit) {
        static Reply of(String text) {
            return new Reply(text.isEmpty() || text.endsWith("\n") ? text : text + "\n", false);
        }
    }

    /** A refusal: one line saying what is wrong. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** Command names and their one-line help, in the order {@code help} lists them. */
    private static final Map<String, String> HELP = new LinkedHashMap<>();

    static {
        HELP.put("help", "help [command]             list the commands, or explain one");
        HELP.put("info", "info status|registers|mem|devices   show the VM's state");
        HELP.put("x", "x/FMT ADDR                 dump memory at a linear address (FMT: count, format x d u o c i, "
                + "unit b h w g; x/10i $pc disassembles)");
        HELP.put("xp", "xp/FMT ADDR                the same at a physical address");
        HELP.put("stop", "stop                       pause the guest at an instruction boundary");
        HELP.put("cont", "cont | c                   let a paused guest run again");
        HELP.put("step", "step [N] | s [N]           execute N instructions (default 1) of a paused guest");
        HELP.put("screendump", "screendump FILE.png        write the VGA text screen as a PNG (alias: screenshot)");
        HELP.put("savevm", "savevm FILE                save the VM to a snapshot file (vmm restore FILE resumes it); "
                + "the VM goes on");
        HELP.put("system_reset", "system_reset               reset the machine (reboot)");
        HELP.put("system_powerdown", "system_powerdown           press the ACPI power button");
        HELP.put("quit", "quit | q                   end the VM at once");
    }

    /** Words completion offers: the commands, their aliases and {@code info}'s topics. */
    public static final List<String> COMMANDS = List.of("help", "info", "x", "xp", "stop", "cont", "c", "step", "s",
            "screendump", "screenshot", "savevm", "system_reset", "system_powerdown", "quit", "q");
    public static final List<String> INFO_TOPICS = List.of("status", "registers", "mem", "devices");

    private final MonitorTarget target;

    public MonitorCommands(MonitorTarget target) {
        this.target = target;
    }

    /** Runs one command line. Never throws: errors come back as text. */
    public Reply execute(String line) {
        String l = line.strip();
        if (l.isEmpty()) {
            return Reply.of("");
        }
        String[] words = l.split("\\s+");
        String cmd = words[0];
        String fmt = "";
        int slash = cmd.indexOf('/');
        if (slash >= 0) {
            fmt = cmd.substring(slash + 1);
            cmd = cmd.substring(0, slash);
        }
        try {
            return dispatch(cmd.toLowerCase(Locale.ROOT), fmt, words);
        } catch (Refused e) {
            return Reply.of(e.getMessage());
        } catch (IllegalArgumentException e) {
            return Reply.of(cmd + ": " + e.getMessage());
        } catch (RuntimeException e) {
            log.warn("monitor command '{}' failed", l, e);
            return Reply.of(cmd + ": failed: " + e);
        }
    }

    private Reply dispatch(String cmd, String fmt, String[] w) throws Refused {
        return switch (cmd) {
            case "help", "?" -> Reply.of(help(w.length > 1 ? w[1] : null));
            case "info" -> Reply.of(info(w.length > 1 ? w[1] : ""));
            case "x" -> Reply.of(examine(fmt, w, true));
            case "xp" -> Reply.of(examine(fmt, w, false));
            case "stop" -> {
                requireBoard();
                target.pause();
                yield Reply.of("");
            }
            case "cont", "c" -> {
                requireBoard();
                if (!target.paused()) {
                    throw new Refused("the VM is running already");
                }
                target.resume();
                yield Reply.of("");
            }
            case "step", "s" -> Reply.of(step(w.length > 1 ? w[1] : "1"));
            case "screendump", "screenshot" -> Reply.of(screendump(w));
            case "savevm" -> Reply.of(savevm(w));
            case "system_reset" -> {
                requireBoard();
                target.reset();
                yield Reply.of("");
            }
            case "system_powerdown" -> {
                requireBoard();
                target.powerDown();
                yield Reply.of("");
            }
            case "quit", "q" -> {
                target.quit();
                yield new Reply("", true);
            }
            default -> throw new Refused("unknown command: '" + cmd + "' (help lists the commands)");
        };
    }

    static String help(String cmd) throws Refused {
        if (cmd == null) {
            return String.join("\n", HELP.values()) + "\n";
        }
        String key = switch (cmd) {
            case "c" -> "cont";
            case "s" -> "step";
            case "q" -> "quit";
            case "screenshot" -> "screendump";
            default -> cmd;
        };
        String h = HELP.get(key);
        if (h == null) {
            throw new Refused("help: no command '" + cmd + "'");
        }
        return h + "\n";
    }

    private PcBoard requireBoard() throws Refused {
        PcBoard b = target.board();
        if (b == null) {
            throw new Refused("no machine is running");
        }
        return b;
    }

    /** Runs {@code action} with the vCPU held; a board closed meanwhile (reboot, stop) is a refusal. */
    private <T> T held(PcBoard b, Supplier<T> action) throws Refused {
        try {
            return b.gate().call(action);
        } catch (IllegalStateException e) {
            if (b != target.board()) {
                throw new Refused("the machine was reset or stopped meanwhile: try again");
            }
            throw e;
        }
    }

    private String info(String topic) throws Refused {
        switch (topic) {
            case "status" -> {
                PcBoard b = target.board();
                return "VM status: " + (b == null ? "not running" : target.paused() ? "paused" : "running");
            }
            case "registers" -> {
                PcBoard b = requireBoard();
                return held(b, () -> InfoViews.registers(b.cpu()));
            }
            case "mem" -> {
                PcBoard b = requireBoard();
                return held(b, () -> InfoViews.memory(b));
            }
            case "devices" -> {
                PcBoard b = requireBoard();
                return held(b, () -> InfoViews.devices(b));
            }
            default -> throw new Refused("info: what? " + String.join(", ", INFO_TOPICS));
        }
    }

    private String examine(String fmt, String[] w, boolean linear) throws Refused {
        String name = linear ? "x" : "xp";
        MemoryView.Format f = MemoryView.parseFormat(fmt);
        if (w.length < 2) {
            throw new Refused(name + ": give an address, e.g. " + name + "/8xb 0x7c00 or x/5i $pc");
        }
        String expr = String.join("", java.util.Arrays.copyOfRange(w, 1, w.length));
        PcBoard b = requireBoard();
        record Out(String text, String error) {
        }
        Out out = held(b, () -> {
            try {
                long addr = Expressions.evaluate(expr, b.cpu());
                return new Out(MemoryView.dump(b.cpu(), f, addr, linear), null);
            } catch (MemoryView.Unreadable e) {
                return new Out(null, e.getMessage());
            } catch (IllegalArgumentException e) {
                return new Out(null, e.getMessage());
            }
        });
        if (out.error() != null) {
            throw new Refused(name + ": " + out.error());
        }
        return out.text();
    }

    private String step(String countText) throws Refused {
        int n;
        try {
            n = Integer.parseInt(countText);
        } catch (NumberFormatException e) {
            throw new Refused("step: '" + countText + "' is not a number of instructions");
        }
        if (n < 1 || n > 1_000_000) {
            throw new Refused("step: count must be 1..1000000");
        }
        PcBoard b = requireBoard();
        if (!target.paused()) {
            throw new Refused("step: the VM is running; stop it first");
        }
        return held(b, () -> {
            StringBuilder sb = new StringBuilder();
            Cpu cpu = b.cpu();
            for (int k = 0; k < n; k++) {
                if (b.finishing()) {
                    sb.append("the machine is ending (power-off, reset or exit pending)\n");
                    break;
                }
                Cpu.Exit e = b.step();
                if (e == Cpu.Exit.HALT) {
                    sb.append("the CPU is halted, waiting for an interrupt\n");
                    break;
                }
                if (e == Cpu.Exit.SHUTDOWN) {
                    sb.append("the CPU shut down (triple fault)\n");
                    break;
                }
            }
            try {
                sb.append(MemoryView.disassemble(cpu, 1, cpu.seg[Cpu.CS].base + cpu.rip, true));
            } catch (MemoryView.Unreadable e) {
                sb.append(String.format("EIP=%08x (%s)%n", cpu.rip, e.getMessage()));
            }
            return sb.toString();
        });
    }

    private String screendump(String[] w) throws Refused {
        if (w.length != 2) {
            throw new Refused(w[0] + ": give one file name, e.g. " + w[0] + " screen.png");
        }
        Path file = Path.of(w[1]);
        PcBoard b = requireBoard();
        byte[] png = Screenshot.png(held(b, () -> b.vga().textScreen()));
        try {
            Path dir = file.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, ".screendump", ".tmp");
            try {
                Files.write(tmp, png);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new Refused(w[0] + ": cannot write " + file + ": " + e.getMessage());
        }
        return "";
    }

    private String savevm(String[] w) throws Refused {
        if (w.length != 2) {
            throw new Refused("savevm: give one file name, e.g. savevm vm.vmmsnap");
        }
        requireBoard();
        try {
            return target.saveVm(Path.of(w[1])) + "\n";
        } catch (IOException e) {
            throw new Refused("savevm: " + e.getMessage());
        }
    }

    /** Completion candidates for the word being typed after {@code before} (the words before it). */
    public static List<String> candidates(List<String> before) {
        if (before.isEmpty()) {
            return COMMANDS;
        }
        return switch (before.getFirst()) {
            case "info" -> before.size() == 1 ? INFO_TOPICS : List.of();
            case "help" -> before.size() == 1 ? COMMANDS : List.of();
            default -> List.of();
        };
    }

    /** For messages: what the monitor works on. */
    public String targetName() {
        return target.name();
    }
}

package dev.vmm.cli;

import dev.vmm.devices.storage.Progress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar for long disk operations, redrawn in place with a carriage return
 * each time the percentage changes: {@code label [#########-----------]  45%  120.0/300.0 MiB}.
 * Disabled (prints nothing) when stderr is not a terminal.
 */
final class ProgressBar implements Progress, AutoCloseable {
    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final String label;
    private final boolean enabled;
    private int shown = -1;

    ProgressBar(PrintWriter out, String label, boolean enabled) {
        this.out = out;
        this.label = label;
        this.enabled = enabled;
    }

    /** A bar on {@code out} if this process runs on a terminal. */
    static ProgressBar onTerminal(PrintWriter out, String label) {
        java.io.Console c = System.console();
        return new ProgressBar(out, label, c != null && c.isTerminal());
    }

    @Override
    public void update(long done, long total) {
        if (!enabled || total <= 0) {
            return;
        }
        int pct = (int) Math.min(100, done * 100 / total);
        if (pct == shown) {
            return;
        }
        shown = pct;
        int fill = pct * WIDTH / 100;
        out.print("\r" + label + " [" + "#".repeat(fill) + "-".repeat(WIDTH - fill) + "] "
                + String.format(Locale.ROOT, "%3d%%  %.1f/%.1f MiB", pct, done / 1048576.0,
                total / 1048576.0));
        out.flush();
    }

    @Override
    public void close() {
        finish();
    }

    /** Ends the bar's line, if one was drawn. */
    void finish() {
        if (shown >= 0) {
            out.println();
            out.flush();
            shown = -1;
        }
    }
}

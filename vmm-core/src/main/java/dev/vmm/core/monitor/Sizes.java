package dev.vmm.core.monitor;

import java.util.Locale;

/** Human-readable byte sizes: "1 GiB", "640 MiB", "1.5 GiB", "300 bytes". */
public final class Sizes {
    private static final java.util.List<String> UNITS = java.util.List.of("KiB", "MiB", "GiB", "TiB");

    private Sizes() {
    }

    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + (bytes == 1 ? " byte" : " bytes");
        }
        int u = 0;
        long unit = 1024;
        while (u + 1 < UNITS.size() && bytes >= unit * 1024) {
            unit *= 1024;
            u++;
        }
        if (bytes % unit == 0) {
            return (bytes / unit) + " " + UNITS.get(u);
        }
        return String.format(Locale.ROOT, "%.1f %s", (double) bytes / unit, UNITS.get(u));
    }
}

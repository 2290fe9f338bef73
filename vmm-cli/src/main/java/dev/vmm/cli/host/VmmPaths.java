package dev.vmm.cli.host;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where vmm keeps its files: the data directory {@code $VMM_HOME} (default
 * {@code ~/.local/share/vmm}) with the VM definitions in {@code vms/}, and the host's control
 * socket {@code $XDG_RUNTIME_DIR/vmm.sock}, or {@code $VMM_HOME/vmm.sock} without a runtime
 * directory. Several hosts run side by side with different {@code VMM_HOME}s or {@code --socket}s.
 */
public record VmmPaths(Path home, Path socket) {
    /** The paths from an environment (usually {@link System#getenv()}). */
    public static VmmPaths from(Map<String, String> env) {
        String h = env.get("VMM_HOME");
        Path home;
        if (h != null && !h.isBlank()) {
            home = Path.of(h);
        } else {
            String data = env.get("XDG_DATA_HOME");
            home = data != null && !data.isBlank() ? Path.of(data, "vmm")
                    : Path.of(System.getProperty("user.home"), ".local", "share", "vmm");
        }
        String runtime = env.get("XDG_RUNTIME_DIR");
        Path socket = h == null && runtime != null && !runtime.isBlank() ? Path.of(runtime, "vmm.sock")
                : home.resolve("vmm.sock");
        return new VmmPaths(home.toAbsolutePath(), socket.toAbsolutePath());
    }

    /** The directory of the VM definitions. */
    public Path vms() {
        return home.resolve("vms");
    }
}

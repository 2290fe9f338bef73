package dev.vmm.cli.host;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --socket PATH} (and the data directory) of every command that talks to a host. */
public final class HostOptions {
    @Option(names = "--socket", paramLabel = "PATH", description = "The host's control socket (default: "
            + "$XDG_RUNTIME_DIR/vmm.sock, or vmm.sock in $VMM_HOME when that is set or there is no runtime directory).")
    Path socket;

    /** The data directory instead of $VMM_HOME (for tests, which cannot set environment variables). */
    @Option(names = "--home", paramLabel = "DIR", hidden = true)
    Path home;

    public VmmPaths paths() {
        VmmPaths p = VmmPaths.from(System.getenv());
        if (home != null) {
            p = new VmmPaths(home.toAbsolutePath(), home.toAbsolutePath().resolve("vmm.sock"));
        }
        return socket != null ? new VmmPaths(p.home(), socket.toAbsolutePath()) : p;
    }
}

package dev.vmm.devices.serial;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guest output to a file, appended or truncated at open, each character written through at
 * once (so the file can be followed while the guest runs). No input.
 */
public final class FileBackend implements SerialBackend {
    private static final Logger log = LoggerFactory.getLogger(FileBackend.class);

    private final Path path;
    private final OutputStream out;
    private boolean closed;
    private boolean failed;

    /** Opens (creating if needed) {@code path}; {@code append} keeps what it held. */
    public FileBackend(Path path, boolean append) throws IOException {
        this.path = path;
        this.out = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
    }

    public Path path() {
        return path;
    }

    @Override
    public synchronized void write(int b) {
        if (closed || failed) {
            return;
        }
        try {
            out.write(b);
            out.flush();
        } catch (IOException e) {
            failed = true;
            log.warn("serial output to {} failed, dropping further output: {}", path, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            log.warn("closing {}: {}", path, e.toString());
        }
    }
}

package dev.vmm.devices.debug;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import java.io.IOException;
import java.io.OutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Bochs/QEMU debug console ({@code isa-debugcon}): one port, 0xE9 by default. A byte written
 * to it is appended to the sink (and flushed); a read returns 0xE9, which is how SeaBIOS and
 * other firmware detect the port. Wider accesses use the byte at the port itself (the others
 * belong to the neighbouring, unclaimed ports). No state: nothing to snapshot.
 */
public final class DebugConsole implements PortIoDevice {
    private static final Logger log = LoggerFactory.getLogger(DebugConsole.class);

    /** The default port, and what a read returns (QEMU's {@code readback} property). */
    public static final int PORT = 0xE9;

    private final int port;
    private final OutputStream sink;
    private boolean failed;

    public DebugConsole(OutputStream sink) {
        this(PORT, sink);
    }

    public DebugConsole(int port, OutputStream sink) {
        this.port = port;
        this.sink = sink;
    }

    /** Claims the port on {@code bus}. */
    public void attach(PioBus bus) {
        bus.register(port, 1, "debugcon", this);
    }

    @Override
    public int ioRead(int p, int size) {
        return size == 4 ? 0xFFFFFF00 | PORT : ((1 << (size * 8)) - 1) & ~0xFF | PORT;
    }

    @Override
    public synchronized void ioWrite(int p, int size, int value) {
        if (failed) {
            return;
        }
        try {
            sink.write(value & 0xFF);
            sink.flush();
        } catch (IOException e) {
            failed = true;
            log.warn("debug console output failed, dropping further output: {}", e.toString());
        }
    }
}

package dev.vmm.devices.serial;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A serial port on a pair of streams (standard input/output, a socket, test buffers). Output is
 * written and flushed per character. Input, if given, is read by a daemon thread started at
 * {@link #connect} and fed to the UART through {@link HostInput} (flow controlled); it ends at
 * end of stream or {@link #close()}. The streams belong to the caller: close does not close them.
 */
public final class StreamBackend implements SerialBackend {
    private static final Logger log = LoggerFactory.getLogger(StreamBackend.class);

    private final String name;
    private final InputStream in;
    private final OutputStream out;
    private final HostInput input = new HostInput(HostInput.DEFAULT_CAPACITY);
    private volatile boolean closed;
    private boolean outputFailed;
    private Thread reader;

    /**
     * @param in the guest's input, or null for none
     * @param out where the guest's output goes, or null to discard it
     * @param name names the reader thread and log messages
     */
    public StreamBackend(InputStream in, OutputStream out, String name) {
        this.name = name;
        this.in = in;
        this.out = out;
    }

    /** The flow-control queue between the input stream and the UART. */
    public HostInput input() {
        return input;
    }

    @Override
    public synchronized void write(int b) {
        if (out == null || closed || outputFailed) {
            return;
        }
        try {
            out.write(b);
            out.flush();
        } catch (IOException e) {
            outputFailed = true;
            log.warn("{}: output failed, dropping further output: {}", name, e.toString());
        }
    }

    @Override
    public void connect(SerialReceiver receiver) {
        input.connect(receiver);
        if (in == null) {
            return;
        }
        Thread t = new Thread(this::readLoop, name + "-input");
        t.setDaemon(true);
        synchronized (this) {
            reader = t;
        }
        t.start();
    }

    private void readLoop() {
        byte[] buf = new byte[256];
        try {
            while (!closed) {
                int n = in.read(buf);
                if (n < 0) {
                    return;
                }
                input.offer(buf, 0, n);
            }
        } catch (IOException e) {
            if (!closed) {
                log.warn("{}: input failed: {}", name, e.toString());
            }
        }
    }

    /**
     * Waits until the input thread has read its stream to the end (for tests: every byte is then
     * in the receiver or in {@link #input()}). Returns false if it is still running.
     */
    public boolean awaitInputEnd(Duration timeout) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = reader;
        }
        return t == null || t.join(timeout);
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = reader;
            if (out != null && !outputFailed) {
                try {
                    out.flush();
                } catch (IOException e) {
                    log.debug("{}: flush at close: {}", name, e.toString());
                }
            }
        }
        if (t != null) {
            t.interrupt();
        }
    }
}

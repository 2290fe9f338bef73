package dev.vmm.cli.host;

import dev.vmm.devices.serial.HostInput;
import dev.vmm.devices.serial.SerialBackend;
import dev.vmm.devices.serial.SerialReceiver;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * COM1 of a VM under a host: the guest's output goes to a ring of the last {@link #RING} bytes
 * (replayed to a console that attaches, so it sees where the guest is) and to every attached
 * console; their keystrokes go to the UART through {@link HostInput}'s flow control. A slow or
 * stuck console never holds up the guest: each has its own bounded queue and writer thread, and
 * bytes beyond the queue are dropped for that console. The backend outlives reboots (the UART of
 * every new board connects again).
 */
final class HostedSerial implements SerialBackend {
    private static final Logger log = LoggerFactory.getLogger(HostedSerial.class);
    /** Guest output kept for consoles that attach later. */
    static final int RING = 16 * 1024;
    /** Output queued for one console before bytes are dropped. */
    static final int CLIENT_QUEUE = 256 * 1024;

    private final HostInput input = new HostInput(HostInput.DEFAULT_CAPACITY);
    private final byte[] ring = new byte[RING];
    private final List<Client> clients = new ArrayList<>();
    private long written;                   // total bytes the guest wrote (ring position); guarded by this
    private boolean closed;

    @Override
    public void connect(SerialReceiver receiver) {
        input.connect(receiver);
    }

    @Override
    public synchronized void write(int b) {
        ring[(int) (written % RING)] = (byte) b;
        written++;
        for (Client c : clients) {
            c.offer(b);
        }
    }

    /** Keystrokes of a console for the guest. */
    void type(byte[] data, int off, int len) {
        input.offer(data, off, len);
    }

    /** Attaches a console writing to {@code out}: it gets the recent output first, then what follows. */
    synchronized Client attach(OutputStream out, String name, Runnable onEnd) {
        if (closed) {
            throw new IllegalStateException("the VM's console is closed");
        }
        Client c = new Client(out, name, onEnd);
        int n = (int) Math.min(written, RING);
        for (long k = written - n; k < written; k++) {
            c.offer(ring[(int) (k % RING)]);
        }
        clients.add(c);
        c.start();
        return c;
    }

    synchronized void detach(Client c) {
        clients.remove(c);
        c.close();
    }

    /** Tells every console {@code message} and detaches them (the VM stopped). */
    synchronized void finish(String message) {
        for (Client c : clients) {
            for (byte b : message.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                c.offer(b);
            }
            c.close();
        }
        clients.clear();
        closed = true;
    }

    @Override
    public synchronized void close() {
        finish("");
    }

    /** One attached console: a bounded queue drained by its own thread. */
    static final class Client {
        private final OutputStream out;
        private final byte[] queue = new byte[CLIENT_QUEUE];
        private int head;
        private int size;
        private long dropped;
        private boolean done;
        private final Thread writer;
        private final Runnable onEnd;

        Client(OutputStream out, String name, Runnable onEnd) {
            this.out = out;
            this.onEnd = onEnd;
            this.writer = Thread.ofVirtual().name("vmm-console-" + name).unstarted(this::drain);
        }

        void start() {
            writer.start();
        }

        synchronized void offer(int b) {
            if (done) {
                return;
            }
            if (size == queue.length) {
                dropped++;
                return;
            }
            queue[(head + size) % queue.length] = (byte) b;
            size++;
            notifyAll();
        }

        /** Ends the writer once the queue is written. */
        synchronized void close() {
            done = true;
            notifyAll();
        }

        /** Waits until the writer finished (bounded). */
        void join() throws InterruptedException {
            writer.join(java.time.Duration.ofSeconds(5));
        }

        private void drain() {
            byte[] chunk = new byte[4096];
            try {
                while (true) {
                    int n;
                    synchronized (this) {
                        while (size == 0 && !done) {
                            wait();
                        }
                        if (size == 0) {
                            break;
                        }
                        n = Math.min(chunk.length, Math.min(size, queue.length - head));
                        System.arraycopy(queue, head, chunk, 0, n);
                        head = (head + n) % queue.length;
                        size -= n;
                    }
                    out.write(chunk, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                log.debug("console gone: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                synchronized (this) {
                    done = true;
                    if (dropped > 0) {
                        log.info("a slow console missed {} bytes of guest output", dropped);
                    }
                }
                onEnd.run();
            }
        }
    }
}

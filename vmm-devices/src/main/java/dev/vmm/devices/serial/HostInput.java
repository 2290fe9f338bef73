package dev.vmm.devices.serial;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flow control between a host input source and a UART, as QEMU's character devices do: host
 * bytes wait in a bounded queue and enter the receiver only as far as its FIFO has room; each
 * time the guest makes room, more follow (on the guest's thread, from the receiver's space
 * listener). So text pasted into a terminal reaches a guest that reads its UART without
 * overruns. When the queue itself is full (a guest that never reads), further bytes are dropped
 * and counted.
 *
 * <p>Thread safety: {@link #offer} from any thread; the lock order is this object, then the UART.
 */
public final class HostInput {
    private static final Logger log = LoggerFactory.getLogger(HostInput.class);

    /** Queue size of the backends in this package. */
    public static final int DEFAULT_CAPACITY = 64 * 1024;

    private final byte[] queue;
    private final byte[] chunk = new byte[RxFifo.CAPACITY];
    private int head;
    private int count;
    private long dropped;
    private SerialReceiver receiver;

    public HostInput(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.queue = new byte[capacity];
    }

    /** Feeds {@code receiver} from now on (and registers as its space listener). */
    public void connect(SerialReceiver receiver) {
        synchronized (this) {
            this.receiver = receiver;
        }
        receiver.setSpaceListener(this::pump);
        pump();
    }

    /** Queues host bytes for the guest and delivers what fits now. */
    public void offer(byte[] data, int off, int len) {
        synchronized (this) {
            int fit = Math.min(len, queue.length - count);
            for (int i = 0; i < fit; i++) {
                queue[(head + count + i) % queue.length] = data[off + i];
            }
            count += fit;
            if (fit < len) {
                if (dropped == 0) {
                    log.warn("serial input queue full ({} bytes): guest is not reading; "
                            + "dropping input", queue.length);
                }
                dropped += len - fit;
            }
        }
        pump();
    }

    /** Sends a break after the bytes queued so far have been delivered as far as they fit. */
    public void sendBreak() {
        SerialReceiver r;
        synchronized (this) {
            pump();
            r = receiver;
            if (r != null) {
                r.deliverBreak();
            }
        }
    }

    /** Moves as many queued bytes into the receiver as it has room for. */
    public synchronized void pump() {
        SerialReceiver r = receiver;
        if (r == null) {
            return;
        }
        while (count > 0) {
            int n = Math.min(Math.min(count, r.rxSpace()), chunk.length);
            if (n <= 0) {
                return;
            }
            for (int i = 0; i < n; i++) {
                chunk[i] = queue[(head + i) % queue.length];
            }
            head = (head + n) % queue.length;
            count -= n;
            r.deliver(chunk, 0, n);
        }
    }

    /** Bytes waiting for room in the receiver. */
    public synchronized int pending() {
        return count;
    }

    /** Bytes dropped because the queue was full. */
    public synchronized long dropped() {
        return dropped;
    }
}

package dev.vmm.core.bus;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The 64 KiB x86 port I/O space. Devices claim port ranges; overlapping claims are refused.
 * Accesses to unclaimed ports read all ones, drop writes, and are counted (never thrown).
 */
public final class PioBus {
    private static final Logger log = LoggerFactory.getLogger(PioBus.class);
    private static final int PORTS = 0x10000;

    private final PortIoDevice[] byPort = new PortIoDevice[PORTS];
    private final List<Range> ranges = new ArrayList<>();
    private long unclaimedAccesses;

    /** A claimed range, for listing. */
    public record Range(int base, int length, String name, PortIoDevice device) {
    }

    /** Claims ports {@code [base, base+length)} for {@code device}. */
    public void register(int base, int length, String name, PortIoDevice device) {
        if (base < 0 || length <= 0 || base + length > PORTS) {
            throw new IllegalArgumentException("port range out of bounds: " + name);
        }
        for (int p = base; p < base + length; p++) {
            if (byPort[p] != null) {
                throw new IllegalArgumentException(String.format(
                        "port 0x%04x of %s is already claimed by %s", p, name, owner(p)));
            }
        }
        for (int p = base; p < base + length; p++) {
            byPort[p] = device;
        }
        ranges.add(new Range(base, length, name, device));
    }

    /** Releases a range claimed earlier with exactly these bounds. */
    public void unregister(int base, int length) {
        ranges.removeIf(r -> r.base() == base && r.length() == length);
        for (int p = base; p < base + length; p++) {
            byPort[p] = null;
        }
    }

    private String owner(int port) {
        for (Range r : ranges) {
            if (port >= r.base() && port < r.base() + r.length()) {
                return r.name();
            }
        }
        return "?";
    }

    public List<Range> ranges() {
        return List.copyOf(ranges);
    }

    /** Reads {@code size} bytes from {@code port}; unclaimed ports read all ones. */
    public int read(int port, int size) {
        port &= 0xFFFF;
        PortIoDevice d = byPort[port];
        if (d == null) {
            unclaimed(port, "read");
            return size == 4 ? -1 : (1 << (size * 8)) - 1;
        }
        int v = d.ioRead(port, size);
        return size == 4 ? v : v & ((1 << (size * 8)) - 1);
    }

    /** Writes {@code size} bytes to {@code port}; writes to unclaimed ports are dropped. */
    public void write(int port, int size, int value) {
        port &= 0xFFFF;
        PortIoDevice d = byPort[port];
        if (d == null) {
            unclaimed(port, "write");
            return;
        }
        d.ioWrite(port, size, size == 4 ? value : value & ((1 << (size * 8)) - 1));
    }

    private void unclaimed(int port, String what) {
        if (unclaimedAccesses++ < 16) {
            log.debug("{} of unclaimed port 0x{}", what, Integer.toHexString(port));
        }
    }

    /** How many accesses hit no device. */
    public long unclaimedAccesses() {
        return unclaimedAccesses;
    }
}

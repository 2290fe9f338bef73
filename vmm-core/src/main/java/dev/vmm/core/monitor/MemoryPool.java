package dev.vmm.core.monitor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host memory budget shared by the VMs of one monitor. A VM reserves its RAM before it is built
 * ({@link #reserve}); a reservation that does not fit is refused with a message saying how much is
 * left and who holds the rest. Closing the {@link Reservation} returns the bytes. Thread-safe.
 *
 * <p>Reserved is what a VM may use; resident is what it does use: guest RAM is mapped lazily, so a
 * reservation attached to the RAM segment ({@link Reservation#attach}) reports the pages the host
 * actually backs ({@link ResidentMemory}), falling back to the reserved size where that is unknown.
 */
public final class MemoryPool {
    private static final Logger log = LoggerFactory.getLogger(MemoryPool.class);

    private final long budget;
    private final Object lock = new Object();
    /** Live reservations, by VM name, in the order the VMs first reserved. Guarded by {@link #lock}. */
    private final Map<String, List<Reservation>> byVm = new LinkedHashMap<>();
    private long used;

    /** What one VM holds. {@code residentBytes} is {@code reservedBytes} where residency is unknown. */
    public record Holding(String vmName, long reservedBytes, long residentBytes) {
    }

    public MemoryPool(long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("memory pool budget must be positive: " + budgetBytes);
        }
        this.budget = budgetBytes;
    }

    public long budget() {
        return budget;
    }

    public long used() {
        synchronized (lock) {
            return used;
        }
    }

    public long available() {
        synchronized (lock) {
            return budget - used;
        }
    }

    /**
     * Reserves {@code bytes} for {@code vmName}.
     *
     * @throws PoolExhaustedException if fewer than {@code bytes} are left
     */
    public Reservation reserve(String vmName, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("reservation must be positive: " + bytes);
        }
        synchronized (lock) {
            long left = budget - used;
            if (bytes > left) {
                StringJoiner holders = new StringJoiner(", ", " (", ")").setEmptyValue("");
                for (var e : byVm.entrySet()) {
                    holders.add(e.getKey() + " holds " + Sizes.format(sum(e.getValue())));
                }
                String message = "cannot reserve " + Sizes.format(bytes) + " for " + vmName + ": "
                        + Sizes.format(left) + " of the " + Sizes.format(budget) + " budget left" + holders;
                throw new PoolExhaustedException(message, bytes, left);
            }
            Reservation r = new Reservation(vmName, bytes);
            byVm.computeIfAbsent(vmName, k -> new ArrayList<>()).add(r);
            used += bytes;
            log.debug("reserved {} for {} ({} left)", Sizes.format(bytes), vmName, Sizes.format(budget - used));
            return r;
        }
    }

    /** Bytes {@code vmName} holds (0 if none). */
    public long reserved(String vmName) {
        synchronized (lock) {
            return sum(byVm.getOrDefault(vmName, List.of()));
        }
    }

    /** Bytes of {@code vmName}'s attached RAM the host backs; its reserved size where unknown. */
    public long resident(String vmName) {
        List<Reservation> rs;
        synchronized (lock) {
            rs = List.copyOf(byVm.getOrDefault(vmName, List.of()));
        }
        long total = 0;
        for (Reservation r : rs) {
            total += r.residentBytes();
        }
        return total;
    }

    /** One line per VM holding memory, in the order they first reserved. */
    public List<Holding> holdings() {
        Map<String, List<Reservation>> copy = new LinkedHashMap<>();
        synchronized (lock) {
            byVm.forEach((k, v) -> copy.put(k, List.copyOf(v)));
        }
        List<Holding> out = new ArrayList<>();
        copy.forEach((name, rs) -> {
            long resident = 0;
            for (Reservation r : rs) {
                resident += r.residentBytes();
            }
            out.add(new Holding(name, sum(rs), resident));
        });
        return out;
    }

    private static long sum(List<Reservation> rs) {
        long s = 0;
        for (Reservation r : rs) {
            s += r.bytes;
        }
        return s;
    }

    private void release(Reservation r) {
        synchronized (lock) {
            List<Reservation> rs = byVm.get(r.vmName);
            if (rs != null && rs.remove(r)) {
                used -= r.bytes;
                if (rs.isEmpty()) {
                    byVm.remove(r.vmName);
                }
                log.debug("released {} of {} ({} left)", Sizes.format(r.bytes), r.vmName,
                        Sizes.format(budget - used));
            }
        }
    }

    /** Bytes held for one VM until {@link #close()}. */
    public final class Reservation implements AutoCloseable {
        private final String vmName;
        private final long bytes;
        private volatile MemorySegment memory;
        private volatile boolean closed;

        private Reservation(String vmName, long bytes) {
            this.vmName = vmName;
            this.bytes = bytes;
        }

        public String vmName() {
            return vmName;
        }

        /** Reserved bytes (0 once closed). */
        public long bytes() {
            return closed ? 0 : bytes;
        }

        public boolean isClosed() {
            return closed;
        }

        /** Tells the reservation which memory it backs, so that {@link #residentBytes()} can measure it. */
        public synchronized void attach(MemorySegment segment) {
            this.memory = segment;
        }

        /**
         * Bytes of the attached memory the host actually backs; the reserved size if nothing is
         * attached or residency cannot be measured here; 0 once closed.
         */
        public synchronized long residentBytes() {
            if (closed) {
                return 0;
            }
            MemorySegment m = memory;
            long r = m == null ? -1 : ResidentMemory.residentBytes(m);
            return r < 0 ? bytes : r;
        }

        /** Returns the bytes to the pool (idempotent). Detaches the memory first. */
        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                memory = null;
                release(this);
            }
        }

        @Override
        public String toString() {
            return Sizes.format(bytes) + " for " + vmName + (closed ? " (released)" : "");
        }
    }
}

package dev.vmm.core.monitor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * How much of a native memory region the host actually backs: on Linux, {@code mincore(2)} through
 * FFM counts the resident pages of a (lazily mapped) guest RAM segment. Elsewhere, or for heap
 * segments, {@link #residentBytes} answers -1 and callers fall back to the reserved size.
 */
public final class ResidentMemory {
    private static final MethodHandle MINCORE;
    private static final long PAGE_SIZE;

    static {
        MethodHandle mincore = null;
        long page = 4096;
        if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                var mc = linker.defaultLookup().find("mincore");
                var gp = linker.defaultLookup().find("getpagesize");
                if (mc.isPresent()) {
                    mincore = downcall(linker, mc.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
                }
                if (gp.isPresent()) {
                    page = (int) downcall(linker, gp.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT))
                            .invokeExact();
                }
            } catch (Throwable t) {
                mincore = null;
            }
        }
        MINCORE = mincore;
        PAGE_SIZE = page;
    }

    private ResidentMemory() {
    }

    @SuppressWarnings("restricted") // FFM downcalls are the point here
    private static MethodHandle downcall(Linker linker, MemorySegment symbol, FunctionDescriptor fd) {
        return linker.downcallHandle(symbol, fd);
    }

    /** Whether resident-page accounting works on this host. */
    public static boolean supported() {
        return MINCORE != null;
    }

    /** The host page size mincore counts in. */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    /**
     * Bytes of {@code segment} the host currently backs with physical pages, or -1 if that cannot
     * be determined (not Linux, a heap segment, a closed segment, or mincore failed).
     */
    public static long residentBytes(MemorySegment segment) {
        if (MINCORE == null || segment.isNative() == false || !segment.scope().isAlive()) {
            return -1;
        }
        long address = segment.address();
        long start = address & -PAGE_SIZE;
        long length = address + segment.byteSize() - start;
        long pages = (length + PAGE_SIZE - 1) / PAGE_SIZE;
        long resident = 0;
        long chunkPages = 1L << 20; // 4 GiB of 4 KiB pages per call keeps the vector small
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(Math.min(pages, chunkPages));
            for (long p = 0; p < pages; p += chunkPages) {
                long n = Math.min(chunkPages, pages - p);
                int rc = (int) MINCORE.invokeExact(start + p * PAGE_SIZE, n * PAGE_SIZE, vec);
                if (rc != 0) {
                    return -1;
                }
                for (long k = 0; k < n; k++) {
                    if ((vec.get(ValueLayout.JAVA_BYTE, k) & 1) != 0) {
                        resident++;
                    }
                }
            }
        } catch (Throwable t) {
            return -1;
        }
        return Math.min(resident * PAGE_SIZE, segment.byteSize());
    }
}

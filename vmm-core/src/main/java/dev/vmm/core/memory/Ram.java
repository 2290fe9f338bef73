package dev.vmm.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;

/**
 * Guest RAM: one zero-filled {@link MemorySegment}, lazily backed by the host where possible
 * (anonymous private {@code mmap} with {@code MAP_NORESERVE}: a page costs host memory only once
 * the guest touches it). Falls back to an arena allocation elsewhere.
 *
 * <p>{@link #close()} releases the memory at once; RAM that becomes unreachable without being
 * closed is released by a cleaner, so a forgotten close leaks nothing for long.
 */
public final class Ram implements AutoCloseable {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        if (System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            Linker linker = Linker.nativeLinker();
            var mm = linker.defaultLookup().find("mmap");
            var mu = linker.defaultLookup().find("munmap");
            if (mm.isPresent() && mu.isPresent()) {
                mmap = downcall(linker, mm.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_LONG));
                munmap = downcall(linker, mu.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG));
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
    }

    private final MemorySegment segment;
    private final Cleaner.Cleanable cleanable;

    private Ram(MemorySegment segment, Arena arena) {
        this.segment = segment;
        this.cleanable = CLEANER.register(this, arena::close);
    }

    @SuppressWarnings("restricted") // FFM downcalls are the point here
    private static MethodHandle downcall(Linker linker, MemorySegment symbol, FunctionDescriptor fd) {
        return linker.downcallHandle(symbol, fd);
    }

    /** Allocates {@code size} bytes of zeroed guest RAM. */
    public static Ram allocate(long size) {
        if (size <= 0 || (size & 0xFFF) != 0) {
            throw new IllegalArgumentException("RAM size must be a positive multiple of 4 KiB: " + size);
        }
        Arena arena = Arena.ofShared();
        MemorySegment m = mmap(size, arena);
        if (m == null) {
            m = arena.allocate(size, 4096);
        }
        return new Ram(m, arena);
    }

    /** Maps {@code size} bytes tied to {@code arena} (unmapped when it closes), or null. */
    @SuppressWarnings("restricted") // reinterpret attaches the mapping to the arena's lifetime
    private static MemorySegment mmap(long size, Arena arena) {
        if (MMAP == null) {
            return null;
        }
        try {
            MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (p.address() == -1L || p.address() == 0) {
                return null;
            }
            return p.reinterpret(size, arena, Ram::munmap);
        } catch (Throwable t) {
            return null;
        }
    }

    private static void munmap(MemorySegment s) {
        try {
            int rc = (int) MUNMAP.invokeExact(s, s.byteSize());
            if (rc != 0) {
                throw new IllegalStateException("munmap of guest RAM failed");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    /** Releases the memory (idempotent). The segment must not be used afterwards. */
    @Override
    public void close() {
        cleanable.clean();
    }
}

package dev.vmm.core.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Guest RAM: one zero-filled {@link MemorySegment}, lazily backed by the host where possible
 * (anonymous private {@code mmap} with {@code MAP_NORESERVE}: a page costs host memory only once
 * the guest touches it). Falls back to an arena allocation elsewhere.
 */
public final class Ram implements AutoCloseable {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;

    private final MemorySegment segment;
    private final Arena arena;
    private final boolean mapped;

    private Ram(MemorySegment segment, Arena arena, boolean mapped) {
        this.segment = segment;
        this.arena = arena;
        this.mapped = mapped;
    }

    /** Allocates {@code size} bytes of zeroed guest RAM. */
    public static Ram allocate(long size) {
        if (size <= 0 || (size & 0xFFF) != 0) {
            throw new IllegalArgumentException("RAM size must be a positive multiple of 4 KiB: " + size);
        }
        MemorySegment m = mmap(size);
        if (m != null) {
            return new Ram(m, null, true);
        }
        Arena arena = Arena.ofShared();
        return new Ram(arena.allocate(size, 4096), arena, false);
    }

    @SuppressWarnings("restricted") // the FFM calls are the point: anonymous lazily backed memory
    private static MemorySegment mmap(long size) {
        try {
            Linker linker = Linker.nativeLinker();
            var sym = linker.defaultLookup().find("mmap");
            if (sym.isEmpty() || !System.getProperty("os.name", "").toLowerCase().contains("linux")) {
                return null;
            }
            MethodHandle mmap = linker.downcallHandle(sym.get(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            MemorySegment p = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (p.address() == -1L || p.address() == 0) {
                return null;
            }
            return p.reinterpret(size);
        } catch (Throwable t) {
            return null;
        }
    }

    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    @Override
    @SuppressWarnings("restricted")
    public void close() {
        if (arena != null) {
            arena.close();
        } else if (mapped) {
            try {
                Linker linker = Linker.nativeLinker();
                MethodHandle munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                int rc = (int) munmap.invokeExact(segment, segment.byteSize());
                if (rc != 0) {
                    throw new IllegalStateException("munmap failed");
                }
            } catch (RuntimeException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }
}

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
 * <p>The mapping starts on a 2 MiB boundary and is advised for transparent huge pages
 * ({@code MADV_HUGEPAGE}, as QEMU does for guest RAM), so that where the host has THP enabled
 * ("always" or "madvise") the guest's memory is backed by 2 MiB pages: the host TLB then covers far
 * more of it, which matters for guests that stream through memory (a Linux kernel's decompressor).
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
    private static final int MADV_HUGEPAGE = 14;
    /** The size of a huge page on x86-64 and arm64 hosts with 4 KiB base pages. */
    private static final long HUGE_PAGE = 2L << 20;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
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
            var ma = linker.defaultLookup().find("madvise");
            if (ma.isPresent()) {
                madvise = downcall(linker, ma.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
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

    /**
     * Maps {@code size} bytes on a {@link #HUGE_PAGE} boundary, advised for huge pages, tied to
     * {@code arena} (unmapped when it closes), or returns null. The mapping is made a huge page
     * longer than asked, and the parts before the boundary and after the end are unmapped again.
     */
    @SuppressWarnings("restricted") // ofAddress and reinterpret wrap the mapping made here
    private static MemorySegment mmap(long size, Arena arena) {
        if (MMAP == null) {
            return null;
        }
        try {
            long span = size + HUGE_PAGE;
            MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, span, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (p.address() == -1L || p.address() == 0) {
                return null;
            }
            long start = (p.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
            long end = start + size;
            unmap(p.address(), start - p.address());
            unmap(end, p.address() + span - end);
            MemorySegment m = MemorySegment.ofAddress(start).reinterpret(size, arena, Ram::munmap);
            if (MADVISE != null) {
                // Only advice: a host without THP (or that refuses it) keeps 4 KiB pages.
                int ignored = (int) MADVISE.invokeExact(m, size, MADV_HUGEPAGE);
            }
            return m;
        } catch (Throwable t) {
            return null;
        }
    }

    /** Unmaps {@code length} bytes at {@code address} (nothing for 0). */
    @SuppressWarnings("restricted") // the range is part of a mapping made here and not handed out
    private static void unmap(long address, long length) {
        if (length > 0) {
            munmap(MemorySegment.ofAddress(address).reinterpret(length));
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

package dev.vmm.cli;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;

/**
 * Boot files (kernels, initrds, multiboot modules) read once and shared by the VMs of one host that
 * boot the same file: ten guests of one kernel image hold one 5.7 MiB kernel and one 1.4 MiB initrd
 * between them, not ten of each. What is shared is read-only (the loaders copy it into guest RAM).
 *
 * <p>A file is the same while its real path, size, modification time and file key (device and
 * inode) are: a file replaced or rewritten is read again. An entry lives as long as a VM holds what
 * was read (weakly referenced), so a host keeps no image that no VM uses. {@link #none()} reads
 * every time and keeps nothing ({@code vmm run}: one VM per process).
 */
public final class BootFiles {
    /** Makes a value of a file's bytes; a problem is a BadInput of one line. */
    @FunctionalInterface
    interface Parser<T> {
        T parse(byte[] file) throws RunCommand.BadInput;
    }

    private record Key(String kind, Path path, long size, FileTime modified, Object fileKey) {
    }

    private final boolean shared;
    private final Map<Key, WeakReference<Object>> cache = new HashMap<>();
    private int reads;

    private BootFiles(boolean shared) {
        this.shared = shared;
    }

    /** A cache for the VMs of one host. */
    public static BootFiles shared() {
        return new BootFiles(true);
    }

    /** No cache: each load reads the file. */
    public static BootFiles none() {
        return new BootFiles(false);
    }

    /**
     * The value {@code parse} makes of the file {@code p} (a {@code kind} names the parser, so one
     * file read as two things is cached as two); the same object for the same unchanged file.
     * Errors are those of {@link BootSetup#readFile}, naming {@code option}.
     */
    synchronized <T> T load(Path p, String option, String kind, Class<T> type, Parser<? extends T> parse)
            throws RunCommand.BadInput {
        Key key = shared ? key(p, kind) : null;
        if (key != null) {
            cache.values().removeIf(r -> r.get() == null);
            WeakReference<Object> ref = cache.get(key);
            Object v = ref == null ? null : ref.get();
            if (type.isInstance(v)) {
                return type.cast(v);
            }
        }
        reads++;
        T v = parse.parse(BootSetup.readFile(p, option));
        if (key != null) {
            cache.put(key, new WeakReference<>(v));
        }
        return v;
    }

    /** How many files were read (a load served from the cache reads none), for tests. */
    synchronized int reads() {
        return reads;
    }

    /** The identity of the regular file {@code p}, or null (then it is read, and fails, as uncached). */
    private static Key key(Path p, String kind) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            if (!a.isRegularFile()) {
                return null;
            }
            Object fileKey = a.fileKey();
            return new Key(kind, p.toRealPath(), a.size(), a.lastModifiedTime(), fileKey == null ? "" : fileKey);
        } catch (IOException e) {
            return null;
        }
    }
}

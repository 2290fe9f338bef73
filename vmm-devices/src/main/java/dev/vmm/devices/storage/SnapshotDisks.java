package dev.vmm.devices.storage;

import dev.vmm.devices.storage.formats.DiskFormat;
import dev.vmm.devices.storage.qcow2.Qcow2Image;
import dev.vmm.devices.storage.qcow2.Qcow2Overlay;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The disks of a snapshot: at snapshot time each disk's image is frozen (never written again) so
 * that it matches the RAM in the snapshot; the snapshot names the frozen image and its backing files
 * by path, size and SHA-256, and a restore checks them before anything runs.
 *
 * <p>How a disk is frozen depends on where the guest's writes go ({@link #freeze}): a disk written
 * through to its file switches to a new qcow2 overlay backed by that file; a copy-on-write disk
 * (writes held in memory) writes its in-memory delta to a qcow2 file backed by its image and goes on
 * in memory; a read-only disk is frozen already.
 */
public final class SnapshotDisks {
    /**
     * One file of a frozen disk's chain.
     *
     * @param path   the absolute path
     * @param size   the file's size in bytes
     * @param sha256 the SHA-256 of the file, hexadecimal
     * @param stat   the file's identity when it was hashed, "device:inode:mtime:ctime" in nanoseconds, or ""
     *               (unknown, or the file was modified less than {@link #RACY_NANOS} before: see {@link #check})
     */
    public record ImageFile(String path, long size, String sha256, String stat) {
        public ImageFile(String path, long size, String sha256) {
            this(path, size, sha256, "");
        }
    }

    /**
     * A file modified or changed less than this before it was hashed gets no quick-check identity: a
     * write in the same timestamp tick as the hash would leave its times unchanged (git's "racily clean").
     */
    static final long RACY_NANOS = 2_000_000_000L;

    private SnapshotDisks() {
    }

    /**
     * Freezes {@code disk} and returns the frozen image (the top of its chain). {@code delta}: where
     * a copy-on-write disk's in-memory delta goes; {@code after}: the overlay a written-through disk
     * switches to (the caller tells the user; the old image is closed with the overlay later).
     * Neither file may exist yet.
     */
    public static Path freeze(SwappableDisk disk, Path delta, Path after) throws IOException {
        BlockDevice current = disk.current();
        if (current instanceof CopyOnWriteDisk || current instanceof RawImage r && r.overlay().isPresent()) {
            Qcow2Overlay.writeDelta(current, delta);
            return delta.toAbsolutePath();
        }
        Path file = switch (current) {
            case RawImage r -> r.path();
            case Qcow2Image q -> q.path();
            default -> throw new IOException("cannot snapshot the disk " + current.name()
                    + ": only raw and qcow2 images can be frozen (convert it with vmm disk convert)");
        };
        if (!current.readOnly()) {
            disk.swap(Qcow2Overlay.create(current, after));
        }
        return file.toAbsolutePath();
    }

    /**
     * Where the guest's writes to {@code disk} go now: {@code "cow"} (held in memory), {@code "ro"}
     * (refused) or {@code "rw"} (written to the image or its overlay file).
     */
    public static String mode(SwappableDisk disk) {
        BlockDevice current = disk.current();
        if (current instanceof CopyOnWriteDisk || current instanceof RawImage r && r.overlay().isPresent()) {
            return "cow";
        }
        return current.readOnly() ? "ro" : "rw";
    }

    /** One file (not a disk image's chain) by absolute path, size, SHA-256 and identity. */
    public static ImageFile describeFile(Path file) throws IOException {
        return describeFile(file, RACY_NANOS);
    }

    /** {@link #describeFile(Path)} with another racy window (tests). */
    static ImageFile describeFile(Path file, long racyNanos) throws IOException {
        Path p = file.toAbsolutePath();
        String before = stat(p);
        long size = Files.size(p);
        String sha = sha256(p);
        String after = stat(p);
        boolean settled = before.equals(after) && settled(p, racyNanos);
        return new ImageFile(p.toString(), size, sha, settled ? after : "");
    }

    /**
     * The identity of {@code p} as the file system reports it (device and inode, modification and
     * status-change times in ns), or "" where the platform has no such attributes. Writing the file changes
     * its modification time; any change of it or of its metadata, even setting the modification time
     * back, changes the status-change time, which no user can set.
     */
    static String stat(Path p) throws IOException {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:dev,ino,lastModifiedTime,ctime");
            return a.get("dev") + ":" + a.get("ino") + ":" + nanos(a.get("lastModifiedTime")) + ":"
                    + nanos(a.get("ctime"));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return "";
        }
    }

    private static long nanos(Object time) {
        return ((FileTime) time).to(TimeUnit.NANOSECONDS);
    }

    /** True if {@code p} was last modified and changed at least {@code racyNanos} ago. */
    private static boolean settled(Path p, long racyNanos) throws IOException {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:lastModifiedTime,ctime");
            Instant t = Instant.now();
            long now = t.getEpochSecond() * 1_000_000_000L + t.getNano();
            return now - nanos(a.get("lastModifiedTime")) >= racyNanos && now - nanos(a.get("ctime")) >= racyNanos;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The chain of {@code top}: the image and its backing files, each with its size and SHA-256. */
    public static List<ImageFile> describe(Path top) throws IOException {
        List<ImageFile> chain = new ArrayList<>();
        Path p = top.toAbsolutePath();
        while (p != null) {
            if (chain.size() > 16) {
                throw new IOException("backing chain of " + top + " is longer than 16 files");
            }
            chain.add(describeFile(p));
            Path next = null;
            if (DiskFormat.probe(p) == DiskFormat.QCOW2) {
                try (Qcow2Image q = Qcow2Image.open(p, false)) {
                    String b = q.header().backingFile();
                    if (b != null) {
                        next = Qcow2Image.backingPath(p, b).toAbsolutePath();
                    }
                }
            }
            p = next;
        }
        return chain;
    }

    /**
     * Checks that every file of {@code chain} is still there and unchanged; returns the problem as
     * one line (naming the file), or null.
     */
    public static String check(List<ImageFile> chain) throws IOException {
        return check(chain, "disk image");
    }

    /**
     * Checks that every file of {@code files} is still there and unchanged; returns the problem as
     * one line naming the file as {@code what} ("disk image", "kernel file"), or null. A file whose
     * identity ({@link #stat}: the same inode, modification and status-change times) is the one recorded
     * when it was hashed is unchanged without hashing it again, as git and rsync decide; any other file
     * (copied, touched, rewritten, or recorded without an identity) is hashed and compared.
     */
    public static String check(List<ImageFile> files, String what) throws IOException {
        for (ImageFile f : files) {
            Path p = Path.of(f.path());
            if (!Files.isRegularFile(p)) {
                return what + " " + p + " is missing" + (Files.exists(p) ? " (not a regular file)" : "");
            }
            long size = Files.size(p);
            if (size != f.size()) {
                return what + " " + p + " changed since the snapshot (" + size + " bytes, the snapshot says "
                        + f.size() + ")";
            }
            if (f.stat() != null && !f.stat().isEmpty() && f.stat().equals(stat(p))) {
                continue;
            }
            if (!sha256(p).equals(f.sha256())) {
                return what + " " + p + " changed since the snapshot (its SHA-256 differs)";
            }
        }
        return null;
    }

    /** The SHA-256 of {@code file}, hexadecimal. */
    public static String sha256(Path file) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}

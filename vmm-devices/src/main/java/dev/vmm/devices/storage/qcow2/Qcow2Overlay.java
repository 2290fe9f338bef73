package dev.vmm.devices.storage.qcow2;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.CopyOnWriteDisk;
import dev.vmm.devices.storage.CowOverlay;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches a running disk to a new qcow2 overlay whose backing file is the disk's current image,
 * so that image is never written again (the snapshot's disk state).
 *
 * <p>{@link #create} flushes the current image, writes the overlay (through a temporary file and
 * a rename) with the current image's path and format in its header, and opens it writable with
 * the current device itself as its backing image (not reopened: the exclusive lock of a
 * writable image stays held, so nobody else changes the base either). The caller then gives the
 * returned device to the drive in place of the old one and closes only the overlay later (which
 * closes the base).
 *
 * <p>A {@link RawImage} in copy-on-write mode, or a {@link CopyOnWriteDisk}, holds guest writes
 * in memory that its file lacks: those clusters are copied into the overlay, so the overlay plus
 * the file is exactly what the guest saw.
 */
public final class Qcow2Overlay {
    private static final Logger LOG = LoggerFactory.getLogger(Qcow2Overlay.class);

    private Qcow2Overlay() {
    }

    /**
     * Creates the overlay file {@code overlay} on top of {@code current} (a {@link RawImage}, a
     * {@link Qcow2Image}, or a {@link CopyOnWriteDisk} over one of them) and returns it, open
     * for writing. On failure nothing is left at {@code overlay} and {@code current} stays usable
     * and owned by the caller.
     */
    public static Qcow2Image create(BlockDevice current, Path overlay) throws IOException {
        BlockDevice file = current instanceof CopyOnWriteDisk c ? c.base() : current;
        Path base;
        String format;
        switch (file) {
            case RawImage r -> {
                base = r.path();
                format = "raw";
            }
            case Qcow2Image q -> {
                base = q.path();
                format = "qcow2";
            }
            default -> throw new IOException("cannot put a qcow2 overlay on " + current.name()
                    + ": only raw and qcow2 images can be backing files");
        }
        Path target = overlay.toAbsolutePath();
        Path baseAbs = base.toAbsolutePath();
        if (Files.exists(target) && Files.isSameFile(target, baseAbs)) {
            throw new IOException("overlay " + overlay + " is the base image itself");
        }
        if (Files.exists(target)) {
            throw new IOException("overlay " + overlay + " already exists");
        }
        current.flush();
        // a name relative to the overlay's directory when they share it, so the pair can move
        String name = baseAbs.getParent().equals(target.getParent())
                ? baseAbs.getFileName().toString() : baseAbs.toString();
        Qcow2Image.create(target, current.sizeBytes(), Qcow2Image.CreateOptions.defaults()
                .withBacking(name, format));
        Qcow2Image img = null;
        try {
            img = Qcow2Image.open(target, true, current, 0);
            if (current instanceof RawImage r && r.overlay().isPresent()) {
                copyMemoryClusters(r.overlay().get(), img);
            } else if (current instanceof CopyOnWriteDisk c) {
                copyMemoryClusters(c.overlay(), img);
            }
            img.flush();
            LOG.debug("{} now writes to overlay {} (backing {} {})", current.name(), target,
                    format, name);
            return img;
        } catch (IOException | RuntimeException e) {
            if (img != null) {
                img.abandonKeepingBacking();
            }
            Files.deleteIfExists(target);
            throw e;
        }
    }

    /**
     * Writes what a copy-on-write disk holds in memory ({@link RawImage} in copy-on-write mode or a
     * {@link CopyOnWriteDisk}) to {@code delta}, a qcow2 file whose backing file is the disk's image,
     * and closes it: the file plus its backing file is the disk as the guest sees it now, and nothing
     * writes to it afterwards. {@code current} is left as it was (still in use by the guest).
     */
    public static void writeDelta(BlockDevice current, Path delta) throws IOException {
        if (!(current instanceof CopyOnWriteDisk) && !(current instanceof RawImage r && r.overlay().isPresent())) {
            throw new IOException(current.name() + " is not a copy-on-write disk");
        }
        Qcow2Image img = create(current, delta);
        img.abandonKeepingBacking();
    }

    private static void copyMemoryClusters(CowOverlay cow, Qcow2Image img) throws IOException {
        for (long index : cow.clusterIndices()) {
            byte[] c = cow.cluster(index);
            long at = index * CowOverlay.CLUSTER_SIZE;
            int n = (int) Math.min(c.length, img.sizeBytes() - at);
            img.write(at, c, 0, n);
        }
    }
}

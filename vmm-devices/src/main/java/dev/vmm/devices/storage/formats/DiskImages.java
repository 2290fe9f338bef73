package dev.vmm.devices.storage.formats;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.CopyOnWriteDisk;
import dev.vmm.devices.storage.RawImage;
import dev.vmm.devices.storage.qcow2.Qcow2Image;
import dev.vmm.devices.storage.vmdk.VmdkImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens and describes disk images of any {@link DiskFormat}. */
public final class DiskImages {
    private DiskImages() {
    }

    /**
     * Opens {@code file} in {@code format} ({@code null}: probed) for the guest. Modes as for
     * {@link RawImage}: VMDK images are read-only, so {@code READ_WRITE} is refused for them;
     * {@code COPY_ON_WRITE} keeps the guest's writes in memory for every format.
     */
    public static BlockDevice open(Path file, DiskFormat format, RawImage.Mode mode)
            throws IOException {
        DiskFormat f = format != null ? format : DiskFormat.probe(file);
        return switch (f) {
            case RAW -> RawImage.open(file, mode);
            case QCOW2 -> switch (mode) {
                case READ_WRITE -> Qcow2Image.open(file, true);
                case READ_ONLY -> Qcow2Image.open(file, false);
                case COPY_ON_WRITE -> new CopyOnWriteDisk(Qcow2Image.open(file, false));
            };
            case VMDK -> switch (mode) {
                case READ_WRITE -> throw new IOException("disk image " + file
                        + ": VMDK images are opened read-only; convert it to qcow2 to write"
                        + " to it, or use copy-on-write");
                case READ_ONLY -> VmdkImage.open(file);
                case COPY_ON_WRITE -> new CopyOnWriteDisk(VmdkImage.open(file));
            };
        };
    }

    /** Opens {@code file} read-only, probing its format. */
    public static BlockDevice openReadOnly(Path file) throws IOException {
        return open(file, null, RawImage.Mode.READ_ONLY);
    }

    /** Describes {@code file} and its backing chain. */
    public static DiskInfo info(Path file) throws IOException {
        DiskFormat f = DiskFormat.probe(file);
        long fileSize = Files.size(file);
        return switch (f) {
            case RAW -> new DiskInfo(file, f, fileSize, fileSize, fileSize, "", null, null);
            case VMDK -> {
                try (VmdkImage img = VmdkImage.open(file)) {
                    String type = img.createType();
                    yield new DiskInfo(file, f, img.sizeBytes(), fileSize, fileSize,
                            type == null ? "" : type + (img.compressed() ? ", compressed" : ""),
                            null, null);
                }
            }
            case QCOW2 -> qcow2Info(file, fileSize);
        };
    }

    private static DiskInfo qcow2Info(Path file, long fileSize) throws IOException {
        try (Qcow2Image img = Qcow2Image.open(file, false)) {
            var h = img.header();
            String details = "version " + h.version() + " (compat "
                    + (h.version() == 2 ? "0.10" : "1.1") + "), cluster size " + h.clusterSize()
                    + ", refcount bits " + h.refcountBits()
                    + (h.nbSnapshots() > 0 ? ", " + h.nbSnapshots() + " internal snapshot(s)"
                    : "");
            DiskInfo backing = null;
            if (h.backingFile() != null) {
                backing = info(Qcow2Image.backingPath(file, h.backingFile()));
            }
            return new DiskInfo(file, DiskFormat.QCOW2, img.sizeBytes(), fileSize,
                    img.allocatedBytes(), details, h.backingFile(), backing);
        }
    }
}

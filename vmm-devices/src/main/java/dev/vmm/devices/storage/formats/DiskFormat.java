package dev.vmm.devices.storage.formats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/** The disk image formats vmm reads and writes. */
public enum DiskFormat {
    /** The guest's bytes in order. */
    RAW("raw"),
    /** QEMU copy-on-write version 2 or 3. */
    QCOW2("qcow2"),
    /** VMware sparse (streamOptimized, or monolithicSparse when reading). */
    VMDK("vmdk");

    private final String label;

    DiskFormat(String label) {
        this.label = label;
    }

    /** The lower-case name used on the command line and by qemu-img. */
    public String label() {
        return label;
    }

    /** The format named {@code s} (raw, qcow2, vmdk; any case). */
    public static DiskFormat parse(String s) throws IOException {
        for (DiskFormat f : values()) {
            if (f.label.equals(s.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw new IOException("unknown disk format '" + s + "' (raw, qcow2 or vmdk)");
    }

    /** The format a file name's extension suggests (.qcow2, .vmdk), or null. */
    public static DiskFormat fromExtension(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".qcow2") || n.endsWith(".qcow")) {
            return QCOW2;
        }
        if (n.endsWith(".vmdk")) {
            return VMDK;
        }
        if (n.endsWith(".raw") || n.endsWith(".img")) {
            return RAW;
        }
        return null;
    }

    /**
     * The format of {@code file} from its first bytes: the qcow2 magic, the sparse VMDK magic,
     * otherwise raw. Formats vmm does not read (VMDK descriptor files, VDI, VHDX) are refused
     * rather than mistaken for raw disks.
     */
    public static DiskFormat probe(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("disk image " + file + ": no such file");
        }
        byte[] head = new byte[80];
        int n;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.wrap(head);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // fill what the file has
            }
            n = b.position();
        }
        String text = new String(head, 0, n, StandardCharsets.ISO_8859_1);
        if (text.startsWith("QFI\u00fb")) {
            return QCOW2;
        }
        if (text.startsWith("KDMV")) {
            return VMDK;
        }
        if (text.startsWith("# Disk DescriptorFile")) {
            throw new IOException("disk image " + file + ": a VMDK descriptor file (flat or"
                    + " split extents) is not supported; convert it with qemu-img first");
        }
        if (text.contains("<<< Oracle VM VirtualBox Disk Image >>>")
                || text.contains("<<< Sun VirtualBox Disk Image >>>")) {
            throw new IOException("disk image " + file + ": VDI is not supported");
        }
        if (text.startsWith("vhdxfile")) {
            throw new IOException("disk image " + file + ": VHDX is not supported");
        }
        return RAW;
    }
}

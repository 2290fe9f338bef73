package dev.vmm.devices.storage.formats;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.Progress;
import dev.vmm.devices.storage.qcow2.Qcow2Image;
import dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts disk images between raw, qcow2 and streamOptimized VMDK. The source is read through
 * its whole backing chain (the output stands alone); all-zero ranges are left sparse (holes in a
 * raw file, unallocated clusters in qcow2, absent grains in VMDK). The output is written to a
 * temporary file beside the target and renamed onto it at the end: a failure never leaves a
 * partial image under the target's name.
 */
public final class DiskConverter {
    private static final Logger LOG = LoggerFactory.getLogger(DiskConverter.class);
    private static final int CHUNK = 1 << 20;

    private DiskConverter() {
    }

    /** Converts {@code src} (format probed) to {@code dst} in {@code format}. */
    public static void convert(Path src, Path dst, DiskFormat format, Progress progress)
            throws IOException {
        if (Files.exists(dst) && Files.isSameFile(src, dst)) {
            throw new IOException("convert: " + dst + " is the source itself");
        }
        try (BlockDevice in = DiskImages.openReadOnly(src)) {
            write(in, dst, format, progress);
        }
    }

    /** Writes the contents of {@code in} to {@code dst} in {@code format}. */
    public static void write(BlockDevice in, Path dst, DiskFormat format, Progress progress)
            throws IOException {
        if (format == DiskFormat.VMDK) {
            StreamOptimizedVmdk.write(in, dst, progress);
            return;
        }
        Path target = dst.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            if (format == DiskFormat.RAW) {
                writeRaw(in, tmp, progress);
            } else {
                writeQcow2(in, tmp, progress);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            LOG.debug("wrote {} as {} to {}", in.name(), format.label(), target);
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void writeRaw(BlockDevice in, Path tmp, Progress progress) throws IOException {
        long size = in.sizeBytes();
        try (RandomAccessFile f = new RandomAccessFile(tmp.toFile(), "rw")) {
            f.setLength(size); // sparse: the holes read as zeros
            FileChannel ch = f.getChannel();
            copy(in, size, progress, (off, chunk) -> {
                while (chunk.hasRemaining()) {
                    off += ch.write(chunk, off);
                }
            });
            ch.force(true);
        }
    }

    private static void writeQcow2(BlockDevice in, Path tmp, Progress progress)
            throws IOException {
        Qcow2Image.create(tmp, in.sizeBytes(), Qcow2Image.CreateOptions.defaults());
        try (Qcow2Image out = Qcow2Image.open(tmp, true)) {
            copy(in, in.sizeBytes(), progress, out::write);
        }
    }

    /** Receives the non-zero chunks of the source. */
    @FunctionalInterface
    private interface Sink {
        void write(long offset, ByteBuffer chunk) throws IOException;
    }

    private static void copy(BlockDevice in, long size, Progress progress, Sink out)
            throws IOException {
        byte[] buf = new byte[CHUNK];
        for (long off = 0; off < size; off += CHUNK) {
            int n = (int) Math.min(CHUNK, size - off);
            in.read(off, buf, 0, n);
            // write only the 4 KiB blocks that hold data
            int start = -1;
            for (int b = 0; ; b += 4096) {
                boolean end = b >= n;
                boolean data = !end && !zero(buf, b, Math.min(n, b + 4096));
                if (data && start < 0) {
                    start = b;
                } else if (!data && start >= 0) {
                    out.write(off + start, ByteBuffer.wrap(buf, start, Math.min(b, n) - start));
                    start = -1;
                }
                if (end) {
                    break;
                }
            }
            progress.update(off + n, size);
        }
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}

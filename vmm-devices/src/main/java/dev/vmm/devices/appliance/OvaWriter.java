package dev.vmm.devices.appliance;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.Progress;
import dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk;
import dev.vmm.devices.storage.vmdk.VmdkImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes OVAs: converts the disks to streamOptimized VMDK in a scratch directory beside the
 * output, then writes the ustar archive (the {@code .ovf} first, the files in the order of
 * {@code References}, the {@code .mf} last) to a temporary file, syncs it and renames it onto
 * the target. A failure leaves nothing behind.
 */
final class OvaWriter {
    private static final Logger LOG = LoggerFactory.getLogger(OvaWriter.class);

    private OvaWriter() {
    }

    /** Writes one disk as a streamOptimized VMDK at the given path. */
    @FunctionalInterface
    interface DiskSource {
        void writeVmdk(Path vmdk, Progress progress) throws IOException;

        default long size() {
            return 0;
        }
    }

    static DiskSource of(Path raw) {
        return (vmdk, progress) -> StreamOptimizedVmdk.write(raw, vmdk);
    }

    static DiskSource of(BlockDevice d) {
        return new DiskSource() {
            @Override
            public void writeVmdk(Path vmdk, Progress progress) throws IOException {
                StreamOptimizedVmdk.write(d, vmdk, progress);
            }

            @Override
            public long size() {
                return d.sizeBytes();
            }
        };
    }

    static OvfDescriptor write(OvfDescriptor.Builder vm, List<DiskSource> disks,
                               Map<String, Path> extraFiles, Path out, String manifestAlgorithm,
                               Progress progress) throws IOException {
        String alg = switch (manifestAlgorithm) {
            case "SHA256", "sha256" -> "SHA256";
            case "SHA1", "sha1" -> "SHA1";
            default -> throw new IOException("manifest digest " + manifestAlgorithm
                    + ": sha256 or sha1");
        };
        Path target = out.toAbsolutePath();
        String base = target.getFileName().toString().replaceFirst("(?i)\\.ova$", "");
        Ustar.checkName(base + ".ovf");
        Ustar.checkName(base + ".mf");
        Path scratch = Files.createTempDirectory(target.getParent(), ".ova-scratch-");
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            long total = 0;
            for (DiskSource s : disks) {
                total += s.size();
            }
            long before = 0;
            Map<String, Path> byHref = new HashMap<>(extraFiles);
            for (int i = 0; i < disks.size(); i++) {
                String href = vm.name() + "-disk" + (i + 1) + ".vmdk";
                Ustar.checkName(href);
                Path vmdk = scratch.resolve(href);
                long offset = before;
                long all = total;
                disks.get(i).writeVmdk(vmdk, (d, t) -> progress.update(offset + d, all));
                before += disks.get(i).size();
                long capacity;
                try (VmdkImage img = VmdkImage.open(vmdk)) {
                    capacity = img.sizeBytes();
                }
                vm.disk(href, capacity, Files.size(vmdk));
                if (byHref.put(href, vmdk) != null) {
                    throw new IOException("OVA: " + href + " is both a disk and another file");
                }
            }
            OvfDescriptor d = vm.build();
            List<Path> sources = new ArrayList<>();
            for (OvfDescriptor.FileRef f : d.files()) {
                Ustar.checkName(f.href());
                Path src = byHref.get(f.href());
                if (src == null) {
                    throw new IOException("OVA: no source for " + f.href());
                }
                sources.add(src);
            }
            archive(d, sources, base, alg, tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Ova.moveInto(tmp, target);
            done = true;
            LOG.info("exported appliance {} with {} disk(s) to {}", d.name(), disks.size(),
                    target);
            return d;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
            Ova.deleteTree(scratch);
        }
    }

    private static void archive(OvfDescriptor d, List<Path> sources, String base, String alg,
                                Path tmp) throws IOException {
        byte[] ovf = d.toXml();
        long now = System.currentTimeMillis() / 1000;
        StringBuilder mf = new StringBuilder();
        String javaAlg = alg.equals("SHA1") ? "SHA-1" : "SHA-256";
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 16)) {
            String ovfName = base + ".ovf";
            os.write(Ustar.header(ovfName, ovf.length, now));
            os.write(ovf);
            Ustar.pad(os, ovf.length);
            mf.append(manifestLine(alg, ovfName, Ova.digest(javaAlg).digest(ovf)));
            for (int i = 0; i < sources.size(); i++) {
                Path src = sources.get(i);
                OvfDescriptor.FileRef f = d.files().get(i);
                long size = Files.size(src);
                if (f.size() >= 0 && f.size() != size) {
                    throw new IOException(src + ": " + size + " bytes, the OVF declares "
                            + f.size() + " (changed while being exported?)");
                }
                os.write(Ustar.header(f.href(), size, now));
                MessageDigest md = Ova.digest(javaAlg);
                try (InputStream in = Files.newInputStream(src)) {
                    byte[] buf = new byte[1 << 16];
                    long copied = 0;
                    for (int n; copied < size && (n = in.read(buf, 0,
                            (int) Math.min(buf.length, size - copied))) > 0; ) {
                        os.write(buf, 0, n);
                        md.update(buf, 0, n);
                        copied += n;
                    }
                    if (copied != size) {
                        throw new IOException(src + ": changed while being archived");
                    }
                }
                Ustar.pad(os, size);
                mf.append(manifestLine(alg, f.href(), md.digest()));
            }
            byte[] mfBytes = mf.toString().getBytes(StandardCharsets.US_ASCII);
            os.write(Ustar.header(base + ".mf", mfBytes.length, now));
            os.write(mfBytes);
            Ustar.pad(os, mfBytes.length);
            Ustar.end(os);
        }
    }

    private static String manifestLine(String alg, String name, byte[] digest) {
        return alg + "(" + name + ")= " + HexFormat.of().formatHex(digest) + "\n";
    }
}

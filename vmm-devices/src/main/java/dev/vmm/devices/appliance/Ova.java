package dev.vmm.devices.appliance;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.Progress;
import dev.vmm.devices.storage.vmdk.VmdkImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OVA appliances: a ustar tar holding the {@code .ovf} descriptor first, then the files in the
 * order of {@code References} (the disks as streamOptimized VMDKs, then a CD image, a kernel),
 * then the {@code .mf} manifest ({@code SHA256(name)= hex} per file).
 *
 * <p>{@link #write} ({@link OvaWriter}) converts the disks to VMDK in a scratch directory beside
 * the output, writes the archive to a temporary file and renames it onto the target: a failure
 * leaves nothing behind. {@link #read} checks the archive (header checksums, regular files with
 * plain names only, sizes inside the file, the end-of-archive blocks), verifies every digest in
 * the manifest (SHA-256 or SHA-1) before using anything, parses the OVF, checks that every file
 * it references is there with its declared size, and extracts them (disks must be VMDKs within
 * their declared capacity); a refusal names the file at fault and leaves no extracted file
 * behind. Archives laid out differently (the manifest second, as VirtualBox writes them; GNU
 * tar headers) are read as well.
 */
public final class Ova {
    private static final Logger LOG = LoggerFactory.getLogger(Ova.class);
    private static final int MAX_OVF_BYTES = 16 << 20;
    private static final Pattern MF_LINE =
            Pattern.compile("(SHA1|SHA256|SHA512)\\s*\\((.+)\\)\\s*=\\s*([0-9a-fA-F]+)");

    private Ova() {
    }

    /**
     * An imported appliance.
     *
     * @param descriptor the parsed OVF
     * @param disks      the extracted VMDK files, in the order of {@code descriptor.disks()}
     * @param files      every extracted file (disks, CD image, kernel, initrd) by its name in
     *                   the OVA
     */
    public record Imported(OvfDescriptor descriptor, List<Path> disks, Map<String, Path> files) {
        public Imported {
            disks = List.copyOf(disks);
            files = Map.copyOf(files);
        }
    }

    /**
     * Writes an OVA at {@code out} for the machine described by {@code vm} (to which the disks
     * are added as {@code <name>-disk<n>.vmdk}) with the raw disk images {@code rawDisks} and a
     * SHA-256 manifest. Returns the descriptor written.
     */
    public static OvfDescriptor write(OvfDescriptor.Builder vm, List<Path> rawDisks, Path out)
            throws IOException {
        List<OvaWriter.DiskSource> disks = new ArrayList<>();
        for (Path p : rawDisks) {
            disks.add(OvaWriter.of(p));
        }
        return OvaWriter.write(vm, disks, Map.of(), out, "SHA256", Progress.NONE);
    }

    /**
     * Writes an OVA at {@code out}: the disks {@code disks} (any format, converted to
     * streamOptimized VMDK as {@code <name>-disk<n>.vmdk}), the files {@code extraFiles} (by
     * their name in the OVA; {@code vm} must already list them, e.g. through
     * {@link OvfDescriptor.Builder#cdrom}), and a manifest with {@code manifestAlgorithm}
     * ("sha256" or "sha1") digests. {@code progress} follows the bytes of the disks read.
     */
    public static OvfDescriptor write(OvfDescriptor.Builder vm, List<? extends BlockDevice> disks,
                                      Map<String, Path> extraFiles, Path out,
                                      String manifestAlgorithm, Progress progress)
            throws IOException {
        List<OvaWriter.DiskSource> sources = new ArrayList<>();
        for (BlockDevice d : disks) {
            sources.add(OvaWriter.of(d));
        }
        return OvaWriter.write(vm, sources, extraFiles, out, manifestAlgorithm, progress);
    }

    /** A file inside the archive: where its data starts and its digests. */
    private record Entry(String name, long offset, long size, byte[] sha256, byte[] sha1) {
    }

    /**
     * Reads the OVA {@code ova}: verifies it, and extracts its disks into {@code destDir}
     * (created if missing; existing files of the same names are refused).
     */
    public static Imported read(Path ova, Path destDir) throws IOException {
        String where = "OVA " + ova;
        Map<String, Entry> entries = new LinkedHashMap<>();
        byte[] ovf = null;
        byte[] mf = null;
        String ovfName = null;
        String mfName = null;
        try (FileChannel ch = FileChannel.open(ova, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            long pos = 0;
            boolean ended = false;
            byte[] hb = new byte[Ustar.BLOCK];
            while (pos + Ustar.BLOCK <= fileSize) {
                readFully(ch, pos, hb, where);
                Ustar.Header h = Ustar.parse(hb, pos, where);
                if (h == null) {
                    if (pos + 2L * Ustar.BLOCK <= fileSize) {
                        byte[] second = new byte[Ustar.BLOCK];
                        readFully(ch, pos + Ustar.BLOCK, second, where);
                        ended = Ustar.isZero(second);
                    }
                    if (!ended) {
                        throw new IOException(where + ": truncated archive (incomplete"
                                + " end-of-archive marker at byte " + pos + ")");
                    }
                    break;
                }
                checkEntry(h, where);
                long data = pos + Ustar.BLOCK;
                long padded = (h.size() + Ustar.BLOCK - 1) / Ustar.BLOCK * Ustar.BLOCK;
                if (data + h.size() > fileSize) {
                    throw new IOException(where + ": truncated archive: entry " + h.name()
                            + " declares " + h.size() + " bytes, only "
                            + (fileSize - data) + " remain");
                }
                if (entries.containsKey(h.name())) {
                    throw new IOException(where + ": entry " + h.name() + " appears twice");
                }
                if (entries.isEmpty() && !h.name().toLowerCase(Locale.ROOT).endsWith(".ovf")) {
                    throw new IOException(where + ": the first entry is " + h.name()
                            + ", not the .ovf descriptor");
                }
                boolean isOvf = entries.isEmpty();
                boolean isMf = h.name().toLowerCase(Locale.ROOT).endsWith(".mf");
                if ((isOvf || isMf) && h.size() > MAX_OVF_BYTES) {
                    throw new IOException(where + ": " + h.name() + " is too large ("
                            + h.size() + " bytes)");
                }
                MessageDigest s256 = digest("SHA-256");
                MessageDigest s1 = digest("SHA-1");
                byte[] keep = (isOvf || isMf) ? new byte[(int) h.size()] : null;
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                long done = 0;
                while (done < h.size()) {
                    buf.clear().limit((int) Math.min(buf.capacity(), h.size() - done));
                    int n = ch.read(buf, data + done);
                    if (n <= 0) {
                        throw new IOException(where + ": truncated archive in " + h.name());
                    }
                    s256.update(buf.array(), 0, n);
                    s1.update(buf.array(), 0, n);
                    if (keep != null) {
                        System.arraycopy(buf.array(), 0, keep, (int) done, n);
                    }
                    done += n;
                }
                if (isOvf) {
                    ovf = keep;
                    ovfName = h.name();
                } else if (isMf) {
                    if (mf != null) {
                        throw new IOException(where + ": more than one manifest (.mf)");
                    }
                    mf = keep;
                    mfName = h.name();
                }
                entries.put(h.name(), new Entry(h.name(), data, h.size(), s256.digest(),
                        s1.digest()));
                pos = data + padded;
            }
            if (!ended) {
                throw new IOException(where + ": truncated archive (no end-of-archive marker)");
            }
            if (ovf == null) {
                throw new IOException(where + ": empty archive (no .ovf descriptor)");
            }
            if (mf == null) {
                throw new IOException(where + ": no manifest (.mf); refusing unverified files");
            }
            verifyManifest(mf, mfName, entries, where);

            OvfDescriptor d;
            try {
                d = OvfDescriptor.parse(ovf);
            } catch (IOException e) {
                throw new IOException(where + ": " + ovfName + ": " + e.getMessage(), e);
            }
            LOG.debug("{}: descriptor {} verified", where, ovfName);
            for (OvfDescriptor.FileRef f : d.files()) {
                Entry e = entries.get(f.href());
                if (e == null) {
                    throw new IOException(where + ": the OVF references " + f.href()
                            + " which is not in the archive");
                }
                if (f.size() >= 0 && f.size() != e.size()) {
                    throw new IOException(where + ": " + f.href() + " is " + e.size()
                            + " bytes, the OVF declares " + f.size());
                }
                Ustar.checkName(f.href());
            }
            return extract(ch, d, entries, destDir, where);
        }
    }

    private static Imported extract(FileChannel ch, OvfDescriptor d, Map<String, Entry> entries,
                                    Path destDir, String where) throws IOException {
        Files.createDirectories(destDir);
        List<Path> made = new ArrayList<>();
        Map<String, Path> files = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (OvfDescriptor.FileRef f : d.files()) {
                Entry e = entries.get(f.href());
                Path target = destDir.resolve(f.href());
                if (Files.exists(target) || made.contains(target)) {
                    throw new IOException(where + ": " + target + " already exists");
                }
                Path tmp = destDir.resolve("." + f.href() + ".part");
                made.add(tmp);
                copyOut(ch, e, tmp, where);
                for (OvfDescriptor.Disk disk : d.disks()) {
                    if (disk.href().equals(f.href())) {
                        checkDisk(tmp, disk, where);
                    }
                }
                moveInto(tmp, target);
                made.set(made.size() - 1, target);
                files.put(f.href(), target);
            }
            List<Path> disks = new ArrayList<>();
            for (OvfDescriptor.Disk disk : d.disks()) {
                disks.add(files.get(disk.href()));
            }
            ok = true;
            LOG.info("{}: imported {} with {} disk(s) into {}", where, d.name(),
                    d.disks().size(), destDir);
            return new Imported(d, disks, files);
        } finally {
            if (!ok) {
                for (Path p : made) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Copies an entry's data out of the archive, checking it against the verified digest. */
    private static void copyOut(FileChannel ch, Entry e, Path tmp, String where)
            throws IOException {
        MessageDigest md = digest("SHA-256");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            long done = 0;
            while (done < e.size()) {
                buf.clear().limit((int) Math.min(buf.capacity(), e.size() - done));
                int n = ch.read(buf, e.offset() + done);
                if (n <= 0) {
                    throw new IOException(where + ": truncated archive in " + e.name());
                }
                md.update(buf.array(), 0, n);
                buf.flip();
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                done += n;
            }
            out.force(true);
        }
        if (!MessageDigest.isEqual(md.digest(), e.sha256())) {
            throw new IOException(where + ": " + e.name() + " changed while being extracted");
        }
    }

    /** The extracted disk must be a readable VMDK no larger than its declared capacity. */
    private static void checkDisk(Path vmdk, OvfDescriptor.Disk disk, String where)
            throws IOException {
        long size;
        try (VmdkImage img = VmdkImage.open(vmdk)) {
            size = img.sizeBytes();
        } catch (IOException ex) {
            throw new IOException(where + ": disk " + disk.href() + ": " + ex.getMessage(), ex);
        }
        if (size > disk.capacityBytes()) {
            throw new IOException(where + ": disk " + disk.href() + " holds " + size
                    + " bytes, more than its declared capacity " + disk.capacityBytes());
        }
    }

    private static void verifyManifest(byte[] mf, String mfName, Map<String, Entry> entries,
                                       String where) throws IOException {
        Map<String, String[]> listed = new HashMap<>();
        String text = new String(mf, StandardCharsets.UTF_8);
        for (String line : text.split("\r?\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = MF_LINE.matcher(line.strip());
            if (!m.matches()) {
                throw new IOException(where + ": manifest " + mfName + ": bad line \""
                        + line.strip() + "\"");
            }
            if (listed.put(m.group(2), new String[] {m.group(1), m.group(3)}) != null) {
                throw new IOException(where + ": manifest lists " + m.group(2) + " twice");
            }
        }
        for (Entry e : entries.values()) {
            String lower = e.name().toLowerCase(Locale.ROOT);
            if (e.name().equals(mfName) || lower.endsWith(".cert")) {
                continue;
            }
            String[] l = listed.get(e.name());
            if (l == null) {
                throw new IOException(where + ": " + e.name()
                        + " has no entry in the manifest; refusing an unverified file");
            }
            byte[] actual = switch (l[0]) {
                case "SHA256" -> e.sha256();
                case "SHA1" -> e.sha1();
                default -> throw new IOException(where + ": manifest " + mfName + ": digest "
                        + l[0] + " of " + e.name() + " is not supported (SHA256 or SHA1)");
            };
            byte[] expected;
            try {
                expected = HexFormat.of().parseHex(l[1].toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException ex) {
                throw new IOException(where + ": manifest: bad digest for " + e.name(), ex);
            }
            if (!MessageDigest.isEqual(actual, expected)) {
                throw new IOException(where + ": digest mismatch for " + e.name() + " ("
                        + l[0] + " in the manifest " + l[1] + ", file has "
                        + HexFormat.of().formatHex(actual) + ")");
            }
        }
        for (Map.Entry<String, String[]> l : listed.entrySet()) {
            if (!entries.containsKey(l.getKey())) {
                throw new IOException(where + ": the manifest lists " + l.getKey()
                        + " which is not in the archive");
            }
        }
    }

    /** Refuses entries that are not regular files with plain names (no paths, no links). */
    private static void checkEntry(Ustar.Header h, String where) throws IOException {
        String n = h.name();
        if (n.startsWith("/") || n.contains("..") || n.contains("\\") || n.contains("/")) {
            throw new IOException(where + ": unsafe entry name " + n
                    + " (absolute path, .. or a directory)");
        }
        if (h.type() != '0' && h.type() != '\0') {
            String kind = switch (h.type()) {
                case '1' -> "a hard link";
                case '2' -> "a symbolic link";
                case '3', '4' -> "a device";
                case '5' -> "a directory";
                case '6' -> "a FIFO";
                default -> "of type '" + h.type() + "'";
            };
            throw new IOException(where + ": entry " + n + " is " + kind
                    + ", only regular files are accepted");
        }
        try {
            Ustar.checkName(n);
        } catch (IOException e) {
            throw new IOException(where + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel ch, long pos, byte[] b, String where)
            throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) {
            if (ch.read(bb, pos + bb.position()) < 0) {
                throw new IOException(where + ": truncated archive at byte " + pos);
            }
        }
    }

    static MessageDigest digest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(alg + " missing from the JDK", e);
        }
    }

    static void moveInto(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}

package dev.vmm.cli.appliance;

import dev.vmm.cli.SavedState;
import dev.vmm.cli.VmSnapshots;
import dev.vmm.cli.host.VmDefinition;
import dev.vmm.cli.host.VmStore;
import dev.vmm.devices.appliance.Ova;
import dev.vmm.devices.appliance.OvfDescriptor;
import dev.vmm.core.monitor.Sizes;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.SnapshotDisks;
import dev.vmm.devices.storage.Progress;
import dev.vmm.devices.storage.formats.DiskConverter;
import dev.vmm.devices.storage.formats.DiskFormat;
import dev.vmm.devices.storage.formats.DiskImages;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports an OVA as a new VM definition. {@link Ova#read} verifies every manifest digest before
 * anything is used and refuses unsafe or inconsistent archives; the disks are converted from
 * VMDK, the CD image and kernel taken over, all in a staging directory beside the VM's files
 * directory ({@link VmStore#filesDirectory}, under the data directory), which is renamed into
 * place once everything succeeded; then the definition is stored, with the disks read-write (they
 * are the VM's own). Any refusal or failure removes the staging directory: nothing is left behind.
 *
 * <p>OVF to definition: CPUs from RASD 3, memory from RASD 4 (any allocation unit), the disks in
 * their order on the controllers (IDE first), the CD image of the CD drive (RASD 15) if it
 * carries one, the kernel, initrd and command line of vmm's {@code BootSection}. Everything else
 * (network adapters, USB, sound, {@code vbox:Machine}) is ignored.
 *
 * <p>An appliance with vmm's {@code SavedStateSection} is imported suspended: its state (a vmm
 * snapshot) must be intact, of the machine the OVF describes (RAM, drives, boot path), and each
 * imported disk must hold the contents the state refers to (the SHA-256 the OVF gives); the state is
 * then rebound to the imported images and kept as the VM's saved state ({@link VmStore#statePath}),
 * so {@code vmm start} resumes it where it was. Anything else is refused like a bad archive.
 */
public final class ApplianceImport {
    private static final Logger LOG = LoggerFactory.getLogger(ApplianceImport.class);

    private ApplianceImport() {
    }

    /**
     * Imports {@code ova} into {@code store} as {@code name} (null: the OVF's name, made a valid
     * VM name), converting the disks to {@code diskFormat}. Returns the stored definition.
     */
    public static VmDefinition importOva(VmStore store, Path ova, String name,
                                         DiskFormat diskFormat, Progress progress)
            throws IOException {
        if (!Files.isRegularFile(ova)) {
            throw new IOException("OVA " + ova + ": no such file");
        }
        if (diskFormat == DiskFormat.VMDK) {
            throw new IOException("imported disks are raw or qcow2 (VMDK is read-only in vmm)");
        }
        if (name != null) {
            checkName(name);
            refuseExisting(store, name);
        }
        Path parent = store.filesDirectory("x").getParent();     // $VMM_HOME/vms
        Files.createDirectories(parent);
        Path staging = parent.resolve(".import-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Path placed = null;
        boolean ok = false;
        try {
            Files.createDirectory(staging);
            Ova.Imported imp = Ova.read(ova, staging.resolve("ova"));
            OvfDescriptor d = imp.descriptor();
            String vmName = name != null ? name : vmName(d.name());
            refuseExisting(store, vmName);
            if (d.memoryMiB() <= 0) {
                throw new IOException("OVA " + ova + ": the OVF declares no memory (RASD 4)");
            }
            Path files = Files.createDirectory(staging.resolve("files"));
            Path dest = store.filesDirectory(vmName);
            List<Path> disks = convertDisks(imp, vmName, files, diskFormat, progress);
            Path cdrom = null;
            if (d.cdrom() != null && d.cdrom().href() != null) {
                cdrom = take(imp, d.cdrom().href(), files.resolve(vmName + "-cdrom.iso"));
            }
            Path kernel = null;
            Path initrd = null;
            String append = null;
            if (d.boot() != null) {
                kernel = take(imp, d.boot().kernelHref(), files.resolve(vmName + "-kernel"));
                if (d.boot().initrdHref() != null) {
                    initrd = take(imp, d.boot().initrdHref(), files.resolve(vmName + "-initrd"));
                }
                append = d.boot().append();
            }
            if (d.state() != null) {
                bindState(imp, d, ova, disks, cdrom, files, dest,
                        kernel == null ? null : imageFile(kernel, files, dest),
                        initrd == null ? null : imageFile(initrd, files, dest));
            }
            VmDefinition vm;
            try {
                VmDefinition.Builder b = VmDefinition.builder(vmName, d.memoryMiB() << 20)
                        .cpus(Math.max(1, d.cpus())).diskMode("rw")
                        .cdrom(relocate(cdrom, files, dest));
                for (Path p : relocate(disks, files, dest)) {
                    b.disk(p);
                }
                if (kernel != null) {
                    Path rd = relocate(initrd, files, dest);
                    b.kernel(relocate(kernel, files, dest), rd == null ? null : rd.toString(), append);
                }
                vm = b.build();
            } catch (IllegalArgumentException e) {
                throw new IOException("OVA " + ova + ": " + e.getMessage(), e);
            }
            if (Files.exists(dest)) {
                throw new IOException("the files directory " + dest + " already exists");
            }
            move(files, dest);
            placed = dest;
            store.create(vm);
            ok = true;
            LOG.info("imported {} from {} ({} disk(s){})", vmName, ova, disks.size(),
                    d.state() != null ? ", suspended" : "");
            return vm;
        } finally {
            VmStore.deleteTree(staging);
            if (!ok && placed != null) {
                VmStore.deleteTree(placed);
            }
        }
    }

    /**
     * Checks the appliance's saved state against the imported machine and writes it, rebound to
     * the imported images (named as they will be in {@code dest}), as {@code files/state.vmmsnap}.
     */
    private static void bindState(Ova.Imported imp, OvfDescriptor d, Path ova, List<Path> disks, Path cdrom,
                                  Path files, Path dest, SnapshotDisks.ImageFile kernelFile,
                                  SnapshotDisks.ImageFile initrdFile) throws IOException {
        String where = "OVA " + ova + ": saved state " + d.state().href();
        Path file = imp.files().get(d.state().href());
        if (file == null) {
            throw new IOException(where + " was not extracted");
        }
        SavedState s;
        try {
            s = SavedState.read(file);
        } catch (IOException e) {
            throw new IOException(where + ": " + e.getMessage().replace(file + ": ", ""), e);
        }
        if (s.memoryBytes() != d.memoryMiB() << 20) {
            throw new IOException(where + ": it has " + Sizes.format(s.memoryBytes()) + " of RAM, the OVF declares "
                    + d.memoryMiB() + " MiB");
        }
        boolean kernel = s.boot() == VmSnapshots.Boot.KERNEL;
        if (kernel != (d.boot() != null) || s.boot() == VmSnapshots.Boot.EXTERNAL_BIOS) {
            throw new IOException(where + ": it was booted by " + s.boot().name().toLowerCase(java.util.Locale.ROOT)
                    + ", the OVF " + (d.boot() != null ? "boots a kernel" : "boots by BIOS"));
        }
        int drives = disks.size() + (cdrom != null ? 1 : 0);
        if (s.drives().size() != drives || cdrom != null && s.drive(1, 0) == null) {
            throw new IOException(where + ": it has " + s.drives().size() + " drive(s), the OVF " + drives);
        }
        Map<String, List<SnapshotDisks.ImageFile>> chains = new HashMap<>();
        for (int i = 0; i < disks.size(); i++) {
            int[] slot = SLOTS[i];
            SavedState.Drive sd = s.drive(slot[0], slot[1]);
            if (sd == null || sd.cdrom()) {
                throw new IOException(where + ": it has no disk on IDE " + SavedState.slot(slot[0], slot[1])
                        + " where the OVF puts disk " + d.disks().get(i).diskId());
            }
            String sha;
            try (BlockDevice b = DiskImages.openReadOnly(disks.get(i))) {
                sha = ApplianceExport.contentSha256(b);
            }
            if (!sha.equals(d.state().diskContents().get(i))) {
                throw new IOException(where + ": disk " + d.disks().get(i).href() + " does not hold the contents the "
                        + "state was saved with (their SHA-256 is " + sha + ", the OVF says "
                        + d.state().diskContents().get(i) + ")");
            }
            chains.put(SavedState.slot(slot[0], slot[1]), List.of(imageFile(disks.get(i), files, dest)));
        }
        if (cdrom != null) {
            chains.put(SavedState.slot(1, 0), List.of(imageFile(cdrom, files, dest)));
        }
        s.rebind(chains, kernelFile, initrdFile, files.resolve(VmStore.STATE_FILE));
    }

    /** The IDE places of disks 1, 2, 3 (the CD is on 1:0), as a host VM has them. */
    private static final int[][] SLOTS = {{0, 0}, {0, 1}, {1, 1}};

    /** {@code p} (in {@code files}) as the snapshot names it once moved to {@code dest}. */
    private static SnapshotDisks.ImageFile imageFile(Path p, Path files, Path dest) throws IOException {
        return new SnapshotDisks.ImageFile(relocate(p, files, dest).toAbsolutePath().toString(), Files.size(p),
                SnapshotDisks.sha256(p));
    }

    private static List<Path> convertDisks(Ova.Imported imp, String vmName, Path files,
                                           DiskFormat format, Progress progress)
            throws IOException {
        List<BlockDevice> sources = new ArrayList<>();
        List<Path> out = new ArrayList<>();
        try {
            long total = 0;
            for (Path vmdk : imp.disks()) {
                BlockDevice b = DiskImages.open(vmdk, DiskFormat.VMDK,
                        dev.vmm.devices.storage.RawImage.Mode.READ_ONLY);
                sources.add(b);
                total += b.sizeBytes();
            }
            long before = 0;
            for (int i = 0; i < sources.size(); i++) {
                Path target = files.resolve(vmName + "-disk" + (i + 1) + "." + format.label());
                long offset = before;
                long all = total;
                DiskConverter.write(sources.get(i), target, format,
                        (done, t) -> progress.update(offset + done, all));
                before += sources.get(i).sizeBytes();
                out.add(target);
            }
            return out;
        } finally {
            for (BlockDevice b : sources) {
                b.close();
            }
        }
    }

    private static Path take(Ova.Imported imp, String href, Path target) throws IOException {
        Path src = imp.files().get(href);
        if (src == null) {
            throw new IOException("the OVF references " + href + " which was not extracted");
        }
        Files.move(src, target);
        return target;
    }

    private static List<Path> relocate(List<Path> paths, Path from, Path to) {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            out.add(relocate(p, from, to));
        }
        return out;
    }

    private static Path relocate(Path p, Path from, Path to) {
        return p == null ? null : to.resolve(from.relativize(p));
    }

    private static void checkName(String name) throws IOException {
        try {
            VmDefinition.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void refuseExisting(VmStore store, String name) throws IOException {
        if (store.exists(name) || Files.exists(store.filesDirectory(name))) {
            throw new IOException("a VM named " + name + " already exists (choose another with"
                    + " --name)");
        }
    }

    /** The OVF's name as a VM name: other characters become '-'. */
    static String vmName(String ovfName) {
        String s = ovfName.strip().replaceAll("[^A-Za-z0-9._-]", "-")
                .replaceFirst("^[._-]+", "");
        if (s.length() > 64) {
            s = s.substring(0, 64);
        }
        return s.isEmpty() ? "imported" : s;
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }
}

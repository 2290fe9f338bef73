package dev.vmm.cli.appliance;

import dev.vmm.cli.host.VmDefinition;
import dev.vmm.cli.host.VmStore;
import dev.vmm.devices.appliance.Ova;
import dev.vmm.devices.appliance.OvfDescriptor;
import dev.vmm.devices.storage.BlockDevice;
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
import java.util.List;
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
            LOG.info("imported {} from {} ({} disk(s))", vmName, ova, disks.size());
            return vm;
        } finally {
            VmStore.deleteTree(staging);
            if (!ok && placed != null) {
                VmStore.deleteTree(placed);
            }
        }
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

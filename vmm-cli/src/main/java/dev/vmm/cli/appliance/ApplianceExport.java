package dev.vmm.cli.appliance;

import dev.vmm.cli.SavedState;
import dev.vmm.cli.host.SavedStates;
import dev.vmm.cli.host.VmDefinition;
import dev.vmm.cli.host.VmStore;
import dev.vmm.devices.appliance.Ova;
import dev.vmm.devices.appliance.OvfDescriptor;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.Progress;
import dev.vmm.devices.storage.formats.DiskImages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exports a VM definition as an OVA. The mapping to OVF: CPUs (RASD 3), memory (4, in
 * {@code byte * 2^20}), two PIIX4 IDE controllers (5), an E1000 Ethernet adapter on the "NAT"
 * network (10), the CD drive (15) on the secondary master carrying the CD image, the disks (17)
 * on the primary master, primary slave and secondary slave as streamOptimized VMDKs; a kernel,
 * initrd and command line go into vmm's own {@code BootSection} (ovf:required="false", ignored
 * by other hypervisors) with the files in the OVA. An external BIOS image ({@code vmm create
 * --bios}) and a boot order are not part of the appliance: the importing hypervisor's firmware
 * boots it.
 *
 * <p>With the saved state of a suspended VM ({@code --include-state}): the state file travels as
 * {@code NAME-state.vmmsnap}, declared in vmm's {@code SavedStateSection} (ovf:required="false")
 * with the SHA-256 of each disk's contents; the disks exported are those the state refers to
 * (checked unchanged since the suspend; a copy-on-write disk's delta included).
 */
public final class ApplianceExport {
    private ApplianceExport() {
    }

    /**
     * Writes the VM {@code name} of {@code store} to {@code out}.
     *
     * @param ovfVersion "1.0" or "2.0"
     * @param manifest   "sha256" or "sha1"
     */
    public static OvfDescriptor export(VmStore store, String name, Path out, String ovfVersion,
                                       String manifest, Progress progress) throws IOException {
        return export(store, name, out, ovfVersion, manifest, false, progress);
    }

    /**
     * Writes the VM {@code name} of {@code store} to {@code out}; {@code includeState}: with its
     * saved state (the VM must be suspended).
     *
     * @param ovfVersion "1.0" or "2.0"
     * @param manifest   "sha256" or "sha1"
     */
    public static OvfDescriptor export(VmStore store, String name, Path out, String ovfVersion,
                                       String manifest, boolean includeState, Progress progress)
            throws IOException {
        VmDefinition vm = store.load(name);
        if (!ovfVersion.equals("1.0") && !ovfVersion.equals("2.0")) {
            throw new IOException("OVF version " + ovfVersion + ": 1.0 or 2.0");
        }
        if (vm.disks().size() > OvfDescriptor.MAX_DISKS) {
            throw new IOException("VM " + name + " has " + vm.disks().size() + " disks; an OVA"
                    + " holds at most " + OvfDescriptor.MAX_DISKS + " (IDE, beside the CD)");
        }
        OvfDescriptor.Builder b = OvfDescriptor.builder(vm.name()).ovfVersion(ovfVersion)
                .cpus(vm.cpus()).memoryMiB(vm.memoryMiB()).network("NAT");
        if (vm.kernel() != null) {
            b.os(OvfDescriptor.OS_LINUX, "Linux");
        } else {
            b.os(OvfDescriptor.OS_OTHER, "Other");
        }
        Map<String, Path> extra = new LinkedHashMap<>();
        if (vm.cdrom() != null) {
            String href = vm.name() + "-cdrom.iso";
            Path cd = Path.of(vm.cdrom());
            b.cdrom(href, size(cd, "CD image"));
            extra.put(href, cd);
        }
        if (vm.kernel() != null) {
            String k = vm.name() + "-kernel";
            String i = vm.initrd() == null ? null : vm.name() + "-initrd";
            Path kernel = Path.of(vm.kernel());
            Path initrd = i == null ? null : initrdFile(vm);
            b.boot(k, size(kernel, "kernel"), i, i == null ? 0 : size(initrd, "initrd"), vm.append());
            extra.put(k, kernel);
            if (i != null) {
                extra.put(i, initrd);
            }
        }
        List<Path> images = vm.diskPaths();
        if (includeState) {
            images = withState(store, vm, b, extra);
        }
        List<BlockDevice> disks = new ArrayList<>();
        try {
            for (Path p : images) {
                disks.add(DiskImages.openReadOnly(p));
            }
            if (includeState) {
                List<String> digests = new ArrayList<>();
                for (BlockDevice d : disks) {
                    digests.add(contentSha256(d));
                }
                Path state = store.statePath(name);
                b.savedState(vm.name() + "-state.vmmsnap", Files.size(state), digests);
                extra.put(vm.name() + "-state.vmmsnap", state);
            }
            return Ova.write(b, disks, extra, out, manifest, progress);
        } finally {
            for (BlockDevice d : disks) {
                d.close();
            }
        }
    }

    /**
     * Checks the saved state of the suspended VM {@code vm} (intact, of this VM, its disks unchanged
     * since the suspend) and returns the images its disks are exported from: those the state refers to.
     */
    private static List<Path> withState(VmStore store, VmDefinition vm, OvfDescriptor.Builder b,
                                        Map<String, Path> extra) throws IOException {
        String name = vm.name();
        if (!store.suspended(name)) {
            throw new IOException("VM " + name + " has no saved state to include (vmm suspend " + name
                    + " saves one; or export without --include-state)");
        }
        if (vm.bios() != null) {
            throw new IOException("VM " + name + " boots an external BIOS, which an appliance does not carry; its "
                    + "state cannot travel without it");
        }
        if ((vm.memoryBytes() & ((1 << 20) - 1)) != 0) {
            throw new IOException("VM " + name + " has " + vm.memoryBytes() + " bytes of RAM, not whole MiB as OVF"
                    + " states it; its state would not fit the imported VM");
        }
        SavedState s = SavedState.load(store.statePath(name));
        return SavedStates.check(vm, s, store);
    }

    /** The SHA-256 of what the guest sees on {@code d} (its virtual bytes, whatever the format), hexadecimal. */
    public static String contentSha256(BlockDevice d) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long at = 0; at < d.sizeBytes(); at += buf.capacity()) {
            buf.clear().limit((int) Math.min(buf.capacity(), d.sizeBytes() - at));
            d.read(at, buf);
            md.update(buf.array(), 0, buf.limit());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The initrd as one file; multiboot module lists ("FILE ARGS,FILE") do not travel in an OVA. */
    private static Path initrdFile(VmDefinition vm) throws IOException {
        Path p = Path.of(vm.initrd());
        if (!Files.isRegularFile(p)) {
            throw new IOException("VM " + vm.name() + ": its initrd '" + vm.initrd() + "' is not one file (multiboot"
                    + " modules cannot be exported)");
        }
        return p;
    }

    private static long size(Path p, String what) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new IOException(what + " " + p + ": no such file");
        }
        return Files.size(p);
    }
}

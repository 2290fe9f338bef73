package dev.vmm.cli.host;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vmm.devices.appliance.OvfDescriptor;
import dev.vmm.firmware.bios.Bios;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A VM as {@code vmm create} and {@code vmm import} define it, {@code vmm start} boots it and
 * {@code vmm export} writes it out; stored by {@link VmStore} as {@code $VMM_HOME/vms/NAME.json}.
 * Paths are absolute. {@code format} is the file's version: {@value #FORMAT} (format 1, of one
 * {@code disk} and no {@code cpus}, is still read: {@link VmStore} converts it).
 *
 * <p>Boot as {@code vmm run} boots: {@code kernel} (a Linux bzImage or a multiboot kernel, with
 * {@code initrd} and {@code append}) directly, or the external BIOS image {@code bios}, or the
 * project's BIOS from the devices of {@code boot} (QEMU's letters: c the first disk, d the CD;
 * null: the disk, then the CD).
 *
 * @param cpus     virtual CPUs as the appliance declares them (the board runs one)
 * @param disks    disk images (raw, qcow2 or VMDK, probed) on the primary master, primary slave
 *                 and secondary slave, in this order; the CD is the secondary master
 * @param diskMode how guest writes reach the disks: {@code rw}, {@code ro} or {@code cow} (in
 *                 memory, the images are never written)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmDefinition(int format, String name, long memoryBytes, int cpus, List<String> disks,
                           String diskMode, String cdrom, String boot, String bios, String kernel,
                           String initrd, String append) {
    /** The format this vmm writes. */
    public static final int FORMAT = 2;
    /** The most CPUs a definition may declare. */
    public static final int MAX_CPUS = 64;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public VmDefinition {
        checkName(name);
        if (format != FORMAT) {
            throw new IllegalArgumentException("VM definition format " + format + " is not known (this vmm reads "
                    + "formats 1 to " + FORMAT + ")");
        }
        if (memoryBytes < (1 << 20) || (memoryBytes & 0xFFF) != 0 || memoryBytes > (3L << 30)) {
            throw new IllegalArgumentException("memory must be between 1M and 3G and a multiple of 4K");
        }
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("cpus must be 1 to " + MAX_CPUS + ", not " + cpus);
        }
        disks = disks == null ? List.of() : List.copyOf(disks);
        if (disks.size() > OvfDescriptor.MAX_DISKS) {
            throw new IllegalArgumentException(disks.size() + " disks: at most " + OvfDescriptor.MAX_DISKS
                    + " (the IDE positions beside the CD)");
        }
        if (disks.isEmpty() && cdrom == null && kernel == null && bios == null) {
            throw new IllegalArgumentException("nothing to boot: give --disk IMG, --cdrom ISO, --kernel FILE or "
                    + "--bios FILE");
        }
        if (kernel == null && (initrd != null || append != null)) {
            throw new IllegalArgumentException("--initrd and --append need --kernel");
        }
        if (bios != null && kernel != null) {
            throw new IllegalArgumentException("--bios and --kernel exclude each other");
        }
        if (boot != null) {
            if (kernel != null || bios != null) {
                throw new IllegalArgumentException("--boot orders the built-in BIOS's devices; it does not apply to "
                        + "--kernel or --bios");
            }
            Bios.BootDevice.parseOrder(boot);           // an IllegalArgumentException names the bad letter
        }
        diskMode = diskMode == null ? "cow" : diskMode.toLowerCase(Locale.ROOT);
        if (!diskMode.equals("rw") && !diskMode.equals("ro") && !diskMode.equals("cow")) {
            throw new IllegalArgumentException("disk mode must be rw, ro or cow, not '" + diskMode + "'");
        }
    }

    /** Refuses names that are not safe as file names and on the command line. */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("VM name must be 1-64 letters, digits, '.', '_' or '-', starting with "
                    + "a letter or digit: '" + name + "'");
        }
    }

    /** Whether {@code name} is a valid VM name. */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Guest RAM in MiB, rounded up (as OVF states it). */
    public long memoryMiB() {
        return (memoryBytes + (1 << 20) - 1) >> 20;
    }

    /** This definition with the disks {@code paths} (a save moved the VM's writes to overlays). */
    public VmDefinition withDisks(List<String> paths) {
        return new VmDefinition(format, name, memoryBytes, cpus, paths, diskMode, cdrom, boot, bios, kernel, initrd,
                append);
    }

    /** The disks as paths. */
    public List<Path> diskPaths() {
        return disks.stream().map(Path::of).toList();
    }

    /** A builder of a new definition (format {@value #FORMAT}, one CPU, disks copy-on-write). */
    public static Builder builder(String name, long memoryBytes) {
        return new Builder(name, memoryBytes);
    }

    /** Collects a definition's parts; paths are made absolute. */
    public static final class Builder {
        private final String name;
        private final long memoryBytes;
        private int cpus = 1;
        private final List<String> disks = new ArrayList<>();
        private String diskMode;
        private String cdrom;
        private String boot;
        private String bios;
        private String kernel;
        private String initrd;
        private String append;

        private Builder(String name, long memoryBytes) {
            this.name = name;
            this.memoryBytes = memoryBytes;
        }

        public Builder cpus(int n) {
            cpus = n;
            return this;
        }

        public Builder disk(Path p) {
            disks.add(abs(p));
            return this;
        }

        public Builder diskMode(String mode) {
            diskMode = mode;
            return this;
        }

        public Builder cdrom(Path p) {
            cdrom = abs(p);
            return this;
        }

        public Builder boot(String order) {
            boot = order;
            return this;
        }

        public Builder bios(Path p) {
            bios = abs(p);
            return this;
        }

        /** A kernel to boot directly, with its initrd (or multiboot modules) and command line (both may be null). */
        public Builder kernel(Path k, String initrdOrModules, String cmdline) {
            kernel = abs(k);
            initrd = initrdOrModules;
            append = cmdline;
            return this;
        }

        public VmDefinition build() {
            return new VmDefinition(FORMAT, name, memoryBytes, cpus, disks, diskMode, cdrom, boot, bios, kernel,
                    initrd, append);
        }

        private static String abs(Path p) {
            return p == null ? null : p.toAbsolutePath().normalize().toString();
        }
    }
}

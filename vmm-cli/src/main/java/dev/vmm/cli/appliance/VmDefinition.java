package dev.vmm.cli.appliance;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What export and import need to know of a VM definition. The VM definitions of {@code vmm
 * create} (JSON files in {@code $VMM_HOME}) carry at least this; an adapter from them to this
 * record, and a {@link VmStore} over their store, is all that export and import need.
 *
 * @param name      the VM's name ({@link #NAME}: letters, digits, '.', '_', '-')
 * @param memoryMiB guest RAM in MiB
 * @param cpus      virtual CPUs
 * @param disks     disk images (any format vmm reads), primary master first
 * @param cdrom     the CD image, or null
 * @param kernel    a Linux kernel to boot directly, or null
 * @param initrd    its initial ramdisk, or null
 * @param append    its command line, or null
 */
public record VmDefinition(String name, long memoryMiB, int cpus, List<Path> disks, Path cdrom,
                           Path kernel, Path initrd, String append) {
    /** Valid VM names. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

    public VmDefinition {
        Objects.requireNonNull(name);
        disks = List.copyOf(disks);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("VM name '" + name + "': 1 to 64 letters, digits,"
                    + " '.', '_' or '-', not starting with '.' or '-'");
        }
        if (memoryMiB <= 0) {
            throw new IllegalArgumentException("VM " + name + ": memory must be positive, not "
                    + memoryMiB + " MiB");
        }
        if (cpus <= 0) {
            throw new IllegalArgumentException("VM " + name + ": at least one CPU, not " + cpus);
        }
        if (kernel == null && (initrd != null || append != null)) {
            throw new IllegalArgumentException("VM " + name + ": initrd and append need a kernel");
        }
    }
}

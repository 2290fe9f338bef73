package dev.vmm.cli.host;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A VM as {@code vmm create} defines it and {@code vmm start} boots it, stored as
 * {@code $VMM_HOME/vms/NAME.json}. Paths are absolute. {@code format} is the file's version (1).
 *
 * @param diskMode how guest writes reach the disk: {@code rw}, {@code ro} or {@code cow} (in
 *                 memory, the image is never written)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VmDefinition(int format, String name, long memoryBytes, String disk, String diskMode, String cdrom,
                           String kernel, String initrd, String append) {
    public static final int FORMAT = 1;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public VmDefinition {
        checkName(name);
        if (format != FORMAT) {
            throw new IllegalArgumentException("VM definition format " + format + " is not known (this vmm reads "
                    + FORMAT + ")");
        }
        if (memoryBytes < (1 << 20) || (memoryBytes & 0xFFF) != 0 || memoryBytes > (3L << 30)) {
            throw new IllegalArgumentException("memory must be between 1M and 3G and a multiple of 4K");
        }
        if (disk == null && kernel == null) {
            throw new IllegalArgumentException("nothing to boot: give --disk IMG or --kernel FILE");
        }
        if (kernel == null && (initrd != null || append != null)) {
            throw new IllegalArgumentException("--initrd and --append need --kernel");
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
}

package dev.vmm.cli;

import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.debug.DebugConsole;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.IsoImage;
import dev.vmm.firmware.bios.Bios;
import dev.vmm.firmware.bios.ElTorito;
import dev.vmm.firmware.bios.VgaBios;
import dev.vmm.firmware.boot.DirectBoot;
import dev.vmm.firmware.linux.BzImage;
import dev.vmm.firmware.linux.E820Entry;
import dev.vmm.firmware.linux.KernelFormatException;
import dev.vmm.firmware.linux.LinuxLoader;
import dev.vmm.firmware.multiboot.MultibootImage;
import dev.vmm.firmware.multiboot.MultibootLoader;
import dev.vmm.firmware.tables.FirmwareTables;
import dev.vmm.firmware.tables.PirqRouting;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@code vmm run} boots, decided and checked before the VM starts: a Linux bzImage or a
 * multiboot kernel loaded directly (with the same ACPI and MP tables as the BIOS path), the
 * external BIOS image of {@code --bios}, or the project's BIOS booting the devices of the boot
 * order (a disk's MBR, a CD's El Torito image). Every problem found here is a
 * {@link RunCommand.BadInput}: one line, status 2, nothing written.
 */
public final class BootSetup {
    /** The smallest and largest {@code --bios} image: a 64 KiB BIOS segment .. a 16 MiB flash chip. */
    static final int MIN_BIOS = 64 << 10;
    static final int MAX_BIOS = 16 << 20;
    /** The debug port SeaBIOS logs to (QEMU attaches its isa-debugcon there). */
    static final int BIOS_LOG_PORT = 0x402;

    private BzImage bz;
    private MultibootImage multiboot;
    private byte[] initrd;
    private List<MultibootLoader.Module> modules = List.of();
    private String append;
    private byte[] externalBios;
    private List<Bios.BootDevice> order = Bios.DEFAULT_ORDER;
    private OutputStream biosLog;

    private BootSetup() {
    }

    /** A direct boot of {@code kernel} (a bzImage or a multiboot kernel); {@code initrd}: its initrd or modules. */
    public static BootSetup kernel(long ram, Path kernel, String initrdOption, String append) throws RunCommand.BadInput {
        return kernel(ram, kernel, initrdOption, append, BootFiles.none());
    }

    /** As {@link #kernel(long, Path, String, String)}, the files read through {@code files} (shared by a host's VMs). */
    public static BootSetup kernel(long ram, Path kernel, String initrdOption, String append, BootFiles files)
            throws RunCommand.BadInput {
        BootSetup s = new BootSetup();
        s.append = append;
        Object image = files.load(kernel, "--kernel", "kernel", Object.class, file -> parseKernel(kernel, file));
        if (image instanceof BzImage b) {
            s.bz = b;
        } else {
            s.multiboot = (MultibootImage) image;
        }
        if (initrdOption != null) {
            if (s.bz != null) {
                s.initrd = files.load(Path.of(initrdOption), "--initrd", "bytes", byte[].class, file -> file);
            } else {
                s.modules = modules(initrdOption, files);
            }
        }
        s.checkFits(ram);
        return s;
    }

    /** The {@link BzImage} or the {@link MultibootImage} in {@code file}. */
    private static Object parseKernel(Path kernel, byte[] file) throws RunCommand.BadInput {
        try {
            return BzImage.parse(file);
        } catch (KernelFormatException bzError) {
            if (looksLikeBzImage(file)) {
                throw new RunCommand.BadInput("kernel " + kernel + ": " + bzError.getMessage());
            }
            try {
                return MultibootImage.parse(file);
            } catch (KernelFormatException mbError) {
                throw new RunCommand.BadInput("kernel " + kernel + ": neither a Linux bzImage (no \"HdrS\" setup "
                        + "header) nor a multiboot kernel (" + mbError.getMessage() + ")");
            }
        }
    }

    /** An external BIOS image ({@code --bios}): mapped as a flash chip at the top of 4 GiB. */
    public static BootSetup externalBios(Path file) throws RunCommand.BadInput {
        byte[] image = readFile(file, "--bios");
        if (image.length < MIN_BIOS || image.length > MAX_BIOS || image.length % MIN_BIOS != 0) {
            throw new RunCommand.BadInput(String.format("--bios %s: %d bytes; a BIOS image is a multiple of 64 KiB "
                    + "between 64 KiB and 16 MiB", file, image.length));
        }
        BootSetup s = new BootSetup();
        s.externalBios = image;
        return s;
    }

    /**
     * The project's BIOS, booting the devices of {@code bootOrder} (null: the hard disk, then the
     * CD). At least one device of the order must be present and bootable.
     */
    public static BootSetup bios(String bootOrder, BlockDevice disk, Path diskPath, IsoImage cd, Path cdPath)
            throws RunCommand.BadInput {
        BootSetup s = new BootSetup();
        if (bootOrder != null) {
            try {
                s.order = Bios.BootDevice.parseOrder(bootOrder);
            } catch (IllegalArgumentException e) {
                throw new RunCommand.BadInput("--boot: " + e.getMessage());
            }
        }
        List<String> why = new ArrayList<>();
        for (Bios.BootDevice d : s.order) {
            boolean present = d == Bios.BootDevice.DISK ? disk != null : cd != null;
            if (!present) {
                if (bootOrder != null) {
                    why.add(d == Bios.BootDevice.DISK ? "no --disk to boot from" : "no --cdrom to boot from");
                }
                continue;
            }
            String problem = d == Bios.BootDevice.DISK ? diskProblem(disk, diskPath) : cdProblem(cd, cdPath);
            if (problem == null) {
                return s;
            }
            why.add(problem);
        }
        throw new RunCommand.BadInput(why.isEmpty() ? "nothing to boot" : String.join("; ", why));
    }

    private static String diskProblem(BlockDevice disk, Path path) {
        byte[] mbr = new byte[512];
        try {
            disk.read(0, mbr);
        } catch (IOException e) {
            return "--disk " + path + ": reading sector 0 failed: " + e.getMessage();
        }
        if ((mbr[510] & 0xFF) != 0x55 || (mbr[511] & 0xFF) != 0xAA) {
            return String.format("--disk %s: not bootable: sector 0 does not end with the 55 AA boot signature "
                    + "(found %02X %02X)", path, mbr[510] & 0xFF, mbr[511] & 0xFF);
        }
        return null;
    }

    private static String cdProblem(IsoImage cd, Path path) {
        try {
            ElTorito.BootImage image = ElTorito.find(cd);
            if (image.media() != ElTorito.NO_EMULATION) {
                return "--cdrom " + path + ": its El Torito boot image needs " + image.mediaName()
                        + ", which the BIOS does not support";
            }
            return null;
        } catch (ElTorito.NotBootableException e) {
            return "--cdrom " + path + ": " + e.getMessage();
        } catch (IOException e) {
            return "--cdrom " + path + ": reading the volume descriptors failed: " + e.getMessage();
        }
    }

    /** Where the external BIOS's writes to port {@link #BIOS_LOG_PORT} go (null: nowhere). */
    void biosLog(OutputStream sink) {
        this.biosLog = sink;
    }

    /** Adds what this boot needs to the board (the external BIOS's flash and video card). */
    public void configure(BoardConfig.Builder b) {
        if (externalBios != null) {
            b.firmware(externalBios).vgaRom(VgaBios.romImage());
        }
    }

    /** Puts the firmware or the kernel into a freshly built {@code board}. */
    public void install(PcBoard board) {
        if (bz != null) {
            FirmwareTables t = DirectBoot.prepare(board);
            LinuxLoader.load(board.memory(), board.cpu(), bz, append, initrd, DirectBoot.e820(t));
        } else if (multiboot != null) {
            FirmwareTables t = DirectBoot.prepare(board);
            MultibootLoader.load(board.memory(), board.cpu(), multiboot, append, modules, DirectBoot.e820(t));
        } else if (externalBios != null) {
            VgaBios.attach(board);
            if (biosLog != null) {
                new DebugConsole(BIOS_LOG_PORT, biosLog).attach(board.io());
            }
        } else {
            Bios.attach(board, order);
        }
    }

    /** Places the kernel into scratch memory of the guest's size: the loaders' checks, before anything is written. */
    private void checkFits(long ram) throws RunCommand.BadInput {
        List<E820Entry> map = DirectBoot.e820(FirmwareTables.build(ram, PirqRouting.SEABIOS));
        try (PhysicalMemory scratch = PhysicalMemory.create(ram)) {
            if (bz != null) {
                LinuxLoader.place(scratch, bz, append, initrd, map);
            } else {
                MultibootLoader.place(scratch, multiboot, append, modules, map);
            }
        } catch (IllegalArgumentException e) {
            throw new RunCommand.BadInput(e.getMessage());
        }
    }

    /** QEMU's multiboot {@code -initrd} syntax: {@code "file1 args,file2"}; each module's string is its entry. */
    private static List<MultibootLoader.Module> modules(String option, BootFiles files) throws RunCommand.BadInput {
        List<MultibootLoader.Module> out = new ArrayList<>();
        for (String entry : option.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                throw new RunCommand.BadInput("--initrd '" + option + "': an empty module entry");
            }
            String file = e.split("\\s+", 2)[0];
            out.add(new MultibootLoader.Module(files.load(Path.of(file), "--initrd", "bytes", byte[].class, f -> f), e));
        }
        return out;
    }

    private static boolean looksLikeBzImage(byte[] f) {
        return f.length >= 0x206 && f[0x202] == 'H' && f[0x203] == 'd' && f[0x204] == 'r' && f[0x205] == 'S';
    }

    static byte[] readFile(Path p, String option) throws RunCommand.BadInput {
        if (!Files.isRegularFile(p)) {
            throw new RunCommand.BadInput(option + " " + p + ": " + (Files.exists(p) ? "not a regular file"
                    : "no such file"));
        }
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new RunCommand.BadInput(option + " " + p + ": " + e.getMessage());
        }
    }
}

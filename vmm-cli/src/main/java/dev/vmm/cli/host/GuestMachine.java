package dev.vmm.cli.host;

import dev.vmm.cli.VmSnapshots;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.board.VmHost;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.RawImage;
import dev.vmm.devices.storage.SwappableDisk;
import dev.vmm.firmware.bios.Bios;
import dev.vmm.firmware.linux.BzImage;
import dev.vmm.firmware.linux.E820Entry;
import dev.vmm.firmware.linux.LinuxLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a host builds and boots a VM from its {@link VmDefinition}, at start and again at every
 * reset: the images and the kernel are opened once (so a copy-on-write overlay survives a reboot,
 * as a disk would), the board and its drives are fresh each time. COM1 is the VM's
 * {@link HostedSerial}. Boot as {@code vmm run} boots: the kernel directly, or the BIOS from the disk.
 */
final class GuestMachine implements VmHost.Machine, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GuestMachine.class);

    private final VmDefinition def;
    private final HostedSerial serial;
    private final RawImage disk;
    private final IsoImage cdrom;
    private final BzImage kernel;
    private final byte[] initrd;

    private GuestMachine(VmDefinition def, HostedSerial serial, RawImage disk, IsoImage cdrom, BzImage kernel,
                         byte[] initrd) {
        this.def = def;
        this.serial = serial;
        this.disk = disk;
        this.cdrom = cdrom;
        this.kernel = kernel;
        this.initrd = initrd;
    }

    /** Opens what {@code def} names; a missing or bad file is an IOException naming it. */
    static GuestMachine open(VmDefinition def, HostedSerial serial) throws IOException {
        RawImage disk = null;
        IsoImage cd = null;
        try {
            if (def.disk() != null) {
                disk = RawImage.open(Path.of(def.disk()), switch (def.diskMode()) {
                    case "rw" -> RawImage.Mode.READ_WRITE;
                    case "ro" -> RawImage.Mode.READ_ONLY;
                    default -> RawImage.Mode.COPY_ON_WRITE;
                });
            }
            if (def.cdrom() != null) {
                cd = IsoImage.open(Path.of(def.cdrom()));
            }
            BzImage bz = null;
            byte[] rd = null;
            if (def.kernel() != null) {
                try {
                    bz = BzImage.read(Path.of(def.kernel()));
                } catch (IllegalArgumentException e) {
                    throw new IOException("kernel " + def.kernel() + ": " + e.getMessage(), e);
                }
                if (def.initrd() != null) {
                    rd = Files.readAllBytes(Path.of(def.initrd()));
                }
            }
            return new GuestMachine(def, serial, disk, cd, bz, rd);
        } catch (IOException | RuntimeException e) {
            closeQuietly(disk);
            closeQuietly(cd);
            throw e;
        }
    }

    @Override
    public PcBoard build() {
        BoardConfig.Builder b = BoardConfig.builder().memory(def.memoryBytes()).serial(0, serial);
        if (disk != null) {
            b.drive(0, 0, new AtaDisk(disk));
        }
        if (cdrom != null) {
            b.drive(1, 0, new AtapiCdrom(cdrom));
        }
        PcBoard board = b.build();
        try {
            if (kernel != null) {
                LinuxLoader.load(board.memory(), board.cpu(), kernel, def.append(), initrd,
                        E820Entry.defaultMap(def.memoryBytes()));
            } else {
                Bios.attach(board);
            }
        } catch (RuntimeException e) {
            board.close();
            throw e;
        }
        return board;
    }

    /**
     * Saves {@code board} (held at an instruction boundary by the caller) to the snapshot {@code file}
     * ({@code vmm restore} resumes it). A disk written through (mode rw) cannot be frozen under a
     * running host VM yet: refused.
     */
    String save(PcBoard board, Path file) throws IOException {
        List<VmSnapshots.Drive> drives = new ArrayList<>();
        if (disk != null) {
            if (disk.mode() == RawImage.Mode.READ_WRITE) {
                throw new IOException("cannot save a VM whose disk is written through (disk mode rw) from a host yet; "
                        + "use disk mode cow or ro");
            }
            drives.add(new VmSnapshots.Drive(0, 0, new SwappableDisk(disk), null));
        }
        if (cdrom != null) {
            drives.add(new VmSnapshots.Drive(1, 0, null, Path.of(def.cdrom())));
        }
        return new VmSnapshots(kernel != null ? VmSnapshots.Boot.KERNEL : VmSnapshots.Boot.BIOS, "", drives)
                .save(board, file);
    }

    /** Flushes and closes the images (the VM stopped). */
    @Override
    public void close() {
        closeQuietly(disk);
        closeQuietly(cdrom);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing {}: {}", c, e.toString());
            }
        }
    }
}

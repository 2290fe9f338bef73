package dev.vmm.cli.host;

import dev.vmm.cli.BootSetup;
import dev.vmm.cli.RunCommand;
import dev.vmm.cli.VmSnapshots;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.board.VmHost;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.RawImage;
import dev.vmm.devices.storage.SwappableDisk;
import dev.vmm.devices.storage.formats.DiskImages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a host builds and boots a VM from its {@link VmDefinition}, at start and again at every
 * reset: the images and the kernel are opened and checked once (so a copy-on-write overlay survives
 * a reboot, as a disk would), the board and its drives are fresh each time. COM1 is the VM's
 * {@link HostedSerial}. The boot is {@code vmm run}'s own {@link BootSetup}: a bzImage or multiboot
 * kernel with the firmware tables (ACPI, MP, E820) the BIOS would give, an external BIOS image, or
 * the project's BIOS booting the disk or the CD in the definition's boot order.
 */
final class GuestMachine implements VmHost.Machine, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GuestMachine.class);
    /** The IDE positions (controller, unit) of the disks, in order; the CD is on 1:0. */
    private static final int[][] DISK_SLOTS = {{0, 0}, {0, 1}, {1, 1}};

    private final VmDefinition def;
    private final HostedSerial serial;
    private final List<SwappableDisk> disks;
    private final IsoImage cdrom;
    private final BootSetup boot;

    private GuestMachine(VmDefinition def, HostedSerial serial, List<SwappableDisk> disks, IsoImage cdrom,
                         BootSetup boot) {
        this.def = def;
        this.serial = serial;
        this.disks = disks;
        this.cdrom = cdrom;
        this.boot = boot;
    }

    /** Opens and checks what {@code def} names; a missing or bad file is an IOException naming it. */
    static GuestMachine open(VmDefinition def, HostedSerial serial) throws IOException {
        List<SwappableDisk> disks = new ArrayList<>();
        IsoImage cd = null;
        try {
            RawImage.Mode mode = switch (def.diskMode()) {
                case "rw" -> RawImage.Mode.READ_WRITE;
                case "ro" -> RawImage.Mode.READ_ONLY;
                default -> RawImage.Mode.COPY_ON_WRITE;
            };
            for (Path p : def.diskPaths()) {
                // raw, qcow2 or VMDK, probed; switchable, so that a save can freeze it under an overlay
                disks.add(new SwappableDisk(DiskImages.open(p, null, mode)));
            }
            if (def.cdrom() != null) {
                try {
                    cd = IsoImage.open(Path.of(def.cdrom()));
                } catch (IOException e) {
                    throw new IOException("CD image " + def.cdrom() + ": " + e.getMessage(), e);
                }
            }
            BootSetup boot;
            try {
                if (def.kernel() != null) {
                    boot = BootSetup.kernel(def.memoryBytes(), Path.of(def.kernel()), def.initrd(), def.append());
                } else if (def.bios() != null) {
                    boot = BootSetup.externalBios(Path.of(def.bios()));
                } else {
                    boot = BootSetup.bios(def.boot(), disks.isEmpty() ? null : disks.getFirst(),
                            disks.isEmpty() ? null : Path.of(def.disks().getFirst()), cd,
                            def.cdrom() == null ? null : Path.of(def.cdrom()));
                }
            } catch (RunCommand.BadInput e) {
                throw new IOException(e.getMessage(), e);
            }
            if (def.cpus() > 1) {
                log.info("{}: declares {} CPUs; the board runs one", def.name(), def.cpus());
            }
            return new GuestMachine(def, serial, List.copyOf(disks), cd, boot);
        } catch (IOException | RuntimeException e) {
            disks.forEach(GuestMachine::closeQuietly);
            closeQuietly(cd);
            throw e;
        }
    }

    @Override
    public PcBoard build() {
        BoardConfig.Builder b = BoardConfig.builder().memory(def.memoryBytes()).serial(0, serial);
        for (int i = 0; i < disks.size(); i++) {
            b.drive(DISK_SLOTS[i][0], DISK_SLOTS[i][1], new AtaDisk(disks.get(i)));
        }
        if (cdrom != null) {
            b.drive(1, 0, new AtapiCdrom(cdrom));
        }
        boot.configure(b);
        PcBoard board = b.build();
        try {
            boot.install(board);
        } catch (RuntimeException e) {
            board.close();
            throw e;
        }
        return board;
    }

    /**
     * Saves {@code board} (held at an instruction boundary by the caller) to the snapshot {@code file}
     * ({@code vmm restore} resumes it). A disk written through (mode rw) cannot be frozen under a
     * running host VM yet (the definition would have to follow the overlay): refused.
     */
    String save(PcBoard board, Path file) throws IOException {
        if (!disks.isEmpty() && def.diskMode().equals("rw")) {
            throw new IOException("cannot save a VM whose disks are written through (disk mode rw) from a host yet; "
                    + "use disk mode cow or ro");
        }
        List<VmSnapshots.Drive> drives = new ArrayList<>();
        for (int i = 0; i < disks.size(); i++) {
            drives.add(new VmSnapshots.Drive(DISK_SLOTS[i][0], DISK_SLOTS[i][1], disks.get(i), null));
        }
        if (cdrom != null) {
            drives.add(new VmSnapshots.Drive(1, 0, null, Path.of(def.cdrom())));
        }
        VmSnapshots.Boot kind = def.kernel() != null ? VmSnapshots.Boot.KERNEL
                : def.bios() != null ? VmSnapshots.Boot.EXTERNAL_BIOS : VmSnapshots.Boot.BIOS;
        return new VmSnapshots(kind, def.boot() == null ? "" : def.boot(), drives).save(board, file);
    }

    /** Flushes and closes the images (the VM stopped). */
    @Override
    public void close() {
        disks.forEach(GuestMachine::closeQuietly);
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

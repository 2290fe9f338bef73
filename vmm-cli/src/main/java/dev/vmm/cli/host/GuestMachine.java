package dev.vmm.cli.host;

import dev.vmm.cli.BootFiles;
import dev.vmm.cli.BootSetup;
import dev.vmm.cli.RunCommand;
import dev.vmm.cli.SavedState;
import dev.vmm.cli.VmSnapshots;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.board.VmHost;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.ide.IdeDrive;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.RawImage;
import dev.vmm.devices.storage.SnapshotDisks;
import dev.vmm.devices.storage.SwappableDisk;
import dev.vmm.devices.storage.formats.DiskImages;
import dev.vmm.devices.storage.qcow2.Qcow2Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a host builds and boots a VM from its {@link VmDefinition}, at start and again at every
 * reset: the images and the kernel are opened and checked once (so a copy-on-write overlay survives
 * a reboot, as a disk would), the board and its drives are fresh each time. COM1 is the VM's
 * {@link HostedSerial}. The boot is {@code vmm run}'s own {@link BootSetup}: a bzImage or multiboot
 * kernel with the firmware tables (ACPI, MP, E820) the BIOS would give, an external BIOS image, or
 * the project's BIOS booting the disk or the CD in the definition's boot order.
 *
 * <p>Saving ({@link #save}): the disks are frozen at the save point so the snapshot refers to their
 * contents then. A disk written through (mode rw) goes on in a new qcow2 overlay in the VM's files
 * directory, and the stored definition names the overlay from then on (the VM's disk chain is the
 * same after a host restart). Suspending ({@link #suspend}) freezes nothing: the VM stops right
 * after and its disks stay as they are until it resumes. A machine opened with a saved state
 * ({@link #open} with a {@link SavedState}) builds its first board from it: the VM goes on where
 * it was; a reset later boots the definition afresh.
 */
final class GuestMachine implements VmHost.Machine, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GuestMachine.class);
    /** The IDE positions (controller, unit) of the disks, in order; the CD is on 1:0. */
    static final int[][] DISK_SLOTS = {{0, 0}, {0, 1}, {1, 1}};

    private final HostedSerial serial;
    private final List<SwappableDisk> disks;
    private final IsoImage cdrom;
    private final BootSetup boot;
    private final VmStore store;
    private volatile VmDefinition def;
    private SavedState resume;                  // the state the first board is restored from; guarded by this

    private GuestMachine(VmDefinition def, HostedSerial serial, List<SwappableDisk> disks, IsoImage cdrom,
                         BootSetup boot, VmStore store, SavedState resume) {
        this.def = def;
        this.serial = serial;
        this.disks = disks;
        this.cdrom = cdrom;
        this.boot = boot;
        this.store = store;
        this.resume = resume;
    }

    /** Opens and checks what {@code def} names; a missing or bad file is an IOException naming it. */
    static GuestMachine open(VmDefinition def, HostedSerial serial, VmStore store) throws IOException {
        return open(def, serial, store, null, BootFiles.none());
    }

    /**
     * Opens what {@code def} names; with {@code saved} (its checked state), the disks are those the
     * state was saved with and the first board is the saved one. A state that does not fit the
     * definition (memory, boot path, drives, disk images) is an IOException of one line. A kernel
     * and its initrd are read through {@code files} (the host's, shared with its other VMs).
     */
    static GuestMachine open(VmDefinition def, HostedSerial serial, VmStore store, SavedState saved,
                             BootFiles files) throws IOException {
        List<Path> images = saved == null ? def.diskPaths() : SavedStates.check(def, saved, store);
        List<SwappableDisk> disks = new ArrayList<>();
        IsoImage cd = null;
        try {
            RawImage.Mode mode = switch (def.diskMode()) {
                case "rw" -> RawImage.Mode.READ_WRITE;
                case "ro" -> RawImage.Mode.READ_ONLY;
                default -> RawImage.Mode.COPY_ON_WRITE;
            };
            for (int i = 0; i < images.size(); i++) {
                // raw, qcow2 or VMDK, probed; switchable, so that a save can freeze it under an overlay
                BlockDevice dev = DiskImages.open(images.get(i), null, mode);
                disks.add(saved == null ? new SwappableDisk(dev)
                        : new SwappableDisk(dev, saved.drive(DISK_SLOTS[i][0], DISK_SLOTS[i][1]).name()));
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
                    boot = BootSetup.kernel(def.memoryBytes(), Path.of(def.kernel()), def.initrd(), def.append(), files);
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
            return new GuestMachine(def, serial, List.copyOf(disks), cd, boot, store, saved);
        } catch (IOException | RuntimeException e) {
            disks.forEach(GuestMachine::closeQuietly);
            closeQuietly(cd);
            throw e;
        }
    }

    /**
     * The first board: the saved one if the machine was opened with a state (an IOException of the
     * restore comes out as an {@link UncheckedIOException}), else a fresh boot; every later board
     * (a reset) boots afresh.
     */
    @Override
    public PcBoard build() {
        SavedState saved;
        synchronized (this) {
            saved = resume;
            resume = null;
        }
        if (saved != null) {
            Map<String, IdeDrive> drives = new HashMap<>();
            for (int i = 0; i < disks.size(); i++) {
                drives.put(SavedState.slot(DISK_SLOTS[i][0], DISK_SLOTS[i][1]), new AtaDisk(disks.get(i)));
            }
            if (cdrom != null) {
                drives.put(SavedState.slot(1, 0), new AtapiCdrom(cdrom));
            }
            try {
                return saved.restore(serial, drives);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
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
     * ({@code vmm restore} resumes it); the VM goes on. A disk written through (mode rw) is frozen: the
     * VM's writes go to a new qcow2 overlay {@code disk<n>.<k>.qcow2} in its files directory from now
     * on, and the stored definition names that overlay. Copy-on-write disks leave their delta beside
     * {@code file}, read-only ones are frozen already (as under {@code vmm run}).
     */
    synchronized String save(PcBoard board, Path file) throws IOException {
        List<AutoCloseable> views = new ArrayList<>();
        List<String> paths = new ArrayList<>(def.disks());
        try {
            List<SwappableDisk> frozen = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            for (int i = 0; i < disks.size(); i++) {
                SwappableDisk d = disks.get(i);
                if (!def.diskMode().equals("rw")) {
                    frozen.add(d);
                    continue;
                }
                Path overlay = freeOverlay(i);
                Files.createDirectories(overlay.getParent());
                Path base = SnapshotDisks.freeze(d, overlay.resolveSibling(overlay.getFileName() + ".unused"),
                        overlay);
                paths.set(i, overlay.toString());
                notes.add("disk writes now go to " + overlay);
                frozen.add(readOnlyView(base, d, views));
            }
            follow(paths);                       // before the snapshot: the chain on disk is the VM's now
            String saved = snapshots(frozen).save(board, file);
            return notes.isEmpty() ? saved : saved + "; " + String.join("; ", notes);
        } finally {
            views.forEach(GuestMachine::closeQuietly);
            follow(paths);                       // a failure after a freeze: the overlay is the VM's all the same
        }
    }

    /** Stores the definition with the disks {@code paths}, if they moved. */
    private void follow(List<String> paths) throws IOException {
        if (!paths.equals(def.disks())) {
            VmDefinition moved = def.withDisks(paths);
            store.replace(moved);
            def = moved;
            log.info("{}: its disks are now {}", moved.name(), paths);
        }
    }

    /**
     * Saves {@code board} (held by the caller, who stops the VM right after) as the VM's saved
     * state {@code file}: the disks are flushed and not switched (nothing writes them until the VM
     * resumes), so the state names the VM's own images.
     */
    synchronized String suspend(PcBoard board, Path file) throws IOException {
        List<AutoCloseable> views = new ArrayList<>();
        try {
            List<SwappableDisk> frozen = new ArrayList<>();
            for (SwappableDisk d : disks) {
                if (!def.diskMode().equals("rw")) {
                    frozen.add(d);
                    continue;
                }
                d.flush();
                frozen.add(readOnlyView(fileOf(d.current()), d, views));
            }
            return snapshots(frozen).save(board, file);
        } finally {
            views.forEach(GuestMachine::closeQuietly);
        }
    }

    /** {@code image} opened again read-only, as the drive {@code d} (so a save takes it as frozen). */
    private static SwappableDisk readOnlyView(Path image, SwappableDisk d, List<AutoCloseable> views)
            throws IOException {
        BlockDevice view = DiskImages.open(image, null, RawImage.Mode.READ_ONLY);
        views.add(view);
        return new SwappableDisk(view, d.name());
    }

    private VmSnapshots snapshots(List<SwappableDisk> frozen) {
        List<VmSnapshots.Drive> drives = new ArrayList<>();
        for (int i = 0; i < frozen.size(); i++) {
            drives.add(new VmSnapshots.Drive(DISK_SLOTS[i][0], DISK_SLOTS[i][1], frozen.get(i), null,
                    def.diskMode()));
        }
        if (cdrom != null) {
            drives.add(new VmSnapshots.Drive(1, 0, null, Path.of(def.cdrom())));
        }
        VmSnapshots.Kernel kernel = def.kernel() == null ? null
                : new VmSnapshots.Kernel(Path.of(def.kernel()), def.initrd(), def.append());
        return new VmSnapshots(bootKind(def), def.boot() == null ? "" : def.boot(), drives, kernel);
    }

    /** How {@code def} boots, in the snapshot's terms. */
    static VmSnapshots.Boot bootKind(VmDefinition def) {
        return def.kernel() != null ? VmSnapshots.Boot.KERNEL
                : def.bios() != null ? VmSnapshots.Boot.EXTERNAL_BIOS : VmSnapshots.Boot.BIOS;
    }

    /** The image file a written-through disk writes to now. */
    private static Path fileOf(BlockDevice current) throws IOException {
        return switch (current) {
            case RawImage r -> r.path();
            case Qcow2Image q -> q.path();
            default -> throw new IOException("cannot save the disk " + current.name()
                    + ": only raw and qcow2 images can be frozen (convert it with vmm disk convert)");
        };
    }

    /** {@code disk<n>.<k>.qcow2} in the VM's files directory, the first k that is free. */
    private Path freeOverlay(int i) {
        Path dir = store.filesDirectory(def.name());
        Path p;
        int k = 1;
        do {
            p = dir.resolve("disk" + (i + 1) + "." + k++ + ".qcow2");
        } while (Files.exists(p));
        return p;
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

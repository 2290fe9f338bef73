package dev.vmm.cli;

import dev.vmm.core.snapshot.RecordCodec;
import dev.vmm.core.snapshot.SectionInput;
import dev.vmm.core.snapshot.Snapshot;
import dev.vmm.core.snapshot.SnapshotFormatException;
import dev.vmm.core.snapshot.SnapshotReader;
import dev.vmm.core.snapshot.SnapshotWriter;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.BoardSnapshot;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.storage.SnapshotDisks;
import dev.vmm.devices.storage.SwappableDisk;
import dev.vmm.firmware.bios.Bios;
import dev.vmm.firmware.bios.VgaBios;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saving a running VM of {@code vmm run} / {@code vmm restore} to a snapshot file, and loading one
 * back with every check made before anything runs. The file holds the board's sections
 * ({@link BoardSnapshot}) and a {@code machine} section ({@link Recipe}): how the VM boots and which
 * frozen disk images it uses (see docs/snapshot-format.md).
 */
public final class VmSnapshots {
    private static final Logger log = LoggerFactory.getLogger(VmSnapshots.class);
    /** The section naming the boot path and the frozen media. */
    static final String MACHINE = "machine";
    /** 2: the disk modes and the kernel files of a direct boot (version 1 is still read). */
    static final int MACHINE_VERSION = 2;

    /** How the saved VM booted: what a restore installs besides the board (the BIOS ROM and its services). */
    public enum Boot { KERNEL, BIOS, EXTERNAL_BIOS }

    /**
     * The {@code machine} section (version 2).
     *
     * @param boot      how the VM booted
     * @param bootOrder the built-in BIOS's boot order ("cd": the disk, then the CD)
     * @param media     the drives' frozen media
     * @param kernel    the files of a direct kernel boot, which a guest reset after a restore boots again;
     *                  null for a BIOS boot (or a kernel VM saved by a caller that did not name them)
     */
    record Recipe(Boot boot, String bootOrder, List<Medium> media, KernelBoot kernel) {
        Recipe {
            media = List.copyOf(media);
        }
    }

    /** The {@code machine} section as version 1 wrote it (no disk modes, no kernel files). */
    record RecipeV1(Boot boot, String bootOrder, List<Medium> media) {
    }

    /**
     * A drive's medium at the save: the frozen image and its backing files.
     *
     * @param channel IDE channel
     * @param unit    IDE unit
     * @param cdrom   an ATAPI CD (else an ATA disk)
     * @param name    the disk's name when the VM started (its serial number derives from it)
     * @param chain   the frozen image, then its backing files, with sizes and SHA-256
     * @param mode    where the guest's writes went: "cow", "rw" or "ro" ("" in version 1: restored as cow)
     */
    record Medium(int channel, int unit, boolean cdrom, String name, List<SnapshotDisks.ImageFile> chain,
                  String mode) {
        Medium {
            chain = List.copyOf(chain);
        }
    }

    /**
     * A direct kernel boot as {@code vmm run --kernel} was given it.
     *
     * @param kernel the bzImage or multiboot kernel
     * @param initrd the {@code --initrd} option (a file, or multiboot modules "FILE [ARGS],FILE..."), or null
     * @param append the kernel command line, or null
     */
    public record Kernel(Path kernel, String initrd, String append) {
    }

    /**
     * The stored form of a {@link Kernel}: its files by absolute path, size and SHA-256.
     *
     * @param kernel      the kernel file
     * @param initrd      the {@code --initrd} option as given (null: none)
     * @param initrdFiles the files it names
     * @param append      the command line (null: none)
     */
    record KernelBoot(SnapshotDisks.ImageFile kernel, String initrd, List<SnapshotDisks.ImageFile> initrdFiles,
                      String append) {
        KernelBoot {
            initrdFiles = List.copyOf(initrdFiles);
        }

        /** Every file, the kernel first. */
        List<SnapshotDisks.ImageFile> files() {
            List<SnapshotDisks.ImageFile> all = new ArrayList<>();
            all.add(kernel);
            all.addAll(initrdFiles);
            return all;
        }
    }

    /**
     * A drive of the running VM: a disk (switchable medium) or a CD (its ISO file).
     *
     * @param mode the disk mode to record ("cow", "rw", "ro"), or null for the one {@code disk} is
     *             in: a host saves read-only views of images its VM writes through
     */
    public record Drive(int channel, int unit, SwappableDisk disk, Path cdImage, String mode) {
        public Drive(int channel, int unit, SwappableDisk disk, Path cdImage) {
            this(channel, unit, disk, cdImage, null);
        }
    }

    private final Boot boot;
    private final String bootOrder;
    private final List<Drive> drives;
    private final Kernel kernel;
    /** {@link #kernel}'s files, described at the first save (or known from the snapshot restored). */
    private KernelBoot kernelFiles;

    /**
     * @param boot      how the VM boots
     * @param bootOrder the built-in BIOS's boot order ("" for its default)
     * @param drives    the drives, whose disks a save freezes
     */
    public VmSnapshots(Boot boot, String bootOrder, List<Drive> drives) {
        this(boot, bootOrder, drives, (Kernel) null);
    }

    /**
     * @param boot      how the VM boots
     * @param bootOrder the built-in BIOS's boot order ("" for its default)
     * @param drives    the drives, whose disks a save freezes
     * @param kernel    with {@link Boot#KERNEL}: the kernel's files, which the snapshot names (path, size,
     *                  SHA-256) so that a guest reset after a restore boots them again; null: such a VM
     *                  ends at a reset after a restore
     */
    public VmSnapshots(Boot boot, String bootOrder, List<Drive> drives, Kernel kernel) {
        this.boot = boot;
        this.bootOrder = bootOrder;
        this.drives = List.copyOf(drives);
        this.kernel = kernel;
        if (kernel != null) {
            // Hashed now, beside the boot, so that a save does not wait for it (the files were read already).
            Thread.ofVirtual().name("kernel-files").start(() -> {
                try {
                    kernelFiles();
                } catch (IOException e) {
                    log.debug("describing the kernel files: {} (a save will try again)", e.toString());
                }
            });
        }
    }

    /** A restored VM's saver: its kernel files as the snapshot named them (checked at the load). */
    VmSnapshots(Boot boot, String bootOrder, List<Drive> drives, KernelBoot kernelFiles) {
        this(boot, bootOrder, drives, (Kernel) null);
        this.kernelFiles = kernelFiles;
    }

    /**
     * Builds a throwaway 2 MiB board with the BIOS on another thread and runs {@link BoardSnapshot#warmUp}
     * on it: in a fresh JVM, loading and initializing the classes of the CPU (its opcode tables), the
     * devices and the firmware, and the first use of the record encoding and of zstd, cost more than a
     * save's or a restore's own work. A restore starts it before it reads the file; {@code vmm run} at
     * the start, so that a later save does not pay for it while the guest waits.
     */
    static void warmUp() {
        Thread.ofPlatform().daemon().name("snapshot-warm-up").start(() -> {
            try (PcBoard b = BoardConfig.builder().memory(2 << 20).build()) {
                Bios.attach(b);
                BoardSnapshot.warmUp(b);
            } catch (RuntimeException e) {
                log.debug("snapshot warm-up: {}", e.toString());
            }
        });
    }

    /**
     * The files an {@code --initrd} option names, absolute: the option itself if it is a file (a
     * bzImage's initrd), else the file of each multiboot module entry ("FILE [ARGS],FILE...").
     */
    static List<Path> initrdFiles(String option) {
        if (option == null) {
            return List.of();
        }
        if (Files.isRegularFile(Path.of(option))) {
            return List.of(Path.of(option).toAbsolutePath());
        }
        List<Path> out = new ArrayList<>();
        for (String entry : option.split(",")) {
            String e = entry.strip();
            if (!e.isEmpty()) {
                out.add(Path.of(e.split("\\s+", 2)[0]).toAbsolutePath());
            }
        }
        return out;
    }

    private synchronized KernelBoot kernelFiles() throws IOException {
        if (kernelFiles == null && kernel != null) {
            List<SnapshotDisks.ImageFile> initrd = new ArrayList<>();
            for (Path p : initrdFiles(kernel.initrd())) {
                initrd.add(SnapshotDisks.describeFile(p));
            }
            kernelFiles = new KernelBoot(SnapshotDisks.describeFile(kernel.kernel().toAbsolutePath()),
                    kernel.initrd(), initrd, kernel.append());
        }
        return kernelFiles;
    }

    /**
     * Saves {@code board} (held at an instruction boundary by the caller) to {@code file}: freezes
     * the disks, then writes the snapshot through a temporary file. Returns a one-line summary.
     */
    public String save(PcBoard board, Path file) throws IOException {
        long t0 = System.nanoTime();
        Path target = file.toAbsolutePath();
        if (Files.isDirectory(target)) {
            throw new IOException(file + " is a directory");
        }
        if (!Files.isDirectory(target.getParent())) {
            throw new NoSuchFileException(target.getParent().toString(), null, "no such directory");
        }
        List<FrozenMedium> frozen = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<Path> created = new ArrayList<>();
        boolean done = false;
        try {
            for (Drive d : drives) {
                if (d.disk() == null) {
                    frozen.add(new FrozenMedium(d.channel(), d.unit(), true, d.cdImage().getFileName().toString(),
                            d.cdImage(), "ro"));
                    continue;
                }
                String mode = d.mode() != null ? d.mode() : SnapshotDisks.mode(d.disk());
                String slot = ".ide" + d.channel() + "-" + d.unit();
                Path delta = free(target, slot, ".qcow2");
                Path after = free(target, slot, ".after.qcow2");
                Object before = d.disk().current();
                Path top = SnapshotDisks.freeze(d.disk(), delta, after);
                if (top.equals(delta)) {
                    created.add(delta);
                }
                if (d.disk().current() != before) {
                    notes.add("disk writes now go to " + after);
                }
                frozen.add(new FrozenMedium(d.channel(), d.unit(), false, d.disk().name(), top, mode));
            }
            // The frozen images and the kernel files are never written again: their SHA-256s are computed
            // beside the RAM's compression and awaited by the machine section, the last one written.
            FutureTask<Recipe> recipe = new FutureTask<>(() -> recipe(frozen));
            Thread.ofVirtual().name("snapshot-files").start(recipe);
            log.debug("save: disks frozen in {} ms", (System.nanoTime() - t0) / 1_000_000);
            SnapshotWriter w = new SnapshotWriter("vmm " + VersionProvider.version() + ", " + Instant.now());
            BoardSnapshot.addSections(w, board);
            w.section(MACHINE, MACHINE_VERSION, false, out -> RecordCodec.write(out, await(recipe)));
            w.writeTo(target);
            done = true;
        } finally {
            if (!done) {
                for (Path p : created) {
                    Files.deleteIfExists(p);
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String msg = String.format(Locale.ROOT, "saved %s at instruction %d (%.1f MiB, %d ms)", file,
                board.cpu().instructionCount(), Files.size(target) / 1048576.0, ms);
        return notes.isEmpty() ? msg : msg + "; " + String.join("; ", notes);
    }

    /** A drive's medium frozen by a save, to be described (path, size, SHA-256 of each file). */
    private record FrozenMedium(int channel, int unit, boolean cdrom, String name, Path top, String mode) {
    }

    private Recipe recipe(List<FrozenMedium> frozen) throws IOException {
        long t0 = System.nanoTime();
        List<Medium> media = new ArrayList<>();
        for (FrozenMedium f : frozen) {
            media.add(new Medium(f.channel(), f.unit(), f.cdrom(), f.name(), SnapshotDisks.describe(f.top()),
                    f.mode()));
        }
        Recipe r = new Recipe(boot, bootOrder, media, boot == Boot.KERNEL ? kernelFiles() : null);
        log.debug("save: the files described in {} ms", (System.nanoTime() - t0) / 1_000_000);
        return r;
    }

    private static Recipe await(FutureTask<Recipe> task) throws IOException {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while describing the snapshot's files");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("describing the snapshot's files: " + e.getCause(), e.getCause());
        }
    }

    /** {@code base + slot + suffix}, or with a number before the suffix if that exists. */
    private static Path free(Path base, String slot, String suffix) {
        Path p = Path.of(base + slot + suffix);
        for (int n = 2; Files.exists(p); n++) {
            p = Path.of(base + slot + "." + n + suffix);
        }
        return p;
    }

    /**
     * A snapshot file loaded for a restore.
     *
     * @param snapshot the verified container
     * @param shape    the board to build
     * @param recipe   the boot path and frozen media
     * @param files    the check of the files the snapshot names (disk images, kernel files): the problem
     *                 as one line, or null; runs beside the board's construction, see {@link #checkFiles}
     */
    record Loaded(Snapshot snapshot, BoardSnapshot.Shape shape, Recipe recipe, FutureTask<String> files) {
        /**
         * Waits for the check of the files the snapshot names (present, same size and SHA-256) and refuses
         * the snapshot if one is missing or changed. Call before anything runs or any file is written.
         */
        void checkFiles(Path file) throws RunCommand.BadInput {
            String problem;
            try {
                problem = files.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RunCommand.BadInput(file + ": interrupted while checking its files");
            } catch (ExecutionException e) {
                problem = e.getCause().getMessage();
            }
            if (problem != null) {
                throw new RunCommand.BadInput(file + ": " + problem);
            }
        }
    }

    /** Every section a VM snapshot may hold. */
    static Set<String> sections() {
        Set<String> s = new HashSet<>(BoardSnapshot.sectionNames());
        s.add(MACHINE);
        s.add(Bios.SECTION);
        s.add(VgaBios.SECTION);
        return s;
    }

    /** The {@code machine} section, of any version this vmm reads. */
    private static Recipe recipe(SectionInput in) throws SnapshotFormatException {
        if (in.version() > MACHINE_VERSION) {
            throw new SnapshotFormatException("section '" + MACHINE + "' has version " + in.version()
                    + ", this vmm reads up to " + MACHINE_VERSION);
        }
        Recipe r;
        if (in.version() == 1) {
            RecipeV1 v1 = RecordCodec.read(in, RecipeV1.class);
            r = new Recipe(v1.boot(), v1.bootOrder(), v1.media(), null);
        } else {
            r = RecordCodec.read(in, Recipe.class);
        }
        if (r.boot() == null || r.bootOrder() == null) {
            throw new SnapshotFormatException("section '" + MACHINE + "': no boot path");
        }
        for (Medium m : r.media()) {
            String mode = m.mode();
            if (mode == null || !(mode.isEmpty() || mode.equals("cow") || mode.equals("rw") || mode.equals("ro"))) {
                throw new SnapshotFormatException("section '" + MACHINE + "': unknown disk mode '" + mode + "'");
            }
        }
        if (r.kernel() != null && (r.kernel().kernel() == null || r.boot() != Boot.KERNEL)) {
            throw new SnapshotFormatException("section '" + MACHINE + "': kernel files without a kernel boot");
        }
        return r;
    }

    /**
     * Puts the saved machine's firmware on a freshly built {@code board}, as the saved run had it:
     * the built-in BIOS with its boot order, or the external BIOS's VGA ROM services; nothing for a
     * kernel booted directly. Done before the state is restored into the board (the firmware's own
     * state is a section of the snapshot).
     */
    static void attachFirmware(PcBoard board, Recipe recipe) {
        switch (recipe.boot()) {
            case BIOS -> Bios.attach(board, recipe.bootOrder().isEmpty() ? Bios.DEFAULT_ORDER
                    : Bios.BootDevice.parseOrder(recipe.bootOrder()));
            case EXTERNAL_BIOS -> VgaBios.attach(board);
            case KERNEL -> { }
        }
    }

    /**
     * Reads {@code file} and checks everything a restore needs, before anything runs: the container
     * (magic, versions, checksums, truncation), the sections' contents, and every disk image and kernel
     * file the snapshot names (present, same size and SHA-256). Each problem is one line.
     */
    static Loaded load(Path file) throws RunCommand.BadInput {
        Loaded l = open(file);
        l.checkFiles(file);
        return l;
    }

    /**
     * As {@link #load}, but the files the snapshot names are checked in the background: the caller calls
     * {@link Loaded#checkFiles} before the VM runs or any file is written.
     */
    static Loaded open(Path file) throws RunCommand.BadInput {
        if (!Files.isRegularFile(file)) {
            throw new RunCommand.BadInput(file + ": " + (Files.exists(file) ? "not a regular file" : "no such file"));
        }
        try {
            long t0 = System.nanoTime();
            Snapshot s = SnapshotReader.read(file, sections());
            log.debug("read and verified {} in {} ms", file, (System.nanoTime() - t0) / 1_000_000);
            BoardSnapshot.Shape shape = BoardSnapshot.shape(s);
            Recipe recipe = recipe(s.require(MACHINE));
            for (Medium m : recipe.media()) {
                if (m.chain().isEmpty()) {
                    throw new SnapshotFormatException("the medium of IDE " + m.channel() + ":" + m.unit()
                            + " names no image");
                }
            }
            FutureTask<String> files = new FutureTask<>(() -> checkFiles(recipe));
            Thread.ofVirtual().name("snapshot-file-check").start(files);
            return new Loaded(s, shape, recipe, files);
        } catch (SnapshotFormatException e) {
            throw new RunCommand.BadInput(file + ": " + e.getMessage());
        } catch (IOException e) {
            throw new RunCommand.BadInput(file + ": " + e.getMessage());
        }
    }

    /** The first problem with the files {@code recipe} names, or null. */
    private static String checkFiles(Recipe recipe) throws IOException {
        long t0 = System.nanoTime();
        for (Medium m : recipe.media()) {
            String problem = SnapshotDisks.check(m.chain());
            if (problem != null) {
                return problem;
            }
        }
        if (recipe.kernel() != null) {
            String problem = SnapshotDisks.check(recipe.kernel().files(), "kernel file");
            if (problem != null) {
                return problem + " (a guest reset boots it again)";
            }
        }
        log.debug("the snapshot's files checked in {} ms", (System.nanoTime() - t0) / 1_000_000);
        return null;
    }
}

package dev.vmm.cli;

import dev.vmm.core.snapshot.RecordCodec;
import dev.vmm.core.snapshot.Snapshot;
import dev.vmm.core.snapshot.SnapshotFormatException;
import dev.vmm.core.snapshot.SnapshotReader;
import dev.vmm.core.snapshot.SnapshotWriter;
import dev.vmm.devices.board.BoardSnapshot;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.storage.SnapshotDisks;
import dev.vmm.devices.storage.SwappableDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Saving a running VM of {@code vmm run} / {@code vmm restore} to a snapshot file, and loading one
 * back with every check made before anything runs. The file holds the board's sections
 * ({@link BoardSnapshot}) and a {@code machine} section ({@link Recipe}): how the VM boots and which
 * frozen disk images it uses (see docs/snapshot-format.md).
 */
public final class VmSnapshots {
    /** The section naming the boot path and the frozen media. */
    static final String MACHINE = "machine";
    static final int MACHINE_VERSION = 1;

    /** How the saved VM booted: what a restore installs besides the board (the BIOS ROM and its services). */
    public enum Boot { KERNEL, BIOS, EXTERNAL_BIOS }

    /**
     * The {@code machine} section.
     *
     * @param boot      how the VM booted
     * @param bootOrder the built-in BIOS's boot order ("cd": the disk, then the CD)
     * @param media     the drives' frozen media
     */
    record Recipe(Boot boot, String bootOrder, List<Medium> media) {
        Recipe {
            media = List.copyOf(media);
        }
    }

    /**
     * A drive's medium at the save: the frozen image and its backing files.
     *
     * @param channel IDE channel
     * @param unit    IDE unit
     * @param cdrom   an ATAPI CD (else an ATA disk)
     * @param name    the disk's name when the VM started (its serial number derives from it)
     * @param chain   the frozen image, then its backing files, with sizes and SHA-256
     */
    record Medium(int channel, int unit, boolean cdrom, String name, List<SnapshotDisks.ImageFile> chain) {
        Medium {
            chain = List.copyOf(chain);
        }
    }

    /** A drive of the running VM: a disk (switchable medium) or a CD (its ISO file). */
    public record Drive(int channel, int unit, SwappableDisk disk, Path cdImage) {
    }

    private final Boot boot;
    private final String bootOrder;
    private final List<Drive> drives;

    /**
     * @param boot      how the VM boots
     * @param bootOrder the built-in BIOS's boot order ("" for its default)
     * @param drives    the drives, whose disks a save freezes
     */
    public VmSnapshots(Boot boot, String bootOrder, List<Drive> drives) {
        this.boot = boot;
        this.bootOrder = bootOrder;
        this.drives = List.copyOf(drives);
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
        List<Medium> media = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<Path> created = new ArrayList<>();
        boolean done = false;
        try {
            for (Drive d : drives) {
                if (d.disk() == null) {
                    media.add(new Medium(d.channel(), d.unit(), true, d.cdImage().getFileName().toString(),
                            SnapshotDisks.describe(d.cdImage())));
                    continue;
                }
                String slot = ".ide" + d.channel() + "-" + d.unit();
                Path delta = free(target, slot, ".qcow2");
                Path after = free(target, slot, ".after.qcow2");
                Object before = d.disk().current();
                Path frozen = SnapshotDisks.freeze(d.disk(), delta, after);
                if (frozen.equals(delta)) {
                    created.add(delta);
                }
                if (d.disk().current() != before) {
                    notes.add("disk writes now go to " + after);
                }
                media.add(new Medium(d.channel(), d.unit(), false, d.disk().name(), SnapshotDisks.describe(frozen)));
            }
            Recipe recipe = new Recipe(boot, bootOrder, media);
            SnapshotWriter w = new SnapshotWriter("vmm " + VersionProvider.version() + ", " + Instant.now());
            BoardSnapshot.addSections(w, board);
            w.section(MACHINE, MACHINE_VERSION, false, out -> RecordCodec.write(out, recipe));
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

    /** {@code base + slot + suffix}, or with a number before the suffix if that exists. */
    private static Path free(Path base, String slot, String suffix) {
        Path p = Path.of(base + slot + suffix);
        for (int n = 2; Files.exists(p); n++) {
            p = Path.of(base + slot + "." + n + suffix);
        }
        return p;
    }

    /**
     * A snapshot file loaded and checked for a restore.
     *
     * @param snapshot the verified container
     * @param shape    the board to build
     * @param recipe   the boot path and frozen media (whose files are there and unchanged)
     */
    record Loaded(Snapshot snapshot, BoardSnapshot.Shape shape, Recipe recipe) {
    }

    /** Every section a VM snapshot may hold. */
    static Set<String> sections() {
        Set<String> s = new HashSet<>(BoardSnapshot.sectionNames());
        s.add(MACHINE);
        return s;
    }

    /**
     * Reads {@code file} and checks everything a restore needs, before anything runs: the container
     * (magic, versions, checksums, truncation), the sections' contents, and every disk image the
     * snapshot names (present, same size and SHA-256). Each problem is one line.
     */
    static Loaded load(Path file) throws RunCommand.BadInput {
        if (!Files.isRegularFile(file)) {
            throw new RunCommand.BadInput(file + ": " + (Files.exists(file) ? "not a regular file" : "no such file"));
        }
        try {
            Snapshot s = SnapshotReader.read(file, sections());
            BoardSnapshot.Shape shape = BoardSnapshot.shape(s);
            var in = s.require(MACHINE);
            if (in.version() > MACHINE_VERSION) {
                throw new SnapshotFormatException("section '" + MACHINE + "' has version " + in.version()
                        + ", this vmm reads up to " + MACHINE_VERSION);
            }
            Recipe recipe = RecordCodec.read(in, Recipe.class);
            for (Medium m : recipe.media()) {
                if (m.chain().isEmpty()) {
                    throw new SnapshotFormatException("the medium of IDE " + m.channel() + ":" + m.unit()
                            + " names no image");
                }
                String problem = SnapshotDisks.check(m.chain());
                if (problem != null) {
                    throw new RunCommand.BadInput(file + ": " + problem);
                }
            }
            return new Loaded(s, shape, recipe);
        } catch (SnapshotFormatException e) {
            throw new RunCommand.BadInput(file + ": " + e.getMessage());
        } catch (IOException e) {
            throw new RunCommand.BadInput(file + ": " + e.getMessage());
        }
    }
}

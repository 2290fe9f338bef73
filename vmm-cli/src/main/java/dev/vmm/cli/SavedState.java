package dev.vmm.cli;

import dev.vmm.core.snapshot.RecordCodec;
import dev.vmm.core.snapshot.Snapshot;
import dev.vmm.core.snapshot.SnapshotFormatException;
import dev.vmm.core.snapshot.SnapshotReader;
import dev.vmm.core.snapshot.SnapshotWriter;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.BoardSnapshot;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.IdeDrive;
import dev.vmm.devices.serial.NullBackend;
import dev.vmm.devices.serial.SerialBackend;
import dev.vmm.devices.storage.SnapshotDisks;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A VM snapshot file ({@link VmSnapshots}) as the host's suspend/resume and the appliance export
 * and import use it, through public types: what it needs (RAM size, boot path, the drives and the
 * disk images they were frozen in), building the board it restores into, and rebinding its disks
 * to other image files (an imported appliance's). The file format is VmSnapshots'; nothing here
 * writes a snapshot but {@link #rebind}, which changes only the frozen images' names and digests.
 */
public final class SavedState {
    /**
     * A drive of the saved machine.
     *
     * @param channel IDE channel
     * @param unit    IDE unit
     * @param cdrom   an ATAPI CD (else an ATA disk)
     * @param name    the disk's name when the VM started (its serial number derives from it)
     * @param chain   the frozen image, then its backing files (absolute path, size, SHA-256)
     */
    public record Drive(int channel, int unit, boolean cdrom, String name, List<SnapshotDisks.ImageFile> chain) {
        public Drive {
            chain = List.copyOf(chain);
        }

        /** The frozen image (top of the chain). */
        public Path top() {
            return Path.of(chain.getFirst().path());
        }
    }

    private final Path file;
    private final Snapshot snapshot;
    private final BoardSnapshot.Shape shape;
    private final VmSnapshots.Recipe recipe;

    private SavedState(Path file, Snapshot snapshot, BoardSnapshot.Shape shape, VmSnapshots.Recipe recipe) {
        this.file = file;
        this.snapshot = snapshot;
        this.shape = shape;
        this.recipe = recipe;
    }

    /**
     * Reads {@code file} with every check of {@code vmm restore} (the container, the sections, and
     * every disk image it names: present and unchanged). A problem is an IOException of one line
     * naming the file.
     */
    public static SavedState load(Path file) throws IOException {
        try {
            VmSnapshots.Loaded l = VmSnapshots.load(file);
            return new SavedState(file, l.snapshot(), l.shape(), l.recipe());
        } catch (RunCommand.BadInput e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Reads {@code file} and checks its container and the board and machine sections, but not the
     * disk images it names (those of another computer, for an appliance being imported).
     */
    public static SavedState read(Path file) throws IOException {
        try {
            Snapshot s = SnapshotReader.read(file, VmSnapshots.sections());
            BoardSnapshot.Shape shape = BoardSnapshot.shape(s);
            var in = s.require(VmSnapshots.MACHINE);
            if (in.version() > VmSnapshots.MACHINE_VERSION) {
                throw new SnapshotFormatException("section '" + VmSnapshots.MACHINE + "' has version " + in.version()
                        + ", this vmm reads up to " + VmSnapshots.MACHINE_VERSION);
            }
            return new SavedState(file, s, shape, RecordCodec.read(in, VmSnapshots.Recipe.class));
        } catch (SnapshotFormatException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IOException(file + ": " + firstLine(e.getMessage()), e);
        }
    }

    public Path file() {
        return file;
    }

    /** Guest RAM of the saved machine. */
    public long memoryBytes() {
        return shape.memoryBytes();
    }

    /** How the saved VM booted. */
    public VmSnapshots.Boot boot() {
        return recipe.boot();
    }

    /** The drives, in the snapshot's order. */
    public List<Drive> drives() {
        List<Drive> out = new ArrayList<>();
        for (VmSnapshots.Medium m : recipe.media()) {
            out.add(new Drive(m.channel(), m.unit(), m.cdrom(), m.name(), m.chain()));
        }
        return out;
    }

    /** The drive on IDE {@code channel}:{@code unit}, or null. */
    public Drive drive(int channel, int unit) {
        for (Drive d : drives()) {
            if (d.channel() == channel && d.unit() == unit) {
                return d;
            }
        }
        return null;
    }

    /** The instruction count of the saved CPU (from reset). */
    public long instructions() throws IOException {
        try {
            return dev.vmm.core.snapshot.CpuSection.read(snapshot.require(dev.vmm.core.snapshot.CpuSection.NAME))
                    .icount();
        } catch (SnapshotFormatException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Builds the saved machine's board with {@code com1} on COM1 (other serial ports get nothing)
     * and {@code drives} in their IDE places, puts its firmware back as {@code vmm restore} does,
     * and restores the saved state into it. The caller owns the returned board; on failure it is
     * closed and the problem is an IOException naming the file.
     */
    public PcBoard restore(SerialBackend com1, Map<String, IdeDrive> drives) throws IOException {
        BoardConfig.Builder b = shape.builder();
        for (int n = 0; n < 4; n++) {
            if ((shape.serialPorts() & 1 << n) != 0) {
                b.serial(n, n == 0 ? com1 : new NullBackend());
            }
        }
        for (BoardSnapshot.DriveSlot s : shape.drives()) {
            IdeDrive d = drives.get(slot(s.channel(), s.unit()));
            if (d == null) {
                throw new IOException(file + ": no drive for IDE " + slot(s.channel(), s.unit()));
            }
            b.drive(s.channel(), s.unit(), d);
        }
        if (shape.debugConsole()) {
            b.debugConsole(java.io.OutputStream.nullOutputStream());
        }
        PcBoard board = b.build();
        try {
            VmSnapshots.attachFirmware(board, recipe);
            BoardSnapshot.restore(board, snapshot, Set.of(VmSnapshots.MACHINE));
            return board;
        } catch (SnapshotFormatException | IllegalArgumentException e) {
            board.close();
            throw new IOException(file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            board.close();
            throw e;
        }
    }

    /** "channel:unit", the key of {@link #restore}'s drives. */
    public static String slot(int channel, int unit) {
        return channel + ":" + unit;
    }

    /**
     * Writes {@code out}: this snapshot with the frozen chain of each disk in {@code chains} (by
     * {@link #slot}) replaced, and for a kernel-booted VM its kernel and initrd files (null: as
     * they were), every other section as it was (temporary file and rename). Used by an
     * import, whose disks are new files with the contents the state was saved with.
     */
    public void rebind(Map<String, List<SnapshotDisks.ImageFile>> chains, SnapshotDisks.ImageFile kernel,
                       SnapshotDisks.ImageFile initrd, Path out) throws IOException {
        List<VmSnapshots.Medium> media = new ArrayList<>();
        for (VmSnapshots.Medium m : recipe.media()) {
            List<SnapshotDisks.ImageFile> c = chains.get(slot(m.channel(), m.unit()));
            media.add(c == null ? m : with(m, "chain", List.copyOf(c)));
        }
        VmSnapshots.Recipe withMedia = with(recipe, "media", List.copyOf(media));
        VmSnapshots.Recipe rebound = kernel == null || recipe.kernel() == null ? withMedia
                : with(withMedia, "kernel", new VmSnapshots.KernelBoot(kernel, initrd == null ? null : initrd.path(),
                        initrd == null ? List.of() : List.of(initrd), recipe.kernel().append()));
        SnapshotWriter w = new SnapshotWriter(snapshot.note());
        for (Snapshot.Section s : snapshot.sections()) {
            boolean optional = (s.flags() & 1) != 0;        // section flag bit 0: optional
            if (s.name().equals(VmSnapshots.MACHINE)) {
                w.section(s.name(), s.version(), optional, o -> RecordCodec.write(o, rebound));
            } else {
                byte[] payload = s.payload();
                w.section(s.name(), s.version(), optional, o -> o.bytes(payload));
            }
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        w.writeTo(out);
    }

    /** A copy of {@code r} with its component {@code name} set to {@code value} (whatever else the record holds). */
    private static <R extends Record> R with(R r, String name, Object value) {
        try {
            RecordComponent[] cs = r.getClass().getRecordComponents();
            Class<?>[] types = new Class<?>[cs.length];
            Object[] args = new Object[cs.length];
            for (int i = 0; i < cs.length; i++) {
                types[i] = cs[i].getType();
                args[i] = cs[i].getName().equals(name) ? value : cs[i].getAccessor().invoke(r);
            }
            @SuppressWarnings("unchecked")
            Constructor<R> k = (Constructor<R>) r.getClass().getDeclaredConstructor(types);
            return k.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("copying " + r.getClass().getSimpleName(), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

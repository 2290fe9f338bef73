package dev.vmm.cli.host;

import dev.vmm.cli.SavedState;
import dev.vmm.cli.VmSnapshots;
import dev.vmm.core.monitor.Sizes;
import dev.vmm.devices.storage.SnapshotDisks;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The saved states of suspended VMs ({@link VmStore#statePath}): whether a state fits its VM's
 * definition, and removing a state with the files it left (the deltas of copy-on-write disks,
 * {@code state.vmmsnap.ide<c>-<u>.qcow2}).
 */
public final class SavedStates {
    private SavedStates() {
    }

    /**
     * Checks that {@code s} was saved from the machine {@code def} describes (memory, boot path,
     * drives, and each disk's image: the definition's own, or for a copy-on-write disk a delta of
     * the state over it) and returns the image each disk opens with. A mismatch is an IOException of
     * one line.
     */
    public static List<Path> check(VmDefinition def, SavedState s, VmStore store) throws IOException {
        if (s.memoryBytes() != def.memoryBytes()) {
            throw new IOException("the saved state has " + Sizes.format(s.memoryBytes()) + " of RAM, the VM "
                    + Sizes.format(def.memoryBytes()));
        }
        VmSnapshots.Boot kind = GuestMachine.bootKind(def);
        if (s.boot() != kind) {
            throw new IOException("the saved state was booted by " + words(s.boot()) + ", the VM boots by "
                    + words(kind));
        }
        List<String> want = new ArrayList<>();
        for (int i = 0; i < def.disks().size(); i++) {
            want.add(SavedState.slot(GuestMachine.DISK_SLOTS[i][0], GuestMachine.DISK_SLOTS[i][1]) + " disk");
        }
        if (def.cdrom() != null) {
            want.add("1:0 CD");
        }
        List<String> have = new ArrayList<>();
        for (SavedState.Drive d : s.drives()) {
            have.add(SavedState.slot(d.channel(), d.unit()) + (d.cdrom() ? " CD" : " disk"));
        }
        if (!new java.util.HashSet<>(want).equals(new java.util.HashSet<>(have)) || want.size() != have.size()) {
            throw new IOException("the saved state's drives (" + String.join(", ", have) + ") are not the VM's ("
                    + String.join(", ", want) + ")");
        }
        List<Path> images = new ArrayList<>();
        Path own = store.filesDirectory(def.name()).toAbsolutePath().normalize();
        for (int i = 0; i < def.disks().size(); i++) {
            SavedState.Drive d = s.drive(GuestMachine.DISK_SLOTS[i][0], GuestMachine.DISK_SLOTS[i][1]);
            Path disk = abs(def.diskPaths().get(i));
            Path top = abs(d.top());
            if (top.equals(disk)) {
                images.add(disk);
            } else if (def.diskMode().equals("cow") && own.equals(top.getParent()) && inChain(d, disk)) {
                images.add(top);                // the disk's writes until the suspend, over the disk
            } else {
                throw new IOException("the saved state's disk on IDE " + SavedState.slot(d.channel(), d.unit())
                        + " is " + top + ", the VM's is " + disk);
            }
        }
        if (def.cdrom() != null) {
            Path cd = abs(s.drive(1, 0).top());
            if (!cd.equals(abs(Path.of(def.cdrom())))) {
                throw new IOException("the saved state's CD image is " + cd + ", the VM's is " + def.cdrom());
            }
        }
        return images;
    }

    private static boolean inChain(SavedState.Drive d, Path disk) {
        for (SnapshotDisks.ImageFile f : d.chain().subList(1, d.chain().size())) {
            if (abs(Path.of(f.path())).equals(disk)) {
                return true;
            }
        }
        return false;
    }

    private static Path abs(Path p) {
        return p.toAbsolutePath().normalize();
    }

    private static String words(VmSnapshots.Boot b) {
        return switch (b) {
            case KERNEL -> "a kernel file";
            case BIOS -> "the built-in BIOS";
            case EXTERNAL_BIOS -> "an external BIOS";
        };
    }

    /** Removes VM {@code name}'s saved state and every file it left beside it. */
    static void discard(VmStore store, String name) throws IOException {
        Files.deleteIfExists(store.statePath(name));
        removeLeftovers(store, name);
    }

    /**
     * Removes the files of earlier states ({@code state.vmmsnap.*}: the deltas a resumed
     * copy-on-write VM read) when VM {@code name} has no state now.
     */
    static void removeLeftovers(VmStore store, String name) throws IOException {
        Path dir = store.filesDirectory(name);
        if (store.suspended(name) || !Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, VmStore.STATE_FILE + ".*")) {
            for (Path p : s) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** "suspended" for a VM with a saved state the host does not run, else {@code hostState}. */
    static String state(VmStore store, String name, String hostState) {
        boolean off = hostState == null || hostState.equals("stopped");
        return off && store.suspended(name) ? "suspended" : Objects.requireNonNullElse(hostState, "-")
                .toLowerCase(Locale.ROOT);
    }
}

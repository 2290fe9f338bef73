package dev.vmm.devices.board;

import dev.vmm.core.persist.Persist;
import java.util.ArrayList;
import java.util.List;

/**
 * State that modules outside vmm-devices keep for a board (the built-in BIOS's services, which live
 * in the firmware module): each registers a named {@link Persist} part here when it attaches to the
 * board, and {@link BoardSnapshot} saves every part in a section of its own, with the part's own
 * version. A restore puts each part's section back; a part whose section the file lacks (written
 * before the part existed) keeps the state it was built with.
 */
public final class SnapshotParts {
    /**
     * One registered part.
     *
     * @param name     its section's name (unique in a snapshot, not a board section's name)
     * @param version  its section version (1..65535): a restore refuses a newer one
     * @param optional written with the optional flag: an older vmm that does not know it skips it
     * @param type     its state record
     * @param persist  how to read it from the module and put it back
     */
    public record Part<S extends Record>(String name, int version, boolean optional, Class<S> type,
                                         Persist<S> persist) {
        public Part {
            if (name.isEmpty() || name.length() > 255) {
                throw new IllegalArgumentException("a section name has 1 to 255 characters: '" + name + "'");
            }
            if (version < 1 || version > 0xFFFF) {
                throw new IllegalArgumentException("section '" + name + "': version " + version);
            }
        }
    }

    private final List<Part<?>> parts = new ArrayList<>();

    SnapshotParts() {
    }

    /**
     * Registers {@code persist} as the section {@code name}; refuses a name the board uses or that is
     * registered already.
     */
    public synchronized <S extends Record> void add(String name, int version, boolean optional, Class<S> type,
                                                    Persist<S> persist) {
        if (BoardSnapshot.sectionNames().contains(name)) {
            throw new IllegalArgumentException("'" + name + "' is a section of the board itself");
        }
        for (Part<?> p : parts) {
            if (p.name().equals(name)) {
                throw new IllegalArgumentException("a snapshot part '" + name + "' is registered already");
            }
        }
        parts.add(new Part<>(name, version, optional, type, persist));
    }

    /** The registered parts, in registration order (the order they are saved and restored in). */
    public synchronized List<Part<?>> all() {
        return List.copyOf(parts);
    }
}

package dev.vmm.core.snapshot;

import java.util.List;
import java.util.Optional;

/**
 * A snapshot file as {@link SnapshotReader} loaded and verified it: the header's note and the
 * sections this vmm knows (unknown optional sections were skipped).
 *
 * @param formatVersion the container format version of the file
 * @param note          the creation note from the header
 * @param sections      the known sections, in file order
 */
public record Snapshot(int formatVersion, String note, List<Section> sections) {
    /**
     * One section of a snapshot.
     *
     * @param name    the section's name
     * @param version the section's version
     * @param flags   the section's flags
     * @param payload the payload (CRC-checked)
     */
    public record Section(String name, int version, int flags, byte[] payload) {
        public Section {
            payload = payload.clone();
        }

        @Override
        public byte[] payload() {
            return payload.clone();
        }

        /** A decoder over the payload. */
        public SectionInput input() {
            return new SectionInput(name, version, payload);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Section s && name.equals(s.name) && version == s.version && flags == s.flags
                    && java.util.Arrays.equals(payload, s.payload);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + java.util.Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Section[" + name + " v" + version + ", flags=" + flags + ", " + payload.length + " bytes]";
        }
    }

    public Snapshot {
        sections = List.copyOf(sections);
    }

    /** The section called {@code name}, if the file has it. */
    public Optional<Section> find(String name) {
        return sections.stream().filter(s -> s.name.equals(name)).findFirst();
    }

    /** A decoder over the required section {@code name}; refuses a file without it. */
    public SectionInput require(String name) throws SnapshotFormatException {
        return find(name).orElseThrow(() -> new SnapshotFormatException("snapshot has no '" + name + "' section"))
                .input();
    }
}

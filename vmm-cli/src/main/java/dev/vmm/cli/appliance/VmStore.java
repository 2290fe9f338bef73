package dev.vmm.cli.appliance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where VM definitions live, as export and import see it. {@link FileVmStore} is a simple
 * implementation of its own; the store of {@code vmm create} plugs in here instead.
 */
public interface VmStore {
    /** The definition called {@code name}, if there is one. */
    Optional<VmDefinition> find(String name) throws IOException;

    /**
     * The directory for the files of a new VM called {@code name} (its disks, CD image, kernel).
     * Import creates it by renaming a finished staging directory onto it, so it must not exist
     * yet, and its parent must be on the file system where staging happens.
     */
    Path filesDirectory(String name);

    /** Stores a new definition; refuses a name already in use. */
    void create(VmDefinition vm) throws IOException;
}

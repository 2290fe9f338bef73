package dev.vmm.devices.storage;

/** Reports how far a long disk operation (a conversion, an export) has come. */
@FunctionalInterface
public interface Progress {
    /** Reports nothing. */
    Progress NONE = (done, total) -> { };

    /** {@code done} of {@code total} bytes are processed; called often, from the worker. */
    void update(long done, long total);
}

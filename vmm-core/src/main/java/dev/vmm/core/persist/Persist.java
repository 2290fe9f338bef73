package dev.vmm.core.persist;

/**
 * The snapshot contract of every stateful part of a machine.
 *
 * <p>A component describes its whole architectural state as an immutable record {@code S}.
 * {@link #save()} captures it; {@link #restore(Record)} puts it back. Host resources (files,
 * sockets, memory mappings) are never part of the state: they come in through the component's
 * constructor. Derived state (caches, TLBs, decoded code) is rebuilt by {@code restore}.
 *
 * @param <S> the record type holding this component's state
 */
public interface Persist<S extends Record> {
    /** Captures the component's architectural state. */
    S save();

    /** Replaces the component's state with {@code state}, rebuilding anything derived from it. */
    void restore(S state);
}

package dev.vmm.core.cpu;

/**
 * Model-specific registers that live outside the CPU core, in a device of the board (the local
 * APIC's IA32_APIC_BASE and IA32_TSC_DEADLINE). The CPU asks the extension first; MSRs it does not
 * claim fall to {@link Msrs}.
 */
public interface MsrExtension {
    /** True if this extension implements MSR {@code index}. */
    boolean implemented(int index);

    long read(int index);

    /** Writes MSR {@code index}; returns false to refuse the value (the guest gets #GP(0)). */
    boolean write(int index, long value);
}

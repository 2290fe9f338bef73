package dev.vmm.devices.apic;

/**
 * The interrupt messages an I/O APIC (or, later, a PCI MSI write) sends to the local APICs: the
 * xAPIC system-bus message. On this single-CPU board the only receiver is the one
 * {@link LocalApic}.
 */
@FunctionalInterface
public interface ApicBus {
    /** Delivery modes of redirection entries, LVT entries and the ICR (bits 10:8). */
    int FIXED = 0;
    int LOWEST_PRIORITY = 1;
    int SMI = 2;
    int NMI = 4;
    int INIT = 5;
    int STARTUP = 6;
    int EXTINT = 7;

    /**
     * Sends one interrupt message.
     *
     * @param vector the vector (fixed and lowest-priority delivery)
     * @param deliveryMode one of the delivery-mode constants
     * @param level true for a level-triggered interrupt (the receiver sets its TMR bit and
     *              broadcasts the EOI)
     * @param destination the destination field (APIC ID or logical mask)
     * @param logical true for logical destination mode
     */
    void deliver(int vector, int deliveryMode, boolean level, int destination, boolean logical);
}

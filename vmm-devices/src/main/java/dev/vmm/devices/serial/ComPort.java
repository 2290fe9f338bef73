package dev.vmm.devices.serial;

/** The standard PC serial ports: I/O base and ISA IRQ, as the BIOS and Linux expect them. */
public enum ComPort {
    COM1(0x3F8, 4),
    COM2(0x2F8, 3),
    COM3(0x3E8, 4),
    COM4(0x2E8, 3);

    private final int base;
    private final int irq;

    ComPort(int base, int irq) {
        this.base = base;
        this.irq = irq;
    }

    /** The first of the eight ports. */
    public int base() {
        return base;
    }

    /** The ISA IRQ number (COM1/COM3 share IRQ4, COM2/COM4 share IRQ3). */
    public int irq() {
        return irq;
    }
}

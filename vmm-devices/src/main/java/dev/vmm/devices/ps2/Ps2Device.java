package dev.vmm.devices.ps2;

/** A device on one of the i8042's two serial ports, as the controller sees it. */
interface Ps2Device {
    /** A byte the controller sends to the device (a command or a command's parameter). */
    void receive(int b);

    /** Whether the device has a byte to send. */
    boolean hasOutput();

    /** Removes and returns the next byte the device sends, or -1 when it has none. */
    int takeOutput();
}

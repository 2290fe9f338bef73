package dev.vmm.devices.serial;

/**
 * The receiving side of a UART as a host backend sees it. Every method may be called from any
 * thread (a terminal or socket reader); none of them touches the machine's virtual clock.
 *
 * <p>Bytes delivered here arrived from the host all at once, not paced at the line rate, so the
 * line is idle right after the last one: in FIFO mode the character-timeout indication is given
 * at once instead of four character times later (see {@link Uart16550}).
 */
public interface SerialReceiver {
    /**
     * How many characters the receiver can take now without an overrun: the free entries of the
     * 16-byte RX FIFO, or 1/0 for the holding register when the FIFOs are off; 0 in loopback mode
     * (the receiver input is disconnected then).
     */
    int rxSpace();

    /** Characters that arrived on the line. Those beyond {@link #rxSpace()} overrun. */
    void deliver(byte[] data, int off, int len);

    /** A break condition (line held at spacing for a character time): a 0 character with BI. */
    void deliverBreak();

    /**
     * The modem status inputs driven by the other end, as MSR bits: CTS 0x10, DSR 0x20, RI 0x40,
     * DCD 0x80. Changes set the MSR delta bits as on the chip.
     */
    void setModemInputs(int msrBits);

    /**
     * {@code listener} runs after the guest made room in the receiver (read a character, reset
     * the FIFO, left loopback). It runs on the guest's thread with no UART lock held and may call
     * {@link #deliver}. Null removes it.
     */
    void setSpaceListener(Runnable listener);
}

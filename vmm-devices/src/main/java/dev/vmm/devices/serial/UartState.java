package dev.vmm.devices.serial;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The architectural state of a {@link Uart16550}: registers, receiver FIFO, pending interrupts.
 *
 * @param divisor the divisor latch (DLM:DLL)
 * @param fcr the FIFO control bits that stick: enable, DMA mode, trigger level (0 = 16450 mode)
 * @param lsrErrors the latched OE, PE, FE, BI bits of LSR
 * @param fifoErrorLatch LSR bit 7: an erroneous character entered the FIFO since LSR was read
 * @param msr the modem status register, inputs and delta bits
 * @param modemInputs the CTS/DSR/RI/DCD lines from the other end (MSR outside loopback)
 * @param rbr the last character read from the receiver (what RBR reads when it is empty)
 * @param rxData the RX FIFO (or the holding register in 16450 mode), oldest first
 * @param rxFlags the PE/FE/BI flags of each received character
 * @param thrPending the THR-empty interrupt is armed
 * @param timeoutPending the character-timeout indication is set
 * @param timeoutDeadline guest time of the armed character timeout, or -1
 */
public record UartState(int ier, int lcr, int mcr, int scr, int divisor, int fcr, int lsrErrors,
                        boolean fifoErrorLatch, int msr, int modemInputs, int rbr,
                        byte[] rxData, byte[] rxFlags, boolean thrPending,
                        boolean timeoutPending, long timeoutDeadline) {
    public UartState {
        rxData = rxData.clone();
        rxFlags = rxFlags.clone();
    }

    @Override
    public byte[] rxData() {
        return rxData.clone();
    }

    @Override
    public byte[] rxFlags() {
        return rxFlags.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UartState s && ier == s.ier && lcr == s.lcr && mcr == s.mcr
                && scr == s.scr && divisor == s.divisor && fcr == s.fcr
                && lsrErrors == s.lsrErrors && fifoErrorLatch == s.fifoErrorLatch
                && msr == s.msr && modemInputs == s.modemInputs && rbr == s.rbr
                && Arrays.equals(rxData, s.rxData) && Arrays.equals(rxFlags, s.rxFlags)
                && thrPending == s.thrPending && timeoutPending == s.timeoutPending
                && timeoutDeadline == s.timeoutDeadline;
    }

    @Override
    public int hashCode() {
        return ((ier * 31 + lcr) * 31 + mcr) * 31 + Arrays.hashCode(rxData);
    }

    @Override
    public String toString() {
        return String.format("UartState[ier=%02x lcr=%02x mcr=%02x scr=%02x divisor=%d "
                + "fcr=%02x lsrErrors=%02x fifoErr=%b msr=%02x inputs=%02x rbr=%02x rx=%s "
                + "flags=%s thr=%b timeout=%b deadline=%d]", ier, lcr, mcr, scr, divisor, fcr,
                lsrErrors, fifoErrorLatch, msr, modemInputs, rbr,
                HexFormat.of().formatHex(rxData),
                HexFormat.of().formatHex(rxFlags), thrPending, timeoutPending,
                timeoutDeadline);
    }
}

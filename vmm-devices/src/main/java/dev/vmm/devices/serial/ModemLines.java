package dev.vmm.devices.serial;

import static dev.vmm.devices.serial.UartRegisters.MCR_DTR;
import static dev.vmm.devices.serial.UartRegisters.MCR_LOOP;
import static dev.vmm.devices.serial.UartRegisters.MCR_OUT1;
import static dev.vmm.devices.serial.UartRegisters.MCR_OUT2;
import static dev.vmm.devices.serial.UartRegisters.MCR_RTS;
import static dev.vmm.devices.serial.UartRegisters.MSR_CTS;
import static dev.vmm.devices.serial.UartRegisters.MSR_DCD;
import static dev.vmm.devices.serial.UartRegisters.MSR_DCTS;
import static dev.vmm.devices.serial.UartRegisters.MSR_DDCD;
import static dev.vmm.devices.serial.UartRegisters.MSR_DDSR;
import static dev.vmm.devices.serial.UartRegisters.MSR_DSR;
import static dev.vmm.devices.serial.UartRegisters.MSR_RI;
import static dev.vmm.devices.serial.UartRegisters.MSR_TERI;

/**
 * The modem status register: CTS, DSR, RI and DCD from the other end, or in loopback from the
 * UART's own MCR outputs (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2), with the delta bits each change
 * sets (DCTS, DDSR, DDCD on any change, TERI on the trailing edge of RI) until MSR is read. Not
 * thread-safe: the UART guards it.
 */
final class ModemLines {
    /** The other end is present: CTS, DSR and DCD asserted, no ring. */
    static final int DEFAULT_INPUTS = MSR_CTS | MSR_DSR | MSR_DCD;

    private int inputs = DEFAULT_INPUTS;
    private int msr = DEFAULT_INPUTS;

    /** Reads MSR, which clears the delta bits. */
    int read() {
        int v = msr;
        msr &= 0xF0;
        return v;
    }

    /** A delta bit is set: the modem status interrupt condition. */
    boolean changed() {
        return (msr & 0x0F) != 0;
    }

    /** New input levels from the other end (MSR bits 4-7); they show unless in loopback. */
    void setInputs(int msrBits, int mcr) {
        inputs = msrBits & 0xF0;
        update(mcr);
    }

    /** Recomputes the status after an MCR write or an input change. */
    void update(int mcr) {
        int status = (mcr & MCR_LOOP) != 0
                ? (mcr & MCR_RTS) << 3 | (mcr & MCR_DTR) << 5 | (mcr & (MCR_OUT1 | MCR_OUT2)) << 4
                : inputs;
        int changed = (msr ^ status) & 0xF0;
        int delta = 0;
        if ((changed & MSR_CTS) != 0) {
            delta |= MSR_DCTS;
        }
        if ((changed & MSR_DSR) != 0) {
            delta |= MSR_DDSR;
        }
        if ((changed & MSR_DCD) != 0) {
            delta |= MSR_DDCD;
        }
        if ((msr & MSR_RI) != 0 && (status & MSR_RI) == 0) {
            delta |= MSR_TERI;
        }
        msr = status | (msr & 0x0F) | delta;
    }

    int msr() {
        return msr;
    }

    int inputs() {
        return inputs;
    }

    void load(int msrValue, int inputBits) {
        msr = msrValue & 0xFF;
        inputs = inputBits & 0xF0;
    }
}

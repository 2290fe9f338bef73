package dev.vmm.firmware.linux;

import java.io.Serial;

/**
 * A kernel file the direct Linux loader cannot use: not a bzImage, truncated, a zImage, or a boot
 * protocol older than 2.04. The message is one line saying why.
 */
public final class KernelFormatException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    public KernelFormatException(String message) {
        super(message);
    }
}

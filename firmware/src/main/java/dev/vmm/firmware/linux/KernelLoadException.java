package dev.vmm.firmware.linux;

import java.io.Serial;

/**
 * A valid kernel that cannot be placed in this guest: the kernel, command line or initrd does
 * not fit in the usable RAM the memory map offers. The message is one line saying why.
 */
public final class KernelLoadException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    public KernelLoadException(String message) {
        super(message);
    }
}

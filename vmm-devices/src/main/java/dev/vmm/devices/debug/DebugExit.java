package dev.vmm.devices.debug;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import java.util.function.IntConsumer;

/**
 * QEMU's {@code isa-debug-exit}: a guest (a test kernel) ends the run by writing a value to it.
 *
 * <p>We place it where test guests put it on QEMU's command line,
 * {@code -device isa-debug-exit,iobase=0xf4,iosize=0x04}: ports 0xF4-0xF7. (QEMU's own defaults,
 * iobase 0x501 and iosize 2, are available through the other constructor.) As in QEMU, a write of
 * any width (1, 2 or 4 bytes) at any port of the range requests an exit with status
 * {@code (value << 1) | 1}, where value is the whole value written (zero-extended from its width),
 * so the status is always odd and never reads as a clean 0. The status goes to the injected
 * {@link IntConsumer} as an int (bit 31 of a 32-bit value is shifted out); a process exit code
 * keeps only its low 8 bits, as QEMU's {@code exit()} does. Reads return 0. No state.
 */
public final class DebugExit implements PortIoDevice {
    /** The base port test guests use. */
    public static final int PORT = 0xF4;
    /** The range they declare (iosize=4). */
    public static final int SIZE = 4;

    private final int base;
    private final int size;
    private final IntConsumer exit;

    /** At 0xF4-0xF7. {@code exit} receives the status; it runs on the vCPU thread. */
    public DebugExit(IntConsumer exit) {
        this(PORT, SIZE, exit);
    }

    public DebugExit(int base, int size, IntConsumer exit) {
        if (size < 1 || size > 4) {
            throw new IllegalArgumentException("iosize " + size);
        }
        this.base = base;
        this.size = size;
        this.exit = exit;
    }

    /** Claims the range on {@code bus}. */
    public void attach(PioBus bus) {
        bus.register(base, size, "debug-exit", this);
    }

    @Override
    public int ioRead(int port, int width) {
        return 0;
    }

    @Override
    public void ioWrite(int port, int width, int value) {
        exit.accept(value << 1 | 1);
    }
}

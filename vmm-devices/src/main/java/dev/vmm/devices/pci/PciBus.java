package dev.vmm.devices.pci;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.persist.Persist;
import java.util.ArrayList;
import java.util.List;

/**
 * PCI bus 0 behind the i440FX host bridge, reached through configuration mechanism #1.
 *
 * <p>CONFIG_ADDRESS at 0xCF8 is a 32-bit register: bit 31 enables configuration cycles, bits
 * 23:16 select the bus, 15:11 the device, 10:8 the function and 7:2 the dword register; reserved
 * bits 30:24 and 1:0 read 0. Only 32-bit accesses reach it: byte and word accesses to 0xCF8-0xCFB
 * are ordinary I/O cycles (0xCF9 is the PIIX3 reset control register, {@link Piix3IsaBridge};
 * 0xCFA-0xCFB are left unclaimed, so mechanism #2 probes read all ones and fail). CONFIG_DATA
 * at 0xCFC-0xCFF takes 1-, 2- and 4-byte accesses; the byte offset of the port is added to the
 * register number, so {@code inb(0xCFE)} reads byte 2 of the selected dword.
 *
 * <p>A read from an absent function, from any bus other than 0, or with bit 31 clear reads all
 * ones; such writes are dropped. There are no PCI-to-PCI bridges, so bus 0 is the only bus.
 *
 * <p>Interrupts: {@link #setIntxRouter} names the board's INTx router (the PIIX3,
 * {@link Piix3IsaBridge#intx}); every function with an interrupt pin is connected to it.
 *
 * <p>Snapshots: {@link #save()} holds CONFIG_ADDRESS and the config space of every function;
 * {@link #restore} first unmaps every BAR of every function, then puts all bytes back and maps
 * again, so two BARs that swapped windows never collide on the way.
 */
public final class PciBus implements PortIoDevice, Persist<PciBus.State> {
    public static final int CONFIG_ADDRESS = 0xCF8;
    public static final int CONFIG_DATA = 0xCFC;
    public static final int ENABLE = 0x8000_0000;
    public static final int DEVICES = 32;
    public static final int FUNCTIONS = 8;
    private static final int ADDRESS_BITS = 0x80FF_FFFC;

    /** Connects a function's interrupt pin (1-4) on {@code device} to an interrupt line. */
    @FunctionalInterface
    public interface IntxRouter {
        IrqLine route(int device, int pin);
    }

    /** The config space of one function. */
    public record FunctionState(int device, int function, PciConfigSpace.State config) {
    }

    /** The bus: CONFIG_ADDRESS and the config spaces of all functions, by slot. */
    public record State(int configAddress, List<FunctionState> functions) {
        public State {
            functions = List.copyOf(functions);
        }
    }

    private final PciFunction[] slots = new PciFunction[DEVICES * FUNCTIONS];
    private IntxRouter router;
    private int configAddress;

    /** Claims CONFIG_ADDRESS (0xCF8) and CONFIG_DATA (0xCFC-0xCFF). */
    public void attach(PioBus io) {
        io.register(CONFIG_ADDRESS, 1, "pci-config-address", this);
        io.register(CONFIG_DATA, 4, "pci-config-data", this);
    }

    /** Puts {@code f} at {@code device.function} of bus 0. */
    public synchronized void add(int device, int function, PciFunction f) {
        int slot = slot(device, function);
        if (slots[slot] != null) {
            throw new IllegalArgumentException(String.format("PCI slot 00:%02x.%d is taken", device, function));
        }
        slots[slot] = f;
        connect(slot);
    }

    /**
     * Sets the router for INTx pins (once, while the board is built) and connects the functions
     * added so far; functions added later are connected as they come.
     */
    public synchronized void setIntxRouter(IntxRouter r) {
        this.router = r;
        for (int slot = 0; slot < slots.length; slot++) {
            if (slots[slot] != null) {
                connect(slot);
            }
        }
    }

    private void connect(int slot) {
        PciFunction f = slots[slot];
        int pin = f.interruptPin();
        if (router != null && pin >= 1 && pin <= 4) {
            f.connectIntx(router.route(slot / FUNCTIONS, pin));
        }
    }

    /** The function at {@code device.function}, or null. */
    public synchronized PciFunction function(int device, int function) {
        return slots[slot(device, function)];
    }

    private static int slot(int device, int function) {
        if (device < 0 || device >= DEVICES || function < 0 || function >= FUNCTIONS) {
            throw new IllegalArgumentException("no PCI slot " + device + "." + function);
        }
        return device * FUNCTIONS + function;
    }

    /** The value of CONFIG_ADDRESS. */
    public synchronized int configAddress() {
        return configAddress;
    }

    // ---- configuration cycles (also for firmware written in Java) ----------------------------

    /** A configuration read on bus 0; absent functions read all ones. */
    public synchronized int configRead(int device, int function, int offset, int size) {
        return read(slots[slot(device, function)], offset, size);
    }

    /** A configuration write on bus 0; writes to absent functions are dropped. */
    public synchronized void configWrite(int device, int function, int offset, int size, int value) {
        write(slots[slot(device, function)], offset, size, value);
    }

    private static int read(PciFunction f, int offset, int size) {
        if (f == null) {
            return ones(size);
        }
        if (offset + size <= PciConfigSpace.SIZE) {
            return f.configRead(offset, size);
        }
        int v = 0;
        for (int i = 0; i < size; i++) {
            int b = offset + i < PciConfigSpace.SIZE ? f.configRead(offset + i, 1) : 0xFF;
            v |= b << (8 * i);
        }
        return v;
    }

    private static void write(PciFunction f, int offset, int size, int value) {
        if (f == null) {
            return;
        }
        if (offset + size <= PciConfigSpace.SIZE) {
            f.configWrite(offset, size, value);
            return;
        }
        for (int i = 0; offset + i < PciConfigSpace.SIZE; i++) {
            f.configWrite(offset + i, 1, value >>> (8 * i));
        }
    }

    /** The function CONFIG_ADDRESS selects, or null (disabled, other bus, or absent). */
    private PciFunction selected() {
        if ((configAddress & ENABLE) == 0 || (configAddress >>> 16 & 0xFF) != 0) {
            return null;
        }
        return slots[configAddress >>> 8 & 0xFF];
    }

    // ---- ports ------------------------------------------------------------------------------

    @Override
    public synchronized int ioRead(int port, int size) {
        if (port == CONFIG_ADDRESS) {
            return size == 4 ? configAddress : ones(size);
        }
        if (port >= CONFIG_DATA && port < CONFIG_DATA + 4) {
            return read(selected(), (configAddress & 0xFC) + (port - CONFIG_DATA), size);
        }
        return ones(size);
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        if (port == CONFIG_ADDRESS) {
            if (size == 4) {
                configAddress = value & ADDRESS_BITS;
            }
            return;
        }
        if (port >= CONFIG_DATA && port < CONFIG_DATA + 4) {
            write(selected(), (configAddress & 0xFC) + (port - CONFIG_DATA), size, value);
        }
    }

    private static int ones(int size) {
        return size == 4 ? -1 : (1 << (size * 8)) - 1;
    }

    // ---- reset and snapshots ----------------------------------------------------------------

    /** Power-on reset of the bus and of every function on it. */
    public synchronized void reset() {
        configAddress = 0;
        for (PciFunction f : slots) {
            if (f != null) {
                f.reset();
            }
        }
    }

    @Override
    public synchronized State save() {
        List<FunctionState> list = new ArrayList<>();
        for (int slot = 0; slot < slots.length; slot++) {
            if (slots[slot] != null) {
                list.add(new FunctionState(slot / FUNCTIONS, slot % FUNCTIONS, slots[slot].saveConfig()));
            }
        }
        return new State(configAddress, list);
    }

    /**
     * Restores CONFIG_ADDRESS and the config spaces. The snapshot must name exactly the functions
     * of this bus (the board builds the same machine before restoring); otherwise it is refused
     * before anything changes.
     */
    @Override
    public synchronized void restore(State s) {
        PciConfigSpace.State[] configs = new PciConfigSpace.State[slots.length];
        for (FunctionState fs : s.functions()) {
            int slot = slot(fs.device(), fs.function());
            if (slots[slot] == null || configs[slot] != null) {
                throw new IllegalArgumentException(String.format(
                        "snapshot has PCI function 00:%02x.%d, which this machine lacks", fs.device(), fs.function()));
            }
            configs[slot] = fs.config();
        }
        for (int slot = 0; slot < slots.length; slot++) {
            if (slots[slot] != null && configs[slot] == null) {
                throw new IllegalArgumentException(String.format(
                        "snapshot lacks PCI function 00:%02x.%d", slot / FUNCTIONS, slot % FUNCTIONS));
            }
        }
        for (PciFunction f : slots) {
            if (f != null) {
                f.unmapAll();
            }
        }
        configAddress = s.configAddress() & ADDRESS_BITS;
        for (int slot = 0; slot < slots.length; slot++) {
            if (slots[slot] != null) {
                slots[slot].restoreConfig(configs[slot]);
            }
        }
    }
}

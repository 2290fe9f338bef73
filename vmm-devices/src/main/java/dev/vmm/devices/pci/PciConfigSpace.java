package dev.vmm.devices.pci;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The 256-byte configuration space of one PCI function with a type-0 header, and the per-byte
 * rules that make guest writes behave like the hardware: a write mask (1 = the guest may change
 * the bit) and a write-one-to-clear mask (1 = writing 1 clears the bit, as in the status
 * register's error bits).
 *
 * <p>The header after construction: vendor, device, revision, class code, header type,
 * subsystem IDs, capabilities pointer and interrupt pin are read-only; the command register
 * decodes I/O space, memory space, bus master and interrupt disable ({@link #CMD_IO},
 * {@link #CMD_MEMORY}, {@link #CMD_BUS_MASTER}, {@link #CMD_INTX_DISABLE}); the status error
 * bits 15:11 and 8 are RW1C; cache line size, latency timer and interrupt line are read/write;
 * BARs, expansion ROM, BIST, CardBus CIS, min-grant and max-latency read 0. The device-specific
 * area 0x40-0xFF is plain read/write memory until a device narrows it with
 * {@link #defineRegister} (QEMU does the same; a BIOS reads back what it wrote to registers that
 * are not modelled).
 *
 * <p>BARs: {@link #defineIoBar} and {@link #defineMemoryBar} make a BAR writable in its
 * address bits only, so writing all ones reads back the size mask (bit 0 = 1 for I/O, bit 3 =
 * prefetchable for memory; 32-bit memory BARs only). A BAR decodes ({@link #barDecoded}) when
 * its space is enabled in the command register and its window is assigned: base not 0 and the
 * window does not end at the top of its space (0xFFFF for I/O, 0xFFFFFFFF for memory), which is
 * where the sizing pattern puts it, so sizing a BAR with decoding on never maps it over the
 * BIOS (QEMU's rule too).
 *
 * <p>Every {@code define*} call sets the power-on value as well; {@link #reset()} returns to it.
 * Device-side code changes bytes with {@link #set8}/{@link #set16}/{@link #set32} (no masks,
 * e.g. status bits the device sets) and reads them with {@link #get8}/{@link #get16}/{@link
 * #get32}; the guest goes through {@link #read} and {@link #write}.
 *
 * <p>Not thread safe: the owning {@link PciFunction} serializes access.
 */
public final class PciConfigSpace {
    public static final int SIZE = 256;

    public static final int VENDOR_ID = 0x00;
    public static final int DEVICE_ID = 0x02;
    public static final int COMMAND = 0x04;
    public static final int STATUS = 0x06;
    public static final int REVISION_ID = 0x08;
    public static final int PROG_IF = 0x09;
    public static final int SUBCLASS = 0x0A;
    public static final int BASE_CLASS = 0x0B;
    public static final int CACHE_LINE_SIZE = 0x0C;
    public static final int LATENCY_TIMER = 0x0D;
    public static final int HEADER_TYPE = 0x0E;
    public static final int BIST = 0x0F;
    public static final int BAR0 = 0x10;
    public static final int SUBSYSTEM_VENDOR_ID = 0x2C;
    public static final int SUBSYSTEM_ID = 0x2E;
    public static final int EXPANSION_ROM = 0x30;
    public static final int CAPABILITIES = 0x34;
    public static final int INTERRUPT_LINE = 0x3C;
    public static final int INTERRUPT_PIN = 0x3D;
    /** First byte of the device-specific area. */
    public static final int DEVICE_SPECIFIC = 0x40;

    public static final int CMD_IO = 0x0001;
    public static final int CMD_MEMORY = 0x0002;
    public static final int CMD_BUS_MASTER = 0x0004;
    public static final int CMD_INTX_DISABLE = 0x0400;

    /** Status bit 3: the function's INTx is asserted (read-only, PCI 2.3). */
    public static final int STS_INTERRUPT = 0x0008;
    public static final int STS_CAP_LIST = 0x0010;
    public static final int STS_FAST_BACK_TO_BACK = 0x0080;
    public static final int STS_DEVSEL_MEDIUM = 0x0200;
    /** Error bits cleared by writing 1: parity, system error, master/target aborts. */
    public static final int STS_ERRORS = 0xF900;

    public static final int HEADER_MULTI_FUNCTION = 0x80;
    public static final int BARS = 6;

    /** What a BAR decodes. */
    public enum BarKind { NONE, IO, MEMORY32 }

    /** The bytes of the configuration space. */
    public record State(byte[] bytes) {
        public State {
            if (bytes.length != SIZE) {
                throw new IllegalArgumentException("PCI config space has 256 bytes, not " + bytes.length);
            }
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && Arrays.equals(bytes, s.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "PciConfigSpace.State[" + HexFormat.of().formatHex(bytes) + "]";
        }
    }

    private final byte[] bytes = new byte[SIZE];
    private final byte[] resetImage = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final byte[] writeOneToClear = new byte[SIZE];
    private final BarKind[] barKinds = new BarKind[BARS];
    private final long[] barSizes = new long[BARS];
    private int lastCapability;

    /**
     * @param classCode base class, subclass and programming interface as 0xCCSSPP
     */
    public PciConfigSpace(int vendorId, int deviceId, int classCode, int revision) {
        Arrays.fill(barKinds, BarKind.NONE);
        init(VENDOR_ID, 2, vendorId);
        init(DEVICE_ID, 2, deviceId);
        init(REVISION_ID, 1, revision);
        init(PROG_IF, 1, classCode);
        init(SUBCLASS, 1, classCode >>> 8);
        init(BASE_CLASS, 1, classCode >>> 16);
        defineRegister(COMMAND, 2, 0, CMD_IO | CMD_MEMORY | CMD_BUS_MASTER | CMD_INTX_DISABLE);
        defineWriteOneToClear(STATUS, 2, STS_ERRORS);
        defineRegister(CACHE_LINE_SIZE, 1, 0, 0xFF);
        defineRegister(LATENCY_TIMER, 1, 0, 0xFF);
        defineRegister(INTERRUPT_LINE, 1, 0, 0xFF);
        Arrays.fill(writable, DEVICE_SPECIFIC, SIZE, (byte) 0xFF);
    }

    // ---- definition (host side, at construction) --------------------------------------------

    /** Sets the power-on value and the write mask of a register of {@code size} bytes. */
    public PciConfigSpace defineRegister(int offset, int size, int resetValue, int writeMask) {
        check(offset, size);
        init(offset, size, resetValue);
        for (int i = 0; i < size; i++) {
            writable[offset + i] = (byte) (writeMask >>> (8 * i));
        }
        return this;
    }

    /** Makes the bits of {@code mask} write-one-to-clear (they are not otherwise writable). */
    public PciConfigSpace defineWriteOneToClear(int offset, int size, int mask) {
        check(offset, size);
        for (int i = 0; i < size; i++) {
            writeOneToClear[offset + i] = (byte) (mask >>> (8 * i));
            writable[offset + i] &= (byte) ~(mask >>> (8 * i));
        }
        return this;
    }

    /** Sets header type bit 7: the device has more functions than function 0. */
    public PciConfigSpace setMultiFunction() {
        init(HEADER_TYPE, 1, get8(HEADER_TYPE) | HEADER_MULTI_FUNCTION);
        return this;
    }

    public PciConfigSpace setSubsystem(int vendorId, int subsystemId) {
        init(SUBSYSTEM_VENDOR_ID, 2, vendorId);
        init(SUBSYSTEM_ID, 2, subsystemId);
        return this;
    }

    /** Sets the interrupt pin register: 0 = none, 1-4 = INTA#-INTD#. */
    public PciConfigSpace setInterruptPin(int pin) {
        if (pin < 0 || pin > 4) {
            throw new IllegalArgumentException("interrupt pin " + pin);
        }
        init(INTERRUPT_PIN, 1, pin);
        return this;
    }

    /** Defines BAR {@code bar} as an I/O window of {@code size} ports (4-256, a power of two). */
    public PciConfigSpace defineIoBar(int bar, int size) {
        checkBar(bar, size, 4, 256);
        barKinds[bar] = BarKind.IO;
        barSizes[bar] = size;
        return defineRegister(BAR0 + 4 * bar, 4, 0x1, ~(size - 1) & ~0x3);
    }

    /**
     * Defines BAR {@code bar} as a 32-bit memory window of {@code size} bytes (16 bytes-2 GiB, a
     * power of two).
     */
    public PciConfigSpace defineMemoryBar(int bar, long size, boolean prefetchable) {
        checkBar(bar, size, 16, 1L << 31);
        barKinds[bar] = BarKind.MEMORY32;
        barSizes[bar] = size;
        return defineRegister(BAR0 + 4 * bar, 4, prefetchable ? 0x8 : 0x0, (int) ~(size - 1) & ~0xF);
    }

    /**
     * Links a capability of {@code length} bytes at {@code offset} (dword aligned, in the
     * device-specific area) into the capability list and sets status bit 4. The capability's bytes
     * become read-only; define its writable fields afterwards.
     */
    public PciConfigSpace addCapability(int offset, int id, int length) {
        if (offset < DEVICE_SPECIFIC || (offset & 3) != 0 || length < 2 || offset + length > SIZE) {
            throw new IllegalArgumentException("capability at 0x" + Integer.toHexString(offset));
        }
        for (int i = 0; i < length; i++) {
            writable[offset + i] = 0;
        }
        init(offset, 1, id);
        init(offset + 1, 1, 0);
        init(lastCapability == 0 ? CAPABILITIES : lastCapability + 1, 1, offset);
        init(STATUS, 2, get16(STATUS) | STS_CAP_LIST);
        lastCapability = offset;
        return this;
    }

    private void init(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            bytes[offset + i] = (byte) (value >>> (8 * i));
            resetImage[offset + i] = bytes[offset + i];
        }
    }

    private static void checkBar(int bar, long size, long min, long max) {
        if (bar < 0 || bar >= BARS) {
            throw new IllegalArgumentException("no BAR " + bar);
        }
        if (size < min || size > max || Long.bitCount(size) != 1) {
            throw new IllegalArgumentException("BAR size " + size);
        }
    }

    private static void check(int offset, int size) {
        if (offset < 0 || size < 1 || size > 4 || offset + size > SIZE) {
            throw new IllegalArgumentException("config register 0x" + Integer.toHexString(offset)
                    + " of " + size + " bytes");
        }
    }

    // ---- guest accesses ---------------------------------------------------------------------

    /** A guest read: {@code size} bytes (1, 2 or 4) from {@code offset}, little endian. */
    public int read(int offset, int size) {
        check(offset, size);
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (bytes[offset + i] & 0xFF) << (8 * i);
        }
        return v;
    }

    /** A guest write through the write and write-one-to-clear masks. */
    public void write(int offset, int size, int value) {
        check(offset, size);
        for (int i = 0; i < size; i++) {
            int o = offset + i;
            int b = (value >>> (8 * i)) & 0xFF;
            int w = writable[o];
            bytes[o] = (byte) (((bytes[o] & ~w) | (b & w)) & ~(b & writeOneToClear[o]));
        }
    }

    // ---- device-side accesses (no masks) ----------------------------------------------------

    public int get8(int offset) {
        return bytes[offset] & 0xFF;
    }

    public int get16(int offset) {
        return read(offset, 2);
    }

    public int get32(int offset) {
        return read(offset, 4);
    }

    public void set8(int offset, int value) {
        bytes[offset] = (byte) value;
    }

    public void set16(int offset, int value) {
        set8(offset, value);
        set8(offset + 1, value >>> 8);
    }

    public void set32(int offset, int value) {
        set16(offset, value);
        set16(offset + 2, value >>> 16);
    }

    /** The write mask of the byte at {@code offset}. */
    public int writeMask(int offset) {
        return writable[offset] & 0xFF;
    }

    // ---- BARs -------------------------------------------------------------------------------

    public BarKind barKind(int bar) {
        return barKinds[bar];
    }

    /** The window size of BAR {@code bar}, 0 if it is not defined. */
    public long barSize(int bar) {
        return barSizes[bar];
    }

    /** The base address programmed into BAR {@code bar} (type bits cleared). */
    public long barBase(int bar) {
        long raw = get32(BAR0 + 4 * bar) & 0xFFFF_FFFFL;
        return switch (barKinds[bar]) {
            case IO -> raw & ~0x3L;
            case MEMORY32 -> raw & ~0xFL;
            case NONE -> 0;
        };
    }

    /** True if BAR {@code bar} decodes: its space is enabled and its window is assigned. */
    public boolean barDecoded(int bar) {
        BarKind kind = barKinds[bar];
        if (kind == BarKind.NONE) {
            return false;
        }
        int cmd = get16(COMMAND);
        boolean on = (cmd & (kind == BarKind.IO ? CMD_IO : CMD_MEMORY)) != 0;
        long base = barBase(bar);
        long last = base + barSizes[bar] - 1;
        return on && base != 0 && last < (kind == BarKind.IO ? 0xFFFFL : 0xFFFF_FFFFL);
    }

    // ---- reset and snapshots ----------------------------------------------------------------

    /** Returns every byte to its power-on value. */
    public void reset() {
        System.arraycopy(resetImage, 0, bytes, 0, SIZE);
    }

    public State save() {
        return new State(bytes);
    }

    /** Puts the bytes back; the masks are part of the device's definition, not of its state. */
    public void restore(State s) {
        System.arraycopy(s.bytes(), 0, bytes, 0, SIZE);
    }
}

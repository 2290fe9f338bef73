package dev.vmm.devices.pci;

/**
 * The Intel 82441FX PMC, host bridge of the 440FX chipset (00:00.0, 8086:1237, revision 02, class
 * 0600). It always decodes (PCICMD reads 0006h, read-only) and has no interrupt.
 *
 * <p>PAM0-PAM6 (0x59-0x5F) hold the read-enable (bit 0) and write-enable (bit 1) attributes of
 * the BIOS area 0xF0000-0xFFFFF (PAM0 bits 5:4) and of the twelve 16 KiB segments 0xC0000-0xEFFFF
 * (low then high nibble of PAM1-PAM6); the reserved bits read 0. The chip's effect, sending those
 * reads and writes to DRAM instead of the PCI/ISA side, is a board matter: a change of a segment's
 * attributes (after a guest write, reset or restore) is reported to the {@link PamListener}. With
 * the default listener nothing happens, which suits a BIOS that runs from writable RAM.
 *
 * <p>SMRAM (0x72, reset 02h): D_OPEN (6), D_CLS (5), D_LCK (4) and G_SMRAME (3) are stored,
 * C_BASE_SEG (2:0) is fixed at 010 (A0000h). Setting D_LCK clears D_OPEN and makes the register
 * read-only until reset. SMM itself is not modelled.
 *
 * <p>The other registers of 0x40-0xFF (DRAM control and row boundaries, error command) read back
 * what the BIOS writes and have no effect.
 */
public final class I440fxHostBridge extends PciFunction {
    public static final int DEVICE_ID = 0x1237;
    public static final int PAM0 = 0x59;
    public static final int PAM_REGISTERS = 7;
    public static final int SMRAM = 0x72;
    public static final int SMRAM_D_OPEN = 0x40;
    public static final int SMRAM_D_CLS = 0x20;
    public static final int SMRAM_D_LCK = 0x10;
    public static final int SMRAM_G_SMRAME = 0x08;
    /** Segment attribute bits reported to the {@link PamListener}. */
    public static final int PAM_READ = 1;
    public static final int PAM_WRITE = 2;
    /** The 13 shadowable segments: 0 = 0xF0000 (64 KiB), 1-12 = 0xC0000 + 16 KiB * (n - 1). */
    public static final int PAM_SEGMENTS = 13;

    /** Told when a segment's attributes change. */
    @FunctionalInterface
    public interface PamListener {
        void pamChanged(long base, long size, int attributes);
    }

    private final PamListener pamListener;
    private final int[] pamReported = new int[PAM_SEGMENTS];

    public I440fxHostBridge() {
        this((base, size, attributes) -> { });
    }

    public I440fxHostBridge(PamListener pamListener) {
        super(configSpace());
        this.pamListener = pamListener;
    }

    private static PciConfigSpace configSpace() {
        PciConfigSpace c = new PciConfigSpace(Piix3IsaBridge.VENDOR_INTEL, DEVICE_ID, 0x060000, 0x02)
                .defineRegister(PciConfigSpace.COMMAND, 2,
                        PciConfigSpace.CMD_MEMORY | PciConfigSpace.CMD_BUS_MASTER, 0)
                .defineRegister(PciConfigSpace.STATUS, 2,
                        PciConfigSpace.STS_DEVSEL_MEDIUM | PciConfigSpace.STS_FAST_BACK_TO_BACK, 0)
                .defineRegister(PciConfigSpace.CACHE_LINE_SIZE, 1, 0, 0)
                .defineRegister(PciConfigSpace.LATENCY_TIMER, 1, 0, 0xF8)
                .defineRegister(PciConfigSpace.INTERRUPT_LINE, 1, 0, 0)
                .defineRegister(PAM0, 1, 0, 0x30)
                .defineRegister(SMRAM, 1, 0x02, SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME);
        for (int r = 1; r < PAM_REGISTERS; r++) {
            c.defineRegister(PAM0 + r, 1, 0, 0x33);
        }
        return c;
    }

    /** Base address of PAM segment {@code segment}. */
    public static long pamBase(int segment) {
        return segment == 0 ? 0xF0000 : 0xC0000 + 0x4000L * (segment - 1);
    }

    /** Size of PAM segment {@code segment}. */
    public static long pamSize(int segment) {
        return segment == 0 ? 0x10000 : 0x4000;
    }

    /** The read/write attributes of PAM segment {@code segment}. */
    public synchronized int pamAttributes(int segment) {
        int reg = config().get8(PAM0 + (segment + 1) / 2);
        return (segment % 2 == 0 ? reg >>> 4 : reg) & 3;
    }

    public synchronized boolean smramLocked() {
        return (config().get8(SMRAM) & SMRAM_D_LCK) != 0;
    }

    @Override
    public synchronized void configWrite(int offset, int size, int value) {
        if (smramLocked() && overlaps(offset, size, SMRAM, 1)) {
            int shift = 8 * (SMRAM - offset);
            value = value & ~(0xFF << shift) | config().get8(SMRAM) << shift;
        }
        super.configWrite(offset, size, value);
    }

    @Override
    protected void configWritten(int offset, int size) {
        if (overlaps(offset, size, SMRAM, 1) && smramLocked()) {
            config().set8(SMRAM, config().get8(SMRAM) & ~SMRAM_D_OPEN);
        }
        if (overlaps(offset, size, PAM0, PAM_REGISTERS)) {
            reportPam();
        }
    }

    @Override
    protected void configRestored() {
        reportPam();
    }

    @Override
    public synchronized void reset() {
        super.reset();
        reportPam();
    }

    private void reportPam() {
        for (int s = 0; s < PAM_SEGMENTS; s++) {
            int a = pamAttributes(s);
            if (a != pamReported[s]) {
                pamReported[s] = a;
                pamListener.pamChanged(pamBase(s), pamSize(s), a);
            }
        }
    }
}

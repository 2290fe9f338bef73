package dev.vmm.devices.pci;

import java.util.function.IntConsumer;

/**
 * Function 1 of the PIIX3 (00:01.1, 8086:7010): the IDE controller's PCI face. Class 0101,
 * programming interface 0x80: both channels fixed in ISA compatibility mode (ports 0x1F0/0x3F6,
 * IRQ14 and 0x170/0x376, IRQ15; no INTx pin) and bus-master capable.
 *
 * <p>BAR4 (BMIBA, 0x20) places the 16-port bus-master IDE block: bits 31:4 are writable (as in
 * QEMU's model of this function), bit 0 reads 1, so sizing reads back FFFFFFF1h, the 32-bit
 * pattern that firmware such as SeaBIOS turns into a size with {@code ~(value & ~3) + 1}; only a
 * base below 64 KiB decodes. PCICMD has I/O space enable (bit 0, gates the bus-master block) and
 * bus master enable (bit 2, {@link #busMasterEnabled()}) writable; memory space reads 0. Whenever
 * the block starts or stops decoding, the injected {@code busMasterBase} is told the new port
 * base, or -1 (so the IDE controller moves its bus-master registers). IDETIM (0x40 primary, 0x42
 * secondary) and SIDETIM (0x44) are stored: PIO/DMA timings do not matter to an emulated drive.
 *
 * <p>Not modelled: IOSE and the IDETIM decode-enable bit 15 gating the legacy command/control
 * ports (as in QEMU, the legacy ports always decode). Note for firmware: Linux's ata_piix skips a
 * channel whose IDETIM bit 15 is clear, so the BIOS sets it (SeaBIOS writes 0x8000 to 0x40 and 0x42).
 */
public final class PiixIde extends PciFunction {
    public static final int DEVICE_ID = 0x7010;
    public static final int BUS_MASTER_BAR = 4;
    public static final int BMIBA = PciConfigSpace.BAR0 + 4 * BUS_MASTER_BAR;
    public static final int BUS_MASTER_PORTS = 16;
    public static final int IDETIM_PRIMARY = 0x40;
    public static final int IDETIM_SECONDARY = 0x42;
    public static final int SIDETIM = 0x44;
    /** IDETIM bit 15: the channel's ports are decoded. */
    public static final int IDETIM_DECODE = 0x8000;

    private final IntConsumer busMasterBase;

    /** @param busMasterBase told the bus-master block's port base when it moves, or -1 when it stops decoding */
    public PiixIde(IntConsumer busMasterBase) {
        super(new PciConfigSpace(Piix3IsaBridge.VENDOR_INTEL, DEVICE_ID, 0x010180, 0x00)
                .defineRegister(PciConfigSpace.COMMAND, 2, 0,
                        PciConfigSpace.CMD_IO | PciConfigSpace.CMD_BUS_MASTER)
                .defineRegister(PciConfigSpace.STATUS, 2,
                        PciConfigSpace.STS_DEVSEL_MEDIUM | PciConfigSpace.STS_FAST_BACK_TO_BACK, 0)
                .defineWriteOneToClear(PciConfigSpace.STATUS, 2, 0x3800)  // RMA, RTA, STA
                .defineRegister(PciConfigSpace.CACHE_LINE_SIZE, 1, 0, 0)
                .defineRegister(PciConfigSpace.LATENCY_TIMER, 1, 0, 0xF0)
                .defineRegister(PciConfigSpace.INTERRUPT_LINE, 1, 0, 0)
                .defineIoBar(BUS_MASTER_BAR, BUS_MASTER_PORTS)
                .defineRegister(BMIBA, 4, 0x1, 0xFFFF_FFF0)
                .defineRegister(IDETIM_PRIMARY, 2, 0, 0xF3FF)
                .defineRegister(IDETIM_SECONDARY, 2, 0, 0xF3FF)
                .defineRegister(SIDETIM, 1, 0, 0xFF));
        this.busMasterBase = busMasterBase;
    }

    @Override
    protected void onBarChanged(int bar, long base, boolean enabled) {
        if (bar == BUS_MASTER_BAR) {
            busMasterBase.accept(enabled ? (int) base : -1);
        }
    }

    /** PCICMD bit 2: the controller may master the bus (DMA). */
    public synchronized boolean busMasterEnabled() {
        return (config().get16(PciConfigSpace.COMMAND) & PciConfigSpace.CMD_BUS_MASTER) != 0;
    }

    /** IDETIM bit 15 of channel {@code channel} (0 = primary, 1 = secondary). */
    public synchronized boolean channelDecodeEnabled(int channel) {
        return (config().get16(channel == 0 ? IDETIM_PRIMARY : IDETIM_SECONDARY) & IDETIM_DECODE) != 0;
    }
}

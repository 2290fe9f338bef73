package dev.vmm.devices.pci;

import dev.vmm.core.irq.IrqLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One function of a PCI device: its {@link PciConfigSpace} and the side effects of guest
 * configuration writes. A device extends this class, defines its registers in the config space it
 * passes to the constructor, and overrides the hooks it needs:
 *
 * <ul>
 *   <li>{@link #onBarChanged(int, long, boolean)}: a BAR window starts or stops decoding. Calls
 *       come in balanced pairs: every {@code enabled = true} call for a base is followed, before
 *       any other call for that BAR, by an {@code enabled = false} call for the same base. So a
 *       device registers its ports or MMIO region on {@code true} and unregisters exactly that on
 *       {@code false}; moving an enabled BAR gives {@code (old, false)} then {@code (new, true)}.
 *       They fire after guest writes to a BAR or to the command register's I/O / memory enables,
 *       after {@link #reset()} and after a snapshot restore (the mappings are host-side state that
 *       the restore rebuilds). A callback that throws {@link IllegalArgumentException} (a guest
 *       put the window over a claimed range) leaves the BAR unmapped; this is logged once and
 *       counted, and the next configuration write retries.</li>
 *   <li>{@link #configWritten(int, int)}: after every guest write (the bytes are already
 *       updated); device-specific registers act here.</li>
 *   <li>{@link #configRestored()}: after a snapshot restore replaced the bytes; re-derive what
 *       depends on device-specific registers. Override {@link #reset()} (calling super) for the
 *       power-on reset.</li>
 * </ul>
 *
 * <p>INTx: a function with an interrupt pin drives it with {@link #setIntx(boolean)}; status bit 3
 * follows the request and command bit 10 (interrupt disable) masks the pin. The {@link PciBus}
 * connects the pin to the board's router when the function is added.
 *
 * <p>Snapshots: the {@link PciBus} saves and restores the config space of every function, so a
 * device's own {@code Persist} state holds only its internal registers. (This class does not
 * implement {@code Persist} itself, so that devices can implement {@code Persist<TheirState>}.)
 *
 * <p>Example: the PIIX4 power-management function 00:01.3, whose PMBA (0x40) and PMREGMISC (0x80)
 * place and enable a 64-port I/O block:
 * <pre>{@code
 * final class Piix4Pm extends PciFunction {
 *     private static PciConfigSpace pmConfig() {
 *         return new PciConfigSpace(0x8086, 0x7113, 0x068000, 0x03)
 *                 .setInterruptPin(1)                            // INTA# (SCI)
 *                 .defineRegister(0x40, 4, 0x00000001, 0xFFC0)   // PMBA: bit 0 reads 1
 *                 .defineRegister(0x80, 1, 0x00, 0x01);          // PMREGMISC: PMIOSE
 *     }
 *     Piix4Pm(PioBus io) { super(pmConfig()); this.io = io; }
 *
 *     protected void configWritten(int offset, int size) {
 *         if (overlaps(offset, size, 0x40, 4) || overlaps(offset, size, 0x80, 1)) {
 *             remap();
 *         }
 *     }
 *     protected void configRestored() { remap(); }
 *     public synchronized void reset() { super.reset(); remap(); }
 *
 *     private void remap() {       // unregister the old block; register the new one if enabled
 *         int base = config().get32(0x40) & 0xFFC0;
 *         boolean on = (config().get8(0x80) & 1) != 0 && base != 0;
 *         ...
 *     }
 * }
 * // board: pciBus.add(1, 3, new Piix4Pm(io));
 * }</pre>
 *
 * <p>Thread safety: the entry points synchronize on the function, the same monitor a device's own
 * {@code synchronized} methods use; hooks run with it held.
 */
public abstract class PciFunction {
    private static final Logger log = LoggerFactory.getLogger(PciFunction.class);

    private final PciConfigSpace config;
    private final boolean[] mapped = new boolean[PciConfigSpace.BARS];
    private final long[] mappedBase = new long[PciConfigSpace.BARS];
    private IrqLine intx = IrqLine.NONE;
    private boolean intxDriven;
    private long barConflicts;

    protected PciFunction(PciConfigSpace config) {
        this.config = config;
    }

    public final PciConfigSpace config() {
        return config;
    }

    /** A configuration read of {@code size} bytes at {@code offset} (within the 256 bytes). */
    public synchronized int configRead(int offset, int size) {
        return config.read(offset, size);
    }

    /** A configuration write; masks apply, then the hooks run. */
    public synchronized void configWrite(int offset, int size, int value) {
        config.write(offset, size, value);
        configWritten(offset, size);
        updateIntx(true);
        syncBars();
    }

    /** Called after each guest configuration write. */
    protected void configWritten(int offset, int size) {
    }

    /** Called after a snapshot restore replaced the configuration bytes. */
    protected void configRestored() {
    }

    /** A BAR window starts ({@code enabled}) or stops decoding at {@code base}. */
    protected void onBarChanged(int bar, long base, boolean enabled) {
    }

    /** Power-on reset: the config space returns to its power-on values. */
    public synchronized void reset() {
        config.reset();
        updateIntx(true);
        syncBars();
    }

    /** True if {@code [offset, offset+size)} touches {@code [reg, reg+regSize)}. */
    protected static boolean overlaps(int offset, int size, int reg, int regSize) {
        return offset < reg + regSize && reg < offset + size;
    }

    // ---- INTx -------------------------------------------------------------------------------

    /** Drives the function's INTx request (status bit 3); command bit 10 masks the pin. */
    protected final synchronized void setIntx(boolean level) {
        int status = config.get16(PciConfigSpace.STATUS);
        config.set16(PciConfigSpace.STATUS, level
                ? status | PciConfigSpace.STS_INTERRUPT : status & ~PciConfigSpace.STS_INTERRUPT);
        updateIntx(true);
    }

    /** True while the function requests an interrupt (status bit 3). */
    public final synchronized boolean intxRequested() {
        return (config.get16(PciConfigSpace.STATUS) & PciConfigSpace.STS_INTERRUPT) != 0;
    }

    /** The interrupt pin (1-4 = INTA#-INTD#), 0 if the function has none. */
    public final int interruptPin() {
        return config.get8(PciConfigSpace.INTERRUPT_PIN);
    }

    final synchronized void connectIntx(IrqLine line) {
        this.intx = line;
        if (intxDriven) {
            line.raise();
        }
    }

    private void updateIntx(boolean drive) {
        boolean level = intxRequested()
                && (config.get16(PciConfigSpace.COMMAND) & PciConfigSpace.CMD_INTX_DISABLE) == 0;
        if (level != intxDriven) {
            intxDriven = level;
            if (drive) {
                intx.set(level);
            }
        }
    }

    // ---- BAR mappings -----------------------------------------------------------------------

    private void syncBars() {
        for (int bar = 0; bar < PciConfigSpace.BARS; bar++) {
            boolean on = config.barDecoded(bar);
            long base = config.barBase(bar);
            if (mapped[bar] && (!on || base != mappedBase[bar])) {
                mapped[bar] = false;
                onBarChanged(bar, mappedBase[bar], false);
            }
            if (on && !mapped[bar]) {
                try {
                    onBarChanged(bar, base, true);
                    mapped[bar] = true;
                    mappedBase[bar] = base;
                } catch (IllegalArgumentException e) {
                    if (barConflicts++ == 0) {
                        log.warn("PCI {}: BAR{} at 0x{} not mapped: {}", getClass().getSimpleName(),
                                bar, Long.toHexString(base), e.getMessage());
                    }
                }
            }
        }
    }

    /** Unmaps every decoding BAR (first half of a snapshot restore). */
    final synchronized void unmapAll() {
        for (int bar = 0; bar < PciConfigSpace.BARS; bar++) {
            if (mapped[bar]) {
                mapped[bar] = false;
                onBarChanged(bar, mappedBase[bar], false);
            }
        }
    }

    /** The configuration bytes, for the bus's snapshot. */
    public final synchronized PciConfigSpace.State saveConfig() {
        return config.save();
    }

    /**
     * Puts configuration bytes back and remaps the BARs. The INTx pin is not driven: the
     * interrupt router restores the levels of its inputs itself.
     */
    public final synchronized void restoreConfig(PciConfigSpace.State s) {
        config.restore(s);
        updateIntx(false);
        configRestored();
        syncBars();
    }

    /** How many BAR mappings failed because a callback refused the window. */
    public final synchronized long barConflicts() {
        return barConflicts;
    }
}

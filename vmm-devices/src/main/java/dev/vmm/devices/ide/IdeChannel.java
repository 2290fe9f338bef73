package dev.vmm.devices.ide;

import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.core.persist.Persist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One IDE channel: the command block (8 ports: data, error/features, sector count, LBA low, mid,
 * high, device, status/command), the control block (alternate status / device control), up to two
 * drives, its interrupt line and its {@link BusMaster}.
 *
 * <p>The host's register writes reach both drives (each keeps its own task file); the DEV bit of
 * the device register selects which one answers reads and takes commands. Device control: nIEN
 * (bit 1) floats INTRQ, SRST (bit 2) resets both drives (BSY while set; on release each shows its
 * signature: ATA 01 01 00 00, ATAPI 01 01 14 EB), HOB (bit 7) reads the previous bytes of the
 * 48-bit registers; any command block write clears HOB.
 *
 * <p>INTRQ is the selected drive's interrupt-pending flag gated by nIEN. Reading the status
 * register or writing a command clears the flag; the alternate status does not.
 *
 * <p>Absent drives, as QEMU models them: with no drive at all every register reads 00h. A real
 * empty cable floats (FFh, or 7Fh with the DD7 pull-down); Linux (ata_sff_check_ready) and
 * SeaBIOS (powerup_await_non_bsy's floating-bus check, then the 55h/AAh register probe) find no
 * drive either way, and 00h also spares older BIOSes' BSY loops. With only device 0, selecting
 * device 1 reads status and error 00h (SeaBIOS skips a drive whose status is 0) while the other
 * registers come from device 0, which answers for it as ATA specifies; commands to device 1 are
 * ignored.
 *
 * <p>Thread safety: every entry point is synchronized on the channel; host threads changing media
 * take the same lock.
 */
public final class IdeChannel implements PortIoDevice, Persist<IdeChannel.State> {
    private static final Logger log = LoggerFactory.getLogger(IdeChannel.class);

    public static final int CTL_NIEN = 0x02;
    public static final int CTL_SRST = 0x04;
    public static final int CTL_HOB = 0x80;

    /**
     * The channel's state.
     *
     * @param master the drive state of device 0, null if absent
     * @param slave the drive state of device 1, null if absent
     * @param irqLevel the level the channel drives on its interrupt line
     */
    public record State(int deviceControl, IdeDrive.Snapshot master, IdeDrive.Snapshot slave,
                        BusMaster.State busMaster, boolean irqLevel) {
    }

    private final String name;
    private final int commandBase;
    private final int controlPort;
    private final IrqLine irq;
    private final BusMaster busMaster;
    private final IdeDrive[] drives = new IdeDrive[2];
    private int control;
    private boolean irqLevel;
    private long ignoredAccesses;

    IdeChannel(String name, int commandBase, int controlPort, IrqLine irq, PhysicalMemory memory) {
        this.name = name;
        this.commandBase = commandBase;
        this.controlPort = controlPort;
        this.irq = irq;
        this.busMaster = new BusMaster(memory);
    }

    public String name() {
        return name;
    }

    public int commandBase() {
        return commandBase;
    }

    public int controlPort() {
        return controlPort;
    }

    /** Puts {@code drive} at {@code unit} (0 = master, 1 = slave); before the guest runs. */
    public synchronized void connect(int unit, IdeDrive drive) {
        if (unit != 0 && unit != 1) {
            throw new IllegalArgumentException("IDE unit must be 0 or 1: " + unit);
        }
        if (drives[unit] != null) {
            throw new IllegalStateException(name + " unit " + unit + " is taken");
        }
        drive.connect(this);
        IdeDrive other = drives[1 - unit];
        if (other != null) {
            drive.tf.device = other.tf.device;
        }
        drives[unit] = drive;
    }

    /** The drive at {@code unit}, or null. */
    public synchronized IdeDrive drive(int unit) {
        return drives[unit];
    }

    public synchronized BusMaster.State busMasterState() {
        return busMaster.save();
    }

    /** Guest accesses to absent drives or in bad states, ignored. */
    public synchronized long ignoredAccesses() {
        long n = ignoredAccesses;
        for (IdeDrive d : drives) {
            n += d == null ? 0 : d.ignoredAccesses();
        }
        return n;
    }

    // ---- selection and interrupts ---------------------------------------------------------

    private IdeDrive anyDrive() {
        return drives[0] != null ? drives[0] : drives[1];
    }

    /** The selected drive, or null if absent. */
    private IdeDrive selected() {
        IdeDrive any = anyDrive();
        return any == null ? null : drives[(any.tf.device & TaskFile.DEV_DEV) != 0 ? 1 : 0];
    }

    void updateIrq() {
        IdeDrive d = selected();
        boolean level = d != null && d.intrq && (control & CTL_NIEN) == 0;
        if (level != irqLevel) {
            irqLevel = level;
            if (level) {
                busMaster.interruptEdge();
            }
            irq.set(level);
        }
    }

    /** The level driven on the interrupt line. */
    public synchronized boolean irqLevel() {
        return irqLevel;
    }

    void dmaRequested(IdeDrive d) {
        busMaster.run(d);
    }

    // ---- ports ----------------------------------------------------------------------------

    @Override
    public synchronized int ioRead(int port, int size) {
        if (port == controlPort) {
            IdeDrive d = selected();
            return d == null ? 0 : status(d);
        }
        int reg = port - commandBase;
        IdeDrive d = selected();
        if (reg == 0) {
            if (d == null) {
                noDrive();
                return 0;
            }
            return d.dataRead(size);
        }
        IdeDrive any = anyDrive();
        if (any == null) {
            return 0;
        }
        boolean hob = (control & CTL_HOB) != 0;
        return switch (reg) {
            case 7 -> {
                if (d == null) {
                    yield 0;
                }
                int s = status(d);
                d.intrq = false;
                updateIrq();
                yield s;
            }
            case TaskFile.REG_ERROR -> d == null ? 0 : d.tf.read(reg, hob);
            default -> (d != null ? d : any).tf.read(reg, hob);
        };
    }

    private int status(IdeDrive d) {
        return (control & CTL_SRST) != 0 ? IdeDrive.BSY : d.tf.status;
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        if (port == controlPort) {
            deviceControl(value & 0xFF);
            return;
        }
        int reg = port - commandBase;
        switch (reg) {
            case 0 -> {
                IdeDrive d = selected();
                if (d == null) {
                    noDrive();
                } else {
                    d.dataWrite(size, value);
                }
            }
            case 7 -> command(value & 0xFF);
            default -> {
                control &= ~CTL_HOB;
                for (IdeDrive d : drives) {
                    if (d != null) {
                        d.tf.write(reg, value);
                    }
                }
                if (reg == TaskFile.REG_DEVICE) {
                    updateIrq();
                }
            }
        }
    }

    private void command(int cmd) {
        control &= ~CTL_HOB;
        if ((control & CTL_SRST) != 0) {
            noDrive();
            return;
        }
        if (cmd == 0x90) {
            executeDeviceDiagnostic();
            return;
        }
        IdeDrive d = selected();
        if (d == null) {
            noDrive();
            return;
        }
        d.intrq = false;
        updateIrq();
        d.command(cmd);
        updateIrq();
    }

    /** EXECUTE DEVICE DIAGNOSTIC: both drives reset to their signatures; device 0 interrupts. */
    private void executeDeviceDiagnostic() {
        for (IdeDrive d : drives) {
            if (d != null) {
                d.reset();
                d.tf.device &= ~TaskFile.DEV_DEV;
            }
        }
        IdeDrive first = anyDrive();
        if (first != null) {
            first.interrupt();
        }
        updateIrq();
    }

    private void deviceControl(int v) {
        boolean wasReset = (control & CTL_SRST) != 0;
        control = v & (CTL_NIEN | CTL_SRST | CTL_HOB);
        boolean reset = (control & CTL_SRST) != 0;
        if (reset && !wasReset) {
            for (IdeDrive d : drives) {
                if (d != null) {
                    d.cancel();
                    d.intrq = false;
                }
            }
        } else if (wasReset && !reset) {
            for (IdeDrive d : drives) {
                if (d != null) {
                    d.reset();
                    d.tf.device &= ~TaskFile.DEV_DEV;
                }
            }
        }
        updateIrq();
    }

    private void noDrive() {
        if (ignoredAccesses++ == 0) {
            log.debug("{}: access to an absent or resetting drive ignored", name);
        }
    }

    // ---- bus master -----------------------------------------------------------------------

    /** Byte {@code reg} (0-7) of this channel's bus-master registers. */
    synchronized int busMasterRead(int reg) {
        return busMaster.read(reg);
    }

    synchronized void busMasterWrite(int reg, int value) {
        if (busMaster.write(reg, value)) {
            IdeDrive d = selected();
            if (d == null || !d.dmaRequest) {
                d = drives[0] != null && drives[0].dmaRequest ? drives[0] : drives[1];
            }
            if (d != null) {
                busMaster.run(d);
            }
            updateIrq();
        }
    }

    // ---- persist --------------------------------------------------------------------------

    @Override
    public synchronized State save() {
        return new State(control, drives[0] == null ? null : drives[0].snapshot(),
                drives[1] == null ? null : drives[1].snapshot(), busMaster.save(), irqLevel);
    }

    /** Restores the state; the interrupt line is not driven (its receiver restores its own). */
    @Override
    public synchronized void restore(State s) {
        check(s.master(), drives[0], "master");
        check(s.slave(), drives[1], "slave");
        control = s.deviceControl() & (CTL_NIEN | CTL_SRST | CTL_HOB);
        if (drives[0] != null) {
            drives[0].restoreSnapshot(s.master());
        }
        if (drives[1] != null) {
            drives[1].restoreSnapshot(s.slave());
        }
        busMaster.restore(s.busMaster());
        irqLevel = s.irqLevel();
    }

    private void check(IdeDrive.Snapshot saved, IdeDrive present, String unit) {
        if ((saved == null) != (present == null)) {
            throw new IllegalArgumentException(name + " " + unit + ": the snapshot "
                    + (saved == null ? "has no drive there" : "has a drive the machine lacks"));
        }
    }
}

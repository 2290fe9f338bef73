package dev.vmm.firmware.bios;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Flags;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.core.persist.Persist;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.ide.IdeDrive;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.firmware.tables.AcpiTables;
import dev.vmm.firmware.tables.E820Map;
import dev.vmm.firmware.tables.FirmwareTables;
import dev.vmm.firmware.tables.PirqRouting;
import dev.vmm.firmware.tables.TableLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vmm BIOS: a 64 KiB ROM of tiny real-mode stubs (see {@link BiosRom}) whose services run in
 * Java. Each stub pushes DX and its vector and executes {@code out dx, al} to
 * {@link BiosRom#SERVICE_PORT} (0x0500); this class claims the port and dispatches to the service
 * classes, which read and write the live CPU registers and guest memory (see {@link CallFrame}).
 * Status flags (CF, ZF) are returned by editing the FLAGS image on the stack that the stub's IRET
 * pops.
 *
 * <p>Boot: the ROM is mapped at 0xF0000 and aliased at 0xFFFF0000 (where CS base 0xFFFF0000 of
 * the reset state fetches). The CPU starts at F000:FFF0, jumps to the POST stub, which sets a stack at 0000:7C00
 * and calls the POST service ({@link Post}), then INT 19h loads LBA 0 of drive 80h to 0000:7C00 and
 * makes the stub's IRET enter it with DL = 80h.
 *
 * <p>Tables: the ACPI RSDP lives in the ROM at 0xF0000, the MP floating pointer and table at
 * 0xF1000; the rest of the ACPI tables are copied by POST into the last {@link AcpiTables#REGION_SIZE}
 * bytes of RAM (below the PCI hole), which the E820 map reports as NVS/ACPI.
 *
 * <p>Disks: INT 13h uses the {@link BlockDevice} images of the board's ATA disks (in IDE order),
 * as drives 80h..; the medium of the first
 * ATAPI drive is the CD, drive E0h.
 *
 * <p>Boot order: INT 19h tries the {@link BootDevice}s in order (by default the first hard disk,
 * then the CD): a disk boots when LBA 0 ends in 55AAh; a CD boots its El Torito no-emulation image
 * (see {@link ElTorito}). An absent device is skipped; a present one that cannot boot prints one
 * line; then the next is tried.
 */
public final class Bios implements PortIoDevice, Persist<Bios.State> {
    private static final Logger log = LoggerFactory.getLogger(Bios.class);
    /** The snapshot section of the BIOS's own state (see {@link State}). */
    public static final String SECTION = "bios";
    public static final int SECTION_VERSION = 1;
    /** The service port. */
    public static final int SERVICE_PORT = BiosRom.SERVICE_PORT;
    /** Vectors with a Java service (others point at the default IRET). */
    static final int[] SERVICE_VECTORS = {
        0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
        0x10, 0x11, 0x12, 0x13, 0x15, 0x16, 0x18, 0x19, 0x1A,
        0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
    };

    private final PcBoard board;
    private final Cpu cpu;
    private final PhysicalMemory mem;
    private final PioBus io;
    private final BiosRom rom;
    private final TableLayout acpi;
    private final E820Map e820;
    private final PirqRouting pirq = PirqRouting.SEABIOS;
    private final long ramBytes;
    private final Int10Video video;
    private final Int13Disk disk;
    private final Int15System system;
    private final Int16Keyboard keyboard;
    private final Int1aTime time;
    private final Post post;
    private final List<BootDevice> bootOrder;
    private long services;

    /** A device INT 19h can boot from; the letters are QEMU's {@code -boot order} letters. */
    public enum BootDevice {
        /** The first hard disk (drive 80h): its MBR. */
        DISK('c'),
        /** The CD (drive E0h): its El Torito no-emulation boot image. */
        CDROM('d');

        private final char letter;

        BootDevice(char letter) {
            this.letter = letter;
        }

        public char letter() {
            return letter;
        }

        /**
         * Parses a boot order such as {@code "c"}, {@code "d"} or {@code "dc"}.
         *
         * @throws IllegalArgumentException naming the bad letter or a repeated one
         */
        public static List<BootDevice> parseOrder(String order) {
            List<BootDevice> out = new ArrayList<>();
            for (char ch : order.toCharArray()) {
                BootDevice d = switch (ch) {
                    case 'c' -> DISK;
                    case 'd' -> CDROM;
                    default -> throw new IllegalArgumentException("boot order '" + order + "': '" + ch
                            + "' is not c (hard disk) or d (CD)");
                };
                if (out.contains(d)) {
                    throw new IllegalArgumentException("boot order '" + order + "' names '" + ch + "' twice");
                }
                out.add(d);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("empty boot order: give c (hard disk), d (CD) or both");
            }
            return List.copyOf(out);
        }
    }

    /**
     * What the BIOS keeps outside guest memory between service calls (everything else it uses lives
     * in the BIOS data area, in RAM): a snapshot taken while a guest waits in INT 15h AH=86h, between
     * the two bytes of an E0h-prefixed scancode, or after a CD boot resumes with it.
     *
     * @param serviceCalls  service calls so far (statistics)
     * @param waitUntil     guest time in ns at which a pending INT 15h AH=86h wait ends, or -1
     * @param keyboardE0    IRQ1 saw the E0h prefix and waits for the second byte
     * @param cdBoot        the El Torito image INT 19h booted from the CD (INT 13h AX=4B01h reports it), or null
     * @param cdLocks       INT 13h AH=45h lock count of the CD
     */
    public record State(long serviceCalls, long waitUntil, boolean keyboardE0, ElTorito.BootImage cdBoot,
                        int cdLocks) {
    }

    /** The default order: the first hard disk, then the CD. */
    public static final List<BootDevice> DEFAULT_ORDER = List.of(BootDevice.DISK, BootDevice.CDROM);

    private Bios(PcBoard board, List<BlockDevice> disks, Int13Disk.Cd cdrom, List<BootDevice> order) {
        this.board = board;
        this.cpu = board.cpu();
        this.mem = board.memory();
        this.io = board.io();
        this.ramBytes = Math.min(board.config().memoryBytes(), E820Map.MAX_RAM);
        FirmwareTables tables = FirmwareTables.build(ramBytes, pirq);
        this.acpi = tables.acpi();
        this.e820 = tables.e820();
        this.rom = new BiosRom();
        rom.place((int) (FirmwareTables.RSDP_ADDRESS - BiosRom.BASE), acpi.rsdp());
        rom.place((int) (FirmwareTables.MP_ADDRESS - BiosRom.BASE), tables.mpTable());
        this.video = new Int10Video(mem, io, board.vga());
        this.disk = new Int13Disk(mem, disks, cdrom);
        this.bootOrder = List.copyOf(order);
        this.system = new Int15System(cpu, io, board.clock(), e820, ramBytes);
        this.keyboard = new Int16Keyboard(mem, io);
        this.time = new Int1aTime(mem, io, board.pci());
        this.post = new Post(this);
    }

    /** Installs the BIOS on {@code board}, with INT 13h serving the board's ATA disks and CD. */
    public static Bios attach(PcBoard board) {
        return attach(board, DEFAULT_ORDER);
    }

    /** Installs the BIOS on {@code board}, booting the devices of {@code order} in that order. */
    public static Bios attach(PcBoard board, List<BootDevice> order) {
        return install(new Bios(board, ataImages(board), cdImage(board), order));
    }

    private static Bios install(Bios b) {
        PcBoard board = b.board;
        byte[] image = b.rom.image();
        board.memory().addRom(BiosRom.BASE, image);
        board.memory().addRom(BiosRom.HIGH_ALIAS, image);   // the reset vector's 0xFFFFFFF0
        board.io().register(SERVICE_PORT, 1, "bios-services", b);
        board.snapshotParts().add(SECTION, SECTION_VERSION, false, State.class, b);
        log.debug("BIOS attached: {} hard disk(s), {}, {} MiB RAM", b.disk.count(),
                b.disk.cdrom() != null ? "a CD" : "no CD", b.ramBytes >> 20);
        return b;
    }

    /** The images of the board's ATA disks: primary master, primary slave, secondary master, slave. */
    static List<BlockDevice> ataImages(PcBoard board) {
        List<BlockDevice> out = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            for (int u = 0; u < 2; u++) {
                IdeDrive d = board.ide().channel(c).drive(u);
                if (d instanceof AtaDisk a) {
                    out.add(a.image());
                }
            }
        }
        return out;
    }

    /** The board's first ATAPI drive with a medium, or null. */
    static Int13Disk.Cd cdImage(PcBoard board) {
        for (int c = 0; c < 2; c++) {
            for (int u = 0; u < 2; u++) {
                if (board.ide().channel(c).drive(u) instanceof AtapiCdrom cd && cd.medium() != null) {
                    return new Int13Disk.Cd(cd.medium(), c, u);
                }
            }
        }
        return null;
    }

    /** The memory map INT 15h E820h reports. */
    public E820Map e820() {
        return e820;
    }

    /** The ACPI tables (RSDP in the ROM, the region in RAM). */
    public TableLayout acpiTables() {
        return acpi;
    }

    /** Service calls so far. */
    public long serviceCalls() {
        return services;
    }

    @Override
    public State save() {
        return new State(services, system.waitUntil(), keyboard.e0(), disk.cdBoot(), disk.cdLocks());
    }

    @Override
    public void restore(State s) {
        if (s.cdLocks() < 0 || s.cdLocks() > 0xFF) {
            throw new IllegalArgumentException("CD lock count " + s.cdLocks() + " (0..255)");
        }
        if (s.cdBoot() != null && disk.cdrom() == null) {
            throw new IllegalArgumentException("the BIOS booted a CD, but this machine has none");
        }
        services = s.serviceCalls();
        system.setWaitUntil(s.waitUntil());
        keyboard.setE0(s.keyboardE0());
        disk.setCdBoot(s.cdBoot());
        disk.setCdLocks(s.cdLocks());
    }

    // ---- package access for Post ------------------------------------------------------------

    PcBoard board() {
        return board;
    }

    PirqRouting pirq() {
        return pirq;
    }

    Int10Video video() {
        return video;
    }

    Int13Disk disk() {
        return disk;
    }

    Int16Keyboard keyboard() {
        return keyboard;
    }

    // ---- dispatch ---------------------------------------------------------------------------

    @Override
    public int ioRead(int port, int size) {
        return 0xFF;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        CallFrame f = new CallFrame(cpu);
        int code = f.code();
        services++;
        cpu.flags.setBit(Flags.ZF, false);
        try {
            dispatch(code, f);
        } catch (RuntimeException e) {
            log.error("BIOS service {} (AX={}) failed", Integer.toHexString(code), Integer.toHexString(f.ax()), e);
            f.setCf(true);
        }
    }

    private void dispatch(int code, CallFrame f) {
        switch (code) {
            case BiosRom.POST_CODE -> post.run();
            case 0x08 -> timerTick();
            case 0x09 -> {
                keyboard.irq();
                eoi(1);
            }
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F -> eoi(code - 0x08);
            case 0x70 -> {
                io.write(0x70, 1, 0x0C);        // acknowledge the RTC
                io.read(0x71, 1);
                eoi(8);
            }
            case 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77 -> eoi(code - 0x70 + 8);
            case 0x10 -> video.handle(f);
            case 0x11 -> f.setAx(mem.read16(BiosData.EQUIPMENT));
            case 0x12 -> f.setAx(mem.read16(BiosData.MEMORY_KIB));
            case 0x13 -> disk.handle(f);
            case 0x15 -> system.handle(f);
            case 0x16 -> keyboard.handle(f);
            case 0x18 -> {
                video.print("No bootable device.\r\n");
                halt(f);
            }
            case 0x19 -> boot(f);
            case 0x1A -> time.handle(f);
            default -> log.debug("BIOS: no service for {}", Integer.toHexString(code));
        }
    }

    private void eoi(int irq) {
        if (irq >= 8) {
            io.write(0xA0, 1, 0x20);
        }
        io.write(0x20, 1, 0x20);
    }

    private void timerTick() {
        long t = (mem.read32(BiosData.TICKS) & 0xFFFF_FFFFL) + 1;
        if (t >= BiosData.TICKS_PER_DAY) {
            t = 0;
            mem.write8(BiosData.MIDNIGHT, 1);
        }
        mem.write32(BiosData.TICKS, (int) t);
        eoi(0);
    }

    /**
     * Makes the stub's IRET land in the ROM's halt loop with interrupts off, and stops the timer
     * (PIT channel 0 in mode 0 waiting for a count) so that nothing can wake the CPU: the board
     * reports {@link PcBoard.ExitKind#HALTED}.
     */
    private void halt(CallFrame f) {
        io.write(0x43, 1, 0x30);
        f.setReturn(BiosRom.SEGMENT, rom.haltLoop(), 0x0002);
    }

    /** INT 19h: boots the first device of the boot order that can boot; halts if none can. */
    private void boot(CallFrame f) {
        for (BootDevice d : bootOrder) {
            boolean entered = switch (d) {
                case DISK -> bootDisk(f);
                case CDROM -> bootCd(f);
            };
            if (entered) {
                return;
            }
        }
        video.print("No bootable device.\r\n");
        halt(f);
    }

    /** Loads the MBR of drive 80h at 0000:7C00 and makes the IRET enter it with DL = 80h. */
    private boolean bootDisk(CallFrame f) {
        Int13Disk.Disk d = disk.disk(0x80);
        if (d == null) {
            return false;               // absent devices are skipped quietly
        }
        byte[] mbr = new byte[Int13Disk.SECTOR];
        try {
            d.image().read(0, mbr);
        } catch (IOException e) {
            log.warn("INT 19h: reading the boot sector failed: {}", e.toString());
            video.print("Boot failed: disk read error.\r\n");
            return false;
        }
        if ((mbr[510] & 0xFF) != 0x55 || (mbr[511] & 0xFF) != 0xAA) {
            video.print("Boot failed: not a bootable disk (no 55AA signature).\r\n");
            return false;
        }
        mem.load(0x7C00, mbr);
        log.debug("INT 19h: booting from drive 80h");
        f.setDx(0x0080);
        f.setReturn(0x0000, 0x7C00, 0x0202);
        return true;
    }

    /**
     * Loads the CD's El Torito no-emulation image at its load segment and makes the IRET enter it
     * at segment:0000 with DL = E0h (the CD's drive number).
     */
    private boolean bootCd(CallFrame f) {
        Int13Disk.Disk cd = disk.cdrom();
        if (cd == null) {
            return false;
        }
        ElTorito.BootImage image;
        byte[] data;
        try {
            image = ElTorito.find(cd.image());
            if (image.media() != ElTorito.NO_EMULATION) {
                video.print("Boot failed: CD boot image needs " + image.mediaName() + " (unsupported).\r\n");
                return false;
            }
            long end = ((long) image.loadSegment() << 4) + image.loadBytes();
            if (end > BiosData.EBDA || image.loadSegment() < 0x50) {
                video.print("Boot failed: the CD's boot image does not fit in conventional memory.\r\n");
                return false;
            }
            data = new byte[image.loadBytes()];
            if (image.loadRba() * ElTorito.SECTOR + data.length > cd.image().sizeBytes()) {
                video.print("Boot failed: the CD's boot image lies past the end of the CD.\r\n");
                return false;
            }
            cd.image().read(image.loadRba() * ElTorito.SECTOR, data);
        } catch (ElTorito.NotBootableException e) {
            video.print("Boot failed: CD: " + e.getMessage() + ".\r\n");
            return false;
        } catch (IOException e) {
            log.warn("INT 19h: reading the CD failed: {}", e.toString());
            video.print("Boot failed: CD read error.\r\n");
            return false;
        }
        mem.load((long) image.loadSegment() << 4, data);
        disk.setCdBoot(image);
        log.debug("INT 19h: booting the CD's El Torito image {}", image);
        f.setDx(Int13Disk.CD_DRIVE);
        f.setReturn(image.loadSegment(), 0x0000, 0x0202);
        return true;
    }
}

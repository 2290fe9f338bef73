package dev.vmm.firmware.bios;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.storage.BlockDevice;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INT 13h for hard disks 0x80.. (the board's ATA disks in IDE order: primary master, primary
 * slave, secondary master, secondary slave) and for the CD, drive {@link #CD_DRIVE} (E0h, as
 * SeaBIOS and the Bochs BIOS number it). Sectors move straight between the drive's
 * {@link BlockDevice} and guest memory; the IDE registers are not touched. CHS requests use a
 * logical geometry of 16 heads (255 above 504 MiB) and 63 sectors per track.
 *
 * <p>The CD answers the EDD services a no-emulation boot image uses (Phoenix EDD 3.0): 41h
 * (installation check), 42h (read, counting 2048-byte sectors), 43h (refused: write protected),
 * 44h/47h (verify, seek), 45h (lock/unlock), 48h (parameters: 2048 bytes per sector, removable),
 * 49h (media change), 4Bh (El Torito status, see {@link #setCdBoot}), plus 00h, 01h, 0Dh, 10h;
 * CHS requests fail with 01h as there is no geometry. Drives that do not exist (any floppy, as
 * the board has no floppy controller) fail every request with AH = 01h, CF = 1.
 */
final class Int13Disk {
    private static final Logger log = LoggerFactory.getLogger(Int13Disk.class);
    static final int SECTOR = 512;
    static final int OK = 0x00;
    static final int BAD_COMMAND = 0x01;
    static final int NOT_FOUND = 0x04;
    static final int WRITE_PROTECTED = 0x03;
    static final int BOUNDARY = 0x09;
    static final int CONTROLLER = 0x20;
    static final int BAD_PARAMETER = 0x01;
    static final int MEDIA_CHANGED = 0x06;
    static final int NOT_LOCKED = 0xB0;
    static final int TOO_MANY_LOCKS = 0xB4;
    /** The BIOS drive number of the CD. */
    static final int CD_DRIVE = 0xE0;
    /** Size of the El Torito specification packet (INT 13h AX=4B01h). */
    static final int SPEC_PACKET_SIZE = 0x13;

    /** One BIOS drive: a hard disk (512-byte sectors, CHS geometry) or the CD (2048-byte sectors). */
    record Disk(BlockDevice image, long sectors, int heads, int sectorsPerTrack, int cylinders, int sectorSize) {
        static Disk of(BlockDevice image) {
            long sectors = image.sizeBytes() / SECTOR;
            int heads = sectors <= 1024L * 16 * 63 ? 16 : 255;
            int cylinders = (int) Math.max(1, Math.min(1024, sectors / (heads * 63L)));
            return new Disk(image, sectors, heads, 63, cylinders, SECTOR);
        }

        static Disk cd(BlockDevice image) {
            return new Disk(image, image.sizeBytes() / ElTorito.SECTOR, 0, 0, 0, ElTorito.SECTOR);
        }

        boolean cdrom() {
            return sectorSize == ElTorito.SECTOR;
        }
    }

    /** The CD drive: its medium and IDE position (channel 0/1, unit 0 master / 1 slave). */
    record Cd(BlockDevice medium, int channel, int unit) {
    }

    private final PhysicalMemory mem;
    private final List<Disk> disks;
    private final Disk cd;
    private final Cd cdPosition;
    /** The image the BIOS booted from the CD (AX=4B01h reports it), or null. */
    private ElTorito.BootImage cdBoot;
    private int cdLocks;

    Int13Disk(PhysicalMemory mem, List<BlockDevice> images, Cd cdrom) {
        this.mem = mem;
        this.disks = images.stream().map(Disk::of).toList();
        this.cd = cdrom == null ? null : Disk.cd(cdrom.medium());
        this.cdPosition = cdrom;
    }

    /** The CD, or null. */
    Disk cdrom() {
        return cd;
    }

    /** Records that the BIOS booted {@code image} from the CD (no emulation). */
    void setCdBoot(ElTorito.BootImage image) {
        this.cdBoot = image;
    }

    /** The CD boot image, or null (a snapshot's state). */
    ElTorito.BootImage cdBoot() {
        return cdBoot;
    }

    int cdLocks() {
        return cdLocks;
    }

    void setCdLocks(int locks) {
        this.cdLocks = locks;
    }

    int count() {
        return disks.size();
    }

    /** The disk of BIOS drive {@code dl}, or null. */
    Disk disk(int dl) {
        if (dl == CD_DRIVE) {
            return cd;
        }
        int n = dl - 0x80;
        return n >= 0 && n < disks.size() ? disks.get(n) : null;
    }

    void handle(CallFrame f) {
        int fn = f.ah();
        if (fn == 0x4B) {
            elTorito(f);
            return;
        }
        Disk d = disk(f.dl());
        if (d != null && d.cdrom()) {
            cdrom(f, d);
            return;
        }
        if (d == null) {
            absent(f, fn);
            return;
        }
        switch (fn) {
            case 0x00, 0x0C, 0x0D, 0x10, 0x11, 0x04, 0x44, 0x47 -> done(f, OK);
            case 0x01 -> {
                int last = mem.read8(BiosData.DISK_STATUS);
                f.setAh(last);
                f.setCf(last != 0);
            }
            case 0x02, 0x03 -> chs(f, d, fn == 0x03);
            case 0x08 -> {
                int maxCyl = d.cylinders() - 1;
                f.setCx((maxCyl & 0xFF) << 8 | (maxCyl >>> 8 & 3) << 6 | d.sectorsPerTrack());
                f.setDx((d.heads() - 1) << 8 | disks.size());
                f.setAx(0);
                done(f, OK);
            }
            case 0x15 -> {
                long n = Math.min(d.sectors(), 0xFFFF_FFFFL);
                f.setCx((int) (n >>> 16));
                f.setDx((int) n);
                f.setAh(0x03);
                f.setCf(false);
                mem.write8(BiosData.DISK_STATUS, 0);
            }
            case 0x41 -> {
                if (f.bx() != 0x55AA) {
                    done(f, BAD_COMMAND);
                    return;
                }
                f.setBx(0xAA55);
                f.setCx(0x0005);                 // fixed-disk access (42h-44h, 47h, 48h), EDD
                f.setAh(0x30);
                f.setCf(false);
            }
            case 0x42, 0x43 -> extended(f, d, fn == 0x43);
            case 0x48 -> parameters(f, d);
            default -> {
                log.debug("INT 13h AH={} not supported", Integer.toHexString(fn));
                done(f, BAD_COMMAND);
            }
        }
    }

    /**
     * A drive that does not exist (every floppy: the board has no floppy controller). AH=15h
     * answers "no such drive" (AH = 00h, CF clear, Ralf Brown's INT 13h/AH=15h); AH=08h for a
     * floppy answers with zeroes and DL = 0 floppy drives, CF clear, as the Bochs BIOS does, and
     * for a hard disk fails with DL = the number of hard disks; everything else fails with AH =
     * 01h, CF set.
     */
    private void absent(CallFrame f, int fn) {
        if (fn == 0x15) {
            f.setAh(0x00);
            f.setCf(false);
            return;
        }
        if (fn == 0x08 && f.dl() < 0x80) {
            f.setAx(0);
            f.setBx(0);
            f.setCx(0);
            f.setDx(0);
            f.setSegment(Cpu.ES, 0);
            f.setDi(0);
            f.setCf(false);
            return;
        }
        if (fn == 0x08) {
            f.setDx(disks.size());
        }
        done(f, BAD_COMMAND);
    }

    /** The CD's services (see the class comment). */
    private void cdrom(CallFrame f, Disk d) {
        switch (f.ah()) {
            case 0x00, 0x0D, 0x10, 0x44, 0x47 -> done(f, OK);
            case 0x01 -> {
                int last = mem.read8(BiosData.DISK_STATUS);
                f.setAh(last);
                f.setCf(last != 0);
            }
            case 0x41 -> {
                if (f.bx() != 0x55AA) {
                    done(f, BAD_COMMAND);
                    return;
                }
                f.setBx(0xAA55);
                f.setCx(0x0007);                 // fixed-disk access, removable-drive functions, EDD
                f.setAh(0x30);
                f.setCf(false);
            }
            case 0x42 -> extended(f, d, false);
            case 0x43 -> done(f, WRITE_PROTECTED);
            case 0x45 -> lock(f);
            case 0x48 -> parameters(f, d);
            case 0x49 -> done(f, OK);            // the medium has not changed since boot
            default -> {
                log.debug("INT 13h AH={} not supported on the CD", Integer.toHexString(f.ah()));
                done(f, BAD_COMMAND);
            }
        }
    }

    private void lock(CallFrame f) {
        switch (f.al()) {
            case 0x00 -> {
                if (cdLocks == 0xFF) {
                    f.setAl(1);
                    done(f, TOO_MANY_LOCKS);
                    return;
                }
                cdLocks++;
                f.setAl(1);
                done(f, OK);
            }
            case 0x01 -> {
                if (cdLocks == 0) {
                    f.setAl(0);
                    done(f, NOT_LOCKED);
                    return;
                }
                cdLocks--;
                f.setAl(cdLocks != 0 ? 1 : 0);
                done(f, OK);
            }
            case 0x02 -> {
                f.setAl(cdLocks != 0 ? 1 : 0);
                done(f, OK);
            }
            default -> done(f, BAD_COMMAND);
        }
    }

    /**
     * AH=4Bh, AL=00h (terminate emulation) or 01h (status): the 13h-byte specification packet at
     * DS:SI. Only a no-emulation CD boot is ever active, so "terminate" leaves nothing to stop.
     */
    private void elTorito(CallFrame f) {
        if ((f.al() != 0x00 && f.al() != 0x01) || cdBoot == null) {
            done(f, BAD_COMMAND);
            return;
        }
        long p = f.linear(Cpu.DS, f.si());
        mem.write8(p, SPEC_PACKET_SIZE);
        mem.write8(p + 1, cdBoot.media());
        mem.write8(p + 2, CD_DRIVE);
        mem.write8(p + 3, cdPosition.channel());  // controller index: the IDE channel
        mem.write32(p + 4, (int) cdBoot.loadRba());
        mem.write16(p + 8, cdPosition.unit());    // device specification: master (0) or slave (1)
        mem.write16(p + 10, 0);                  // user buffer segment (for a 3K cache): none
        mem.write16(p + 12, cdBoot.loadSegment());
        mem.write16(p + 14, cdBoot.sectorCount());
        mem.write8(p + 16, 0);                   // CHS of an emulated disk: none
        mem.write8(p + 17, 0);
        mem.write8(p + 18, 0);
        done(f, OK);
    }

    private void done(CallFrame f, int status) {
        mem.write8(BiosData.DISK_STATUS, status);
        f.status(status);
    }

    private void chs(CallFrame f, Disk d, boolean write) {
        int count = f.al();
        int sector = f.cl() & 0x3F;
        int cylinder = f.ch() | (f.cl() & 0xC0) << 2;
        int head = f.dh();
        if (count == 0 || sector == 0 || sector > d.sectorsPerTrack() || head >= d.heads()) {
            f.setAl(0);
            done(f, BAD_PARAMETER);
            return;
        }
        long lba = ((long) cylinder * d.heads() + head) * d.sectorsPerTrack() + sector - 1;
        long buffer = f.linear(Cpu.ES, f.bx());
        int status = transfer(d, lba, count, buffer, write);
        f.setAl(status == OK ? count : 0);
        done(f, status);
    }

    private void extended(CallFrame f, Disk d, boolean write) {
        long dap = f.linear(Cpu.DS, f.si());
        int size = mem.read8(dap);
        int count = mem.read16(dap + 2);
        int off = mem.read16(dap + 4);
        int seg = mem.read16(dap + 6);
        long lba = mem.read64(dap + 8);
        if (size < 0x10) {
            done(f, BAD_PARAMETER);
            return;
        }
        long buffer = ((long) seg << 4) + off;
        if (off == 0xFFFF && seg == 0xFFFF && size >= 0x18) {
            buffer = mem.read64(dap + 0x10);
        }
        int status = transfer(d, lba, count, buffer, write);
        if (status != OK) {
            mem.write16(dap + 2, 0);
        }
        done(f, status);
    }

    private int transfer(Disk d, long lba, int count, long buffer, boolean write) {
        if (lba < 0 || lba + count > d.sectors()) {
            return NOT_FOUND;
        }
        if (write && d.image().readOnly()) {
            return WRITE_PROTECTED;
        }
        byte[] data = new byte[count * d.sectorSize()];
        try {
            if (write) {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (byte) mem.read8(buffer + i);
                }
                d.image().write(lba * d.sectorSize(), data);
            } else {
                d.image().read(lba * d.sectorSize(), data);
                mem.load(buffer, data);
            }
            return OK;
        } catch (IOException e) {
            log.warn("INT 13h: {} of {} sectors at LBA {} failed: {}", write ? "write" : "read", count, lba,
                    e.toString());
            return CONTROLLER;
        }
    }

    private void parameters(CallFrame f, Disk d) {
        long p = f.linear(Cpu.DS, f.si());
        int size = mem.read16(p);
        if (size < 0x1A) {
            done(f, BAD_PARAMETER);
            return;
        }
        mem.write16(p, size >= 0x1E ? 0x1E : 0x1A);
        if (d.cdrom()) {
            // Removable, change line, lockable, CHS not valid (EDD 3.0 information flags).
            mem.write16(p + 2, 0x0074);
            mem.write32(p + 4, 0xFFFF_FFFF);
            mem.write32(p + 8, 0xFFFF_FFFF);
            mem.write32(p + 12, 0xFFFF_FFFF);
        } else {
            mem.write16(p + 2, 0x0002);        // CHS information valid
            mem.write32(p + 4, d.cylinders());
            mem.write32(p + 8, d.heads());
            mem.write32(p + 12, d.sectorsPerTrack());
        }
        mem.write64(p + 16, d.sectors());
        mem.write16(p + 24, d.sectorSize());
        if (size >= 0x1E) {
            mem.write32(p + 26, 0xFFFF_FFFF);    // no device parameter table extension
        }
        done(f, OK);
    }
}

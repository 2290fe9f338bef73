package dev.vmm.firmware.bios;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.pci.PciBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** INT 1Ah: the BDA tick count, the CMOS clock (BCD, as the RTC keeps it) and the PCI BIOS (B1xxh). */
final class Int1aTime {
    private static final Logger log = LoggerFactory.getLogger(Int1aTime.class);
    static final long PCI_SIGNATURE = 0x2049_4350L;   // "PCI "
    static final int PCI_OK = 0x00;
    static final int PCI_UNSUPPORTED = 0x81;
    static final int PCI_BAD_VENDOR = 0x83;
    static final int PCI_NOT_FOUND = 0x86;
    static final int PCI_BAD_REGISTER = 0x87;

    private final PhysicalMemory mem;
    private final PioBus io;
    private final PciBus pci;

    Int1aTime(PhysicalMemory mem, PioBus io, PciBus pci) {
        this.mem = mem;
        this.io = io;
        this.pci = pci;
    }

    void handle(CallFrame f) {
        switch (f.ah()) {
            case 0x00 -> {
                long t = mem.read32(BiosData.TICKS) & 0xFFFF_FFFFL;
                f.setCx((int) (t >>> 16));
                f.setDx((int) t);
                f.setAl(mem.read8(BiosData.MIDNIGHT));
                mem.write8(BiosData.MIDNIGHT, 0);
                f.setCf(false);
            }
            case 0x01 -> {
                mem.write32(BiosData.TICKS, f.cx() << 16 | f.dx());
                mem.write8(BiosData.MIDNIGHT, 0);
                f.status(0);
            }
            case 0x02 -> {
                f.setCx(cmos(0x04) << 8 | cmos(0x02));
                f.setDx(cmos(0x00) << 8 | (cmos(0x0B) & 1));
                f.status(0);
            }
            case 0x03 -> {
                cmosWrite(0x04, f.ch());
                cmosWrite(0x02, f.cl());
                cmosWrite(0x00, f.dh());
                f.status(0);
            }
            case 0x04 -> {
                f.setCx(cmos(0x32) << 8 | cmos(0x09));
                f.setDx(cmos(0x08) << 8 | cmos(0x07));
                f.status(0);
            }
            case 0x05 -> {
                cmosWrite(0x32, f.ch());
                cmosWrite(0x09, f.cl());
                cmosWrite(0x08, f.dh());
                cmosWrite(0x07, f.dl());
                f.status(0);
            }
            case 0xB1 -> pciBios(f);
            default -> {
                log.debug("INT 1Ah AH={} not supported", Integer.toHexString(f.ah()));
                f.setCf(true);
            }
        }
    }

    private int cmos(int reg) {
        io.write(0x70, 1, reg);
        return io.read(0x71, 1);
    }

    private void cmosWrite(int reg, int value) {
        io.write(0x70, 1, reg);
        io.write(0x71, 1, value);
    }

    private void pciBios(CallFrame f) {
        switch (f.al()) {
            case 0x01 -> {
                f.setEdx(PCI_SIGNATURE);
                f.setAx(0x0001);                          // AH = 0 (present), AL = config mechanism 1
                f.setBx(0x0210);                          // version 2.10
                f.setCx(f.cx() & 0xFF00);                 // CL = last bus: 0
                f.setCf(false);
            }
            case 0x02 -> findDevice(f);
            case 0x03 -> findClass(f);
            case 0x08, 0x09, 0x0A -> {
                int size = f.al() == 0x08 ? 1 : f.al() == 0x09 ? 2 : 4;
                int reg = f.di();
                if (reg > 0xFF || (reg & (size - 1)) != 0) {
                    pciStatus(f, PCI_BAD_REGISTER);
                    return;
                }
                int v = f.bh() == 0 ? pci.configRead(f.bl() >>> 3, f.bl() & 7, reg, size) : -1;
                switch (size) {
                    case 1 -> f.setCx((f.cx() & 0xFF00) | (v & 0xFF));
                    case 2 -> f.setCx(v & 0xFFFF);
                    default -> f.setEcx(v & 0xFFFF_FFFFL);
                }
                pciStatus(f, PCI_OK);
            }
            case 0x0B, 0x0C, 0x0D -> {
                int size = f.al() == 0x0B ? 1 : f.al() == 0x0C ? 2 : 4;
                int reg = f.di();
                if (reg > 0xFF || (reg & (size - 1)) != 0) {
                    pciStatus(f, PCI_BAD_REGISTER);
                    return;
                }
                long v = size == 1 ? f.cl() : size == 2 ? f.cx() : f.ecx();
                if (f.bh() == 0) {
                    pci.configWrite(f.bl() >>> 3, f.bl() & 7, reg, size, (int) v);
                }
                pciStatus(f, PCI_OK);
            }
            default -> pciStatus(f, PCI_UNSUPPORTED);
        }
    }

    private static void pciStatus(CallFrame f, int status) {
        f.setAh(status);
        f.setCf(status != 0);
    }

    private void findDevice(CallFrame f) {
        int vendor = f.dx();
        int device = f.cx();
        if (vendor == 0xFFFF) {
            pciStatus(f, PCI_BAD_VENDOR);
            return;
        }
        int index = f.si();
        for (int d = 0; d < PciBus.DEVICES; d++) {
            for (int fn = 0; fn < PciBus.FUNCTIONS; fn++) {
                if (pci.function(d, fn) == null) {
                    continue;
                }
                int id = pci.configRead(d, fn, 0, 4);
                if ((id & 0xFFFF) == vendor && (id >>> 16) == device && index-- == 0) {
                    f.setBx(d << 3 | fn);
                    pciStatus(f, PCI_OK);
                    return;
                }
            }
        }
        pciStatus(f, PCI_NOT_FOUND);
    }

    private void findClass(CallFrame f) {
        long cls = f.ecx() & 0xFF_FFFF;
        int index = f.si();
        for (int d = 0; d < PciBus.DEVICES; d++) {
            for (int fn = 0; fn < PciBus.FUNCTIONS; fn++) {
                if (pci.function(d, fn) == null) {
                    continue;
                }
                long c = (pci.configRead(d, fn, 8, 4) & 0xFFFF_FFFFL) >>> 8;
                if (c == cls && index-- == 0) {
                    f.setBx(d << 3 | fn);
                    pciStatus(f, PCI_OK);
                    return;
                }
            }
        }
        pciStatus(f, PCI_NOT_FOUND);
    }
}

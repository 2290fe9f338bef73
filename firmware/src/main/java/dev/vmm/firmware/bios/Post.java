package dev.vmm.firmware.bios;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.firmware.boot.Chipset;
import java.time.Instant;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Power-on self test, run in Java from the POST stub: the interrupt vector table, BIOS data area
 * and EBDA, the interrupt controllers, the timer, the keyboard controller, VGA mode 3, A20, the
 * chipset's PCI interrupt routing and IDE timings, and the ACPI tables in RAM.
 */
final class Post {
    private static final Logger log = LoggerFactory.getLogger(Post.class);
    private final Bios bios;

    Post(Bios bios) {
        this.bios = bios;
    }

    void run() {
        PcBoard board = bios.board();
        PhysicalMemory mem = board.memory();
        PioBus io = board.io();
        ivt(mem);
        bda(board, mem, bios.disk().count());
        pic(io, bios);
        pit(io);
        bios.keyboard().init();
        bios.video().init();
        io.write(0x92, 1, io.read(0x92, 1) | 2);               // A20 on
        Chipset.configure(board.pci(), io, bios.pirq());
        mem.load(bios.acpiTables().regionBase(), bios.acpiTables().region());
        log.debug("POST done");
    }

    private static void ivt(PhysicalMemory mem) {
        for (int v = 0; v < 256; v++) {
            mem.write16(4L * v, BiosRom.DEFAULT_IRET);
            mem.write16(4L * v + 2, BiosRom.SEGMENT);
        }
        for (int v : Bios.SERVICE_VECTORS) {
            mem.write16(4L * v, BiosRom.stub(v));
        }
    }

    private static void bda(PcBoard board, PhysicalMemory mem, int hardDisks) {
        for (int a = BiosData.BDA; a < 0x500; a++) {
            mem.write8(a, 0);
        }
        int com = 0;
        for (int n = 0; n < 4; n++) {
            if (board.serial(n) != null) {
                mem.write16(BiosData.COM_PORTS + 2L * com++, PcBoard.COM_BASES[n]);
            }
        }
        // Equipment: FPU, PS/2 mouse, 80x25 colour, serial port count.
        mem.write16(BiosData.EQUIPMENT, 0x0002 | 0x0004 | 0x0020 | com << 9);
        mem.write16(BiosData.MEMORY_KIB, (int) (BiosData.EBDA >> 10));
        mem.write16(BiosData.EBDA_SEGMENT, (int) (BiosData.EBDA >> 4));
        for (long a = BiosData.EBDA; a < 0xA0000; a++) {
            mem.write8(a, 0);
        }
        mem.write8(BiosData.EBDA, BiosData.EBDA_KIB);
        mem.write8(BiosData.HARD_DISKS, hardDisks);
        Instant t = board.config().rtcTime();
        long seconds = t.atZone(ZoneOffset.UTC).toLocalTime().toSecondOfDay();
        mem.write32(BiosData.TICKS, (int) (seconds * BiosData.TICKS_PER_DAY / 86_400));
    }

    private static void pic(PioBus io, Bios bios) {
        io.write(0x20, 1, 0x11);            // ICW1: edge, cascade, ICW4
        io.write(0x21, 1, 0x08);            // ICW2: vectors 08h-0Fh
        io.write(0x21, 1, 0x04);            // ICW3: slave on IR2
        io.write(0x21, 1, 0x01);            // ICW4: 8086 mode
        io.write(0xA0, 1, 0x11);
        io.write(0xA1, 1, 0x70);            // vectors 70h-77h
        io.write(0xA1, 1, 0x02);
        io.write(0xA1, 1, 0x01);
        io.write(0x21, 1, 0xF8);            // IRQ0, IRQ1, IRQ2 (cascade) unmasked
        io.write(0xA1, 1, 0xFF);
    }

    private static void pit(PioBus io) {
        io.write(0x43, 1, 0x34);            // channel 0, lo/hi, mode 2
        io.write(0x40, 1, 0x00);            // count 0 = 65536: 18.2 Hz
        io.write(0x40, 1, 0x00);
    }
}

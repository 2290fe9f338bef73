package dev.vmm.firmware.bios;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.storage.RawImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * INT 15h AH=87h (block move through a caller's GDT), 88h, E801h, C0h, INT 16h AH=09h, and the
 * absent floppy drive (INT 11h, INT 13h on drive 0), called from boot sectors. Expected values
 * follow Ralf Brown's interrupt list and the system configuration table layout of the IBM PC/AT
 * BIOS technical reference.
 */
class Int15ServicesTest {
    static final int RESULT = 0x7E00;
    static final long HIGH = 0x0100_0000L;     // 16 MiB: needs base bits 24-31 (descriptor byte 7)

    @TempDir
    Path dir;

    @Test
    void blockMoveSizesAndConfigurationTable() throws Exception {
        Asm16 a = new Asm16(0x7C00);
        a.b(0x31, 0xC0, 0x8E, 0xD8, 0x8E, 0xC0, 0x8E, 0xD0, 0xBC, 0x00, 0x7C)
                // 1: 8 words from 0x7C00 (this sector) to 16 MiB.
                .b(0xB4, 0x87, 0xB9, 0x08, 0x00, 0xBE).abs16("gdt1").b(0xCD, 0x15)
                .b(0xA3, 0x00, 0x7E, 0x9C, 0x58, 0xA3, 0x02, 0x7E)       // [7E00]=ax; [7E02]=flags
                // 2: back from 16 MiB to 0x8100.
                .b(0xB4, 0x87, 0xB9, 0x08, 0x00, 0xBE).abs16("gdt2").b(0xCD, 0x15)
                .b(0xA3, 0x04, 0x7E)
                // 3: 8 words through a source descriptor whose limit is 7: refused.
                .b(0xB4, 0x87, 0xB9, 0x08, 0x00, 0xBE).abs16("gdt3").b(0xCD, 0x15)
                .b(0xA3, 0x06, 0x7E, 0x9C, 0x58, 0xA3, 0x08, 0x7E)
                .b(0xB4, 0x88, 0xCD, 0x15, 0xA3, 0x0A, 0x7E)              // AH=88h
                .b(0xB8, 0x01, 0xE8, 0xCD, 0x15)                         // AX=E801h
                .b(0xA3, 0x0C, 0x7E, 0x89, 0x1E, 0x0E, 0x7E)
                .b(0xB4, 0xC0, 0xCD, 0x15)                               // AH=C0h
                .b(0x8C, 0x06, 0x10, 0x7E, 0x89, 0x1E, 0x12, 0x7E, 0x9C, 0x58, 0xA3, 0x14, 0x7E)
                .b(0xB4, 0x09, 0xCD, 0x16, 0xA2, 0x16, 0x7E)              // INT 16h AH=09h
                .b(0xB0, 0x00, 0xE6, 0xF4)
                .label("hang").b(0xF4).j8(0xEB, "hang");
        gdt(a, "gdt1", 0xFFFF, 0x7C00, 0xFFFF, HIGH);
        gdt(a, "gdt2", 0xFFFF, HIGH, 0xFFFF, 0x8100);
        gdt(a, "gdt3", 0x0007, 0x7C00, 0xFFFF, 0x8200);
        byte[] mbr = a.sector(true);
        byte[] disk = new byte[64 * 1024];
        System.arraycopy(mbr, 0, disk, 0, 512);
        Path image = dir.resolve("disk.img");
        Files.write(image, disk);
        try (RawImage raw = RawImage.open(image, RawImage.Mode.READ_ONLY);
             PcBoard board = BoardConfig.builder().memory(128L << 20).deterministic(true).debugExit(true)
                     .drive(0, 0, new AtaDisk(raw)).build()) {
            Bios bios = Bios.attach(board);
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, board.run(50_000_000L).kind());
            var m = board.memory();
            for (int i = 0; i < 16; i++) {
                assertEquals(mbr[i] & 0xFF, m.read8(HIGH + i), "byte " + i + " at 16 MiB");
                assertEquals(mbr[i] & 0xFF, m.read8(0x8100 + i), "byte " + i + " copied back");
                assertEquals(0, m.read8(0x8200 + i), "refused move wrote nothing");
            }
            assertEquals(0x00, m.read16(RESULT) >>> 8, "AH=0 after a move");
            assertEquals(0, m.read16(RESULT + 2) & 1, "CF clear");
            assertEquals(0x00, m.read16(RESULT + 4) >>> 8);
            assertEquals(0x02, m.read16(RESULT + 6) >>> 8, "AH=02h: the move would fault");
            assertEquals(1, m.read16(RESULT + 8) & 1, "CF set");
            assertEquals(0xFC00, m.read16(RESULT + 10), "AH=88h: at most 63 MiB");
            assertEquals(0x3C00, m.read16(RESULT + 12), "E801h AX: 15 MiB between 1 and 16 MiB");
            long top = bios.e820().entries().stream().filter(e -> e.base() == 0x10_0000).findFirst()
                    .orElseThrow().end();
            assertEquals(128L * 1024 * 1024 - 0x4000, top, "usable RAM ends at the 16 KiB ACPI region");
            assertEquals((int) ((top - HIGH) >> 16), m.read16(RESULT + 14), "E801h BX: 64 KiB blocks");
            assertEquals(0xF000, m.read16(RESULT + 16));
            assertEquals(0xE6F5, m.read16(RESULT + 18), "the table at F000:E6F5, as on the PC/AT");
            assertEquals(0, m.read16(RESULT + 20) & 1);
            long t = 0xFE6F5;
            assertEquals(8, m.read16(t), "table length");
            assertEquals(0xFC, m.read8(t + 2), "model: AT");
            assertEquals(0x01, m.read8(t + 3), "submodel");
            assertEquals(0x64, m.read8(t + 5), "feature 1: 2nd 8259, RTC, EBDA");
            assertEquals(0x40, m.read8(t + 6), "feature 2: INT 16h AH=09h");
            assertEquals(0x20, m.read8(RESULT + 22), "INT 16h AH=09h: AH=10h-12h supported");
        }
    }

    @Test
    void noFloppyDrive() throws Exception {
        Asm16 a = new Asm16(0x7C00);
        a.b(0x31, 0xC0, 0x8E, 0xD8, 0x8E, 0xD0, 0xBC, 0x00, 0x7C)
                .b(0xCD, 0x11, 0xA3, 0x00, 0x7E)                          // int 11h; [7E00]=ax
                .b(0xB8, 0x01, 0x02, 0xB9, 0x01, 0x00, 0xBA, 0x00, 0x00)  // ax=0201h cx=1 dx=0 (drive 0)
                .b(0xBB, 0x00, 0x80, 0xCD, 0x13)                          // bx=8000h; int 13h
                .b(0xA3, 0x02, 0x7E, 0x9C, 0x58, 0xA3, 0x04, 0x7E)        // [7E02]=ax; [7E04]=flags
                .b(0xB4, 0x15, 0xB2, 0x00, 0xCD, 0x13)                    // ah=15h dl=0; int 13h
                .b(0xA3, 0x06, 0x7E, 0x9C, 0x58, 0xA3, 0x08, 0x7E)
                .b(0xBA, 0xFF, 0xFF, 0xB4, 0x08, 0xB2, 0x00, 0xCD, 0x13)  // dx=FFFFh; ah=8 dl=0; int 13h
                .b(0x89, 0x16, 0x0A, 0x7E, 0x9C, 0x58, 0xA3, 0x0C, 0x7E)  // [7E0A]=dx; [7E0C]=flags
                .b(0xB0, 0x00, 0xE6, 0xF4)
                .label("hang").b(0xF4).j8(0xEB, "hang");
        byte[] disk = new byte[64 * 1024];
        System.arraycopy(a.sector(true), 0, disk, 0, 512);
        Path image = dir.resolve("fd.img");
        Files.write(image, disk);
        try (RawImage raw = RawImage.open(image, RawImage.Mode.READ_ONLY);
             PcBoard board = BoardConfig.builder().memory(32L << 20).deterministic(true).debugExit(true)
                     .drive(0, 0, new AtaDisk(raw)).build()) {
            Bios.attach(board);
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, board.run(50_000_000L).kind());
            var m = board.memory();
            assertEquals(0, m.read16(RESULT) & 0x00C1, "INT 11h: no diskette (bit 0), drive count bits 6-7 zero");
            assertEquals(0, board.rtc().cmosByte(0x10), "CMOS 10h: no diskette drives");
            assertEquals(0x01, m.read16(RESULT + 2) >>> 8, "AH=02h on drive 0: AH=01h");
            assertEquals(1, m.read16(RESULT + 4) & 1, "... and CF set");
            assertEquals(0x00, m.read16(RESULT + 6) >>> 8, "AH=15h: 00h = no such drive");
            assertEquals(0, m.read16(RESULT + 8) & 1, "... CF clear");
            assertEquals(0x0000, m.read16(RESULT + 10), "AH=08h: DL = 0 diskette drives");
        }
    }

    /** A 32-byte block-move GDT: null, GDT alias, source and destination descriptors (access 93h). */
    private static void gdt(Asm16 a, String label, int srcLimit, long src, int dstLimit, long dst) {
        a.label(label);
        for (int i = 0; i < 16; i++) {
            a.b(0);
        }
        descriptor(a, srcLimit, src);
        descriptor(a, dstLimit, dst);
    }

    private static void descriptor(Asm16 a, int limit, long base) {
        a.b(limit & 0xFF, limit >>> 8, (int) base & 0xFF, (int) (base >>> 8) & 0xFF, (int) (base >>> 16) & 0xFF,
                0x93, 0x00, (int) (base >>> 24) & 0xFF);
    }
}

package dev.vmm.firmware.bios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.storage.IsoImage;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * El Torito no-emulation boot through the BIOS: ISOs built by {@code xorriso} from boot images
 * assembled here, whose catalog values {@code xorriso -report_el_torito} confirms.
 */
class CdBootTest {
    static final long BUDGET = 50_000_000L;
    static final int RESULT = 0x7E00;
    static final int SPEC = 0x7E10;
    static final int PARAMS = 0x7E40;

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /**
     * A boot image that records DL, the El Torito status packet (INT 13h AX=4B01h), the EDD
     * installation check (41h) and drive parameters (48h) of its drive, reads CD sector 16 (the
     * primary volume descriptor) to 0000:8000 with AH=42h, prints a line and exits through port
     * 0xF4 with 1 (status 3), or with 7Fh and AH at [7E06h] if a call fails.
     */
    static byte[] probeImage(String message) {
        Asm16 a = new Asm16(0x7C00);
        a.b(0x31, 0xC0, 0x8E, 0xD8, 0x8E, 0xC0)          // xor ax,ax; mov ds,ax; mov es,ax
                .b(0x8E, 0xD0, 0xBC, 0x00, 0x7C)         // mov ss,ax; mov sp,7C00h
                .b(0x88, 0x16, 0x00, 0x7E)               // mov [7E00h],dl
                .b(0xB8, 0x01, 0x4B, 0xBE, 0x10, 0x7E)   // mov ax,4B01h; mov si,7E10h
                .b(0xCD, 0x13).j8(0x72, "fail")          // int 13h; jc fail
                .b(0xB4, 0x41, 0xBB, 0xAA, 0x55)         // mov ah,41h; mov bx,55AAh
                .b(0x8A, 0x16, 0x00, 0x7E)               // mov dl,[7E00h]
                .b(0xCD, 0x13).j8(0x72, "fail")
                .b(0x89, 0x1E, 0x02, 0x7E, 0x89, 0x0E, 0x04, 0x7E) // mov [7E02h],bx; mov [7E04h],cx
                .b(0xC7, 0x06, 0x40, 0x7E, 0x1E, 0x00)   // mov word [7E40h],1Eh
                .b(0xB4, 0x48, 0x8A, 0x16, 0x00, 0x7E)   // mov ah,48h; mov dl,[7E00h]
                .b(0xBE, 0x40, 0x7E, 0xCD, 0x13).j8(0x72, "fail") // mov si,7E40h; int 13h; jc fail
                .b(0xB4, 0x42, 0x8A, 0x16, 0x00, 0x7E)   // mov ah,42h; mov dl,[7E00h]
                .b(0xBE).abs16("dap").b(0xCD, 0x13).j8(0x72, "fail")
                .b(0xBE).abs16("msg").call("print")
                .b(0xB0, 0x01, 0xE6, 0xF4)               // mov al,1; out 0F4h,al
                .label("hang").b(0xF4).j8(0xEB, "hang")
                .label("fail").b(0x88, 0x26, 0x06, 0x7E) // mov [7E06h],ah
                .b(0xB0, 0x7F, 0xE6, 0xF4).j8(0xEB, "hang");
        a.label("print").b(0xAC, 0x84, 0xC0).j8(0x74, "print.ret")
                .b(0xB4, 0x0E, 0xBB, 0x07, 0x00, 0xCD, 0x10).j8(0xEB, "print")
                .label("print.ret").b(0xC3);
        a.label("msg").asciz(message + "\r\n")
                .label("dap").b(0x10, 0x00, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00)
                .b(16, 0, 0, 0, 0, 0, 0, 0);
        byte[] image = new byte[2048];
        System.arraycopy(a.sector(false), 0, image, 0, 512);
        return image;
    }

    /** Builds an ISO whose root holds {@code boot.img} (a no-emulation image of 4 virtual sectors). */
    Path iso(String name, byte[] bootImage) throws Exception {
        Path root = Files.createDirectories(dir.resolve(name + ".d"));
        Files.write(root.resolve("boot.img"), bootImage);
        Files.writeString(root.resolve("README.TXT"), "vmm test CD\n");
        Path iso = dir.resolve(name + ".iso");
        Xorriso.mkisofs(dir, "-o", iso.toString(), "-V", "VMMTEST", "-b", "boot.img", "-no-emul-boot",
                "-boot-load-size", "4", root.toString());
        return iso;
    }

    private PcBoard board(Path disk, Path iso, String order) throws IOException {
        BoardConfig.Builder b = BoardConfig.builder().memory(32L << 20).deterministic(true).debugExit(true);
        if (disk != null) {
            RawImage raw = RawImage.open(disk, RawImage.Mode.READ_ONLY);
            open.add(raw);
            b.drive(0, 0, new AtaDisk(raw));
        }
        if (iso != null) {
            IsoImage cd = IsoImage.open(iso);
            open.add(cd);
            b.drive(1, 0, new AtapiCdrom(cd));
        }
        PcBoard board = b.build();
        open.add(board);
        Bios.attach(board, Bios.BootDevice.parseOrder(order));
        return board;
    }

    @Test
    void noEmulationImageBootsAndSeesTheCdThroughInt13() throws Exception {
        Path iso = iso("probe", probeImage("cd boot ok"));
        Xorriso.Report r = Xorriso.report(iso);
        assertEquals("BIOS", r.platform());
        assertEquals("none", r.emulation());
        PcBoard board = board(null, iso, "cd");
        PcBoard.Exit exit = board.run(BUDGET);
        String screen = board.vga().textScreen().text();
        var m = board.memory();
        assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind(), screen);
        assertEquals(3, exit.status(), "failed call AH=" + Integer.toHexString(m.read8(RESULT + 6)) + "\n" + screen);
        assertEquals("cd boot ok", board.vga().textScreen().line(0).strip(), "absent disk skipped quietly");
        assertEquals(0xE0, m.read8(RESULT), "DL: the CD's drive number");
        // The specification packet against xorriso's report of the catalog.
        assertEquals(0x13, m.read8(SPEC), "packet size");
        assertEquals(0x00, m.read8(SPEC + 1), "no emulation");
        assertEquals(0xE0, m.read8(SPEC + 2), "drive");
        assertEquals(1, m.read8(SPEC + 3), "controller: secondary channel");
        assertEquals(r.lba(), m.read32(SPEC + 4) & 0xFFFF_FFFFL, "image LBA");
        assertEquals(0, m.read16(SPEC + 8), "master");
        assertEquals(r.loadSegment() == 0 ? 0x07C0 : r.loadSegment(), m.read16(SPEC + 12), "load segment");
        assertEquals(r.loadSize(), m.read16(SPEC + 14), "virtual sectors loaded");
        // EDD: installation check and parameters of a 2048-byte-sector removable drive.
        assertEquals(0xAA55, m.read16(RESULT + 2));
        assertEquals(0x0007, m.read16(RESULT + 4));
        assertEquals(2048, m.read16(PARAMS + 24), "bytes per sector");
        assertEquals(Files.size(iso) / 2048, m.read64(PARAMS + 16), "sectors");
        assertEquals(0x0074, m.read16(PARAMS + 2), "removable, change line, lockable, no CHS");
        // AH=42h read sector 16 of the CD: the ISO 9660 primary volume descriptor.
        byte[] pvd = new byte[6];
        for (int i = 0; i < 6; i++) {
            pvd[i] = (byte) m.read8(0x8000 + i);
        }
        assertEquals("\u0001CD001", new String(pvd, StandardCharsets.ISO_8859_1));
        assertEquals(r.catalogLba(), ElTorito.find(IsoImage.open(iso)).catalogSector());
    }

    @Test
    void bootOrderPicksTheCdBeforeABootableDisk() throws Exception {
        Path iso = iso("order", probeImage("from the cd"));
        Path disk = dir.resolve("disk.img");
        Asm16 a = new Asm16(0x7C00);
        a.b(0xB0, 0x02, 0xE6, 0xF4).label("hang").b(0xF4).j8(0xEB, "hang");  // exit status 5
        byte[] d = new byte[64 * 1024];
        System.arraycopy(a.sector(true), 0, d, 0, 512);
        Files.write(disk, d);
        PcBoard cdFirst = board(disk, iso, "dc");
        PcBoard.Exit e1 = cdFirst.run(BUDGET);
        assertEquals(3, e1.status(), cdFirst.vga().textScreen().text());
        PcBoard diskFirst = board(disk, iso, "cd");
        PcBoard.Exit e2 = diskFirst.run(BUDGET);
        assertEquals(5, e2.status(), diskFirst.vga().textScreen().text());
    }

    @Test
    void diskOnlyOrderWithoutDiskHaltsWithAMessage() throws Exception {
        Path iso = iso("nodisk", probeImage("unused"));
        PcBoard board = board(null, iso, "c");
        PcBoard.Exit exit = board.run(BUDGET);
        String screen = board.vga().textScreen().text();
        assertEquals(PcBoard.ExitKind.HALTED, exit.kind(), screen);
        assertEquals("No bootable device.", board.vga().textScreen().line(0).strip(), screen);
    }

    @Test
    void isoWithoutBootRecordIsRefusedWithAReason() throws Exception {
        Path root = Files.createDirectories(dir.resolve("plain.d"));
        Files.writeString(root.resolve("README.TXT"), "data only\n");
        Path iso = dir.resolve("plain.iso");
        Xorriso.mkisofs(dir, "-o", iso.toString(), "-V", "DATA", root.toString());
        try (IsoImage cd = IsoImage.open(iso)) {
            ElTorito.NotBootableException e = assertThrows(ElTorito.NotBootableException.class,
                    () -> ElTorito.find(cd));
            assertEquals("no El Torito boot record: not a bootable CD image", e.getMessage());
        }
        PcBoard board = board(null, iso, "d");
        assertEquals(PcBoard.ExitKind.HALTED, board.run(BUDGET).kind());
        String screen = board.vga().textScreen().text();
        assertTrue(screen.contains("Boot failed: CD: no El Torito boot record"), screen);
    }

    @Test
    void floppyEmulationImageIsNotBootedAndSaysWhy() throws Exception {
        Path root = Files.createDirectories(dir.resolve("fd.d"));
        Files.write(root.resolve("floppy.img"), new byte[1474560]);
        Path iso = dir.resolve("fd.iso");
        Xorriso.mkisofs(dir, "-o", iso.toString(), "-b", "floppy.img", root.toString());
        assertEquals("fd1.4", Xorriso.report(iso).emulation());   // xorriso's name for 1.44 MB
        try (IsoImage cd = IsoImage.open(iso)) {
            assertEquals(ElTorito.FLOPPY_1440K, ElTorito.find(cd).media());
        }
        PcBoard board = board(null, iso, "d");
        assertEquals(PcBoard.ExitKind.HALTED, board.run(BUDGET).kind());
        String screen = board.vga().textScreen().text();
        assertTrue(screen.contains("CD boot image needs 1.44 MB floppy emulation (unsupported)."), screen);
    }

    @Test
    void bootOrderLettersAreChecked() {
        assertEquals(List.of(Bios.BootDevice.CDROM, Bios.BootDevice.DISK), Bios.BootDevice.parseOrder("dc"));
        assertEquals("boot order 'ca': 'a' is not c (hard disk) or d (CD)",
                assertThrows(IllegalArgumentException.class, () -> Bios.BootDevice.parseOrder("ca")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Bios.BootDevice.parseOrder("cc"));
        assertThrows(IllegalArgumentException.class, () -> Bios.BootDevice.parseOrder(""));
    }
}

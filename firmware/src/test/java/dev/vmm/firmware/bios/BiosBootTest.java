package dev.vmm.firmware.bios;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Boots hand-assembled boot sectors from reset through POST and INT 19h, in deterministic time. */
class BiosBootTest {
    static final long BUDGET = 50_000_000L;
    static final int RESULT = 0x7E00;

    @TempDir
    Path dir;
    private Bios bios;

    /** A board with {@code sectors} as the primary master's contents, the BIOS attached. */
    private PcBoard boot(byte[]... sectors) throws IOException {
        byte[] disk = new byte[64 * 1024];
        for (int i = 0; i < sectors.length; i++) {
            System.arraycopy(sectors[i], 0, disk, i * 512, sectors[i].length);
        }
        Path image = dir.resolve("disk.img");
        Files.write(image, disk);
        RawImage raw = RawImage.open(image, RawImage.Mode.READ_WRITE);
        PcBoard board = BoardConfig.builder().memory(32L << 20).deterministic(true).debugExit(true)
                .drive(0, 0, new AtaDisk(raw)).build();
        bios = Bios.attach(board);
        return board;
    }

    /** Prints DS:SI (NUL-terminated) with INT 10h AH=0Eh; ends with the "print" routine. */
    private static void printRoutine(Asm16 a) {
        a.label("print").b(0xAC)                  // lodsb
                .b(0x84, 0xC0)                    // test al,al
                .j8(0x74, "print.ret")
                .b(0xB4, 0x0E)                    // mov ah,0Eh
                .b(0xBB, 0x07, 0x00)              // mov bx,7
                .b(0xCD, 0x10)                    // int 10h
                .j8(0xEB, "print")
                .label("print.ret").b(0xC3);
    }

    private static void prologue(Asm16 a) {
        a.b(0x31, 0xC0, 0x8E, 0xD8, 0x8E, 0xC0)   // xor ax,ax; mov ds,ax; mov es,ax
                .b(0x8E, 0xD0, 0xBC, 0x00, 0x7C); // mov ss,ax; mov sp,7C00h
    }

    @Test
    void bootSectorPrintsReadsLba1AndCountsE820() throws IOException {
        Asm16 a = new Asm16(0x7C00);
        prologue(a);
        a.b(0xBE).abs16("msg").call("print")
                .b(0xB4, 0x42, 0xB2, 0x80)        // mov ah,42h; mov dl,80h
                .b(0xBE).abs16("dap")             // mov si,dap
                .b(0xCD, 0x13).j8(0x72, "fail")   // int 13h; jc fail
                .b(0xBE, 0x00, 0x80).call("print") // mov si,8000h; call print
                .b(0x66, 0x31, 0xDB)              // xor ebx,ebx
                .b(0xBF, 0x00, 0x90)              // mov di,9000h
                .b(0x31, 0xED)                    // xor bp,bp
                .label("e820")
                .b(0x66, 0xB8, 0x20, 0xE8, 0x00, 0x00) // mov eax,0E820h
                .b(0x66, 0xBA, 0x50, 0x41, 0x4D, 0x53) // mov edx,'SMAP'
                .b(0x66, 0xB9, 0x14, 0x00, 0x00, 0x00) // mov ecx,20
                .b(0xCD, 0x15).j8(0x72, "done")   // int 15h; jc done
                .b(0x45)                          // inc bp
                .b(0x83, 0xC7, 0x14)              // add di,20
                .b(0x66, 0x85, 0xDB)              // test ebx,ebx
                .j8(0x75, "e820")
                .label("done")
                .b(0x89, 0x2E, 0x00, 0x7E)        // mov [7E00h],bp
                .b(0x89, 0xE8, 0xE6, 0xF4)        // mov ax,bp; out 0F4h,al
                .label("hang").b(0xF4).j8(0xEB, "hang")
                .label("fail").b(0xB0, 0x7F, 0xE6, 0xF4).j8(0xEB, "hang");
        printRoutine(a);
        a.label("msg").asciz("vmm boot ok\r\n")
                .label("dap").b(0x10, 0x00, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00)
                .b(0x01, 0, 0, 0, 0, 0, 0, 0);
        byte[] second = "second sector ok\r\n\0".getBytes(StandardCharsets.US_ASCII);
        try (PcBoard board = boot(a.sector(true), second)) {
            int expected = bios.e820().entries().size();
            PcBoard.Exit exit = board.run(BUDGET);
            String screen = board.vga().textScreen().text();
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind(), screen);
            assertTrue(screen.contains("vmm boot ok"), screen);
            assertTrue(screen.contains("second sector ok"), screen);
            int count = board.memory().read16(RESULT);
            assertEquals(expected, count);
            assertEquals(count << 1 | 1, exit.status());
            assertEquals("vmm boot ok", board.vga().textScreen().line(0).strip());
            assertEquals(2, board.vga().textScreen().cursorRow());
        }
    }

    @Test
    void diskWithoutSignatureShowsMessageAndHalts() throws IOException {
        Asm16 a = new Asm16(0x7C00);
        a.b(0xB0, 0x01, 0xE6, 0xF4);
        try (PcBoard board = boot(a.sector(false))) {
            PcBoard.Exit exit = board.run(BUDGET);
            assertEquals(PcBoard.ExitKind.HALTED, exit.kind());
            String screen = board.vga().textScreen().text();
            assertTrue(screen.contains("not a bootable disk"), screen);
            assertTrue(board.cpu().halted);
        }
    }

    @Test
    void timerTicksAdvanceWithGuestTime() throws IOException {
        try (PcBoard board = boot(tickProgram())) {
            // Ten ticks at 18.2 Hz take about 0.55 s of guest time; idle time counts against the
            // budget (1 ns per instruction in deterministic mode), so allow 2 s.
            PcBoard.Exit exit = board.run(2_000_000_000L);
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind(), board.vga().textScreen().text());
            long t0 = board.memory().read32(RESULT) & 0xFFFF_FFFFL;
            long t1 = board.memory().read32(RESULT + 4) & 0xFFFF_FFFFL;
            // Ten HLTs woken by IRQ0 at 18.2 Hz: the count advances by about ten.
            assertTrue(t1 - t0 >= 9 && t1 - t0 <= 11, t0 + " -> " + t1);
            // Deterministic time starts at 2000-01-01 00:00:00: the count starts near 0.
            assertTrue(t0 < 100, "t0 " + t0);
        }
    }

    private static byte[] tickProgram() {
        Asm16 a = new Asm16(0x7C00);
        prologue(a);
        a.b(0xFB)                                 // sti
                .b(0xB4, 0x00, 0xCD, 0x1A)        // mov ah,0; int 1Ah
                .b(0x89, 0x16, 0x00, 0x7E)        // mov [7E00h],dx
                .b(0x89, 0x0E, 0x02, 0x7E)        // mov [7E02h],cx
                .b(0xB9, 0x0A, 0x00)              // mov cx,10
                .label("wait").b(0xF4)            // hlt
                .j8(0xE2, "wait")                 // loop wait
                .b(0xB4, 0x00, 0xCD, 0x1A)        // mov ah,0; int 1Ah
                .b(0x89, 0x16, 0x04, 0x7E)        // mov [7E04h],dx
                .b(0x89, 0x0E, 0x06, 0x7E)        // mov [7E06h],cx
                .b(0xB0, 0x00, 0xE6, 0xF4)        // mov al,0; out 0F4h,al
                .label("hang").b(0xF4).j8(0xEB, "hang");
        return a.sector(true);
    }

    @Test
    void int16ReturnsTypedKey() throws IOException {
        Asm16 a = new Asm16(0x7C00);
        prologue(a);
        a.b(0xB4, 0x00, 0xCD, 0x16)               // mov ah,0; int 16h
                .b(0xA3, 0x00, 0x7E)              // mov [7E00h],ax
                .b(0xB4, 0x01, 0xCD, 0x16)        // mov ah,1; int 16h (buffer now empty: ZF=1)
                .b(0x9C, 0x58, 0xA3, 0x02, 0x7E)  // pushf; pop ax; mov [7E02h],ax
                .b(0xB0, 0x00, 0xE6, 0xF4)        // mov al,0; out 0F4h,al
                .label("hang").b(0xF4).j8(0xEB, "hang");
        try (PcBoard board = boot(a.sector(true))) {
            PcBoard.Exit first = board.run(200_000);
            assertEquals(PcBoard.ExitKind.LIMIT, first.kind(), "INT 16h must wait for a key");
            assertTrue(board.keyboardController().keyboard().pressScancodeSet2(0x1C));   // 'a'
            assertTrue(board.keyboardController().keyboard().pressScancodeSet2(0xF0, 0x1C));
            PcBoard.Exit exit = board.run(BUDGET);
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind());
            assertEquals(0x1E61, board.memory().read16(RESULT));
            assertTrue((board.memory().read16(RESULT + 2) & 0x40) != 0, "ZF set: no more keys");
        }
    }

    @Test
    void diskGeometryChsReadPciBiosRtcAndMemorySize() throws IOException {
        Asm16 a = new Asm16(0x7C00);
        prologue(a);
        a.b(0xB4, 0x08, 0xB2, 0x80, 0xCD, 0x13)   // mov ah,8; mov dl,80h; int 13h
                .b(0x89, 0x0E, 0x00, 0x7E)        // mov [7E00h],cx
                .b(0x89, 0x16, 0x02, 0x7E)        // mov [7E02h],dx
                .b(0xB8, 0x01, 0x02)              // mov ax,0201h
                .b(0xB9, 0x02, 0x00)              // mov cx,0002h (cylinder 0, sector 2)
                .b(0xBA, 0x80, 0x00)              // mov dx,0080h (head 0, drive 80h)
                .b(0xBB, 0x00, 0x80)              // mov bx,8000h
                .b(0xCD, 0x13)                    // int 13h
                .b(0xA1, 0x00, 0x80, 0xA3, 0x04, 0x7E) // mov ax,[8000h]; mov [7E04h],ax
                .b(0xB8, 0x01, 0xB1, 0xCD, 0x1A)  // mov ax,0B101h; int 1Ah
                .b(0x89, 0x16, 0x06, 0x7E)        // mov [7E06h],dx
                .b(0xB8, 0x02, 0xB1)              // mov ax,0B102h
                .b(0xB9, 0x00, 0x70, 0xBA, 0x86, 0x80) // mov cx,7000h; mov dx,8086h
                .b(0x31, 0xF6, 0xCD, 0x1A)        // xor si,si; int 1Ah
                .b(0x89, 0x1E, 0x08, 0x7E)        // mov [7E08h],bx
                .b(0xB4, 0x04, 0xCD, 0x1A)        // mov ah,4; int 1Ah
                .b(0x89, 0x0E, 0x0A, 0x7E)        // mov [7E0Ah],cx
                .b(0x89, 0x16, 0x0C, 0x7E)        // mov [7E0Ch],dx
                .b(0xCD, 0x12, 0xA3, 0x0E, 0x7E)  // int 12h; mov [7E0Eh],ax
                .b(0xB8, 0x01, 0x88, 0xCD, 0x15)  // mov ax,8801h... (AH=88h)
                .b(0xA3, 0x10, 0x7E)              // mov [7E10h],ax
                .b(0xB0, 0x00, 0xE6, 0xF4)        // mov al,0; out 0F4h,al
                .label("hang").b(0xF4).j8(0xEB, "hang");
        byte[] second = {0x34, 0x12};
        try (PcBoard board = boot(a.sector(true), second)) {
            PcBoard.Exit exit = board.run(BUDGET);
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind(), board.vga().textScreen().text());
            var m = board.memory();
            // 64 KiB disk: 128 sectors = 0 full cylinders of 16x63, reported as one cylinder.
            assertEquals(0x003F, m.read16(RESULT), "CX: max cylinder 0, 63 sectors");
            assertEquals(0x0F01, m.read16(RESULT + 2), "DX: max head 15, one drive");
            assertEquals(0x1234, m.read16(RESULT + 4), "CHS read of sector 2");
            assertEquals(0x4350, m.read16(RESULT + 6), "PCI BIOS signature 'PC'");
            assertEquals(0x0008, m.read16(RESULT + 8), "PIIX3 at device 1 function 0");
            assertEquals(0x2000, m.read16(RESULT + 10), "century 20, year 00");
            assertEquals(0x0101, m.read16(RESULT + 12), "January 1st");
            assertEquals(639, m.read16(RESULT + 14), "base memory below the EBDA");
            assertEquals((32 << 10) - 1024, m.read16(RESULT + 16), "KiB above 1 MiB");
        }
    }

    @Test
    void teletypeScrollsTheScreen() throws IOException {
        Asm16 a = new Asm16(0x7C00);
        prologue(a);
        a.b(0xB9, 30, 0x00)                       // mov cx,30
                .b(0xBE, 'A', 0x00)               // mov si,'A'
                .label("line")
                .b(0x89, 0xF0, 0xB4, 0x0E)        // mov ax,si; mov ah,0Eh
                .b(0xBB, 0x07, 0x00, 0xCD, 0x10)  // mov bx,7; int 10h
                .b(0xB8, 0x0D, 0x0E, 0xCD, 0x10)  // mov ax,0E0Dh; int 10h
                .b(0xB8, 0x0A, 0x0E, 0xCD, 0x10)  // mov ax,0E0Ah; int 10h
                .b(0x46).j8(0xE2, "line")         // inc si; loop line
                .b(0xB0, 0x00, 0xE6, 0xF4)        // mov al,0; out 0F4h,al
                .label("hang").b(0xF4).j8(0xEB, "hang");
        try (PcBoard board = boot(a.sector(true))) {
            PcBoard.Exit exit = board.run(BUDGET);
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind());
            var screen = board.vga().textScreen();
            // 30 lines and the cursor's empty line: the first six scrolled away.
            assertEquals("G", screen.line(0).strip(), screen.text());
            assertEquals("^", screen.line(23).strip(), screen.text());
            assertEquals("", screen.line(24).strip(), screen.text());
            assertEquals(24, screen.cursorRow());
            assertEquals(0, screen.cursorColumn());
        }
    }

    @Test
    void postLeavesTheBoardAsABiosDoes() throws IOException {
        Asm16 a = new Asm16(0x7C00);
        a.b(0xB0, 0x00, 0xE6, 0xF4).label("hang").b(0xF4).j8(0xEB, "hang");
        try (PcBoard board = boot(a.sector(true))) {
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, board.run(BUDGET).kind());
            var m = board.memory();
            var io = board.io();
            assertEquals(639, m.read16(0x413));
            assertEquals(0x9FC0, m.read16(0x40E));
            assertEquals(3, m.read8(0x449));
            assertEquals(80, m.read16(0x44A));
            assertEquals(1, m.read8(0x475), "one hard disk");
            assertEquals(0xF8, io.read(0x21, 1), "IRQ0-2 unmasked");
            assertEquals(0xFF, io.read(0xA1, 1));
            assertEquals(0x0C, io.read(0x4D1, 1), "IRQ10/11 level");
            assertEquals(0x0B0B_0A0A, board.pci().configRead(1, 0, 0x60, 4), "PIRQA-D = 10,10,11,11");
            assertEquals(0x8000, board.pci().configRead(1, 1, 0x40, 2));
            assertEquals(0x8000, board.pci().configRead(1, 1, 0x42, 2));
            assertTrue(board.cpu().a20());
            StringBuilder rsdp = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                rsdp.append((char) m.read8(0xF0000 + i));
            }
            assertEquals("RSD PTR ", rsdp.toString());
            long rsdt = bios.acpiTables().address("RSDT");
            assertEquals('R', m.read8(rsdt), "ACPI tables copied to RAM");
            assertEquals(0xCF, m.read8(0xFFF53), "default IRET");
            assertEquals(0xF000, m.read16(4 * 0x13 + 2));
        }
    }

    @Test
    void diskExtensionsAndSystemServices() throws IOException {
        Asm16 a = new Asm16(0x7C00);
        prologue(a);
        a.b(0xB4, 0x41, 0xBB, 0xAA, 0x55, 0xB2, 0x80, 0xCD, 0x13) // mov ah,41h; mov bx,55AAh; mov dl,80h; int 13h
                .b(0x89, 0x1E, 0x00, 0x7E, 0x89, 0x0E, 0x02, 0x7E)  // mov [7E00h],bx; mov [7E02h],cx
                .b(0xC7, 0x06, 0x00, 0x90, 0x1E, 0x00)              // mov word [9000h],1Eh
                .b(0xB4, 0x48, 0xB2, 0x80, 0xBE, 0x00, 0x90, 0xCD, 0x13) // mov ah,48h; mov dl,80h; mov si,9000h; int 13h
                .b(0xB4, 0x43, 0xB0, 0x00, 0xB2, 0x80)              // mov ah,43h; mov al,0; mov dl,80h
                .b(0xBE).abs16("dap").b(0xCD, 0x13)                 // mov si,dap; int 13h
                .b(0xB8, 0x02, 0x24, 0xCD, 0x15, 0xA3, 0x04, 0x7E)  // mov ax,2402h; int 15h; mov [7E04h],ax
                .b(0xB8, 0x01, 0xE8, 0xCD, 0x15)                    // mov ax,0E801h; int 15h
                .b(0xA3, 0x06, 0x7E, 0x89, 0x1E, 0x08, 0x7E)        // mov [7E06h],ax; mov [7E08h],bx
                .b(0xB4, 0xC0, 0xCD, 0x15)                          // mov ah,0C0h; int 15h
                .b(0x8C, 0x06, 0x0A, 0x7E, 0x89, 0x1E, 0x0C, 0x7E)  // mov [7E0Ah],es; mov [7E0Ch],bx
                .b(0xB0, 0x00, 0xE6, 0xF4)
                .label("hang").b(0xF4).j8(0xEB, "hang")
                .label("dap").b(0x10, 0x00, 0x01, 0x00, 0x00, 0x7C, 0x00, 0x00)
                .b(0x02, 0, 0, 0, 0, 0, 0, 0);
        byte[] mbr = a.sector(true);
        try (PcBoard board = boot(mbr)) {
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, board.run(BUDGET).kind());
            var m = board.memory();
            assertEquals(0xAA55, m.read16(RESULT), "EDD present");
            assertEquals(0x0005, m.read16(RESULT + 2) & 0x0005);
            assertEquals(0x1E, m.read16(0x9000));
            assertEquals(128, m.read64(0x9010), "total sectors");
            assertEquals(512, m.read16(0x9018));
            assertEquals(0x0001, m.read16(RESULT + 4), "A20 on");
            assertEquals(0x3C00, m.read16(RESULT + 6), "15 MiB between 1 and 16 MiB");
            // Up to the 16 KiB ACPI region at the top of the 32 MiB: 255.75 blocks, rounded down.
            assertEquals((32 - 16) * 16 - 1, m.read16(RESULT + 8), "64 KiB blocks above 16 MiB");
            assertEquals(0xF000, m.read16(RESULT + 10));
            int table = 0xF0000 + m.read16(RESULT + 12);
            assertEquals(8, m.read16(table));
            assertEquals(0xFC, m.read8(table + 2), "model byte");
            byte[] lba2 = new byte[512];
            System.arraycopy(Files.readAllBytes(dir.resolve("disk.img")), 1024, lba2, 0, 512);
            assertArrayEquals(mbr, lba2, "INT 13h AH=43h wrote the boot sector to LBA 2");
        }
    }

    @Test
    void writeStringAndCursorServices() throws IOException {
        Asm16 a = new Asm16(0x7C00);
        prologue(a);
        a.b(0xB8, 0x01, 0x13, 0xBB, 0x1E, 0x00)   // mov ax,1301h; mov bx,001Eh (page 0, attr 1Eh)
                .b(0xB9, 0x05, 0x00, 0xBA, 0x0A, 0x05) // mov cx,5; mov dx,050Ah (row 5, col 10)
                .b(0xBD).abs16("text").b(0xCD, 0x10)   // mov bp,text; int 10h
                .b(0xB4, 0x03, 0xB7, 0x00, 0xCD, 0x10) // mov ah,3; mov bh,0; int 10h
                .b(0x89, 0x16, 0x00, 0x7E)        // mov [7E00h],dx
                .b(0xB4, 0x02, 0xB7, 0x00, 0xBA, 0x00, 0x14, 0xCD, 0x10) // mov ah,2; bh 0; dx=1400h; int 10h
                .b(0xB8, 0x2A, 0x09, 0xBB, 0x4F, 0x00, 0xB9, 0x03, 0x00, 0xCD, 0x10) // ah=9 '*' attr 4Fh x3
                .b(0xB4, 0x0F, 0xCD, 0x10, 0xA3, 0x02, 0x7E) // mov ah,0Fh; int 10h; mov [7E02h],ax
                .b(0xB0, 0x00, 0xE6, 0xF4)
                .label("hang").b(0xF4).j8(0xEB, "hang")
                .label("text").asciz("hello");
        try (PcBoard board = boot(a.sector(true))) {
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, board.run(BUDGET).kind());
            var screen = board.vga().textScreen();
            assertEquals("hello", screen.line(5).strip(), screen.text());
            assertEquals(10, screen.line(5).indexOf('h'));
            assertEquals(0x1E, screen.attribute(5, 10));
            assertEquals(0x050F, board.memory().read16(RESULT), "cursor after the string");
            assertEquals("***", screen.line(20).strip());
            assertEquals(0x4F, screen.attribute(20, 1));
            assertEquals(20, screen.cursorRow());
            assertEquals(0, screen.cursorColumn(), "AH=09h does not move the cursor");
            assertEquals(0x5003, board.memory().read16(RESULT + 2), "80 columns, mode 3");
        }
    }
}

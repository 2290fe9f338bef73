package dev.vmm.firmware.bios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.storage.RawImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's SeaBIOS (package seabios; CI installs it) as the board's BIOS flash: it must shadow
 * itself through the i440FX's PAM registers, find the PCI VGA card's option ROM (our INT 10h),
 * show its boot menu prompt, find the ATA disk on the PIIX IDE controller and boot its MBR. Its
 * debug log (port 0x402, read here like QEMU's isa-debugcon) is shown when something fails.
 */
class SeaBiosBootTest {
    static final Path SEABIOS = Path.of("/usr/share/seabios/bios.bin");
    /** Generous bound: SeaBIOS waits 2.5 s of guest time at its boot menu prompt. */
    static final long BUDGET = 20_000_000_000L;

    @TempDir
    Path dir;

    /** The QEMU-style debug console SeaBIOS writes its log to. */
    static final class DebugPort implements PortIoDevice {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public int ioRead(int port, int size) {
            return 0xE9;
        }

        @Override
        public void ioWrite(int port, int size, int value) {
            out.write(value);
        }

        String text() {
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void seaBiosShowsItsBootMenuAndBootsOurDisk() throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(SEABIOS),
                "SeaBIOS not installed (Debian package seabios): skipping");
        Asm16 a = new Asm16(0x7C00);
        a.b(0x31, 0xC0, 0x8E, 0xD8, 0x8E, 0xC0, 0x8E, 0xD0, 0xBC, 0x00, 0x7C)
                .b(0x88, 0x16, 0x00, 0x7E)                    // mov [7E00h],dl
                .b(0xBE).abs16("msg")
                .label("print").b(0xAC, 0x84, 0xC0).j8(0x74, "done")
                .b(0xB4, 0x0E, 0xBB, 0x07, 0x00, 0xCD, 0x10).j8(0xEB, "print")
                .label("done").b(0xB0, 0x21, 0xE6, 0xF4)      // mov al,21h; out 0F4h,al
                .label("hang").b(0xF4).j8(0xEB, "hang")
                .label("msg").asciz("vmm: MBR booted by SeaBIOS\r\n");
        byte[] disk = new byte[1 << 20];
        System.arraycopy(a.sector(true), 0, disk, 0, 512);
        Path image = dir.resolve("disk.img");
        Files.write(image, disk);
        DebugPort log = new DebugPort();
        try (RawImage raw = RawImage.open(image, RawImage.Mode.READ_ONLY);
             PcBoard board = BoardConfig.builder().memory(64L << 20).deterministic(true).debugExit(true)
                     .firmware(Files.readAllBytes(SEABIOS)).vgaRom(VgaBios.romImage())
                     .drive(0, 0, new AtaDisk(raw)).build()) {
            VgaBios.attach(board);
            board.io().register(0x402, 1, "seabios-log", log);
            PcBoard.Exit exit = null;
            for (long spent = 0; spent < BUDGET; spent += 200_000_000L) {
                exit = board.run(200_000_000L);
                if (exit.kind() != PcBoard.ExitKind.LIMIT) {
                    break;
                }
            }
            String screen = board.vga().textScreen().text();
            String diag = "screen:\n" + screen + "\nSeaBIOS log:\n" + log.text() + "\nCPU: " + board.cpu();
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind(), diag);
            assertEquals(0x21 << 1 | 1, exit.status(), diag);
            assertTrue(screen.contains("SeaBIOS (version"), diag);
            assertTrue(screen.contains("Press ESC for boot menu."), diag);
            assertTrue(screen.contains("Booting from Hard Disk..."), diag);
            assertTrue(screen.contains("vmm: MBR booted by SeaBIOS"), diag);
            assertEquals(0x80, board.memory().read8(0x7E00), "DL: the first hard disk");
        }
    }
}

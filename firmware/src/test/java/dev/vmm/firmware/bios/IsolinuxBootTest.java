package dev.vmm.firmware.bios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtapiCdrom;
import dev.vmm.devices.serial.StreamBackend;
import dev.vmm.devices.storage.IsoImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's ISOLINUX (packages isolinux and syslinux-common; CI installs them) booted from an ISO
 * that {@code xorriso} builds: a real no-emulation boot loader that finds its drive through INT 13h
 * AX=4B01h, reads the CD through the EDD services, loads ldlinux.c32 from the ISO 9660 file
 * system and either shows its {@code boot:} prompt or loads and enters a kernel.
 */
class IsolinuxBootTest {
    static final Path ISOLINUX = Path.of("/usr/lib/ISOLINUX/isolinux.bin");
    static final Path LDLINUX = Path.of("/usr/lib/syslinux/modules/bios/ldlinux.c32");
    /** Generous bound (deterministic: 1 ns per instruction, idle time included). */
    static final long BUDGET = 4_000_000_000L;

    @TempDir
    Path dir;

    private Path isolinuxIso(String config, byte[] kernel) throws Exception {
        Assumptions.assumeTrue(Files.isRegularFile(ISOLINUX) && Files.isRegularFile(LDLINUX),
                "ISOLINUX not installed (Debian packages isolinux, syslinux-common): skipping");
        Path root = Files.createDirectories(dir.resolve("root/isolinux"));
        Files.copy(ISOLINUX, root.resolve("isolinux.bin"));
        Files.copy(LDLINUX, root.resolve("ldlinux.c32"));
        Files.writeString(root.resolve("isolinux.cfg"), config);
        if (kernel != null) {
            Files.write(dir.resolve("root/vmlinuz"), kernel);
        }
        Path iso = dir.resolve("isolinux.iso");
        Xorriso.mkisofs(dir, "-o", iso.toString(), "-V", "VMMISOLINUX", "-b", "isolinux/isolinux.bin",
                "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
                dir.resolve("root").toString());
        return iso;
    }

    private record Run(PcBoard.Exit exit, String screen, String serial, String debug) {
    }

    /** Boots {@code iso} from the CD until {@code until} shows on the screen, the VM ends or the budget runs out. */
    private static Run boot(Path iso, String until) throws Exception {
        ByteArrayOutputStream serial = new ByteArrayOutputStream();
        ByteArrayOutputStream debug = new ByteArrayOutputStream();
        try (IsoImage cd = IsoImage.open(iso);
             StreamBackend com1 = new StreamBackend(InputStream.nullInputStream(), serial, "test");
             PcBoard board = BoardConfig.builder().memory(64L << 20).deterministic(true).debugExit(true)
                     .serial(0, com1).debugConsole(debug).drive(1, 0, new AtapiCdrom(cd)).build()) {
            Bios.attach(board, List.of(Bios.BootDevice.CDROM));
            PcBoard.Exit exit = null;
            for (long spent = 0; spent < BUDGET; spent += 100_000_000L) {
                exit = board.run(100_000_000L);
                if (exit.kind() != PcBoard.ExitKind.LIMIT || board.vga().textScreen().text().contains(until)) {
                    break;
                }
            }
            return new Run(exit, board.vga().textScreen().text(), serial.toString(StandardCharsets.ISO_8859_1),
                    debug.toString(StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void isolinuxReachesItsBootPrompt() throws Exception {
        Path iso = isolinuxIso("SERIAL 0 115200\nPROMPT 1\nTIMEOUT 0\nSAY vmm: isolinux.cfg read from the CD\n", null);
        Run r = boot(iso, "boot:");
        assertTrue(r.screen().contains("ISOLINUX 6.04"), r.screen());
        assertTrue(r.screen().contains("vmm: isolinux.cfg read from the CD"), r.screen());
        assertTrue(r.screen().contains("boot:"), r.screen());
        assertTrue(r.serial().contains("boot:"), "the SERIAL directive copies the console to COM1: " + r.serial());
        assertEquals(PcBoard.ExitKind.LIMIT, r.exit().kind(), "waits for a key at the prompt");
    }

    @Test
    void isolinuxLoadsAndEntersAKernel() throws Exception {
        Path iso = isolinuxIso("DEFAULT probe\nPROMPT 0\nLABEL probe\n  LINUX /vmlinuz\n  APPEND vmm-probe\n",
                RealModeProbeKernel.image());
        Run r = boot(iso, "\u0000never");
        assertEquals(PcBoard.ExitKind.DEBUG_EXIT, r.exit().kind(), r.screen());
        // The setup code ran: 'S', then the command line ISOLINUX put at cmd_line_ptr.
        assertTrue(r.debug().startsWith("S"), r.debug());
        assertTrue(r.debug().contains("vmm-probe"), r.debug());
        // type_of_loader: 3x is SYSLINUX (Documentation/x86/boot.rst).
        int loader = r.exit().status() >>> 1;
        assertEquals(0x3, loader >>> 4, "type_of_loader 0x" + Integer.toHexString(loader));
    }
}

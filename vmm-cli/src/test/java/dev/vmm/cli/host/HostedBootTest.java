package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.Main;
import dev.vmm.cli.RunCommandTest;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.formats.DiskImages;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * VMs on a host boot as {@code vmm run} boots them: an appliance round trip through the CLI
 * (create, export, import, start) boots the imported disk, and a directly booted kernel finds
 * the firmware tables that {@code vmm run --kernel} gives it.
 */
class HostedBootTest {
    /**
     * A 32-bit kernel that scans 0xE0000-0xFFFFF for the ACPI RSDP signature "RSD PTR " (16-byte
     * steps, as an OS does) and writes 'A' (found) or 'N' (not found) and a newline to COM1, then
     * the newline to the debug-exit port (status 21 under {@code vmm run --debug-exit}), then spins.
     */
    static final byte[] FIND_RSDP = TestGuests.bytes(
            0xBE, 0x00, 0x00, 0x0E, 0x00,               // 00 mov esi, 0xE0000
            0x81, 0x3E, 'R', 'S', 'D', ' ',             // 05 loop: cmp dword [esi], "RSD "
            0x75, 0x09,                                 // 0B jne next (16)
            0x81, 0x7E, 0x04, 'P', 'T', 'R', ' ',       // 0D cmp dword [esi+4], "PTR "
            0x74, 0x0F,                                 // 14 je found (25)
            0x83, 0xC6, 0x10,                           // 16 next: add esi, 16
            0x81, 0xFE, 0x00, 0x00, 0x10, 0x00,         // 19 cmp esi, 0x100000
            0x72, 0xE4,                                 // 1F jb loop (05)
            0xB0, 'N',                                  // 21 mov al, 'N'
            0xEB, 0x02,                                 // 23 jmp print (27)
            0xB0, 'A',                                  // 25 found: mov al, 'A'
            0x66, 0xBA, 0xF8, 0x03,                     // 27 print: mov dx, 0x3F8
            0xEE,                                       // 2B out dx, al
            0xB0, '\n',                                 // 2C mov al, '\n'
            0xEE,                                       // 2E out dx, al
            0xE6, 0xF4,                                 // 2F out 0xF4, al
            0xEB, 0xFE);                                // 31 jmp $

    @TempDir
    Path dir;

    private TestHost host;
    private StringWriter out;
    private StringWriter err;

    private int vmm(String... args) {
        return host.vmm(args);
    }

    private Path socket() {
        return dir.resolve("vmm.sock");
    }

    @BeforeEach
    void startHost() throws InterruptedException {
        host = new TestHost(dir.resolve("home"), socket(), "256M");
        out = host.out;
        err = host.err;
    }

    @AfterEach
    void stopHost() throws Exception {
        host.close();
    }

    /** What VM {@code name}'s COM1 shows, up to and including {@code text} (bounded by a generous timeout). */
    private String serialUntil(String name, String text) throws Exception {
        return host.serialUntil(name, text);
    }

    private static byte[] content(Path image) throws IOException {
        try (BlockDevice d = DiskImages.openReadOnly(image)) {
            byte[] b = new byte[(int) d.sizeBytes()];
            d.read(0, b);
            return b;
        }
    }

    @Test
    void createExportImportStartBootsTheImportedDisk() throws Exception {
        byte[] disk = new byte[1 << 20];
        System.arraycopy(RunCommandTest.bootSector(), 0, disk, 0, 512);
        for (int i = 512; i < disk.length; i++) {
            disk[i] = (byte) (i * 31 + (i >> 9));       // not all zero: grains the VMDK must carry
        }
        Path src = Files.write(dir.resolve("boot.raw"), disk);
        assertEquals(0, vmm("create", "src", "--memory", "16M", "--disk", src.toString(), "--cpus", "2"),
                err::toString);
        Path ova = dir.resolve("src.ova");
        assertEquals(0, vmm("export", "src", "-o", ova.toString()), err::toString);
        assertEquals(0, vmm("import", ova.toString(), "--name", "copy", "--disk-format", "raw"), err::toString);
        assertEquals("imported copy: 2 CPU(s), 16 MiB, 1 disk(s)\n", out.toString());
        assertEquals(0, vmm("import", ova.toString(), "--name", "copyq"), err::toString);

        Path files = dir.resolve("home/vms/copy");
        Path imported = files.resolve("copy-disk1.raw");
        assertArrayEquals(disk, Files.readAllBytes(imported), "the imported raw disk is the source, byte for byte");
        assertArrayEquals(disk, content(dir.resolve("home/vms/copyq/copyq-disk1.qcow2")), "and so is the qcow2's");
        VmDefinition copy = new VmStore(new VmmPaths(dir.resolve("home"), socket())).load("copy");
        assertEquals(java.util.List.of(imported.toString()), copy.disks());
        assertEquals("rw", copy.diskMode(), "an imported disk is the VM's own");
        assertEquals(16L << 20, copy.memoryBytes());
        assertEquals(2, copy.cpus());

        assertEquals(0, vmm("start", "copy"), err::toString);
        assertEquals(0, vmm("start", "copyq"), err::toString);
        assertTrue(serialUntil("copy", "serial ok\n").contains("serial ok\n"));
        assertTrue(serialUntil("copyq", "serial ok\n").contains("serial ok\n"));
        assertEquals(0, vmm("list"), err::toString);
        assertTrue(out.toString().matches("(?s).*\\ncopy +16 MiB +running +disk " + imported + "\\n.*"),
                out::toString);
        assertEquals(1, vmm("export", "copy", "-o", dir.resolve("busy.ova").toString()));
        assertEquals("vmm export: copy is running and writes its disks; stop it first (vmm stop copy)\n",
                err.toString());
        assertEquals(0, vmm("export", "src", "-o", dir.resolve("again.ova").toString()), err::toString);
        assertEquals(0, vmm("stop", "copy"));
        assertEquals(0, vmm("stop", "copyq"));
        assertArrayEquals(disk, Files.readAllBytes(src), "the source was never written");
    }

    @Test
    void aHostedKernelGetsTheFirmwareTablesOfVmmRun() throws Exception {
        Path kernel = TestGuests.kernel(dir, "rsdp.bz", FIND_RSDP);
        Path serial = dir.resolve("run.txt");
        CommandLine run = Main.commandLine();
        run.setErr(new PrintWriter(err, true));
        assertEquals(('\n' << 1) | 1, run.execute("run", "--kernel", kernel.toString(), "--memory", "32M",
                "--serial", "file:" + serial, "--debug-exit"), err::toString);
        assertEquals("A\n", Files.readString(serial), "vmm run --kernel: the RSDP is there");

        assertEquals(0, vmm("create", "k", "--memory", "32M", "--kernel", kernel.toString()), err::toString);
        assertEquals(0, vmm("start", "k"), err::toString);
        String shown = serialUntil("k", "\n");
        assertEquals("A\n", shown, "the hosted VM finds the RSDP too");
        assertEquals(0, vmm("stop", "k"));
    }
}

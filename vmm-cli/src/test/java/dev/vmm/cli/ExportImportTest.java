package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.host.VmDefinition;
import dev.vmm.cli.host.VmStore;
import dev.vmm.cli.host.VmmPaths;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.Progress;
import dev.vmm.devices.storage.formats.DiskConverter;
import dev.vmm.devices.storage.formats.DiskFormat;
import dev.vmm.devices.storage.formats.DiskImages;
import dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vmm export} and {@code vmm import}: round trips that boot, OVF versions and manifest
 * digests, and an OVA laid out as VirtualBox exports it.
 */
class ExportImportTest {
    @TempDir
    Path dir;

    private VmStore store;
    private Path home;
    private StringWriter out = new StringWriter();
    private StringWriter err = new StringWriter();

    private int exec(Object command, String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cmd = command instanceof CommandLine c ? c : new CommandLine(command);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    private int export(String... args) {
        return exec(new ExportCommand(), withHome(args));
    }

    private int importOva(String... args) {
        return exec(new ImportCommand(), withHome(args));
    }

    private String[] withHome(String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = "--home=" + home;
        return all;
    }

    private static byte[] bytes(Path p) throws IOException {
        try (BlockDevice d = DiskImages.openReadOnly(p)) {
            byte[] b = new byte[(int) d.sizeBytes()];
            d.read(0, b);
            return b;
        }
    }

    private void newStore() {
        home = dir.resolve("home");
        store = new VmStore(new VmmPaths(home, home.resolve("vmm.sock")));
    }

    /** A VM "web": a bootable raw disk, a qcow2 data disk, a CD image, a kernel. */
    private VmDefinition web() throws IOException {
        newStore();
        Path src = Files.createDirectories(dir.resolve("src"));
        byte[] boot = new byte[1 << 20];
        System.arraycopy(RunCommandTest.bootSector(), 0, boot, 0, 512);
        System.arraycopy(DiskCommandTest.pattern(4096), 0, boot, 300_000, 4096);
        Path d1 = src.resolve("boot.raw");
        Files.write(d1, boot);
        Path rawData = src.resolve("data.raw");
        Files.write(rawData, DiskCommandTest.pattern(3 << 20));
        Path d2 = src.resolve("data.qcow2");
        DiskConverter.convert(rawData, d2, DiskFormat.QCOW2, Progress.NONE);
        Path iso = src.resolve("install.iso");
        Files.write(iso, DiskCommandTest.pattern(2048 * 16));
        Path kernel = src.resolve("bzImage");
        Files.write(kernel, RunCommandTest.bzImage(RunCommandTest.CMDLINE_PAYLOAD));
        Path initrd = src.resolve("initrd");
        Files.write(initrd, new byte[5000]);
        VmDefinition vm = VmDefinition.builder("web", 768L << 20).cpus(2).disk(d1).disk(d2).cdrom(iso)
                .kernel(kernel, initrd.toString(), "console=ttyS0 quiet").build();
        store.create(vm);
        return vm;
    }

    @Test
    void exportThenImportGivesTheSameMachineAndItBoots() throws IOException {
        VmDefinition vm = web();
        Path ova = dir.resolve("web.ova");
        assertEquals(0, export("web", "-o", ova.toString()), err::toString);
        assertTrue(out.toString().contains("exported web to " + ova + " (2 disk(s), OVF 1.0)"),
                out::toString);
        Map<String, byte[]> entries = Tar.entries(Files.readAllBytes(ova));
        assertEquals(List.of("web.ovf", "web-disk1.vmdk", "web-disk2.vmdk", "web-cdrom.iso",
                "web-kernel", "web-initrd", "web.mf"), List.copyOf(entries.keySet()));
        String ovf = new String(entries.get("web.ovf"), StandardCharsets.UTF_8);
        assertTrue(ovf.contains("<rasd:VirtualQuantity>768</rasd:VirtualQuantity>"), ovf);
        assertTrue(ovf.contains("<vmm:Append>console=ttyS0 quiet</vmm:Append>"), ovf);

        assertEquals(0, importOva(ova.toString(), "--name", "web2", "--disk-format", "raw"),
                err::toString);
        assertTrue(out.toString().contains("imported web2: 2 CPU(s), 768 MiB, 2 disk(s), CD"
                + " image, kernel"), out::toString);
        VmDefinition back = store.find("web2").orElseThrow();
        Path files = dir.resolve("home/vms/web2");
        assertEquals(VmDefinition.builder("web2", 768L << 20).cpus(2).diskMode("rw")
                .disk(files.resolve("web2-disk1.raw")).disk(files.resolve("web2-disk2.raw"))
                .cdrom(files.resolve("web2-cdrom.iso"))
                .kernel(files.resolve("web2-kernel"), files.resolve("web2-initrd").toString(),
                        "console=ttyS0 quiet").build(), back);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(bytes(vm.diskPaths().get(i)), bytes(back.diskPaths().get(i)), "disk " + i);
        }
        assertArrayEquals(Files.readAllBytes(Path.of(vm.cdrom())), Files.readAllBytes(Path.of(back.cdrom())));
        assertArrayEquals(Files.readAllBytes(Path.of(vm.kernel())), Files.readAllBytes(Path.of(back.kernel())));
        assertArrayEquals(Files.readAllBytes(Path.of(vm.initrd())), Files.readAllBytes(Path.of(back.initrd())));

        // the imported machine boots: its disk through the BIOS, its kernel directly
        Path serial = dir.resolve("serial.txt");
        int code = exec(Main.commandLine(), "run", "--disk",
                back.disks().get(0), "--serial", "file:" + serial, "--debug-exit",
                "--deterministic");
        assertEquals((0x2A << 1) | 1, code, err::toString);
        assertTrue(Files.readString(serial).contains("serial ok"));
        Path con = dir.resolve("con.txt");
        code = exec(Main.commandLine(), "run", "--kernel", back.kernel().toString(),
                "--initrd", back.initrd().toString(), "--append", back.append(), "--serial",
                "none", "--debugcon", con.toString(), "--debug-exit", "--deterministic");
        assertEquals((7 << 1) | 1, code, err::toString);
        assertEquals("Kconsole=ttyS0 quiet", Files.readString(con));

        // the default: qcow2 disks, identical content; qemu-img accepts them
        assertEquals(0, importOva(ova.toString(), "--name", "web3"), err::toString);
        VmDefinition q = store.find("web3").orElseThrow();
        assertTrue(q.disks().get(0).endsWith("web3-disk1.qcow2"));
        assertArrayEquals(bytes(vm.diskPaths().get(1)), bytes(q.diskPaths().get(1)));
        if (DiskCommandTest.tool("qemu-img", "--version")) {
            String check = DiskCommandTest.qemu("qemu-img", "check", q.disks().get(1));
            assertTrue(check.contains("No errors"), check);
        }
    }

    @Test
    void ovf2AndSha1ManifestsRoundTrip() throws IOException {
        web();
        Path ova = dir.resolve("w2.ova");
        assertEquals(0, export("web", "-o", ova.toString(), "--ovf-version", "2.0",
                "--manifest", "sha1"), err::toString);
        Map<String, byte[]> entries = Tar.entries(Files.readAllBytes(ova));
        String ovf = new String(entries.get("w2.ovf"), StandardCharsets.UTF_8);
        assertTrue(ovf.contains("xmlns=\"http://schemas.dmtf.org/ovf/envelope/2\""), ovf);
        String mf = new String(entries.get("w2.mf"), StandardCharsets.US_ASCII);
        assertEquals(7 - 1, mf.lines().count(), mf);
        assertTrue(mf.lines().allMatch(l -> l.matches("SHA1\\([^)]+\\)= [0-9a-f]{40}")), mf);
        assertEquals(0, importOva(ova.toString(), "--name", "again"), err::toString);
        assertEquals(768, store.find("again").orElseThrow().memoryMiB());

        assertEquals(1, export("nobody", "-o", dir.resolve("n.ova").toString()));
        assertTrue(err.toString().contains("vmm export: no VM named nobody"), err::toString);
        assertEquals(1, export("web", "-o", dir.resolve("v.ova").toString(), "--ovf-version",
                "3.0"));
        assertTrue(err.toString().contains("OVF version 3.0: 1.0 or 2.0"), err::toString);
        assertEquals(1, export("web", "-o", dir.resolve("m.ova").toString(), "--manifest",
                "md5"));
        assertTrue(err.toString().contains("sha256 or sha1"), err::toString);
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().matches("[nvm]\\.ova|\\..*")),
                    "nothing left by the refused exports");
        }
        assertEquals(1, importOva(ova.toString(), "--name", "again"));
        assertTrue(err.toString().contains("a VM named again already exists"), err::toString);
    }

    @Test
    void importsAnOvaAsVirtualBoxExportsIt() throws IOException {
        newStore();
        byte[] disk = DiskCommandTest.pattern(2 << 20);
        Path raw = dir.resolve("d.raw");
        Files.write(raw, disk);
        Path vmdk = dir.resolve("d.vmdk");
        StreamOptimizedVmdk.write(raw, vmdk);
        byte[] ovf;
        try (InputStream in = getClass().getResourceAsStream("virtualbox-debian12.ovf")) {
            ovf = in.readAllBytes();
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("Debian 12.ovf", ovf);
        files.put("Debian 12-disk001.vmdk", Files.readAllBytes(vmdk));
        Path ova = dir.resolve("Debian 12.ova");
        // the manifest second, "SHA256 (name) = hex" lines, GNU tar headers
        Files.write(ova, Tar.ova(files, "Debian 12.mf", true, true, true));

        assertEquals(0, importOva(ova.toString()), err::toString);
        VmDefinition vm = store.find("Debian-12").orElseThrow();
        assertEquals(2, vm.cpus());
        assertEquals(1024, vm.memoryMiB());
        assertEquals(1, vm.disks().size());
        assertNull(vm.cdrom(), "the empty CD drive carries no image");
        assertNull(vm.kernel());
        assertArrayEquals(disk, bytes(vm.diskPaths().get(0)));
    }
}

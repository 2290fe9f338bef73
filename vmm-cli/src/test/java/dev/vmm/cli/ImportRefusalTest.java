package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.host.VmDefinition;
import dev.vmm.cli.host.VmStore;
import dev.vmm.cli.host.VmmPaths;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vmm import} refuses bad archives with a message naming the problem, exit status 1, and
 * leaves nothing behind: the VMM home holds exactly what it held before, no VM is defined.
 */
class ImportRefusalTest {
    @TempDir
    Path dir;

    private VmStore store;
    private Path home;
    private byte[] good;
    private long capacity;

    @BeforeEach
    void exportAGoodOva() throws IOException {
        home = dir.resolve("home");
        store = new VmStore(new VmmPaths(home, home.resolve("vmm.sock")));
        byte[] disk = DiskCommandTest.pattern(1 << 20);
        capacity = disk.length;
        Path raw = dir.resolve("vm.raw");
        Files.write(raw, disk);
        store.create(VmDefinition.builder("vm", 256L << 20).disk(raw).build());
        Path ova = dir.resolve("vm.ova");
        CommandLine cmd = new CommandLine(new ExportCommand());
        cmd.setErr(new PrintWriter(new StringWriter()));
        cmd.setOut(new PrintWriter(new StringWriter()));
        assertEquals(0, cmd.execute("--home=" + home, "vm", "-o", ova.toString()));
        good = Files.readAllBytes(ova);
    }

    /** Imports {@code tar} as "copy"; asserts the refusal and that nothing changed. */
    private String refused(byte[] tar) throws IOException {
        Path bad = dir.resolve("bad.ova");
        Files.write(bad, tar);
        List<String> before = tree();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new ImportCommand());
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(1, cmd.execute("--home=" + home, bad.toString(), "--name", "copy"), err::toString);
        assertEquals(before, tree(), "the import left something behind: " + err);
        assertTrue(store.find("copy").isEmpty());
        assertTrue(err.toString().startsWith("vmm import: OVA " + bad + ": "), err::toString);
        return err.toString();
    }

    private List<String> tree() throws IOException {
        try (Stream<Path> s = Files.walk(home)) {
            return s.map(p -> home.relativize(p).toString()).sorted().toList();
        }
    }

    private byte[] withHeader(String entry, java.util.function.Consumer<byte[]> change) {
        byte[] tar = good.clone();
        int h = Tar.headerOf(tar, entry);
        byte[] header = Arrays.copyOfRange(tar, h, h + 512);
        change.accept(header);
        System.arraycopy(header, 0, tar, h, 512);
        Tar.rechecksum(tar, h);
        return tar;
    }

    private static void rename(byte[] header, String name) {
        Arrays.fill(header, 0, 100, (byte) 0);
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, header, 0, n.length);
    }

    /** The archive rebuilt with a changed OVF and a manifest that matches it. */
    private byte[] withOvf(String from, String to) {
        LinkedHashMap<String, byte[]> files = Tar.entries(good);
        files.remove("vm.mf");
        String ovf = new String(files.get("vm.ovf"), StandardCharsets.UTF_8);
        assertTrue(ovf.contains(from), from);
        files.put("vm.ovf", ovf.replace(from, to).getBytes(StandardCharsets.UTF_8));
        return Tar.ova(files, "vm.mf", false, false, false);
    }

    @Test
    void theGoodArchiveImports() throws IOException {
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new ImportCommand());
        cmd.setErr(new PrintWriter(err, true));
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        Path ova = dir.resolve("ok.ova");
        Files.write(ova, Tar.ova(withoutMf(), "vm.mf", false, false, false));
        assertEquals(0, cmd.execute("--home=" + home, ova.toString(), "--name", "copy"), err::toString);
        assertEquals(256, store.find("copy").orElseThrow().memoryMiB());
    }

    private LinkedHashMap<String, byte[]> withoutMf() {
        LinkedHashMap<String, byte[]> files = Tar.entries(good);
        files.remove("vm.mf");
        return files;
    }

    @Test
    void digestMismatch() throws IOException {
        byte[] tar = good.clone();
        tar[Tar.headerOf(tar, "vm-disk1.vmdk") + 512 + 700] ^= 1;
        assertTrue(refused(tar).contains("digest mismatch for vm-disk1.vmdk"));
        // the digests come first: a changed OVF is refused by its digest, not parsed
        tar = good.clone();
        int ovf = Tar.headerOf(tar, "vm.ovf") + 512;
        tar[ovf] = '!';
        assertTrue(refused(tar).contains("digest mismatch for vm.ovf"));
    }

    @Test
    void absolutePathEntry() throws IOException {
        String m = refused(withHeader("vm-disk1.vmdk", h -> rename(h, "/tmp/vm-disk1.vmdk")));
        assertTrue(m.contains("unsafe entry name /tmp/vm-disk1.vmdk"), m);
    }

    @Test
    void dotDotEntry() throws IOException {
        String m = refused(withHeader("vm-disk1.vmdk", h -> rename(h, "../vm-disk1.vmdk")));
        assertTrue(m.contains("unsafe entry name ../vm-disk1.vmdk"), m);
    }

    @Test
    void symlinkEntry() throws IOException {
        String m = refused(withHeader("vm-disk1.vmdk", h -> h[156] = '2'));
        assertTrue(m.contains("entry vm-disk1.vmdk is a symbolic link"), m);
        m = refused(withHeader("vm-disk1.vmdk", h -> h[156] = '1'));
        assertTrue(m.contains("entry vm-disk1.vmdk is a hard link"), m);
    }

    @Test
    void deviceEntries() throws IOException {
        String m = refused(withHeader("vm-disk1.vmdk", h -> h[156] = '3'));
        assertTrue(m.contains("entry vm-disk1.vmdk is a device"), m);
        m = refused(withHeader("vm-disk1.vmdk", h -> h[156] = '4'));
        assertTrue(m.contains("entry vm-disk1.vmdk is a device"), m);
    }

    @Test
    void declaredSizeBeyondTheFile() throws IOException {
        String m = refused(withHeader("vm.mf", h -> System.arraycopy(
                String.format("%011o", 1L << 30).getBytes(StandardCharsets.US_ASCII), 0, h, 124,
                11)));
        assertTrue(m.contains("truncated archive: entry vm.mf declares 1073741824 bytes"), m);
        // the OVF declaring another size for the disk than the archive holds
        long size = Tar.entries(good).get("vm-disk1.vmdk").length;
        m = refused(withOvf("ovf:size=\"" + size + "\"", "ovf:size=\"" + (size + 512) + "\""));
        assertTrue(m.contains("vm-disk1.vmdk is " + size + " bytes, the OVF declares "
                + (size + 512)), m);
    }

    @Test
    void diskLargerThanItsCapacity() throws IOException {
        String m = refused(withOvf("ovf:capacity=\"" + capacity + "\"",
                "ovf:capacity=\"" + (capacity / 2) + "\""));
        assertTrue(m.contains("disk vm-disk1.vmdk holds " + capacity
                + " bytes, more than its declared capacity " + (capacity / 2)), m);
    }

    @Test
    void ovfThatDoesNotParse() throws IOException {
        LinkedHashMap<String, byte[]> files = withoutMf();
        files.put("vm.ovf", "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\""
                .getBytes(StandardCharsets.UTF_8));
        String m = refused(Tar.ova(files, "vm.mf", false, false, false));
        assertTrue(m.contains("OVF descriptor does not parse"), m);
    }

    @Test
    void ovfReferencingAMissingFile() throws IOException {
        LinkedHashMap<String, byte[]> files = withoutMf();
        files.remove("vm-disk1.vmdk");
        String m = refused(Tar.ova(files, "vm.mf", false, false, false));
        assertTrue(m.contains("the OVF references vm-disk1.vmdk which is not in the archive"), m);
        m = refused(withOvf("ovf:/disk/vmdisk1", "ovf:/disk/vmdisk9"));
        assertTrue(m.contains("references disk vmdisk9 which DiskSection does not list"), m);
    }

    @Test
    void truncatedArchive() throws IOException {
        for (int len : new int[] {good.length - 1024, good.length / 2, 1000, 300}) {
            String m = refused(Arrays.copyOf(good, len));
            assertTrue(m.contains("truncated"), len + ": " + m);
        }
    }

    @Test
    void missingFileAndBadName() throws IOException {
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new ImportCommand());
        cmd.setErr(new PrintWriter(err, true));
        assertEquals(1, cmd.execute("--home=" + home, dir.resolve("none.ova").toString()));
        assertTrue(err.toString().contains("no such file"), err::toString);
        Files.write(dir.resolve("g.ova"), good);
        assertEquals(1, cmd.execute("--home=" + home, dir.resolve("g.ova").toString(), "--name", "../x"));
        assertTrue(err.toString().contains("VM name must be") && err.toString().contains("'../x'"),
                err::toString);
    }
}

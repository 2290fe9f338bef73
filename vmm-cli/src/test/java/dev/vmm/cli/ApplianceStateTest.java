package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.host.CounterGuest;
import dev.vmm.cli.host.TestHost;
import dev.vmm.devices.storage.SnapshotDisks;
import dev.vmm.devices.storage.vmdk.StreamOptimizedVmdk;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmm export --include-state} of a suspended VM and {@code vmm import} of the OVA in another
 * data directory: the imported VM is suspended and resumes where the exported one was (the counting
 * guest goes on counting); bad appliances with a state are refused and leave nothing behind.
 */
class ApplianceStateTest {
    @TempDir
    Path dir;

    /** The counting guest "app" run to {@code until}, suspended and exported with its state; returns what it printed. */
    private String exportSuspended(TestHost a, Path ova, String until) throws Exception {
        Path disk = CounterGuest.disk(dir.resolve("app.img"));
        assertEquals(0, a.vmm("create", "app", "--memory", "16M", "--disk", disk.toString(), "--disk-mode", "rw"),
                a.err::toString);
        assertEquals(1, a.vmm("export", "app", "-o", dir.resolve("no.ova").toString(), "--include-state"));
        assertEquals("vmm export: VM app has no saved state to include (vmm suspend app saves one; or export "
                + "without --include-state)\n", a.err.toString());
        assertEquals(0, a.vmm("start", "app"), a.err::toString);
        String before;
        try (TestHost.Console con = a.console("app")) {
            con.until(until);
            assertEquals(0, a.vmm("suspend", "app"), a.err::toString);
            before = CounterGuest.output(con.untilEnd());
        }
        assertEquals(0, a.vmm("export", "app", "-o", ova.toString(), "--include-state"), a.err::toString);
        assertEquals("exported app to " + ova + " (1 disk(s), OVF 1.0, saved state)\n", a.out.toString());
        assertTrue(Files.isRegularFile(a.home.resolve("vms/app/state.vmmsnap")), "the exported VM stays suspended");
        assertFalse(Files.exists(dir.resolve("no.ova")));
        return before;
    }

    @Test
    void aSuspendedVmExportedWithItsStateResumesWhereItWasInAnotherDataDirectory() throws Exception {
        Path ova = dir.resolve("app.ova");
        String before;
        try (TestHost a = new TestHost(dir.resolve("home1"), dir.resolve("a.sock"), "64M")) {
            before = exportSuspended(a, ova, "\n25\n");
        }
        int last = CounterGuest.assertCounts(before, 1);

        Map<String, byte[]> entries = Tar.entries(Files.readAllBytes(ova));
        assertEquals(List.of("app.ovf", "app-disk1.vmdk", "app-state.vmmsnap", "app.mf"),
                List.copyOf(entries.keySet()));
        String ovf = new String(entries.get("app.ovf"), StandardCharsets.UTF_8);
        String mf = new String(entries.get("app.mf"), StandardCharsets.US_ASCII);
        assertTrue(mf.contains("SHA256(app-state.vmmsnap)= " + java.util.HexFormat.of().formatHex(
                Tar.sha256(entries.get("app-state.vmmsnap")))), mf);
        assertTrue(ovf.contains("<File ovf:href=\"app-state.vmmsnap\" ovf:id=\"file2\" ovf:size=\""
                + entries.get("app-state.vmmsnap").length + "\"/>"), ovf);
        Matcher m = Pattern.compile("<vmm:SavedStateSection ovf:required=\"false\">\\s*<Info>[^<]+</Info>\\s*"
                + "<vmm:State ovf:fileRef=\"file2\"/>\\s*<vmm:Disk ovf:diskId=\"vmdisk1\" "
                + "vmm:contentSha256=\"([0-9a-f]{64})\"/>\\s*</vmm:SavedStateSection>").matcher(ovf);
        assertTrue(m.find(), ovf);
        assertEquals(SnapshotDisks.sha256(dir.resolve("app.img")), m.group(1),
                "a raw image's contents are its bytes: the disk as the state left it");

        try (TestHost b = new TestHost(dir.resolve("home2"), dir.resolve("b.sock"), "64M")) {
            assertEquals(0, b.vmm("import", ova.toString()), b.err::toString);
            assertEquals("imported app: 1 CPU(s), 16 MiB, 1 disk(s); suspended (vmm start app resumes it)\n",
                    b.out.toString());
            assertEquals(0, b.vmm("list"), b.err::toString);
            assertTrue(b.out.toString().matches("(?s).*\napp +16 MiB +suspended +disk .*app-disk1.qcow2\n.*"),
                    b.out::toString);
            assertEquals(0, b.vmm("start", "app"), b.err::toString);
            assertTrue(b.out.toString().startsWith("resumed app at instruction "), b.out::toString);
            String after = CounterGuest.output(b.serialUntil("app", "\n" + (last + 20) + "\n"));
            CounterGuest.assertCounts(before + after, 1);
            assertEquals(0, b.vmm("stop", "app"));
        }
    }

    @Test
    void badAppliancesWithAStateAreRefusedAndLeaveNothingBehind() throws Exception {
        Path ova = dir.resolve("app.ova");
        try (TestHost a = new TestHost(dir.resolve("home1"), dir.resolve("a.sock"), "64M")) {
            exportSuspended(a, ova, "\n3\n");
        }
        byte[] good = Files.readAllBytes(ova);
        Path home = dir.resolve("home3");

        byte[] flipped = good.clone();
        flipped[Tar.headerOf(flipped, "app-state.vmmsnap") + 512 + 100] ^= 1;
        assertTrue(refused(home, flipped).contains("digest mismatch for app-state.vmmsnap"));

        String mem = refused(home, withOvf(good, "<rasd:VirtualQuantity>16</rasd:VirtualQuantity>",
                "<rasd:VirtualQuantity>32</rasd:VirtualQuantity>", null));
        assertTrue(mem.endsWith(": saved state app-state.vmmsnap: it has 16 MiB of RAM, the OVF declares 32 MiB\n"),
                mem);

        // another disk of the same size in the appliance: not the contents the state was saved with
        byte[] otherRaw = Files.readAllBytes(CounterGuest.disk(dir.resolve("other.img")));
        Path otherVmdk = dir.resolve("other.vmdk");
        StreamOptimizedVmdk.write(dir.resolve("other.img"), otherVmdk);
        String disk = refused(home, withOvf(good, null, null, Files.readAllBytes(otherVmdk)));
        assertTrue(disk.contains(": saved state app-state.vmmsnap: disk app-disk1.vmdk does not hold the contents "
                + "the state was saved with (their SHA-256 is " + java.util.HexFormat.of().formatHex(Tar.sha256(otherRaw))
                + ", the OVF says "), disk);

        byte[] junk = good.clone();
        LinkedHashMap<String, byte[]> files = Tar.entries(junk);
        files.remove("app.mf");
        files.put("app-state.vmmsnap", "not a snapshot".getBytes(StandardCharsets.US_ASCII));
        String ovfText = new String(files.get("app.ovf"), StandardCharsets.UTF_8)
                .replaceFirst("(ovf:href=\"app-state.vmmsnap\" ovf:id=\"file2\" ovf:size=\")\\d+", "$114");
        files.put("app.ovf", ovfText.getBytes(StandardCharsets.UTF_8));
        String notSnap = refused(home, Tar.ova(files, "app.mf", false, false, false));
        assertTrue(notSnap.contains(": saved state app-state.vmmsnap: "), notSnap);
        assertEquals(1, notSnap.lines().count(), notSnap);
    }

    /**
     * The OVA {@code good} with the OVF's text {@code from} replaced by {@code to} (if not null) and
     * the disk replaced by {@code vmdk} (if not null, its size fixed in the OVF), and a manifest
     * that matches.
     */
    private static byte[] withOvf(byte[] good, String from, String to, byte[] vmdk) {
        LinkedHashMap<String, byte[]> files = Tar.entries(good);
        files.remove("app.mf");
        String ovf = new String(files.get("app.ovf"), StandardCharsets.UTF_8);
        if (from != null) {
            assertTrue(ovf.contains(from), from);
            ovf = ovf.replace(from, to);
        }
        if (vmdk != null) {
            ovf = ovf.replaceFirst("(ovf:href=\"app-disk1.vmdk\" ovf:id=\"file1\" ovf:size=\")\\d+", "$1" + vmdk.length);
            files.put("app-disk1.vmdk", vmdk);
        }
        files.put("app.ovf", ovf.getBytes(StandardCharsets.UTF_8));
        return Tar.ova(files, "app.mf", false, false, false);
    }

    /** Imports {@code tar} into {@code home}: refused with one line, status 1, and {@code home} is as it was. */
    private String refused(Path home, byte[] tar) throws IOException {
        Path bad = dir.resolve("bad.ova");
        Files.write(bad, tar);
        Files.createDirectories(home.resolve("vms"));     // a data directory in use
        List<String> before = tree(home);
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cmd = new picocli.CommandLine(new ImportCommand());
        cmd.setErr(new java.io.PrintWriter(err, true));
        cmd.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
        assertEquals(1, cmd.execute("--home=" + home, bad.toString()), err::toString);
        assertEquals(before, tree(home), "the import left something behind: " + err);
        assertTrue(err.toString().startsWith("vmm import: OVA " + bad + ": "), err::toString);
        assertEquals(1, err.toString().lines().count(), err::toString);
        return err.toString();
    }

    private static List<String> tree(Path home) throws IOException {
        try (Stream<Path> s = Files.walk(home)) {
            return s.map(p -> home.relativize(p).toString()).sorted().toList();
        }
    }
}

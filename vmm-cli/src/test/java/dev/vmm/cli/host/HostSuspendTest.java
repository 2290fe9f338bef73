package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.cli.Main;
import dev.vmm.devices.storage.SnapshotDisks;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A host VM whose disk is written through (mode rw, as an imported VM's) saved while it runs, and
 * suspended and resumed, through the CLI; the counting guest ({@link CounterGuest}) shows whether
 * RAM and disk stay together and whether a VM resumes or boots afresh.
 */
class HostSuspendTest {
    @TempDir
    Path dir;

    private TestHost host;

    @BeforeEach
    void startHost() throws InterruptedException {
        host = new TestHost(dir.resolve("home"), dir.resolve("vmm.sock"), "64M");
    }

    @AfterEach
    void stopHost() throws Exception {
        host.close();
    }

    private int vmm(String... args) {
        return host.vmm(args);
    }

    private String out() {
        return host.out.toString();
    }

    private String err() {
        return host.err.toString();
    }

    /** Defines VM {@code name}: 16 MiB, the counting guest's disk written through. */
    private Path define(String name) throws Exception {
        Path disk = CounterGuest.disk(dir.resolve(name + ".img"));
        assertEquals(0, vmm("create", name, "--memory", "16M", "--disk", disk.toString(), "--disk-mode", "rw"),
                this::err);
        return disk;
    }

    @Test
    void aSaveFreezesTheWrittenThroughDiskAndTheVmGoesOnInAnOverlayItsDefinitionFollows() throws Exception {
        Path disk = define("c");
        Path snap = dir.resolve("c.vmmsnap");
        assertEquals(0, vmm("start", "c"), this::err);
        long saved;
        try (TestHost.Console con = host.console("c")) {
            con.until("\n30\n");
            assertEquals(0, vmm("savevm", "c", snap.toString()), this::err);
            Path overlay = host.home.resolve("vms/c/disk1.1.qcow2");
            Matcher m = Pattern.compile("saved " + Pattern.quote(snap.toString()) + " at instruction (\\d+) .*; disk "
                    + "writes now go to " + Pattern.quote(overlay.toString()) + "\n").matcher(out());
            assertTrue(m.matches(), out());
            saved = Long.parseLong(m.group(1));
            assertEquals(List.of(overlay.toString()), host.store().load("c").disks(),
                    "the definition names the overlay: a restarted host boots the disk as the VM left it");
            String frozen = SnapshotDisks.sha256(disk);
            int atSave = CounterGuest.countOnDisk(disk);
            assertTrue(atSave >= 30, "the count at the save: " + atSave);
            con.until("\n" + (atSave + 40) + "\n");
            assertEquals(frozen, SnapshotDisks.sha256(disk), "the guest goes on writing, not into the frozen image");
            CounterGuest.assertCounts(CounterGuest.output(con.text()), 1);

            // the snapshot restores to the contents it was saved with: the count goes on from there
            Path serial = dir.resolve("restored.txt");
            CommandLine cmd = Main.commandLine();
            StringWriter err = new StringWriter();
            cmd.setOut(new PrintWriter(new StringWriter(), true));
            cmd.setErr(new PrintWriter(err, true));
            assertEquals(0, cmd.execute("restore", snap.toString(), "--serial", "file:" + serial, "--stop-at",
                    Long.toString(saved + 40_000)), err::toString);
            String restored = Files.readString(serial, StandardCharsets.ISO_8859_1);
            String first = restored.substring(0, restored.indexOf('\n'));
            int from;
            if (first.equals(Integer.toString(atSave + 1))) {
                from = atSave + 1;                  // saved between two ticks
            } else {
                assertTrue(Integer.toString(atSave).endsWith(first), "saved while printing " + atSave + ": "
                        + restored);
                from = atSave;
                restored = Integer.toString(atSave).substring(0, Integer.toString(atSave).length() - first.length())
                        + restored;
            }
            assertTrue(CounterGuest.assertCounts(restored, from) > atSave + 5, restored);
            assertEquals(frozen, SnapshotDisks.sha256(disk), "restoring does not write the frozen image");

            // the monitor's savevm freezes the overlay in turn: the chain grows by one
            Path snap2 = dir.resolve("c2.vmmsnap");
            Path overlay2 = host.home.resolve("vms/c/disk1.2.qcow2");
            try (ControlClient c = ControlClient.connect(host.socket)) {
                var r = c.request(ControlClient.request("monitor").put("name", "c").put("line", "savevm " + snap2));
                assertTrue(r.path("output").asText().endsWith("; disk writes now go to " + overlay2 + "\n"), r.toString());
            }
            assertEquals(List.of(overlay2.toString()), host.store().load("c").disks());

            assertEquals(0, vmm("stop", "c"));
            assertTrue(CounterGuest.countOnDisk(overlay2) > atSave + 40, "the later writes are in the overlays");
            assertEquals(atSave, CounterGuest.countOnDisk(disk));
            if (dev.vmm.cli.DiskCommandTest.tool("qemu-img", "--version")) {
                for (Path q : List.of(overlay, overlay2)) {
                    assertTrue(dev.vmm.cli.DiskCommandTest.qemu("qemu-img", "check", q.toString())
                            .contains("No errors"), q.toString());
                }
                String info = dev.vmm.cli.DiskCommandTest.qemu("qemu-img", "info", "--backing-chain",
                        overlay2.toString());
                assertTrue(info.contains("backing file: disk1.1.qcow2") && info.contains("backing file: " + disk),
                        info);
            }
        }
        // started again, the VM boots afresh over the overlay: its disk holds the count, its RAM does not
        assertEquals(0, vmm("start", "c"), this::err);
        assertTrue(host.serialUntil("c", "\n").startsWith("X1\n"));
        assertEquals(0, vmm("stop", "c"));
    }

    @Test
    void aSuspendedVmShowsSuspendedAndStartResumesItWhereItWas() throws Exception {
        Path disk = define("s");
        assertEquals(1, vmm("suspend", "s"));
        assertEquals("vmm suspend: no VM named s\n", err(), "never started: the host does not know it");
        assertEquals(0, vmm("start", "s"), this::err);
        assertEquals("", out(), "a fresh start says nothing");
        Path state = host.home.resolve("vms/s/state.vmmsnap");
        String before;
        long at;
        try (TestHost.Console con = host.console("s")) {
            con.until("\n20\n");
            assertEquals(0, vmm("suspend", "s"), this::err);
            Matcher m = Pattern.compile("suspended s to " + Pattern.quote(state.toString())
                    + " at instruction (\\d+) \\(.*\\)\n").matcher(out());
            assertTrue(m.matches(), out());
            at = Long.parseLong(m.group(1));
            String shown = con.untilEnd();
            assertTrue(shown.endsWith("\r\n[vmm: s suspended]\r\n"), shown);
            before = CounterGuest.output(shown);
        }
        int last = CounterGuest.assertCounts(before, 1);
        assertTrue(Files.isRegularFile(state));
        String diskAtSuspend = SnapshotDisks.sha256(disk);

        assertEquals(0, vmm("ps"), this::err);
        assertTrue(out().matches("(?s).*\ns +suspended +0 bytes +0 bytes .*\\(saved state " + Pattern.quote(state.toString())
                + "\\)\n.*"), out());
        assertTrue(out().endsWith("pool: 0 bytes of 64 MiB reserved\n"), "the memory went back to the pool: " + out());
        assertEquals(0, vmm("list"), this::err);
        assertTrue(out().matches("(?s).*\ns +16 MiB +suspended +disk .*"), out());
        assertEquals(1, vmm("suspend", "s"));
        assertEquals("vmm suspend: s is not running\n", err());

        assertEquals(0, vmm("start", "s"), this::err);
        assertEquals("resumed s at instruction " + at + "\n", out());
        assertFalse(Files.exists(state), "the saved state is spent once the VM runs");
        String after = CounterGuest.output(host.serialUntil("s", "\n" + (last + 30) + "\n"));
        CounterGuest.assertCounts(before + after, 1);
        assertEquals(0, vmm("ps"), this::err);
        assertTrue(out().matches("(?s).*\ns +running .*"), out());
        assertTrue(CounterGuest.countOnDisk(disk) > 0);
        assertFalse(diskAtSuspend.isEmpty());

        assertEquals(1, vmm("delete", "s"));
        assertEquals("vmm delete: s is running; stop it first (vmm stop s)\n", err());
        assertEquals(0, vmm("suspend", "s"), this::err);
        assertTrue(Files.isRegularFile(state));
        assertEquals(0, vmm("delete", "s"), this::err);
        assertFalse(Files.exists(host.home.resolve("vms/s")), "the state goes with the VM");
        assertFalse(Files.exists(host.home.resolve("vms/s.json")));
        assertTrue(Files.isRegularFile(disk), "the image named with vmm create stays");
    }

    @Test
    void aCopyOnWriteVmKeepsItsWritesInTheStateAndLosesThemWhenItBootsAfresh() throws Exception {
        Path disk = CounterGuest.disk(dir.resolve("w.img"));
        String image = SnapshotDisks.sha256(disk);
        assertEquals(0, vmm("create", "w", "--memory", "16M", "--disk", disk.toString()), this::err);
        assertEquals(0, vmm("start", "w"), this::err);
        String before;
        try (TestHost.Console con = host.console("w")) {
            con.until("\n10\n");
            assertEquals(0, vmm("suspend", "w"), this::err);
            before = CounterGuest.output(con.untilEnd());
        }
        Path delta = host.home.resolve("vms/w/state.vmmsnap.ide0-0.qcow2");
        assertTrue(CounterGuest.countOnDisk(delta) >= 10, "the writes held in memory are in the state's delta");
        int last = CounterGuest.assertCounts(before, 1);
        assertEquals(0, vmm("start", "w"), this::err);
        String after = CounterGuest.output(host.serialUntil("w", "\n" + (last + 10) + "\n"));
        CounterGuest.assertCounts(before + after, 1);
        assertEquals(0, vmm("stop", "w"));
        assertEquals(image, SnapshotDisks.sha256(disk), "a copy-on-write disk's image is never written");

        assertEquals(0, vmm("start", "w"), this::err);
        assertFalse(Files.exists(delta), "a fresh start removes what earlier states left");
        CounterGuest.assertCounts(CounterGuest.output(host.serialUntil("w", "\n3\n")), 1);
        assertEquals(0, vmm("stop", "w"));
    }

    @Test
    void aKernelBootedVmResumesWithItsConsoleAndShowsSuspendedToANewHost() throws Exception {
        Path k = TestGuests.kernel(dir, "echo.bz", TestGuests.ECHO);
        assertEquals(0, vmm("create", "e", "--memory", "32M", "--kernel", k.toString()), this::err);
        assertEquals(0, vmm("start", "e"), this::err);
        host.serialUntil("e", "hi\n");
        assertEquals(0, vmm("suspend", "e"), this::err);
        host.close();
        host = new TestHost(dir.resolve("home"), dir.resolve("vmm.sock"), "64M");
        assertEquals(0, vmm("ps"), this::err);
        assertTrue(out().matches("(?s).*\ne +suspended +0 bytes .*"), "a new host lists it: " + out());
        assertEquals(0, vmm("start", "e"), this::err);
        assertTrue(out().startsWith("resumed e at instruction "), out());
        try (TestHost.Console con = host.console("e")) {
            con.type("echo?");
            assertEquals("echo?", con.until("echo?"), "it echoes without greeting again: it did not reboot");
        }
        assertEquals(0, vmm("stop", "e"));
    }

    @Test
    void aKernelBootedVmExportedWithItsStateResumesElsewhereFromTheKernelTheAppliancesCarries() throws Exception {
        Path k = TestGuests.kernel(dir, "echo.bz", TestGuests.ECHO);
        assertEquals(0, vmm("create", "e", "--memory", "32M", "--kernel", k.toString()), this::err);
        assertEquals(0, vmm("start", "e"), this::err);
        host.serialUntil("e", "hi\n");
        assertEquals(0, vmm("suspend", "e"), this::err);
        Path ova = dir.resolve("e.ova");
        assertEquals(0, vmm("export", "e", "-o", ova.toString(), "--include-state"), this::err);
        Files.delete(k);                        // another computer: only the appliance's kernel is there
        try (TestHost b = new TestHost(dir.resolve("home2"), dir.resolve("b.sock"), "64M")) {
            assertEquals(0, b.vmm("import", ova.toString()), b.err::toString);
            assertEquals(0, b.vmm("start", "e"), b.err::toString);
            assertTrue(b.out.toString().startsWith("resumed e at instruction "), b.out::toString);
            try (TestHost.Console con = b.console("e")) {
                con.type("echo?");
                assertEquals("echo?", con.until("echo?"), "it echoes without greeting again: it did not reboot");
            }
            assertEquals(0, b.vmm("stop", "e"));
        }
    }

    @Test
    void aBadOrMismatchingStateIsRefusedAndLeavesEverythingAsItWas() throws Exception {
        Path disk = define("r");
        assertEquals(0, vmm("start", "r"), this::err);
        host.serialUntil("r", "\n5\n");
        assertEquals(0, vmm("suspend", "r"), this::err);
        Path state = host.home.resolve("vms/r/state.vmmsnap");
        Path json = host.home.resolve("vms/r.json");
        byte[] good = Files.readAllBytes(state);
        byte[] definition = Files.readAllBytes(json);
        byte[] image = Files.readAllBytes(disk);
        String hint = " (vmm start r --discard-state boots it afresh)\n";
        String prefix = "vmm start: cannot resume r from its saved state: ";

        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x40;
        Files.write(state, bad);
        refused(prefix + state + ": corrupted file: ");
        assertArrayEquals(bad, Files.readAllBytes(state), "the state file is left as it is");
        Files.write(state, good);

        VmStore store = host.store();
        store.replace(VmDefinition.builder("r", 32L << 20).disk(disk).diskMode("rw").build());
        refused(prefix + "the saved state has 16 MiB of RAM, the VM 32 MiB" + hint);
        Files.write(json, definition);

        Path other = CounterGuest.disk(dir.resolve("other.img"));
        store.replace(VmDefinition.builder("r", 16L << 20).disk(other).diskMode("rw").build());
        refused(prefix + "the saved state's disk on IDE 0:0 is " + disk + ", the VM's is " + other + hint);
        Files.write(json, definition);

        byte[] changed = image.clone();
        changed[5 * 512] ^= 1;
        Files.write(disk, changed);
        refused(prefix + state + ": disk image " + disk + " changed since the snapshot (its SHA-256 differs)" + hint);
        Files.write(disk, image);

        assertArrayEquals(good, Files.readAllBytes(state));
        assertArrayEquals(definition, Files.readAllBytes(json));
        assertEquals(0, vmm("start", "r"), this::err);
        assertTrue(out().startsWith("resumed r at instruction "), out());
        assertEquals(0, vmm("suspend", "r"), this::err);

        // dropping the state boots afresh: the disk holds a count the new RAM does not
        assertEquals(0, vmm("start", "r", "--discard-state"), this::err);
        assertFalse(Files.exists(state));
        assertTrue(host.serialUntil("r", "\n").startsWith("X1\n"));
        assertEquals(0, vmm("stop", "r"));
    }

    /** vmm start r is refused with exactly one line starting with {@code message}; r stays suspended, the pool empty. */
    private void refused(String message) {
        assertEquals(1, vmm("start", "r"));
        assertTrue(err().startsWith(message), err());
        assertEquals(1, err().lines().count(), err());
        assertEquals(0, vmm("ps"), this::err);
        assertTrue(out().matches("(?s).*\nr +suspended .*"), out());
        assertTrue(out().endsWith("pool: 0 bytes of 64 MiB reserved\n"), out());
    }
}

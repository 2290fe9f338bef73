package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vmm.cli.Main;
import dev.vmm.core.monitor.MemoryPool;
import dev.vmm.core.monitor.Scheduler;
import dev.vmm.devices.board.VmHost;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The host's {@code savevm} request: a running VM saved through the control API, then restored by vmm restore. */
class HostSaveVmTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    private Scheduler scheduler;
    private VmHost host;
    private ControlServer server;
    private Path socket;

    @BeforeEach
    void startHost() throws IOException {
        scheduler = Scheduler.threaded(2, 20_000, 10_000_000);
        host = new VmHost(new MemoryPool(64 * MIB), scheduler);
        VmmPaths paths = new VmmPaths(dir, dir.resolve("vmm.sock"));
        VmStore store = new VmStore(paths);
        Path k = TestGuests.kernel(dir, "spin.bz", TestGuests.SPIN);
        store.create(VmDefinition.builder("spin", 32 * MIB).kernel(k, null, "console=ttyS0").build());
        socket = paths.socket();
        server = ControlServer.start(host, store, socket);
    }

    @AfterEach
    void stopHost() {
        host.close();
        server.close();
        scheduler.close();
    }

    private long instructions(ControlClient c) throws IOException {
        for (JsonNode v : c.request(ControlClient.request("list")).path("vms")) {
            if (v.path("name").asText().equals("spin")) {
                return v.path("instructions").asLong();
            }
        }
        throw new AssertionError("no VM spin");
    }

    @Test
    void aRunningHostVmIsSavedAndGoesOnAndTheSnapshotRestores() throws Exception {
        Path file = dir.resolve("spin.vmmsnap");
        long saved;
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(c.request(ControlClient.request("start").put("name", "spin")).path("ok").asBoolean());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (instructions(c) < 1_000_000) {
                assertTrue(System.nanoTime() < deadline, "the VM runs");
                Thread.sleep(2);
            }
            JsonNode r = c.request(ControlClient.request("savevm").put("name", "spin").put("file", file.toString()));
            assertTrue(r.path("ok").asBoolean(), r.toString());
            Matcher m = Pattern.compile("saved " + Pattern.quote(file.toString()) + " at instruction (\\d+) ")
                    .matcher(r.path("output").asText());
            assertTrue(m.find(), r.toString());
            saved = Long.parseLong(m.group(1));
            while (instructions(c) <= saved + 1_000_000) {
                assertTrue(System.nanoTime() < deadline, "the VM goes on after the save");
                Thread.sleep(2);
            }
            assertEquals(VmHost.State.RUNNING, host.info("spin").state());

            JsonNode rel = c.request(ControlClient.request("savevm").put("name", "spin").put("file", "rel.vmmsnap"));
            assertFalse(rel.path("ok").asBoolean());
            assertEquals("savevm: the file name must be absolute: rel.vmmsnap", rel.path("error").asText());
        }
        assertTrue(Files.isRegularFile(file));

        CommandLine cmd = Main.commandLine();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(new StringWriter(), true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute("restore", file.toString(), "--serial", "none", "--stop-at",
                Long.toString(saved + 100_000));
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().startsWith("vmm: restored " + file + " at instruction " + saved + " ("),
                err.toString());
    }
}

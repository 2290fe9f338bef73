package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vmm.cli.Main;
import dev.vmm.core.monitor.MemoryPool;
import dev.vmm.core.monitor.Scheduler;
import dev.vmm.devices.board.VmHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The control API over a real Unix domain socket, with real boards running tiny kernels. */
class ControlServerTest {
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
        define(store, "spin", 32, TestGuests.SPIN);
        define(store, "echo", 24, TestGuests.ECHO);
        define(store, "crash", 24, TestGuests.CRASH);
        define(store, "big", 48, TestGuests.SPIN);
        socket = paths.socket();
        server = ControlServer.start(host, store, socket);
    }

    private void define(VmStore store, String name, long mib, byte[] payload) throws IOException {
        Path k = TestGuests.kernel(dir, name + ".bz", payload);
        store.create(VmDefinition.builder(name, mib * MIB).kernel(k, null, "console=ttyS0").build());
    }

    @AfterEach
    void stopHost() {
        host.close();
        server.close();
        scheduler.close();
    }

    private static JsonNode ask(ControlClient c, String op, String name) throws IOException {
        return c.request(ControlClient.request(op).put("name", name));
    }

    private static JsonNode vm(JsonNode list, String name) {
        for (JsonNode v : list.path("vms")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError("no " + name + " in " + list);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(2);
        }
    }

    private long instructions(ControlClient c, String name) {
        try {
            return vm(c.request(ControlClient.request("list")), name).path("instructions").asLong();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void socketIsOwnerOnlyAndASecondHostIsRefused() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        IOException e = assertThrows(IOException.class, () -> ControlServer.start(host, null, socket));
        assertEquals("a vmm host is running on " + socket + " already", e.getMessage());
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(c.request(ControlClient.request("ping")).path("ok").asBoolean());
        }
    }

    /**
     * The owner of a server closes it as soon as a {@code shutdown} request arrives (as
     * {@code vmm host} does); the client that asked must still get its reply. Repeated, because
     * the reply used to race the close.
     */
    @Test
    void shutdownIsAnsweredBeforeTheServerCloses() throws Exception {
        server.close();
        for (int i = 0; i < 100; i++) {
            Path s = dir.resolve("shutdown-" + i + ".sock");
            ControlServer owned = ControlServer.start(host, null, s);
            Thread owner = Thread.ofPlatform().start(() -> {
                try {
                    owned.awaitShutdown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                owned.close();
            });
            try (ControlClient c = ControlClient.connect(s)) {
                assertTrue(c.request(ControlClient.request("shutdown")).path("ok").asBoolean(), "round " + i);
            }
            owner.join();
            assertFalse(Files.exists(s), "the socket is removed");
        }
    }

    @Test
    void startListStopWithASecondClient() throws Exception {
        try (ControlClient a = ControlClient.connect(socket); ControlClient b = ControlClient.connect(socket)) {
            assertTrue(ask(a, "start", "spin").path("ok").asBoolean());
            assertTrue(ask(b, "start", "echo").path("ok").asBoolean());
            JsonNode list = b.request(ControlClient.request("list"));
            assertEquals("running", vm(list, "spin").path("state").asText());
            assertEquals(32 * MIB, vm(list, "spin").path("reservedBytes").asLong());
            assertEquals(24 * MIB, vm(list, "echo").path("reservedBytes").asLong());
            assertEquals(56 * MIB, list.path("pool").path("usedBytes").asLong());
            assertEquals(64 * MIB, list.path("pool").path("budgetBytes").asLong());
            assertTrue(vm(list, "spin").path("residentBytes").asLong() < 32 * MIB, "lazily backed: " + list);

            JsonNode again = ask(a, "start", "spin");
            assertFalse(again.path("ok").asBoolean());
            assertEquals("spin is running already", again.path("error").asText());

            await(() -> instructions(a, "spin") > 100_000, "spin to run");
            assertTrue(ask(b, "stop", "spin").path("ok").asBoolean());
            await(() -> {
                try {
                    return vm(a.request(ControlClient.request("list")), "spin").path("state").asText()
                            .equals("stopped");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }, "spin to stop");
            JsonNode after = a.request(ControlClient.request("list"));
            assertEquals("stopped by host", vm(after, "spin").path("reason").asText());
            assertEquals(0, vm(after, "spin").path("reservedBytes").asLong());
            assertEquals(24 * MIB, after.path("pool").path("usedBytes").asLong(), "spin's memory went back");
            assertEquals("running", vm(after, "echo").path("state").asText());
            assertTrue(ask(a, "start", "spin").path("ok").asBoolean(), "a stopped VM starts again");
        }
    }

    @Test
    void malformedRequestsGetErrorsAndDisturbNoVm() throws Exception {
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(ask(c, "start", "spin").path("ok").asBoolean());
            String[][] cases = {
                {"not json", "malformed request: "},
                {"[1, 2]", "malformed request: not a JSON object"},
                {"{}", "malformed request: no \"op\" string"},
                {"{\"op\": 5}", "malformed request: no \"op\" string"},
                {"{\"op\": \"start\"} trailing", "malformed request: "},
                {"{\"op\": \"start\"}", "request needs a \"name\" string"},
                {"{\"op\": \"start\", \"name\": \"../etc\"}", "VM name must be 1-64 letters"},
                {"{\"op\": \"start\", \"name\": \"echo\", \"cpuWeight\": 0}", "\"cpuWeight\" must be an integer from 1"},
                {"{\"op\": \"start\", \"name\": \"echo\", \"cpuCap\": 2.5}", "\"cpuCap\" must be an integer from 0"},
                {"{\"op\": \"start\", \"name\": \"ghost\"}", "no VM named ghost"},
                {"{\"op\": \"pause\", \"name\": \"ghost\"}", "no VM named ghost"},
                {"{\"op\": \"frobnicate\"}", "unknown op 'frobnicate'"},
                {"{\"op\": \"monitor\", \"name\": \"spin\"}", "request needs a \"line\" string"},
            };
            for (String[] k : cases) {
                long before = instructions(c, "spin");
                JsonNode r = c.requestLine(k[0]);
                assertFalse(r.path("ok").asBoolean(), k[0]);
                assertTrue(r.path("error").asText().startsWith(k[1]), k[0] + " -> " + r);
                assertFalse(r.path("error").asText().contains("\n"), "one line: " + r);
                await(() -> instructions(c, "spin") > before, "the VM to go on after " + k[0]);
            }
            assertTrue(c.request(ControlClient.request("ping")).path("ok").asBoolean(), "the connection goes on");
            // a request longer than the limit gets an error and the connection ends
            JsonNode tooLong = c.requestLine("{\"op\": \"ping\", \"pad\": \"" + "x".repeat(ControlProtocol.MAX_LINE)
                    + "\"}");
            assertEquals("request longer than 65536 bytes", tooLong.path("error").asText());
        }
        try (ControlClient c = ControlClient.connect(socket)) {
            assertEquals("running", vm(c.request(ControlClient.request("list")), "spin").path("state").asText());
        }
    }

    @Test
    void poolRefusesWhatDoesNotFitAndGetsMemoryBack() throws Exception {
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(ask(c, "start", "big").path("ok").asBoolean());
            JsonNode refused = ask(c, "start", "spin");
            assertEquals("cannot reserve 32 MiB for spin: 16 MiB of the 64 MiB budget left (big holds 48 MiB)",
                    refused.path("error").asText());
            assertTrue(ask(c, "stop", "big").path("ok").asBoolean());
            await(() -> {
                try {
                    return ask(c, "start", "spin").path("ok").asBoolean();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }, "the pool to have room once big stopped");
            assertEquals(32 * MIB, c.request(ControlClient.request("list")).path("pool").path("usedBytes").asLong());
        }
    }

    @Test
    void aTripleFaultStopsThatVmAlone() throws Exception {
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(ask(c, "start", "spin").path("ok").asBoolean());
            assertTrue(ask(c, "start", "crash").path("ok").asBoolean());
            await(() -> {
                try {
                    return vm(c.request(ControlClient.request("list")), "crash").path("state").asText()
                            .equals("stopped");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }, "crash to stop");
            JsonNode list = c.request(ControlClient.request("list"));
            assertEquals("triple fault (shutdown)", vm(list, "crash").path("reason").asText());
            long before = vm(list, "spin").path("instructions").asLong();
            await(() -> instructions(c, "spin") > before, "spin to go on");
            assertEquals("running", vm(c.request(ControlClient.request("list")), "spin").path("state").asText());
        }
    }

    /** Reads from {@code in} until {@code text} has come (bounded). */
    private static String readUntil(InputStream in, String text) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[256];
        while (!got.toString(StandardCharsets.ISO_8859_1).contains(text)) {
            int n = in.read(buf);
            if (n < 0) {
                throw new AssertionError("end of stream before '" + text + "': " + got);
            }
            got.write(buf, 0, n);
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void consoleAttachesTypesAndDetachesWithoutStoppingTheVm() throws Exception {
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(ask(c, "start", "echo").path("ok").asBoolean());
            for (int round = 0; round < 2; round++) {
                try (ControlClient con = ControlClient.connect(socket)) {
                    assertTrue(ask(con, "console", "echo").path("ok").asBoolean());
                    assertTrue(readUntil(con.input(), "hi\n").startsWith("hi\n"), "the ring replays the banner");
                    String word = "abc" + round;
                    con.output().write(word.getBytes(StandardCharsets.US_ASCII));
                    con.output().flush();
                    readUntil(con.input(), word);
                }
            }
            assertEquals("running", vm(c.request(ControlClient.request("list")), "echo").path("state").asText());
            JsonNode bad = ask(c, "console", "ghost");
            assertEquals("no VM named ghost", bad.path("error").asText());
        }
    }

    private static JsonNode monitor(ControlClient c, String name, String line) throws IOException {
        return c.request(ControlClient.request("monitor").put("name", name).put("line", line));
    }

    private static long retired(String registers) {
        int at = registers.indexOf("instructions retired: ");
        return Long.parseLong(registers.substring(at + 22, registers.indexOf('\n', at)));
    }

    @Test
    void monitorCommandsOverTheSocket() throws Exception {
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(ask(c, "start", "spin").path("ok").asBoolean());
            assertEquals("VM status: running\n", monitor(c, "spin", "info status").path("output").asText());
            assertEquals("00100000: 0xeb 0xfe\n", monitor(c, "spin", "xp/2xb 0x100000").path("output").asText(),
                    "the kernel where the loader put it");
            assertEquals("", monitor(c, "spin", "stop").path("output").asText());
            assertEquals("paused", vm(c.request(ControlClient.request("list")), "spin").path("state").asText());
            long paused = instructions(c, "spin");
            String regs = monitor(c, "spin", "info registers").path("output").asText();
            assertTrue(regs.contains("EIP=00100000"), regs);
            assertTrue(regs.contains("CS =0010 00000000 ffffffff 00c09"), "the loader's flat code segment: " + regs);
            long retired = retired(regs);
            String step = monitor(c, "spin", "step").path("output").asText();
            assertTrue(step.startsWith("00100000:  eb fe"), step);
            assertEquals(retired + 1, retired(monitor(c, "spin", "info registers").path("output").asText()),
                    "one instruction stepped");
            assertEquals("", monitor(c, "spin", "cont").path("output").asText());
            await(() -> instructions(c, "spin") > paused + 1000, "spin to run on");
            Path png = dir.resolve("shot.png");
            assertEquals("", monitor(c, "spin", "screendump " + png).path("output").asText());
            assertEquals(720, javax.imageio.ImageIO.read(png.toFile()).getWidth());
            JsonNode quit = monitor(c, "spin", "quit");
            assertTrue(quit.path("quit").asBoolean());
            await(() -> {
                try {
                    return vm(c.request(ControlClient.request("list")), "spin").path("state").asText()
                            .equals("stopped");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }, "quit to stop the VM");
            assertEquals("no machine is running\n", monitor(c, "spin", "info registers").path("output").asText());
        }
    }

    @Test
    void aRunningHostVmIsSavedAndGoesOnAndTheSnapshotRestores() throws Exception {
        Path file = dir.resolve("spin.vmmsnap");
        long saved;
        try (ControlClient c = ControlClient.connect(socket)) {
            assertTrue(ask(c, "start", "spin").path("ok").asBoolean());
            await(() -> instructions(c, "spin") >= 1_000_000, "the VM to run");
            JsonNode r = c.request(ControlClient.request("savevm").put("name", "spin").put("file", file.toString()));
            assertTrue(r.path("ok").asBoolean(), r.toString());
            Matcher m = Pattern.compile("saved " + Pattern.quote(file.toString()) + " at instruction (\\d+) ")
                    .matcher(r.path("output").asText());
            assertTrue(m.find(), r.toString());
            saved = Long.parseLong(m.group(1));
            await(() -> instructions(c, "spin") > saved + 1_000_000, "the VM to go on after the save");
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

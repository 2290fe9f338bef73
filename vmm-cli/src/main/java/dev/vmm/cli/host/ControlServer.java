package dev.vmm.cli.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vmm.cli.BootFiles;
import dev.vmm.cli.SavedState;
import dev.vmm.cli.monitor.MonitorCommands;
import dev.vmm.core.monitor.PoolExhaustedException;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.board.VmHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's control API: a Unix domain socket (owner-only, mode 0600) taking one JSON object per
 * line and answering each with one JSON object per line ({@link ControlProtocol}). Every
 * connection has its own (virtual) thread; a malformed request gets an error reply and the
 * connection goes on, and nothing a client sends reaches a VM but through the requests. A
 * {@code console} request turns the connection into the VM's serial line.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    private final VmHost host;
    private final VmStore store;
    /** The kernels and initrds the VMs boot, shared by VMs that boot the same file. */
    private final BootFiles bootFiles = BootFiles.shared();
    private final Path socket;
    private final ServerSocketChannel server;
    private final Map<String, Guest> guests = new ConcurrentHashMap<>();
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final CountDownLatch shutdown = new CountDownLatch(1);
    private final Thread acceptor;
    private final Thread sampler;
    private volatile boolean closed;

    /** What the server keeps of a started VM besides the host's own record. */
    private record Guest(GuestMachine machine, HostedSerial serial, CpuMeter cpu, AtomicBoolean suspending) {
        Guest(GuestMachine machine, HostedSerial serial, CpuMeter cpu) {
            this(machine, serial, cpu, new AtomicBoolean());
        }

        boolean suspended() {
            return suspending.get();
        }

        void suspend() {
            suspending.set(true);
        }
    }

    /** How often the recent CPU use of every VM is sampled ({@link CpuMeter}). */
    static final long CPU_SAMPLE_MILLIS = 1000;

    private ControlServer(VmHost host, VmStore store, Path socket, ServerSocketChannel server) {
        this.host = host;
        this.store = store;
        this.socket = socket;
        this.server = server;
        this.acceptor = Thread.ofPlatform().name("vmm-control").daemon(true).unstarted(this::acceptLoop);
        this.sampler = Thread.ofVirtual().name("vmm-cpu-sampler").unstarted(this::sampleLoop);
    }

    /**
     * Listens on {@code socket}: refuses if a host answers there already, replaces a stale socket
     * file. The socket is bound in a private directory, made owner-only and then renamed into
     * place, so no other user can connect in between.
     */
    public static ControlServer start(VmHost host, VmStore store, Path socket) throws IOException {
        Path dir = socket.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        if (Files.exists(socket)) {
            if (ControlClient.answers(socket)) {
                throw new IOException("a vmm host is running on " + socket + " already");
            }
            Files.delete(socket);               // stale: its host is gone
        }
        Path tmpDir = Files.createTempDirectory(dir, ".vmm-sock",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = tmpDir.resolve("s");
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(tmp));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, socket, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(tmpDir);
        }
        ControlServer s = new ControlServer(host, store, socket, ch);
        s.acceptor.start();
        s.sampler.start();
        log.info("control socket {}", socket);
        return s;
    }

    public Path socket() {
        return socket;
    }

    /** Waits until a client asks the host to shut down (or {@link #close()}). */
    public void awaitShutdown() throws InterruptedException {
        shutdown.await();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("control socket: {}", e.toString());
                }
                return;
            }
            connections.add(c);
            Thread.ofVirtual().name("vmm-control-client").start(() -> serve(c));
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            InputStream in = new java.io.BufferedInputStream(Channels.newInputStream(c));
            OutputStream out = Channels.newOutputStream(c);
            while (!closed) {
                ControlProtocol.Line line = ControlProtocol.readLine(in);
                if (line == null) {
                    return;
                }
                if (line.tooLong()) {
                    ControlProtocol.write(out, ControlProtocol.error("request longer than "
                            + ControlProtocol.MAX_LINE + " bytes"));
                    return;                     // the rest of it cannot be told from the next request
                }
                JsonNode request;
                try {
                    request = ControlProtocol.parse(line.text());
                } catch (IllegalArgumentException e) {
                    ControlProtocol.write(out, ControlProtocol.error(e.getMessage()));
                    continue;
                }
                String op = request.get("op").asText();
                if (op.equals("console")) {
                    console(c, request, in, out);
                    return;
                }
                ControlProtocol.write(out, handle(op, request));
                if (op.equals("shutdown")) {
                    // only now: the owner closes every connection once it sees the shutdown,
                    // and a reply still being written would be cut off (the client saw EOF)
                    shutdown.countDown();
                    return;
                }
            }
        } catch (IOException e) {
            log.debug("control client: {}", e.toString());
        } finally {
            connections.remove(c);
        }
    }

    /** One request's reply; never throws for a request the client got wrong. */
    ObjectNode handle(String op, JsonNode r) {
        try {
            return switch (op) {
                case "ping" -> ControlProtocol.ok().put("pid", ProcessHandle.current().pid());
                case "list" -> list();
                case "start" -> start(r);
                case "pause" -> {
                    host.pause(ControlProtocol.name(r));
                    yield ControlProtocol.ok();
                }
                case "resume" -> {
                    host.resume(ControlProtocol.name(r));
                    yield ControlProtocol.ok();
                }
                case "stop" -> stop(ControlProtocol.name(r));
                case "monitor" -> monitor(r);
                case "savevm" -> savevm(r);
                case "suspend" -> suspend(r);
                case "shutdown" -> ControlProtocol.ok();     // signalled once the reply is out (serve)
                default -> ControlProtocol.error("unknown op '" + op + "' (ops: ping, list, start, pause, resume, "
                        + "stop, suspend, monitor, savevm, console, shutdown)");
            };
        } catch (IllegalArgumentException | IllegalStateException | NoSuchElementException e) {
            return ControlProtocol.error(e.getMessage());
        } catch (PoolExhaustedException e) {
            return ControlProtocol.error(e.getMessage());
        } catch (IOException e) {
            return ControlProtocol.error(e.getMessage());
        } catch (RuntimeException e) {
            log.warn("control request {} failed", op, e);
            return ControlProtocol.error(op + " failed: " + e);
        }
    }

    /**
     * Starts VM {@code name}: from its saved state if it is suspended (the state is checked first,
     * and removed once the VM runs: it resumes where it was), else booting afresh.
     * {@code discardState}: drop the saved state and boot afresh.
     */
    private ObjectNode start(JsonNode r) throws IOException {
        String name = ControlProtocol.name(r);
        int weight = ControlProtocol.intField(r, "cpuWeight", 1, 1, 10_000);
        int cap = ControlProtocol.intField(r, "cpuCap", 0, 0, 100);
        boolean discard = r.path("discardState").asBoolean(false);
        VmDefinition def = store.load(name);
        synchronized (guests) {
            VmHost.VmInfo old = infoOrNull(name);
            if (old != null && old.state() != VmHost.State.STOPPED) {
                throw new IllegalStateException(name + " is " + old.state().name().toLowerCase(Locale.ROOT)
                        + " already");
            }
            if (discard) {
                SavedStates.discard(store, name);
            }
            SavedState saved = null;
            if (store.suspended(name)) {
                try {
                    saved = SavedState.load(store.statePath(name));
                } catch (IOException e) {
                    throw resumeRefused(name, e);
                }
            } else {
                SavedStates.removeLeftovers(store, name);
            }
            if (old != null) {
                host.remove(name);
            }
            HostedSerial serial = new HostedSerial();
            GuestMachine machine;
            try {
                machine = GuestMachine.open(def, serial, store, saved, bootFiles);
            } catch (IOException e) {
                throw saved == null ? e : resumeRefused(name, e);
            }
            VmHost.Vm vm;
            try {
                vm = host.create(name, def.memoryBytes(), machine, weight, cap);
            } catch (RuntimeException e) {
                machine.close();
                if (e instanceof java.io.UncheckedIOException u) {
                    throw resumeRefused(name, u.getCause());
                }
                throw e;
            }
            Guest g = new Guest(machine, serial, new CpuMeter(System.nanoTime()));
            guests.put(name, g);
            vm.stopped().whenComplete((info, err) -> {
                machine.close();
                serial.finish("\r\n[vmm: " + name + " " + (g.suspended() ? "suspended" : "stopped: "
                        + (info == null ? "?" : info.reason())) + "]\r\n");
            });
            host.start(name);
            if (saved != null) {
                Files.deleteIfExists(store.statePath(name));     // resumed: the state is spent
                return ControlProtocol.ok().put("output", "resumed " + name + " at instruction "
                        + saved.instructions());
            }
        }
        return ControlProtocol.ok();
    }

    private static IOException resumeRefused(String name, IOException e) {
        return new IOException("cannot resume " + name + " from its saved state: " + VmStore.firstLine(e.getMessage())
                + " (vmm start " + name + " --discard-state boots it afresh)", e);
    }

    /**
     * {@code suspend}: saves VM {@code name}'s state into its files directory and stops it (its
     * memory returns to the pool); {@code start} resumes it.
     */
    private ObjectNode suspend(JsonNode r) throws IOException {
        String name = ControlProtocol.name(r);
        synchronized (guests) {
            VmHost.State state = host.info(name).state();
            Guest g = guests.get(name);
            if (g == null || state == VmHost.State.STOPPED || state == VmHost.State.CREATED) {
                throw new IllegalStateException(name + " is not running");
            }
            Path file = store.statePath(name);
            Files.createDirectories(file.getParent());
            boolean running = state == VmHost.State.RUNNING;
            if (running) {
                host.pause(name);
            }
            PcBoard b = host.vm(name).board();
            String saved;
            try {
                saved = b.gate().call(() -> {
                    try {
                        return g.machine().suspend(b, file);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            } catch (java.io.UncheckedIOException e) {
                if (running) {
                    host.resume(name);
                }
                throw e.getCause();
            }
            g.suspend();
            host.stop(name);
            awaitStopped(name);             // the disks are closed before the reply: the state is complete
            return ControlProtocol.ok().put("output", saved.replaceFirst("^saved ", "suspended " + name + " to "));
        }
    }

    private VmHost.VmInfo infoOrNull(String name) {
        try {
            return host.info(name);
        } catch (NoSuchElementException e) {
            return null;
        }
    }

    /** Stops VM {@code name} and returns once it is off the CPU and its disks are closed (30 s at most). */
    private ObjectNode stop(String name) {
        host.stop(name);
        awaitStopped(name);
        return ControlProtocol.ok();
    }

    /** Waits until VM {@code name} stopped (30 s at most), then closes its images (flushed, unlocked). */
    private void awaitStopped(String name) {
        try {
            host.vm(name).stopped().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("{} did not stop in time: {}", name, e.toString());
            return;
        }
        Guest g = guests.get(name);
        if (g != null) {
            g.machine().close();
        }
    }

    /**
     * {@code list}: the host's VMs (a stopped VM with a saved state reads "suspended"), then the
     * suspended VMs of the store the host has not run.
     */
    private ObjectNode list() throws IOException {
        ObjectNode reply = ControlProtocol.ok();
        ObjectNode pool = reply.putObject("pool");
        pool.put("budgetBytes", host.pool().budget());
        pool.put("usedBytes", host.pool().used());
        ArrayNode vms = reply.putArray("vms");
        long now = System.nanoTime();
        Set<String> listed = new java.util.HashSet<>();
        for (VmHost.VmInfo i : host.list()) {
            ObjectNode v = vms.addObject();
            listed.add(i.name());
            v.put("name", i.name());
            String state = SavedStates.state(store, i.name(), i.state().name().toLowerCase(Locale.ROOT));
            v.put("state", state);
            v.put("reservedBytes", i.reservedBytes());
            v.put("residentBytes", i.residentBytes());
            v.put("cpuNanos", i.cpuNanos());
            v.put("instructions", i.instructions());
            v.put("cpuWeight", i.weight());
            v.put("cpuCap", i.capPercent());
            Guest g = guests.get(i.name());
            if (g != null && i.state() != VmHost.State.STOPPED) {
                double p = g.cpu().percent(now, i.cpuNanos());
                if (p >= 0) {
                    v.put("cpuPercent", p);     // of one core, over the last 1-2 seconds
                }
            }
            if (state.equals("suspended")) {
                v.put("reason", "saved state " + store.statePath(i.name()));
            } else if (i.reason() != null) {
                v.put("reason", i.reason());
            }
        }
        for (String n : store.suspendedNames()) {
            if (!listed.contains(n)) {
                ObjectNode v = vms.addObject();
                v.put("name", n).put("state", "suspended").put("reservedBytes", 0).put("residentBytes", 0)
                        .put("cpuNanos", 0).put("instructions", 0).put("cpuWeight", 1).put("cpuCap", 0)
                        .put("reason", "saved state " + store.statePath(n));
            }
        }
        return reply;
    }

    /** Samples every VM's CPU time once a second, for the recent CPU use that {@code list} reports. */
    private void sampleLoop() {
        try {
            while (!closed) {
                Thread.sleep(CPU_SAMPLE_MILLIS);
                try {
                    long now = System.nanoTime();
                    for (VmHost.VmInfo i : host.list()) {
                        Guest g = guests.get(i.name());
                        if (g != null) {
                            g.cpu().sample(now, i.cpuNanos());
                        }
                    }
                } catch (RuntimeException e) {
                    log.warn("sampling the VMs' CPU time: {}", e.toString());    // next second again
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private ObjectNode monitor(JsonNode r) {
        String name = ControlProtocol.name(r);
        String line = ControlProtocol.textField(r, "line");
        host.info(name);                        // no such VM: an error reply
        MonitorCommands.Reply reply = new MonitorCommands(target(name)).execute(line);
        return ControlProtocol.ok().put("output", reply.text()).put("quit", reply.quit());
    }

    /** The monitor's target for VM {@code name}; {@code savevm} saves it through its machine. */
    private HostedTarget target(String name) {
        return new HostedTarget(host, name, (b, f) -> {
            Guest g = guests.get(name);
            if (g == null) {
                throw new IOException(name + " is not running");
            }
            return g.machine().save(b, f);
        });
    }

    /** {@code savevm}: saves VM {@code name} to {@code file} (an absolute path); the VM goes on. */
    private ObjectNode savevm(JsonNode r) throws IOException {
        String name = ControlProtocol.name(r);
        Path file = Path.of(ControlProtocol.textField(r, "file"));
        if (!file.isAbsolute()) {
            throw new IllegalArgumentException("savevm: the file name must be absolute: " + file);
        }
        host.info(name);                        // no such VM: an error reply
        return ControlProtocol.ok().put("output", target(name).saveVm(file));
    }

    /** The connection becomes the VM's serial line until the client goes away. */
    private void console(SocketChannel c, JsonNode r, InputStream in, OutputStream out) throws IOException {
        Guest g;
        String name;
        try {
            name = ControlProtocol.name(r);
            host.info(name);
            g = guests.get(name);
            if (g == null || host.info(name).state() == VmHost.State.STOPPED) {
                throw new IllegalStateException(name + " is not running");
            }
        } catch (IllegalArgumentException | IllegalStateException | NoSuchElementException e) {
            ControlProtocol.write(out, ControlProtocol.error(e.getMessage()));
            return;
        }
        ControlProtocol.write(out, ControlProtocol.ok());
        // when the VM stops, its last words are written and the connection closes
        HostedSerial.Client client = g.serial().attach(out, name, () -> closeQuietly(c));
        try {
            byte[] buf = new byte[1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                g.serial().type(buf, 0, n);
            }
        } finally {
            g.serial().detach(client);
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            log.debug("closing a console connection: {}", e.toString());
        }
    }

    /** Stops listening and drops every connection; the VMs belong to the caller's {@link VmHost}. */
    @Override
    public void close() {
        closed = true;
        shutdown.countDown();
        try {
            server.close();
        } catch (IOException e) {
            log.debug("closing the control socket: {}", e.toString());
        }
        for (SocketChannel c : connections) {
            try {
                c.close();
            } catch (IOException e) {
                log.debug("closing a control connection: {}", e.toString());
            }
        }
        try {
            acceptor.join(java.time.Duration.ofSeconds(5));
            sampler.interrupt();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("removing {}: {}", socket, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.vmm.cli.host;

import dev.vmm.core.monitor.MemoryPool;
import dev.vmm.core.monitor.Scheduler;
import dev.vmm.core.monitor.Sizes;
import dev.vmm.devices.board.VmHost;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vmm host}: runs VMs for the client commands, with a memory pool, a fixed pool of worker
 * threads and the control socket, until a {@code shutdown} request or a signal (SIGINT, SIGTERM),
 * which stop every VM.
 */
@Command(name = "host", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a VM host: start VMs on it with vmm start, list them with vmm ps.",
                "Example: vmm host --memory-pool 8G"})
public final class HostCommand implements Callable<Integer> {
    /** Scheduler quantum in instructions, and the cap accounting period. */
    static final long QUANTUM = 100_000;
    static final long PERIOD_NANOS = 100_000_000L;

    @Spec
    private CommandSpec spec;

    @Mixin
    private HostOptions options;

    @Option(names = "--memory-pool", paramLabel = "SIZE", defaultValue = "4G",
            description = "Guest RAM the host may hand out in total (default: ${DEFAULT-VALUE}).")
    private String memoryPool;

    @Option(names = "--workers", paramLabel = "N",
            description = "Worker threads running the vCPUs (default: the host's cores).")
    private Integer workers;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        long budget;
        int n = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        try {
            budget = SizeParser.parse(memoryPool, "--memory-pool");
            if (budget <= 0 || n < 1 || n > 1024) {
                throw new IllegalArgumentException("--memory-pool must be positive and --workers 1..1024");
            }
        } catch (IllegalArgumentException e) {
            err.println("vmm host: " + e.getMessage());
            return 2;
        }
        VmmPaths paths = options.paths();
        Scheduler scheduler = Scheduler.threaded(n, QUANTUM, PERIOD_NANOS);
        VmHost host = new VmHost(new MemoryPool(budget), scheduler);
        try {
            ControlServer server;
            try {
                server = ControlServer.start(host, new VmStore(paths), paths.socket());
            } catch (IOException e) {
                err.println("vmm host: " + e.getMessage());
                return 2;
            }
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            Thread hook = new Thread(() -> {         // SIGINT/SIGTERM: stop the VMs before the JVM ends
                server.close();
                try {
                    done.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "vmm-host-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("vmm host: listening on %s (memory pool %s, %d workers)%n", paths.socket(),
                    Sizes.format(budget), n);
            out.flush();
            try {
                server.awaitShutdown();
            } finally {
                host.close();
                server.close();
                done.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // shutting down already
                }
            }
            out.println("vmm host: stopped");
            out.flush();
        } finally {
            host.close();
            scheduler.close();
        }
        return 0;
    }
}

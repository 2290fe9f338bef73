package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.core.monitor.MemoryPool;
import dev.vmm.core.monitor.Scheduler;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 9's scheduler figures on real boards (deterministic scheduler: one instruction = one ns),
 * isolation of a VM whose emulation throws, reboots, and the HLT fix: an idle real-time guest
 * gives its worker thread back instead of parking on it.
 */
class HostSchedulingTest {
    private static final Logger log = LoggerFactory.getLogger(HostSchedulingTest.class);
    private static final long MIB = 1L << 20;
    /** jmp $ */
    static final int[] SPIN = {0xEB, 0xFE};
    /** Masks the 8259s, then sti; hlt; jmp hlt: idle with interrupts on and nothing to wake it. */
    static final int[] HALT = {0xB0, 0xFF, 0xE6, 0x21, 0xE6, 0xA1, 0xFB, 0xF4, 0xEB, 0xFD};
    /** out 0x99, al: a port whose emulation throws (registered by the test). */
    static final int[] THROW = {0xE6, 0x99, 0xEB, 0xFE};
    /** Counts [0x500] up, and at 3 pulses the 8042 reset line: a reboot each time. */
    static final int[] REBOOT = {
        0xFF, 0x06, 0x00, 0x05,             // 7C00 inc word [0x500]
        0xB0, 0xFE, 0xE6, 0x64,             //      mov al, 0xfe; out 0x64, al (reset)
        0xEB, 0xFE,                         //      jmp $
    };

    private static BoardConfig config(boolean deterministic) {
        return BoardConfig.builder().memory(16 * MIB).deterministic(deterministic).debugExit(true).config();
    }

    private static PcBoard boot(PcBoard b, int[] code) {
        for (int k = 0; k < code.length; k++) {
            b.memory().write8(0x7C00 + k, code[k]);
        }
        Cpu cpu = b.cpu();
        Segment cs = cpu.seg[Cpu.CS];
        cs.selector = 0;
        cs.base = 0;
        cs.refresh();
        cpu.rip = 0x7C00;
        return b;
    }

    private static VmHost.Vm create(VmHost host, String name, int[] code, int weight, int cap, boolean det) {
        VmHost.Vm vm = host.create(name, config(det), weight, cap);
        boot(vm.board(), code);
        return vm;
    }

    @Test
    void weightsOneOneTwoFourGetTheirSharesWithinTenPercent() {
        try (Scheduler s = Scheduler.deterministic(10_000, 1_000_000);
             VmHost host = new VmHost(new MemoryPool(256 * MIB), s)) {
            int[] weights = {1, 1, 2, 4};
            for (int k = 0; k < 4; k++) {
                create(host, "w" + k, SPIN, weights[k], 0, true);
                host.start("w" + k);
            }
            s.runQuanta(4000);
            long total = 0;
            long[] got = new long[4];
            for (int k = 0; k < 4; k++) {
                got[k] = host.info("w" + k).cpuNanos();
                total += got[k];
            }
            StringBuilder figures = new StringBuilder();
            for (int k = 0; k < 4; k++) {
                double share = (double) got[k] / total;
                double expected = weights[k] / 8.0;
                figures.append(String.format(" w%d=%.4f(expected %.4f)", weights[k], share, expected));
                assertEquals(expected, share, expected * 0.10, "weight " + weights[k] + ": " + figures);
            }
            log.info("fairness 1:1:2:4 over {} quanta:{}", 4000, figures);
        }
    }

    @Test
    void aGuestCappedAtTwentyFivePercentStaysUnderTwentySevenAndAHaltedOneNearZero() {
        try (Scheduler s = Scheduler.deterministic(10_000, 1_000_000);
             VmHost host = new VmHost(new MemoryPool(256 * MIB), s)) {
            create(host, "capped", SPIN, 1, 25, true);
            create(host, "free", SPIN, 1, 0, true);
            create(host, "halted", HALT, 1, 0, true);
            host.start("capped");
            host.start("free");
            host.start("halted");
            s.runQuanta(3000);
            long now = s.now();
            double capped = (double) host.info("capped").cpuNanos() / now;
            double halted = (double) host.info("halted").cpuNanos() / now;
            log.info("capped at 25%: {} of one core; halted: {} ({} instructions)", String.format("%.4f", capped),
                    String.format("%.6f", halted), host.info("halted").instructions());
            assertTrue(capped <= 0.27, "capped share " + capped);
            assertTrue(capped >= 0.23, "and it gets its 25%: " + capped);
            assertTrue(halted < 0.001, "a halted guest costs nothing: " + halted);
            assertEquals(Scheduler.State.BLOCKED, taskState(s, "halted"), "halted with no timer: blocked");
        }
    }

    private static Scheduler.State taskState(Scheduler s, String name) {
        return s.tasks().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow().state();
    }

    @Test
    void aGuestWhoseEmulationThrowsStopsAloneAndAResetReboots() {
        try (Scheduler s = Scheduler.deterministic(10_000, 1_000_000);
             VmHost host = new VmHost(new MemoryPool(256 * MIB), s)) {
            VmHost.Vm bad = create(host, "bad", THROW, 1, 0, true);
            bad.board().io().register(0x99, 1, "broken", new PortIoDevice() {
                @Override
                public void ioWrite(int port, int size, int value) {
                    throw new IllegalStateException("emulation bug");
                }
            });
            create(host, "good", SPIN, 1, 0, true);
            AtomicInteger boots = new AtomicInteger();
            host.create("rebooter", 16 * MIB, () -> {
                boots.incrementAndGet();
                return boot(config(true).build(), REBOOT);
            }, 1, 0);
            host.start("bad");
            host.start("good");
            host.start("rebooter");
            s.runUntil(() -> boots.get() >= 4, 1000);
            VmHost.VmInfo b = host.info("bad");
            assertEquals(VmHost.State.STOPPED, b.state());
            assertTrue(b.reason().contains("emulation error") && b.reason().contains("emulation bug"), b.reason());
            assertEquals(0, b.reservedBytes(), "its memory went back to the pool");
            assertEquals(VmHost.State.RUNNING, host.info("good").state());
            assertEquals(VmHost.State.RUNNING, host.info("rebooter").state());
            assertEquals(4, boots.get(), "the first boot and three resets");
            assertEquals(0, host.vm("rebooter").board().memory().read16(0x500), "a reboot starts from fresh RAM");
            assertEquals(32 * MIB, host.pool().used());
        }
    }

    @Test
    void anIdleRealTimeGuestGivesItsWorkerBack() throws Exception {
        try (Scheduler s = Scheduler.threaded(1, 20_000, 10_000_000);
             VmHost host = new VmHost(new MemoryPool(64 * MIB), s)) {
            create(host, "idle", HALT, 1, 0, false);
            create(host, "spin", SPIN, 1, 0, false);
            host.start("idle");
            host.start("spin");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (taskState(s, "idle") != Scheduler.State.BLOCKED && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(Scheduler.State.BLOCKED, taskState(s, "idle"), "HLT with no timer: off the worker");
            long quanta = s.tasks().stream().filter(t -> t.name().equals("idle")).findFirst().orElseThrow().quanta();
            long spun = host.info("spin").instructions();
            while (host.info("spin").instructions() < spun + 2_000_000 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(host.info("spin").instructions() >= spun + 2_000_000, "the one worker runs the spinner");
            assertEquals(quanta, s.tasks().stream().filter(t -> t.name().equals("idle")).findFirst().orElseThrow()
                    .quanta(), "the halted guest took no quantum meanwhile");

            // an interrupt from another thread wakes it: the monitor's step, here the reset button
            host.vm("idle").board().requestReset();
            VmHost.VmInfo last = host.vm("idle").stopped().get(60, TimeUnit.SECONDS);
            assertEquals(PcBoard.ExitKind.RESET, last.exit().kind(), "woken, it saw the reset");
        }
    }

    @Test
    void aRealTimeTimerGuestSleepsBetweenTicksOnASharedWorker() throws Exception {
        try (Scheduler s = Scheduler.threaded(1, 20_000, 10_000_000);
             VmHost host = new VmHost(new MemoryPool(64 * MIB), s)) {
            VmHost.Vm timer = host.create("timer", config(false), 1, 0);
            int[] guest = new int[PcBoardTest.TIMER_GUEST.length];
            System.arraycopy(PcBoardTest.TIMER_GUEST, 0, guest, 0, guest.length);
            boot(timer.board(), guest);
            create(host, "spin", SPIN, 1, 0, false);
            host.start("timer");
            host.start("spin");
            VmHost.VmInfo done = timer.stopped().get(60, TimeUnit.SECONDS);
            assertEquals(new PcBoard.Exit(PcBoard.ExitKind.DEBUG_EXIT, (0x10 << 1) | 1), done.exit(),
                    "50 ticks of the 1 kHz PIT, each waking the halted guest");
            assertTrue(done.instructions() < 50 * 100, "a handful of instructions per tick: " + done.instructions());
            assertTrue(host.info("spin").instructions() > 0);
        }
    }
}

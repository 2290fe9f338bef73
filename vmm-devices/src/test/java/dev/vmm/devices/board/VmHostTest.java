package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.core.monitor.MemoryPool;
import dev.vmm.core.monitor.PoolExhaustedException;
import dev.vmm.core.monitor.ResidentMemory;
import dev.vmm.core.monitor.Scheduler;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Several real PCs under one host: shares, exits, isolation, the memory pool. */
class VmHostTest {
    private static final long MIB = 1L << 20;

    /** jmp $ */
    static final int[] SPIN = {0xEB, 0xFE};
    /** Counts [0x500] up 50000 times, then writes 0x21 to the debug-exit port. */
    static final int[] COUNT = {
        0xB9, 0x50, 0xC3,                   // 7C00 mov cx, 50000
        0xFF, 0x06, 0x00, 0x05,             // 7C03 inc word [0x500]
        0xE2, 0xFA,                         //      loop 7C03
        0xB0, 0x21,                         //      mov al, 0x21
        0xE6, 0xF4,                         //      out 0xf4, al
        0xF4,                               //      hlt
    };
    /** int3 with an empty IVT limit: #GP, #DF, triple fault. */
    static final int[] CRASH = {0xCC};

    private static BoardConfig config() {
        return config(16 * MIB);
    }

    private static BoardConfig config(long memory) {
        return BoardConfig.builder().memory(memory).deterministic(true).debugExit(true).config();
    }

    private static VmHost.Vm create(VmHost host, String name, int[] code, int weight, int cap) {
        VmHost.Vm vm = host.create(name, config(), weight, cap);
        PcBoard b = vm.board();
        for (int k = 0; k < code.length; k++) {
            b.memory().write8(0x7C00 + k, code[k]);
        }
        Cpu cpu = b.cpu();
        Segment cs = cpu.seg[Cpu.CS];
        cs.selector = 0;
        cs.base = 0;
        cs.refresh();
        cpu.rip = 0x7C00;
        if (code == CRASH) {
            cpu.idtLimit = 0;
        }
        return vm;
    }

    @Test
    void guestsRunTogetherAndOneExitingOrCrashingStopsAlone() {
        MemoryPool pool = new MemoryPool(64 * MIB);
        try (Scheduler s = Scheduler.deterministic(10_000, 1_000_000); VmHost host = new VmHost(pool, s)) {
            create(host, "spin", SPIN, 1, 0);
            create(host, "count", COUNT, 1, 0);
            create(host, "crash", CRASH, 1, 0);
            assertEquals(VmHost.State.CREATED, host.info("spin").state());

            PoolExhaustedException refused = assertThrows(PoolExhaustedException.class,
                    () -> host.create("big", config(32 * MIB)));
            assertEquals("cannot reserve 32 MiB for big: 16 MiB of the 64 MiB budget left "
                    + "(spin holds 16 MiB, count holds 16 MiB, crash holds 16 MiB)", refused.getMessage());
            assertThrows(java.util.NoSuchElementException.class, () -> host.info("big"));

            host.start("spin");
            host.start("count");
            host.start("crash");
            s.runUntil(() -> host.info("count").state() == VmHost.State.STOPPED, 1000);

            VmHost.VmInfo count = host.info("count");
            assertEquals(new PcBoard.Exit(PcBoard.ExitKind.DEBUG_EXIT, (0x21 << 1) | 1), count.exit());
            assertEquals(100_003, count.instructions(), "mov, 50000 x (inc, loop), mov, out");
            VmHost.VmInfo crash = host.info("crash");
            assertEquals(VmHost.State.STOPPED, crash.state());
            assertEquals(PcBoard.ExitKind.SHUTDOWN, crash.exit().kind());
            assertTrue(crash.reason().contains("triple fault"), crash.reason());
            VmHost.VmInfo spin = host.info("spin");
            assertEquals(VmHost.State.RUNNING, spin.state());
            assertNull(spin.exit());
            assertTrue(Math.abs(spin.instructions() - count.instructions()) <= 10_000,
                    "equal weights, equal shares: " + spin.instructions() + " vs " + count.instructions());

            // stopped VMs gave their memory back; the spinner goes on alone
            assertEquals(16 * MIB, pool.used());
            assertEquals(0, count.reservedBytes());
            assertEquals(100, s.runQuanta(100));
            assertEquals(spin.instructions() + 100 * 10_000, host.info("spin").instructions());
            VmHost.Vm late = host.create("late", config(32 * MIB));
            assertEquals(48 * MIB, pool.used());
            host.remove("late");
            assertEquals(VmHost.State.STOPPED, late.info().state());
            assertEquals(16 * MIB, pool.used());
        }
        assertEquals(0, pool.used(), "closing the host stops every VM and empties the pool");
    }

    @Test
    void weightsCapsPauseAndResumeOnRealBoards() {
        MemoryPool pool = new MemoryPool(64 * MIB);
        try (Scheduler s = Scheduler.deterministic(10_000, 1_000_000); VmHost host = new VmHost(pool, s)) {
            create(host, "heavy", SPIN, 2, 0);
            create(host, "light", SPIN, 1, 0);
            create(host, "capped", SPIN, 1, 10);
            host.start("heavy");
            host.start("light");
            host.start("capped");
            s.runQuanta(600);
            long heavy = host.info("heavy").instructions();
            long light = host.info("light").instructions();
            long capped = host.info("capped").instructions();
            assertEquals(2.0, (double) heavy / light, 0.05, heavy + " vs " + light);
            long periodsBegun = s.now() / 1_000_000 + 1;
            assertTrue(capped <= 100_000 * periodsBegun, "capped at 10%: " + capped + " in " + s.now());
            assertTrue(capped >= 100_000 * (periodsBegun - 1), "and gets its 10%: " + capped);

            host.pause("heavy");
            assertEquals(VmHost.State.PAUSED, host.info("heavy").state());
            s.runQuanta(50);
            assertEquals(heavy, host.info("heavy").instructions(), "a paused VM gets no CPU");
            host.resume("heavy");
            s.runQuanta(50);
            assertTrue(host.info("heavy").instructions() > heavy);

            host.stop("light");
            VmHost.VmInfo info = host.info("light");
            assertEquals(VmHost.State.STOPPED, info.state());
            assertEquals("stopped by host", info.reason());
            assertNull(info.exit());
            assertThrows(IllegalStateException.class, () -> host.remove("heavy"));
        }
    }

    @Test
    void listShowsReservedAndTouchedMemory() {
        MemoryPool pool = new MemoryPool(512 * MIB);
        try (Scheduler s = Scheduler.deterministic(10_000, 1_000_000); VmHost host = new VmHost(pool, s)) {
            VmHost.Vm vm = host.create("big", BoardConfig.builder().memory(256 * MIB).deterministic(true).config());
            vm.board().memory().write8(0x7C00, 0xEB);
            vm.board().memory().write8(0x7C01, 0xFE);
            VmHost.VmInfo info = host.list().getFirst();
            assertEquals("big", info.name());
            assertEquals(256 * MIB, info.reservedBytes());
            if (ResidentMemory.supported()) {
                assertTrue(info.residentBytes() > 0 && info.residentBytes() <= 8 * MIB,
                        "a guest that touched a few pages costs a few pages: " + info.residentBytes());
            } else {
                assertEquals(256 * MIB, info.residentBytes());
            }
        }
    }

    @Test
    void realWorkerThreadsRunTheGuestsUntilTheyStop() throws Exception {
        MemoryPool pool = new MemoryPool(64 * MIB);
        try (Scheduler s = Scheduler.threaded(2, 20_000, 10_000_000); VmHost host = new VmHost(pool, s)) {
            VmHost.Vm spin = create(host, "spin", SPIN, 1, 0);
            VmHost.Vm count = create(host, "count", COUNT, 1, 0);
            VmHost.Vm crash = create(host, "crash", CRASH, 1, 0);
            host.start("spin");
            host.start("count");
            host.start("crash");
            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, count.stopped().get(60, TimeUnit.SECONDS).exit().kind());
            assertEquals(PcBoard.ExitKind.SHUTDOWN, crash.stopped().get(60, TimeUnit.SECONDS).exit().kind());
            long seen = host.info("spin").instructions();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (host.info("spin").instructions() <= seen && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(host.info("spin").instructions() > seen, "the spinner keeps running");
            host.stop("spin");
            VmHost.VmInfo last = spin.stopped().get(60, TimeUnit.SECONDS);
            assertEquals(VmHost.State.STOPPED, last.state());
            assertEquals("stopped by host", last.reason());
            assertEquals(0, pool.used());
        }
    }
}

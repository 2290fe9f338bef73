package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.irq.InterruptSource;
import org.junit.jupiter.api.Test;

class VcpuLoopTest {
    /** An interrupt controller stand-in: one pending vector until acknowledged. */
    static final class OneShot implements InterruptSource {
        volatile boolean pending;
        int acks;

        @Override
        public boolean intrPending() {
            return pending;
        }

        @Override
        public int acknowledge() {
            pending = false;
            acks++;
            return 0x20;
        }
    }

    private static CpuFixture haltingGuest(OneShot pic) {
        CpuFixture f = new CpuFixture();
        // 0x7C00: HLT. Vector 0x20 -> 0000:8000, where the handler halts with IF clear.
        f.load(0x7C00, 0xF4).load(0x8000, 0xF4).load(0x20 * 4, 0x00, 0x80, 0x00, 0x00);
        f.real(0, 0x7C00);
        f.cpu.flags.bits |= Flags.IF;
        f.cpu.setInterruptSource(pic);
        return f;
    }

    @Test
    void deterministicHaltSkipsToTheTimerDeadline() {
        OneShot pic = new OneShot();
        try (CpuFixture f = haltingGuest(pic)) {
            VirtualClock clock = new VirtualClock(VirtualClock.Mode.DETERMINISTIC);
            clock.arm(clock.newTimer(() -> pic.pending = true), 5_000_000L);
            VcpuLoop loop = new VcpuLoop(f.cpu, clock);
            // The budget covers 10 ms of guest time (1 ns per instruction), idle time included.
            assertEquals(Cpu.Exit.HALT, loop.run(10_000_000));
            assertEquals(1, pic.acks);
            assertEquals(0x8001, f.cpu.rip, "the handler's HLT retired");
            assertTrue(clock.nanos() >= 5_000_000L, "guest time jumped to the deadline");
            assertEquals(1, loop.idleWaits());
            assertEquals(2, f.cpu.instructionCount());
        }
    }

    @Test
    void realtimeHaltParksUntilWoken() throws Exception {
        OneShot pic = new OneShot();
        try (CpuFixture f = haltingGuest(pic)) {
            VirtualClock clock = new VirtualClock(VirtualClock.Mode.REALTIME);
            VcpuLoop loop = new VcpuLoop(f.cpu, clock);
            Thread device = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                pic.pending = true;
                loop.wake();
            });
            assertEquals(Cpu.Exit.HALT, loop.run(1_000_000));
            device.join();
            assertEquals(1, pic.acks);
            assertEquals(0x8001, f.cpu.rip);
            // A spinning loop would have polled thousands of times in 200 ms; parking waits at most 50 ms a turn.
            assertTrue(loop.idleWaits() <= 10, "idle waits: " + loop.idleWaits());
        }
    }

    @Test
    void realtimeTickParksOncePerInterrupt() {
        OneShot pic = new OneShot();
        try (CpuFixture f = new CpuFixture()) {
            // 0x7C00: HLT; JMP 0x7C00. Vector 0x20 -> 0000:8000: IRET. An idle kernel with a periodic tick.
            f.load(0x7C00, 0xF4, 0xEB, 0xFD).load(0x8000, 0xCF).load(0x20 * 4, 0x00, 0x80, 0x00, 0x00);
            f.real(0, 0x7C00);
            f.cpu.flags.bits |= Flags.IF;
            f.cpu.setInterruptSource(pic);
            VirtualClock clock = new VirtualClock(VirtualClock.Mode.REALTIME);
            VcpuLoop loop = new VcpuLoop(f.cpu, clock);
            // The tick's device runs on the vCPU thread (from runDue) and wakes the loop, as the APIC does.
            VirtualClock.Timer[] t = new VirtualClock.Timer[1];
            t[0] = clock.newTimer(() -> {
                pic.pending = true;
                loop.wake();
                clock.arm(t[0], clock.nanos() + 1_000_000L);
            });
            clock.arm(t[0], 1_000_000L);
            assertEquals(Cpu.Exit.LIMIT, loop.run(150));     // HLT, IRET, JMP: 50 ticks
            assertTrue(pic.acks >= 49, "ticks: " + pic.acks);
            // One park per tick (a spurious early return of park may add one); a wake-up left behind by
            // the tick made it three: the handler's HLT returned at once, then a stale permit.
            assertTrue(loop.idleWaits() < pic.acks * 3 / 2, "idle waits " + loop.idleWaits() + " for " + pic.acks + " ticks");
        }
    }

    /** A timer that re-arms itself every millisecond, as a periodic PIT does. */
    private static void periodic(VirtualClock clock) {
        VirtualClock.Timer[] t = new VirtualClock.Timer[1];
        t[0] = clock.newTimer(() -> clock.arm(t[0], clock.nanos() + 1_000_000L));
        clock.arm(t[0], 1_000_000L);
    }

    @Test
    void haltWithInterruptsDisabledEndsTheRunEvenWithTimersRunning() {
        OneShot pic = new OneShot();
        try (CpuFixture f = haltingGuest(pic)) {
            f.cpu.flags.bits &= ~Flags.IF;
            VirtualClock clock = new VirtualClock(VirtualClock.Mode.DETERMINISTIC);
            periodic(clock);
            assertEquals(Cpu.Exit.HALT, new VcpuLoop(f.cpu, clock).run(1_000_000));
            assertEquals(1, f.cpu.instructionCount());
        }
    }

    @Test
    void deterministicIdleTimeCountsAgainstTheBudget() {
        OneShot pic = new OneShot();  // never raised: the timer's interrupt is "masked"
        try (CpuFixture f = haltingGuest(pic)) {
            VirtualClock clock = new VirtualClock(VirtualClock.Mode.DETERMINISTIC);
            periodic(clock);
            assertEquals(Cpu.Exit.LIMIT, new VcpuLoop(f.cpu, clock).run(10_000_000));
            assertEquals(10_000_000L, clock.nanos(), "guest time ran exactly to the budget (1 ns per instruction)");
            assertEquals(0, pic.acks);
        }
    }
}

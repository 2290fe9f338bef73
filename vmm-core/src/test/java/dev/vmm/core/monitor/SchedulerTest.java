package dev.vmm.core.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    /** A guest that spins: uses every instruction it is given. */
    static final class Spinner implements Vcpu {
        final AtomicLong ran = new AtomicLong();

        @Override
        public Result runQuantum(long instructions) {
            ran.addAndGet(instructions);
            return Result.used(instructions);
        }
    }

    @Test
    void weightsSplitTheCpuTwoToOne() {
        try (Scheduler s = Scheduler.deterministic(1000, 100_000)) {
            Spinner a = new Spinner();
            Spinner b = new Spinner();
            Scheduler.Task ta = s.add("a", a, 2, 0);
            Scheduler.Task tb = s.add("b", b, 1, 0);
            assertEquals(3000, s.runQuanta(3000));
            double ratio = (double) a.ran.get() / b.ran.get();
            assertEquals(2.0, ratio, 0.01, "a: " + a.ran + ", b: " + b.ran);
            assertEquals(a.ran.get(), ta.instructions());
            assertEquals(b.ran.get(), tb.instructions());
            assertEquals(3_000_000, s.now());
        }
    }

    @Test
    void fourWeightsOneOneTwoFour() {
        try (Scheduler s = Scheduler.deterministic(1000, 100_000)) {
            int[] weights = {1, 1, 2, 4};
            Spinner[] sp = new Spinner[4];
            for (int n = 0; n < 4; n++) {
                sp[n] = new Spinner();
                s.add("vm" + n, sp[n], weights[n], 0);
            }
            s.runQuanta(8000);
            for (int n = 0; n < 4; n++) {
                double share = sp[n].ran.get() / 8_000_000.0;
                assertEquals(weights[n] / 8.0, share, 0.005, "vm" + n);
            }
        }
    }

    @Test
    void aCappedVmGetsAtMostItsCap() {
        try (Scheduler s = Scheduler.deterministic(10_000, 100_000)) {
            Spinner capped = new Spinner();
            Spinner free = new Spinner();
            s.add("capped", capped, 1, 25);
            s.add("free", free, 1, 0);
            s.runQuanta(2000);
            long total = capped.ran.get() + free.ran.get();
            double share = (double) capped.ran.get() / total;
            long periodsBegun = s.now() / 100_000 + 1;
            assertTrue(capped.ran.get() <= 25_000 * periodsBegun, "at most 25% of every period: " + capped.ran);
            assertTrue(share < 0.26, "capped share " + share);
            assertTrue(share >= 0.24, "the cap is also what it gets when it wants more: " + share);
        }
    }

    @Test
    void aCappedVmAloneLeavesTheCoreIdle() {
        try (Scheduler s = Scheduler.deterministic(10_000, 100_000)) {
            Spinner capped = new Spinner();
            s.add("capped", capped, 1, 30);
            s.runQuanta(300);
            long periodsBegun = s.now() / 100_000 + 1;
            assertEquals(300 * 10_000, capped.ran.get());
            assertTrue(capped.ran.get() <= 30_000 * periodsBegun, "at most 30% of every period: " + s.now());
            assertTrue(capped.ran.get() >= 30_000 * (periodsBegun - 1), "and that much when it wants it");
        }
    }

    /** Spins for a while, then halts until woken. */
    static final class Sleeper implements Vcpu {
        long ran;
        long quanta;
        final long haltAfter;
        final boolean timed;

        Sleeper(long haltAfter, boolean timed) {
            this.haltAfter = haltAfter;
            this.timed = timed;
        }

        @Override
        public Result runQuantum(long instructions) {
            quanta++;
            ran += instructions;
            if (ran >= haltAfter) {
                return timed ? Result.idle(instructions, 1_000_000) : Result.blocked(instructions);
            }
            return Result.used(instructions);
        }
    }

    @Test
    void aHaltedVmUsesNoQuantaUntilWoken() {
        try (Scheduler s = Scheduler.deterministic(1000, 100_000)) {
            Spinner spin = new Spinner();
            Sleeper sleeper = new Sleeper(5000, false);
            s.add("spin", spin, 1, 0);
            Scheduler.Task ts = s.add("sleeper", sleeper, 1, 0);
            s.runQuanta(1000);
            assertEquals(5, sleeper.quanta, "runs until it halts, then gets nothing");
            assertEquals(Scheduler.State.BLOCKED, ts.state());
            assertEquals(995_000, spin.ran.get());
            ts.wake();
            assertEquals(Scheduler.State.RUNNABLE, ts.state());
            s.runQuanta(10);
            assertEquals(6, sleeper.quanta, "woken: one quantum, then it halts again");
            // woken tasks start at the runnable minimum: no burst of 990 quanta of catching up
            assertTrue(spin.ran.get() >= 995_000 + 9000);
        }
    }

    @Test
    void aVmAddedWhileTheOnlyOtherSleepsDoesNotStartBehindIt() {
        // A VM that ran alone for a while is asleep when a second one starts (a guest booting
        // through the BIOS halts now and then): the newcomer must start at the vruntime the first
        // one reached, not at 0, or the first one gets nothing until the newcomer has caught up.
        // bench/fairness.sh found this: the first of four guests got 57 % of its share.
        try (Scheduler s = Scheduler.deterministic(1000, 100_000)) {
            Sleeper first = new Sleeper(100_000, false);      // 100 quanta, then blocked
            Scheduler.Task tf = s.add("first", first, 1, 0);
            s.runQuanta(100);
            assertEquals(Scheduler.State.BLOCKED, tf.state());
            Spinner second = new Spinner();
            s.add("second", second, 1, 0);
            tf.wake();
            first.ran = Long.MIN_VALUE;                       // from now on it spins too
            s.runQuanta(100);
            assertEquals(50_000, second.ran.get(), 1000, "equal weights, equal shares from the start");
        }
    }

    @Test
    void anIdleVmWakesAtItsTimeAndIdleTimeIsSkipped() {
        try (Scheduler s = Scheduler.deterministic(1000, 100_000)) {
            Sleeper sleeper = new Sleeper(1000, true);
            Scheduler.Task t = s.add("sleeper", sleeper, 1, 0);
            assertEquals(10, s.runQuanta(10));
            assertEquals(10, sleeper.quanta);
            assertEquals(Scheduler.State.IDLE, t.state());
            assertEquals(1000 * 10 + 1_000_000 * 9, s.now(), "each idle millisecond is skipped, not spun");
        }
    }

    @Test
    void aFailingOrShutDownVmStopsAloneAndTheOthersContinue() throws Exception {
        try (Scheduler s = Scheduler.deterministic(1000, 100_000)) {
            Spinner spin = new Spinner();
            int[] calls = new int[2];
            Scheduler.Task broken = s.add("broken", n -> {
                if (++calls[0] == 3) {
                    throw new IllegalStateException("emulator bug");
                }
                return Vcpu.Result.used(n);
            }, 1, 0);
            Scheduler.Task crashing = s.add("crashing", n -> {
                if (++calls[1] == 4) {
                    return Vcpu.Result.stopped(10, "triple fault");
                }
                return Vcpu.Result.used(n);
            }, 1, 0);
            Scheduler.Task ok = s.add("spin", spin, 1, 0);
            assertEquals(100, s.runQuanta(100));
            assertEquals(Scheduler.State.STOPPED, broken.state());
            assertTrue(broken.stopReason().contains("emulator bug"), broken.stopReason());
            assertEquals(Scheduler.State.STOPPED, crashing.state());
            assertEquals("triple fault", crashing.termination().get(1, TimeUnit.SECONDS));
            assertEquals(3, calls[0]);
            assertEquals(4, calls[1]);
            assertEquals(Scheduler.State.RUNNABLE, ok.state());
            assertEquals(93_000, spin.ran.get());
        }
    }

    @Test
    void pauseResumeAndStop() throws Exception {
        try (Scheduler s = Scheduler.deterministic(1000, 100_000)) {
            Spinner a = new Spinner();
            Spinner b = new Spinner();
            Scheduler.Task ta = s.add("a", a, 1, 0);
            s.add("b", b, 1, 0);
            ta.pause();
            assertEquals(Scheduler.State.PAUSED, ta.state());
            s.runQuanta(10);
            assertEquals(0, a.ran.get());
            ta.resume();
            s.runQuanta(10);
            assertEquals(5000, a.ran.get(), "resumed at the runnable minimum: a fair share, no catch-up");
            ta.stop();
            assertEquals("stopped by host", ta.termination().get(1, TimeUnit.SECONDS));
            s.runQuanta(10);
            assertEquals(5000, a.ran.get());
        }
    }

    @Test
    void threadedWorkersRunManyVcpusAndStopTheFailingOneAlone() throws Exception {
        try (Scheduler s = Scheduler.threaded(2, 10_000, 10_000_000)) {
            Spinner[] spinners = new Spinner[4];
            for (int n = 0; n < 4; n++) {
                spinners[n] = new Spinner();
                s.add("spin" + n, spinners[n], 1, 0);
            }
            AtomicLong calls = new AtomicLong();
            Scheduler.Task broken = s.add("broken", n -> {
                if (calls.incrementAndGet() == 5) {
                    throw new IllegalStateException("boom");
                }
                return Vcpu.Result.used(n);
            }, 1, 0);
            String reason = broken.termination().get(30, TimeUnit.SECONDS);
            assertTrue(reason.contains("boom"), reason);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (Spinner sp : spinners) {
                long base = sp.ran.get();
                while (sp.ran.get() <= base && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertTrue(sp.ran.get() > base, "every spinner keeps making progress");
            }
        }
    }
}

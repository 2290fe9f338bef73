package dev.vmm.devices.apic;

import dev.vmm.core.irq.InterruptSource;
import dev.vmm.devices.testutil.DetClock;
import java.util.ArrayList;
import java.util.List;

/** A local APIC on a deterministic clock, with a fake 8259 and recorded listener calls. */
final class ApicHarness {
    static final long BUS_HZ = 1_000_000_000L;

    /** A stand-in for the 8259 pair: one pending vector at a time. */
    static final class FakePic implements InterruptSource {
        int pendingVector = -1;
        final List<Integer> acknowledged = new ArrayList<>();

        @Override
        public boolean intrPending() {
            return pendingVector >= 0;
        }

        @Override
        public int acknowledge() {
            int v = pendingVector < 0 ? 0x0F : pendingVector;   // spurious IRQ7 with base 0x08
            acknowledged.add(v);
            pendingVector = -1;
            return v;
        }
    }

    final DetClock t = new DetClock();
    final FakePic pic = new FakePic();
    final LocalApic apic;
    final List<Integer> eois = new ArrayList<>();
    int nmis;
    int inits;
    int wakeups;

    /** An APIC whose TSC runs at 3 GHz with guest time, from 12345 at time 0. */
    ApicHarness() {
        apic = new LocalApic(t.clock, BUS_HZ, this::tsc, 3_000_000_000L, pic);
        apic.setEoiListener(eois::add);
        apic.setNmiListener(() -> nmis++);
        apic.setInitListener(() -> {
            inits++;
            apic.init();                            // as the CPU does on INIT
        });
        apic.setIntrListener(() -> wakeups++);
    }

    long tsc() {
        return 3 * t.now() + 12345;
    }

    int read(int reg) {
        return (int) apic.mmioRead(reg, 4);
    }

    void write(int reg, int value) {
        apic.mmioWrite(reg, 4, value & 0xFFFF_FFFFL);
    }

    /** Software-enables the APIC with spurious vector 0xFF, as Linux does. */
    void enable() {
        write(ApicRegisters.REG_SVR, 0x1FF);
    }

    /** Whether {@code vector} is set in the 256-bit register (ISR/TMR/IRR) at {@code base}. */
    boolean bit(int base, int vector) {
        return (read(base + (vector >> 5) * 0x10) >>> (vector & 31) & 1) != 0;
    }

    /** The guest's interrupt entry: acknowledge and EOI everything the CPU would take now. */
    List<Integer> service() {
        List<Integer> taken = new ArrayList<>();
        while (apic.intrPending()) {
            if (taken.size() > 1000) {
                throw new AssertionError("interrupt storm: " + taken.subList(0, 10));
            }
            int v = apic.acknowledge();
            taken.add(v);
            write(ApicRegisters.REG_EOI, 0);
        }
        return taken;
    }
}

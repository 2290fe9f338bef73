package dev.vmm.devices.apic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.irq.IrqLine;
import dev.vmm.devices.hpet.Hpet;
import dev.vmm.devices.pic.DualPic;
import dev.vmm.devices.pit.Pit8254;
import dev.vmm.devices.testutil.DetClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Timer interrupts through the whole chain to the CPU's view, as Linux sets it up: the 8259 in
 * virtual-wire mode through LINT0 (BIOS time), then the HPET in legacy replacement through I/O APIC
 * pin 2 with the 8259 masked (Linux time).
 */
class InterruptChainTest {
    private static final long S = 1_000_000_000L;
    private final DetClock t = new DetClock();
    private final PioBus bus = new PioBus();
    private final DualPic pic = new DualPic();
    private final LocalApic lapic = new LocalApic(t.clock, 1_000_000_000L,
            t.clock::instructionsRetired, 1_000_000_000L, pic);
    private final IoApic ioapic = new IoApic(lapic);
    private final IrqLine irq0 = level -> {
        pic.irq(0).set(level);
        ioapic.pin(2).set(level);
    };
    private final Hpet hpet = new Hpet(t.clock, ioapic::pin, irq0, level -> {
        pic.irq(8).set(level);
        ioapic.pin(8).set(level);
    });
    private final Pit8254 pit = new Pit8254(t.clock, hpet.pitInput());

    private List<Integer> service(boolean picEoi) {
        List<Integer> taken = new ArrayList<>();
        while (lapic.intrPending()) {
            int v = lapic.acknowledge();
            taken.add(v);
            if (picEoi) {
                bus.write(0x20, 1, 0x20);
            } else {
                lapic.mmioWrite(ApicRegisters.REG_EOI, 4, 0);
            }
        }
        return taken;
    }

    @Test
    void pitThroughVirtualWireThenHpetThroughIoApic() {
        pic.attach(bus);
        pit.attach(bus);
        lapic.setEoiListener(ioapic::eoi);
        int[][] init = {{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01}, {0xA0, 0x11},
            {0xA1, 0x70}, {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0xFE}, {0xA1, 0xFF}};
        for (int[] w : init) {
            bus.write(w[0], 1, w[1]);
        }
        bus.write(0x43, 1, 0x34);                   // PIT channel 0, rate generator, 1 kHz
        bus.write(0x40, 1, 1193 & 0xFF);
        bus.write(0x40, 1, 1193 >> 8);
        List<Integer> bios = new ArrayList<>();
        t.runUntil(S / 10, () -> bios.addAll(service(true)));
        assertTrue(bios.size() >= 99 && bios.stream().allMatch(v -> v == 0x08), bios.toString());

        // Linux: mask the 8259, enable the APIC, route pin 2 to vector 0x30, HPET legacy at 1 kHz.
        bus.write(0x21, 1, 0xFF);
        lapic.mmioWrite(ApicRegisters.REG_SVR, 4, 0x1FF);
        lapic.mmioWrite(ApicRegisters.REG_LVT_LINT0, 4, 0x1_0700);
        ioapic.mmioWrite(IoApic.IOREGSEL, 4, 0x15);
        ioapic.mmioWrite(IoApic.IOWIN, 4, 0);
        ioapic.mmioWrite(IoApic.IOREGSEL, 4, 0x14);
        ioapic.mmioWrite(IoApic.IOWIN, 4, 0x30);
        hpet.mmioWrite(0x100, 4, 0x14C);            // INT_ENB | PERIODIC | VAL_SET | 32-bit
        long now = hpet.mmioRead(0x0F0, 4);
        hpet.mmioWrite(0x108, 4, now + 100_000);
        hpet.mmioWrite(0x108, 4, 100_000);
        hpet.mmioWrite(0x010, 4, 3);
        long start = t.now();
        List<Integer> linux = new ArrayList<>();
        t.runUntil(start + S, () -> linux.addAll(service(false)));
        assertEquals(1000, linux.size(), "the PIT is cut off by legacy replacement");
        assertTrue(linux.stream().allMatch(v -> v == 0x30), linux.toString());
    }
}

package dev.vmm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.irq.IrqLine;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The FERR#-to-IRQ13 latch and its "clear coprocessor error" port F0h. */
class FerrLatchTest {
    private final List<Boolean> irq13 = new ArrayList<>();
    private final FerrLatch latch = new FerrLatch(irq13::add);
    private final PioBus bus = new PioBus();

    FerrLatchTest() {
        latch.attach(bus);
    }

    @Test
    void ferrLatchesIrq13UntilAWriteToPortF0() {
        IrqLine ferr = latch.ferrInput();
        ferr.raise();
        assertEquals(List.of(true), irq13);
        assertTrue(latch.latched());
        ferr.lower();
        assertTrue(latch.latched(), "the latch holds IRQ13 after FERR# falls");
        assertEquals(List.of(true), irq13);
        bus.write(FerrLatch.PORT, 1, 0);
        assertEquals(List.of(true, false), irq13);
        assertFalse(latch.latched());
        bus.write(FerrLatch.PORT, 1, 0);
        assertEquals(List.of(true, false), irq13, "a write with nothing latched changes nothing");
        assertEquals(0xFF, bus.read(FerrLatch.PORT, 1), "reads float high");
    }

    @Test
    void onlyARisingEdgeOfFerrLatches() {
        IrqLine ferr = latch.ferrInput();
        ferr.raise();
        bus.write(FerrLatch.PORT, 1, 0);
        ferr.raise();
        assertFalse(latch.latched(), "FERR# still asserted (IGNNE#): no new interrupt");
        ferr.lower();
        ferr.raise();
        assertTrue(latch.latched(), "a new error after FERR# fell latches again");
        assertEquals(List.of(true, false, true), irq13);
    }

    @Test
    void restoreDrivesIrq13ToTheSavedLatch() {
        latch.ferrInput().raise();
        FerrLatch.State s = latch.save();
        assertEquals(new FerrLatch.State(true, true), s);
        List<Boolean> other = new ArrayList<>();
        FerrLatch copy = new FerrLatch(other::add);
        copy.restore(s);
        assertTrue(copy.latched());
        assertEquals(List.of(true), other);
        copy.ferrInput().raise();
        assertEquals(List.of(true), other, "FERR# was already asserted: no edge");
    }
}

package dev.vmm.devices.pic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The 8259A pair driven through its ports as Linux (init_8259A) and SeaBIOS drive it. */
class DualPicTest {
    private final DualPic pic = new DualPic();
    private final PioBus bus = new PioBus();

    @BeforeEach
    void linuxInit() {
        pic.attach(bus);
        // arch/x86/kernel/i8259.c init_8259A(): mask all, ICW1-4 on both chips, then restore masks.
        out(0x21, 0xFF);
        out(0xA1, 0xFF);
        out(0x20, 0x11);    // ICW1: edge, cascade, ICW4 needed
        out(0x21, 0x20);    // ICW2: IR0-7 at vectors 0x20-0x27
        out(0x21, 0x04);    // ICW3: slave on IR2
        out(0x21, 0x01);    // ICW4: 8086 mode, normal EOI
        out(0xA0, 0x11);
        out(0xA1, 0x28);    // ICW2: IR8-15 at vectors 0x28-0x2F
        out(0xA1, 0x02);    // ICW3: slave ID 2
        out(0xA1, 0x01);
        out(0x21, 0x00);
        out(0xA1, 0x00);
    }

    private void out(int port, int value) {
        bus.write(port, 1, value);
    }

    private int in(int port) {
        return bus.read(port, 1);
    }

    private int isr(int cmdPort) {
        out(cmdPort, 0x0B);
        int v = in(cmdPort);
        out(cmdPort, 0x0A);
        return v;
    }

    private int irr(int cmdPort) {
        out(cmdPort, 0x0A);
        return in(cmdPort);
    }

    private void eoiMaster() {
        out(0x20, 0x20);
    }

    @Test
    void initSequenceLeavesMasksAndNoRequest() {
        assertEquals(0, in(0x21));
        assertEquals(0, in(0xA1));
        assertFalse(pic.intrPending());
        out(0x21, 0xB8);
        assertEquals(0xB8, in(0x21), "OCW1 reads back from the data port");
    }

    @Test
    void irq0DeliversVector0x20AndEoiClearsIsr() {
        pic.irq(0).pulse();
        assertTrue(pic.intrPending());
        assertEquals(0x01, irr(0x20));
        assertEquals(0x20, pic.acknowledge());
        assertFalse(pic.intrPending());
        assertEquals(0x01, isr(0x20));
        assertEquals(0x00, irr(0x20));
        eoiMaster();
        assertEquals(0x00, isr(0x20));
    }

    @Test
    void fixedPriorityAndNesting() {
        pic.irq(3).pulse();
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge(), "IR1 beats IR3");
        assertFalse(pic.intrPending(), "IR3 waits while IR1 is in service");
        pic.irq(0).pulse();
        assertTrue(pic.intrPending(), "IR0 nests over IR1");
        assertEquals(0x20, pic.acknowledge());
        assertEquals(0x03, isr(0x20));
        eoiMaster();                            // non-specific: clears IR0, the highest
        assertEquals(0x02, isr(0x20));
        assertFalse(pic.intrPending());
        eoiMaster();
        assertEquals(0x23, pic.acknowledge());
        eoiMaster();
        assertEquals(0, isr(0x20));
    }

    @Test
    void specificEoi() {
        pic.irq(4).pulse();
        assertEquals(0x24, pic.acknowledge());
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge());
        out(0x20, 0x64);                        // specific EOI for IR4
        assertEquals(0x02, isr(0x20));
        out(0x20, 0x61);
        assertEquals(0x00, isr(0x20));
    }

    @Test
    void maskedRequestsWaitForUnmask() {
        out(0x21, 0x08);
        pic.irq(3).pulse();
        assertFalse(pic.intrPending());
        assertEquals(0x08, irr(0x20), "masked requests still show in IRR");
        out(0x21, 0x00);
        assertTrue(pic.intrPending());
        assertEquals(0x23, pic.acknowledge());
    }

    @Test
    void slaveInterruptCascadesThroughIr2() {
        pic.irq(12).pulse();
        assertTrue(pic.intrPending());
        assertEquals(0x04, irr(0x20));
        assertEquals(0x2C, pic.acknowledge());
        assertEquals(0x04, isr(0x20));
        assertEquals(0x10, isr(0xA0));
        out(0xA0, 0x20);
        eoiMaster();
        assertEquals(0, isr(0x20));
        assertEquals(0, isr(0xA0));
    }

    @Test
    void secondSlaveRequestFollowsAfterEoi() {
        pic.irq(8).pulse();
        pic.irq(10).pulse();
        assertEquals(0x28, pic.acknowledge());
        assertFalse(pic.intrPending());
        out(0xA0, 0x20);
        eoiMaster();
        assertTrue(pic.intrPending());
        assertEquals(0x2A, pic.acknowledge());
    }

    @Test
    void irq2IsRedirectedToIrq9() {
        pic.irq(2).pulse();
        assertEquals(0x29, pic.acknowledge());
        assertThrows(IllegalArgumentException.class, () -> pic.irq(16));
    }

    @Test
    void rotateOnNonSpecificEoi() {
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge());
        out(0x20, 0xA0);                        // rotate on non-specific EOI: IR1 lowest
        pic.irq(1).pulse();
        pic.irq(5).pulse();
        assertEquals(0x25, pic.acknowledge(), "order is now 2,3,4,5,6,7,0,1");
        out(0x20, 0xA0);                        // IR5 lowest: order 6,7,0,1,...
        pic.irq(0).pulse();
        assertEquals(0x20, pic.acknowledge(), "IR0 before IR1");
    }

    @Test
    void setPriorityAndRotateOnSpecificEoi() {
        out(0x20, 0xC3);                        // set priority: IR3 lowest, IR4 highest
        pic.irq(2).pulse();
        pic.irq(4).pulse();
        assertEquals(0x24, pic.acknowledge());
        out(0x20, 0xE4);                        // rotate on specific EOI of IR4: IR5 highest
        pic.irq(6).pulse();
        assertEquals(0x26, pic.acknowledge(), "IR6 outranks IR2 now");
        out(0x20, 0x66);
        assertEquals(0x29, pic.acknowledge(), "then the cascade IR2 (IRQ2 is wired to IRQ9)");
    }

    @Test
    void autoEoiAndRotateInAutoEoi() {
        out(0x20, 0x11);
        out(0x21, 0x20);
        out(0x21, 0x04);
        out(0x21, 0x03);                        // ICW4: 8086, automatic EOI
        pic.irq(1).pulse();
        pic.irq(3).pulse();
        assertEquals(0x21, pic.acknowledge());
        assertEquals(0, isr(0x20), "automatic EOI leaves nothing in service");
        assertTrue(pic.intrPending(), "so IR3 comes straight away");
        assertEquals(0x23, pic.acknowledge());
        out(0x20, 0x80);                        // set rotate in automatic EOI mode
        pic.irq(0).pulse();
        assertEquals(0x20, pic.acknowledge());  // IR0 becomes lowest
        pic.irq(0).pulse();
        pic.irq(7).pulse();
        assertEquals(0x27, pic.acknowledge());
        assertEquals(0x20, pic.acknowledge());
        out(0x20, 0x00);                        // clear rotate in automatic EOI mode
        pic.irq(6).pulse();
        pic.irq(7).pulse();
        assertEquals(0x26, pic.acknowledge(), "IR0 was made lowest by the last rotation");
        assertEquals(0x27, pic.acknowledge());
        pic.irq(0).pulse();
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge(), "no rotation any more: IR0 stays lowest");
    }

    @Test
    void edgeTriggeredLatchesRisingEdgeOnly() {
        pic.irq(4).raise();
        assertEquals(0x24, pic.acknowledge());
        eoiMaster();
        assertFalse(pic.intrPending(), "a line held high gives one request");
        pic.irq(4).raise();
        assertFalse(pic.intrPending());
        pic.irq(4).lower();
        pic.irq(4).raise();
        assertTrue(pic.intrPending());
        pic.irq(4).lower();
        assertTrue(pic.intrPending(), "the edge stays latched after the line drops");
    }

    @Test
    void elcrMakesIrqLevelTriggered() {
        out(0x4D0, 0xFF);
        out(0x4D1, 0xFF);
        assertEquals(0xF8, in(0x4D0), "IRQ0-2 are edge only");
        assertEquals(0xDE, in(0x4D1), "IRQ8 and IRQ13 are edge only");
        out(0x4D0, 0x00);
        out(0x4D1, 0x04);                       // IRQ10 level-triggered
        pic.irq(10).raise();
        assertTrue(pic.intrPending());
        assertEquals(0x04, irr(0xA0));
        pic.irq(10).lower();
        assertEquals(0x00, irr(0xA0), "IRR follows the line");
        pic.irq(10).raise();
        assertEquals(0x2A, pic.acknowledge());
        out(0xA0, 0x20);
        eoiMaster();
        assertTrue(pic.intrPending(), "still asserted after EOI: requests again");
        assertEquals(0x2A, pic.acknowledge());
        pic.irq(10).lower();
        out(0xA0, 0x20);
        eoiMaster();
        assertFalse(pic.intrPending());
    }

    @Test
    void icw1LtimSelectsLevelForAllInputs() {
        out(0x20, 0x19);                        // ICW1 with LTIM
        out(0x21, 0x20);
        out(0x21, 0x04);
        out(0x21, 0x01);
        pic.irq(5).raise();
        pic.irq(5).lower();
        assertFalse(pic.intrPending());
    }

    @Test
    void spuriousIrq7WhenRequestVanishes() {
        out(0x4D0, 0x20);                       // IRQ5 level-triggered
        pic.irq(5).raise();
        assertTrue(pic.intrPending());
        pic.irq(5).lower();
        assertEquals(0x27, pic.acknowledge(), "no request: IR7 vector");
        assertEquals(0, isr(0x20), "spurious IR7 is not put in service");
    }

    @Test
    void spuriousIrq15PutsCascadeInServiceOnMaster() {
        out(0x4D1, 0x04);                       // IRQ10 level-triggered
        pic.irq(10).raise();
        pic.irq(10).lower();                    // master IR2 edge stays latched
        assertTrue(pic.intrPending());
        assertEquals(0x2F, pic.acknowledge(), "slave answers with its IR7 vector");
        assertEquals(0, isr(0xA0));
        assertEquals(0x04, isr(0x20), "master must still be sent an EOI (Linux does)");
        eoiMaster();
        assertEquals(0, isr(0x20));
    }

    @Test
    void pollMode() {
        pic.irq(6).pulse();
        out(0x20, 0x0C);                        // OCW3 poll
        assertEquals(0x86, in(0x20));
        assertEquals(0x40, isr(0x20), "poll acknowledges");
        assertFalse(pic.intrPending());
        out(0x20, 0x0C);
        assertEquals(0x00, in(0x20), "nothing pending: I bit clear");
    }

    @Test
    void specialMaskModeLetsLowerPrioritiesIn() {
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge());
        pic.irq(3).pulse();
        assertFalse(pic.intrPending());
        out(0x21, 0x02);                        // mask IR1 ...
        out(0x20, 0x68);                        // ... and enter special mask mode
        assertTrue(pic.intrPending());
        assertEquals(0x23, pic.acknowledge());
        out(0x20, 0x63);
        out(0x20, 0x48);                        // leave special mask mode
        out(0x21, 0x00);
        pic.irq(4).pulse();
        assertFalse(pic.intrPending(), "IR1 still in service blocks IR4 again");
    }

    @Test
    void specialFullyNestedModeLetsSlaveNest() {
        out(0x20, 0x11);
        out(0x21, 0x20);
        out(0x21, 0x04);
        out(0x21, 0x11);                        // master ICW4: SFNM
        pic.irq(11).pulse();
        assertEquals(0x2B, pic.acknowledge());
        pic.irq(9).pulse();
        assertTrue(pic.intrPending(), "higher slave request passes the master's IR2 in service");
        assertEquals(0x29, pic.acknowledge());
    }

    @Test
    void intrListenerCalledOnRisingEdge() {
        List<String> calls = new ArrayList<>();
        pic.setIntrListener(() -> calls.add("up"));
        pic.irq(3).pulse();
        pic.irq(4).pulse();
        assertEquals(1, calls.size(), "INTR was already high for IR4");
        pic.acknowledge();
        assertEquals(1, calls.size());
        eoiMaster();
        assertEquals(2, calls.size(), "EOI lets IR4 raise INTR again");
    }

    @Test
    void wordAccessesSplitIntoBytes() {
        bus.write(0x4D0, 2, 0x0C20);
        assertEquals(0x0C20, bus.read(0x4D0, 2));
    }

    @Test
    void saveRestoreMidOperationGivesIdenticalBehaviour() {
        out(0x4D1, 0x04);
        pic.irq(10).raise();
        pic.irq(3).pulse();
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge());
        out(0x20, 0x0B);                        // leave ISR selected for reading
        DualPic.State saved = pic.save();

        DualPic copy = new DualPic();
        copy.restore(saved);
        assertEquals(saved, copy.save());
        assertEquals(pic.intrPending(), copy.intrPending());
        assertEquals(pic.master().ioRead(0x20, 1), copy.master().ioRead(0x20, 1));
        for (DualPic p : List.of(pic, copy)) {
            p.master().ioWrite(0x20, 1, 0x20);
        }
        assertEquals(pic.acknowledge(), copy.acknowledge());
        pic.irq(10).lower();
        copy.irq(10).lower();
        assertEquals(pic.save(), copy.save());
        for (DualPic p : List.of(pic, copy)) {
            p.slave().ioWrite(0xA0, 1, 0x20);
            p.master().ioWrite(0x20, 1, 0x20);
        }
        assertEquals(pic.acknowledge(), copy.acknowledge());
        assertEquals(pic.save(), copy.save());
    }
}

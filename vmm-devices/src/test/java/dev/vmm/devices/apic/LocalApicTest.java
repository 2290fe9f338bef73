package dev.vmm.devices.apic;

import static dev.vmm.devices.apic.ApicRegisters.REG_APR;
import static dev.vmm.devices.apic.ApicRegisters.REG_DFR;
import static dev.vmm.devices.apic.ApicRegisters.REG_EOI;
import static dev.vmm.devices.apic.ApicRegisters.REG_ESR;
import static dev.vmm.devices.apic.ApicRegisters.REG_ICR_HIGH;
import static dev.vmm.devices.apic.ApicRegisters.REG_ICR_LOW;
import static dev.vmm.devices.apic.ApicRegisters.REG_ID;
import static dev.vmm.devices.apic.ApicRegisters.REG_IRR;
import static dev.vmm.devices.apic.ApicRegisters.REG_ISR;
import static dev.vmm.devices.apic.ApicRegisters.REG_LDR;
import static dev.vmm.devices.apic.ApicRegisters.REG_LVT_ERROR;
import static dev.vmm.devices.apic.ApicRegisters.REG_LVT_LINT0;
import static dev.vmm.devices.apic.ApicRegisters.REG_LVT_LINT1;
import static dev.vmm.devices.apic.ApicRegisters.REG_LVT_TIMER;
import static dev.vmm.devices.apic.ApicRegisters.REG_PPR;
import static dev.vmm.devices.apic.ApicRegisters.REG_SVR;
import static dev.vmm.devices.apic.ApicRegisters.REG_TMR;
import static dev.vmm.devices.apic.ApicRegisters.REG_TPR;
import static dev.vmm.devices.apic.ApicRegisters.REG_VERSION;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The local APIC's registers, acceptance, priorities, IPIs and virtual wire (SDM 3, ch. 10). */
class LocalApicTest {
    private final ApicHarness h = new ApicHarness();

    @Test
    void resetState() {
        assertEquals(0x0005_0014, h.read(REG_VERSION));
        assertEquals(0, h.read(REG_ID));
        assertEquals(0xFF, h.read(REG_SVR));
        assertEquals(0xFFFF_FFFF, h.read(REG_DFR));
        assertEquals(0x0001_0000, h.read(REG_LVT_TIMER));
        assertEquals(0x0000_0700, h.read(REG_LVT_LINT0));
        assertEquals(0x0001_0000, h.read(REG_LVT_LINT1));
        assertEquals(0, h.read(REG_TPR));
        assertEquals(0, h.read(REG_PPR));
        assertEquals(LocalApic.RESET_BASE_MSR, h.apic.baseMsr());
        // Sub-dword reads return the register's bytes; the rest of the 16-byte slot reads 0.
        assertEquals(0x14, h.apic.mmioRead(REG_VERSION, 1));
        assertEquals(0x05, h.apic.mmioRead(REG_VERSION + 2, 1));
        assertEquals(0, h.apic.mmioRead(REG_VERSION + 4, 4));
    }

    @Test
    void softwareEnableThroughSvr() {
        h.apic.deliver(0x30, ApicBus.FIXED, false, 0, false);
        assertFalse(h.bit(REG_IRR, 0x30), "a software-disabled APIC accepts no fixed interrupt");
        assertEquals(1, h.apic.droppedMessages());
        h.write(REG_LVT_TIMER, 0x20);
        assertEquals(0x1_0020, h.read(REG_LVT_TIMER), "LVT masks stay set while disabled");

        h.enable();
        assertEquals(0x1FF, h.read(REG_SVR));
        h.write(REG_LVT_TIMER, 0x20);
        assertEquals(0x20, h.read(REG_LVT_TIMER));
        h.apic.deliver(0x30, ApicBus.FIXED, false, 0, false);
        assertTrue(h.bit(REG_IRR, 0x30));
        assertTrue(h.apic.intrPending());
        assertEquals(0x30, h.apic.acknowledge());
        assertFalse(h.bit(REG_IRR, 0x30));
        assertTrue(h.bit(REG_ISR, 0x30));

        h.write(REG_SVR, 0xFF);                     // software disable: every LVT masked
        assertEquals(0x1_0020, h.read(REG_LVT_TIMER));
        assertEquals(0x1_0700, h.read(REG_LVT_LINT0));
    }

    @Test
    void tprMasksAndIsrNestsByPriorityClass() {
        h.enable();
        h.write(REG_TPR, 0x50);
        h.apic.deliver(0x45, ApicBus.FIXED, false, 0, false);
        assertFalse(h.apic.intrPending(), "class 4 is below TPR class 5");
        assertEquals(0x50, h.read(REG_APR));

        h.apic.deliver(0x61, ApicBus.FIXED, false, 0, false);
        assertTrue(h.apic.intrPending());
        assertEquals(0x61, h.apic.acknowledge());
        assertEquals(0x60, h.read(REG_PPR));
        h.apic.deliver(0x62, ApicBus.FIXED, false, 0, false);
        assertFalse(h.apic.intrPending(), "same class as the vector in service");

        h.apic.deliver(0x81, ApicBus.FIXED, false, 0, false);
        assertTrue(h.apic.intrPending(), "a higher class nests");
        assertEquals(0x81, h.apic.acknowledge());
        assertEquals(0x80, h.read(REG_PPR));
        assertTrue(h.bit(REG_ISR, 0x61) && h.bit(REG_ISR, 0x81));

        h.write(REG_EOI, 0);                        // retires 0x81, the highest in service
        assertFalse(h.bit(REG_ISR, 0x81));
        assertTrue(h.bit(REG_ISR, 0x61));
        assertEquals(0x60, h.read(REG_PPR));
        assertFalse(h.apic.intrPending());

        h.write(REG_EOI, 0);                        // retires 0x61
        assertEquals(0x50, h.read(REG_PPR));
        assertEquals(0x62, h.apic.acknowledge());
        h.write(REG_EOI, 0);
        assertFalse(h.apic.intrPending());
        h.write(REG_TPR, 0);
        assertEquals(List.of(0x45), h.service());
        assertTrue(h.eois.isEmpty(), "edge-triggered vectors are not broadcast");
    }

    @Test
    void levelTriggeredEoiIsBroadcast() {
        h.enable();
        h.apic.deliver(0x41, ApicBus.FIXED, true, 0, false);
        assertTrue(h.bit(REG_TMR, 0x41));
        assertEquals(0x41, h.apic.acknowledge());
        h.write(REG_EOI, 0);
        assertEquals(List.of(0x41), h.eois);
        h.apic.deliver(0x41, ApicBus.FIXED, false, 0, false);
        assertFalse(h.bit(REG_TMR, 0x41), "an edge acceptance clears the TMR bit");
    }

    @Test
    void illegalVectorsSetEsr() {
        h.enable();
        h.write(REG_LVT_ERROR, 0xFE);
        h.apic.deliver(0x05, ApicBus.FIXED, false, 0, false);
        assertEquals(0, h.read(REG_ESR), "errors appear at the next ESR write");
        h.write(REG_ESR, 0);
        assertEquals(ApicRegisters.ESR_RECEIVE_ILLEGAL_VECTOR, h.read(REG_ESR));
        h.write(REG_ICR_LOW, 0x0004_0003);          // self IPI with vector 3
        h.write(REG_ESR, 0);
        assertEquals(ApicRegisters.ESR_SEND_ILLEGAL_VECTOR, h.read(REG_ESR));
        h.write(REG_ESR, 0);
        assertEquals(0, h.read(REG_ESR));
        assertEquals(List.of(0xFE), h.service(), "the error LVT's vector, coalesced");
    }

    @Test
    void selfIpis() {
        h.enable();
        h.write(REG_ICR_LOW, 0x0004_0050);          // shorthand self, fixed
        assertTrue(h.bit(REG_IRR, 0x50));
        assertEquals(0, h.read(REG_ICR_LOW) & 1 << 12, "delivery status idle");
        h.write(REG_ICR_HIGH, 0);                   // physical destination = own ID 0
        h.write(REG_ICR_LOW, 0x0000_0051);
        assertTrue(h.bit(REG_IRR, 0x51));
        h.write(REG_ICR_LOW, 0x0008_0052);          // all including self
        assertTrue(h.bit(REG_IRR, 0x52));
        assertEquals(List.of(0x52, 0x51, 0x50), h.service());

        h.write(REG_ICR_HIGH, 0x0100_0000);         // APIC ID 1: absent
        h.write(REG_ICR_LOW, 0x0000_0053);
        h.write(REG_ICR_LOW, 0x000C_0054);          // all excluding self
        assertEquals(2, h.apic.droppedIpis());
        assertTrue(h.service().isEmpty());

        h.write(REG_LDR, 0x0100_0000);              // logical flat: this CPU is bit 0
        h.write(REG_ICR_HIGH, 0x0300_0000);
        h.write(REG_ICR_LOW, 0x0000_0855);
        h.write(REG_ICR_HIGH, 0x0200_0000);
        h.write(REG_ICR_LOW, 0x0000_0856);
        assertEquals(List.of(0x55), h.service());
        assertEquals(3, h.apic.droppedIpis());

        h.write(REG_ICR_LOW, 0x0004_0400);          // NMI to self
        assertEquals(1, h.nmis);
        h.write(REG_ICR_LOW, 0x0004_0600);          // start-up to self: the BSP ignores it
        assertEquals(1, h.apic.droppedMessages());
        h.write(REG_ICR_HIGH, 0);
        h.write(REG_ICR_LOW, 0x0000_8500);          // INIT level de-assert: no effect
        assertEquals(0, h.inits);
        h.write(REG_ICR_LOW, 0x0000_4500);          // INIT to self: the APIC resets
        assertEquals(1, h.inits);
        assertEquals(0xFF, h.read(REG_SVR));
    }

    @Test
    void virtualWirePassesThePicThrough() {
        h.pic.pendingVector = 0x08;
        assertTrue(h.apic.intrPending(), "reset state: LINT0 ExtINT, APIC software-disabled");
        assertEquals(0x08, h.apic.acknowledge());
        assertEquals(List.of(0x08), h.pic.acknowledged);

        h.enable();
        h.write(REG_LVT_LINT0, 0x0001_0700);        // masked: the PIC is cut off
        h.pic.pendingVector = 0x09;
        assertFalse(h.apic.intrPending());
        h.write(REG_LVT_LINT0, 0x0000_0700);
        h.apic.deliver(0x30, ApicBus.FIXED, false, 0, false);
        assertEquals(0x30, h.apic.acknowledge(), "the APIC's own interrupts come first");
        assertTrue(h.apic.intrPending());
        assertEquals(0x09, h.apic.acknowledge());

        h.write(REG_LVT_LINT0, 0x0001_0700);
        h.pic.pendingVector = 0x0A;
        h.apic.deliver(0, ApicBus.EXTINT, false, 0, false);   // ExtINT from the I/O APIC
        assertTrue(h.apic.intrPending());
        assertEquals(0x0A, h.apic.acknowledge());
        assertFalse(h.apic.intrPending());
        assertEquals(0xFF, h.apic.acknowledge(), "nothing left: the spurious vector");
    }

    @Test
    void globalDisableHidesTheApic() {
        h.enable();
        h.write(REG_TPR, 0x20);
        h.write(REG_LVT_LINT0, 0x0001_0700);
        h.apic.deliver(0x30, ApicBus.FIXED, false, 0, false);
        h.apic.setBaseMsr(LocalApic.DEFAULT_BASE | LocalApic.BASE_BSP);
        assertFalse(h.apic.globallyEnabled());
        assertEquals(0xFFFF_FFFFL, h.apic.mmioRead(REG_VERSION, 4), "reads as absent memory");
        h.write(REG_TPR, 0x40);
        h.pic.pendingVector = 0x08;
        assertTrue(h.apic.intrPending(), "the CPU sees the 8259 directly");
        assertEquals(0x08, h.apic.acknowledge());
        h.apic.deliver(0x31, ApicBus.FIXED, false, 0, false);
        assertFalse(h.apic.intrPending());

        h.apic.setBaseMsr(LocalApic.RESET_BASE_MSR);
        assertEquals(0, h.read(REG_TPR), "disabling reset the registers");
        assertEquals(0xFF, h.read(REG_SVR));
        assertFalse(h.bit(REG_IRR, 0x30));
        assertEquals(0x700, h.read(REG_LVT_LINT0));
    }

    @Test
    void cr8IsTheTprClass() {
        h.apic.setCr8(0x9);
        assertEquals(0x90, h.read(REG_TPR));
        h.write(REG_TPR, 0x5F);
        assertEquals(5, h.apic.cr8());
    }

    @Test
    void saveRestoreMidOperation() {
        h.enable();
        h.write(REG_TPR, 0x30);
        h.write(REG_LDR, 0x0100_0000);
        h.apic.deliver(0x61, ApicBus.FIXED, true, 0, false);
        assertEquals(0x61, h.apic.acknowledge());
        h.apic.deliver(0x52, ApicBus.FIXED, false, 0, false);
        h.apic.deliver(0x91, ApicBus.FIXED, false, 0, false);
        h.write(REG_ESR, 0);
        h.write(ApicRegisters.REG_TIMER_DIVIDE, 0xB);
        h.write(REG_LVT_TIMER, 0x2_00EF);           // periodic
        h.write(ApicRegisters.REG_TIMER_INITIAL, 1_000_000);
        h.t.advanceBy(250_000);
        LocalApic.State s = h.apic.save();

        ApicHarness other = new ApicHarness();
        other.t.advanceTo(h.t.now());
        other.apic.restore(s);
        assertEquals(s, other.apic.save());
        for (ApicHarness x : List.of(h, other)) {
            assertEquals(750_000, x.read(ApicRegisters.REG_TIMER_CURRENT));
            assertEquals(List.of(0x91), x.service(), "0x52 waits behind 0x61 in service");
            x.write(REG_EOI, 0);
            assertEquals(List.of(0x61), x.eois, "the level vector in service was restored");
            assertEquals(List.of(0x52), x.service());
            x.t.advanceBy(749_999);
            assertTrue(x.service().isEmpty());
            x.t.advanceBy(1);
            assertEquals(List.of(0xEF), x.service());
        }
        assertEquals(h.apic.save(), other.apic.save());
    }
}

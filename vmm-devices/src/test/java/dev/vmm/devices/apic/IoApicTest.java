package dev.vmm.devices.apic;

import static dev.vmm.devices.apic.ApicRegisters.REG_EOI;
import static dev.vmm.devices.apic.ApicRegisters.REG_IRR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The 82093AA I/O APIC, programmed through IOREGSEL/IOWIN as Linux does. */
class IoApicTest {
    private static final int FIXED_EDGE = 0;
    private static final int LEVEL = 1 << 15;
    private static final int ACTIVE_LOW = 1 << 13;
    private static final int MASK = 1 << 16;
    private final ApicHarness h = new ApicHarness();
    private final IoApic io = new IoApic(h.apic);

    @BeforeEach
    void wire() {
        h.apic.setEoiListener(v -> {
            h.eois.add(v);
            io.eoi(v);
        });
        h.enable();
    }

    private int readReg(int reg) {
        io.mmioWrite(IoApic.IOREGSEL, 4, reg);
        return (int) io.mmioRead(IoApic.IOWIN, 4);
    }

    private void writeReg(int reg, int value) {
        io.mmioWrite(IoApic.IOREGSEL, 4, reg);
        io.mmioWrite(IoApic.IOWIN, 4, value & 0xFFFF_FFFFL);
    }

    /** Linux's ioapic_write_entry: the high dword (destination) first, then the low dword. */
    private void program(int pin, int low, int destination) {
        writeReg(0x11 + 2 * pin, destination << 24);
        writeReg(0x10 + 2 * pin, low);
    }

    private boolean remoteIrr(int pin) {
        return (readReg(0x10 + 2 * pin) & 1 << 14) != 0;
    }

    @Test
    void identificationRegisters() {
        assertEquals(0x0017_0011, readReg(IoApic.REG_VERSION));
        assertEquals(0, readReg(IoApic.REG_ID));
        writeReg(IoApic.REG_ID, 0x0200_0000);
        assertEquals(0x0200_0000, readReg(IoApic.REG_ID));
        assertEquals(0x0200_0000, readReg(IoApic.REG_ARB));
        for (int pin = 0; pin < IoApic.PINS; pin++) {
            assertEquals(MASK, readReg(0x10 + 2 * pin), "entries reset masked");
            assertEquals(0, readReg(0x11 + 2 * pin));
        }
        io.mmioWrite(IoApic.IOREGSEL, 4, 0x12);
        assertEquals(0x12, io.mmioRead(IoApic.IOREGSEL, 4));
        program(23, 0x1_0000 | 0x99, 0xFF);
        assertEquals(0xFF00_0000, readReg(0x11 + 2 * 23));
        assertEquals(0x1_0099, readReg(0x10 + 2 * 23));
    }

    @Test
    void edgeDelivery() {
        program(2, FIXED_EDGE | 0x30, 0);
        io.pin(2).pulse();
        assertTrue(h.bit(REG_IRR, 0x30));
        io.pin(2).pulse();                          // coalesces in IRR
        assertEquals(List.of(0x30), h.service());
        assertTrue(h.eois.isEmpty(), "edge vectors are not broadcast");
        io.pin(2).raise();
        io.pin(2).raise();                          // no new edge
        assertEquals(List.of(0x30), h.service());
        io.pin(2).lower();
        assertFalse(remoteIrr(2));
    }

    @Test
    void maskedEdgesAreLost() {
        program(4, MASK | 0x34, 0);
        io.pin(4).raise();
        assertFalse(h.apic.intrPending());
        program(4, 0x34, 0);
        assertFalse(h.apic.intrPending(), "unmasking does not replay an edge");
        io.pin(4).lower();
        io.pin(4).raise();
        assertEquals(List.of(0x34), h.service());
    }

    @Test
    void levelDeliveryWithRemoteIrrAndRedeliveryAfterEoi() {
        program(9, LEVEL | 0x41, 0);
        io.pin(9).raise();
        assertTrue(remoteIrr(9));
        assertTrue(h.bit(ApicRegisters.REG_TMR, 0x41));
        assertEquals(0x41, h.apic.acknowledge());
        io.pin(9).raise();                          // still asserted: nothing new before EOI
        assertFalse(h.apic.intrPending());

        h.write(REG_EOI, 0);                        // still asserted: delivered again
        assertEquals(List.of(0x41), h.eois);
        assertTrue(remoteIrr(9));
        assertTrue(h.apic.intrPending());
        assertEquals(0x41, h.apic.acknowledge());

        io.pin(9).lower();                          // the device was serviced
        h.write(REG_EOI, 0);
        assertFalse(remoteIrr(9));
        assertFalse(h.apic.intrPending());
        assertEquals(List.of(0x41, 0x41), h.eois);
    }

    @Test
    void maskedLevelPinDeliversWhenUnmasked() {
        program(11, MASK | LEVEL | 0x43, 0);
        io.pin(11).raise();
        assertFalse(h.apic.intrPending());
        assertFalse(remoteIrr(11));
        program(11, LEVEL | 0x43, 0);
        assertTrue(remoteIrr(11));
        assertEquals(0x43, h.apic.acknowledge());
        program(11, MASK | LEVEL | 0x43, 0);        // masking keeps remote IRR until the EOI
        assertTrue(remoteIrr(11));
        h.write(REG_EOI, 0);
        assertFalse(remoteIrr(11));
        assertFalse(h.apic.intrPending(), "masked: no re-delivery");
    }

    @Test
    void activeLowPolarity() {
        program(10, ACTIVE_LOW | LEVEL | 0x42, 0);
        assertTrue(remoteIrr(10), "an idle (low) line is asserted when active low");
        assertEquals(0x42, h.apic.acknowledge());
        io.pin(10).raise();                         // deasserted
        h.write(REG_EOI, 0);
        assertFalse(remoteIrr(10));
        assertFalse(h.apic.intrPending());
        io.pin(10).lower();                         // asserted again
        assertEquals(0x42, h.apic.acknowledge());
        assertTrue(remoteIrr(10));
    }

    @Test
    void nmiDeliveryMode() {
        program(5, ApicBus.NMI << 8, 0);
        io.pin(5).pulse();
        assertEquals(1, h.nmis);
        assertFalse(h.apic.intrPending());
    }

    @Test
    void saveRestoreMidOperation() {
        program(9, LEVEL | 0x41, 0);
        program(2, 0x30, 0);
        writeReg(IoApic.REG_ID, 0x0100_0000);
        io.pin(9).raise();
        assertEquals(0x41, h.apic.acknowledge());
        io.mmioWrite(IoApic.IOREGSEL, 4, 0x14);
        IoApic.State s = io.save();

        ApicHarness other = new ApicHarness();
        IoApic io2 = new IoApic(other.apic);
        other.apic.setEoiListener(v -> {
            other.eois.add(v);
            io2.eoi(v);
        });
        other.apic.restore(h.apic.save());
        io2.restore(s);
        assertEquals(s, io2.save());
        for (IoApic x : List.of(io, io2)) {
            assertEquals(0x14, x.mmioRead(IoApic.IOREGSEL, 4));
        }
        for (ApicHarness x : List.of(h, other)) {
            x.write(REG_EOI, 0);                    // pin 9 still asserted: re-delivered
            assertEquals(0x41, x.apic.acknowledge());
        }
        io.pin(9).lower();
        io2.pin(9).lower();
        for (ApicHarness x : List.of(h, other)) {
            x.write(REG_EOI, 0);
            assertEquals(List.of(0x41, 0x41), x.eois);
            assertTrue(x.service().isEmpty());
        }
        io.pin(2).pulse();
        io2.pin(2).pulse();
        assertEquals(List.of(0x30), h.service());
        assertEquals(List.of(0x30), other.service());
        assertEquals(io.save(), io2.save());
    }
}

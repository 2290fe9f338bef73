package dev.vmm.firmware.tables;

import dev.vmm.devices.apic.IoApic;
import dev.vmm.devices.apic.LocalApic;
import dev.vmm.devices.board.PcBoard;

/**
 * The Intel MultiProcessor Specification 1.4 tables of the {@link PcBoard}: a 16-byte floating
 * pointer followed directly by the configuration table. Entries: one processor (local APIC ID 0,
 * the bootstrap processor), bus 0 = PCI and bus 1 = ISA, the I/O APIC (ID 0), I/O interrupt
 * assignments for ISA IRQs 0-15 (IRQ0 on pin 2, IRQ2 the cascade omitted, the others on the pin of
 * the same number; the SCI and the PIRQ IRQs level/active-high, the rest conforming) and for INTA#..D#
 * of PCI slots 1-31 through the PIIX3 swizzle and the BIOS's {@link PirqRouting} (level,
 * active-high, as the PIIX3 drives the ISA line), and the local interrupts LINT0 = ExtINT,
 * LINT1 = NMI. No extended entries.
 */
public final class MpTable {
    public static final int FLOATING_LENGTH = 16;
    public static final int HEADER_LENGTH = 44;
    public static final int SPEC_REV = 4;
    public static final int BUS_PCI = 0;
    public static final int BUS_ISA = 1;
    public static final int IOAPIC_ID = 0;
    // Entry types.
    static final int PROCESSOR = 0;
    static final int BUS = 1;
    static final int IOAPIC = 2;
    static final int IO_INT = 3;
    static final int LOCAL_INT = 4;
    // Interrupt types.
    static final int INT = 0;
    static final int NMI = 1;
    static final int EXTINT = 3;
    /** Flags: polarity active-high (01), trigger level (11). */
    static final int LEVEL_HIGH = 0x01 | 0x0C;

    private MpTable() {
    }

    /**
     * Builds the floating pointer at {@code address} (16-byte aligned; in the EBDA's first KiB, the
     * last KiB of base memory or 0xF0000-0xFFFFF) with the configuration table right after it.
     */
    public static byte[] build(long address, PirqRouting pirq) {
        if ((address & 0xF) != 0 || address + 0x1000 > 0x10_0000) {
            throw new IllegalArgumentException("MP tables must be 16-byte aligned below 1 MiB");
        }
        ByteSink e = new ByteSink();
        int count = 0;
        // Processor: ID 0, version, EN | BP, signature family 6, features FPU | APIC.
        e.u8(PROCESSOR).u8(0).u8(LocalApic.VERSION & 0xFF).u8(3).u32(0x0600).u32(1 | 1 << 9).zeros(8);
        count++;
        e.u8(BUS).u8(BUS_PCI).ascii("PCI", 6);
        e.u8(BUS).u8(BUS_ISA).ascii("ISA", 6);
        count += 2;
        e.u8(IOAPIC).u8(IOAPIC_ID).u8(IoApic.VERSION & 0xFF).u8(1).u32(IoApic.DEFAULT_BASE);
        count++;
        int level = 1 << PcBoard.SCI_IRQ | pirq.irqMask();
        for (int irq = 0; irq < 16; irq++) {
            if (irq == 2) {
                continue;
            }
            int flags = (level >>> irq & 1) != 0 ? LEVEL_HIGH : 0;
            e.u8(IO_INT).u8(INT).u16(flags).u8(BUS_ISA).u8(irq).u8(IOAPIC_ID).u8(irq == 0 ? 2 : irq);
            count++;
        }
        for (int slot = 1; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                e.u8(IO_INT).u8(INT).u16(LEVEL_HIGH).u8(BUS_PCI).u8(slot << 2 | pin).u8(IOAPIC_ID)
                        .u8(pirq.irqOf(slot, pin + 1));
                count++;
            }
        }
        e.u8(LOCAL_INT).u8(EXTINT).u16(0).u8(BUS_ISA).u8(0).u8(0xFF).u8(0);
        e.u8(LOCAL_INT).u8(NMI).u16(0).u8(BUS_ISA).u8(0).u8(0xFF).u8(1);
        count += 2;
        byte[] entries = e.toArray();

        ByteSink s = new ByteSink();
        long config = address + FLOATING_LENGTH;
        s.ascii("_MP_", 4).u32(config).u8(1).u8(SPEC_REV).u8(0).u8(0).zeros(4);
        s.ascii("PCMP", 4).u16(HEADER_LENGTH + entries.length).u8(SPEC_REV).u8(0).ascii(AcpiTables.OEM_ID, 8)
                .ascii("PC", 12).u32(0).u16(0).u16(count).u32(LocalApic.DEFAULT_BASE).u16(0).u8(0).u8(0)
                .bytes(entries);
        byte[] b = s.toArray();
        b[10] = (byte) ByteSink.checksum(b, 0, FLOATING_LENGTH);
        b[FLOATING_LENGTH + 7] = (byte) ByteSink.checksum(b, FLOATING_LENGTH, b.length - FLOATING_LENGTH);
        return b;
    }
}

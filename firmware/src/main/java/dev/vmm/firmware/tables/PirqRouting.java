package dev.vmm.firmware.tables;

import dev.vmm.devices.pci.Piix3IsaBridge;

/**
 * The fixed PCI interrupt routing the BIOS programs into the PIIX3's PIRQRC registers (0x60-0x63):
 * the ISA IRQ each of PIRQA#..PIRQD# drives. On this board ISA IRQ n (n &ne; 0) is wired to I/O
 * APIC pin n, so the same numbers are the GSIs of the PCI interrupts in APIC mode.
 *
 * @param irqs ISA IRQ of PIRQA..PIRQD (each 3-7, 9-12, 14 or 15, the PIIX3's legal values)
 */
public record PirqRouting(int a, int b, int c, int d) {
    /** SeaBIOS's choice for the i440FX: PIRQA..D = 10, 10, 11, 11. */
    public static final PirqRouting SEABIOS = new PirqRouting(10, 10, 11, 11);

    public PirqRouting {
        for (int irq : new int[] {a, b, c, d}) {
            if (irq < 3 || irq > 15 || irq == 8 || irq == 13) {
                throw new IllegalArgumentException("PIRQ cannot route to IRQ " + irq);
            }
        }
    }

    /** The ISA IRQ of PIRQ{@code n} (0 = A). */
    public int irq(int pirq) {
        return switch (pirq) {
            case 0 -> a;
            case 1 -> b;
            case 2 -> c;
            case 3 -> d;
            default -> throw new IllegalArgumentException("PIRQ 0-3: " + pirq);
        };
    }

    /** The ISA IRQ (= GSI) of INTx pin {@code pin} (1 = INTA#) of PCI device {@code device} on bus 0. */
    public int irqOf(int device, int pin) {
        return irq(Piix3IsaBridge.pirqOf(device, pin));
    }

    /** Bit n set when some PIRQ routes to IRQ n. */
    public int irqMask() {
        return 1 << a | 1 << b | 1 << c | 1 << d;
    }
}

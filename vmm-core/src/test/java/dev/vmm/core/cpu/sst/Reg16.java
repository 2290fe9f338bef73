package dev.vmm.core.cpu.sst;

import java.util.Locale;

/**
 * The 14 16-bit registers of a SingleStepTests 80286 state, in MOO {@code REGS} bitmask order: bit {@code n} of the
 * mask stands for the constant whose {@link #ordinal()} is {@code n}.
 */
public enum Reg16 {
    AX, BX, CX, DX, CS, SS, DS, ES, SP, BP, SI, DI, IP, FLAGS;

    /** Bitmask with all 14 registers present (the shape of every {@code INIT} state). */
    public static final int ALL_MASK = (1 << 14) - 1;

    private static final Reg16[] VALUES = values();

    /** The register for MOO bit {@code bit} (0..13). */
    public static Reg16 ofBit(int bit) {
        return VALUES[bit];
    }

    /** This register's bit in a MOO {@code REGS} mask. */
    public int bit() {
        return 1 << ordinal();
    }

    /** The key used in the upstream JSON ({@code "ax"}, ..., {@code "flags"}). */
    public String jsonKey() {
        return name().toLowerCase(Locale.ROOT);
    }
}

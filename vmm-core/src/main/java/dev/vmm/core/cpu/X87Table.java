package dev.vmm.core.cpu;

/**
 * The x87 rows of the opcode table (escape opcodes D8-DF), in the notation of {@link OpcodeTable}:
 * {@code STi} is ST(i) from ModRM r/m (register forms carry the {@code reg} attribute), {@code ST}
 * is ST(0), memory operands are {@code Mw}/{@code Md}/{@code Mq}/{@code Mt} (2, 4, 8, 10 bytes) or
 * {@code M} for the environment and state images.
 */
final class X87Table {
    private X87Table() {
    }

    /** Loads, stores, arithmetic, comparisons, control and environment instructions. */
    static final String ROWS = """
            # --- x87 ---------------------------------------------------------------------------
            """;

    /** The transcendental and exact-remainder instructions (all D9 with a fixed ModRM byte). */
    static final String TRANSCENDENTAL = """
            D9 F0 | F2XM1   |
            D9 F1 | FYL2X   |
            D9 F2 | FPTAN   |
            D9 F3 | FPATAN  |
            D9 F4 | FXTRACT |
            D9 F5 | FPREM1  |
            D9 F8 | FPREM   |
            D9 F9 | FYL2XP1 |
            D9 FB | FSINCOS |
            D9 FC | FRNDINT |
            D9 FD | FSCALE  |
            D9 FE | FSIN    |
            D9 FF | FCOS    |
            """;
}

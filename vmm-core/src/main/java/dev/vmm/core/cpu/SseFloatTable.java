package dev.vmm.core.cpu;

/**
 * The SSE and SSE2 floating-point rows of the opcode table: packed and scalar single/double
 * arithmetic, comparisons, conversions, MXCSR access. Mandatory prefixes select the row
 * ({@code np}, {@code 66}, {@code f2}, {@code f3}; see {@link OpcodeTable}).
 */
final class SseFloatTable {
    private SseFloatTable() {
    }

    static final String ROWS = """
            # --- SSE/SSE2 floating point -------------------------------------------------------
            """;
}

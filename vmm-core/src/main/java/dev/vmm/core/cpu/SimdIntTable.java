package dev.vmm.core.cpu;

/**
 * The MMX and SSE/SSE2 integer and data-movement rows of the opcode table: packed integer
 * arithmetic, comparisons, shifts, packs and unpacks, shuffles, logic, moves between registers and
 * memory, EMMS, cacheability and ordering instructions. Mandatory prefixes select the row
 * ({@code np}, {@code 66}, {@code f2}, {@code f3}; see {@link OpcodeTable}).
 */
final class SimdIntTable {
    private SimdIntTable() {
    }

    static final String ROWS = """
            # --- MMX and SSE/SSE2 integer, moves -----------------------------------------------
            """;
}

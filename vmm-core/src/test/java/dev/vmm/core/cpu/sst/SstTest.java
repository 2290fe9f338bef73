package dev.vmm.core.cpu.sst;

import java.util.List;

/**
 * One SingleStepTests 80286 test case, as read from a MOO {@code TEST} chunk.
 *
 * @param index      0-based index of the test in its file ({@code TEST} index field; JSON {@code idx})
 * @param name       disassembly of the instruction ({@code NAME})
 * @param bytes      instruction bytes ({@code BYTS}); upstream includes the terminating {@code F4} (HLT) when it
 *                   directly follows the instruction
 * @param initial    initial state: all 14 registers plus the RAM bytes to load
 * @param finalState final state: only the registers that changed, plus every RAM byte to check
 * @param exception  exception/interrupt taken by the instruction ({@code EXCP}), or {@code null}
 * @param hash       SHA-1 test id as 40 lower-case hex digits ({@code HASH}); matched against the revocation list
 */
public record SstTest(int index, String name, byte[] bytes, State initial, State finalState,
                      ExceptionInfo exception, String hash) {

    /** Initial registers (all 14 present). */
    public Registers initialRegs() {
        return initial.regs();
    }

    /** Initial RAM bytes. */
    public List<RamEntry> initialRam() {
        return initial.ram();
    }

    /** Final registers (only those that changed are present). */
    public Registers finalRegs() {
        return finalState.regs();
    }

    /** Final RAM bytes. */
    public List<RamEntry> finalRam() {
        return finalState.ram();
    }

    /** Whether the test carries an {@code EXCP} chunk. */
    public boolean hasException() {
        return exception != null;
    }

    @Override
    public String toString() {
        return "SstTest[" + index + " '" + name + "' " + hash + "]";
    }

    /** A CPU state snapshot ({@code INIT} or {@code FINA}). */
    public record State(Registers regs, List<RamEntry> ram) {
        public State {
            ram = List.copyOf(ram);
        }
    }

    /** One RAM byte: 24-bit physical address and 8-bit value. */
    public record RamEntry(int address, int value) {
    }

    /**
     * Exception or interrupt raised by the instruction.
     *
     * @param number      vector number
     * @param flagAddress physical address of the FLAGS image pushed on the stack (mask undefined flags there)
     */
    public record ExceptionInfo(int number, int flagAddress) {
    }

    /**
     * A register set with a presence mask.
     *
     * @param mask   bit {@code r.ordinal()} set when register {@code r} is present (see {@link Reg16#bit()})
     * @param values 14 entries indexed by {@link Reg16#ordinal()}, 16-bit unsigned; 0 for absent registers
     */
    public record Registers(int mask, int[] values) {
        public Registers {
            if (values.length != 14) {
                throw new IllegalArgumentException("need 14 register values, got " + values.length);
            }
            values = values.clone();
        }

        /** Whether {@code r} is present. */
        public boolean has(Reg16 r) {
            return (mask & r.bit()) != 0;
        }

        /** Value of {@code r} (0..0xFFFF); throws if absent. */
        public int get(Reg16 r) {
            if (!has(r)) {
                throw new IllegalStateException(r + " not present");
            }
            return values[r.ordinal()];
        }

        /** Value of {@code r} if present, else {@code fallback}. */
        public int getOr(Reg16 r, int fallback) {
            return has(r) ? values[r.ordinal()] : fallback;
        }

        /** Whether all 14 registers are present. */
        public boolean complete() {
            return mask == Reg16.ALL_MASK;
        }

        /** A copy of the 14 values (index = {@link Reg16#ordinal()}). */
        @Override
        public int[] values() {
            return values.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Registers other && other.mask == mask
                    && java.util.Arrays.equals(other.values, values);
        }

        @Override
        public int hashCode() {
            return 31 * mask + java.util.Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("{");
            for (Reg16 r : Reg16.values()) {
                if (has(r)) {
                    if (sb.length() > 1) {
                        sb.append(' ');
                    }
                    sb.append(r.jsonKey()).append('=').append(String.format("%04X", values[r.ordinal()]));
                }
            }
            return sb.append('}').toString();
        }
    }
}

package dev.vmm.core.cpu.oracle;

import java.util.Arrays;

/**
 * What a {@link NativeExecutor#run native run} left behind.
 *
 * @param registers the registers and EFLAGS right after the test code (see {@link RegisterImage}
 *     for how to compare EFLAGS)
 * @param data a copy of the whole data region ({@link NativeExecutor#DATA_SIZE} bytes) after the
 *     run; index 0 is the byte at {@link NativeExecutor#dataAddress()}
 */
public record NativeResult(RegisterImage registers, byte[] data) {

    /**
     * Reads a little-endian 32-bit value from the data copy.
     *
     * @param offset byte offset from the start of the data region
     * @return the value
     */
    public int dataInt(int offset) {
        return (data[offset] & 0xFF) | (data[offset + 1] & 0xFF) << 8
                | (data[offset + 2] & 0xFF) << 16 | (data[offset + 3] & 0xFF) << 24;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NativeResult r && registers.equals(r.registers) && Arrays.equals(data, r.data);
    }

    @Override
    public int hashCode() {
        return registers.hashCode() * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NativeResult[" + registers + ", data=" + data.length + " bytes]";
    }
}

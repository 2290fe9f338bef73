package dev.vmm.core.cpu.diff;

import dev.vmm.core.cpu.Disassembler;
import dev.vmm.core.cpu.oracle.RegisterImage;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One generated differential test case.
 *
 * @param cls the instruction class (test container)
 * @param name the generator (test) name
 * @param index the case number within its generator
 * @param code the instruction bytes (without the final HLT)
 * @param starts the offset of every instruction in {@code code}
 * @param in input registers and flags
 * @param window the initial bytes of the data window at {@link CaseBuilder#WINDOW}
 * @param memOperands {offset, size} of the memory operands, for the report
 * @param undefined the status flags the code leaves undefined (not compared)
 */
record DiffCase(String cls, String name, int index, byte[] code, int[] starts, RegisterImage in, byte[] window,
                List<int[]> memOperands, int undefined) {

    /** One line per instruction: offset, bytes, disassembly. */
    String listing(long eip) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < starts.length; k++) {
            int from = starts[k];
            int to = k + 1 < starts.length ? starts[k + 1] : code.length;
            byte[] b = Arrays.copyOfRange(code, from, to);
            sb.append(String.format("    %08x: %-30s %s%n", eip + from, Disassembler.bytes(b),
                    Disassembler.disassemble(b, 32, eip + from)));
        }
        return sb.toString();
    }

    String hex() {
        return HexFormat.ofDelimiter(" ").formatHex(code);
    }

    /** The initial bytes of each memory operand. */
    String memoryInputs() {
        StringBuilder sb = new StringBuilder();
        for (int[] m : memOperands) {
            int off = m[0] - CaseBuilder.WINDOW;
            int n = Math.max(m[1], 1);
            if (off < 0 || off + n > window.length) {
                continue;
            }
            sb.append(String.format("    data+0x%04x: %s%n", m[0],
                    HexFormat.ofDelimiter(" ").formatHex(window, off, off + n)));
        }
        return sb.toString();
    }
}

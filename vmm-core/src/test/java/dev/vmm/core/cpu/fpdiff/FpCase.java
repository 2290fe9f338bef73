package dev.vmm.core.cpu.fpdiff;

import dev.vmm.core.cpu.Disassembler;
import java.util.HexFormat;

/**
 * One floating-point differential case: the instruction bytes under test, the FXSAVE image both
 * CPUs start from, the bytes of the memory-operand area, and the general registers.
 *
 * <p>While the instruction runs, EBX points at the input image and ESI at the memory-operand area
 * ({@link FpDiffRunner#MEM_SIZE} bytes): memory operands are written {@code [esi]} or
 * {@code [esi+disp8]}. The instruction may read and write EAX, ECX, EDX, EDI and EBP (given here)
 * and EFLAGS, but must not change EBX, ESI or ESP.
 *
 * @param name   a label for reports (the generator)
 * @param index  the case number
 * @param code   the instruction(s) under test
 * @param in     the starting FXSAVE image
 * @param mem    the initial memory-operand area (at most {@link FpDiffRunner#MEM_SIZE} bytes)
 * @param eax    initial EAX (ECX, EDX, EDI, EBP likewise)
 * @param eflags initial EFLAGS (only the status flags are taken)
 */
public record FpCase(String name, int index, byte[] code, FxImage in, byte[] mem, int eax, int ecx, int edx, int edi,
                     int ebp, int eflags) {

    /** A case with zero general registers and flags. */
    public static FpCase of(String name, int index, byte[] code, FxImage in, byte[] mem) {
        return new FpCase(name, index, code, in, mem, 0, 0, 0, 0, 0, 0x2);
    }

    public String hex() {
        return HexFormat.ofDelimiter(" ").formatHex(code);
    }

    public String disassembly() {
        return Disassembler.disassemble(code, 32, 0);
    }
}

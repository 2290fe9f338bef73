package dev.vmm.core.cpu.oracle;

/**
 * The 32-bit register state that {@link NativeExecutor} feeds into, and reads back from, a
 * natively executed instruction sequence. ESP is deliberately absent: test code must not touch it.
 *
 * <p>On input only the bits {@link NativeExecutor#FLAGS_SETTABLE} of {@code eflags} are used
 * (CF PF AF ZF SF DF OF); on output {@code eflags} is the raw low half of RFLAGS as {@code pushfq}
 * saw it right after the test code, so it also carries host bits such as bit 1, IF and ID. Compare
 * with a mask such as {@link NativeExecutor#FLAGS_STATUS}, minus the flags the instruction leaves
 * undefined.
 *
 * @param eax EAX
 * @param ebx EBX
 * @param ecx ECX
 * @param edx EDX
 * @param esi ESI
 * @param edi EDI
 * @param ebp EBP
 * @param eflags EFLAGS
 */
public record RegisterImage(int eax, int ebx, int ecx, int edx, int esi, int edi, int ebp, int eflags) {

    /** All registers zero, EFLAGS = 0x2 (only the always-one bit 1). */
    public static final RegisterImage ZERO = new RegisterImage(0, 0, 0, 0, 0, 0, 0, 0x2);

    /**
     * Returns a register by its x86 encoding number: 0 EAX, 1 ECX, 2 EDX, 3 EBX, 5 EBP, 6 ESI,
     * 7 EDI (the numbering of ModRM.reg and of opcodes such as B8+r).
     *
     * @param x86Index register number 0-7 except 4 (ESP)
     * @return the register's value
     * @throws IllegalArgumentException for 4 (ESP) or a number outside 0-7
     */
    public int reg(int x86Index) {
        return switch (x86Index) {
            case 0 -> eax;
            case 1 -> ecx;
            case 2 -> edx;
            case 3 -> ebx;
            case 5 -> ebp;
            case 6 -> esi;
            case 7 -> edi;
            default -> throw new IllegalArgumentException("no such register (ESP is excluded): " + x86Index);
        };
    }

    /**
     * Returns a copy with one register, named by its x86 encoding number, replaced.
     *
     * @param x86Index register number 0-7 except 4 (ESP), as in {@link #reg(int)}
     * @param value the new value
     * @return the new image
     * @throws IllegalArgumentException for 4 (ESP) or a number outside 0-7
     */
    public RegisterImage withReg(int x86Index, int value) {
        return switch (x86Index) {
            case 0 -> new RegisterImage(value, ebx, ecx, edx, esi, edi, ebp, eflags);
            case 1 -> new RegisterImage(eax, ebx, value, edx, esi, edi, ebp, eflags);
            case 2 -> new RegisterImage(eax, ebx, ecx, value, esi, edi, ebp, eflags);
            case 3 -> new RegisterImage(eax, value, ecx, edx, esi, edi, ebp, eflags);
            case 5 -> new RegisterImage(eax, ebx, ecx, edx, esi, edi, value, eflags);
            case 6 -> new RegisterImage(eax, ebx, ecx, edx, value, edi, ebp, eflags);
            case 7 -> new RegisterImage(eax, ebx, ecx, edx, esi, value, ebp, eflags);
            default -> throw new IllegalArgumentException("no such register (ESP is excluded): " + x86Index);
        };
    }

    /**
     * Returns a copy with EFLAGS replaced.
     *
     * @param value the new EFLAGS
     * @return the new image
     */
    public RegisterImage withEflags(int value) {
        return new RegisterImage(eax, ebx, ecx, edx, esi, edi, ebp, value);
    }

    @Override
    public String toString() {
        return String.format("eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x eflags=%08x",
                eax, ebx, ecx, edx, esi, edi, ebp, eflags);
    }
}

package dev.vmm.core.cpu.diff;

import dev.vmm.core.cpu.CodeSource;
import dev.vmm.core.cpu.Decoder;
import dev.vmm.core.cpu.Insn;
import dev.vmm.core.cpu.Operand;
import dev.vmm.core.cpu.oracle.NativeExecutor;

/**
 * A safety net in front of the native oracle, where a generator bug would kill the JVM: decodes
 * every instruction of a case and rejects the encodings {@link NativeExecutor} forbids (ESP
 * operands and bases, RIP-relative ModRM, 0x40-0x4F opcodes, address-size and segment prefixes,
 * undecodable bytes). For single-instruction cases it also checks that the memory operand lies in
 * the data region.
 */
final class CaseValidator {
    private CaseValidator() {
    }

    /** Throws IllegalStateException if {@code c} must not run natively. */
    static void check(DiffCase c, long dataAddress) {
        byte[] code = c.code();
        int[] starts = c.starts();
        for (int k = 0; k < starts.length; k++) {
            int from = starts[k];
            int to = k + 1 < starts.length ? starts[k + 1] : code.length;
            Insn i = Decoder.decode(CodeSource.of(code, from), 32);
            if (i.entry == null || i.len != to - from) {
                throw bad(c, "undecodable or length mismatch at +" + from);
            }
            int p = from;
            while (p < to && isPrefix(code[p] & 0xFF)) {
                p++;
            }
            if (p < to && (code[p] & 0xF0) == 0x40) {
                throw bad(c, "REX byte as opcode at +" + p);
            }
            if (i.has(Insn.P_ASIZE) || i.has(Insn.P_SEG)) {
                throw bad(c, "address-size or segment prefix");
            }
            checkOperand(c, i, i.k1, i.w1);
            checkOperand(c, i, i.k2, i.w2);
            checkOperand(c, i, i.k3, i.w3);
            boolean memory = i.modrmByte >= 0 && i.mod != 3;
            if (memory) {
                if ((i.modrmByte & 0xC7) == 0x05) {
                    throw bad(c, "RIP-relative ModRM");
                }
                if (i.base == 4 || i.index == 4) {
                    throw bad(c, "ESP in an address");
                }
                if (starts.length == 1 && !i.entry.key().equals("LEA")) {
                    checkAddress(c, i, dataAddress);
                }
            }
        }
    }

    private static boolean isPrefix(int b) {
        return b == 0x66 || b == 0xF0 || b == 0xF2 || b == 0xF3;
    }

    private static void checkOperand(DiffCase c, Insn i, int kind, int width) {
        if (width < 2) {
            return;
        }
        int r = switch (kind) {
            case Operand.G, Operand.Z -> i.reg;
            case Operand.E -> i.mod == 3 ? i.rm : -1;
            default -> -1;
        };
        if (r == 4) {
            throw bad(c, "ESP operand");
        }
    }

    private static void checkAddress(DiffCase c, Insn i, long dataAddress) {
        long a = (int) i.disp;
        if (i.base >= 0) {
            a += c.in().reg(i.base) & 0xFFFF_FFFFL;
        }
        if (i.index >= 0) {
            a += (c.in().reg(i.index) & 0xFFFF_FFFFL) << i.scale;
        }
        if (a < dataAddress || a + 4 > dataAddress + NativeExecutor.DATA_SIZE) {
            throw bad(c, "memory operand outside the data region: 0x" + Long.toHexString(a));
        }
    }

    private static IllegalStateException bad(DiffCase c, String why) {
        return new IllegalStateException("generator bug, case not run natively (" + why + "):\n" + c.listing(0));
    }
}

package dev.vmm.core.cpu.fpdiff;

import dev.vmm.core.cpu.OpcodeEntry;
import dev.vmm.core.cpu.Operand;
import dev.vmm.core.cpu.OperandSpec;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Builds differential cases for one row of the MMX / SSE / SSE2 integer and data-movement table, from
 * the row itself: the mandatory prefix, the opcode, the ModRM group, the operand kinds (MMX, XMM,
 * general register, memory, register-only) and the memory operand size.
 *
 * <p>Inputs: a random x87 state (any TOP, any tags, any exponents, condition codes and masked
 * exception flags, never a pending unmasked exception, which would make an MMX instruction raise
 * #MF natively), MMX/XMM/memory/general-register values made of lanes of random width filled with
 * boundary values (0, 1, all ones, the signed minimum and maximum and their neighbours) or random
 * bits, or single/double special values; any all-masked MXCSR. Memory operands are {@code [esi]} or
 * {@code [esi+disp8]}; the 16-byte operands of the aligned forms stay 16-byte aligned (the host
 * would raise #GP), the unaligned forms get any displacement. Shift counts cover every value from 0
 * to the lane width + 1 and large 64-bit counts (bits above 31 set, the top bit set); shuffles get
 * every immediate from 0 to 255 in their register form.
 */
final class SimdIntCases {
    /** General registers the harness lets an instruction use: EAX ECX EDX EBP EDI. */
    private static final int[] GPRS = {0, 1, 2, 5, 7};
    private static final Set<String> SHUFFLES = Set.of("PSHUFW", "PSHUFD", "PSHUFHW", "PSHUFLW", "SHUFPS", "SHUFPD");
    private static final Set<String> UNALIGNED = Set.of("MOVUPS", "MOVUPD", "MOVDQU");
    /** Shift counts beyond the lane widths, as 64-bit count operands. */
    private static final long[] BIG_COUNTS = {128, 255, 256, 0xFFFF_FFFFL, 1L << 32, 1L << 32 | 3, 1L << 63, -1L,
        0x7FFF_FFFF_FFFF_FFFFL};

    private final OpcodeEntry e;
    private final long memBase;
    private final int regOp;
    private final int rmOp;
    private final int memSize;
    private final boolean aligned;
    private final boolean hasImm;
    private final int shiftBits;
    private final boolean registerCount;

    /** One row; {@code memBase} is the linear address of the runner's memory-operand area (for MASKMOV*). */
    SimdIntCases(OpcodeEntry e, long memBase) {
        this.e = e;
        this.memBase = memBase;
        int reg = -1;
        int rm = -1;
        boolean imm = false;
        List<OperandSpec> ops = e.operands();
        for (int k = 0; k < ops.size(); k++) {
            switch (ops.get(k).kind()) {
                case Operand.V, Operand.P, Operand.G -> reg = k;
                case Operand.W, Operand.Q, Operand.E, Operand.U, Operand.N, Operand.M -> rm = k;
                case Operand.I -> imm = true;
                default -> throw new IllegalArgumentException("operand kind of " + e.notation());
            }
        }
        regOp = reg;
        rmOp = rm;
        hasImm = imm;
        memSize = rm < 0 ? 0 : switch (ops.get(rm).size()) {
            case Operand.SZ_B -> 1;
            case Operand.SZ_RDMW -> 2;
            case Operand.SZ_D -> 4;
            case Operand.SZ_Q -> 8;
            case Operand.SZ_DQ -> 16;
            default -> throw new IllegalArgumentException("operand size of " + e.notation());
        };
        aligned = memSize == 16 && !UNALIGNED.contains(e.mnemonic());
        String m = e.mnemonic();
        boolean shift = m.matches("PS(LL|RL|RA)[WDQ]|PS(LL|RL)DQ");
        shiftBits = !shift ? 0 : m.endsWith("DQ") ? 128 : switch (m.charAt(4)) {
            case 'W' -> 16;
            case 'D' -> 32;
            default -> 64;
        };
        registerCount = shift && rm >= 0 && (ops.get(rm).kind() == Operand.Q || ops.get(rm).kind() == Operand.W);
    }

    /** Register, memory or both forms allowed by the row. */
    private boolean memoryAllowed() {
        if (rmOp < 0 || e.has(OpcodeEntry.F_REG)) {
            return false;
        }
        int k = e.operands().get(rmOp).kind();
        return k != Operand.U && k != Operand.N;
    }

    private boolean registerAllowed() {
        return rmOp < 0 || !e.has(OpcodeEntry.F_MEM) && e.operands().get(rmOp).kind() != Operand.M;
    }

    private boolean rmIsMmx() {
        int k = rmOp < 0 ? -1 : e.operands().get(rmOp).kind();
        return k == Operand.Q || k == Operand.N;
    }

    private boolean rmIsGpr() {
        return rmOp >= 0 && e.operands().get(rmOp).kind() == Operand.E;
    }

    /** Every case of this row: the register form and the memory form where the row allows them. */
    List<FpCase> cases(Random r, String name) {
        List<FpCase> out = new ArrayList<>();
        int base = rmOp < 0 ? 16 : 40;
        int regCases = !registerAllowed() ? 0 : SHUFFLES.contains(e.mnemonic()) ? 256
                : shiftBits > 0 ? Math.max(base, countValues() + 16) : base;
        int memCases = !memoryAllowed() ? 0 : registerCount ? Math.max(base, countValues() + 16) : base;
        for (int k = 0; k < regCases; k++) {
            out.add(build(r, name, out.size(), false, k));
        }
        for (int k = 0; k < memCases; k++) {
            out.add(build(r, name, out.size(), true, k));
        }
        return out;
    }

    /** Counts 0 .. width + 1 (PSLLDQ/PSRLDQ: bytes 0 .. 17) and the large ones. */
    private int countValues() {
        int w = shiftBits == 128 ? 16 : shiftBits;
        return w + 2 + BIG_COUNTS.length;
    }

    private long count(int k, Random r) {
        int w = shiftBits == 128 ? 16 : shiftBits;
        if (k < w + 2) {
            return k;
        }
        k -= w + 2;
        return k < BIG_COUNTS.length ? BIG_COUNTS[k] : r.nextInt(w + 4);
    }

    private FpCase build(Random r, String name, int index, boolean memory, int k) {
        int top = r.nextInt(8);
        FxImage in = FxImage.fninit().fcw(FpValues.fcw(r) | 0x3F)
                .fsw(top << 11 | r.nextInt() & 0x4700 | r.nextInt(0x80))
                .ftw(r.nextInt(256)).mxcsr(FpValues.mxcsr(r));
        for (int n = 0; n < 8; n++) {
            in.st(n, r.nextInt(4) == 0 ? 0xFFFF : r.nextInt(0x10000), value(r));
            in.xmm(n, value(r), value(r));
        }
        byte[] mem = new byte[FpDiffRunner.MEM_SIZE];
        for (int at = 0; at < mem.length; at += 8) {
            long v = value(r);
            for (int b = 0; b < 8; b++) {
                mem[at + b] = (byte) (v >>> 8 * b);
            }
        }
        int[] gpr = new int[8];
        for (int n = 0; n < 8; n++) {
            gpr[n] = (int) value(r);
        }

        int reg = regField(r);
        int rm = rmOp < 0 ? 0 : rmIsGpr() ? GPRS[r.nextInt(GPRS.length)] : r.nextInt(8);
        int disp = 0;
        if (memory) {
            disp = r.nextInt(4) == 0 ? 0 : aligned ? 16 * r.nextInt(8) : r.nextInt(128);
        }
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        if (e.has(OpcodeEntry.F_P66)) {
            code.write(0x66);
        } else if (e.has(OpcodeEntry.F_PF2)) {
            code.write(0xF2);
        } else if (e.has(OpcodeEntry.F_PF3)) {
            code.write(0xF3);
        }
        code.write(0x0F);
        code.write(e.opcode());
        if (e.has(OpcodeEntry.F_MODRM)) {
            if (!memory) {
                code.write(0xC0 | reg << 3 | rm);
            } else if (disp == 0) {
                code.write(0x06 | reg << 3);
            } else {
                code.write(0x46 | reg << 3);
                code.write(disp);
            }
        }
        long imm = 0;
        if (hasImm) {
            imm = SHUFFLES.contains(e.mnemonic()) && !memory ? k
                    : shiftBits > 0 ? count(k, r) & 0xFF : r.nextInt(256);
            code.write((int) imm);
        }

        if (registerCount) {
            // Put the count where the instruction reads it: the low quadword of the source.
            long cnt = count(k, r);
            if (memory) {
                for (int b = 0; b < 8; b++) {
                    mem[disp + b] = (byte) (cnt >>> 8 * b);
                }
            } else if (rmIsMmx()) {
                in.st((rm - top) & 7, in.stSe((rm - top) & 7), cnt);
            } else {
                in.xmm(rm, cnt, in.xmmHi(rm));
            }
        }
        if (e.mnemonic().startsWith("MASKMOV")) {
            gpr[7] = (int) memBase + r.nextInt(FpDiffRunner.MEM_SIZE - 16 + 1);
        }
        return new FpCase(name, index, code.toByteArray(), in, mem, gpr[0], gpr[1], gpr[2], gpr[7], gpr[5],
                r.nextInt() & FpDiffRunner.STATUS);
    }

    /** The ModRM reg field: a register operand's number (general registers: EAX ECX EDX EBP EDI), or the group digit. */
    private int regField(Random r) {
        if (e.group() >= 0) {
            return e.group();
        }
        if (regOp < 0) {
            return r.nextInt(8);
        }
        return e.operands().get(regOp).kind() == Operand.G ? GPRS[r.nextInt(GPRS.length)] : r.nextInt(8);
    }

    /**
     * A 64-bit operand value: lanes of a random width with boundary or random contents, random bits,
     * or two single / one double special value.
     */
    static long value(Random r) {
        return switch (r.nextInt(8)) {
            case 0 -> r.nextLong();
            case 1 -> FpValues.f64(r);
            case 2 -> FpValues.f32(r) & 0xFFFF_FFFFL | (long) FpValues.f32(r) << 32;
            default -> lanes(r, 8 << r.nextInt(4));
        };
    }

    private static long lanes(Random r, int bits) {
        long m = bits == 64 ? -1L : (1L << bits) - 1;
        long v = 0;
        for (int s = 0; s < 64; s += bits) {
            long x = switch (r.nextInt(9)) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> m;
                case 3 -> m >>> 1;
                case 4 -> (m >>> 1) + 1;
                case 5 -> m - 1;
                case 6 -> (m >>> 1) - 1;
                case 7 -> (m >>> 1) + 2;
                default -> r.nextLong();
            };
            v |= (x & m) << s;
        }
        return v;
    }
}

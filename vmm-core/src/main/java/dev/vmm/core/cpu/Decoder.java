package dev.vmm.core.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes x86 instructions using {@link OpcodeTable}. Stateless and shared: the lookup structures
 * are built once from the table.
 */
public final class Decoder {
    private static final OpcodeEntry[][][] MAPS = buildMaps();
    /** Per map and opcode: 1 if a ModRM byte follows, 2 if ModRM's mod is ignored (MOV CRn). */
    private static final byte[][] MODRM = buildModrm();

    private static final int[] BASE16 = {3, 3, 5, 5, 6, 7, 5, 3};
    private static final int[] INDEX16 = {6, 7, 6, 7, -1, -1, -1, -1};

    private Decoder() {
    }

    private static OpcodeEntry[][][] buildMaps() {
        @SuppressWarnings({"unchecked", "rawtypes"})
        List<OpcodeEntry>[][] lists = new List[4][256];
        for (OpcodeEntry e : OpcodeTable.entries()) {
            List<OpcodeEntry> l = lists[e.map()][e.opcode()];
            if (l == null) {
                l = lists[e.map()][e.opcode()] = new ArrayList<>();
            }
            l.add(e);
        }
        OpcodeEntry[][][] maps = new OpcodeEntry[4][256][];
        for (int m = 0; m < 4; m++) {
            for (int o = 0; o < 256; o++) {
                if (lists[m][o] != null) {
                    maps[m][o] = lists[m][o].toArray(OpcodeEntry[]::new);
                }
            }
        }
        return maps;
    }

    private static byte[][] buildModrm() {
        byte[][] out = new byte[4][256];
        for (int m = 0; m < 4; m++) {
            for (int o = 0; o < 256; o++) {
                OpcodeEntry[] slot = MAPS[m][o];
                if (slot == null) {
                    continue;
                }
                boolean modrm = slot[0].has(OpcodeEntry.F_MODRM);
                boolean onlyR = modrm;
                for (OpcodeEntry e : slot) {
                    if (e.has(OpcodeEntry.F_MODRM) != modrm) {
                        throw new IllegalStateException("opcode table: rows of " + Integer.toHexString(o)
                                + " disagree about ModRM");
                    }
                    for (OperandSpec s : e.operands()) {
                        if (s.usesRm() && s.kind() != Operand.R) {
                            onlyR = false;
                        }
                    }
                    if (e.group() >= 0 && e.operands().stream().noneMatch(OperandSpec::usesRm)) {
                        onlyR = false;
                    }
                }
                out[m][o] = (byte) (!modrm ? 0 : onlyR ? 2 : 1);
            }
        }
        return out;
    }

    /** Decodes one instruction from {@code src} in a code segment of {@code mode} bits (16 or 32). */
    public static Insn decode(CodeSource src, int mode) {
        Insn i = new Insn();
        decode(src, mode, i);
        return i;
    }

    /** Decodes into {@code i} (all fields overwritten). */
    public static void decode(CodeSource src, int mode, Insn i) {
        i.entry = null;
        i.handler = null;
        i.step = null;
        i.bad = Insn.BAD_NONE;
        i.mode = mode;
        i.base = -1;
        i.index = -1;
        i.scale = 0;
        i.disp = 0;
        i.imm = 0;
        i.imm2 = 0;
        i.nextPa = -1;
        i.mod = 0;
        i.reg = 0;
        i.rm = 0;
        i.modrmByte = -1;
        i.k1 = i.k2 = i.k3 = 0;
        i.w1 = i.w2 = i.w3 = 0;
        i.c1 = i.c2 = i.c3 = 0;
        int prefixes = 0;
        int seg = -1;
        int n = 0;
        int b;
        while (true) {
            b = src.byteAt(n);
            if (b < 0) {
                i.len = n;
                i.bad = Insn.BAD_TRUNCATED;
                return;
            }
            n++;
            switch (b) {
                case 0x26 -> seg = Cpu.ES;
                case 0x2E -> seg = Cpu.CS;
                case 0x36 -> seg = Cpu.SS;
                case 0x3E -> seg = Cpu.DS;
                case 0x64 -> seg = Cpu.FS;
                case 0x65 -> seg = Cpu.GS;
                case 0x66 -> prefixes |= Insn.P_OSIZE;
                case 0x67 -> prefixes |= Insn.P_ASIZE;
                case 0xF0 -> prefixes |= Insn.P_LOCK;
                case 0xF2 -> prefixes = (prefixes & ~Insn.P_REP) | Insn.P_REPNE;
                case 0xF3 -> prefixes = (prefixes & ~Insn.P_REPNE) | Insn.P_REP;
                default -> {
                    decodeOpcode(src, mode, i, b, n, prefixes, seg);
                    return;
                }
            }
            if (n >= 15) {
                i.len = 15;
                i.bad = Insn.BAD_TOO_LONG;
                return;
            }
        }
    }

    private static void decodeOpcode(CodeSource src, int mode, Insn i, int b, int n, int prefixes, int seg) {
        int map = 0;
        if (b == 0x0F) {
            b = src.byteAt(n);
            if (b < 0) {
                fail(i, n, Insn.BAD_TRUNCATED);
                return;
            }
            n++;
            map = 1;
        }
        if (seg >= 0) {
            prefixes |= Insn.P_SEG;
        }
        i.prefixes = prefixes;
        i.opcode = b;
        boolean o16 = (mode == 16) != ((prefixes & Insn.P_OSIZE) != 0);
        boolean a16 = (mode == 16) != ((prefixes & Insn.P_ASIZE) != 0);
        i.osize = o16 ? 2 : 4;
        i.asize = a16 ? 2 : 4;
        OpcodeEntry[] slot = MAPS[map][b];
        if (slot == null) {
            fail(i, n, Insn.BAD_OPCODE);
            return;
        }
        int modrmKind = MODRM[map][b];
        int defSeg = Cpu.DS;
        if (modrmKind != 0) {
            int m = src.byteAt(n);
            if (m < 0) {
                fail(i, n, Insn.BAD_TRUNCATED);
                return;
            }
            n++;
            i.modrmByte = m;
            i.mod = m >>> 6;
            i.reg = (m >>> 3) & 7;
            i.rm = m & 7;
            if (modrmKind == 2) {
                i.mod = 3;
            } else if (i.mod != 3) {
                n = a16 ? decodeEa16(src, i, n) : decodeEa32(src, i, n);
                if (n < 0) {
                    fail(i, -n, Insn.BAD_TRUNCATED);
                    return;
                }
                if (i.base == 4 || i.base == 5) {
                    defSeg = Cpu.SS;
                }
            }
        } else {
            i.reg = b & 7;
        }
        i.seg = seg >= 0 ? seg : defSeg;

        OpcodeEntry e = select(slot, i, mode, prefixes);
        if (e == null) {
            fail(i, n, Insn.BAD_OPCODE);
            return;
        }
        if (e.has(OpcodeEntry.F_P66)) {
            i.osize = mode == 16 ? 2 : 4;   // the 66 selected the row; it does not change the operand size
        }
        if (e.operands().size() > 0 && e.operands().getFirst().kind() == Operand.Z) {
            i.reg = b & 7;
        }
        n = decodeImmediates(src, i, e, n);
        if (n < 0) {
            fail(i, -n, Insn.BAD_TRUNCATED);
            return;
        }
        if (n > 15) {
            fail(i, 15, Insn.BAD_TOO_LONG);
            return;
        }
        // LOCK is checked once the whole instruction is fetched: running out of bytes (a fetch fault) and the
        // 15-byte limit take precedence over the #UD, and the length covers the immediates.
        if ((prefixes & Insn.P_LOCK) != 0 && (!e.has(OpcodeEntry.F_LOCK) || i.mod == 3)) {
            fail(i, n, Insn.BAD_LOCK);
            return;
        }
        i.len = n;
        i.entry = e;
        resolveConstants(i, e);
    }

    /** Fills {@link Insn#c1}..{@link Insn#c3}: fixed register numbers and immediate values (the first immediate in operand order is imm, a later one imm2). */
    private static void resolveConstants(Insn i, OpcodeEntry e) {
        List<OperandSpec> ops = e.operands();
        boolean sawImm = false;
        for (int k = 0; k < ops.size() && k < 3; k++) {
            OperandSpec s = ops.get(k);
            int kind = s.kind();
            long c;
            if (kind == Operand.REG || kind == Operand.SREG) {
                c = s.fixed();
            } else if (kind == Operand.I || kind == Operand.IBS) {
                c = Cpu.mask(sawImm ? i.imm2 : i.imm, k == 0 ? i.w1 : k == 1 ? i.w2 : i.w3);
                sawImm = true;
            } else {
                continue;
            }
            switch (k) {
                case 0 -> i.c1 = c;
                case 1 -> i.c2 = c;
                default -> i.c3 = c;
            }
        }
    }

    private static void fail(Insn i, int len, int why) {
        i.entry = null;
        i.len = len;
        i.bad = why;
    }

    private static OpcodeEntry select(OpcodeEntry[] slot, Insn i, int mode, int prefixes) {
        for (OpcodeEntry e : slot) {
            int f = e.flags();
            if (e.group() >= 0 && e.group() != i.reg) {
                continue;
            }
            if (e.modrm() >= 0 && e.modrm() != i.modrmByte) {
                continue;
            }
            if ((f & OpcodeEntry.F_MEM) != 0 && i.mod == 3) {
                continue;
            }
            if ((f & OpcodeEntry.F_REG) != 0 && i.mod != 3) {
                continue;
            }
            if ((f & OpcodeEntry.F_O16) != 0 && i.osize != 2 || (f & OpcodeEntry.F_O32) != 0 && i.osize != 4) {
                continue;
            }
            if ((f & OpcodeEntry.F_A16) != 0 && i.asize != 2 || (f & OpcodeEntry.F_A32) != 0 && i.asize != 4) {
                continue;
            }
            if ((f & OpcodeEntry.F_SIMD_PREFIX) != 0 && !simdPrefixMatches(f, prefixes)) {
                continue;
            }
            if ((f & OpcodeEntry.F_I64) != 0 && mode == 64 || (f & OpcodeEntry.F_O64) != 0 && mode != 64) {
                continue;
            }
            if (operandsValid(e, i)) {
                return e;
            }
        }
        return null;
    }

    /** The mandatory-prefix rule: F3 or F2 (whichever came last) selects its row, else 66, else none. */
    private static boolean simdPrefixMatches(int f, int prefixes) {
        int need;
        if ((prefixes & Insn.P_REP) != 0) {
            need = OpcodeEntry.F_PF3;
        } else if ((prefixes & Insn.P_REPNE) != 0) {
            need = OpcodeEntry.F_PF2;
        } else if ((prefixes & Insn.P_OSIZE) != 0) {
            need = OpcodeEntry.F_P66;
        } else {
            need = OpcodeEntry.F_NP;
        }
        return (f & need) != 0;
    }

    /**
     * Operand encodings the processor rejects with #UD: a memory-only operand (M) with a register ModRM, a segment
     * register above GS or CS as a destination (MOV CS,Ew), a control register other than CR0, CR2, CR3 and CR4.
     */
    private static boolean operandsValid(OpcodeEntry e, Insn i) {
        List<OperandSpec> ops = e.operands();
        for (int k = 0; k < ops.size(); k++) {
            boolean bad = switch (ops.get(k).kind()) {
                case Operand.M -> i.mod == 3;
                case Operand.S -> i.reg > Cpu.GS || k == 0 && i.reg == Cpu.CS;
                case Operand.C -> i.reg == 1 || i.reg > 4;
                case Operand.U, Operand.N, Operand.STI -> i.mod != 3;
                default -> false;
            };
            if (bad) {
                return false;
            }
        }
        return true;
    }

    private static int decodeEa16(CodeSource src, Insn i, int n) {
        int rm = i.rm;
        if (i.mod == 0 && rm == 6) {
            int d = fetch(src, n, 2);
            if (d == Integer.MIN_VALUE) {
                return -n;
            }
            i.disp = d & 0xFFFF;
            return n + 2;
        }
        i.base = BASE16[rm];
        i.index = INDEX16[rm];
        if (rm == 4 || rm == 5) {
            i.base = INDEX16[rm - 4];
            i.index = -1;
        }
        if (i.mod == 1) {
            int d = fetch(src, n, 1);
            if (d == Integer.MIN_VALUE) {
                return -n;
            }
            i.disp = (byte) d;
            return n + 1;
        }
        if (i.mod == 2) {
            int d = fetch(src, n, 2);
            if (d == Integer.MIN_VALUE) {
                return -n;
            }
            i.disp = d & 0xFFFF;
            return n + 2;
        }
        return n;
    }

    private static int decodeEa32(CodeSource src, Insn i, int n) {
        int rm = i.rm;
        boolean noBaseDisp32 = false;
        if (rm == 4) {
            int sib = src.byteAt(n);
            if (sib < 0) {
                return -n;
            }
            n++;
            i.scale = sib >>> 6;
            int idx = (sib >>> 3) & 7;
            i.index = idx == 4 ? -1 : idx;
            int base = sib & 7;
            if (base == 5 && i.mod == 0) {
                i.base = -1;
                noBaseDisp32 = true;
            } else {
                i.base = base;
            }
        } else if (rm == 5 && i.mod == 0) {
            i.base = -1;
            noBaseDisp32 = true;
        } else {
            i.base = rm;
        }
        if (i.mod == 1) {
            int d = fetch(src, n, 1);
            if (d == Integer.MIN_VALUE) {
                return -n;
            }
            i.disp = (byte) d;
            return n + 1;
        }
        if (i.mod == 2 || noBaseDisp32) {
            long d = fetchLong(src, n, 4);
            if (d == Long.MIN_VALUE) {
                return -n;
            }
            i.disp = (int) d;
            return n + 4;
        }
        return n;
    }

    private static int decodeImmediates(CodeSource src, Insn i, OpcodeEntry e, int n) {
        List<OperandSpec> ops = e.operands();
        boolean first = true;
        for (int k = 0; k < ops.size(); k++) {
            OperandSpec s = ops.get(k);
            int w = s.size() == Operand.SZ_RVMW ? (i.mod == 3 ? i.osize : 2)
                    : s.size() == Operand.SZ_RDMW ? (i.mod == 3 ? 4 : 2) : width(s.size(), i.osize);
            switch (k) {
                case 0 -> {
                    i.k1 = s.kind();
                    i.w1 = w;
                }
                case 1 -> {
                    i.k2 = s.kind();
                    i.w2 = w;
                }
                default -> {
                    i.k3 = s.kind();
                    i.w3 = w;
                }
            }
            int size;
            switch (s.kind()) {
                case Operand.I -> size = Math.min(w, 4);
                case Operand.IBS -> size = 1;
                case Operand.J -> size = Math.min(w, 4);
                case Operand.O -> size = i.asize;
                case Operand.A -> size = i.osize + 2;
                default -> {
                    continue;
                }
            }
            if (s.kind() == Operand.A) {
                long off = fetchLong(src, n, i.osize);
                long sel = fetchLong(src, n + i.osize, 2);
                if (off == Long.MIN_VALUE || sel == Long.MIN_VALUE) {
                    return -n;
                }
                i.imm = off;
                i.imm2 = sel;
                n += size;
                continue;
            }
            long v = fetchLong(src, n, size);
            if (v == Long.MIN_VALUE) {
                return -n;
            }
            n += size;
            if (s.kind() == Operand.O) {
                i.disp = v;
                continue;
            }
            if (s.kind() == Operand.IBS || s.kind() == Operand.J) {
                v = size == 1 ? (byte) v : size == 2 ? (short) v : (int) v;
            }
            if (first) {
                i.imm = v;
                first = false;
            } else {
                i.imm2 = v;
            }
        }
        return n;
    }

    /** Width in bytes of an operand with size code {@code size} at operand size {@code osize}. */
    static int width(int size, int osize) {
        return switch (size) {
            case Operand.SZ_B -> 1;
            case Operand.SZ_W -> 2;
            case Operand.SZ_D -> 4;
            case Operand.SZ_Q -> 8;
            case Operand.SZ_V -> osize;
            case Operand.SZ_Z -> Math.min(osize, 4);
            case Operand.SZ_P -> Math.min(osize, 4) + 2;
            case Operand.SZ_S -> 6;
            case Operand.SZ_A -> osize * 2;
            case Operand.SZ_T -> 10;
            case Operand.SZ_DQ -> 16;
            default -> 0;
        };
    }

    /** Fetches up to 2 bytes; Integer.MIN_VALUE if the source ran out. */
    private static int fetch(CodeSource src, int n, int size) {
        long v = fetchLong(src, n, size);
        return v == Long.MIN_VALUE ? Integer.MIN_VALUE : (int) v;
    }

    private static long fetchLong(CodeSource src, int n, int size) {
        long v = 0;
        for (int k = 0; k < size; k++) {
            int b = src.byteAt(n + k);
            if (b < 0) {
                return Long.MIN_VALUE;
            }
            v |= (long) b << (8 * k);
        }
        return v;
    }
}

package dev.vmm.core.cpu.diff;

import static dev.vmm.core.cpu.diff.CaseBuilder.STATUS;
import static dev.vmm.core.cpu.diff.CaseBuilder.osize;

import java.util.List;

/**
 * String instructions MOVS CMPS STOS LODS SCAS in byte/word/dword forms, without and with REP
 * (REPE/REPNE for CMPS and SCAS), ECX 0..16, ESI/EDI inside the data window with room in both
 * directions, either DF. CMPS/SCAS are biased to produce equal runs so that REPE/REPNE run for a
 * while. With REP and ECX = 0 nothing happens, flags included.
 */
final class StringGens {
    private StringGens() {
    }

    private static final int LO = CaseBuilder.WINDOW + 0x100;
    private static final int HI = CaseBuilder.WINDOW + CaseBuilder.WINDOW_SIZE - 0x100;

    static List<Gen.Spec> specs(int n) {
        return List.of(
                new Gen.Spec("STRING", "MOVS", n, true, b -> string(b, 0xA4, true, true, false)),
                new Gen.Spec("STRING", "CMPS", n, true, b -> string(b, 0xA6, true, true, true)),
                new Gen.Spec("STRING", "STOS", n, true, b -> string(b, 0xAA, false, true, false)),
                new Gen.Spec("STRING", "LODS", n, true, b -> string(b, 0xAC, true, false, false)),
                new Gen.Spec("STRING", "SCAS", n, true, b -> string(b, 0xAE, false, true, true)));
    }

    static void string(CaseBuilder b, int op, boolean src, boolean dst, boolean compares) {
        b.begin();
        int s = b.size();
        int rep = b.rand(compares ? 3 : 2);   // 0 none, 1 F3, 2 F2
        int count = b.chance(10) ? 0 : b.rand(17);
        if (rep != 0) {
            b.need(1, count);
        }
        int si = LO + b.rand(HI - LO);
        int di = b.chance(20) && src ? Math.clamp(si + b.rand(2 * 17 * s) - 17 * s, LO, HI - 1) : LO + b.rand(HI - LO);
        if (src) {
            b.need(6, (int) (b.dataAddress + si));
            b.noteMem(si, s);
        }
        if (dst) {
            b.need(7, (int) (b.dataAddress + di));
            b.noteMem(di, s);
        }
        if (compares && !b.sequence && b.chance(60)) {
            makeRun(b, op, s, si, di, rep == 2, count);
        }
        int[] pre = osize(s);
        int[] bytes = new int[pre.length + 2];
        int k = 0;
        if (rep != 0 && b.chance(50)) {
            bytes[k++] = rep == 1 ? 0xF3 : 0xF2;
            rep = -rep;   // prefix emitted before 66
        }
        for (int p : pre) {
            bytes[k++] = p;
        }
        if (rep > 0) {
            bytes[k++] = rep == 1 ? 0xF3 : 0xF2;
        }
        bytes[k++] = op + (s == 1 ? 0 : 1);
        b.insn(java.util.Arrays.copyOf(bytes, k));
        boolean none = rep != 0 && count == 0;
        b.flags(0, compares && !none ? STATUS : 0, 0);
    }

    /**
     * Makes the compared elements equal (REPE) or different from the accumulator (REPNE) for a
     * while, with a random stop, so repeated compares run several iterations.
     */
    private static void makeRun(CaseBuilder b, int op, int s, int si, int di, boolean repne, int count) {
        int dir = (b.flagsIn & CaseBuilder.DF) != 0 ? -s : s;
        int stop = b.rand(count + 2);
        long acc = b.known(0, s);
        for (int e = 0; e < Math.min(count, 17); e++) {
            int d = di + e * dir;
            if (d < CaseBuilder.WINDOW || d + s > CaseBuilder.WINDOW + CaseBuilder.WINDOW_SIZE) {
                break;
            }
            long v;
            if (op == 0xA6) {   // CMPS: destination equal to the source (REPE) or not (REPNE)
                int sp = si + e * dir;
                if (sp < CaseBuilder.WINDOW || sp + s > CaseBuilder.WINDOW + CaseBuilder.WINDOW_SIZE) {
                    break;
                }
                long sv = b.knownMem(sp, s);
                v = (e != stop) != repne ? sv : sv ^ (1 + b.rand(0xFF));
            } else {            // SCAS: element equal to the accumulator or not
                v = (e != stop) != repne ? acc : acc ^ (1 + b.rand(0xFF));
            }
            b.needMem(d, s, v);
        }
    }
}

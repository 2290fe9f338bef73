package dev.vmm.core.cpu.diff;

import static dev.vmm.core.cpu.diff.CaseBuilder.AF;
import static dev.vmm.core.cpu.diff.CaseBuilder.CF;
import static dev.vmm.core.cpu.diff.CaseBuilder.OF;
import static dev.vmm.core.cpu.diff.CaseBuilder.PF;
import static dev.vmm.core.cpu.diff.CaseBuilder.SF;
import static dev.vmm.core.cpu.diff.CaseBuilder.STATUS;
import static dev.vmm.core.cpu.diff.CaseBuilder.osize;

import java.util.ArrayList;
import java.util.List;

/**
 * Shifts and rotates, SHLD/SHRD, BT/BTS/BTR/BTC, BSF/BSR, SETcc, CMOVcc. Undefined flags per the SDM
 * (vol. 2B): shifts leave AF undefined for a non-zero count and OF for a count other than 1, SHL/SHR
 * leave CF undefined for a count of at least the operand width; rotates leave OF undefined for a
 * count other than 1; 16-bit SHLD/SHRD with a count above 16 have an undefined result (generated
 * only in strict mode); BT* leave OF SF AF PF undefined, BSF/BSR all but ZF.
 */
final class ShiftBitGens {
    private ShiftBitGens() {
    }

    static final String[] SHIFTS = {"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"};

    static List<Gen.Spec> shiftSpecs(int n) {
        List<Gen.Spec> l = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            if (k == 6) {
                continue;   // SAL (/6) is generated as part of SHL
            }
            int op = k;
            l.add(new Gen.Spec("SHIFT", SHIFTS[k], n, true, b -> shift(b, op)));
        }
        l.add(new Gen.Spec("SHIFT", "SHLD", n, true, b -> shiftDouble(b, true)));
        l.add(new Gen.Spec("SHIFT", "SHRD", n, true, b -> shiftDouble(b, false)));
        return l;
    }

    static List<Gen.Spec> bitSpecs(int n) {
        List<Gen.Spec> l = new ArrayList<>();
        String[] bt = {"BT", "BTS", "BTR", "BTC"};
        for (int k = 0; k < 4; k++) {
            int op = k;
            l.add(new Gen.Spec("BIT", bt[k], n, true, b -> bitTest(b, op)));
        }
        l.add(new Gen.Spec("BIT", "BSF", n, true, b -> bitScan(b, 0xBC)));
        l.add(new Gen.Spec("BIT", "BSR", n, true, b -> bitScan(b, 0xBD)));
        l.add(new Gen.Spec("BIT", "SETcc", n, true, ShiftBitGens::setcc));
        l.add(new Gen.Spec("BIT", "CMOVcc", n, true, ShiftBitGens::cmovcc));
        return l;
    }

    /** A shift count: edge counts around the widths and the 5-bit mask, or anything. */
    private static int count(CaseBuilder b, int bits) {
        int[] edges = {0, 1, 2, bits - 1, bits, bits + 1, 9, 17, 31, 32, 33, 63, 64, 65};
        return b.chance(60) ? edges[b.rand(edges.length)] & 0xFF : b.rand(b.chance(70) ? 32 : 256);
    }

    static void shift(CaseBuilder b, int k) {
        b.begin();
        int s = b.size();
        int bits = s * 8;
        int w = s == 1 ? 0 : 1;
        int form = b.rand(3);
        int count = form == 0 ? 1 : count(b, bits);
        if (form == 1) {
            b.needSized(1, 1, count);   // CL
        }
        CaseBuilder.Rm rm = b.rm(s, 60);
        int regField = k == 4 && b.chance(10) ? 6 : k;
        switch (form) {
            case 0 -> b.modrm(osize(s), new int[] {0xD0 + w}, regField, rm, 0, 0);
            case 1 -> b.modrm(osize(s), new int[] {0xD2 + w}, regField, rm, 0, 0);
            default -> b.modrm(osize(s), new int[] {0xC0 + w}, regField, rm, count, 1);
        }
        int m = count & 0x1F;
        if (m == 0) {
            b.flags(0, 0, 0);
        } else if (k <= 3) {
            b.flags(k >= 2 ? CF : 0, CF | OF, m == 1 ? 0 : OF);
        } else {
            int undef = AF | (m == 1 ? 0 : OF) | (k != 7 && m >= bits ? CF : 0);
            b.flags(0, STATUS, undef);
        }
    }

    static void shiftDouble(CaseBuilder b, boolean left) {
        b.begin();
        int s = b.sizeV();
        int count;
        do {
            count = count(b, s * 8);
        } while (s == 2 && (count & 0x1F) > 16 && !b.strict);
        boolean cl = b.chance(50);
        if (cl) {
            b.needSized(1, 1, count);
        }
        CaseBuilder.Rm rm = b.rm(s, 60);
        int op = (left ? 0xA4 : 0xAC) + (cl ? 1 : 0);
        b.modrm(osize(s), new int[] {0x0F, op}, b.reg(s), rm, count, cl ? 0 : 1);
        int m = count & 0x1F;
        b.flags(0, m == 0 ? 0 : STATUS, m == 0 ? 0 : AF | (m == 1 ? 0 : OF));
    }

    static void bitTest(CaseBuilder b, int k) {
        b.begin();
        int s = b.sizeV();
        int bits = s * 8;
        boolean lock = false;
        switch (b.rand(3)) {
            case 0 -> {   // Ev,Gv with a register destination: offset taken modulo the width
                CaseBuilder.Rm rm = b.rm(s, 100);
                b.modrm(osize(s), new int[] {0x0F, 0xA3 + 8 * k}, b.reg(s), rm, 0, 0);
            }
            case 1 -> {   // Ev,Gv with memory: signed offset reaching beyond the operand
                int g = b.anyReg();
                int off = s == 2 ? (short) b.value(2) : b.chance(30) ? (int) b.value(1) - 128
                        : b.rand(0x60000) - 0x30000;
                b.needSized(g, s, off & CaseBuilder.mask(s));
                CaseBuilder.Mem mem = b.mem(s);
                b.noteMem(mem.offset() + (off >> (s == 2 ? 4 : 5)) * s, s);
                lock = k != 0 && b.chance(15);
                int[] pre = lock ? concat(0xF0, osize(s)) : osize(s);
                b.modrm(pre, new int[] {0x0F, 0xA3 + 8 * k}, g, new CaseBuilder.Rm(-1, mem), 0, 0);
            }
            default -> {  // Ev,Ib: offset modulo the width
                CaseBuilder.Rm rm = b.rm(s, 50);
                int imm = b.chance(50) ? b.rand(bits) : b.rand(256);
                b.modrm(osize(s), new int[] {0x0F, 0xBA}, 4 + k, rm, imm, 1);
            }
        }
        b.flags(0, CF | OF | SF | AF | PF, OF | SF | AF | PF);
    }

    private static int[] concat(int first, int[] rest) {
        int[] r = new int[rest.length + 1];
        r[0] = first;
        System.arraycopy(rest, 0, r, 1, rest.length);
        return r;
    }

    static void bitScan(CaseBuilder b, int op) {
        b.begin();
        int s = b.sizeV();
        CaseBuilder.Rm rm;
        if (b.chance(25)) {   // a zero source: ZF=1, destination unchanged
            rm = b.rm(s, 50);
            if (rm.isReg()) {
                if (b.isClaimed(rm.reg())) {
                    rm = new CaseBuilder.Rm(-1, b.mem(s));
                    b.needMem(rm.mem().offset(), s, 0);
                } else {
                    b.needSized(rm.reg(), s, 0);
                }
            } else {
                b.needMem(rm.mem().offset(), s, 0);
            }
        } else {
            rm = b.rm(s, 50);
        }
        b.modrm(osize(s), new int[] {0x0F, op}, b.reg(s), rm, 0, 0);
        b.flags(0, STATUS, CF | OF | SF | AF | PF);
    }

    static void setcc(CaseBuilder b) {
        b.begin();
        int cc = b.rand(16);
        b.modrm(new int[0], new int[] {0x0F, 0x90 + cc}, b.rand(8), b.rm(1, 50), 0, 0);
        b.flags(STATUS, 0, 0);
    }

    static void cmovcc(CaseBuilder b) {
        b.begin();
        int s = b.sizeV();
        int cc = b.rand(16);
        b.modrm(osize(s), new int[] {0x0F, 0x40 + cc}, b.reg(s), b.rm(s, 50), 0, 0);
        b.flags(STATUS, 0, 0);
    }
}

package dev.vmm.core.cpu.diff;

import static dev.vmm.core.cpu.diff.CaseBuilder.STATUS;
import static dev.vmm.core.cpu.diff.CaseBuilder.osize;

import java.util.List;

/**
 * Data movement: MOV (no moffs forms: A0-A3 take a 64-bit address in 64-bit mode), MOVZX, MOVSX,
 * XCHG, XADD, CMPXCHG, BSWAP (32-bit only: the 16-bit form is undefined), LEA, CBW/CWDE/CWD/CDQ.
 */
final class MoveGens {
    private MoveGens() {
    }

    static List<Gen.Spec> specs(int n) {
        return List.of(
                new Gen.Spec("MOVE", "MOV", n, true, MoveGens::mov),
                new Gen.Spec("MOVE", "MOVZX", n, true, b -> extend(b, 0xB6)),
                new Gen.Spec("MOVE", "MOVSX", n, true, b -> extend(b, 0xBE)),
                new Gen.Spec("MOVE", "XCHG", n, true, MoveGens::xchg),
                new Gen.Spec("MOVE", "XADD", n, true, MoveGens::xadd),
                new Gen.Spec("MOVE", "CMPXCHG", n, true, MoveGens::cmpxchg),
                new Gen.Spec("MOVE", "BSWAP", n / 2, true, MoveGens::bswap),
                new Gen.Spec("MOVE", "LEA", n, true, MoveGens::lea),
                new Gen.Spec("MOVE", "CBW-CWD", n / 2, true, MoveGens::convert));
    }

    static void mov(CaseBuilder b) {
        b.begin();
        int s = b.size();
        int w = s == 1 ? 0 : 1;
        switch (b.rand(4)) {
            case 0 -> b.modrm(osize(s), new int[] {0x88 + w}, b.reg(s), b.rm(s, 50), 0, 0);
            case 1 -> b.modrm(osize(s), new int[] {0x8A + w}, b.reg(s), b.rm(s, 50), 0, 0);
            case 2 -> b.modrmless(osize(s), (s == 1 ? 0xB0 : 0xB8) + b.reg(s), b.value(s), s);
            default -> b.modrm(osize(s), new int[] {0xC6 + w}, 0, b.rm(s, 50), b.value(s), s);
        }
        b.flags(0, 0, 0);
    }

    static void extend(CaseBuilder b, int op) {
        b.begin();
        int s = b.sizeV();
        int src = b.chance(50) ? 1 : 2;
        b.modrm(osize(s), new int[] {0x0F, op + (src == 2 ? 1 : 0)}, b.reg(s), b.rm(src, 50), 0, 0);
        b.flags(0, 0, 0);
    }

    private static int[] lockedMem(CaseBuilder b, CaseBuilder.Rm rm, int s) {
        if (!rm.isReg() && b.chance(15)) {
            return s == 2 ? new int[] {0xF0, 0x66} : new int[] {0xF0};
        }
        return osize(s);
    }

    static void xchg(CaseBuilder b) {
        b.begin();
        int s = b.size();
        if (s > 1 && b.chance(25)) {   // 90+r: XCHG eAX, r (not 94: ESP)
            b.modrmless(osize(s), 0x90 + b.anyReg(), 0, 0);   // 90 itself is NOP: harmless
        } else {
            CaseBuilder.Rm rm = b.rm(s, 50);
            b.modrm(lockedMem(b, rm, s), new int[] {s == 1 ? 0x86 : 0x87}, b.reg(s), rm, 0, 0);
        }
        b.flags(0, 0, 0);
    }

    static void xadd(CaseBuilder b) {
        b.begin();
        int s = b.size();
        CaseBuilder.Rm rm = b.rm(s, 50);
        b.modrm(lockedMem(b, rm, s), new int[] {0x0F, s == 1 ? 0xC0 : 0xC1}, b.reg(s), rm, 0, 0);
        b.flags(0, STATUS, 0);
    }

    /** CMPXCHG with the accumulator equal to the destination half of the time. */
    static void cmpxchg(CaseBuilder b) {
        b.begin();
        int s = b.size();
        long acc = b.value(s);
        boolean equal = b.chance(50);
        b.needSized(0, s, acc);
        CaseBuilder.Rm rm = b.rm(s, 50);
        if (rm.isReg()) {
            if (!b.isClaimed(CaseBuilder.full(rm.reg(), s))) {
                b.needSized(rm.reg(), s, equal ? acc : b.value(s));
            }
        } else {
            b.needMem(rm.mem().offset(), s, equal ? acc : b.value(s));
        }
        b.modrm(lockedMem(b, rm, s), new int[] {0x0F, s == 1 ? 0xB0 : 0xB1}, b.reg(s), rm, 0, 0);
        b.flags(0, STATUS, 0);
    }

    static void bswap(CaseBuilder b) {
        b.begin();
        b.insn(0x0F, 0xC8 + b.anyReg());
        b.flags(0, 0, 0);
    }

    /** LEA with random registers: no memory is accessed, so any address is fine. */
    static void lea(CaseBuilder b) {
        b.begin();
        int s = b.sizeV();
        int mod = b.rand(3);
        int rm = b.rand(8);
        if (mod == 0 && rm == 5) {
            rm = 4;   // mod=00 r/m=101 is RIP-relative in 64-bit mode
        }
        int[] tail;
        if (rm == 4) {
            int base = b.anyReg();
            if (mod == 0 && b.chance(20)) {
                base = 5;   // no base, disp32
            }
            int index = b.chance(15) ? 4 : b.anyReg();
            int sib = b.rand(4) << 6 | index << 3 | base;
            tail = disp(b, mod == 0 && base == 5 ? 2 : mod, sib);
        } else {
            tail = disp(b, mod, -1);
        }
        int[] bytes = new int[osize(s).length + 3 + tail.length];
        int k = 0;
        if (s == 2) {
            bytes[k++] = 0x66;
        }
        bytes[k++] = 0x8D;
        bytes[k++] = mod << 6 | b.anyReg() << 3 | rm;
        for (int t : tail) {
            bytes[k++] = t;
        }
        b.insn(java.util.Arrays.copyOf(bytes, k));
        b.flags(0, 0, 0);
    }

    private static int[] disp(CaseBuilder b, int mod, int sib) {
        int n = mod == 0 ? 0 : mod == 1 ? 1 : 4;
        int[] t = new int[(sib >= 0 ? 1 : 0) + n];
        int k = 0;
        if (sib >= 0) {
            t[k++] = sib;
        }
        long d = b.value(n == 0 ? 1 : n);
        for (int j = 0; j < n; j++) {
            t[k++] = (int) (d >>> (8 * j)) & 0xFF;
        }
        return t;
    }

    static void convert(CaseBuilder b) {
        b.begin();
        int op = b.chance(50) ? 0x98 : 0x99;
        if (b.chance(50)) {
            b.insn(0x66, op);
        } else {
            b.insn(op);
        }
        b.flags(0, 0, 0);
    }
}

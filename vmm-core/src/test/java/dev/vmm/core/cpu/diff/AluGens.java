package dev.vmm.core.cpu.diff;

import static dev.vmm.core.cpu.diff.CaseBuilder.AF;
import static dev.vmm.core.cpu.diff.CaseBuilder.CF;
import static dev.vmm.core.cpu.diff.CaseBuilder.OF;
import static dev.vmm.core.cpu.diff.CaseBuilder.PF;
import static dev.vmm.core.cpu.diff.CaseBuilder.SF;
import static dev.vmm.core.cpu.diff.CaseBuilder.STATUS;
import static dev.vmm.core.cpu.diff.CaseBuilder.ZF;
import static dev.vmm.core.cpu.diff.CaseBuilder.osize;

import java.util.ArrayList;
import java.util.List;

/**
 * Integer ALU instructions (SDM vol. 2): ADD OR ADC SBB AND SUB XOR CMP in all nine forms, TEST,
 * INC/DEC (FE/FF only: 40-4F are REX prefixes in 64-bit mode), NEG, NOT; and the flag instructions.
 * Undefined flags: AF after AND/OR/XOR/TEST.
 */
final class AluGens {
    private AluGens() {
    }

    static final String[] BINOPS = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"};

    static List<Gen.Spec> specs(int n) {
        List<Gen.Spec> l = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            int op = k;
            l.add(new Gen.Spec("ALU", BINOPS[k], n, true, b -> binop(b, op)));
        }
        l.add(new Gen.Spec("ALU", "TEST", n, true, AluGens::test));
        l.add(new Gen.Spec("ALU", "INC", n / 2, true, b -> incDec(b, 0)));
        l.add(new Gen.Spec("ALU", "DEC", n / 2, true, b -> incDec(b, 1)));
        l.add(new Gen.Spec("ALU", "NEG", n / 2, true, b -> unary(b, 3)));
        l.add(new Gen.Spec("ALU", "NOT", n / 2, true, b -> unary(b, 2)));
        return l;
    }

    static List<Gen.Spec> flagSpecs(int n) {
        return List.of(
                new Gen.Spec("FLAGS", "CLC-STC-CMC", n, true, AluGens::carry),
                new Gen.Spec("FLAGS", "CLD-STD", n / 2, true, AluGens::direction),
                new Gen.Spec("FLAGS", "LAHF", n / 2, true, b -> {
                    b.begin();
                    b.insn(0x9F);
                    b.flags(SF | ZF | AF | PF | CF, 0, 0);
                }),
                new Gen.Spec("FLAGS", "SAHF", n / 2, true, b -> {
                    b.begin();
                    b.insn(0x9E);
                    b.flags(0, SF | ZF | AF | PF | CF, 0);
                }));
    }

    private static int[] lock(CaseBuilder b, CaseBuilder.Rm rm, int size) {
        boolean lock = !rm.isReg() && b.chance(15);
        int[] os = osize(size);
        if (!lock) {
            return os;
        }
        return os.length == 0 ? new int[] {0xF0} : b.chance(50) ? new int[] {0xF0, 0x66} : new int[] {0x66, 0xF0};
    }

    private static int immSize(int size) {
        return Math.min(size, 4);
    }

    static void binop(CaseBuilder b, int k) {
        b.begin();
        int s = b.size();
        int w = s == 1 ? 0 : 1;
        int form = b.rand(s == 1 ? 4 : 5);
        switch (form) {
            case 0 -> {   // Eb,Gb / Ev,Gv
                CaseBuilder.Rm rm = b.rm(s, 50);
                b.modrm(k == 7 ? osize(s) : lock(b, rm, s), new int[] {8 * k + w}, b.reg(s), rm, 0, 0);
            }
            case 1 -> {   // Gb,Eb / Gv,Ev
                CaseBuilder.Rm rm = b.rm(s, 50);
                b.modrm(osize(s), new int[] {8 * k + 2 + w}, b.reg(s), rm, 0, 0);
            }
            case 2 -> {   // AL,Ib / eAX,Iz
                long imm = b.value(s);
                b.modrmless(osize(s), 8 * k + 4 + w, imm, immSize(s));
            }
            case 3 -> {   // 80 /k Eb,Ib / 81 /k Ev,Iz
                CaseBuilder.Rm rm = b.rm(s, 50);
                b.modrm(k == 7 ? osize(s) : lock(b, rm, s), new int[] {0x80 + w}, k, rm, b.value(s), immSize(s));
            }
            default -> {  // 83 /k Ev,Ibs
                CaseBuilder.Rm rm = b.rm(s, 50);
                b.modrm(k == 7 ? osize(s) : lock(b, rm, s), new int[] {0x83}, k, rm, b.value(1), 1);
            }
        }
        boolean logic = k == 1 || k == 4 || k == 6;
        b.flags(k == 2 || k == 3 ? CF : 0, STATUS, logic ? AF : 0);
    }

    static void test(CaseBuilder b) {
        b.begin();
        int s = b.size();
        int w = s == 1 ? 0 : 1;
        switch (b.rand(3)) {
            case 0 -> b.modrm(osize(s), new int[] {0x84 + w}, b.reg(s), b.rm(s, 50), 0, 0);
            case 1 -> b.modrmless(osize(s), 0xA8 + w, b.value(s), immSize(s));
            default -> b.modrm(osize(s), new int[] {0xF6 + w}, b.chance(5) ? 1 : 0, b.rm(s, 50), b.value(s),
                    immSize(s));
        }
        b.flags(0, STATUS, AF);
    }

    static void incDec(CaseBuilder b, int dec) {
        b.begin();
        int s = b.size();
        CaseBuilder.Rm rm = b.rm(s, 50);
        b.modrm(lock(b, rm, s), new int[] {s == 1 ? 0xFE : 0xFF}, dec, rm, 0, 0);
        b.flags(0, OF | SF | ZF | AF | PF, 0);
    }

    static void unary(CaseBuilder b, int regField) {
        b.begin();
        int s = b.size();
        CaseBuilder.Rm rm = b.rm(s, 50);
        b.modrm(lock(b, rm, s), new int[] {s == 1 ? 0xF6 : 0xF7}, regField, rm, 0, 0);
        b.flags(0, regField == 3 ? STATUS : 0, 0);
    }

    static void carry(CaseBuilder b) {
        b.begin();
        switch (b.rand(3)) {
            case 0 -> {
                b.insn(0xF8);
                b.flags(0, CF, 0);
            }
            case 1 -> {
                b.insn(0xF9);
                b.flags(0, CF, 0);
            }
            default -> {
                b.insn(0xF5);
                b.flags(CF, CF, 0);
            }
        }
    }

    static void direction(CaseBuilder b) {
        b.begin();
        b.insn(b.chance(50) ? 0xFC : 0xFD);
        b.flags(0, 0, 0);
    }
}

package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Decimal adjust: DAA DAS AAA AAS AAM AAD, and the undocumented SALC. The algorithms are Intel's
 * (SDM vol. 2; AAA/AAS adjust the whole AX by 0x106 as on the 286 and later).
 *
 * <p>Flags the SDM leaves undefined are set as P6-family processors do (the model Bochs validated on
 * hardware): DAA/DAS clear OF; AAA/AAS set SF/ZF/PF from the final AL and clear OF; AAM/AAD set
 * SF/ZF/PF from AL and clear OF, AF and CF.
 */
final class BcdOps {
    private BcdOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("DAA", BcdOps::daa);
        m.put("DAS", BcdOps::das);
        m.put("AAA", BcdOps::aaa);
        m.put("AAS", BcdOps::aas);
        m.put("AAM", BcdOps::aam);
        m.put("AAD", BcdOps::aad);
        m.put("SALC", BcdOps::salc);
    }

    static void daa(Cpu c, Insn i) {
        int al = (int) c.reg(Cpu.EAX, 1);
        boolean oldCf = c.flags.cf() != 0;
        int cf = 0;
        int af = 0;
        int v = al;
        if ((al & 0x0F) > 9 || c.flags.af()) {
            cf = oldCf || al > 0xF9 ? Flags.CF : 0;
            v += 0x06;
            af = Flags.AF;
        }
        if (al > 0x99 || oldCf) {
            v += 0x60;
            cf = Flags.CF;
        }
        c.setReg(Cpu.EAX, 1, v);
        c.flags.setResult(v, 1, cf | af);
    }

    static void das(Cpu c, Insn i) {
        int al = (int) c.reg(Cpu.EAX, 1);
        boolean oldCf = c.flags.cf() != 0;
        int cf = 0;
        int af = 0;
        int v = al;
        if ((al & 0x0F) > 9 || c.flags.af()) {
            cf = oldCf || al < 0x06 ? Flags.CF : 0;
            v -= 0x06;
            af = Flags.AF;
        }
        if (al > 0x99 || oldCf) {
            v -= 0x60;
            cf = Flags.CF;
        }
        c.setReg(Cpu.EAX, 1, v);
        c.flags.setResult(v, 1, cf | af);
    }

    static void aaa(Cpu c, Insn i) {
        long ax = c.reg(Cpu.EAX, 2);
        int adj = 0;
        if ((ax & 0x0F) > 9 || c.flags.af()) {
            ax += 0x106;
            adj = Flags.AF | Flags.CF;
        }
        ax &= 0xFF0F;
        c.setReg(Cpu.EAX, 2, ax);
        c.flags.setResult(ax, 1, adj);
    }

    static void aas(Cpu c, Insn i) {
        long ax = c.reg(Cpu.EAX, 2);
        int adj = 0;
        if ((ax & 0x0F) > 9 || c.flags.af()) {
            ax -= 0x106;
            adj = Flags.AF | Flags.CF;
        }
        ax &= 0xFF0F;
        c.setReg(Cpu.EAX, 2, ax);
        c.flags.setResult(ax, 1, adj);
    }

    /** AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE if imm8 is 0. */
    static void aam(Cpu c, Insn i) {
        int base = (int) (i.imm & 0xFF);
        if (base == 0) {
            throw c.fault(Exceptions.DE, -1);
        }
        int al = (int) c.reg(Cpu.EAX, 1);
        int lo = al % base;
        c.setReg(Cpu.EAX, 2, (al / base) << 8 | lo);
        c.flags.setResult(lo, 1, 0);
    }

    /** AAD imm8: AL = AL + AH * imm8 (8 bits), AH = 0. */
    static void aad(Cpu c, Insn i) {
        int base = (int) (i.imm & 0xFF);
        int al = (int) ((c.reg(Cpu.EAX, 1) + c.reg(Cpu.EAX + 4, 1) * base) & 0xFF);
        c.setReg(Cpu.EAX, 2, al);
        c.flags.setResult(al, 1, 0);
    }

    /** SALC: AL = CF ? 0xFF : 0; no flags change. */
    static void salc(Cpu c, Insn i) {
        c.setReg(Cpu.EAX, 1, c.flags.cf() != 0 ? 0xFF : 0);
    }
}

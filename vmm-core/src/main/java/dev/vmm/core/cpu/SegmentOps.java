package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Segment register moves: MOV Sreg,Ew, MOV Ev,Sreg, and the far-pointer loads LES, LDS, LSS, LFS,
 * LGS (Intel SDM vol. 2). The descriptor checks live in {@link Segmentation#load}.
 */
final class SegmentOps {
    private SegmentOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("MOV_TO_SREG", SegmentOps::movToSreg);
        m.put("MOV_FROM_SREG", SegmentOps::movFromSreg);
        m.put("LOAD_FAR", SegmentOps::loadFar);
    }

    static void movToSreg(Cpu c, Insn i) {
        int sreg = i.reg;
        if (sreg == Cpu.CS || sreg > Cpu.GS) {
            throw c.ud();
        }
        int sel = (int) c.readE(i, 2);
        Segmentation.load(c, sreg, sel);
        if (sreg == Cpu.SS) {
            // Interrupts (and single-step traps) wait until after the next instruction.
            c.inhibit = 1;
        }
    }

    static void movFromSreg(Cpu c, Insn i) {
        int sreg = i.reg;
        if (sreg > Cpu.GS) {
            throw c.ud();
        }
        int sel = c.seg[sreg].selector;
        if (i.mod == 3) {
            // A register destination takes the operand size, zero-extended.
            c.setReg(i.rm, i.osize, sel);
        } else {
            c.write(i.seg, c.ea(i), 2, sel);
        }
    }

    /** LES/LDS/LSS/LFS/LGS Gv,Mp: offset (operand size) then selector from memory. */
    static void loadFar(Cpu c, Insn i) {
        int sreg = switch (i.opcode) {
            case 0xC4 -> Cpu.ES;
            case 0xC5 -> Cpu.DS;
            case 0xB2 -> Cpu.SS;
            case 0xB4 -> Cpu.FS;
            case 0xB5 -> Cpu.GS;
            default -> throw c.ud();
        };
        int size = i.osize;
        long ea = c.ea(i);
        long off = c.read(i.seg, ea, size);
        int sel = (int) c.read(i.seg, Cpu.mask(ea + size, i.asize), 2);
        Segmentation.load(c, sreg, sel);
        c.setReg(i.reg, size, off);
    }
}

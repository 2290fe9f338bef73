package dev.vmm.core.cpu;

/**
 * Loading data and stack segment registers with the checks of the mode (Intel SDM vol. 3, 5.5-5.7
 * and the MOV/POP/LDS pseudo-code). Code-segment loads belong to the control transfers.
 */
final class Segmentation {
    private Segmentation() {
    }

    /** Loads segment register {@code sreg} (not CS) with {@code sel}, as MOV, POP and LDS/LES/LFS/LGS/LSS do. */
    static void load(Cpu cpu, int sreg, int sel) {
        sel &= 0xFFFF;
        Segment s = cpu.seg[sreg];
        if (!cpu.protectedMode()) {
            s.loadReal(sel);
            s.refresh();
            return;
        }
        if (cpu.v86()) {
            s.set(sel, (long) sel << 4, 0xFFFF, Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_ACCESSED | 0x60);
            return;
        }
        if ((sel & 0xFFFC) == 0) {
            if (sreg == Cpu.SS) {
                throw cpu.gp(0);
            }
            s.selector = sel;
            s.base = 0;
            s.limit = 0;
            s.attr = 0;
            s.usable = false;
            s.refresh();
            return;
        }
        long d = Descriptors.read(cpu, sel, Exceptions.GP, 0);
        int rpl = sel & 3;
        int dpl = Descriptors.dpl(d);
        if (sreg == Cpu.SS) {
            if (rpl != cpu.cpl || dpl != cpu.cpl || !Descriptors.writableData(d)) {
                throw cpu.gp(sel & 0xFFFC);
            }
            if (!Descriptors.present(d)) {
                throw cpu.fault(Exceptions.SS, sel & 0xFFFC);
            }
        } else {
            if (Descriptors.system(d) || !Descriptors.readable(d)) {
                throw cpu.gp(sel & 0xFFFC);
            }
            if (!Descriptors.conforming(d) && (rpl > dpl || cpu.cpl > dpl)) {
                throw cpu.gp(sel & 0xFFFC);
            }
            if (!Descriptors.present(d)) {
                throw cpu.fault(Exceptions.NP, sel & 0xFFFC);
            }
        }
        Descriptors.setAccessed(cpu, sel, d);
        Descriptors.load(s, sel, d);
    }
}

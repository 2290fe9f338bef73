package dev.vmm.core.cpu;

import java.util.Map;

/**
 * Flag instructions: CLC STC CMC CLD STD LAHF SAHF CLI STI. (PUSHF/POPF live with the stack
 * instructions.)
 *
 * <p>CLI/STI follow the SDM: real mode always; protected mode needs CPL &lt;= IOPL, else at CPL 3
 * with CR4.PVI they change VIF instead; virtual-8086 mode needs IOPL = 3, else with CR4.VME they
 * change VIF instead; otherwise #GP(0). STI that sets IF inhibits interrupts for one instruction.
 */
final class FlagOps {
    private FlagOps() {
    }

    /** The flags SAHF loads from AH. */
    private static final int SAHF_MASK = Flags.SF | Flags.ZF | Flags.AF | Flags.PF | Flags.CF;

    static void register(Map<String, Handler> m) {
        m.put("CLC", (c, i) -> c.flags.setMasked(Flags.CF, 0));
        m.put("STC", (c, i) -> c.flags.setMasked(Flags.CF, Flags.CF));
        m.put("CMC", (c, i) -> c.flags.setMasked(Flags.CF, c.flags.cf() ^ 1));
        m.put("CLD", (c, i) -> c.flags.bits &= ~Flags.DF);
        m.put("STD", (c, i) -> c.flags.bits |= Flags.DF);
        m.put("LAHF", FlagOps::lahf);
        m.put("SAHF", FlagOps::sahf);
        m.put("CLI", FlagOps::cli);
        m.put("STI", FlagOps::sti);
    }

    /** LAHF: AH = SF ZF 0 AF 0 PF 1 CF. */
    static void lahf(Cpu c, Insn i) {
        c.setReg(4, 1, (c.flags.get() & (SAHF_MASK | 2)) | 2);
    }

    static void sahf(Cpu c, Insn i) {
        c.flags.setMasked(SAHF_MASK, (int) c.reg(4, 1));
    }

    static void cli(Cpu c, Insn i) {
        if (ifAllowed(c)) {
            c.flags.bits &= ~Flags.IF;
        } else if (virtualIfAllowed(c)) {
            c.flags.bits &= ~Flags.VIF;
        } else {
            throw c.gp(0);
        }
    }

    static void sti(Cpu c, Insn i) {
        if (ifAllowed(c)) {
            if ((c.flags.bits & Flags.IF) == 0) {
                c.flags.bits |= Flags.IF;
                c.inhibit = 1;
            }
        } else if (virtualIfAllowed(c) && (c.flags.bits & Flags.VIP) == 0) {
            c.flags.bits |= Flags.VIF;
        } else {
            throw c.gp(0);
        }
    }

    /** True if CLI/STI may change IF itself. */
    private static boolean ifAllowed(Cpu c) {
        if (!c.protectedMode()) {
            return true;
        }
        return c.v86() ? c.iopl() == 3 : c.cpl <= c.iopl();
    }

    /** True if CLI/STI change VIF instead (VME in virtual-8086 mode, PVI at CPL 3). */
    private static boolean virtualIfAllowed(Cpu c) {
        if (c.v86()) {
            return (c.cr4 & Cpu.CR4_VME) != 0;
        }
        return c.cpl == 3 && (c.cr4 & Cpu.CR4_PVI) != 0;
    }
}

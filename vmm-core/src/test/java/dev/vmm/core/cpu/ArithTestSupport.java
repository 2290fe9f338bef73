package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Small helpers for the unit tests of AluOps, MulDivOps, BcdOps, MoveOps and FlagOps: place code
 * followed by HLT, enter real or flat 32-bit mode, install exception handlers that halt at a
 * vector-specific address, and run.
 */
final class ArithTestSupport {
    /** Where test code is placed (physical = linear in both modes). */
    static final int CODE = 0x7C00;
    /** Exception handlers: vector v halts at HANDLERS + 0x10 * v. */
    static final int HANDLERS = 0x20000;
    /** A scratch data area. */
    static final int DATA = 0x30000;

    private ArithTestSupport() {
    }

    /** Flat 32-bit ring 0, code at {@link #CODE} followed by HLT, handlers for vectors 0..19. */
    static CpuFixture flat32(int... code) {
        CpuFixture f = new CpuFixture();
        f.load(CODE, code).load(CODE + code.length, 0xF4);
        f.flat32(CODE);
        for (int v = 0; v < 20; v++) {
            f.setGate(v, 0x08, HANDLERS + 0x10L * v, 0xE, 0);
            f.load(HANDLERS + 0x10L * v, 0xF4);
        }
        return f;
    }

    /** Real mode at 0000:{@link #CODE}, code followed by HLT, IVT entries for vectors 0..19. */
    static CpuFixture real(int... code) {
        CpuFixture f = new CpuFixture();
        f.load(CODE, code).load(CODE + code.length, 0xF4);
        f.real(0, CODE);
        for (int v = 0; v < 20; v++) {
            int off = HANDLERS + 0x10 * v;
            f.mem.write16(v * 4L, off & 0xF);
            f.mem.write16(v * 4L + 2, off >>> 4);
            f.load(off, 0xF4);
        }
        return f;
    }

    /** Runs to HLT and checks that the code ran to its end (no exception). */
    static void runToEnd(CpuFixture f, int codeLength) {
        assertEquals(Cpu.Exit.HALT, f.run(100));
        assertEquals(CODE + codeLength + 1, f.cpu.rip + f.cpu.seg[Cpu.CS].base, "stopped at " + Long.toHexString(f.cpu.rip));
    }

    /** Runs to HLT and checks that exception {@code vector} was taken (its handler halted). */
    static void runToFault(CpuFixture f, int vector) {
        assertEquals(Cpu.Exit.HALT, f.run(100));
        assertEquals(HANDLERS + 0x10L * vector + 1, f.cpu.rip + f.cpu.seg[Cpu.CS].base,
                "expected " + Exceptions.name(vector) + ", stopped at " + Long.toHexString(f.cpu.rip));
    }

    /** The status flags. */
    static int status(Cpu c) {
        return c.eflags() & Flags.ARITH;
    }

    static long reg32(Cpu c, int n) {
        return c.reg(n, 4);
    }
}

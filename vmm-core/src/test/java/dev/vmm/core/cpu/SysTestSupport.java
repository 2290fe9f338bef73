package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Helpers for the system-level CPU tests (system instructions, paging, segmentation, tasks,
 * debug, v86): fixtures whose exception vectors all lead to a HLT, so a test runs until HLT and
 * then asks which vector (if any) was taken and what the handler's stack holds.
 */
final class SysTestSupport {
    /** Where test code is placed (flat 32-bit fixtures). */
    static final long CODE = 0x10000;
    /** Protected-mode exception handlers: vector v is a HLT at HANDLERS + 16 v (ring-0 interrupt gates). */
    static final long HANDLERS = 0x30000;
    /** Real-mode handlers: vector v is a HLT at 0:REAL_HANDLERS + 16 v. */
    static final int REAL_HANDLERS = 0x600;
    /** Ring-3 stack pointer used by {@link #user}. */
    static final long USER_STACK = 0x7000;

    private SysTestSupport() {
    }

    /** A byte sequence builder for hand-assembled test code. */
    static final class Asm {
        private int[] buf = new int[64];
        private int n;

        /** Appends bytes. */
        Asm b(int... bytes) {
            for (int x : bytes) {
                if (n == buf.length) {
                    buf = java.util.Arrays.copyOf(buf, n * 2);
                }
                buf[n++] = x & 0xFF;
            }
            return this;
        }

        /** Appends a little-endian word. */
        Asm w(long v) {
            return b((int) v, (int) (v >>> 8));
        }

        /** Appends a little-endian dword. */
        Asm d(long v) {
            return b((int) v, (int) (v >>> 8), (int) (v >>> 16), (int) (v >>> 24));
        }

        /** Bytes so far (the offset of the next byte). */
        int size() {
            return n;
        }

        int[] build() {
            return java.util.Arrays.copyOf(buf, n);
        }
    }

    static Asm asm() {
        return new Asm();
    }

    /** Flat 32-bit ring-0 fixture with {@code code} at {@link #CODE} and HLT handlers for vectors 0-31. */
    static CpuFixture flat(int... code) {
        CpuFixture f = new CpuFixture();
        f.flat32(CODE);
        f.load(CODE, code);
        gates(f);
        return f;
    }

    /** Installs ring-0 interrupt gates for vectors 0-31, each leading to a HLT. */
    static void gates(CpuFixture f) {
        for (int v = 0; v < 32; v++) {
            f.mem.write8(HANDLERS + v * 16L, 0xF4);
            f.setGate(v, 0x08, HANDLERS + v * 16L, 0xE, 0);
        }
    }

    /** Switches the fixture to ring 3 (CS 0x2B, data 0x33, ESP {@link #USER_STACK}). */
    static void user(CpuFixture f) {
        f.loadSeg(Cpu.CS, 0x2B);
        for (int s : new int[] {Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
            f.loadSeg(s, 0x33);
        }
        f.cpu.r[Cpu.ESP] = USER_STACK;
    }

    /** Real-mode fixture at 0:7C00 with {@code code} there and IVT handlers (HLTs) for vectors 0-31. */
    static CpuFixture real(int... code) {
        CpuFixture f = new CpuFixture();
        f.load(0x7C00, code).real(0, 0x7C00);
        for (int v = 0; v < 32; v++) {
            f.mem.write8(REAL_HANDLERS + v * 16L, 0xF4);
            f.mem.write16(v * 4L, REAL_HANDLERS + v * 16);
            f.mem.write16(v * 4L + 2, 0);
        }
        return f;
    }

    /** Runs until HLT (asserting that it halted). */
    static void run(CpuFixture f) {
        assertEquals(Cpu.Exit.HALT, f.run(10_000), () -> "did not halt:\n" + f.cpu);
    }

    /** The protected-mode vector whose handler halted, or -1 if the CPU halted elsewhere. */
    static int vector(CpuFixture f) {
        long d = f.cpu.rip - 1 - HANDLERS;
        return d >= 0 && d < 32 * 16 && d % 16 == 0 ? (int) (d / 16) : -1;
    }

    /** The real-mode vector whose handler halted, or -1. */
    static int realVector(CpuFixture f) {
        long d = f.cpu.seg[Cpu.CS].base + f.cpu.rip - 1 - REAL_HANDLERS;
        return d >= 0 && d < 32 * 16 && d % 16 == 0 ? (int) (d / 16) : -1;
    }

    /** The dword {@code k} slots above the top of the (32-bit) stack. */
    static long top(CpuFixture f, int k) {
        return f.mem.read32(f.cpu.seg[Cpu.SS].base + f.cpu.reg(Cpu.ESP, 4) + 4L * k) & 0xFFFF_FFFFL;
    }

    /** Asserts that the CPU halted in the handler of {@code vector} with error code {@code err} on the stack. */
    static void assertFault(CpuFixture f, int vector, int err) {
        assertEquals(vector, vector(f), () -> "expected " + Exceptions.name(vector) + ", state:\n" + f.cpu);
        if (err >= 0) {
            assertEquals(err, top(f, 0), "error code");
        }
    }

    /**
     * Asserts that ring-3 code ran to its final HLT at {@code hltAddress}: HLT is privileged, so it
     * ends in #GP(0) with that EIP.
     */
    static void assertUserEnd(CpuFixture f, long hltAddress) {
        assertFault(f, Exceptions.GP, 0);
        assertEquals(hltAddress, top(f, 1), () -> "#GP before the final HLT, state:\n" + f.cpu);
    }

    /** Asserts that the program ran to its own HLT (no exception handler). */
    static void assertNoFault(CpuFixture f) {
        assertEquals(-1, vector(f), () -> "unexpected exception, state:\n" + f.cpu);
    }
}

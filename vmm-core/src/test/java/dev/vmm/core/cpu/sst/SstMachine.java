package dev.vmm.core.cpu.sst;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.core.memory.PhysicalMemory;

/**
 * A light, reusable real-mode test machine for the SingleStepTests 80286 suite: one {@link Cpu}, one
 * {@link PhysicalMemory} of 16 MiB + 64 KiB (real-mode addresses reach {@code 0xFFFF0 + 0xFFFF = 0x10FFEF}; the
 * 286's 24-bit wrap at 16 MiB is never reached from real mode, so no wrap logic is needed) and an empty
 * {@link PioBus} (unclaimed ports read all ones, as the suite expects for {@code IN}).
 *
 * <p>Built once per run. {@link Cpu#reset()} is deliberately not called per test (it flushes a 4 GiB-sized
 * code-cache index, far too slow for 325,000 tests); {@link #setState} writes every piece of architectural state a
 * 16-bit real-mode instruction can observe instead.
 *
 * <p>Memory baseline: all zero, except <em>sentinel</em> exception handlers. Every IVT entry points to its own
 * HLT at {@code FFFF:FE00+vector} (linear {@link #SENT_LIN}{@code +vector}). A test's initial RAM overrides the
 * entries the hardware used; if our CPU raises a vector the hardware did not, it halts at once at that vector's
 * sentinel ({@link #sentinelVector}) instead of running into unrelated zero bytes, and the harness can say which
 * exception we took. RAM is restored to the baseline per test only at the addresses the test loaded or the
 * hardware wrote ({@link #restore}), and fully per file ({@link #wipe}), so each file runs from the same memory
 * regardless of what ran before. Harness writes go through {@link PhysicalMemory#write8}, which invalidates
 * decoded instructions of pages holding code, so the code cache never executes stale bytes.
 */
final class SstMachine implements AutoCloseable {
    /** RAM size: 16 MiB + 64 KiB. */
    static final long RAM_BYTES = (16L << 20) + (64L << 10);
    private static final int DATA_ATTR = Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_ACCESSED;
    private static final int CODE_ATTR = DATA_ATTR | Segment.A_CODE;
    /** GPR index (Cpu.EAX..) for AX, BX, CX, DX (in Reg16 order), then SP, BP, SI, DI. */
    private static final int[] GPR_OF_REG16 = {Cpu.EAX, Cpu.EBX, Cpu.ECX, Cpu.EDX, -1, -1, -1, -1,
        Cpu.ESP, Cpu.EBP, Cpu.ESI, Cpu.EDI, -1, -1};
    /** Segment register (Cpu.ES..) of CS, SS, DS, ES in Reg16 order. */
    private static final int[] SEG_OF_REG16 = {-1, -1, -1, -1, Cpu.CS, Cpu.SS, Cpu.DS, Cpu.ES};

    final PhysicalMemory mem;
    final PioBus io = new PioBus();
    final Cpu cpu;

    SstMachine() {
        mem = PhysicalMemory.create(RAM_BYTES);
        cpu = new Cpu(mem, io);
    }

    /** Sentinel handler segment and first offset: vector {@code v} halts at {@code SENT_CS:SENT_IP+v}. */
    static final int SENT_CS = 0xFFFF;
    static final int SENT_IP = 0xFE00;
    /** Linear address of vector 0's sentinel HLT (0x10FDF0; vector 255's is 0x10FEEF). */
    static final int SENT_LIN = (SENT_CS << 4) + SENT_IP;
    private static final int IVT_BYTES = 0x400;

    /** Resets RAM to the baseline (once per file). Decoded code is dropped by the next harness write to a page. */
    void wipe() {
        mem.ram().fill((byte) 0);
        for (int a = 0; a < IVT_BYTES; a++) {
            write8(a, baseline(a));
        }
        for (int v = 0; v < 256; v++) {
            write8(SENT_LIN + v, baseline(SENT_LIN + v));
        }
    }

    /** The baseline byte at {@code addr}: sentinel IVT entries and HLTs, zero elsewhere. */
    static int baseline(int addr) {
        if (addr >= 0 && addr < IVT_BYTES) {
            int ip = SENT_IP + (addr >> 2);
            return switch (addr & 3) {
                case 0 -> ip & 0xFF;
                case 1 -> ip >> 8;
                default -> SENT_CS & 0xFF;
            };
        }
        return addr >= SENT_LIN && addr < SENT_LIN + 256 ? 0xF4 : 0;
    }

    /** The vector whose sentinel HLT the CPU executed, or -1. */
    int sentinelVector() {
        long ip = cpu.rip - SENT_IP - 1;
        return cpu.halted && cpu.seg[Cpu.CS].selector == SENT_CS && ip >= 0 && ip < 256 ? (int) ip : -1;
    }

    /**
     * Real-mode state from 14 register values (index = {@link Reg16#ordinal()}): GPRs zero-extended, segment caches
     * as a real-mode load leaves them (base = selector &lt;&lt; 4, limit 0xFFFF, present read/write data or code),
     * FLAGS AND {@code flagsAnd} (the 286 profile clears bits 12-15, which real mode cannot hold).
     */
    void setState(int[] v, int flagsAnd) {
        if (cpu.isShutdown()) {
            cpu.reset();
        }
        for (int k = 0; k < 16; k++) {
            cpu.r[k] = 0;
        }
        for (Reg16 r : Reg16.values()) {
            int g = GPR_OF_REG16[r.ordinal()];
            if (g >= 0) {
                cpu.r[g] = v[r.ordinal()] & 0xFFFF;
            } else if (r.ordinal() < SEG_OF_REG16.length) {
                int s = SEG_OF_REG16[r.ordinal()];
                loadReal(cpu.seg[s], v[r.ordinal()], s == Cpu.CS ? CODE_ATTR : DATA_ATTR);
            }
        }
        loadReal(cpu.seg[Cpu.FS], 0, DATA_ATTR);
        loadReal(cpu.seg[Cpu.GS], 0, DATA_ATTR);
        cpu.rip = v[Reg16.IP.ordinal()] & 0xFFFF;
        cpu.flags.set(v[Reg16.FLAGS.ordinal()] & flagsAnd);
        cpu.halted = false;
    }

    private static void loadReal(Segment s, int sel, int attr) {
        s.selector = sel & 0xFFFF;
        s.base = (long) (sel & 0xFFFF) << 4;
        s.limit = 0xFFFF;
        s.attr = attr;
        s.usable = true;
        s.refresh();
    }

    /** The current value of {@code r} as the 286 would show it (16 bits; FLAGS unmasked). */
    int get(Reg16 r) {
        int g = GPR_OF_REG16[r.ordinal()];
        if (g >= 0) {
            return (int) (cpu.r[g] & 0xFFFF);
        }
        return switch (r) {
            case CS -> cpu.seg[Cpu.CS].selector;
            case SS -> cpu.seg[Cpu.SS].selector;
            case DS -> cpu.seg[Cpu.DS].selector;
            case ES -> cpu.seg[Cpu.ES].selector;
            case IP -> (int) (cpu.rip & 0xFFFF);
            case FLAGS -> cpu.flags.get() & 0xFFFF;
            default -> throw new IllegalArgumentException(r.name());
        };
    }

    /** Segment register index in {@link Cpu#seg} for CS/SS/DS/ES, or -1. */
    static int segIndex(Reg16 r) {
        return r.ordinal() < SEG_OF_REG16.length ? SEG_OF_REG16[r.ordinal()] : -1;
    }

    /** General register index in {@link Cpu#r} for AX..DI, or -1. */
    static int gprIndex(Reg16 r) {
        return GPR_OF_REG16[r.ordinal()];
    }

    /** Outcome of {@link #run}. */
    enum Stop { HALTED, SHUTDOWN, BUDGET }

    /** Steps until the CPU has executed a HLT, shut down, or used {@code budget} instructions. */
    Stop run(int budget) {
        for (int n = 0; n < budget; n++) {
            if (cpu.halted) {
                return Stop.HALTED;
            }
            if (cpu.isShutdown()) {
                return Stop.SHUTDOWN;
            }
            cpu.step();
        }
        return cpu.halted ? Stop.HALTED : cpu.isShutdown() ? Stop.SHUTDOWN : Stop.BUDGET;
    }

    int read8(int addr) {
        return mem.read8(addr & 0xFFFF_FFFFL);
    }

    void write8(int addr, int v) {
        mem.write8(addr & 0xFFFF_FFFFL, v);
    }

    /** Restores the baseline at the addresses of {@code ram} (per-test cleanup). */
    void restore(Iterable<SstTest.RamEntry> ram) {
        for (SstTest.RamEntry e : ram) {
            write8(e.address(), baseline(e.address()));
        }
    }

    @Override
    public void close() {
        mem.close();
    }
}

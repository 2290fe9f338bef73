package dev.vmm.core.cpu.diff;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.CpuFixture;
import dev.vmm.core.cpu.oracle.NativeExecutor;
import dev.vmm.core.cpu.oracle.NativeResult;
import dev.vmm.core.cpu.oracle.RegisterImage;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Runs a {@link DiffCase} natively ({@link NativeExecutor}) and in the emulator (a flat 32-bit
 * {@link CpuFixture} with the same code and data at the same linear addresses, code followed by
 * HLT), and compares EAX..EDI except ESP, the status flags outside the case's undefined mask, DF
 * and the whole data region.
 *
 * <p>Every exception vector of the emulated CPU goes to its own HLT stub, so an instruction that
 * faults in the emulator (for example #UD for a handler that does not exist yet) ends the run and
 * is reported by vector. The data region carries over from case to case; the emulator's copy is
 * re-synchronised from the native one after a mismatch.
 */
final class DiffRunner implements AutoCloseable {
    private static final long STUBS = 0x5000;
    private static final int NUM_VECTORS = 32;
    private static final long BUDGET = 10_000;
    private static final String[] REG_NAMES = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};

    private final NativeExecutor exec;
    private final CpuFixture fx;
    private final long dataAddress;
    private final long eip;
    private final byte[] guestData = new byte[NativeExecutor.DATA_SIZE];
    /** Compare all status flags (ignore the undefined mask): host-specific checks. */
    private final boolean strict;

    DiffRunner(boolean strict) {
        this.strict = strict;
        exec = new NativeExecutor();
        try {
            fx = new CpuFixture(2L << 30);
        } catch (RuntimeException e) {
            exec.close();
            throw e;
        }
        dataAddress = exec.dataAddress();
        eip = exec.testCodeAddress();
        initCpu();
        byte[] init = new byte[NativeExecutor.DATA_SIZE];
        new Random(0x5EED_DA7AL).nextBytes(init);
        MemorySegment.copy(init, 0, exec.data(), JAVA_BYTE, 0, init.length);
        MemorySegment.copy(init, 0, fx.mem.ram(), JAVA_BYTE, dataAddress, init.length);
    }

    long dataAddress() {
        return dataAddress;
    }

    private void initCpu() {
        fx.flat32(eip);
        for (int v = 0; v < NUM_VECTORS; v++) {
            fx.setGate(v, 0x08, STUBS + v, 0xE, 0);
            fx.mem.write8(STUBS + v, 0xF4);
        }
    }

    /**
     * Runs {@code c} both ways.
     *
     * @return null if both agree, else the failure report
     */
    String run(DiffCase c) {
        CaseValidator.check(c, dataAddress);
        MemorySegment.copy(c.window(), 0, exec.data(), JAVA_BYTE, CaseBuilder.WINDOW, c.window().length);
        NativeResult nr = exec.run(c.in(), c.code());

        MemorySegment ram = fx.mem.ram();
        MemorySegment.copy(c.window(), 0, ram, JAVA_BYTE, dataAddress + CaseBuilder.WINDOW, c.window().length);
        fx.mem.load(eip, c.code());
        fx.mem.write8(eip + c.code().length, 0xF4);
        Cpu cpu = fx.cpu;
        RegisterImage in = c.in();
        for (int r = 0; r < 8; r++) {
            cpu.r[r] = r == 4 ? CpuFixture.STACK_TOP : in.reg(r) & 0xFFFF_FFFFL;
        }
        cpu.flags.set(in.eflags() & NativeExecutor.FLAGS_SETTABLE | 2);
        cpu.rip = eip;
        cpu.halted = false;
        Cpu.Exit exit = cpu.run(BUDGET);

        StringBuilder diff = new StringBuilder();
        long end = eip + c.code().length + 1;
        if (exit == Cpu.Exit.SHUTDOWN) {
            diff.append("    vmm: triple fault (shutdown)\n");
        } else if (exit != Cpu.Exit.HALT) {
            diff.append("    vmm: did not reach HLT within ").append(BUDGET).append(" instructions (").append(exit)
                    .append(")\n");
        } else if (cpu.rip != end) {
            long v = cpu.rip - STUBS - 1;
            if (v >= 0 && v < NUM_VECTORS) {
                diff.append(String.format("    vmm: exception %s (vector %d) at eip=%08x%n", vectorName((int) v), v,
                        fx.mem.read32(CpuFixture.STACK_TOP - 12) & 0xFFFF_FFFFL));
            } else {
                diff.append(String.format("    vmm: halted at eip=%08x, expected %08x%n", cpu.rip - 1, end - 1));
            }
        }
        RegisterImage out = nr.registers();
        for (int r = 0; r < 8; r++) {
            if (r == 4) {
                continue;
            }
            long nv = out.reg(r) & 0xFFFF_FFFFL;
            long ev = cpu.r[r] & 0xFFFF_FFFFL;
            if (nv != ev) {
                diff.append(String.format("    %s: native=%08x vmm=%08x%n", REG_NAMES[r], nv, ev));
            }
        }
        int mask = (strict ? CaseBuilder.STATUS : CaseBuilder.STATUS & ~c.undefined()) | CaseBuilder.DF;
        int nf = out.eflags() & mask;
        int ef = cpu.flags.get() & mask;
        if (nf != ef) {
            diff.append(String.format("    flags: native=%s vmm=%s, differ in %s (compared %s)%n", flagNames(nf),
                    flagNames(ef), flagNames(nf ^ ef), flagNames(mask)));
        }
        MemorySegment.copy(ram, JAVA_BYTE, dataAddress, guestData, 0, guestData.length);
        byte[] nd = nr.data();
        int at = java.util.Arrays.mismatch(nd, guestData);
        if (at >= 0) {
            int shown = 0;
            for (int k = at; k < nd.length && shown < 8; k++) {
                if (nd[k] != guestData[k]) {
                    diff.append(String.format("    data+0x%04x: native=%02x vmm=%02x%n", k, nd[k] & 0xFF,
                            guestData[k] & 0xFF));
                    shown++;
                }
            }
            MemorySegment.copy(nd, 0, ram, JAVA_BYTE, dataAddress, nd.length);
        }
        if (exit == Cpu.Exit.SHUTDOWN || exit != Cpu.Exit.HALT) {
            initCpu();
        }
        if (diff.isEmpty()) {
            return null;
        }
        return report(c, diff.toString());
    }

    private String report(DiffCase c, String diff) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%s/%s case #%d: %s%n", c.cls(), c.name(), c.index(), c.hex()));
        sb.append(c.listing(eip));
        RegisterImage in = c.in();
        sb.append(String.format("  in:  eax=%08x ecx=%08x edx=%08x ebx=%08x ebp=%08x esi=%08x edi=%08x flags=%s%n",
                in.eax(), in.ecx(), in.edx(), in.ebx(), in.ebp(), in.esi(), in.edi(), flagNames(in.eflags())));
        String mem = c.memoryInputs();
        if (!mem.isEmpty()) {
            sb.append("  memory operands (initial bytes, data = 0x").append(Long.toHexString(dataAddress)).append("):\n")
                    .append(mem);
        }
        if (c.undefined() != 0 && !strict) {
            sb.append("  undefined (not compared): ").append(flagNames(c.undefined())).append('\n');
        }
        sb.append("  differences:\n").append(diff);
        return sb.toString();
    }

    static String flagNames(int f) {
        StringBuilder sb = new StringBuilder("[");
        String[] names = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "", "", "DF", "OF"};
        for (int k = 0; k < names.length; k++) {
            if (!names[k].isEmpty() && (f & 1 << k) != 0) {
                sb.append(sb.length() > 1 ? " " : "").append(names[k]);
            }
        }
        return sb.append(']').toString();
    }

    private static String vectorName(int v) {
        String[] n = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9", "#TS", "#NP", "#SS", "#GP",
            "#PF", "?15", "#MF", "#AC", "#MC", "#XM"};
        return v < n.length ? n[v] : "#" + v;
    }

    @Override
    public void close() {
        try {
            exec.close();
        } finally {
            fx.close();
        }
    }
}

package dev.vmm.core.cpu.fpdiff;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.CpuFixture;
import dev.vmm.core.cpu.oracle.NativeExecutor;
import dev.vmm.core.cpu.oracle.NativeResult;
import dev.vmm.core.cpu.oracle.RegisterImage;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

/**
 * Runs floating-point and SIMD instructions on the host CPU ({@link NativeExecutor}) and in the
 * emulator and compares the whole x87/MMX/SSE state. Each run executes
 * {@code FXRSTOR [ebx]; <code under test>; FXSAVE [ebx+0x200]} with EBX pointing at the case's input
 * image and ESI at its memory-operand area (see {@link FpCase}); the emulator runs the same bytes at
 * the same linear addresses in a flat 32-bit protected-mode CPU with CR0.NE/MP and
 * CR4.OSFXSR/OSXMMEXCPT set, followed by HLT. Every exception vector goes to its own HLT stub, so a
 * fault in the emulator is reported by vector.
 *
 * <p>Compared ({@link #differences}): the output FXSAVE image except the fields the host cannot
 * reproduce (see {@link #IGNORED}), EAX ECX EDX EDI EBP, the six status flags, and the
 * memory-operand area. Generators must not produce cases that fault natively (an unmasked SSE
 * exception raises #XM at once and the host process dies): keep the MXCSR exception masks set and
 * x87 unmasked exceptions are fine (they are only reported by the next waiting instruction, and
 * there is none).
 */
public final class FpDiffRunner implements AutoCloseable {
    /** Offsets in the data region: the input image, the output image, the memory-operand area. */
    public static final int IN = 0x1000;
    public static final int OUT = 0x1200;
    public static final int MEM = 0x1400;
    public static final int MEM_SIZE = 256;
    /** Status flags CF PF AF ZF SF OF. */
    public static final int STATUS = 0x8D5;
    /**
     * Byte ranges of the output image that are not compared, with the reason: the last-instruction
     * fields (the host runs in 64-bit mode with another CS, and AMD processors store FIP/FDP/FOP only
     * when an exception is pending: they are tested by unit tests instead), MXCSR_MASK (the host's
     * has bits for features we do not have), and XMM8-15 (only exist in 64-bit mode).
     */
    public static final int[][] IGNORED = {{6, 24}, {28, 32}, {288, 416}};

    private static final long STUBS = 0x5000;
    private static final int NUM_VECTORS = 32;
    private static final long BUDGET = 100;
    private static final byte[] FXRSTOR_EBX = {0x0F, (byte) 0xAE, 0x0B};
    private static final byte[] FXSAVE_EBX_200 = {0x0F, (byte) 0xAE, (byte) 0x83, 0x00, 0x02, 0x00, 0x00};
    private static final String[] VECTORS = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9",
        "#TS", "#NP", "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM"};

    private final NativeExecutor exec;
    private final CpuFixture fx;
    private final long data;
    private final long eip;

    /** What both CPUs ended with. {@code vmmFault} is null, or the reason the emulator did not reach the end. */
    public record Outcome(FpCase c, FxImage nativeImage, FxImage vmmImage, int[] nativeRegs, int[] vmmRegs,
                          byte[] nativeMem, byte[] vmmMem, String vmmFault) {
    }

    public FpDiffRunner() {
        exec = new NativeExecutor();
        try {
            fx = new CpuFixture(2L << 30);
        } catch (RuntimeException e) {
            exec.close();
            throw e;
        }
        data = exec.dataAddress();
        eip = exec.testCodeAddress();
        byte[] init = new byte[NativeExecutor.DATA_SIZE];
        new Random(0xF0_DA7AL).nextBytes(init);
        MemorySegment.copy(init, 0, exec.data(), JAVA_BYTE, 0, init.length);
        MemorySegment.copy(init, 0, fx.mem.ram(), JAVA_BYTE, data, init.length);
        initCpu();
    }

    /** True if the host can run the oracle (Linux x86-64 with SSE2, which every x86-64 has). */
    public static boolean isSupported() {
        return NativeExecutor.isSupported();
    }

    public static String hostDescription() {
        return NativeExecutor.hostDescription();
    }

    /** The linear address of the memory-operand area (for generators that need absolute addresses). */
    public long memAddress() {
        return data + MEM;
    }

    private void initCpu() {
        fx.flat32(eip);
        for (int v = 0; v < NUM_VECTORS; v++) {
            fx.setGate(v, 0x08, STUBS + v, 0xE, 0);
            fx.mem.write8(STUBS + v, 0xF4);
        }
        Cpu cpu = fx.cpu;
        cpu.cr0 |= Cpu.CR0_NE | Cpu.CR0_MP;
        cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT;
    }

    /** Runs {@code c} on the host and in the emulator. */
    public Outcome run(FpCase c) {
        if (c.mem().length > MEM_SIZE) {
            throw new IllegalArgumentException("memory-operand area is " + MEM_SIZE + " bytes");
        }
        byte[] code = concat(FXRSTOR_EBX, c.code(), FXSAVE_EBX_200);
        byte[] mem = Arrays.copyOf(c.mem(), MEM_SIZE);
        byte[] out = new byte[FxImage.SIZE];
        Arrays.fill(out, (byte) 0xA5);
        byte[] in = c.in().bytes();
        int ebx = (int) (data + IN);
        int esi = (int) (data + MEM);

        MemorySegment nd = exec.data();
        MemorySegment.copy(in, 0, nd, JAVA_BYTE, IN, in.length);
        MemorySegment.copy(out, 0, nd, JAVA_BYTE, OUT, out.length);
        MemorySegment.copy(mem, 0, nd, JAVA_BYTE, MEM, mem.length);
        NativeResult nr = exec.run(new RegisterImage(c.eax(), ebx, c.ecx(), c.edx(), esi, c.edi(), c.ebp(),
                c.eflags() & NativeExecutor.FLAGS_SETTABLE | 2), code);

        MemorySegment ram = fx.mem.ram();
        MemorySegment.copy(in, 0, ram, JAVA_BYTE, data + IN, in.length);
        MemorySegment.copy(out, 0, ram, JAVA_BYTE, data + OUT, out.length);
        MemorySegment.copy(mem, 0, ram, JAVA_BYTE, data + MEM, mem.length);
        fx.mem.load(eip, code);
        fx.mem.write8(eip + code.length, 0xF4);
        Cpu cpu = fx.cpu;
        long[] regs = {c.eax(), c.ecx(), c.edx(), ebx, CpuFixture.STACK_TOP, c.ebp(), esi, c.edi()};
        for (int r = 0; r < 8; r++) {
            cpu.r[r] = regs[r] & 0xFFFF_FFFFL;
        }
        cpu.flags.set(c.eflags() & NativeExecutor.FLAGS_SETTABLE | 2);
        cpu.rip = eip;
        cpu.halted = false;
        Cpu.Exit exit = cpu.run(BUDGET);
        String fault = null;
        long end = eip + code.length + 1;
        if (exit != Cpu.Exit.HALT) {
            fault = "did not reach HLT (" + exit + ")";
        } else if (cpu.rip != end) {
            long v = cpu.rip - STUBS - 1;
            fault = v >= 0 && v < NUM_VECTORS
                    ? String.format("exception %s (vector %d) at eip=%08x", v < VECTORS.length ? VECTORS[(int) v] : "#" + v,
                    v, fx.mem.read32(CpuFixture.STACK_TOP - 12) & 0xFFFF_FFFFL)
                    : String.format("halted at eip=%08x, expected %08x", cpu.rip - 1, end - 1);
        }
        if (fault != null) {
            initCpu();
        }
        byte[] nativeAll = nr.data();
        byte[] vmmOut = new byte[FxImage.SIZE];
        byte[] vmmMem = new byte[MEM_SIZE];
        MemorySegment.copy(ram, JAVA_BYTE, data + OUT, vmmOut, 0, vmmOut.length);
        MemorySegment.copy(ram, JAVA_BYTE, data + MEM, vmmMem, 0, vmmMem.length);
        RegisterImage o = nr.registers();
        int[] nativeRegs = {o.eax(), o.ecx(), o.edx(), o.edi(), o.ebp(), o.ebx(), o.esi(), o.eflags() & STATUS};
        int[] vmmRegs = {(int) cpu.r[Cpu.EAX], (int) cpu.r[Cpu.ECX], (int) cpu.r[Cpu.EDX], (int) cpu.r[Cpu.EDI],
            (int) cpu.r[Cpu.EBP], (int) cpu.r[Cpu.EBX], (int) cpu.r[Cpu.ESI], cpu.flags.get() & STATUS};
        return new Outcome(c, FxImage.of(Arrays.copyOfRange(nativeAll, OUT, OUT + FxImage.SIZE)), FxImage.of(vmmOut),
                nativeRegs, vmmRegs, Arrays.copyOfRange(nativeAll, MEM, MEM + MEM_SIZE), vmmMem, fault);
    }

    /** Runs {@code c} and compares strictly: null if both CPUs agree, else a report. */
    public String check(FpCase c) {
        Outcome o = run(c);
        String d = differences(o);
        return d.isEmpty() ? null : report(o, d);
    }

    /** The differences of an outcome, one per line (empty if none), under the standard masks. */
    public static String differences(Outcome o) {
        StringBuilder sb = new StringBuilder();
        if (o.vmmFault() != null) {
            sb.append("    vmm: ").append(o.vmmFault()).append('\n');
        }
        String[] names = {"EAX", "ECX", "EDX", "EDI", "EBP", "EBX", "ESI", "flags"};
        for (int k = 0; k < names.length; k++) {
            if (o.nativeRegs()[k] != o.vmmRegs()[k]) {
                sb.append(String.format("    %s: native=%08x vmm=%08x%n", names[k], o.nativeRegs()[k], o.vmmRegs()[k]));
            }
        }
        byte[] n = o.nativeImage().bytes();
        byte[] v = o.vmmImage().bytes();
        for (int[] r : IGNORED) {
            Arrays.fill(n, r[0], r[1], (byte) 0);
            Arrays.fill(v, r[0], r[1], (byte) 0);
        }
        imageDifferences(FxImage.of(n), FxImage.of(v), sb);
        int at = Arrays.mismatch(o.nativeMem(), o.vmmMem());
        if (at >= 0) {
            sb.append(String.format("    memory [esi+0x%x..]: native=%s vmm=%s%n", at,
                    hex(o.nativeMem(), at), hex(o.vmmMem(), at)));
        }
        return sb.toString();
    }

    private static void imageDifferences(FxImage n, FxImage v, StringBuilder sb) {
        if (n.fcw() != v.fcw()) {
            sb.append(String.format("    FCW: native=%04x vmm=%04x%n", n.fcw(), v.fcw()));
        }
        if (n.fsw() != v.fsw()) {
            sb.append(String.format("    FSW: native=%04x vmm=%04x (differ in %04x)%n", n.fsw(), v.fsw(), n.fsw() ^ v.fsw()));
        }
        if (n.ftw() != v.ftw()) {
            sb.append(String.format("    FTW (abridged): native=%02x vmm=%02x%n", n.ftw(), v.ftw()));
        }
        if (n.mxcsr() != v.mxcsr()) {
            sb.append(String.format("    MXCSR: native=%08x vmm=%08x%n", n.mxcsr(), v.mxcsr()));
        }
        byte[] nb = n.bytes();
        byte[] vb = v.bytes();
        for (int i = 0; i < 8; i++) {
            int s = FxImage.ST0 + 16 * i;
            if (!Arrays.equals(nb, s, s + 16, vb, s, s + 16)) {
                sb.append(String.format("    ST(%d): native=%04x:%016x vmm=%04x:%016x%s%n", i, n.stSe(i), n.stSig(i),
                        v.stSe(i), v.stSig(i), Arrays.equals(nb, s, s + 10, vb, s, s + 10) ? " (reserved bytes)" : ""));
            }
            int x = FxImage.XMM0 + 16 * i;
            if (!Arrays.equals(nb, x, x + 16, vb, x, x + 16)) {
                sb.append(String.format("    XMM%d: native=%016x:%016x vmm=%016x:%016x%n", i, n.xmmHi(i), n.xmmLo(i),
                        v.xmmHi(i), v.xmmLo(i)));
            }
        }
        int at = Arrays.mismatch(nb, vb);
        if (at >= 0 && sb.isEmpty()) {
            sb.append(String.format("    image byte %d: native=%02x vmm=%02x%n", at, nb[at] & 0xFF, vb[at] & 0xFF));
        }
    }

    /** A report: the case, its input state and the differences. */
    public static String report(Outcome o, String differences) {
        FpCase c = o.c();
        return String.format("%s case #%d: %s   %s%n  in: %s%n  eax=%08x ecx=%08x edx=%08x edi=%08x ebp=%08x "
                        + "flags=%03x mem=%s%n  differences:%n%s", c.name(), c.index(), c.hex(), c.disassembly(),
                c.in(), c.eax(), c.ecx(), c.edx(), c.edi(), c.ebp(), c.eflags() & STATUS, hex(c.mem(), 0), differences);
    }

    private static String hex(byte[] b, int from) {
        int to = Math.min(b.length, from + 16);
        return from >= to ? "-" : HexFormat.of().formatHex(b, from, to);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
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

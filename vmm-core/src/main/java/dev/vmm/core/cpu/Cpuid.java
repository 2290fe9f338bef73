package dev.vmm.core.cpu;

import java.nio.charset.StandardCharsets;

/**
 * CPUID: reports exactly the features this CPU implements, under its own vendor string.
 * When an instruction-set extension lands, its bit is set here in the same change.
 */
public final class Cpuid {
    private Cpuid() {
    }

    public static final String VENDOR = "VMM-JavaCore";
    public static final String BRAND = "vmm virtual x86 processor";
    /** Family 6, model 15, stepping 1 (a P6-class processor); also EDX after RESET. */
    static final int RESET_SIGNATURE = 0x0006_F1;

    // Leaf 1 EDX feature bits.
    public static final int EDX_FPU = 1;
    public static final int EDX_MMX = 1 << 23;
    public static final int EDX_FXSR = 1 << 24;
    public static final int EDX_SSE = 1 << 25;
    public static final int EDX_SSE2 = 1 << 26;
    public static final int EDX_DE = 1 << 2;
    public static final int EDX_PSE = 1 << 3;
    public static final int EDX_TSC = 1 << 4;
    public static final int EDX_MSR = 1 << 5;
    public static final int EDX_PAE = 1 << 6;
    public static final int EDX_CX8 = 1 << 8;
    public static final int EDX_SEP = 1 << 11;
    public static final int EDX_PGE = 1 << 13;
    public static final int EDX_APIC = 1 << 9;
    /** Leaf 1 ECX: the local APIC timer has TSC-deadline mode. */
    public static final int ECX_TSC_DEADLINE = 1 << 24;
    public static final int EDX_CMOV = 1 << 15;
    public static final int EDX_PSE36 = 1 << 17;
    /** CLFLUSH is implemented; leaf 1 EBX bits 15-8 give its line size. */
    public static final int EDX_CLFSH = 1 << 19;
    /** Leaf 1 EBX: the CLFLUSH line size in 8-byte units (bits 15-8). */
    static final int LEAF1_EBX = SimdCacheOps.CLFLUSH_LINE / 8 << 8;
    /** Extended leaf 0x80000001 EDX: execute disable. */
    public static final int EXT_EDX_NX = 1 << 20;

    static final int LEAF1_EDX = EDX_DE | EDX_PSE | EDX_TSC | EDX_MSR | EDX_PAE | EDX_CX8 | EDX_SEP | EDX_PGE
            | EDX_CMOV | EDX_PSE36 | EDX_FPU | EDX_MMX | EDX_FXSR | EDX_SSE | EDX_SSE2 | EDX_CLFSH;

    /** Executes CPUID with the leaf in EAX (and subleaf in ECX) of {@code cpu}. */
    static void execute(Cpu cpu) {
        int leaf = (int) cpu.reg(Cpu.EAX, 4);
        int[] v = query(leaf, cpu.boardEdx, cpu.boardEcx);
        cpu.setReg(Cpu.EAX, 4, v[0] & 0xFFFF_FFFFL);
        cpu.setReg(Cpu.EBX, 4, v[1] & 0xFFFF_FFFFL);
        cpu.setReg(Cpu.ECX, 4, v[2] & 0xFFFF_FFFFL);
        cpu.setReg(Cpu.EDX, 4, v[3] & 0xFFFF_FFFFL);
    }

    /** EAX, EBX, ECX, EDX for {@code leaf} of a CPU on a board with no APIC. */
    public static int[] query(int leaf) {
        return query(leaf, 0, 0);
    }

    /**
     * EAX, EBX, ECX, EDX for {@code leaf}; {@code boardEdx} and {@code boardEcx} add leaf-1 bits of
     * features the board provides (the on-chip APIC and its TSC-deadline timer).
     */
    public static int[] query(int leaf, int boardEdx, int boardEcx) {
        return switch (leaf) {
            case 0 -> {
                int[] s = text(VENDOR, 0, 3);
                yield new int[] {1, s[0], s[2], s[1]};
            }
            case 1 -> new int[] {RESET_SIGNATURE, LEAF1_EBX, boardEcx, LEAF1_EDX | boardEdx};
            case 0x8000_0000 -> new int[] {0x8000_0004, 0, 0, 0};
            case 0x8000_0001 -> new int[] {0, 0, 0, EXT_EDX_NX};
            case 0x8000_0002, 0x8000_0003, 0x8000_0004 -> text(BRAND, (leaf - 0x8000_0002) * 4, 4);
            // Leaves above the maximum return the highest basic leaf's values, as Intel does.
            default -> leaf < 0 ? new int[4] : new int[] {RESET_SIGNATURE, LEAF1_EBX, boardEcx, LEAF1_EDX | boardEdx};
        };
    }

    private static int[] text(String s, int firstWord, int words) {
        byte[] b = new byte[48];
        byte[] src = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(src, 0, b, 0, Math.min(src.length, 47));
        int[] out = new int[words];
        for (int k = 0; k < words; k++) {
            int o = (firstWord + k) * 4;
            out[k] = (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
        }
        return out;
    }
}

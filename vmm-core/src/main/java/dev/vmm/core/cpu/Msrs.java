package dev.vmm.core.cpu;

/**
 * The model-specific registers this CPU implements; RDMSR/WRMSR of any other index raise #GP(0).
 *
 * <p>The time-stamp counter is the CPU's time-stamp source (by default the instruction count, which
 * is deterministic; a board may supply one derived from its virtual clock) plus
 * {@link #tscOffset}; WRMSR to the TSC sets the offset.
 * EFER accepts only NXE, the one EFER feature CPUID reports (no SYSCALL, no long mode yet: SCE and
 * LME are reserved bits and raise #GP(0), as on a processor without them).
 */
public final class Msrs {
    public static final int TSC = 0x10;
    public static final int APIC_BASE = 0x1B;
    public static final int SYSENTER_CS = 0x174;
    public static final int SYSENTER_ESP = 0x175;
    public static final int SYSENTER_EIP = 0x176;
    public static final int MISC_ENABLE = 0x1A0;
    public static final int PAT = 0x277;
    public static final int EFER = 0xC000_0080;

    /** IA32_APIC_BASE: BSP flag (read-only), global enable, base (bits 35:12). */
    private static final long APIC_BSP = 1L << 8;
    private static final long APIC_WRITABLE = 0xF_FFFF_F000L | 1L << 11;
    /** EFER bits this CPU accepts: NXE (CPUID 0x80000001 reports neither SYSCALL nor long mode). */
    private static final long EFER_WRITABLE = Cpu.EFER_NXE;

    public long apicBase;
    public long sysenterCs;
    public long sysenterEsp;
    public long sysenterEip;
    public long pat;
    public long miscEnable;
    /** TSC = time-stamp source + this offset. */
    public long tscOffset;

    void reset() {
        apicBase = 0xFEE0_0000L | 0x800 | 0x100;
        sysenterCs = sysenterEsp = sysenterEip = 0;
        pat = 0x0007_0406_0007_0406L;
        miscEnable = 1;
        tscOffset = 0;
    }

    /** The time-stamp counter of {@code c}. */
    static long tsc(Cpu c) {
        return c.timeStamp.getAsLong() + c.msrs.tscOffset;
    }

    /** RDMSR of {@code index}; #GP(0) for an MSR this CPU does not implement. */
    long read(Cpu c, int index) {
        MsrExtension ext = c.msrExtension;
        if (ext != null && ext.implemented(index)) {
            return ext.read(index);
        }
        return switch (index) {
            case TSC -> tsc(c);
            case APIC_BASE -> apicBase;
            case SYSENTER_CS -> sysenterCs;
            case SYSENTER_ESP -> sysenterEsp;
            case SYSENTER_EIP -> sysenterEip;
            case MISC_ENABLE -> miscEnable;
            case PAT -> pat;
            case EFER -> c.efer;
            default -> throw c.gp(0);
        };
    }

    /** WRMSR of {@code index} with {@code v}; #GP(0) for unknown MSRs and reserved bits. */
    void write(Cpu c, int index, long v) {
        MsrExtension ext = c.msrExtension;
        if (ext != null && ext.implemented(index)) {
            if (!ext.write(index, v)) {
                throw c.gp(0);
            }
            return;
        }
        switch (index) {
            case TSC -> tscOffset = v - c.timeStamp.getAsLong();
            case APIC_BASE -> {
                if ((v & ~(APIC_WRITABLE | APIC_BSP)) != 0) {
                    throw c.gp(0);
                }
                apicBase = (v & APIC_WRITABLE) | (apicBase & APIC_BSP);
            }
            // A 32-bit processor: SYSENTER_CS keeps 32 bits, ESP and EIP hold 32-bit values.
            case SYSENTER_CS -> sysenterCs = v & 0xFFFF_FFFFL;
            case SYSENTER_ESP -> sysenterEsp = v & 0xFFFF_FFFFL;
            case SYSENTER_EIP -> sysenterEip = v & 0xFFFF_FFFFL;
            case MISC_ENABLE -> miscEnable = v;
            case PAT -> {
                for (int k = 0; k < 8; k++) {
                    int t = (int) (v >>> (8 * k)) & 0xFF;
                    if (t == 2 || t == 3 || t > 7) {
                        throw c.gp(0);
                    }
                }
                pat = v;
            }
            case EFER -> writeEfer(c, v);
            default -> throw c.gp(0);
        }
    }

    private static void writeEfer(Cpu c, long v) {
        if ((v & ~EFER_WRITABLE) != 0) {
            throw c.gp(0);
        }
        long old = c.efer;
        c.efer = v & EFER_WRITABLE;
        if (((old ^ c.efer) & Cpu.EFER_NXE) != 0) {
            c.mmu.flushAll();
        }
    }
}

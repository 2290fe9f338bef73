package dev.vmm.core.cpu;

/** The model-specific registers this CPU implements (RDMSR/WRMSR of others raise #GP(0)). */
public final class Msrs {
    public static final int TSC = 0x10;
    public static final int APIC_BASE = 0x1B;
    public static final int SYSENTER_CS = 0x174;
    public static final int SYSENTER_ESP = 0x175;
    public static final int SYSENTER_EIP = 0x176;
    public static final int MISC_ENABLE = 0x1A0;
    public static final int PAT = 0x277;
    public static final int EFER = 0xC000_0080;

    public long apicBase;
    public long sysenterCs;
    public long sysenterEsp;
    public long sysenterEip;
    public long pat;
    public long miscEnable;

    void reset() {
        apicBase = 0xFEE0_0000L | 0x800 | 0x100;
        sysenterCs = sysenterEsp = sysenterEip = 0;
        pat = 0x0007_0406_0007_0406L;
        miscEnable = 1;
    }
}

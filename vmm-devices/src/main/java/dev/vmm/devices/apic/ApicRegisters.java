package dev.vmm.devices.apic;

/** The xAPIC register map of {@link LocalApic} (offsets in its 4 KiB page) and register bits. */
public final class ApicRegisters {
    public static final int REG_ID = 0x20;
    public static final int REG_VERSION = 0x30;
    public static final int REG_TPR = 0x80;
    public static final int REG_APR = 0x90;
    public static final int REG_PPR = 0xA0;
    public static final int REG_EOI = 0xB0;
    public static final int REG_RRD = 0xC0;
    public static final int REG_LDR = 0xD0;
    public static final int REG_DFR = 0xE0;
    public static final int REG_SVR = 0xF0;
    public static final int REG_ISR = 0x100;
    public static final int REG_TMR = 0x180;
    public static final int REG_IRR = 0x200;
    public static final int REG_ESR = 0x280;
    public static final int REG_ICR_LOW = 0x300;
    public static final int REG_ICR_HIGH = 0x310;
    public static final int REG_LVT_TIMER = 0x320;
    public static final int REG_LVT_THERMAL = 0x330;
    public static final int REG_LVT_PERF = 0x340;
    public static final int REG_LVT_LINT0 = 0x350;
    public static final int REG_LVT_LINT1 = 0x360;
    public static final int REG_LVT_ERROR = 0x370;
    public static final int REG_TIMER_INITIAL = 0x380;
    public static final int REG_TIMER_CURRENT = 0x390;
    public static final int REG_TIMER_DIVIDE = 0x3E0;

    public static final int SVR_ENABLE = 1 << 8;
    public static final int LVT_MASKED = 1 << 16;
    public static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
    public static final int ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
    public static final int ESR_ILLEGAL_REGISTER = 1 << 7;

    private ApicRegisters() {
    }
}

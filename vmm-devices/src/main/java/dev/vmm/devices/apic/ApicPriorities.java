package dev.vmm.devices.apic;

/**
 * Interrupt acceptance and priorities of the local APIC (Intel SDM vol. 3, 10.8): IRR, ISR, TMR
 * and TPR, with the derived processor priority (PPR) and arbitration priority (APR).
 *
 * <p>The priority class of a vector is its bits 7:4. The highest IRR vector is dispatched when its
 * class is above the PPR's; PPR is the TPR, or the class of the highest in-service vector when
 * that is higher. Not thread-safe: {@link LocalApic} calls it under its lock.
 */
final class ApicPriorities {
    final VectorSet irr = new VectorSet();
    final VectorSet isr = new VectorSet();
    final VectorSet tmr = new VectorSet();
    int tpr;

    void reset() {
        irr.clearAll();
        isr.clearAll();
        tmr.clearAll();
        tpr = 0;
    }

    /** Accepts vector {@code v} (16-255) into IRR; TMR records level (1) or edge (0) trigger. */
    void accept(int v, boolean level) {
        irr.set(v);
        if (level) {
            tmr.set(v);
        } else {
            tmr.clear(v);
        }
    }

    int ppr() {
        int isrClass = Math.max(isr.highest(), 0) & 0xF0;
        return (tpr & 0xF0) >= isrClass ? tpr : isrClass;
    }

    int apr() {
        int irrv = Math.max(irr.highest(), 0);
        int isrv = Math.max(isr.highest(), 0);
        if ((tpr & 0xF0) >= (irrv & 0xF0) && (tpr & 0xF0) > (isrv & 0xF0)) {
            return tpr;
        }
        return Math.max(tpr & isrv & 0xF0, irrv & 0xF0);
    }

    /** The IRR vector the CPU would take now, or -1. */
    int deliverable() {
        int v = irr.highest();
        return v >= 0 && (v & 0xF0) > (ppr() & 0xF0) ? v : -1;
    }

    /** The acknowledge cycle: moves the deliverable vector from IRR to ISR; -1 if none. */
    int acknowledge() {
        int v = deliverable();
        if (v >= 0) {
            irr.clear(v);
            isr.set(v);
        }
        return v;
    }

    /** EOI: retires the highest in-service vector; returns it if level-triggered, else -1. */
    int eoi() {
        int v = isr.highest();
        if (v < 0) {
            return -1;
        }
        isr.clear(v);
        return tmr.get(v) ? v : -1;
    }

    /** Register {@code reg} (0x100-0x270: ISR, TMR, IRR words) as the guest reads it. */
    int word(int reg) {
        VectorSet set = reg < ApicRegisters.REG_TMR ? isr : reg < ApicRegisters.REG_IRR ? tmr : irr;
        return set.word((reg >> 4) & 7);
    }
}

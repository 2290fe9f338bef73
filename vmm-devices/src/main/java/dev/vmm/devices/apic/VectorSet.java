package dev.vmm.devices.apic;

/**
 * A 256-bit register of the local APIC, one bit per interrupt vector (IRR, ISR, TMR). The guest
 * sees it as eight 32-bit registers 16 bytes apart; {@link #word(int)} returns one of them.
 *
 * <p>Public only for its {@link State}, which is part of {@link LocalApic.State}.
 */
public final class VectorSet {
    /** The 256 bits as four words, vector 0 in bit 0 of {@code w0}. */
    public record State(long w0, long w1, long w2, long w3) {
    }

    private final long[] w = new long[4];

    boolean get(int vector) {
        return (w[vector >>> 6] & 1L << vector) != 0;
    }

    void set(int vector) {
        w[vector >>> 6] |= 1L << vector;
    }

    void clear(int vector) {
        w[vector >>> 6] &= ~(1L << vector);
    }

    void clearAll() {
        w[0] = w[1] = w[2] = w[3] = 0;
    }

    /** The highest vector whose bit is set, or -1. */
    int highest() {
        for (int i = 3; i >= 0; i--) {
            if (w[i] != 0) {
                return i * 64 + 63 - Long.numberOfLeadingZeros(w[i]);
            }
        }
        return -1;
    }

    /** Register {@code n} (0-7) as the guest reads it: vectors 32n to 32n+31. */
    int word(int n) {
        return (int) (w[n >>> 1] >>> ((n & 1) * 32));
    }

    State save() {
        return new State(w[0], w[1], w[2], w[3]);
    }

    void restore(State s) {
        w[0] = s.w0();
        w[1] = s.w1();
        w[2] = s.w2();
        w[3] = s.w3();
    }
}

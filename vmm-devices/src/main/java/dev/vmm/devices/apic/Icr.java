package dev.vmm.devices.apic;

/**
 * The interrupt command register (Intel SDM vol. 3, 10.6.1) and the destination check of an IPI
 * against the one local APIC of this board: shorthand self or all-including-self, a physical
 * destination equal to the APIC ID or 0xFF (broadcast), or a logical destination matching the LDR
 * in the flat (DFR model 1111) or cluster (0000) model.
 */
final class Icr {
    /** Writable bits of the low dword: vector, modes, level, trigger, shorthand. */
    static final int WRITABLE_LOW = 0x000C_CFFF;
    static final int WRITABLE_HIGH = 0xFF00_0000;

    private Icr() {
    }

    static int vector(int low) {
        return low & 0xFF;
    }

    static int deliveryMode(int low) {
        return low >> 8 & 7;
    }

    /** INIT with trigger level and level de-assert: only resynchronizes arbitration IDs. */
    static boolean initDeassert(int low) {
        return deliveryMode(low) == ApicBus.INIT && (low & 1 << 15) != 0 && (low & 1 << 14) == 0;
    }

    /** Whether the IPI in {@code low}/{@code high} reaches the APIC with this ID, LDR and DFR. */
    static boolean reachesSelf(int low, int high, int id, int ldr, int dfr) {
        int dest = high >>> 24;
        return switch (low >> 18 & 3) {
            case 0 -> (low & 1 << 11) != 0
                    ? matchesLogical(dest, ldr, dfr)
                    : dest == id || dest == 0xFF;
            case 1, 2 -> true;                      // self, all including self
            default -> false;                       // all excluding self
        };
    }

    private static boolean matchesLogical(int dest, int ldr, int dfr) {
        int mine = ldr >>> 24;
        if (dfr >>> 28 == 0xF) {
            return (dest & mine) != 0;              // flat model
        }
        int cluster = dest >>> 4;                   // cluster model
        return (cluster == 0xF || cluster == mine >>> 4) && (dest & mine & 0xF) != 0;
    }
}

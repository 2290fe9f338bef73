package dev.vmm.core.cpu;

import java.util.Map;

/** The x87 transcendental and remainder instructions: F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS, FSINCOS, FPREM, FPREM1, FSCALE, FXTRACT, FRNDINT. */
final class X87Transcendental {
    private X87Transcendental() {
    }

    static void register(Map<String, Handler> m) {
    }
}

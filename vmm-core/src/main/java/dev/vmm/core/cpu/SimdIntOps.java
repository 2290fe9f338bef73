package dev.vmm.core.cpu;

import java.util.Map;

/** The MMX and SSE/SSE2 integer and data-movement instructions. */
final class SimdIntOps {
    private SimdIntOps() {
    }

    static void register(Map<String, Handler> m) {
    }
}

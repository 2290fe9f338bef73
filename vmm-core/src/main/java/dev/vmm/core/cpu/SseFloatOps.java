package dev.vmm.core.cpu;

import java.util.Map;

/** The SSE and SSE2 floating-point instructions. */
final class SseFloatOps {
    private SseFloatOps() {
    }

    static void register(Map<String, Handler> m) {
    }
}

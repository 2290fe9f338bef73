package dev.vmm.core.cpu;

import java.util.Map;

/** The x87 loads, stores, arithmetic, comparisons, control and environment instructions (SDM vol. 1 ch. 8, vol. 2). */
final class X87Ops {
    private X87Ops() {
    }

    static void register(Map<String, Handler> m) {
    }
}

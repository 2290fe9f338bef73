package dev.vmm.core.cpu;

import java.util.Map;

/**
 * The x87 loads, stores, arithmetic, comparisons, control and environment instructions (SDM vol. 1 ch. 8, vol. 2),
 * registered from their classes: {@link X87Arith}, {@link X87Compare}, {@link X87LoadStore}, {@link X87Control};
 * {@link X87} holds what they share.
 */
final class X87Ops {
    private X87Ops() {
    }

    static void register(Map<String, Handler> m) {
        X87Arith.register(m);
        X87Compare.register(m);
        X87LoadStore.register(m);
        X87Control.register(m);
    }
}

package dev.vmm.core.cpu;

import java.util.HashMap;
import java.util.Map;

/**
 * The registry from the handler names of {@link OpcodeTable} to instruction semantics. Each
 * {@code *Ops} class registers the handlers of its instruction class. Built once; immutable.
 */
final class Semantics {
    private static final Map<String, Handler> HANDLERS = build();
    /** The keys of the x87, MMX and SSE instructions: they change only FPU/SIMD state, registers and memory. */
    private static final java.util.Set<String> FPU_SIMD = fpuSimd();

    private Semantics() {
    }

    private static Map<String, Handler> build() {
        Map<String, Handler> m = new HashMap<>();
        AluOps.register(m);
        ShiftOps.register(m);
        MulDivOps.register(m);
        BcdOps.register(m);
        BitOps.register(m);
        MoveOps.register(m);
        StackOps.register(m);
        BranchOps.register(m);
        StringOps.register(m);
        IoOps.register(m);
        FlagOps.register(m);
        SystemOps.register(m);
        SegmentOps.register(m);
        FpuStateOps.register(m);
        X87Ops.register(m);
        X87Transcendental.register(m);
        SseFloatOps.register(m);
        SimdIntOps.register(m);
        return Map.copyOf(m);
    }

    private static java.util.Set<String> fpuSimd() {
        Map<String, Handler> m = new HashMap<>();
        FpuStateOps.register(m);
        X87Ops.register(m);
        X87Transcendental.register(m);
        SseFloatOps.register(m);
        SimdIntOps.register(m);
        return java.util.Set.copyOf(m.keySet());
    }

    /** True if {@code key} names an x87, MMX or SSE instruction. */
    static boolean fpuSimd(String key) {
        return FPU_SIMD.contains(key);
    }

    /** The handler for {@code e}, or the CPU's #UD-raising "unimplemented" handler. */
    static Handler handler(Cpu cpu, OpcodeEntry e) {
        Handler h = HANDLERS.get(e.key());
        return h != null ? h : cpu.unimplemented();
    }

    /** Every registered handler. */
    static java.util.Collection<Handler> handlers() {
        return HANDLERS.values();
    }

    /** True if the table row has semantics. */
    static boolean implemented(OpcodeEntry e) {
        return HANDLERS.containsKey(e.key());
    }
}

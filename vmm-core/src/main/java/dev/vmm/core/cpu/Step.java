package dev.vmm.core.cpu;

import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A {@link Handler} as the block interpreter calls it: one subclass per handler, whose
 * {@link #exec} calls that handler as a constant, so HotSpot inlines the handler's code into it.
 *
 * <p>The interpreter's call of a decoded instruction's semantics is megamorphic: hundreds of
 * handlers pass through the one call site. Through the {@link Handler} interface that call takes
 * HotSpot's itable stub, which searches the receiver's interfaces on every call, and it was a
 * quarter of the block interpreter's time in a Linux boot. Through this abstract class it takes
 * the vtable stub (one load from the receiver's class), and the handler itself is inlined.
 *
 * <p>The subclasses of the static handlers of {@link Semantics} and {@link Specialized} are made
 * once, when this class is initialized ({@link #of}); any other handler (the CPU's own
 * "unimplemented" one) is called through {@link Generic}.
 */
abstract class Step {
    private static final ClassDesc CD_HANDLER = ClassDesc.of("dev.vmm.core.cpu.Handler");
    private static final ClassDesc CD_STEP = ClassDesc.of("dev.vmm.core.cpu.Step");
    private static final MethodTypeDesc MTD_EXEC = MethodTypeDesc.of(CD_void, Jit.CD_CPU, Jit.CD_INSN);
    private static final MethodTypeDesc MTD_INIT = MethodTypeDesc.of(CD_void);

    /** The subclass instance of each static handler; built once, immutable. */
    private static final Map<Handler, Step> STEPS = build();

    abstract void exec(Cpu cpu, Insn i);

    /** The step that calls {@code h}. */
    static Step of(Handler h) {
        Step s = STEPS.get(h);
        return s != null ? s : new Generic(h);
    }

    /** Calls a handler through its interface (for the handlers that are not static). */
    static final class Generic extends Step {
        private final Handler handler;

        Generic(Handler handler) {
            this.handler = handler;
        }

        @Override
        void exec(Cpu cpu, Insn i) {
            handler.exec(cpu, i);
        }
    }

    private static Map<Handler, Step> build() {
        Map<Handler, Step> m = new IdentityHashMap<>();
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (Handler h : Semantics.handlers()) {
            m.computeIfAbsent(h, x -> define(lookup, x));
        }
        for (Handler h : Specialized.handlers()) {
            m.computeIfAbsent(h, x -> define(lookup, x));
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** A subclass whose exec calls {@code h}, a constant of its class data. */
    private static Step define(MethodHandles.Lookup lookup, Handler h) {
        byte[] bytes = ClassFile.of().build(ClassDesc.of("dev.vmm.core.cpu.StepOf"), cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
            cb.withSuperclass(CD_STEP);
            cb.withMethodBody("<init>", MTD_INIT, ClassFile.ACC_PUBLIC, c -> {
                c.aload(0);
                c.invokespecial(CD_STEP, "<init>", MTD_INIT);
                c.return_();
            });
            cb.withMethodBody("exec", MTD_EXEC, 0, c -> {
                c.loadConstant(DynamicConstantDesc.ofNamed(ConstantDescs.BSM_CLASS_DATA,
                        ConstantDescs.DEFAULT_NAME, CD_HANDLER));
                c.aload(1);
                c.aload(2);
                c.invokeinterface(CD_HANDLER, "exec", MTD_EXEC);
                c.return_();
            });
        });
        try {
            MethodHandles.Lookup hidden = lookup.defineHiddenClassWithClassData(bytes, h, true);
            return (Step) hidden.findConstructor(hidden.lookupClass(),
                    java.lang.invoke.MethodType.methodType(void.class)).invoke();
        } catch (Throwable t) {
            throw new IllegalStateException("cannot define the step of a handler", t);
        }
    }
}

package dev.vmm.core.cpu;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicConstantDesc;
import java.lang.invoke.MethodHandles;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
 * <p>The subclass of each static handler of {@link Semantics} and {@link Specialized} is made when
 * an instruction with that handler is first decoded, and shared by every CPU of the JVM: it holds
 * nothing but the handler, which is stateless. Making all 425 up front took about 170 ms of every
 * VM start. Any other handler (the CPU's own "unimplemented" one) is called through
 * {@link Generic}.
 */
abstract class Step {
    private static final ClassDesc CD_STEP = ClassDesc.of("dev.vmm.core.cpu.Step");

    /** The handlers that get a step class of their own: the static ones (immutable). */
    private static final Set<Handler> STATIC = staticHandlers();
    /** The steps made so far, of handlers in {@link #STATIC} only (so at most one per static handler). */
    private static final ConcurrentHashMap<Handler, Step> MADE = new ConcurrentHashMap<>();
    private static final byte[] CLASS_FILE = classFile();

    abstract void exec(Cpu cpu, Insn i);

    /** The step that calls {@code h}. */
    static Step of(Handler h) {
        return STATIC.contains(h) ? MADE.computeIfAbsent(h, Step::define) : new Generic(h);
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

    private static Set<Handler> staticHandlers() {
        Set<Handler> all = Collections.newSetFromMap(new IdentityHashMap<>());
        all.addAll(Semantics.handlers());
        all.addAll(Specialized.handlers());
        return Collections.unmodifiableSet(all);
    }

    /** The class file of every step: its exec calls the handler that is its class data. */
    private static byte[] classFile() {
        return ClassFile.of().build(ClassDesc.of("dev.vmm.core.cpu.StepOf"), cb -> {
            Jit.finalSubclass(cb, CD_STEP);
            cb.withMethodBody("exec", Jit.MTD_EXEC, 0, c -> {
                c.loadConstant(DynamicConstantDesc.ofNamed(ConstantDescs.BSM_CLASS_DATA,
                        ConstantDescs.DEFAULT_NAME, Jit.CD_HANDLER));
                c.aload(1);
                c.aload(2);
                c.invokeinterface(Jit.CD_HANDLER, "exec", Jit.MTD_EXEC);
                c.return_();
            });
        });
    }

    /** A step class of its own for {@code h}, and its instance. */
    private static Step define(Handler h) {
        try {
            Class<?> c = MethodHandles.lookup().defineHiddenClassWithClassData(CLASS_FILE, h, true).lookupClass();
            return (Step) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot define the step of a handler", e);
        }
    }
}

package dev.vmm.core.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles hot {@link Block}s to JVM bytecode ({@code java.lang.classfile}), one hidden class per
 * block, so HotSpot compiles and inlines each instruction's semantics into one method.
 *
 * <p>Each instruction becomes either straight-line bytecode with its operands as constants
 * ({@link JitEmit}: registers and flags in locals, memory through {@link JitMem}), or, for the
 * other instructions, a call of its {@link Handler} with its {@link Insn}. Handlers and instructions are loaded as dynamic constants from the hidden class's
 * class data ({@link MethodHandles#classDataAt}), so each call site has one constant receiver and is
 * inlined too. Around every instruction the generated code does what {@link BlockRunner} does.
 *
 * <p>The hidden classes are not strongly bound to their loader: a block dropped from the
 * {@link CodeCache} (its page written, the cache flushed, the VM gone) takes its class with it when
 * the garbage collector unloads it. Nothing here is static and mutable.
 */
final class Jit {
    private static final Logger log = LoggerFactory.getLogger(Jit.class);

    /** Block entries before a block is compiled. */
    static final int THRESHOLD = 2000;

    static final ClassDesc CD_CPU = ClassDesc.of("dev.vmm.core.cpu.Cpu");
    static final ClassDesc CD_INSN = ClassDesc.of("dev.vmm.core.cpu.Insn");
    static final ClassDesc CD_HANDLER = ClassDesc.of("dev.vmm.core.cpu.Handler");
    static final ClassDesc CD_CODE = ClassDesc.of("dev.vmm.core.cpu.CodeCache");
    private static final ClassDesc CD_COMPILED = ClassDesc.of("dev.vmm.core.cpu.CompiledBlock");
    private static final ClassDesc CD_SELF = ClassDesc.of("dev.vmm.core.cpu.JitBlock");
    private static final ClassDesc CD_OPS = ClassDesc.of("dev.vmm.core.cpu.JitOps");
    private static final ClassDesc CD_INT_ARRAY = CD_int.arrayType();
    private static final MethodTypeDesc MTD_RUN = MethodTypeDesc.of(CD_void, CD_CPU, CD_int, CD_boolean, CD_long);
    private static final MethodTypeDesc MTD_EXEC = MethodTypeDesc.of(CD_void, CD_CPU, CD_INSN);
    private static final MethodTypeDesc MTD_INIT = MethodTypeDesc.of(CD_void);

    // Locals of the generated run method.
    static final int CPU = 1;
    private static final int GEN = 2;
    private static final int WATCH = 3;
    private static final int BUDGET = 4;
    static final int NEXT = 6;
    private static final int ENTRY = 8;
    private static final ClassDesc CD_MISS = ClassDesc.of("dev.vmm.core.cpu.JitMem$Miss");

    private final CodeCache code;
    private final Cpu cpu;
    private final MethodHandles.Lookup lookup = MethodHandles.lookup();
    private long compiled;
    private long failed;

    Jit(Cpu cpu, CodeCache code) {
        this.cpu = cpu;
        this.code = code;
    }

    /** How many blocks were compiled. */
    long compiledCount() {
        return compiled;
    }

    /** How many blocks could not be compiled (a bug: each is logged). */
    long failedCount() {
        return failed;
    }

    /** Bytecode bytes of a generated method at most: HotSpot never compiles a method above 8000 (HugeMethodLimit). */
    static final int MAX_CODE = 7900;

    /**
     * Compiles {@code b}; on any failure logs it and leaves the block to the interpreter for good. A
     * block whose code would be too big for HotSpot is compiled up to a shorter prefix (the code then
     * ends there, and the dispatcher goes on with the block at the next instruction).
     */
    CompiledBlock compile(Block b) {
        try {
            int count = b.insns.length;
            while (true) {
                List<Object> data = new ArrayList<>();
                data.add(code);
                byte[] bytes = build(b, count, data);
                if (count > 1 && codeLength(bytes) > MAX_CODE) {
                    count = (count + 1) / 2;
                    continue;
                }
                MethodHandles.Lookup hidden = lookup.defineHiddenClassWithClassData(bytes, List.copyOf(data), true);
                CompiledBlock cb = (CompiledBlock) hidden.findConstructor(hidden.lookupClass(),
                        java.lang.invoke.MethodType.methodType(void.class)).invoke();
                compiled++;
                return cb;
            }
        } catch (Throwable t) {
            if (failed++ == 0) {
                log.warn("JIT: a block could not be compiled; it stays interpreted", t);
            }
            return null;
        }
    }

    private byte[] build(Block b, int count, List<Object> data) {
        return ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                ClassHierarchyResolver.ofClassLoading(lookup))).build(CD_SELF, cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
            cb.withInterfaceSymbols(CD_COMPILED);
            cb.withMethodBody("<init>", MTD_INIT, ClassFile.ACC_PUBLIC, c -> {
                c.aload(0);
                c.invokespecial(CD_Object, "<init>", MTD_INIT);
                c.return_();
            });
            cb.withMethodBody("run", MTD_RUN, ClassFile.ACC_PUBLIC, c -> body(c, b, count, data));
        });
    }

    /** The length of the run method's bytecode in a generated class. */
    private static int codeLength(byte[] bytes) {
        for (MethodModel m : ClassFile.of().parse(bytes).methods()) {
            if (m.methodName().equalsString("run")) {
                return m.findAttribute(Attributes.code()).orElseThrow().codeLength();
            }
        }
        throw new IllegalStateException("no run method");
    }

    private void body(CodeBuilder c, Block b, int count, List<Object> data) {
        Label exit = c.newLabel();
        Label top = c.newLabel();
        Label onMiss = c.newLabel();
        Label bodyEnd = c.newLabel();
        Insn[] ins = b.insns;
        long mask = b.mode == 16 ? 0xFFFF : 0xFFFF_FFFFL;
        boolean loops = count == ins.length && loopsBack(ins[count - 1]);
        // Per instruction: offset, end offset, instructions retired before it and not yet counted,
        // the flags' place before it (JitEmit's family and width), for JitOps.miss.
        int[] info = new int[count * JitOps.INFO];
        JitEmit e = new JitEmit(c, ins, count, n -> constant(data, cpu.seg[n], JitEmit.CD_SEGMENT));
        c.aload(CPU);
        c.getfield(CD_CPU, "rip", CD_long);
        c.lstore(ENTRY);
        e.prologue();
        c.labelBinding(top);
        // Inline forms touch neither rip, startRip nor the count: these are brought up to date
        // before any other instruction, at the end, and on a miss (JitOps.miss, which finds the
        // instruction by the local IDX, set before each inline form that accesses memory).
        int pending = 0;
        int off = 0;
        for (int k = 0; k < count; k++) {
            Insn i = ins[k];
            boolean last = k == count - 1;
            int end = off + i.len;
            int at = k * JitOps.INFO;
            info[at] = off;
            info[at + 1] = end;
            info[at + 2] = pending;
            info[at + 3] = e.fam;
            info[at + 4] = e.fsize;
            if (JitEmit.supported(i)) {
                boolean memory = JitEmit.touchesMemory(i);
                if (memory) {
                    c.loadConstant(k);
                    c.istore(JitEmit.IDX);
                }
                e.emit(i);
                pending++;
                if (last) {
                    e.spill();
                    setRip(c, "rip", end, mask);
                    addCount(c, pending);
                }
            } else {
                boolean jcc = i.entry != null && i.entry.key().equals("JCC");
                if (!jcc) {
                    e.spill();
                }
                setRip(c, "startRip", off, mask);
                c.lload(ENTRY);
                c.loadConstant((long) end);
                c.ladd();
                c.loadConstant(mask);
                c.land();
                c.lstore(NEXT);
                c.aload(CPU);
                c.lload(NEXT);
                c.putfield(CD_CPU, "rip", CD_long);
                addCount(c, pending);
                pending = 0;
                if (jcc) {
                    e.jcc(i);
                } else {
                    e.storeRegs();
                    c.loadConstant(constant(data, i.handler, CD_HANDLER));
                    c.aload(CPU);
                    c.loadConstant(constant(data, i, CD_INSN));
                    c.invokeinterface(CD_HANDLER, "exec", MTD_EXEC);
                    e.loadRegs();
                }
                addCount(c, 1);
                if (!last) {
                    // Leave on a branch (or REP rewind), a code write, or an interrupt hint.
                    c.aload(CPU);
                    c.getfield(CD_CPU, "rip", CD_long);
                    c.lload(NEXT);
                    c.lcmp();
                    c.ifne(exit);
                    Label go = c.newLabel();
                    checks(c, data, exit, go);
                    c.labelBinding(go);
                }
            }
            off = end;
        }
        if (loops) {
            // Again from the top: budget -= n; while budget >= n, rip == entry, no stop request,
            // no code write, no interrupt hint.
            c.lload(BUDGET);
            c.loadConstant((long) count);
            c.lsub();
            c.dup2();
            c.lstore(BUDGET);
            c.loadConstant((long) count);
            c.lcmp();
            c.iflt(exit);
            c.aload(CPU);
            c.getfield(CD_CPU, "rip", CD_long);
            c.lload(ENTRY);
            c.lcmp();
            c.ifne(exit);
            c.aload(CPU);
            c.getfield(CD_CPU, "stopRequested", CD_boolean);
            c.ifne(exit);
            checks(c, data, exit, top);
        }
        c.labelBinding(exit);
        e.storeRegs();
        c.return_();
        c.labelBinding(bodyEnd);
        // An access that needs the full path: the instruction runs in the interpreter, then we leave.
        c.labelBinding(onMiss);
        c.pop();
        e.storeRegs();
        c.aload(CPU);
        c.iload(JitEmit.IDX);
        c.lload(ENTRY);
        c.loadConstant(mask);
        c.loadConstant(constant(data, info, CD_INT_ARRAY));
        c.loadConstant(constant(data, ins, CD_INSN.arrayType()));
        e.pushFlagLocals();
        c.invokestatic(CD_OPS, "miss", JitOps.MTD_MISS);
        c.return_();
        c.exceptionCatch(top, bodyEnd, onMiss, CD_MISS);
    }

    /** {@code c.<field> = (ENTRY + offset) & mask}. */
    private static void setRip(CodeBuilder c, String field, int offset, long mask) {
        c.aload(CPU);
        c.lload(ENTRY);
        c.loadConstant((long) offset);
        c.ladd();
        c.loadConstant(mask);
        c.land();
        c.putfield(CD_CPU, field, CD_long);
    }

    /** {@code c.icount += n} (nothing for 0). */
    private static void addCount(CodeBuilder c, int n) {
        if (n == 0) {
            return;
        }
        c.aload(CPU);
        c.dup();
        c.getfield(CD_CPU, "icount", CD_long);
        c.loadConstant((long) n);
        c.ladd();
        c.putfield(CD_CPU, "icount", CD_long);
    }

    /** Leaves through {@code exit} on a code write or (while watched) an interrupt hint, else goes to {@code go}. */
    private static void checks(CodeBuilder c, List<Object> data, Label exit, Label go) {
        c.loadConstant(constant(data, null, CD_CODE));
        c.getfield(CD_CODE, "generation", CD_int);
        c.iload(GEN);
        c.if_icmpne(exit);
        c.iload(WATCH);
        c.ifeq(go);
        c.aload(CPU);
        c.getfield(CD_CPU, "intrHint", CD_boolean);
        c.ifne(exit);
        c.goto_(go);
    }

    /** True for a near branch that may go back to the start of its block (the block then loops in place). */
    private static boolean loopsBack(Insn i) {
        return switch (i.entry.key()) {
            case "JCC", "LOOP", "JCXZ" -> true;
            case "JMP" -> i.k1 == Operand.J;
            default -> false;
        };
    }

    /** A dynamic constant of the class data: {@code value} added to it (null: the code cache, element 0). */
    private static DynamicConstantDesc<Object> constant(List<Object> data, Object value, ClassDesc type) {
        int index;
        if (value == null) {
            index = 0;
        } else {
            index = data.size();
            data.add(value);
        }
        return DynamicConstantDesc.ofNamed(ConstantDescs.BSM_CLASS_DATA_AT, ConstantDescs.DEFAULT_NAME, type, index);
    }
}

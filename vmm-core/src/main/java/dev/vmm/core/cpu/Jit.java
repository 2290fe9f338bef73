package dev.vmm.core.cpu;

import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassBuilder;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles hot {@link Block}s to JVM bytecode ({@code java.lang.classfile}), one hidden class per
 * region (the hot block and the blocks that followed it on its page, see {@link JitRegion#members}), so
 * HotSpot compiles and inlines each instruction's semantics into one method, and a loop over the
 * region's blocks runs without the dispatcher.
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

    /**
     * Block entries before a block is compiled. Compiling is dear: the class is built and verified
     * on the vCPU thread, HotSpot then runs it in its bytecode interpreter and in profiled C1 code
     * before C2 compiles it, and C1 and C2 take CPU time from the guest. Only code that runs very
     * often earns that back: a busybox shell loop touches about 1,400 blocks that each run a few
     * thousand times, and ran 8 times slower with the JIT at 2,000 entries than without it, while
     * the kernel's decompressor runs a few hundred blocks millions of times.
     */
    static final int THRESHOLD = 100_000;

    /**
     * Block entries after which a block is compiled already if it got there within
     * {@link #EARLY_WINDOW} instructions of its first entry: a loop that runs that often that fast
     * (the kernel's decompressor, checksums, big copies) is going to run long, and would otherwise
     * spend its first {@link #THRESHOLD} entries in the interpreter.
     */
    static final int EARLY = 10_000;
    static final long EARLY_WINDOW = 20_000_000;

    /**
     * Instructions a block runs in the interpreter (its entries times its length) after which it is
     * compiled, however few its entries: what a compile costs grows with the block's length, and so
     * does what it saves per entry. Long straight-line code entered in bursts spread over a boot
     * (the unrolled rounds of the kernel's SHA-256, which hashes each module it loads, are blocks of
     * 64 instructions) may stay below {@link #THRESHOLD} and never get {@link #EARLY} hot.
     */
    static final long HOT_INSTRUCTIONS = 500_000;

    static final ClassDesc CD_CPU = ClassDesc.of("dev.vmm.core.cpu.Cpu");
    static final ClassDesc CD_INSN = ClassDesc.of("dev.vmm.core.cpu.Insn");
    static final ClassDesc CD_HANDLER = ClassDesc.of("dev.vmm.core.cpu.Handler");
    static final ClassDesc CD_CODE = ClassDesc.of("dev.vmm.core.cpu.CodeCache");
    private static final ClassDesc CD_COMPILED = ClassDesc.of("dev.vmm.core.cpu.CompiledBlock");
    private static final ClassDesc CD_SELF = ClassDesc.of("dev.vmm.core.cpu.JitBlock");
    private static final ClassDesc CD_OPS = ClassDesc.of("dev.vmm.core.cpu.JitOps");
    private static final ClassDesc CD_MEM = ClassDesc.of("dev.vmm.core.cpu.JitMem");
    private static final ClassDesc CD_BLOCK = ClassDesc.of("dev.vmm.core.cpu.Block");
    private static final ClassDesc CD_INT_ARRAY = CD_int.arrayType();
    private static final MethodTypeDesc MTD_RUN = MethodTypeDesc.of(CD_int, CD_CPU, CD_int, CD_boolean, CD_long);
    static final MethodTypeDesc MTD_EXEC = MethodTypeDesc.of(CD_void, CD_CPU, CD_INSN);
    private static final MethodTypeDesc MTD_CODE_AT = MethodTypeDesc.of(CD_boolean, JitCode.CD_LONGS, JitCode.CD_LONGS,
            JitCode.CD_SEGMENT, CD_CPU, CD_long, CD_long, CD_BLOCK);
    private static final MethodTypeDesc MTD_TAIL_AT = MethodTypeDesc.of(CD_boolean, JitCode.CD_LONGS, JitCode.CD_LONGS,
            JitCode.CD_SEGMENT, CD_CPU, CD_long, CD_long);
    private static final MethodTypeDesc MTD_INIT = MethodTypeDesc.of(CD_void);
    private static final MethodTypeDesc MTD_REQUIRE_FLAT = MethodTypeDesc.of(CD_void, JitCode.CD_SEGMENT);
    private static final ClassDesc CD_MMU = ClassDesc.of("dev.vmm.core.cpu.Mmu");
    private static final ClassDesc CD_BYTES = ConstantDescs.CD_byte.arrayType();
    private static final MethodTypeDesc MTD_REQUIRE_PHYSICAL = MethodTypeDesc.of(CD_void, CD_MMU, CD_int);

    // Locals of the generated run method.
    static final int CPU = 1;
    private static final int GEN = 2;
    private static final int WATCH = 3;
    private static final int BUDGET = 4;
    static final int NEXT = 6;
    private static final int ENTRY = 8;
    /** The index of the region member running (the value {@code run} returns). */
    private static final int CUR = 10;

    private final CodeCache code;
    private final Cpu cpu;
    private final MethodHandles.Lookup lookup = MethodHandles.lookup();
    private long compiled;
    /** Classes built, and the bytecode bytes and guest instructions of their run methods ({@link #estimatedCode}). */
    private long builds;
    private long builtCode;
    private long builtInstructions;
    private long chained;
    private long failed;
    private long physical;
    /** Whether the class built last accesses memory physically ({@link JitCode#physicalUsed}). */
    private boolean builtPhysical;

    Jit(Cpu cpu, CodeCache code) {
        this.cpu = cpu;
        this.code = code;
    }

    /** How many blocks were compiled. */
    long compiledCount() {
        return compiled;
    }

    /** How many classes were built (a region too big is built again with fewer members). */
    long buildCount() {
        return builds;
    }

    /** How many blocks were compiled into the regions of others (beyond their heads). */
    long chainedCount() {
        return chained;
    }

    /** How many regions were compiled with physical memory accesses ({@link JitCode.Physical}). */
    long physicalCount() {
        return physical;
    }

    /** How many blocks could not be compiled (a bug: each is logged). */
    long failedCount() {
        return failed;
    }

    /** Bytecode bytes of a generated method at most: HotSpot never compiles a method above 8000 (HugeMethodLimit). */
    static final int MAX_CODE = 7900;

    /**
     * Bytecode bytes of a region's method at most (a single block may use {@link #MAX_CODE}): HotSpot's
     * C2 takes much longer for bigger methods, and a boot runs much of its code only a few thousand
     * times: with 32 blocks and 7,900 bytes, the first 2 G instructions of a Linux boot (its
     * decompressor) took about 1.5 times the CPU time, HotSpot compiling and recompiling the big
     * methods while the guest ran them in its slower tiers.
     */
    static final int MAX_REGION_CODE = 3000;

    /** Bytecode bytes per guest instruction assumed before the first class is built (about what a boot's regions take). */
    static final long FIRST_CODE_PER_INSTRUCTION = 80;

    /**
     * Compiles {@code b} with the blocks that followed it ({@link JitRegion#members}); on any
     * failure logs it and leaves the block to the interpreter for good. A region whose code would be
     * too big for HotSpot loses its later members; a single block that is still too big is compiled
     * up to a shorter prefix (the code then ends there, and the dispatcher goes on with the block at
     * the next instruction). See {@link #fit}.
     */
    CompiledBlock compile(Block b) {
        try {
            Built c = fit(JitRegion.members(b, cpu.rip, cpu), b.insns.length);
            MethodHandles.Lookup hidden = lookup.defineHiddenClassWithClassData(c.bytes(), List.copyOf(c.data()), true);
            CompiledBlock cb = (CompiledBlock) hidden.findConstructor(hidden.lookupClass(),
                    java.lang.invoke.MethodType.methodType(void.class)).invoke();
            Block[] members = c.members();
            cb.members = members;
            cb.deltas = c.deltas();
            cb.pages = JitRegion.otherPages(members);
            for (int m = 1; m < members.length; m++) {
                if (c.entered()[m]) {
                    members[m].compiled = cb;
                    members[m].member = m;
                }
            }
            compiled++;
            chained += members.length - 1;
            if (c.physical()) {
                physical++;
            }
            return cb;
        } catch (Throwable t) {
            if (failed++ == 0) {
                log.warn("JIT: a block could not be compiled; it stays interpreted", t);
            }
            return null;
        }
    }

    /**
     * A region's class as built: its members, their deltas, which of them the dispatcher enters,
     * the class data, the class file and its run method's bytecode length, and whether it accesses
     * memory physically ({@link JitCode#physicalUsed}).
     */
    private record Built(Block[] members, int[] deltas, boolean[] entered, List<Object> data, byte[] bytes,
            int length, boolean physical) {
    }

    /**
     * The class of the region of the most of {@code candidates}, their number halved until it fits,
     * whose run method stays within {@link #MAX_REGION_CODE} ({@link #MAX_CODE} for one block, which is
     * compiled up to a shorter prefix of its {@code count} instructions if it is still too big).
     *
     * <p>A build's cost grows with the bytecode it writes. Built whole and halved after each build
     * that was too big, a region was built 2.4 times on average (a boot built 5.8 times the bytecode
     * it kept). So the number is first halved while the region's {@link #estimatedCode} is too big; a
     * region so cut is built, and if its own bytes per instruction say that the next size up fits
     * too, that one is built and taken if it does. A boot's regions came out as halving made them
     * (the same 340, 0.1 % more region runs), from 457 builds instead of 812.
     */
    private Built fit(List<JitRegion.Member> candidates, int count) {
        List<Integer> sizes = new ArrayList<>();
        for (int n = candidates.size(); n >= 1; n /= 2) {
            sizes.add(n);
        }
        int i = 0;
        while (i < sizes.size() - 1 && estimatedCode(candidates.subList(0, sizes.get(i)), count) > MAX_REGION_CODE) {
            i++;
        }
        Built fits = null;
        int tooBig = -1;
        while (true) {
            List<JitRegion.Member> region = candidates.subList(0, sizes.get(i));
            Built c = build(region, count);
            boolean single = region.size() == 1;
            if (c.length() <= (single ? MAX_CODE : MAX_REGION_CODE)) {
                fits = c;
                if (i - 1 > tooBig && instructions(candidates.subList(0, sizes.get(i - 1)), count) * c.length()
                        <= (long) MAX_REGION_CODE * instructions(region, count)) {
                    i--;
                    continue;
                }
                return fits;
            }
            if (fits != null) {
                return fits;
            }
            tooBig = i;
            if (!single) {
                i++;
            } else if (count > 1) {
                count = (count + 1) / 2;
            } else {
                return c;
            }
        }
    }

    /** Builds the class of {@code region}, its head's first {@code count} instructions. */
    private Built build(List<JitRegion.Member> region, int count) {
        List<Object> data = new ArrayList<>();
        data.add(code);
        Block[] members = new Block[region.size()];
        int[] deltas = new int[members.length];
        for (int m = 0; m < members.length; m++) {
            members[m] = region.get(m).block();
            deltas[m] = region.get(m).delta();
        }
        boolean[] entered = JitRegion.entries(members);
        byte[] bytes = classFileOrNull(members, deltas, count, entered, data);
        int length = bytes == null ? Integer.MAX_VALUE : codeLength(bytes);
        builds++;
        if (bytes != null) {
            builtCode += length;
            builtInstructions += instructions(region, count);
        }
        return new Built(members, deltas, entered, data, bytes, length, builtPhysical);
    }

    /**
     * The bytecode bytes of a region of these members, its head's first {@code headCount}
     * instructions: its instructions times the bytes per instruction of the methods built so far
     * ({@link #FIRST_CODE_PER_INSTRUCTION} before the first), a quarter less, so that a region that
     * may fit is built and measured ({@link #fit}).
     */
    private long estimatedCode(List<JitRegion.Member> region, int headCount) {
        long instructions = instructions(region, headCount);
        long code = builtInstructions == 0 ? instructions * FIRST_CODE_PER_INSTRUCTION
                : instructions * builtCode / builtInstructions;
        return code * 3 / 4;
    }

    /** The instructions of a region: the first {@code headCount} of its head's and all of the other members'. */
    private static long instructions(List<JitRegion.Member> region, int headCount) {
        long n = headCount;
        for (int m = 1; m < region.size(); m++) {
            n += region.get(m).block().insns.length;
        }
        return n;
    }

    /** The class file of a region, or null if its method would exceed the class file's 64 KiB of code. */
    private byte[] classFileOrNull(Block[] members, int[] deltas, int count, boolean[] entered, List<Object> data) {
        try {
            return classFile(members, deltas, count, entered, data);
        } catch (IllegalArgumentException tooLong) {
            return null;
        }
    }

    private byte[] classFile(Block[] members, int[] deltas, int count, boolean[] entered, List<Object> data) {
        return ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                ClassHierarchyResolver.ofClassLoading(lookup))).build(CD_SELF, cb -> {
            finalSubclass(cb, CD_COMPILED);
            cb.withMethodBody("run", MTD_RUN, ClassFile.ACC_PUBLIC, c -> body(c, members, deltas, count, entered, data));
        });
    }

    /** Makes the class being built a final synthetic subclass of {@code superclass}, with a public no-argument constructor. */
    static void finalSubclass(ClassBuilder cb, ClassDesc superclass) {
        cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
        cb.withSuperclass(superclass);
        cb.withMethodBody("<init>", MTD_INIT, ClassFile.ACC_PUBLIC, c -> {
            c.aload(0);
            c.invokespecial(superclass, "<init>", MTD_INIT);
            c.return_();
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

    /**
     * The run method of a region: its members one after the other, each ending in a jump to the
     * member rip names ({@link #transfer}) or to the exit. The head runs {@code headCount} of its
     * instructions (fewer than all only in a region of one). Offsets are relative to the head's
     * first byte, whose rip the method finds at entry (local ENTRY): member {@code m} starts at
     * {@code deltas[m]}.
     */
    private void body(CodeBuilder c, Block[] members, int[] deltas, int headCount, boolean[] entered,
            List<Object> data) {
        Block head = members[0];
        Label exit = c.newLabel();
        Label top = c.newLabel();
        Label onMiss = c.newLabel();
        Label bodyEnd = c.newLabel();
        long mask = head.mode == 16 ? 0xFFFF : 0xFFFF_FFFFL;
        int total = headCount;
        for (int m = 1; m < members.length; m++) {
            total += members[m].insns.length;
        }
        Insn[] all = new Insn[total];
        int at = 0;
        for (int m = 0; m < members.length; m++) {
            int n = m == 0 ? headCount : members[m].insns.length;
            System.arraycopy(members[m].insns, 0, all, at, n);
            at += n;
        }
        // Per instruction: offset, end offset, instructions retired before it and not yet counted,
        // the flags' place before it (JitEmit's family and width), its member, for JitOps.miss.
        int[] info = new int[total * JitOps.INFO];
        JitEmit e = new JitEmit(c, all, total, memory(data));
        // the members on other pages than the head's, as constants for JitMem.codeAt (else null)
        ConstantDesc[] remote = new ConstantDesc[members.length];
        for (int m = 1; m < members.length; m++) {
            if (members[m].pa >>> 12 != head.pa >>> 12) {
                remote[m] = constant(data, members[m], CD_BLOCK);
            }
        }
        Label[] starts = new Label[members.length];
        for (int m = 0; m < members.length; m++) {
            starts[m] = c.newLabel();
        }
        c.aload(CPU);
        c.getfield(CD_CPU, "rip", CD_long);
        c.lstore(ENTRY);
        c.iconst_0();
        c.istore(CUR);
        e.prologue();
        c.labelBinding(top);
        Label guard = c.newLabel();
        c.goto_(guard);
        int first = 0;
        for (int m = 0; m < members.length; m++) {
            Block b = members[m];
            int count = m == 0 ? headCount : b.insns.length;
            c.labelBinding(starts[m]);
            if (members.length > 1) {
                c.loadConstant(m);
                c.istore(CUR);
            }
            e.fam = JitCode.MEM;     // every way in comes with the flags spilled
            member(c, e, b, count, deltas[m], m, first, mask, info, data, exit);
            first += count;
            if (count == b.insns.length && b.chains) {
                transfer(c, e, members, deltas, remote, starts, m, data, exit);
            } else {
                c.goto_(exit);
            }
        }
        c.labelBinding(exit);
        e.storeRegs();
        c.iload(CUR);
        c.ireturn();
        // At entry: the member entered (the head, or one of those entered at, which the page
        // offset of rip tells), then the segments the accesses were compiled flat for must still be
        // flat, else its first instruction runs in the interpreter (a miss there) and we leave.
        c.labelBinding(guard);
        c.iconst_0();
        c.istore(JitEmit.IDX);
        boolean multi = enterAt(c, e, members, deltas, headCount, entered, mask);
        for (int n = 0; n < e.flatUsed.length; n++) {
            if (e.flatUsed[n]) {
                c.loadConstant(e.memory.segments()[n]);
                c.invokestatic(CD_MEM, "requireFlat", MTD_REQUIRE_FLAT);
            }
        }
        builtPhysical = e.physicalUsed;
        if (e.physicalUsed) {
            JitCode.Physical p = e.memory.physical();
            c.loadConstant(p.mmu());
            c.loadConstant(p.layout());
            c.invokestatic(CD_MEM, "requirePhysical", MTD_REQUIRE_PHYSICAL);
        }
        if (multi) {
            c.iload(CUR);
            List<java.lang.classfile.instruction.SwitchCase> cases = new ArrayList<>();
            for (int m = 0; m < members.length; m++) {
                cases.add(java.lang.classfile.instruction.SwitchCase.of(m, starts[m]));
            }
            c.tableswitch(0, members.length - 1, starts[0], cases);
        } else {
            c.goto_(starts[0]);
        }
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
        c.loadConstant(constant(data, all, CD_INSN.arrayType()));
        e.pushFlagLocals();
        c.invokestatic(CD_OPS, "miss", JitOps.MTD_MISS);
        c.ireturn();
        c.exceptionCatch(top, bodyEnd, onMiss, JitCode.CD_MISS);
    }

    /**
     * At a region's entry, if the dispatcher may enter it at members other than the head
     * ({@code entered}): finds the member from rip's offset in its page (members on the head's page
     * are at distinct offsets, the head's included), and sets CUR to it, IDX to its first
     * instruction and ENTRY to the head's rip as seen from it. Returns false (and emits nothing) if
     * only the head is entered.
     */
    private static boolean enterAt(CodeBuilder c, JitEmit e, Block[] members, int[] deltas, int headCount,
            boolean[] entered, long mask) {
        List<java.lang.classfile.instruction.SwitchCase> cases = new ArrayList<>();
        List<Runnable> bodies = new ArrayList<>();
        Label chosen = c.newLabel();
        int first = headCount;
        for (int m = 1; m < members.length; m++) {
            if (entered[m]) {
                int member = m;
                int index = first;
                Label l = c.newLabel();
                cases.add(java.lang.classfile.instruction.SwitchCase.of((int) (members[m].pa & 0xFFF), l));
                bodies.add(() -> {
                    c.labelBinding(l);
                    c.loadConstant(member);
                    c.istore(CUR);
                    c.loadConstant(index);
                    c.istore(JitEmit.IDX);
                    c.lload(ENTRY);
                    c.loadConstant((long) deltas[member]);
                    c.lsub();
                    c.loadConstant(mask);
                    c.land();
                    c.lstore(ENTRY);
                    c.goto_(chosen);
                });
            }
            first += members[m].insns.length;
        }
        if (cases.isEmpty()) {
            return false;
        }
        c.loadConstant(e.memory.segments()[Cpu.CS]);
        c.getfield(JitEmit.CD_SEGMENT, "base", CD_long);
        c.lload(ENTRY);
        c.ladd();
        c.l2i();
        c.loadConstant(0xFFF);
        c.iand();
        c.lookupswitch(chosen, cases);
        bodies.forEach(Runnable::run);
        c.labelBinding(chosen);
        return true;
    }

    /**
     * The code of the first {@code count} instructions of member {@code m} (block {@code b}, at
     * {@code rel} bytes from the head), whose first instruction is instruction {@code first} of the
     * region. It leaves rip, the count and the flags up to date at its end, or exits early (a branch
     * or a code write in its middle).
     */
    private void member(CodeBuilder c, JitEmit e, Block b, int count, int rel, int m, int first, long mask,
            int[] info, List<Object> data, Label exit) {
        // Inline forms touch neither rip, startRip nor the count: these are brought up to date
        // before any other instruction, at the end, and on a miss (JitOps.miss, which finds the
        // instruction by the local IDX, set before each inline form that accesses memory).
        Insn[] ins = b.insns;
        int pending = 0;
        int off = rel;
        for (int k = 0; k < count; k++) {
            Insn i = ins[k];
            boolean last = k == count - 1;
            int end = off + i.len;
            int at = (first + k) * JitOps.INFO;
            info[at] = off;
            info[at + 1] = end;
            info[at + 2] = pending;
            info[at + 3] = e.fam;
            info[at + 4] = e.fsize;
            info[at + 5] = m;
            if (JitEmit.supported(i)) {
                boolean branch = JitEmit.branchForm(i);
                if (JitEmit.touchesMemory(i) || branch) {
                    c.loadConstant(first + k);
                    c.istore(JitEmit.IDX);
                }
                if (branch) {
                    nextRip(c, end, mask);
                }
                e.emit(i);
                pending++;
                if (last) {
                    e.spill();
                    if (branch) {
                        c.aload(CPU);
                        c.lload(JitEmit.TA);
                        c.putfield(CD_CPU, "rip", CD_long);
                    } else {
                        setRip(c, "rip", end, mask);
                    }
                    addCount(c, pending);
                }
            } else {
                boolean jcc = i.entry != null && i.entry.key().equals("JCC");
                if (!jcc) {
                    e.spill();
                }
                setRip(c, "startRip", off, mask);
                nextRip(c, end, mask);
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
    }

    /** Sets the local NEXT to the rip of the region's offset {@code end} (the next instruction's). */
    private static void nextRip(CodeBuilder c, int end, long mask) {
        c.lload(ENTRY);
        c.loadConstant((long) end);
        c.ladd();
        c.loadConstant(mask);
        c.land();
        c.lstore(NEXT);
    }

    /**
     * After member {@code from}, which may chain: goes on with the member at rip if it is one of
     * {@code from}'s {@link JitRegion#successors} and fits in what is left of the budget, and nothing else
     * has to be looked at first (no stop request, no code write, no interrupt hint); otherwise
     * leaves. A member on another page than the head's ({@code remote[m]} not null) must also be
     * the code at rip now ({@link JitMem#codeAt}), and a crossing member's next page must still be
     * its tail's ({@link JitMem#tailAt}). A block that jumps back to its own start thus loops in
     * place.
     *
     * <p>Each member has a switch of its own over its successors only. A switch over all members
     * made a region's code grow with the square of its members, and left room for 2-4 members under
     * {@link #MAX_REGION_CODE}; before these switches and the entries at members ({@link #enterAt}),
     * a boot to 6.7 G instructions took 12 % longer and 50 % more compile time.
     */
    private void transfer(CodeBuilder c, JitEmit e, Block[] members, int[] deltas, ConstantDesc[] remote,
            Label[] starts, int from, List<Object> data, Label exit) {
        java.util.TreeMap<Integer, Integer> byDelta = new java.util.TreeMap<>();
        Set<Block> next = JitRegion.successors(members[from]);
        for (int m = 0; m < members.length; m++) {
            if (next.contains(members[m])) {
                byDelta.put(deltas[m], m);
            }
        }
        if (byDelta.isEmpty()) {
            c.goto_(exit);
            return;
        }
        int length = members[from].insns.length;
        c.lload(BUDGET);
        c.loadConstant((long) length);
        c.lsub();
        c.lstore(BUDGET);
        c.aload(CPU);
        c.getfield(CD_CPU, "stopRequested", CD_boolean);
        c.ifne(exit);
        Label go = c.newLabel();
        checks(c, data, exit, go);
        c.labelBinding(go);
        // NEXT = rip - ENTRY: a member's delta (modulo 2^32) when rip names one.
        c.aload(CPU);
        c.getfield(CD_CPU, "rip", CD_long);
        c.lload(ENTRY);
        c.lsub();
        c.lstore(NEXT);
        List<java.lang.classfile.instruction.SwitchCase> cases = new ArrayList<>();
        List<Runnable> bodies = new ArrayList<>();
        for (var en : byDelta.entrySet()) {
            Block t = members[en.getValue()];
            ConstantDesc block = remote[en.getValue()];
            Label l = c.newLabel();
            cases.add(java.lang.classfile.instruction.SwitchCase.of(en.getKey(), l));
            Label target = starts[en.getValue()];
            bodies.add(() -> {
                c.labelBinding(l);
                c.lload(BUDGET);
                c.loadConstant((long) t.insns.length);
                c.lcmp();
                c.iflt(exit);
                // the CS limit, as the dispatcher checks it for a block it enters
                c.aload(CPU);
                c.getfield(CD_CPU, "rip", CD_long);
                c.loadConstant(t.bytes - 1L);
                c.ladd();
                c.loadConstant(e.memory.segments()[Cpu.CS]);
                c.getfield(JitEmit.CD_SEGMENT, "limit", CD_long);
                c.lcmp();
                c.ifgt(exit);
                if (block != null) {
                    loadCodeTlb(c, e);
                    c.loadConstant(t.pa);
                    c.loadConstant(block);
                    c.invokestatic(CD_MEM, "codeAt", MTD_CODE_AT);
                    c.ifeq(exit);
                }
                if (t.tail >= 0) {
                    loadCodeTlb(c, e);
                    c.loadConstant(t.tail);
                    c.invokestatic(CD_MEM, "tailAt", MTD_TAIL_AT);
                    c.ifeq(exit);
                }
                c.goto_(target);
            });
        }
        c.lload(NEXT);
        c.l2i();
        c.lookupswitch(exit, cases);
        bodies.forEach(Runnable::run);
    }

    /** Pushes the first arguments of {@link JitMem#codeAt} and {@link JitMem#tailAt}: the JIT's read TLB, CS, the CPU and the privilege tag. */
    private static void loadCodeTlb(CodeBuilder c, JitEmit e) {
        c.loadConstant(e.memory.readTag());
        c.loadConstant(e.memory.readPa());
        c.loadConstant(e.memory.segments()[Cpu.CS]);
        c.aload(CPU);
        c.lload(JitEmit.UTAG);
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

    /** The constants of the memory accesses ({@link JitCode.Memory}), entered into the class data {@code data}. */
    private JitCode.Memory memory(List<Object> data) {
        ConstantDesc[] segments = new ConstantDesc[cpu.seg.length];
        boolean[] flat = new boolean[cpu.seg.length];
        for (int n = 0; n < segments.length; n++) {
            segments[n] = constant(data, cpu.seg[n], JitEmit.CD_SEGMENT);
            flat[n] = cpu.seg[n].flat;
        }
        Mmu m = cpu.mmu;
        long span = m.physical() ? m.jitWindow() : 0;
        JitCode.Physical physical = span == 0 ? null : new JitCode.Physical(constant(data, m, CD_MMU),
                constant(data, m.mem().pageKinds(), CD_BYTES), span, m.jitLayout);
        return new JitCode.Memory(segments, flat, constant(data, m.jitRTag, JitCode.CD_LONGS), constant(data, m.jitRPa, JitCode.CD_LONGS),
                constant(data, m.jitWTag, JitCode.CD_LONGS), constant(data, m.jitWPa, JitCode.CD_LONGS),
                constant(data, m.ram, JitCode.CD_RAM), physical);
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

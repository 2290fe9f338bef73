package dev.vmm.core.cpu.oracle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Objects;

/**
 * Runs short x86 instruction sequences natively on the host CPU, as an oracle for differential
 * tests of the emulator. Linux x86-64 only ({@link #isSupported()}); needs
 * {@code --enable-native-access=ALL-UNNAMED}.
 *
 * <p>The executor maps two regions below 2 GiB (see {@link #map}), so their addresses are valid
 * 32-bit linear addresses the emulator can reproduce: a code region ({@link #CODE_SIZE} bytes,
 * read-write-execute) and a data region ({@link #DATA_SIZE} bytes, read-write) at
 * {@link #dataAddress()}. {@link #run} copies <i>prologue + test bytes + epilogue</i> into the
 * code region (the test bytes start at {@link #testCodeAddress()}) and calls it. The prologue
 * saves the callee-saved registers and the x87/SSE state (FXSAVE), loads EFLAGS (only
 * {@link #FLAGS_SETTABLE}) and EAX EBX ECX EDX ESI EDI EBP, zero-extended, from a state block
 * whose pointer it keeps in R15. The epilogue stores the seven registers and EFLAGS back, restores
 * everything, clears DF and returns. Memory in the data region keeps what the caller put there
 * through {@link #data()}; {@link NativeResult#data()} is a copy taken after the run.
 *
 * <p>The test bytes run in 64-bit mode but are meant to be 32-bit protected-mode code, so the
 * caller (the generator) must only emit encodings that mean the same in both modes:
 * <ul>
 *   <li>No byte 0x40-0x4F as an opcode or prefix (INC/DEC r32 are REX prefixes in 64-bit mode;
 *       use FF /0, FF /1). Hence R8-R15 are out of reach and R15 is safe as the state pointer.
 *   <li>ESP is never read or written: no PUSH/POP/PUSHF/POPF/PUSHA/CALL/RET/ENTER/LEAVE, no ESP as
 *       ModRM operand or SIB base. The code runs on the caller's native stack, which the
 *       epilogue needs intact. (Pushes would be 8 bytes wide in 64-bit mode anyway.)
 *   <li>No instructions invalid or different in 64-bit mode: DAA DAS AAA AAS AAM AAD (27 2F 37 3F
 *       D4 D5), SALC (D6), PUSH/POP segment (06 07 0E 16 17 1E 1F), PUSHA/POPA (60 61), BOUND (62),
 *       ARPL (63, MOVSXD in 64-bit), opcode 82, LES/LDS (C4 C5, VEX in 64-bit), INTO (CE), far
 *       CALL/JMP/RET (9A EA FF /3 FF /5 CA CB), IRET, segment register moves.
 *   <li>No address-size prefix 0x67, no segment-override prefixes (26 2E 36 3E 64 65), no
 *       privileged or I/O instructions (HLT CLI STI IN OUT INT, CR/DR moves, ...).
 *   <li>Memory operands use a base (and/or index) register that holds {@code dataAddress() + offset}.
 *       In 64-bit mode the full 64-bit register is used, which equals the 32-bit value because
 *       the prologue zero-extends and every 32-bit write zero-extends. The effective address must
 *       stay inside the data region with no 32-bit wrap-around (negative displacements are fine
 *       while base + disp stays inside). ModRM mod=00 r/m=101 ({@code [disp32]}) is RIP-relative
 *       in 64-bit mode: do not use it; write an absolute address as SIB form {@code 04 25 disp32}
 *       or through a register.
 *   <li>Branches are near and relative with targets inside the test bytes or exactly at their end
 *       (which lands on the epilogue); no 0x66 prefix on branches. LOOP/JECXZ use RCX and string
 *       instructions use RSI/RDI/RCX: equivalent as long as ECX does not wrap below zero and
 *       ESI/EDI stay inside the data region (REP with ECX = 0 is fine).
 *   <li>0x66 16-bit operand forms are fine, and 8-bit forms, including AH CH DH BH, are fine (there
 *       is no REX prefix, so ModRM 4-7 mean AH CH DH BH as in 32-bit mode).
 *   <li>The code must not fault or trap: a #DE (DIV/IDIV by zero or quotient overflow), #UD, #GP,
 *       page fault or INT3 raises a signal inside the JVM and kills it. The executor cannot check
 *       operands, so generating only non-faulting DIV/IDIV cases is the generator's job. It must
 *       also terminate (no endless loops) and must not change the x87 control word or MXCSR in a
 *       way it relies on afterwards (FXRSTOR restores both, but only after the test code).
 * </ul>
 * Only the seven registers, EFLAGS and the data region are defined inputs; XMM and x87 registers
 * hold whatever the JVM left there. Flags the SDM calls undefined may differ between CPUs.
 *
 * <p>Not thread-safe: use an executor from the thread that created it, and close it when done.
 */
public final class NativeExecutor implements AutoCloseable {

    /** Size of the data region in bytes. */
    public static final int DATA_SIZE = 64 * 1024;
    /** Size of the code region in bytes. */
    public static final int CODE_SIZE = 64 * 1024;
    /** EFLAGS bits taken from the input image: CF PF AF ZF SF DF OF. */
    public static final int FLAGS_SETTABLE = 0x0CD5;
    /** The six arithmetic status flags CF PF AF ZF SF OF. */
    public static final int FLAGS_STATUS = 0x08D5;
    /** The direction flag. */
    public static final int FLAG_DF = 0x0400;

    // State block: 7 registers + EFLAGS as 32-bit slots, then a 16-byte aligned FXSAVE area.
    private static final int OFF_EFLAGS = 28;
    private static final int OFF_FXSAVE = 64;
    private static final int STATE_SIZE = OFF_FXSAVE + 512;
    /** {x86 register number, state block offset}, in {@link RegisterImage} order. */
    private static final int[][] SLOTS = {{0, 0}, {3, 4}, {1, 8}, {2, 12}, {6, 16}, {7, 20}, {5, 24}};

    private static final byte[] PROLOGUE = prologue();
    private static final byte[] EPILOGUE = epilogue();
    /** Largest accepted test code length. */
    public static final int MAX_TEST_CODE = CODE_SIZE - PROLOGUE.length - EPILOGUE.length;

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int PROT_EXEC = 4;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_32BIT = 0x40;
    /** Linux 4.17+: place at the hint or fail, never replacing a mapping. */
    private static final int MAP_FIXED_NOREPLACE = 0x100000;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment state;
    private final MemorySegment errno;
    private long codeAddress;
    private long dataAddress;
    private final MemorySegment code;
    private final MemorySegment data;
    private final MethodHandle entry;
    private boolean closed;

    /**
     * Maps the code and data regions.
     *
     * @throws UnsupportedOperationException if the host is not Linux x86-64
     * @throws IllegalStateException if mapping fails
     */
    @SuppressWarnings("restricted")
    public NativeExecutor() {
        if (!isSupported()) {
            throw new UnsupportedOperationException("native x86 execution needs Linux x86-64, not " + hostDescription());
        }
        state = arena.allocate(STATE_SIZE, 64);
        errno = arena.allocate(Linker.Option.captureStateLayout());
        try {
            codeAddress = map(CODE_SIZE, "code");
            protect(codeAddress, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
            dataAddress = map(DATA_SIZE, "data");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        code = MemorySegment.ofAddress(codeAddress).reinterpret(CODE_SIZE, arena, null);
        data = MemorySegment.ofAddress(dataAddress).reinterpret(DATA_SIZE, arena, null);
        entry = Linker.nativeLinker().downcallHandle(code, FunctionDescriptor.ofVoid(ADDRESS));
    }

    /**
     * Tells whether this host can run the executor (Linux on x86-64).
     *
     * @return true on Linux x86-64
     */
    public static boolean isSupported() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /**
     * Describes the host, for skip messages.
     *
     * @return os.name/os.arch
     */
    public static String hostDescription() {
        return System.getProperty("os.name") + "/" + System.getProperty("os.arch");
    }

    /**
     * Returns the linear address of the data region (below 2 GiB, page aligned).
     *
     * @return the address
     */
    public long dataAddress() {
        return dataAddress;
    }

    /**
     * Returns the data region; the caller fills it before a run. It keeps its contents across
     * runs.
     *
     * @return the live {@link #DATA_SIZE}-byte segment
     */
    public MemorySegment data() {
        return data;
    }

    /**
     * Returns the linear address where the test bytes start (below 2 GiB), i.e. the EIP of their
     * first instruction.
     *
     * @return the address
     */
    public long testCodeAddress() {
        return codeAddress + PROLOGUE.length;
    }

    /**
     * Runs {@code testCode} natively with the given registers; see the class comment for what the
     * code may contain.
     *
     * @param in the input registers (only {@link #FLAGS_SETTABLE} of EFLAGS are used)
     * @param testCode the instruction bytes, at most {@link #MAX_TEST_CODE}
     * @return the registers after the code and a copy of the data region
     * @throws IllegalArgumentException if the code is too long
     * @throws IllegalStateException if the executor is closed
     */
    public NativeResult run(RegisterImage in, byte[] testCode) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(testCode, "testCode");
        if (closed) {
            throw new IllegalStateException("executor closed");
        }
        if (testCode.length > MAX_TEST_CODE) {
            throw new IllegalArgumentException("test code too long: " + testCode.length + " > " + MAX_TEST_CODE);
        }
        MemorySegment.copy(PROLOGUE, 0, code, JAVA_BYTE, 0, PROLOGUE.length);
        MemorySegment.copy(testCode, 0, code, JAVA_BYTE, PROLOGUE.length, testCode.length);
        MemorySegment.copy(EPILOGUE, 0, code, JAVA_BYTE, (long) PROLOGUE.length + testCode.length, EPILOGUE.length);
        for (int[] slot : SLOTS) {
            state.set(JAVA_INT, slot[1], in.reg(slot[0]));
        }
        state.set(JAVA_INT, OFF_EFLAGS, in.eflags());
        try {
            entry.invokeExact(state);
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
        int[] r = new int[8];
        for (int[] slot : SLOTS) {
            r[slot[0]] = state.get(JAVA_INT, slot[1]);
        }
        RegisterImage out = new RegisterImage(r[0], r[3], r[1], r[2], r[6], r[7], r[5], state.get(JAVA_INT, OFF_EFLAGS));
        return new NativeResult(out, data.toArray(JAVA_BYTE));
    }

    /** Unmaps both regions and frees the state block. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (codeAddress != 0) {
                Libc.call(Libc.MUNMAP, errno, codeAddress, CODE_SIZE, "munmap code");
            }
            if (dataAddress != 0) {
                Libc.call(Libc.MUNMAP, errno, dataAddress, DATA_SIZE, "munmap data");
            }
        } finally {
            arena.close();
        }
    }

    /**
     * Maps {@code size} bytes below 2 GiB. MAP_32BIT alone is not enough: on x86-64 Linux it
     * searches only 1-2 GiB, which the JVM fills with its CDS archive and class space, so it fails
     * with ENOMEM depending on the JVM's layout. Fixed hints below 1 GiB (MAP_FIXED_NOREPLACE,
     * which never replaces an existing mapping) are tried first, MAP_32BIT last.
     */
    private long map(int size, String what) {
        for (long hint = 0x1000_0000L; hint < 0x4000_0000L; hint += 0x0100_0000L) {
            long addr = mmap(hint, size, MAP_FIXED_NOREPLACE, what);
            if (addr == hint) {
                return addr;
            }
            if (addr != -1L) {
                unmap(addr, size); // an old kernel ignored the flag and placed it elsewhere
            }
        }
        long addr = mmap(0L, size, MAP_32BIT, what);
        if (addr == -1L) {
            throw new IllegalStateException("mmap " + what + " below 2 GiB failed, errno " + Libc.errno(errno));
        }
        if (addr <= 0 || addr + size > 0x8000_0000L || (addr & 0xFFF) != 0) {
            throw new IllegalStateException("mmap " + what + " returned unusable address 0x" + Long.toHexString(addr));
        }
        return addr;
    }

    private long mmap(long hint, int size, int extraFlags, String what) {
        try {
            return (long) Libc.MMAP.invokeExact(errno, hint, (long) size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | extraFlags, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap " + what + " failed", t);
        }
    }

    private void unmap(long addr, int size) {
        Libc.call(Libc.MUNMAP, errno, addr, size, "munmap");
    }

    private void protect(long addr, int size, int prot) {
        int rc;
        try {
            rc = (int) Libc.MPROTECT.invokeExact(errno, addr, (long) size, prot);
        } catch (Throwable t) {
            throw new IllegalStateException("mprotect failed", t);
        }
        if (rc != 0) {
            throw new IllegalStateException("mprotect(RWX) failed (W^X policy?), errno " + Libc.errno(errno));
        }
    }

    // ---- machine code ----------------------------------------------------------------------

    private static byte[] prologue() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        emit(b, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57); // push rbx rbp r12-r15
        emit(b, 0x49, 0x89, 0xFF);                                           // mov r15, rdi
        emit(b, 0x41, 0x0F, 0xAE, 0x47, OFF_FXSAVE);                         // fxsave [r15+64]
        emit(b, 0x9C, 0x58);                                                 // pushfq; pop rax
        emit(b, 0x25);                                                       // and eax, ~SETTABLE
        emit32(b, ~FLAGS_SETTABLE);
        emit(b, 0x41, 0x8B, 0x4F, OFF_EFLAGS);                               // mov ecx, [r15+28]
        emit(b, 0x81, 0xE1);                                                 // and ecx, SETTABLE
        emit32(b, FLAGS_SETTABLE);
        emit(b, 0x09, 0xC8);                                                 // or eax, ecx
        emit(b, 0x0D);                                                       // or eax, 2
        emit32(b, 0x2);
        emit(b, 0x50, 0x9D);                                                 // push rax; popfq
        for (int[] slot : SLOTS) {                                           // mov r32, [r15+off]
            emit(b, 0x41, 0x8B, 0x47 | slot[0] << 3, slot[1]);
        }
        return b.toByteArray();
    }

    private static byte[] epilogue() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        emit(b, 0x9C);                                                       // pushfq
        for (int[] slot : SLOTS) {                                           // mov [r15+off], r32
            emit(b, 0x41, 0x89, 0x47 | slot[0] << 3, slot[1]);
        }
        emit(b, 0x58);                                                       // pop rax
        emit(b, 0x41, 0x89, 0x47, OFF_EFLAGS);                               // mov [r15+28], eax
        emit(b, 0xFC);                                                       // cld
        emit(b, 0x41, 0x0F, 0xAE, 0x4F, OFF_FXSAVE);                         // fxrstor [r15+64]
        emit(b, 0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B); // pop r15-r12 rbp rbx
        emit(b, 0xC3);                                                       // ret
        return b.toByteArray();
    }

    private static void emit(ByteArrayOutputStream b, int... bytes) {
        for (int x : bytes) {
            b.write(x);
        }
    }

    private static void emit32(ByteArrayOutputStream b, int v) {
        emit(b, v, v >>> 8, v >>> 16, v >>> 24);
    }

    /** libc downcalls, linked on first use so that {@link #isSupported()} works anywhere. */
    private static final class Libc {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
                .byteOffset(MemoryLayout.PathElement.groupElement("errno"));

        /** {@code long mmap(long addr, long len, int prot, int flags, int fd, long off)}. */
        static final MethodHandle MMAP = link("mmap", FunctionDescriptor.of(JAVA_LONG,
                JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        /** {@code int mprotect(long addr, long len, int prot)}. */
        static final MethodHandle MPROTECT = link("mprotect", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_INT));
        /** {@code int munmap(long addr, long len)}. */
        static final MethodHandle MUNMAP = link("munmap", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, JAVA_LONG));

        private Libc() {
        }

        @SuppressWarnings("restricted")
        private static MethodHandle link(String name, FunctionDescriptor fd) {
            MemorySegment fn = LINKER.defaultLookup().find(name)
                    .orElseThrow(() -> new IllegalStateException("libc has no " + name));
            return LINKER.downcallHandle(fn, fd, ERRNO);
        }

        static int errno(MemorySegment capture) {
            return capture.get(JAVA_INT, ERRNO_OFFSET);
        }

        static void call(MethodHandle twoArg, MemorySegment capture, long addr, long len, String what) {
            int rc;
            try {
                rc = (int) twoArg.invokeExact(capture, addr, len);
            } catch (Throwable t) {
                throw new IllegalStateException(what + " failed", t);
            }
            if (rc != 0) {
                throw new IllegalStateException(what + " failed, errno " + errno(capture));
            }
        }
    }
}

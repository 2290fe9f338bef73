package dev.vmm.core.cpu.sst;

import dev.vmm.core.cpu.CodeSource;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Decoder;
import dev.vmm.core.cpu.Insn;

/**
 * The "286 compatibility" test profile: every place where the SingleStepTests 80286 vectors (a real Harris 80C286,
 * real mode) legitimately differ from what a 386+ core must do, plus the masks upstream prescribes. Our CPU is
 * not changed to behave like a 286; the harness skips, rewrites, retries or masks instead, and counts each class
 * separately so nothing is hidden. Facts below were checked against the staged vectors (see the class comments).
 *
 * <p>Differences that need no class here: shift/rotate counts are masked to 5 bits and {@code PUSH SP} pushes the
 * old SP on both CPUs (those files pass unmasked); SMSW/SGDT/SIDT results and LOADALL/STOREALL have no vectors in
 * the staged set (no {@code 0F} files); the 286's 24-bit wrap at 16 MiB is unreachable from real mode (the highest
 * address is {@code 0x10FFEF}, see {@link SstMachine}).
 */
enum Sst286Profile {
    /** Upstream revoked the test (list is empty at suite 1.0.0). Skipped. */
    REVOKED(Kind.SKIP, "hash on upstream revocation_list.txt"),
    /**
     * The 286 limits instructions to 10 bytes: 1-5 random segment prefixes push some forms to 11-12 bytes, and
     * the hardware then raises int 13 (#GP) with IP at the first prefix (41 tests, e.g. {@code 81.0 #5}). A 386
     * allows 15 bytes and executes them. Skipped when the decoded length exceeds 10 and the vector is 13; the
     * 11-byte forms the 286 rejects as #UD for another reason (BOUND/LDS with a register operand) still run.
     */
    LENGTH_LIMIT(Kind.SKIP, "286 10-byte instruction limit (#GP); a 386 allows 15 bytes"),
    /**
     * {@code MOV r/m,Sreg} / {@code MOV Sreg,r/m} with reg = 4 or 5: the 286 has no FS/GS and raises #UD
     * ({@code 8C #24}, {@code 8E #8}); a 386 moves FS/GS. Skipped when the hardware raised #UD.
     */
    NO_FS_GS(Kind.SKIP, "MOV Sreg with reg 4/5: no FS/GS on the 286 (#UD); a 386 has them"),
    /**
     * ESC (D8-DF): the test rig had no 80287, so the 286 only decodes the ModRM, checks the memory operand's
     * limit (int 13 at offset 0xFFFF) and does nothing else. That is a platform property (which coprocessor, and
     * CR0.EM/MP), not integer-core semantics. While our decoder has no ESC rows (it decodes them as #UD) the tests
     * are skipped; once it has, they run: passes count, mismatches are excused under this class.
     */
    ESC_NO_FPU(Kind.EXCUSED, "x87 ESC with no coprocessor (the rig had no 80287; our core has no x87)"),
    /**
     * Signed divide whose exact quotient does not fit (e.g. {@code F6.7 #952}: AX=81C1h / 7Ch = -260): the 286
     * stored a truncated quotient/remainder (AX=C180h) without raising #DE; a 386 raises #DE. Excused only when
     * the harness recomputes the exact quotient from the initial state, confirms the overflow, and our CPU
     * raised #DE.
     */
    IDIV_OVERFLOW(Kind.EXCUSED, "IDIV quotient overflow the 286 did not detect (no #DE); a 386 raises #DE"),
    /**
     * LOCK on an instruction that cannot be locked (register destination, or not a read-modify-write form): the
     * 286 ignores the prefix and executes the instruction (about 28 tests in most files, e.g. {@code lock leave},
     * {@code lock push es}); a 386 raises #UD. The harness replaces each such F0 byte in guest memory by the
     * segment-override prefix of the instruction's effective segment (DS for forms without a memory operand),
     * which is the same length and has no effect, then runs and judges the test normally.
     */
    LOCK_IGNORED(Kind.REWRITTEN, "LOCK on a non-lockable form: 286 ignores it, 386 #UD; F0 -> no-op prefix"),
    /**
     * A stack-segment limit violation (word at SS:0xFFFF, e.g. {@code RET} with SP=0xFFFF, {@code LEAVE} with
     * BP=0xFFFF) raises int 13 on the 286 in real mode; a 386 raises #SS (int 12). When a test expecting int 13
     * fails, it is re-run with IVT entry 12 aliased to entry 13; a pass then counts here (and as a pass).
     */
    SS_OVERRUN_GP(Kind.RETRIED, "SS limit violation: 286 int 13, 386 #SS (int 12); re-run with IVT[12]=IVT[13]"),
    /**
     * {@code POP r/m16} whose memory write faults (int 13 at offset 0xFFFF): the 286 has already incremented SP,
     * so its exception frame sits 2 bytes higher; a 386 faults precisely with SP unchanged. When such a test
     * fails, it is re-run with the initial SP + 2 (the popped value is never written, so only the frame position
     * changes); a pass then counts here (and as a pass).
     */
    POP_FAULT_SP(Kind.RETRIED, "POP m16 write fault: 286 already popped (SP+2); re-run with SP+2"),
    /**
     * A string instruction (MOVS/CMPS/STOS/LODS/SCAS/INS/OUTS) whose word access at offset 0xFFFF raises int 13:
     * the 286 has already advanced SI and/or DI by one element and, under REP, decremented CX once (read
     * faults) or twice (write faults) when it takes the fault (e.g. {@code A5 #41}: SI FFFF -&gt; 0001,
     * {@code AB #360}: CX 16 -&gt; 14); a 386 faults precisely. SI and DI then also accept the hardware value minus
     * one element step, CX the hardware value plus 1 or 2. Counted when that tolerance was needed.
     */
    STRING_FAULT(Kind.MASKED, "string op int 13: 286 advanced SI/DI/CX before faulting; precise value accepted"),
    /**
     * #DE (int 0) from AAM 0: the 286 has already written SF/ZF/PF (e.g. {@code D4 #862}); a 386 faults
     * precisely. For tests that raise int 0, the arithmetic flags of FLAGS and of the pushed image are not
     * compared (DIV/IDIV have them undefined anyway). Counted when that hid a difference.
     */
    DE_FLAGS(Kind.MASKED, "#DE: 286 updated arithmetic flags before faulting (AAM 0); arithmetic flags masked"),
    /** Upstream metadata {@code flags-mask}: flags the 286 leaves undefined. Counted when the mask hid a difference. */
    UNDEFINED_FLAGS(Kind.MASKED, "metadata flags-mask (undefined flags) hid a FLAGS difference"),
    /**
     * FLAGS bits 12-15 (IOPL, NT, bit 15): the initial values came from LOADALL and real mode cannot hold them;
     * the 286 clears them (pushed images included) while a 386 keeps IOPL/NT. The harness loads FLAGS AND 0x0FFF
     * and compares FLAGS AND 0x0FFF. Counted when the mask hid a difference.
     */
    FLAGS_HIGH_BITS(Kind.MASKED, "FLAGS bits 12-15 (IOPL/NT/15) masked in real mode"),
    /**
     * The FLAGS image pushed by an exception/INT or by PUSHF is compared under the same masks. Its address is
     * computed from the final SS:SP (SS:SP+4 for an exception frame, SS:SP for PUSHF), because upstream's
     * {@code flag_address} is rounded down to an even address: with an odd SP (839 tests) it points one byte
     * below the image. Counted when the mask hid a difference.
     */
    PUSHED_FLAGS(Kind.MASKED, "pushed FLAGS image masked like FLAGS");

    /** What the profile does with a test of the class. */
    enum Kind {
        /** Not run; not in the pass rate. */
        SKIP,
        /** Run; a pass counts, a mismatch is excused (not in the pass rate). */
        EXCUSED,
        /** Run after a documented rewrite of the instruction bytes; judged normally. */
        REWRITTEN,
        /** Re-run after a documented change of the environment when the first run failed; judged normally. */
        RETRIED,
        /** A comparison mask that made a difference in a passing test. */
        MASKED
    }

    final Kind kind;
    final String reason;

    Sst286Profile(Kind kind, String reason) {
        this.kind = kind;
        this.reason = reason;
    }

    /** FLAGS bits real mode can hold on the 286 (AND mask for loading and comparing). */
    static final int REAL_MODE_FLAGS = SstMetadata.REAL_MODE_FLAGS_BITS;
    /** 286 maximum instruction length. */
    static final int MAX_LENGTH_286 = 10;

    /** Whether {@code b} is one of the prefixes the generator emits (segment overrides, LOCK, REP/REPNE). */
    static boolean isPrefix(int b) {
        return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0xF0 || b == 0xF2 || b == 0xF3;
    }

    /** Number of leading prefix bytes of {@code bytes}. */
    static int prefixCount(byte[] bytes) {
        int p = 0;
        while (p < bytes.length && isPrefix(bytes[p] & 0xFF)) {
            p++;
        }
        return p;
    }

    /** Decodes the instruction under test as our CPU does (16-bit code). */
    static Insn decode(byte[] bytes) {
        return Decoder.decode(CodeSource.of(bytes, 0), 16);
    }

    /** The SKIP class that applies to {@code t}, or null. */
    static Sst286Profile skipClass(SstTest t, Insn d, boolean revoked) {
        // d is the decode of the bytes as run (after a LOCK rewrite), so its length is the real one.
        if (revoked) {
            return REVOKED;
        }
        int vector = t.exception() == null ? -1 : t.exception().number();
        if (vector == 13 && d.entry != null && d.len > MAX_LENGTH_286) {
            return LENGTH_LIMIT;
        }
        byte[] b = t.bytes();
        int p = prefixCount(b);
        if (vector == 6 && p + 1 < b.length) {
            int op = b[p] & 0xFF;
            int reg = (b[p + 1] >> 3) & 7;
            if ((op == 0x8C || op == 0x8E) && (reg == 4 || reg == 5)) {
                return NO_FS_GS;
            }
        }
        return null;
    }

    /** Whether {@code t} is a string instruction (MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS). */
    static boolean isString(SstTest t) {
        int op = opcode(t);
        return (op >= 0x6C && op <= 0x6F) || (op >= 0xA4 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF);
    }

    /** Whether {@code t} carries a REP/REPE/REPNE prefix. */
    static boolean hasRep(SstTest t) {
        byte[] b = t.bytes();
        int p = prefixCount(b);
        for (int k = 0; k < p; k++) {
            if ((b[k] & 0xFE) == 0xF2) {
                return true;
            }
        }
        return false;
    }

    /** The first byte after the prefixes (the opcode), or -1. */
    static int opcode(SstTest t) {
        byte[] b = t.bytes();
        int p = prefixCount(b);
        return p < b.length ? b[p] & 0xFF : -1;
    }

    /** Whether the hardware raised {@code vector} in {@code t}. */
    static boolean raised(SstTest t, int vector) {
        return t.exception() != null && t.exception().number() == vector;
    }

    /**
     * For {@link #IDIV_OVERFLOW}: whether {@code t} is IDIV r/m8 or r/m16 (decoded as {@code d}) whose exact
     * quotient, computed from the initial registers and RAM, overflows its destination (a 386 raises #DE).
     */
    static boolean idivOverflows(SstTest t, Insn d) {
        if (d.entry == null || !d.entry.key().equals("IDIV")) {
            return false;
        }
        int[] v = t.initialRegs().values();
        boolean word = d.w1 == 2;
        long divisor = word ? (short) operand(t, d, v, 2) : (byte) operand(t, d, v, 1);
        if (divisor == 0) {
            return false;
        }
        long dividend = word ? (v[Reg16.DX.ordinal()] << 16) | v[Reg16.AX.ordinal()] : (short) v[Reg16.AX.ordinal()];
        long q = dividend / divisor;
        return word ? q < -32768 || q > 32767 : q < -128 || q > 127;
    }

    /** Cpu GPR number (EAX=0, ECX, EDX, EBX, ESP, EBP, ESI, EDI) to {@link Reg16}. */
    private static final Reg16[] GPR = {Reg16.AX, Reg16.CX, Reg16.DX, Reg16.BX, Reg16.SP, Reg16.BP, Reg16.SI,
        Reg16.DI};
    /** Cpu segment number (ES=0, CS, SS, DS) to {@link Reg16}. */
    private static final Reg16[] SREG = {Reg16.ES, Reg16.CS, Reg16.SS, Reg16.DS};

    /** The initial value of the ModRM r/m operand of {@code d} ({@code size} 1 or 2 bytes, 16-bit addressing). */
    private static int operand(SstTest t, Insn d, int[] v, int size) {
        if (d.mod == 3) {
            if (size == 2) {
                return v[GPR[d.rm].ordinal()];
            }
            int r = v[GPR[d.rm & 3].ordinal()];
            return d.rm < 4 ? r & 0xFF : r >> 8;
        }
        long off = d.disp + (d.base >= 0 ? v[GPR[d.base].ordinal()] : 0)
                + (d.index >= 0 ? v[GPR[d.index].ordinal()] : 0);
        int lin = (v[SREG[d.seg].ordinal()] << 4) + (int) (off & 0xFFFF);
        int val = 0;
        for (int k = 0; k < size; k++) {
            val |= initialByte(t, lin + k) << (8 * k);
        }
        return val;
    }

    private static int initialByte(SstTest t, int addr) {
        for (SstTest.RamEntry e : t.initialRam()) {
            if (e.address() == addr) {
                return e.value();
            }
        }
        return 0;
    }

    /** Whether {@code t} is an ESC (x87) instruction. */
    static boolean isEsc(SstTest t) {
        byte[] b = t.bytes();
        int p = prefixCount(b);
        return p < b.length && (b[p] & 0xF8) == 0xD8;
    }

    /**
     * For {@link #LOCK_IGNORED}: the replacement prefix byte for every F0 of the prefix run, or -1 when our
     * decoder accepts the LOCK (or the bytes are invalid for another reason).
     */
    static int lockReplacement(Insn d) {
        // Our decoder reports an invalid LOCK before any length check; the segment was already resolved.
        if (d.entry != null || d.bad != Insn.BAD_LOCK) {
            return -1;
        }
        return switch (d.seg) {
            case Cpu.ES -> 0x26;
            case Cpu.CS -> 0x2E;
            case Cpu.SS -> 0x36;
            default -> 0x3E;
        };
    }

    /** {@code bytes} with every F0 of the prefix run replaced by {@code prefix}. */
    static byte[] rewriteLock(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        int p = prefixCount(bytes);
        for (int k = 0; k < p; k++) {
            if ((out[k] & 0xFF) == 0xF0) {
                out[k] = (byte) prefix;
            }
        }
        return out;
    }
}

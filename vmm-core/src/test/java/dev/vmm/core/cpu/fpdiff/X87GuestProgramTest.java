package dev.vmm.core.cpu.fpdiff;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.CpuFixture;
import dev.vmm.core.cpu.oracle.NativeExecutor;
import dev.vmm.core.cpu.oracle.NativeResult;
import dev.vmm.core.cpu.oracle.RegisterImage;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A guest-level check of the x87 (issue 4): a small 32-bit program, assembled here, that computes a table with
 * x87 arithmetic only, libm style, in extended precision: for x = (k+1)/8, k = 0..63, the square root, the
 * reciprocal, exp(x) by its Taylor series (Horner form), log(x) by the series of 2 atanh((x-1)/(x+1)), sin(x) by its
 * Taylor series, and integer and BCD conversions of them (FIST m16/m32, FISTP m64, FBSTP), each row in another
 * rounding and precision control, with the status word of each row. It runs natively on the host and in vmm at the
 * same addresses; the whole data region (constants, scratch and the table) must come out byte for byte the same.
 */
class X87GuestProgramTest {
    private static final int ROWS = 64;
    private static final int ROW = 80;
    /** Offsets in the data region. */
    private static final int CW = 0x00;
    private static final int EIGHT = 0x10;
    private static final int THOUSAND = 0x14;
    private static final int TENK = 0x18;
    private static final int TWO40 = 0x20;
    private static final int MILLION = 0x28;
    private static final int K = 0x30;
    private static final int N = 0x34;
    private static final int X = 0x40;
    private static final int TABLE = 0x100;
    /** The control word of row k is CWS[k & 7]: every rounding control, precision 64, 53 and 24 bits, all masked; row 7 (x = 1) rounds to nearest in 64 bits. */
    private static final int[] CWS = {0x077F, 0x0B7F, 0x0F7F, 0x027F, 0x0E7F, 0x007F, 0x087F, 0x037F};

    /** A tiny assembler: bytes and backward branches. */
    private static final class Code {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Code b(int... bytes) {
            for (int x : bytes) {
                out.write(x);
            }
            return this;
        }

        int here() {
            return out.size();
        }

        /** A short conditional branch (opcode 70-7F) back to {@code target}. */
        Code jccBack(int opcode, int target) {
            int rel = target - (here() + 2);
            if (rel < -128) {
                throw new IllegalStateException("branch too far: " + rel);
            }
            return b(opcode, rel);
        }

        /** A near conditional branch (0F 80-8F rel32) back to {@code target}. */
        Code jccNearBack(int opcode, int target) {
            int rel = target - (here() + 6);
            return b(0x0F, opcode, rel, rel >> 8, rel >> 16, rel >> 24);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** ESI = data region, EDI = table row, EBP = k. Leaves the FPU stack empty after every row. */
    static byte[] program() {
        Code c = new Code();
        c.b(0xDB, 0xE3);                                   // fninit
        c.b(0x31, 0xED);                                   // xor ebp, ebp
        int row = c.here();
        c.b(0x89, 0xE8);                                   // mov eax, ebp
        c.b(0x83, 0xE0, 0x07);                             // and eax, 7
        c.b(0xD9, 0x6C, 0x46, CW);                         // fldcw [esi+eax*2+CW]
        c.b(0x89, 0x6E, K);                                // mov [esi+K], ebp
        c.b(0xDB, 0x46, K);                                // fild dword [esi+K]
        c.b(0xD9, 0xE8, 0xDE, 0xC1);                       // fld1 ; faddp st(1)       k+1
        c.b(0xD8, 0x76, EIGHT);                            // fdiv dword [esi+EIGHT]   x = (k+1)/8
        c.b(0xDB, 0x7E, X);                                // fstp tbyte [esi+X]
        // sqrt(x) -> row+0 (m80)
        c.b(0xDB, 0x6E, X, 0xD9, 0xFA, 0xDB, 0x3F);        // fld x ; fsqrt ; fstp tbyte [edi]
        // 1/x -> row+10 (m64)
        c.b(0xDB, 0x6E, X, 0xD9, 0xE8, 0xDE, 0xF1);        // fld x ; fld1 ; fdivrp st(1)
        c.b(0xDD, 0x5F, 10);                               // fstp qword [edi+10]
        // exp(x): e = 1; for n = 30..1: e = e*x/n + 1 -> row+18 (m80)
        c.b(0xDB, 0x6E, X, 0xD9, 0xE8);                    // fld x ; fld1
        c.b(0xB9, 30, 0, 0, 0);                            // mov ecx, 30
        int exp = c.here();
        c.b(0xD8, 0xC9);                                   // fmul st, st(1)
        c.b(0x89, 0x4E, N, 0xDA, 0x76, N);                 // mov [esi+N], ecx ; fidiv dword [esi+N]
        c.b(0xD9, 0xE8, 0xDE, 0xC1);                       // fld1 ; faddp st(1)
        c.b(0xFF, 0xC9).jccBack(0x75, exp);                // dec ecx ; jnz exp
        c.b(0xDB, 0x7F, 18, 0xDD, 0xD8);                   // fstp tbyte [edi+18] ; fstp st(0)
        // log(x) = 2 y P(y^2), y = (x-1)/(x+1), P = sum y^2n/(2n+1), n < 60, in Horner form -> row+28 (m80)
        c.b(0xDB, 0x6E, X, 0xD9, 0xE8, 0xDE, 0xE9);        // fld x ; fld1 ; fsubp st(1)       x-1
        c.b(0xDB, 0x6E, X, 0xD9, 0xE8, 0xDE, 0xC1);        // fld x ; fld1 ; faddp st(1)       x+1
        c.b(0xDE, 0xF9);                                   // fdivp st(1)                      y
        c.b(0xD9, 0xC0, 0xD8, 0xC8);                       // fld st(0) ; fmul st, st(0)       y2, y
        c.b(0xC7, 0x46, N, 121, 0, 0, 0);                  // mov dword [esi+N], 121
        c.b(0xD9, 0xE8, 0xDA, 0x76, N);                    // fld1 ; fidiv dword [esi+N]       p = 1/121
        c.b(0xB9, 59, 0, 0, 0);                            // mov ecx, 59
        int log = c.here();
        c.b(0xD8, 0xC9);                                   // fmul st, st(1)
        c.b(0x8D, 0x04, 0x4D, 1, 0, 0, 0);                 // lea eax, [ecx*2+1]
        c.b(0x89, 0x46, N);                                // mov [esi+N], eax
        c.b(0xD9, 0xE8, 0xDA, 0x76, N, 0xDE, 0xC1);        // fld1 ; fidiv [esi+N] ; faddp st(1)
        c.b(0xFF, 0xC9).jccBack(0x79, log);                // dec ecx ; jns log
        c.b(0xDE, 0xCA, 0xDD, 0xD8);                       // fmulp st(2) ; fstp st(0)          y P
        c.b(0xD8, 0xC0, 0xDB, 0x7F, 28);                   // fadd st, st(0) ; fstp tbyte [edi+28]
        // sin(x) = x t, t = 1 - x2 t / (2n (2n+1)) for n = 20..1 from t = 1 -> row+38 (m64)
        c.b(0xDB, 0x6E, X, 0xD9, 0xC0, 0xD8, 0xC8);        // fld x ; fld st(0) ; fmul st, st(0)   x2, x
        c.b(0xD9, 0xE8, 0xB9, 20, 0, 0, 0);                // fld1 ; mov ecx, 20
        int sin = c.here();
        c.b(0xD8, 0xC9);                                   // fmul st, st(1)
        c.b(0x89, 0xC8, 0x01, 0xC0);                       // mov eax, ecx ; add eax, eax
        c.b(0x8D, 0x50, 0x01, 0x0F, 0xAF, 0xC2);           // lea edx, [eax+1] ; imul eax, edx
        c.b(0x89, 0x46, N, 0xDA, 0x76, N);                 // mov [esi+N], eax ; fidiv dword [esi+N]
        c.b(0xD9, 0xE8, 0xDE, 0xE1);                       // fld1 ; fsubrp st(1)              1 - ...
        c.b(0xFF, 0xC9).jccBack(0x75, sin);                // dec ecx ; jnz sin
        c.b(0xDE, 0xCA, 0xDD, 0xD8);                       // fmulp st(2) ; fstp st(0)          sin
        c.b(0xDD, 0x57, 38);                               // fst qword [edi+38]
        c.b(0xD8, 0x4E, TENK, 0xDF, 0x5F, 50);             // fmul dword [esi+TENK] ; fistp word [edi+50]
        // conversions: x*1000 -> m32, exp(x)*2^40 -> m64, sqrt(x)*1e6 -> packed BCD
        c.b(0xDB, 0x6E, X, 0xD8, 0x4E, THOUSAND);          // fld x ; fmul dword [esi+THOUSAND]
        c.b(0xDB, 0x5F, 46);                               // fistp dword [edi+46]
        c.b(0xDB, 0x6F, 18, 0xDC, 0x4E, TWO40);            // fld tbyte [edi+18] ; fmul qword [esi+TWO40]
        c.b(0xDF, 0x7F, 52);                               // fistp qword [edi+52]
        c.b(0xDB, 0x2F, 0xDC, 0x4E, MILLION);              // fld tbyte [edi] ; fmul qword [esi+MILLION]
        c.b(0xDF, 0x77, 60);                               // fbstp tbyte [edi+60]
        c.b(0xDD, 0x7F, 72, 0xDB, 0xE2);                   // fnstsw [edi+72] ; fnclex
        c.b(0x83, 0xC7, ROW);                              // add edi, ROW
        c.b(0xFF, 0xC5, 0x83, 0xFD, ROWS);                 // inc ebp ; cmp ebp, ROWS
        c.jccNearBack(0x82, row);                          // jb row
        return c.bytes();
    }

    /** The data region's initial contents: the constants, the rest a fixed pattern. */
    private static byte[] data() {
        byte[] d = new byte[NativeExecutor.DATA_SIZE];
        Arrays.fill(d, (byte) 0xA5);
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < CWS.length; k++) {
            b.putShort(CW + 2 * k, (short) CWS[k]);
        }
        b.putFloat(EIGHT, 8f).putFloat(THOUSAND, 1000f).putFloat(TENK, 10000f);
        b.putDouble(TWO40, 0x1p40).putDouble(MILLION, 1e6);
        return d;
    }

    @Test
    void aTableOfSquareRootsReciprocalsExpLogSinAndConversionsIsBitIdentical() {
        assumeTrue(NativeExecutor.isSupported(), "native x86 oracle unavailable on " + NativeExecutor.hostDescription());
        byte[] code = program();
        byte[] init = data();
        try (NativeExecutor exec = new NativeExecutor(); CpuFixture fx = new CpuFixture(2L << 30)) {
            long data = exec.dataAddress();
            long eip = exec.testCodeAddress();
            MemorySegment.copy(init, 0, exec.data(), JAVA_BYTE, 0, init.length);
            NativeResult nr = exec.run(RegisterImage.ZERO.withReg(Cpu.ESI, (int) data)
                    .withReg(Cpu.EDI, (int) (data + TABLE)), code);

            fx.flat32(eip);
            fx.cpu.cr0 |= Cpu.CR0_NE | Cpu.CR0_MP;
            fx.mem.load(eip, code);
            fx.mem.write8(eip + code.length, 0xF4);
            MemorySegment.copy(init, 0, fx.mem.ram(), JAVA_BYTE, data, init.length);
            fx.cpu.r[Cpu.ESI] = data;
            fx.cpu.r[Cpu.EDI] = data + TABLE;
            assertEquals(Cpu.Exit.HALT, fx.run(1_000_000));
            assertEquals(eip + code.length + 1, fx.cpu.rip, "ran to the end without a fault");
            byte[] vmm = new byte[init.length];
            MemorySegment.copy(fx.mem.ram(), JAVA_BYTE, data, vmm, 0, vmm.length);

            byte[] host = nr.data();
            int at = Arrays.mismatch(host, vmm);
            assertEquals(-1, at, () -> String.format("first difference at data+0x%x (row %d, byte %d)", at,
                    (at - TABLE) / ROW, (at - TABLE) % ROW));
            assertArrayEquals(host, vmm);
            ByteBuffer t = ByteBuffer.wrap(host).order(ByteOrder.LITTLE_ENDIAN);
            // Sanity of the oracle itself: row 7 is x = 1 (round to nearest, 64 bits): sqrt 1, 1/x 1, exp e, log 0.
            int r7 = TABLE + 7 * ROW;
            assertEquals(0x8000_0000_0000_0000L, t.getLong(r7));
            assertEquals(1.0, t.getDouble(r7 + 10));
            assertEquals(0x4000, t.getShort(r7 + 26) & 0xFFFF, "exp(1) in [2, 4)");
            assertEquals(0, t.getLong(r7 + 28), "log(1) = +0");
            assertEquals(Math.sin(1.0), t.getDouble(r7 + 38), 1e-15);
            assertEquals(1000, t.getInt(r7 + 46));
            assertTrue(fx.cpu.instructionCount() > 40_000, "instructions: " + fx.cpu.instructionCount());
        }
    }
}

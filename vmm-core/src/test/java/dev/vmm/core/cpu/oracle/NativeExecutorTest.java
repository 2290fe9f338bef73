package dev.vmm.core.cpu.oracle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Proves that {@link NativeExecutor} runs x86 code natively and reports the right state. */
class NativeExecutorTest {

    private static final int CF = 0x001;
    private static final int PF = 0x004;
    private static final int AF = 0x010;
    private static final int ZF = 0x040;
    private static final int SF = 0x080;
    private static final int DF = 0x400;
    private static final int OF = 0x800;

    private NativeExecutor exec;

    @BeforeEach
    void setUp() {
        assumeTrue(NativeExecutor.isSupported(),
                "native x86 oracle needs Linux x86-64; skipped on " + NativeExecutor.hostDescription());
        exec = new NativeExecutor();
    }

    @AfterEach
    void tearDown() {
        if (exec != null) {
            exec.close();
        }
    }

    private static byte[] code(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return b;
    }

    private static int status(NativeResult r) {
        return r.registers().eflags() & NativeExecutor.FLAGS_STATUS;
    }

    @Test
    void regionsAreBelowTwoGiB() {
        assertTrue(exec.dataAddress() > 0 && exec.dataAddress() + NativeExecutor.DATA_SIZE <= 0x8000_0000L);
        assertTrue(exec.testCodeAddress() > 0 && exec.testCodeAddress() < 0x8000_0000L);
        assertEquals(0, exec.dataAddress() & 0xFFF);
        assertEquals(NativeExecutor.DATA_SIZE, exec.data().byteSize());
    }

    @Test
    void emptyCodeReturnsInputsUnchanged() {
        RegisterImage in = new RegisterImage(1, 2, 3, 4, 5, 6, 7, CF | ZF | OF);
        RegisterImage out = exec.run(in, new byte[0]).registers();
        assertEquals(in.withEflags(0), out.withEflags(0));
        assertEquals(CF | ZF | OF, out.eflags() & NativeExecutor.FLAGS_SETTABLE);
        assertEquals(0x2, out.eflags() & 0x2, "bit 1 is always set");
    }

    @Test
    void addEaxEbx() {
        NativeResult r = exec.run(RegisterImage.ZERO.withReg(0, 1).withReg(3, 2), code(0x01, 0xD8));
        assertEquals(3, r.registers().eax());
        assertEquals(2, r.registers().ebx());
        assertEquals(PF, status(r));
    }

    @Test
    void addOverflowSetsOfSfAf() {
        NativeResult r = exec.run(RegisterImage.ZERO.withReg(0, 0x7FFF_FFFF).withReg(3, 1), code(0x01, 0xD8));
        assertEquals(0x8000_0000, r.registers().eax());
        assertEquals(OF | SF | AF | PF, status(r));
    }

    @Test
    void subToZeroAndBorrow() {
        NativeResult zero = exec.run(RegisterImage.ZERO.withReg(0, 5).withReg(3, 5), code(0x29, 0xD8));
        assertEquals(0, zero.registers().eax());
        assertEquals(ZF | PF, status(zero));

        NativeResult borrow = exec.run(RegisterImage.ZERO.withReg(0, 1).withReg(3, 2), code(0x29, 0xD8));
        assertEquals(0xFFFF_FFFF, borrow.registers().eax());
        assertEquals(CF | PF | AF | SF, status(borrow));
    }

    @Test
    void storeThroughEbxWritesData() {
        exec.data().fill((byte) 0);
        int base = (int) exec.dataAddress();
        RegisterImage in = RegisterImage.ZERO.withReg(0, 0xDEAD_BEEF).withReg(3, base).withReg(1, 0x1234_5678);
        // mov [ebx], eax ; mov [ebx+0x10], ecx
        NativeResult r = exec.run(in, code(0x89, 0x03, 0x89, 0x4B, 0x10));
        assertEquals(0xDEAD_BEEF, r.dataInt(0));
        assertEquals(0x1234_5678, r.dataInt(0x10));
        assertEquals((byte) 0xEF, r.data()[0]);
        assertEquals(0, r.dataInt(4));
        assertEquals(NativeExecutor.DATA_SIZE, r.data().length);
        assertEquals(0xDEAD_BEEF, exec.data().get(JAVA_INT_UNALIGNED, 0), "live segment sees the store too");
    }

    @Test
    void loadFromData() {
        exec.data().set(JAVA_INT_UNALIGNED, 0x100, 0xCAFE_F00D);
        // mov eax, [esi+edi*2-4] with esi = data+0x104-0x10, edi = 8
        RegisterImage in = RegisterImage.ZERO.withReg(6, (int) exec.dataAddress() + 0xF4).withReg(7, 8);
        NativeResult r = exec.run(in, code(0x8B, 0x44, 0x7E, 0xFC));
        assertEquals(0xCAFE_F00D, r.registers().eax());
    }

    @Test
    void shlMasksCountToFiveBits() {
        // shl eax, cl with cl = 33 shifts by 1
        NativeResult r = exec.run(RegisterImage.ZERO.withReg(0, 0x8000_0001).withReg(1, 33), code(0xD3, 0xE0));
        assertEquals(2, r.registers().eax());
        assertEquals(CF, r.registers().eflags() & (CF | ZF | SF | PF));

        // cl = 32 masks to 0: no change at all, flags included
        RegisterImage in = RegisterImage.ZERO.withReg(0, 0x1234).withReg(1, 32).withEflags(CF | ZF | SF | OF);
        NativeResult none = exec.run(in, code(0xD3, 0xE0));
        assertEquals(0x1234, none.registers().eax());
        assertEquals(CF | ZF | SF | OF, status(none));
    }

    @Test
    void sixteenBitAddKeepsUpperHalf() {
        RegisterImage in = RegisterImage.ZERO.withReg(0, 0x1234_FFFF).withReg(3, 0xABCD_0001);
        NativeResult r = exec.run(in, code(0x66, 0x01, 0xD8));
        assertEquals(0x1234_0000, r.registers().eax());
        assertEquals(0xABCD_0001, r.registers().ebx());
        assertEquals(CF | ZF | PF | AF, status(r));
    }

    @Test
    void highByteRegistersWithoutRex() {
        // mov ah, bl (88 DC) ; mov bh, ah (88 E7)
        RegisterImage in = RegisterImage.ZERO.withReg(0, 0x1122_3344).withReg(3, 0x0000_00AB);
        NativeResult r = exec.run(in, code(0x88, 0xDC, 0x88, 0xE7));
        assertEquals(0x1122_AB44, r.registers().eax());
        assertEquals(0x0000_ABAB, r.registers().ebx());
    }

    @Test
    void divWithSafeOperands() {
        // div ebx: edx:eax = 100, ebx = 7
        RegisterImage in = RegisterImage.ZERO.withReg(0, 100).withReg(3, 7);
        RegisterImage out = exec.run(in, code(0xF7, 0xF3)).registers();
        assertEquals(14, out.eax());
        assertEquals(2, out.edx());
    }

    @Test
    void forwardBranchToEndOfCode() {
        // cmp eax, ebx ; jne +5 ; mov ecx, 1 (B9 imm32) ; <end>
        byte[] c = code(0x39, 0xD8, 0x75, 0x05, 0xB9, 0x01, 0x00, 0x00, 0x00);
        assertEquals(1, exec.run(RegisterImage.ZERO.withReg(0, 4).withReg(3, 4), c).registers().ecx());
        assertEquals(0, exec.run(RegisterImage.ZERO.withReg(0, 4).withReg(3, 5), c).registers().ecx());
    }

    @Test
    void repStosbFillsForward() {
        exec.data().fill((byte) 0);
        int dst = (int) exec.dataAddress() + 8;
        RegisterImage in = RegisterImage.ZERO.withReg(0, 0x5A).withReg(1, 16).withReg(7, dst);
        NativeResult r = exec.run(in, code(0xF3, 0xAA));
        assertEquals(0, r.registers().ecx());
        assertEquals(dst + 16, r.registers().edi());
        for (int i = 0; i < 40; i++) {
            assertEquals(i >= 8 && i < 24 ? (byte) 0x5A : 0, r.data()[i], "byte " + i);
        }
    }

    @Test
    void stdMakesStosbGoBackwardAndDfIsRestored() {
        exec.data().fill((byte) 0);
        int dst = (int) exec.dataAddress() + 31;
        RegisterImage in = RegisterImage.ZERO.withReg(0, 0x77).withReg(1, 4).withReg(7, dst);
        // std ; rep stosb
        NativeResult r = exec.run(in, code(0xFD, 0xF3, 0xAA));
        assertEquals(dst - 4, r.registers().edi());
        assertEquals(DF, r.registers().eflags() & DF, "DF as the test code left it");
        for (int i = 24; i < 36; i++) {
            assertEquals(i >= 28 && i < 32 ? (byte) 0x77 : 0, r.data()[i], "byte " + i);
        }

        // The next run starts with DF clear again unless the input asks for it.
        NativeResult fwd = exec.run(in.withReg(7, (int) exec.dataAddress()), code(0xAA));
        assertEquals((int) exec.dataAddress() + 1, fwd.registers().edi());
        assertEquals(0, fwd.registers().eflags() & DF);

        // DF from the input image: stosb goes backward; cld clears it again.
        NativeResult back = exec.run(in.withEflags(DF), code(0xAA));
        assertEquals(dst - 1, back.registers().edi());
        NativeResult cleared = exec.run(in.withEflags(DF), code(0xFC, 0xAA));
        assertEquals(dst + 1, cleared.registers().edi());
        assertEquals(0, cleared.registers().eflags() & DF);
        assertEquals((byte) 0x77, exec.data().get(JAVA_BYTE, 31));
    }

    private double numerator = 1.0;
    private double denominator = 3.0;

    @Test
    void x87AndMxcsrChangesDoNotLeakIntoTheJvm() {
        // MXCSR with rounding toward +infinity, at data offset 0
        exec.data().set(JAVA_INT_UNALIGNED, 0, 0x1F80 | 2 << 13);
        // ldmxcsr [ebx] ; fld1 ; fld1 (leaves two values on the x87 stack)
        byte[] c = code(0x0F, 0xAE, 0x13, 0xD9, 0xE8, 0xD9, 0xE8);
        for (int i = 0; i < 10; i++) {
            exec.run(RegisterImage.ZERO.withReg(3, (int) exec.dataAddress()), c);
        }
        // 1/3 rounds down to ...5555 to nearest; it would be ...5556 if MXCSR had leaked.
        assertEquals(0x3FD5_5555_5555_5555L, Double.doubleToRawLongBits(numerator / denominator));
    }

    @Test
    void onlySettableFlagsAreTakenFromInput() {
        RegisterImage out = exec.run(RegisterImage.ZERO.withEflags(-1), new byte[0]).registers();
        assertEquals(NativeExecutor.FLAGS_SETTABLE, out.eflags() & NativeExecutor.FLAGS_SETTABLE);
        assertEquals(0x200, out.eflags() & 0x300, "IF as the host has it, TF clear");
    }

    @Test
    void rejectsOversizedCodeAndUseAfterClose() {
        assertThrows(IllegalArgumentException.class,
                () -> exec.run(RegisterImage.ZERO, new byte[NativeExecutor.MAX_TEST_CODE + 1]));
        exec.close();
        assertThrows(IllegalStateException.class, () -> exec.run(RegisterImage.ZERO, new byte[0]));
    }
}

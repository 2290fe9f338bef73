package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Concrete cases for {@link ShiftOps} and {@link BitOps}; the expected values were taken from the
 * host CPU through the native oracle (AMD Zen 3) where the SDM leaves them undefined. The
 * differential suite ({@code dev.vmm.core.cpu.diff}) covers these instructions at random.
 */
class ShiftBitOpsTest {
    private static final long CODE = 0x10000;
    private static final long DATA = 0x21000;
    private static final long STUB = 0x5000;
    private static final int STATUS = Flags.ARITH;

    private CpuFixture f;

    @BeforeEach
    void setUp() {
        f = new CpuFixture();
        f.flat32(CODE);
        f.setGate(Exceptions.GP, 0x08, STUB, 0xE, 0);
        f.load(STUB, 0xF4);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    /** Runs {@code code} + HLT with EAX, EBX, ECX and the status flags given, ESI = DATA. */
    private Cpu run(int eax, int ebx, int ecx, int flags, int... code) {
        f.load(CODE, code);
        f.load(CODE + code.length, 0xF4);
        Cpu c = f.cpu;
        c.r[Cpu.EAX] = eax & 0xFFFF_FFFFL;
        c.r[Cpu.EBX] = ebx & 0xFFFF_FFFFL;
        c.r[Cpu.ECX] = ecx & 0xFFFF_FFFFL;
        c.r[Cpu.ESI] = DATA;
        c.flags.set(flags | 2);
        c.rip = CODE;
        c.halted = false;
        assertEquals(Cpu.Exit.HALT, f.run(100));
        return c;
    }

    private static void assertFlags(int expected, Cpu c) {
        assertEquals(expected, c.flags.get() & STATUS, "status flags");
    }

    @Test
    void shiftCountIsMaskedToFiveBits() {
        Cpu c = run(0x8000_0001, 0, 0x21, 0, 0xD3, 0xE0);   // shl eax, cl (cl = 33 -> 1)
        assertEquals(2, c.r[Cpu.EAX]);
        assertFlags(Flags.OF | Flags.AF | Flags.CF, c);
    }

    @Test
    void maskedCountZeroChangesNothing() {
        int in = Flags.CF | Flags.ZF | Flags.SF | Flags.OF;
        Cpu c = run(0x1234, 0, 0x20, in, 0xD3, 0xE0);        // shl eax, cl (cl = 32 -> 0)
        assertEquals(0x1234, c.r[Cpu.EAX]);
        assertFlags(in, c);
    }

    @Test
    void byteShiftBeyondWidthClearsResultAndCarry() {
        Cpu c = run(0xFF, 0, 0, Flags.CF, 0xC0, 0xE0, 0x09); // shl al, 9
        assertEquals(0, c.r[Cpu.EAX]);
        assertFlags(Flags.ZF | Flags.AF | Flags.PF, c);
    }

    @Test
    void rclByNineKeepsValueAndCarryButRecomputesOverflow() {
        Cpu c = run(0x80, 0, 9, 0, 0xD2, 0xD0);              // rcl al, cl
        assertEquals(0x80, c.r[Cpu.EAX]);
        assertFlags(Flags.OF, c);
        c = run(0x80, 0, 9, Flags.CF, 0xD2, 0xD0);
        assertEquals(0x80, c.r[Cpu.EAX]);
        assertFlags(Flags.CF, c);
    }

    @Test
    void rcrWordBySeventeenIsIdentity() {
        Cpu c = run(0, 0x8001, 0x11, Flags.CF, 0x66, 0xD3, 0xDB);   // rcr bx, cl
        assertEquals(0x8001, c.r[Cpu.EBX]);
        assertFlags(Flags.OF | Flags.CF, c);
    }

    @Test
    void rclThroughCarry() {
        Cpu c = run(0x81, 0, 2, Flags.CF, 0xD2, 0xD0);       // rcl al, 2: CF:AL = 1:1000_0001
        assertEquals(0x07, c.r[Cpu.EAX]);                    // 0000_0111, CF = 0
        assertFlags(0, c);
    }

    @Test
    void rorByOne() {
        Cpu c = run(1, 0, 0, 0, 0xD1, 0xC8);                 // ror eax, 1
        assertEquals(0x8000_0000L, c.r[Cpu.EAX]);
        assertFlags(Flags.OF | Flags.CF, c);
    }

    @Test
    void sarMemoryByte() {
        f.mem.write8(DATA, 0x80);
        Cpu c = run(0, 0, 0, 0, 0xC0, 0x3E, 0x07);           // sar byte [esi], 7
        assertEquals(0xFF, f.mem.read8(DATA));
        assertFlags(Flags.SF | Flags.AF | Flags.PF, c);
    }

    @Test
    void shldWordWithCountAboveSixteen() {
        Cpu c = run(0x1234, 0x5678, 0, 0, 0x66, 0x0F, 0xA4, 0xD8, 0x14);   // shld ax, bx, 20
        assertEquals(0x6785, c.r[Cpu.EAX]);
        assertFlags(Flags.AF, c);
    }

    @Test
    void shrdByCl() {
        Cpu c = run(0x1234_5678, 0x9ABC_DEF0, 4, 0, 0x0F, 0xAD, 0xD8);   // shrd eax, ebx, cl
        assertEquals(0x0123_4567, c.r[Cpu.EAX]);
        assertFlags(Flags.AF | Flags.CF, c);
    }

    @Test
    void btWithNegativeRegisterOffsetAddressesBelowTheOperand() {
        f.mem.write32(DATA - 4, 0x8000_0000);
        Cpu c = run(-1, 0, 0, Flags.ZF, 0x0F, 0xA3, 0x06);   // bt [esi], eax (bit -1)
        assertFlags(Flags.ZF | Flags.CF, c);
    }

    @Test
    void btsWordWithMostNegativeOffset() {
        Cpu c = run(0x8000, 0, 0, Flags.CF, 0x66, 0x0F, 0xAB, 0x06);   // bts word [esi], ax
        assertEquals(0x01, f.mem.read8(DATA - 4096));
        assertFlags(0, c);
    }

    @Test
    void btRegisterOffsetIsTakenModuloTheWidth() {
        Cpu c = run(0, 0x10, 0, 0, 0x0F, 0xBA, 0xFB, 0x23);  // btc ebx, 35 -> bit 3
        assertEquals(0x18, c.r[Cpu.EBX]);
        assertFlags(0, c);
        c = run(0x24, 0x10, 0, 0, 0x0F, 0xB3, 0xC3);         // btr ebx, eax (36 -> bit 4)
        assertEquals(0, c.r[Cpu.EBX]);
        assertFlags(Flags.CF, c);
    }

    @Test
    void bsfOfZeroSetsZfAndKeepsDestination() {
        Cpu c = run(0x1234, 0, 0, STATUS, 0x0F, 0xBC, 0xC3); // bsf eax, ebx
        assertEquals(0x1234, c.r[Cpu.EAX]);
        assertFlags(STATUS, c);
    }

    @Test
    void bsfAndBsr() {
        Cpu c = run(0x1234, 0x8000, 0, Flags.ZF, 0x0F, 0xBC, 0xC3);          // bsf eax, ebx
        assertEquals(15, c.r[Cpu.EAX]);
        assertFlags(0, c);
        c = run(0xABCD_1234, 0x0F00, 0, 0, 0x66, 0x0F, 0xBD, 0xC3);         // bsr ax, bx
        assertEquals(0xABCD_000BL, c.r[Cpu.EAX]);
        assertFlags(0, c);
    }

    @Test
    void setccUsesTheConditionNibble() {
        Cpu c = run(-1, 0, 0, Flags.SF | Flags.OF, 0x0F, 0x9C, 0xC0);       // setl al
        assertEquals(0xFFFF_FF00L, c.r[Cpu.EAX]);
        c = run(-1, 0, 0, Flags.OF, 0x0F, 0x9C, 0xC0);
        assertEquals(0xFFFF_FF01L, c.r[Cpu.EAX]);
        c = run(0, 0, 0, Flags.ZF, 0x0F, 0x94, 0x06);                        // sete [esi]
        assertEquals(1, f.mem.read8(DATA));
    }

    @Test
    void faultingWriteLeavesMemoryAndFlagsUnchanged() {
        // ES = a read-only flat data segment: reads succeed, the write raises #GP(0).
        f.setGdt(4, CpuFixture.descriptor(0, 0xFFFF_FFFFL, 0x91, 0x4));
        f.loadSeg(Cpu.ES, 0x20);
        f.mem.write32(DATA, 0x1234_5678);
        Cpu c = run(0, 0, 0, Flags.CF | Flags.ZF, 0x26, 0x0F, 0xBA, 0x2E, 0x00);   // bts dword es:[esi], 0
        assertEquals(STUB + 1, c.rip, "#GP delivered");
        assertEquals(0x1234_5678, f.mem.read32(DATA));
        assertFlags(Flags.CF | Flags.ZF, c);
        c = run(0, 0, 1, Flags.ZF, 0x26, 0xD3, 0x26);                        // shl dword es:[esi], cl
        assertEquals(STUB + 1, c.rip, "#GP delivered");
        assertEquals(0x1234_5678, f.mem.read32(DATA));
        assertFlags(Flags.ZF, c);
    }
}

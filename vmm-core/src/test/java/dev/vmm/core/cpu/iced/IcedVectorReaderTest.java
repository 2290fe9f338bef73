package dev.vmm.core.cpu.iced;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Checks {@link IcedVectorReader} against the staged iced test vectors and the counts in their README. */
class IcedVectorReaderTest {
    private static final Logger LOG = LoggerFactory.getLogger(IcedVectorReaderTest.class);

    /** Skips the calling test (reported as skipped, with the path) when the data is not staged. */
    private static void assumeData() {
        Path dir = IcedVectorReader.icedDir();
        Assumptions.assumeTrue(Files.isDirectory(dir.resolve("Decoder")),
                "iced decoder vectors not found at " + dir
                        + " (set -Dvmm.testdata=<dir containing iced-decoder-vectors>); skipping");
    }

    /** README: test lines / INVALID lines / lines that need a decopt= (a line may carry several decopt= tokens). */
    @ParameterizedTest
    @CsvSource({"16, 20255, 684, 747", "32, 20257, 685, 745", "64, 38099, 2201, 8649"})
    void decoderTestCountsMatchReadme(int bitness, int lines, int invalid, int needDecopt) throws IOException {
        assumeData();
        long t0 = System.nanoTime();
        List<IcedCase> cases = IcedVectorReader.readDecoderTests(IcedVectorReader.decoderTestFile(bitness), bitness);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(lines, cases.size());
        assertEquals(invalid, cases.stream().filter(IcedCase::invalid).count());
        assertEquals(needDecopt, cases.stream().filter(c -> c.decopt() != null).count());
        long subset = cases.stream().filter(IcedCase::inImplementedSubset).count();
        for (IcedCase c : cases) {
            assertEquals(c.opCount(), c.operands().size(), c.toString());
            if (c.invalid()) {
                assertEquals(0, c.opCount(), c.toString());
                assertNotNull(c.originalCode(), c.toString());
            }
            for (IcedCase.Operand op : c.operands()) {
                assertFalse(op.kind() == IcedCase.Kind.OTHER, c + " has an unknown operand kind " + op);
            }
        }
        LOG.info("DecoderTest{}: {} lines, {} INVALID, {} with decopt, {} in basic subset, read in {} ms", bitness,
                cases.size(), invalid, needDecopt, subset, ms);
        assertTrue(subset > 0 && subset < lines);
    }

    @Test
    void spotCheck32() throws IOException {
        assumeData();
        Map<String, IcedCase> byHex = firstByHex(32);

        IcedCase add = byHex.get("F0660118");
        assertEquals("Add_rm16_r16", add.code());
        assertEquals("Add", add.mnemonic());
        assertEquals(2, add.opCount());
        assertEquals(4, add.length());
        assertTrue(add.lock());
        assertFalse(add.prefixes().rep() || add.prefixes().repe() || add.prefixes().repne());
        assertNull(add.segmentPrefix());
        assertNull(add.decopt());
        assertNull(add.error());
        assertFalse(add.invalid());
        assertTrue(add.inImplementedSubset());
        IcedCase.Operand m = add.operand(0);
        assertEquals(IcedCase.Kind.MEMORY, m.kind());
        assertEquals("ds", m.memSegment());
        assertEquals("eax", m.memBase());
        assertNull(m.memIndex());
        assertEquals(1, m.memScale());
        assertEquals(0, m.memDispl());
        assertEquals(0, m.memDisplSize());
        assertEquals("UInt16", m.memorySize());
        assertEquals(IcedCase.Kind.REGISTER, add.operand(1).kind());
        assertEquals("bx", add.operand(1).register());

        IcedCase imm = byHex.get("05A55A3412");
        assertEquals("Add_EAX_imm32", imm.code());
        assertEquals("eax", imm.operand(0).register());
        assertEquals("i32", imm.operand(1).immediateKind());
        assertEquals(0x12345AA5L, imm.operand(1).immediate());
        assertEquals(new IcedCase.ConstantOffsets(1, 4, 0, 0, 0, 0), imm.constantOffsets());

        IcedCase far = byHex.get("9A123456789ABC");
        assertEquals(IcedCase.Kind.FAR_BRANCH, far.operand(0).kind());
        assertEquals(32, far.operand(0).branchSize());
        assertEquals(0xBC9A, far.operand(0).farSelector());
        assertEquals(0x78563412L, far.operand(0).branchTarget());

        IcedCase jo = byHex.get("2E6670A5");
        assertEquals("Jo_rel8_16", jo.code());
        assertEquals(IcedCase.Kind.NEAR_BRANCH, jo.operand(0).kind());
        assertEquals(0xFF99L, jo.operand(0).branchTarget());
        assertEquals("cs", jo.segmentPrefix());
        assertEquals(0x7FFFFFF0L, jo.ip());

        IcedCase bad = byHex.get("F001CE");
        assertTrue(bad.invalid());
        assertEquals("Add_rm32_r32", bad.originalCode());
        assertEquals(0, bad.opCount());

        IcedCase hle = byHex.get("F0F20038");
        assertTrue(hle.lock() && hle.prefixes().xacquire() && hle.prefixes().repne());
    }

    @Test
    void spotCheck16() throws IOException {
        assumeData();
        Map<String, IcedCase> byHex = firstByHex(16);

        IcedCase add = byHex.get("0038");
        assertEquals("Add_rm8_r8", add.code());
        IcedCase.Operand m = add.operand(0);
        assertEquals("bx", m.memBase());
        assertEquals("si", m.memIndex());
        assertEquals("UInt8", m.memorySize());
        assertEquals("bh", add.operand(1).register());

        IcedCase enter = byHex.get("C85AA5A6");
        assertEquals("Enterw_imm16_imm8", enter.code());
        assertEquals(0xA55AL, enter.operand(0).immediate());
        assertEquals("i8_2nd", enter.operand(1).immediateKind());
        assertEquals(0xA6L, enter.operand(1).immediate());
        assertEquals(new IcedCase.ConstantOffsets(1, 2, 3, 1, 0, 0), enter.constantOffsets());

        IcedCase jo = byHex.get("705A");
        assertEquals(0x804CL, jo.operand(0).branchTarget());
        assertEquals(16, jo.operand(0).branchSize());
        assertEquals(0x7FF0L, jo.ip());

        IcedCase evex = byHex.get("62F17C8B105001");
        assertFalse(evex.inImplementedSubset());
        assertTrue(evex.otherTokens().contains("k3") && evex.otherTokens().contains("zmsk"));
    }

    @Test
    void miscFilesShareTheFormat() throws IOException {
        assumeData();
        for (int bitness : new int[] {16, 32}) {
            List<IcedCase> misc = IcedVectorReader.readDecoderTests(IcedVectorReader.decoderMiscFile(bitness),
                    bitness);
            assertEquals(56, misc.size(), "DecoderTestMisc" + bitness);
            IcedCase empty = misc.stream().filter(c -> c.length() == 0).findFirst().orElseThrow();
            assertTrue(empty.invalid());
            assertEquals("NoMoreBytes", empty.error());
            IcedCase tooLong = misc.stream().filter(c -> c.length() == 16).findFirst().orElseThrow();
            assertTrue(tooLong.invalid(), tooLong.toString());
            IcedCase ok15 = misc.stream().filter(c -> c.length() == 15).findFirst().orElseThrow();
            assertFalse(ok15.invalid(), ok15.toString());
            assertEquals("es", ok15.segmentPrefix());
            assertArrayEquals(new byte[] {0x26, 0x01, (byte) 0xCE}, ok15.encodedBytes());
            LOG.info("DecoderTestMisc{}: {} lines, {} INVALID ({} NoMoreBytes)", bitness, misc.size(),
                    misc.stream().filter(IcedCase::invalid).count(),
                    misc.stream().filter(c -> "NoMoreBytes".equals(c.error())).count());
        }
    }

    @Test
    void instructionInfoFlags() throws IOException {
        assumeData();
        List<IcedInfo> i16 = IcedVectorReader.readInstructionInfo(IcedVectorReader.instructionInfoFile(16), 16);
        List<IcedInfo> i32 = IcedVectorReader.readInstructionInfo(IcedVectorReader.instructionInfoFile(32), 32);
        List<IcedInfo> i64 = IcedVectorReader.readInstructionInfo(IcedVectorReader.instructionInfoFile(64), 64);
        assertEquals(356, i16.size());
        assertEquals(974, i32.size());
        assertEquals(11143, i64.size());
        Map<String, IcedInfo> idx32 = IcedVectorReader.indexInfo(i32);
        LOG.info("InstructionInfo: {} / {} / {} lines; 32-bit: {} distinct keys, {} in basic subset, {} with fu=",
                i16.size(), i32.size(), i64.size(), idx32.size(),
                i32.stream().filter(IcedInfo::inImplementedSubset).count(),
                i32.stream().filter(i -> i.undefinedMask() != 0).count());

        IcedInfo daa = idx32.get(IcedInfo.key(new byte[] {0x27}, "Daa"));
        assertEquals("ca", daa.flagsRead());
        assertEquals(IcedInfo.CF | IcedInfo.AF, daa.readMask());
        assertEquals(IcedInfo.CF | IcedInfo.AF | IcedInfo.SF | IcedInfo.ZF | IcedInfo.PF, daa.writtenMask());
        assertEquals(IcedInfo.OF, daa.undefinedMask());

        IcedInfo aam = idx32.get("D40A|Aam_imm8");
        assertEquals(IcedInfo.OF | IcedInfo.AF | IcedInfo.CF, aam.undefinedMask());
        assertEquals(0x811, aam.undefinedMask());

        IcedInfo pushfd = idx32.get("9C|Pushfd");
        assertEquals(0x40ED5, pushfd.readMask()); // o s z a c p i d A
        assertTrue(pushfd.otherTokens().contains("stack=-4"));

        IcedInfo sub = idx32.get("28C9|Sub_rm8_r8");
        assertEquals(IcedInfo.AF | IcedInfo.CF | IcedInfo.OF | IcedInfo.SF, sub.clearedMask());
        assertEquals(IcedInfo.PF | IcedInfo.ZF, sub.setMask());
        assertEquals(sub.clearedMask() | sub.setMask(), sub.modifiedMask());

        IcedInfo fnsave = IcedVectorReader.indexInfo(i16).get("DD30|Fnsave_m94byte");
        assertEquals("0123", fnsave.flagsCleared());
        assertEquals(0, fnsave.clearedMask());
        assertEquals(0x4700, IcedInfo.fpuConditionBits(fnsave.flagsCleared()));
    }

    @Test
    void malformedLinesAreReported() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IcedVectorReader.parseDecoderLine("01 CE, Add_rm16_r16, Add, 2", 7, 16));
        assertTrue(e.getMessage().contains("commas"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> IcedVectorReader.parseDecoderLine("01 CE, Add_rm16_r16, Add, 2, op0=r;si", 7, 16));
        assertThrows(IllegalArgumentException.class,
                () -> IcedVectorReader.parseDecoderLine("01 C, Add_rm16_r16, Add, 0, ", 7, 16));
        assertThrows(IllegalArgumentException.class,
                () -> IcedVectorReader.parseDecoderLine("F0 01 CE, INVALID, INVALID, 0, ", 7, 16));
        assertThrows(IllegalArgumentException.class,
                () -> IcedVectorReader.parseInfoLine("27, Daa, Legacy, INTEL8086, fu=q", 3, 16));
    }

    private static Map<String, IcedCase> firstByHex(int bitness) throws IOException {
        List<IcedCase> cases = IcedVectorReader.readDecoderTests(IcedVectorReader.decoderTestFile(bitness), bitness);
        Map<String, IcedCase> m = new java.util.LinkedHashMap<>();
        for (IcedCase c : cases) {
            if (c.decopt() == null) {
                m.putIfAbsent(c.hex(), c);
            }
        }
        return m;
    }
}

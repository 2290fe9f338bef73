package dev.vmm.core.cpu.sst;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Self-test of the {@link SstRunner} harness: it must pass genuine vectors and must catch a wrong register, a
 * wrong RAM byte and an exception the hardware did not take (reported through the sentinel handlers).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SstRunnerTest {
    private SstMachine machine;
    private SstRunner runner;
    private MooReader.MooFile add;

    @BeforeAll
    void setUp() throws IOException {
        Path file = MooReader.mooDir().resolve("00" + MooReader.SUFFIX);
        Assumptions.assumeTrue(Files.exists(file), "SingleStepTests 80286 data not found at " + file + "; skipping");
        machine = new SstMachine();
        runner = new SstRunner(machine, SstMetadata.loadDefault(), Set.of(), 3);
        MooReader.MooFile f = MooReader.read(file);
        add = new MooReader.MooFile(f.path(), f.key(), f.majorVersion(), f.minorVersion(), f.cpuId(), f.meta(),
                f.tests().subList(0, 50));
    }

    @AfterAll
    void tearDown() {
        if (machine != null) {
            machine.close();
        }
    }

    private SstFileResult run(List<SstTest> tests) {
        return runner.run(new MooReader.MooFile(add.path(), add.key(), add.majorVersion(), add.minorVersion(),
                add.cpuId(), add.meta(), tests));
    }

    @Test
    void genuineVectorsPass() {
        SstFileResult r = run(add.tests());
        assertEquals(50, r.total);
        assertEquals(50, r.passed + r.skipped, r.examples.toString());
        assertEquals(0, r.failed);
    }

    @Test
    void wrongRegisterIsReported() {
        // add [bx+0Eh],bl: claim the hardware also changed AX.
        SstTest t = add.tests().getFirst();
        int[] v = t.finalRegs().values();
        v[Reg16.AX.ordinal()] = t.initialRegs().get(Reg16.AX) ^ 1;
        SstTest bad = withFinal(t, new SstTest.Registers(t.finalRegs().mask() | Reg16.AX.bit(), v), t.finalRam());
        SstFileResult r = run(List.of(bad));
        assertEquals(1, r.failed);
        assertTrue(r.examples.getFirst().contains("AX    expected"), r.examples.getFirst());
        assertEquals(1, r.diffKinds.get("AX"));
    }

    @Test
    void wrongRamByteIsReported() {
        SstTest t = add.tests().getFirst();
        List<SstTest.RamEntry> ram = new ArrayList<>(t.finalRam());
        SstTest.RamEntry e = ram.getFirst();
        ram.set(0, new SstTest.RamEntry(e.address(), e.value() ^ 0x80));
        SstFileResult r = run(List.of(withFinal(t, t.finalRegs(), ram)));
        assertEquals(1, r.failed);
        assertTrue(r.examples.getFirst().contains(String.format("RAM[%06X]", e.address())), r.examples.getFirst());
    }

    @Test
    void unexpectedExceptionHaltsAtSentinel() {
        // Point the instruction at an opcode our CPU rejects (8F /1 with a register operand: #UD); the test
        // provides no IVT entry 6, so the sentinel handler must report int 6.
        SstTest t = add.tests().getFirst();
        int[] init = t.initialRegs().values();
        int at = (init[Reg16.CS.ordinal()] << 4) + init[Reg16.IP.ordinal()];
        List<SstTest.RamEntry> ram = new ArrayList<>();
        for (SstTest.RamEntry e : t.initialRam()) {
            int val = e.address() == at ? 0x8F : e.address() == at + 1 ? 0xC8 : e.value();
            ram.add(new SstTest.RamEntry(e.address(), val));
        }
        SstTest bad = new SstTest(t.index(), t.name(), t.bytes(), new SstTest.State(t.initialRegs(), ram),
                t.finalState(), null, t.hash());
        SstFileResult r = run(List.of(bad));
        assertEquals(1, r.failed);
        assertTrue(r.examples.getFirst().contains("our CPU raised int 6 (#UD)"), r.examples.getFirst());
    }

    private static SstTest withFinal(SstTest t, SstTest.Registers regs, List<SstTest.RamEntry> ram) {
        return new SstTest(t.index(), t.name(), t.bytes(), t.initial(), new SstTest.State(regs, ram), t.exception(),
                t.hash());
    }
}

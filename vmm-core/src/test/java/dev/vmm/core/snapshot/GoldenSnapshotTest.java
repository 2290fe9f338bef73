package dev.vmm.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.cpu.CpuFixture;
import dev.vmm.core.cpu.CpuState;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The compatibility promise: the golden file written by format version 1 loads, exactly, in this
 * vmm. The file is committed and never regenerated once released; to create it the first time run
 * this test with {@code -Dvmm.snapshot.regenerate=true}.
 */
class GoldenSnapshotTest {

    private static Path golden() throws Exception {
        var url = GoldenSnapshotTest.class.getResource(GoldenV1.RESOURCE);
        assertTrue(url != null, "missing test resource " + GoldenV1.RESOURCE);
        return Path.of(url.toURI());
    }

    @Test
    void goldenV1LoadsWithTheExactState() throws Exception {
        Path file = golden();
        assertTrue(Files.size(file) < 20 << 10, "golden file stays small: " + Files.size(file));
        Snapshot snap = SnapshotReader.read(file, SnapshotReader.CORE_SECTIONS);
        assertEquals(1, snap.formatVersion());
        assertEquals(GoldenV1.NOTE, snap.note());
        assertEquals(List.of("cpu", "ram"), snap.sections().stream().map(Snapshot.Section::name).toList());

        CpuState state = CpuSection.read(snap.require(CpuSection.NAME));
        assertEquals(GoldenV1.state(), state);

        byte[] ram = new byte[GoldenV1.RAM_BYTES];
        java.util.Arrays.fill(ram, (byte) 0x5A); // omitted zero pages must be cleared
        RamSection.read(snap.require(RamSection.NAME), MemorySegment.ofArray(ram));
        assertArrayEquals(GoldenV1.ram(), ram);
    }

    @Test
    void goldenV1StateRestoresIntoACpu() throws Exception {
        Snapshot snap = SnapshotReader.read(golden(), SnapshotReader.CORE_SECTIONS);
        CpuState state = CpuSection.read(snap.require(CpuSection.NAME));
        try (CpuFixture f = new CpuFixture()) {
            f.cpu.restore(state);
            assertEquals(state, f.cpu.save());
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "vmm.snapshot.regenerate", matches = "true")
    void regenerateGoldenV1() throws Exception {
        Path target = Path.of("src/test/resources" + GoldenV1.RESOURCE);
        Files.createDirectories(target.getParent());
        GoldenV1.write(target);
    }
}

package dev.vmm.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.CpuFixture;
import dev.vmm.core.cpu.CpuState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot container: round trip, every refusal, and the atomic write. */
class SnapshotContainerTest {
    private static final String NOTE = "test";
    /** Offset of the first section frame: magic, version, flags, note length, note. */
    private static final int FIRST_SECTION = 8 + 2 + 2 + 2 + NOTE.length();

    @TempDir
    Path dir;

    private static SnapshotWriter writer(CpuFixture f) {
        CpuState s = f.cpu.save();
        MemorySegment ram = f.mem.ram();
        return new SnapshotWriter(NOTE)
                .section(CpuSection.NAME, CpuSection.VERSION, false, out -> CpuSection.write(out, s))
                .section(RamSection.NAME, RamSection.VERSION, false, out -> RamSection.write(out, ram));
    }

    /** A snapshot of the test guest stopped after 1000 instructions. */
    private Path sample() throws IOException {
        Path file = dir.resolve("vm.vmmsnap");
        try (CpuFixture f = TestGuest.create()) {
            f.run(1000);
            writer(f).writeTo(file);
        }
        return file;
    }

    private static String refusal(Path file) {
        return refusal(file, SnapshotReader.CORE_SECTIONS);
    }

    private static String refusal(Path file, Set<String> known) {
        String msg = assertThrows(SnapshotFormatException.class, () -> SnapshotReader.read(file, known)).getMessage();
        assertFalse(msg.contains("\n"), "one-line message: " + msg);
        return msg;
    }

    private static Path patched(Path file, int offset, int xor) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[offset] ^= (byte) xor;
        Path out = file.resolveSibling("patched-" + offset);
        Files.write(out, b);
        return out;
    }

    @Test
    void roundTripRestoresAVmThatRunsOnIdentically() throws IOException {
        Path file = dir.resolve("vm.vmmsnap");
        try (CpuFixture a = TestGuest.create(); CpuFixture b = TestGuest.blank()) {
            assertEquals(Cpu.Exit.LIMIT, a.run(1000));
            writer(a).writeTo(file);
            assertTrue(Files.size(file) < 64 << 10, "16 MiB of mostly zero RAM stays small: " + Files.size(file));

            Snapshot snap = SnapshotReader.read(file, SnapshotReader.CORE_SECTIONS);
            assertEquals(NOTE, snap.note());
            b.mem.ram().fill((byte) 0x77); // every page must be overwritten, zero pages included
            RamSection.read(snap.require(RamSection.NAME), b.mem.ram());
            b.cpu.restore(CpuSection.read(snap.require(CpuSection.NAME)));
            assertEquals(a.cpu.save(), b.cpu.save());
            assertEquals(-1, a.mem.ram().mismatch(b.mem.ram()));
            int steps = TestGuest.lockstep(a, b, 100_000);
            assertTrue(a.cpu.halted && steps > 1000, "continued to HLT: " + steps);
        }
    }

    @Test
    void unknownOptionalSectionIsSkippedUnknownRequiredIsRefused() throws IOException {
        Path optional = dir.resolve("optional.vmmsnap");
        Path required = dir.resolve("required.vmmsnap");
        try (CpuFixture f = TestGuest.create()) {
            writer(f).section("gpu", 3, true, out -> out.utf8("whatever")).writeTo(optional);
            writer(f).section("gpu", 3, false, out -> out.utf8("whatever")).writeTo(required);
        }
        Snapshot snap = SnapshotReader.read(optional, SnapshotReader.CORE_SECTIONS);
        assertEquals(List.of("cpu", "ram"), snap.sections().stream().map(Snapshot.Section::name).toList());
        assertTrue(snap.find("gpu").isEmpty());
        assertTrue(refusal(required).contains("unknown required section 'gpu' (version 3)"), refusal(required));
        // A reader that knows the section keeps it, whatever its flag.
        Snapshot withGpu = SnapshotReader.read(required, Set.of("cpu", "ram", "gpu"));
        assertEquals("whatever", withGpu.require("gpu").utf8());
    }

    @Test
    void wrongMagicIsRefused() throws IOException {
        Path file = patched(sample(), 3, 0x20);
        assertEquals("not a vmm snapshot (wrong magic)", refusal(file));
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello, this is not a snapshot");
        assertEquals("not a vmm snapshot (wrong magic)", refusal(text));
    }

    @Test
    void newerFormatVersionIsRefused() throws IOException {
        Path file = patched(sample(), 8, 0x01); // version 2 -> 3
        assertEquals("written by a newer vmm: format version 3, this vmm reads up to 2", refusal(file));
    }

    @Test
    void newerSectionVersionIsRefusedByItsCodec() throws IOException {
        Path file = dir.resolve("v2.vmmsnap");
        try (CpuFixture f = TestGuest.create()) {
            CpuState s = f.cpu.save();
            new SnapshotWriter(NOTE).section(CpuSection.NAME, 2, false, out -> CpuSection.write(out, s)).writeTo(file);
        }
        SectionInput in = SnapshotReader.read(file, SnapshotReader.CORE_SECTIONS).require(CpuSection.NAME);
        String msg = assertThrows(SnapshotFormatException.class, () -> CpuSection.read(in)).getMessage();
        assertEquals("section 'cpu' has version 2, this vmm reads up to 1", msg);
    }

    @Test
    void aFlippedPayloadByteIsACrcErrorNamingTheSection() throws IOException {
        Path file = sample();
        int cpuPayload = FIRST_SECTION + 2 + 3 + 2 + 2 + 8;
        assertEquals("corrupted file: checksum mismatch in section 'cpu'", refusal(patched(file, cpuPayload + 20, 1)));
        int cpuLength = 16 * 8 + 8 + 4 + 8 * (2 + 8 + 8 + 2 + 1) + 8 + 4 + 8 + 4 + 6 * 8 + 8 * 8 + 1 + 6 * 8 + 4 + 8;
        int ramPayload = cpuPayload + cpuLength + 4 + 2 + 3 + 2 + 2 + 8;
        assertEquals("corrupted file: checksum mismatch in section 'ram'", refusal(patched(file, ramPayload + 100, 0x80)));
        // The CRC itself damaged: same verdict.
        assertEquals("corrupted file: checksum mismatch in section 'cpu'", refusal(patched(file, cpuPayload + cpuLength, 4)));
    }

    @Test
    void damageOutsidePayloadsIsCaughtByTheTrailer() throws IOException {
        Path file = sample();
        long size = Files.size(file);
        assertTrue(refusal(patched(file, 15, 1)).startsWith("corrupted file: CRC-32C mismatch"), "note byte");
        assertTrue(refusal(patched(file, (int) size - 1, 1)).startsWith("corrupted file: CRC-32C mismatch"), "checksum");
        assertEquals("corrupted file: the trailer counts 3 sections, the file has 2",
                refusal(patched(file, (int) size - 4 - 4, 1)));
        Path longer = dir.resolve("longer.vmmsnap");
        byte[] b = Files.readAllBytes(file);
        Files.write(longer, Arrays.copyOf(b, b.length + 1));
        assertEquals("corrupted file: 1 bytes after the trailer", refusal(longer));
    }

    @Test
    void truncationAnywhereIsRefused() throws IOException {
        Path file = sample();
        byte[] b = Files.readAllBytes(file);
        int cpuPayload = FIRST_SECTION + 2 + 3 + 2 + 2 + 8;
        int[] cuts = {0, 5, 8, 11, FIRST_SECTION - 1, FIRST_SECTION, FIRST_SECTION + 3, cpuPayload - 1, cpuPayload + 50,
            b.length / 2, b.length - 40, b.length - 9, b.length - 5, b.length - 1};
        for (int cut : cuts) {
            Path t = dir.resolve("cut-" + cut);
            Files.write(t, Arrays.copyOf(b, cut));
            String msg = refusal(t);
            assertTrue(msg.startsWith("truncated file"), cut + ": " + msg);
        }
    }

    @Test
    void aFailedWriteLeavesTheOldSnapshotIntactAndNoTempFile() throws IOException {
        Path file = sample();
        byte[] before = Files.readAllBytes(file);
        try (CpuFixture f = TestGuest.create()) {
            SnapshotWriter failing = writer(f).section("dev", 1, false, out -> {
                out.u64(1);
                throw new IOException("device refused to save");
            });
            IOException e = assertThrows(IOException.class, () -> failing.writeTo(file));
            assertEquals("device refused to save", e.getMessage());
            SnapshotWriter unchecked = writer(f).section("dev", 1, false, out -> {
                throw new UncheckedIOException(new IOException("boom"));
            });
            assertThrows(UncheckedIOException.class, () -> unchecked.writeTo(dir.resolve("new.vmmsnap")));
        }
        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file, no half-written new file");
        }
        SnapshotReader.read(file, SnapshotReader.CORE_SECTIONS);
    }

    @Test
    void aSuccessfulWriteReplacesTheOldSnapshot() throws IOException {
        Path file = sample();
        try (CpuFixture f = TestGuest.create()) {
            f.run(5);
            new SnapshotWriter("second").section(CpuSection.NAME, 1, false, out -> CpuSection.write(out, f.cpu.save()))
                    .writeTo(file);
            Snapshot snap = SnapshotReader.read(file, SnapshotReader.CORE_SECTIONS);
            assertEquals("second", snap.note());
            assertEquals(f.cpu.save(), CpuSection.read(snap.require(CpuSection.NAME)));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void sectionInputBoundsChecksNameTheSectionAndOffset() throws SnapshotFormatException {
        SectionInput in = new SectionInput("cpu", 1, new byte[] {1, 2, 3, 4, 5, 6});
        assertThrows(SnapshotFormatException.class, in::u64);
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> {
            in.u32();
            in.u32();
        });
        assertEquals("section 'cpu' at payload offset 4: needs 4 bytes, only 2 left in the 6-byte payload",
                e.getMessage());
        SectionInput bad = new SectionInput("x", 1, new byte[] {2});
        assertThrows(SnapshotFormatException.class, bad::bool);
        SectionInput str = new SectionInput("x", 1, new SectionOutput().utf8("héllo").u8(7).buffer());
        assertEquals("héllo", str.utf8());
        assertEquals(7, str.u8());
        SnapshotFormatException end = assertThrows(SnapshotFormatException.class, str::expectEnd);
        assertTrue(end.getMessage().startsWith("section 'x' at payload offset 11:"), end.getMessage());
    }

    @Test
    void ramIsSparseAndExact() throws IOException {
        byte[] ram = new byte[3 * 1024 * 1024 + 4096]; // 3 whole chunks and a one-page tail
        ram[5] = 1;
        ram[2 * 1024 * 1024 + 4095] = (byte) 0xFF;
        ram[ram.length - 1] = 9;
        for (int k = 0; k < 4096; k++) {
            ram[4096 * 700 + k] = (byte) (k * 31 + 7);
        }
        SectionOutput out = new SectionOutput();
        RamSection.write(out, MemorySegment.ofArray(ram));
        assertTrue(out.size() < 12_000, "zero pages omitted, the rest compressed: " + out.size());
        byte[] back = new byte[ram.length];
        Arrays.fill(back, (byte) 0x33);
        RamSection.read(new SectionInput("ram", RamSection.VERSION, Arrays.copyOf(out.buffer(), out.size())),
                MemorySegment.ofArray(back));
        assertArrayEquals(ram, back);

        byte[] small = new byte[4096 * 2];
        String msg = assertThrows(SnapshotFormatException.class, () -> RamSection.read(
                new SectionInput("ram", 1, Arrays.copyOf(out.buffer(), out.size())), MemorySegment.ofArray(small)))
                .getMessage();
        assertTrue(msg.contains("RAM size 3149824 differs from this machine's 8192"), msg);
        byte[] damaged = Arrays.copyOf(out.buffer(), out.size());
        damaged[damaged.length - 3] ^= 0x55; // inside the last chunk's zstd frame (its checksum catches it)
        assertThrows(SnapshotFormatException.class, () -> RamSection.read(
                new SectionInput("ram", RamSection.VERSION, damaged),
                MemorySegment.ofArray(new byte[ram.length])));
    }
}

package dev.vmm.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Guest RAM's host mapping: zeroed, usable to its last byte, and on Linux one mapping of exactly its
 * size on a 2 MiB boundary, advised for transparent huge pages (read back from
 * {@code /proc/self/smaps}).
 */
class RamTest {
    private static final long MIB = 1 << 20;
    private static final Path SMAPS = Path.of("/proc/self/smaps");

    @Test
    void zeroedAndUsableToItsEnd() {
        long size = 6 * MIB + 4096;
        try (Ram ram = Ram.allocate(size)) {
            MemorySegment m = ram.segment();
            assertEquals(size, ram.size());
            for (long at : new long[] {0, 4095, 2 * MIB, size - 1}) {
                assertEquals(0, m.get(ValueLayout.JAVA_BYTE, at), "fresh RAM at " + at);
                m.set(ValueLayout.JAVA_BYTE, at, (byte) 0x5A);
                assertEquals(0x5A, m.get(ValueLayout.JAVA_BYTE, at));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> m.get(ValueLayout.JAVA_BYTE, size));
        }
    }

    @Test
    void aHugePageAlignedMappingOfItsOwnAdvisedForHugePages() throws IOException {
        assumeTrue(Files.isReadable(SMAPS), "no /proc/self/smaps (not Linux): RAM comes from an arena there");
        long size = 8 * MIB;
        try (Ram ram = Ram.allocate(size)) {
            long start = ram.segment().address();
            assertEquals(0, start % (2 * MIB), "the mapping starts on a 2 MiB boundary");
            List<String> vma = vma(start);
            String[] range = vma.get(0).split(" ")[0].split("-");
            assertEquals(start, Long.parseUnsignedLong(range[0], 16), vma.get(0));
            assertEquals(start + size, Long.parseUnsignedLong(range[1], 16),
                    "the slack before and after the boundary is unmapped again: " + vma.get(0));
            if (Files.exists(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"))) {
                String flags = vma.stream().filter(l -> l.startsWith("VmFlags:")).findFirst().orElseThrow();
                assertTrue(List.of(flags.substring(8).trim().split(" ")).contains("hg"),
                        "advised for huge pages (MADV_HUGEPAGE sets 'hg'): " + flags);
            }
        }
    }

    /** The lines of {@code /proc/self/smaps} about the mapping that contains {@code address}. */
    private static List<String> vma(long address) throws IOException {
        List<String> lines = Files.readAllLines(SMAPS);
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            int dash = l.indexOf('-');
            int space = l.indexOf(' ');
            if (dash > 0 && space > dash && l.substring(0, dash).matches("[0-9a-f]+")) {
                long from = Long.parseUnsignedLong(l.substring(0, dash), 16);
                long to = Long.parseUnsignedLong(l.substring(dash + 1, space), 16);
                if (from <= address && address < to) {
                    int end = i + 1;
                    while (end < lines.size() && !lines.get(end).matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                        end++;
                    }
                    return lines.subList(i, end);
                }
            }
        }
        throw new AssertionError("no mapping holds " + Long.toHexString(address));
    }
}

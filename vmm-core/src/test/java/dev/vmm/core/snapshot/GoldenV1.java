package dev.vmm.core.snapshot;

import dev.vmm.core.cpu.CpuState;
import dev.vmm.core.cpu.CpuState.SegmentState;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * The content of {@code snapshots/golden-v1.vmmsnap}, spelled out as literals (never computed by
 * the code under test): a ring-0 flat 32-bit CPU with PAE paging on, and 64 KiB of RAM with a
 * pattern and some all-zero pages. Never change these values: the file is the compatibility
 * promise for format version 1 and section versions cpu 1, ram 1.
 */
final class GoldenV1 {
    static final String RESOURCE = "/snapshots/golden-v1.vmmsnap";
    static final String NOTE = "golden v1: vmm-core snapshot compatibility fixture";
    static final int RAM_BYTES = 64 << 10;
    /** Pages of the 16 left all-zero (omitted from the file). */
    static final List<Integer> ZERO_PAGES = List.of(3, 4, 9, 15);

    private GoldenV1() {
    }

    static CpuState state() {
        int code32 = 0x4C9B;   // P S code RW A, D/B, G
        int data32 = 0xC093;
        SegmentState data = new SegmentState(0x10, 0, 0xFFFF_FFFFL, data32, true);
        List<SegmentState> segs = List.of(
                data,                                                         // ES
                new SegmentState(0x08, 0, 0xFFFF_FFFFL, code32, true),        // CS
                data,                                                         // SS
                data,                                                         // DS
                new SegmentState(0x10, 0x6_0000, 0xFFFF, 0x4093, true),       // FS
                new SegmentState(0, 0, 0, 0, false));                         // GS: null
        long[] r = {0x8000_0011L, 0xFFFF_FFFFL, 0x100, 0x1234_5678L, 0x8FF0, 0x8FFC, 0x5_0000, 0xDEAD_BEEFL,
                0, 0, 0, 0, 0, 0, 0, 0};
        long[] dr = {0x1_0000, 0, 0, 0, 0, 0, 0xFFFF_0FF0L, 0x401};
        return new CpuState(r, 0x1_0029, 0x0000_0287, segs,
                new SegmentState(0, 0, 0xFFFF, 0x82, true),
                new SegmentState(0x38, 0x2000, 0x2069, 0x8B, true),
                0x800, 0x3F, 0x1000, 0x7FF,
                0x8000_0011L, 0x40_1000L, 0x10_0000L, 0x20, 0, 0x800,
                dr, 0,
                0x8, 0x9000, 0xC000_1000L, 0x0007_0406_0007_0406L, 1, -1000,
                false, false, 1, true, 123_456_789L);
    }

    /** The RAM pattern: page p, byte i = (p * 17 + i / 64) mod 256, except the zero pages. */
    static byte[] ram() {
        byte[] b = new byte[RAM_BYTES];
        for (int i = 0; i < b.length; i++) {
            int p = i >>> 12;
            b[i] = ZERO_PAGES.contains(p) ? 0 : (byte) (p * 17 + (i & 0xFFF) / 64);
        }
        return b;
    }

    /** Writes the golden file (used once, to create the resource; see GoldenSnapshotTest). */
    static void write(Path file) throws IOException {
        CpuState s = state();
        MemorySegment ram = MemorySegment.ofArray(ram());
        new SnapshotWriter(NOTE)
                .section(CpuSection.NAME, CpuSection.VERSION, false, out -> CpuSection.write(out, s))
                .section(RamSection.NAME, 1, false, out -> RamSection.writeV1(out, ram))
                .writeTo(file);
    }
}

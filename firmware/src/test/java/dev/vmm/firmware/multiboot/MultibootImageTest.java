package dev.vmm.firmware.multiboot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.firmware.linux.KernelFormatException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MultibootImageTest {
    @Test
    void parsesAnElfKernel() {
        byte[] f = MultibootKernels.elf(0x7, 0x100000, 0x100000, 0x2000);
        MultibootImage img = MultibootImage.parse(f);
        assertEquals(84, img.headerOffset());
        assertEquals(0x7, img.flags());
        assertFalse(img.aoutKludge());
        assertTrue(img.pageAlignModules());
        assertTrue(img.wantsMemoryInfo());
        assertTrue(img.wantsVideoMode(), "bit 2 is accepted (and ignored by the loader)");
        assertEquals(1, img.segments().size());
        MultibootImage.Segment s = img.segments().get(0);
        assertEquals(0x100000, s.address());
        assertArrayEquals(f, s.data());
        assertEquals(f.length + 0x2000, s.memSize());
        assertEquals(0x100000 + 96, img.entry());
        assertTrue(img.toString().contains("ELF32"), img.toString());
    }

    @Test
    void findsTheHeaderAnywhereAlignedInTheFirst8KiB() {
        byte[] f = new byte[8192];
        byte[] a = MultibootKernels.aout(0, 0x100000, 8192 - 32, 0);
        assertEquals(8192 - 32, MultibootImage.parse(a).headerOffset());
        // Misaligned: not found.
        MultibootKernels.header(f, 102, 0);
        assertEquals("no multiboot header (magic 0x1BADB002, 4-byte aligned) in the first 8192 bytes of the"
                + " 8192-byte file", assertThrows(KernelFormatException.class, () -> MultibootImage.parse(f))
                .getMessage());
        // Beyond 8 KiB: not found.
        byte[] g = new byte[16384];
        MultibootKernels.header(g, 8192, 0);
        assertThrows(KernelFormatException.class, () -> MultibootImage.parse(g));
    }

    @Test
    void refusesAFileWithoutHeader() {
        assertEquals("no multiboot header (magic 0x1BADB002, 4-byte aligned) in the first 8192 bytes of the"
                + " 100-byte file", assertThrows(KernelFormatException.class,
                () -> MultibootImage.parse(new byte[100])).getMessage());
        assertThrows(KernelFormatException.class, () -> MultibootImage.parse(new byte[0]));
    }

    @Test
    void refusesABadChecksum() {
        byte[] f = MultibootKernels.elf(0x3, 0x100000, 0x100000, 0);
        MultibootKernels.put32(f, 84 + 8, 0x12345678);
        assertEquals("multiboot header at offset 0x54 has a bad checksum: magic + flags 0x00000003 + checksum"
                + " 0x12345678 = 0x2de2067d, not 0", assertThrows(KernelFormatException.class,
                () -> MultibootImage.parse(f)).getMessage());
    }

    @Test
    void refusesElf64() {
        byte[] f = MultibootKernels.elf(0x3, 0x100000, 0x100000, 0);
        f[4] = 2;
        MultibootKernels.put16(f, 18, 62);
        assertEquals("ELF64 image (need ELF32) and the multiboot header (flags 0x00000003) has no a.out kludge"
                + " (bit 16)", assertThrows(KernelFormatException.class, () -> MultibootImage.parse(f)).getMessage());
    }

    @Test
    void refusesNonElfWithoutTheAoutKludgeAndOtherMachines() {
        byte[] raw = new byte[64];
        MultibootKernels.header(raw, 0, 0x3);
        assertEquals("not an ELF file and the multiboot header (flags 0x00000003) has no a.out kludge (bit 16)",
                assertThrows(KernelFormatException.class, () -> MultibootImage.parse(raw)).getMessage());
        byte[] arm = MultibootKernels.elf(0x3, 0x100000, 0x100000, 0);
        MultibootKernels.put16(arm, 18, 40);
        assertEquals("ELF machine 40 (need 3, x86) and the multiboot header (flags 0x00000003) has no a.out kludge"
                + " (bit 16)", assertThrows(KernelFormatException.class, () -> MultibootImage.parse(arm))
                .getMessage());
        byte[] dyn = MultibootKernels.elf(0x3, 0x100000, 0x100000, 0);
        MultibootKernels.put16(dyn, 16, 3);
        assertThrows(KernelFormatException.class, () -> MultibootImage.parse(dyn));
    }

    @Test
    void refusesUnsupportedRequiredFlagsButIgnoresOptionalOnes() {
        byte[] f = MultibootKernels.elf(0x3 | 0x8, 0x100000, 0x100000, 0);
        assertEquals("multiboot header flags 0x0000000b require unsupported features (bits 0x0008; this loader"
                + " handles bits 0-2 and 16)", assertThrows(KernelFormatException.class,
                () -> MultibootImage.parse(f)).getMessage());
        byte[] g = MultibootKernels.elf(0x3 | 0x8000, 0x100000, 0x100000, 0);
        assertThrows(KernelFormatException.class, () -> MultibootImage.parse(g));
        // Bit 17+ are optional.
        assertEquals(0x00020003, MultibootImage.parse(MultibootKernels.elf(0x00020003, 0x100000, 0x100000, 0))
                .flags());
    }

    @Test
    void refusesSegmentsBeyond4GiBAndTruncatedFiles() {
        byte[] f = MultibootKernels.elf(0x3, 0xFFFFF000L, 0xFFFFF000L, 0x2000);
        assertEquals(String.format("ELF segment 0 at physical 0xfffff000-0x%x extends beyond 4 GiB",
                0xFFFFF000L + f.length + 0x2000), assertThrows(KernelFormatException.class,
                () -> MultibootImage.parse(f)).getMessage());
        byte[] cut = Arrays.copyOf(MultibootKernels.elf(0x3, 0x100000, 0x100000, 0), 100);
        String m = assertThrows(KernelFormatException.class, () -> MultibootImage.parse(cut)).getMessage();
        assertTrue(m.startsWith("ELF segment 0 ("), m);
        byte[] a = MultibootKernels.aout(0x3, 0x100000, 0, 0);
        MultibootKernels.put32(a, 20, 0x100000 + a.length + 100); // load_end_addr past the file
        MultibootKernels.put32(a, 24, 0x100000 + a.length + 100);
        String m2 = assertThrows(KernelFormatException.class, () -> MultibootImage.parse(a)).getMessage();
        assertTrue(m2.startsWith("a.out kludge: load_addr 0x100000-load_end_addr"), m2);
    }

    @Test
    void aoutKludgeLoadsToTheEndOfTheFileWhenLoadEndIsZero() {
        byte[] a = MultibootKernels.aout(0x3, 0x100000, 8, 0);
        MultibootKernels.put32(a, 8 + 20, 0);
        MultibootKernels.put32(a, 8 + 24, 0);
        MultibootImage img = MultibootImage.parse(a);
        assertEquals(0x100000, img.start());
        assertEquals(0x100000 + a.length, img.end());
        assertEquals(0x100000 + 8 + 32, img.entry());
    }
}

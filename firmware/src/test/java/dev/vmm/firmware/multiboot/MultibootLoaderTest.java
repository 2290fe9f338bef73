package dev.vmm.firmware.multiboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.firmware.linux.E820Entry;
import dev.vmm.firmware.linux.KernelLoadException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultibootLoaderTest {
    private static final long RAM = 32 << 20;
    private static final String CMDLINE = "/boot/kernel.elf console=e9 loglevel=7";
    private static final String MOD_STRING = "/boot/initrd.mod root=ram0";
    private static final byte[] MOD_DATA = "MODxDATA-the-rest-of-the-module".getBytes(StandardCharsets.US_ASCII);

    @Test
    void bootsAnElfKernelOnThePcBoard() {
        String out = boot(MultibootKernels.elf(0x3, 0x100000, 0x100000, 0x2000), 0x100000 + 96);
        assertEquals(CMDLINE + "|" + MOD_STRING + "|MODx", out);
    }

    @Test
    void bootsAHigherHalfElfKernelAtItsPhysicalAddress() {
        // Linked at 0xC0200000, loaded at 2 MiB: the entry point is translated through p_paddr.
        byte[] f = MultibootKernels.elf(0x3, 0x200000, 0xC0200000L, 0);
        assertEquals(0x200000 + 96, MultibootImage.parse(f).entry());
        assertEquals(CMDLINE + "|" + MOD_STRING + "|MODx", boot(f, 0x200000 + 96));
    }

    @Test
    void bootsAnAoutKludgeImage() {
        byte[] f = MultibootKernels.aout(0x3, 0x180000, 16, 0x1000);
        MultibootImage img = MultibootImage.parse(f);
        assertTrue(img.aoutKludge());
        assertEquals(16, img.headerOffset());
        assertEquals(1, img.segments().size());
        assertEquals(0x180000, img.start());
        assertEquals(0x180000 + f.length + 0x1000, img.end());
        assertEquals(CMDLINE + "|" + MOD_STRING + "|MODx", boot(f, 0x180000 + 16 + 32));
    }

    /** Boots {@code kernel} with {@link #CMDLINE} and one module; returns the debug console output. */
    private static String boot(byte[] kernel, long entry) {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (PcBoard board = BoardConfig.builder().memory(RAM).deterministic(true).debugConsole(console)
                .debugExit(true).build()) {
            MultibootLoader.Layout l = MultibootLoader.load(board.memory(), board.cpu(), MultibootImage.parse(kernel),
                    CMDLINE, List.of(new MultibootLoader.Module(MOD_DATA, MOD_STRING)), E820Entry.defaultMap(RAM));
            Cpu cpu = board.cpu();
            assertEquals(entry, cpu.rip);
            assertEquals(entry, l.entry());
            assertEquals(0x2BADB002L, cpu.r[Cpu.EAX]);
            assertEquals(0x9000, cpu.r[Cpu.EBX]);
            assertEquals(32, cpu.codeSize());
            assertTrue(cpu.protectedMode());
            assertTrue(cpu.a20());
            assertEquals(0, cpu.cr0 & Cpu.CR0_PG);
            assertEquals(0, cpu.eflags() & (1 << 9), "IF clear");
            assertEquals(0, cpu.eflags() & (1 << 17), "VM clear");
            assertEquals(0x10, cpu.seg[Cpu.CS].selector);
            for (int s : new int[] {Cpu.DS, Cpu.ES, Cpu.SS, Cpu.FS, Cpu.GS}) {
                assertEquals(0x18, cpu.seg[s].selector);
                assertEquals(0, cpu.seg[s].base);
                assertEquals(0xFFFF_FFFFL, cpu.seg[s].limit);
            }
            assertEquals(0x8FF0, cpu.r[Cpu.ESP]);

            PcBoard.Exit exit = board.run(100_000);

            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind(), () -> "exit " + exit + "\n" + cpu);
            assertEquals((1 << 1) | 1, exit.status(), "the kernel read mods_count = 1 (0xEE: EAX was wrong)");
            assertEquals(0, cpu.cr0 & Cpu.CR0_PG);
            return console.toString(StandardCharsets.US_ASCII);
        }
    }

    @Test
    void buildsTheInformationStructure(@TempDir Path dir) throws Exception {
        List<E820Entry> map = new ArrayList<>(E820Entry.defaultMap(RAM));
        map.set(3, E820Entry.of(0x100000, RAM - 0x100000 - 0x10000, E820Entry.USABLE));
        map.add(E820Entry.of(RAM - 0x10000, 0x10000, E820Entry.ACPI));
        map.add(E820Entry.of(0xFEC00000L, 0x1000, E820Entry.RESERVED));
        Path modFile = dir.resolve("second.mod");
        byte[] second = new byte[10_000];
        for (int i = 0; i < second.length; i++) {
            second[i] = (byte) (i * 7 + 3);
        }
        Files.write(modFile, second);
        try (PhysicalMemory mem = PhysicalMemory.create(RAM)) {
            Cpu cpu = new Cpu(mem, new PioBus());
            // Garbage where the BSS goes: the loader must zero it.
            for (long a = 0x100000; a < 0x104000; a += 4) {
                mem.write32(a, 0xDEADBEEF);
            }
            byte[] kernel = MultibootKernels.elf(0x1, 0x100000, 0x100000, 0x3000);
            MultibootLoader.Layout l = MultibootLoader.load(mem, cpu, MultibootImage.parse(kernel), CMDLINE,
                    List.of(new MultibootLoader.Module(MOD_DATA, MOD_STRING), MultibootLoader.Module.read(modFile, "")),
                    map);
            long mbi = cpu.r[Cpu.EBX];
            assertEquals(0x9000, mbi);
            assertEquals(l.info(), mbi);
            int flags = mem.read32(mbi);
            assertEquals((1 | 1 << 2 | 1 << 3 | 1 << 6 | 1 << 9), flags);
            assertEquals(0, flags & (1 << 1), "no boot_device");
            // mem_lower / mem_upper in KiB.
            assertEquals(0x9FC00 >> 10, mem.read32(mbi + 4));
            assertEquals((RAM - 0x100000 - 0x10000) >> 10, mem.read32(mbi + 8));
            // cmdline and loader name.
            assertEquals(CMDLINE, cString(mem, mem.read32(mbi + 16)));
            assertEquals("vmm", cString(mem, mem.read32(mbi + 64)));
            // The memory map: size = 20, then base, length, type, matching what was passed.
            int mmapLength = mem.read32(mbi + 44);
            long mmap = mem.read32(mbi + 48) & 0xFFFF_FFFFL;
            assertEquals(24 * map.size(), mmapLength);
            List<E820Entry> seen = new ArrayList<>();
            for (long e = mmap; e < mmap + mmapLength; e += mem.read32(e) + 4) {
                assertEquals(20, mem.read32(e));
                seen.add(E820Entry.of(mem.read64(e + 4), mem.read64(e + 12), mem.read32(e + 20)));
            }
            assertEquals(map.size(), seen.size());
            for (int k = 0; k < map.size(); k++) {
                assertEquals(map.get(k).base(), seen.get(k).base());
                assertEquals(map.get(k).length(), seen.get(k).length());
                assertEquals(map.get(k).type(), seen.get(k).type());
            }
            // The modules: page aligned, above the kernel and its BSS, in order, contents and strings intact.
            assertEquals(2, mem.read32(mbi + 20));
            long mods = mem.read32(mbi + 24) & 0xFFFF_FFFFL;
            long kernelEnd = 0x100000 + kernel.length + 0x3000;
            assertEquals(kernelEnd, l.kernelEnd());
            long prevEnd = kernelEnd;
            byte[][] data = {MOD_DATA, second};
            String[] strings = {MOD_STRING, ""};
            for (int k = 0; k < 2; k++) {
                long m = mods + 16L * k;
                long start = mem.read32(m) & 0xFFFF_FFFFL;
                long end = mem.read32(m + 4) & 0xFFFF_FFFFL;
                assertEquals(0, start & 0xFFF, "page aligned");
                assertTrue(start >= prevEnd, "above the kernel and the previous module");
                assertEquals(data[k].length, end - start);
                for (int i = 0; i < data[k].length; i++) {
                    assertEquals(data[k][i] & 0xFF, mem.read8(start + i));
                }
                assertEquals(strings[k], cString(mem, mem.read32(m + 8)));
                assertEquals(0, mem.read32(m + 12));
                assertEquals(start, l.modules().get(k).start());
                prevEnd = end;
            }
            assertEquals(0x101000 + 0x3000, l.modules().get(0).start(), "first page after the kernel's BSS");
            // The kernel and its zeroed BSS.
            for (int i = 0; i < kernel.length; i++) {
                assertEquals(kernel[i] & 0xFF, mem.read8(0x100000 + i));
            }
            for (long a = 0x100000 + kernel.length; a < kernelEnd; a++) {
                assertEquals(0, mem.read8(a), "BSS at 0x" + Long.toHexString(a));
            }
            assertEquals(0xDEADBEEF, mem.read32(0x104000 - 4), "past the BSS untouched");
            // The GDT.
            assertEquals(0x500, cpu.gdtBase);
            assertEquals(0x00CF9B000000FFFFL, mem.read64(0x510));
            assertEquals(0x00CF93000000FFFFL, mem.read64(0x518));
        }
    }

    @Test
    void passesAnEmptyCommandLineAndNoModules() {
        try (PhysicalMemory mem = PhysicalMemory.create(RAM)) {
            MultibootLoader.Layout l = MultibootLoader.place(mem,
                    MultibootImage.parse(MultibootKernels.elf(0x4, 0x100000, 0x100000, 0)), null, List.of(),
                    E820Entry.defaultMap(RAM));
            assertEquals(0, mem.read32(0x9000 + 20));
            assertEquals("", cString(mem, mem.read32(0x9000 + 16)));
            assertEquals(0, l.cmdLineLength());
            assertTrue(l.modules().isEmpty());
        }
    }

    @Test
    void refusesAKernelOutsideRamOrOverTheInformationArea() {
        try (PhysicalMemory mem = PhysicalMemory.create(RAM)) {
            MultibootImage high = MultibootImage.parse(MultibootKernels.elf(0x3, 0x4000000, 0x4000000, 0));
            String m = assertThrows(KernelLoadException.class, () -> MultibootLoader.place(mem, high, "", List.of(),
                    E820Entry.defaultMap(RAM))).getMessage();
            assertEquals("kernel segment at 0x4000000-0x40000" + Integer.toHexString(96 + MultibootKernels.CODE.length)
                    + " is not in usable RAM (usable RAM below 4 GiB ends at 0x2000000)", m);
            MultibootImage low = MultibootImage.parse(MultibootKernels.aout(0x3, 0x9800, 0, 0));
            String m2 = assertThrows(KernelLoadException.class, () -> MultibootLoader.place(mem, low, "x", List.of(),
                    E820Entry.defaultMap(RAM))).getMessage();
            assertTrue(m2.startsWith("kernel segment 0x9800-") && m2.endsWith(
                    " overlaps the boot information area 0x500-0xb002"), m2);
            String m3 = assertThrows(KernelLoadException.class, () -> MultibootLoader.place(mem,
                    MultibootImage.parse(MultibootKernels.elf(0x3, 0x100000, 0x100000, 0)), "", List.of(
                            new MultibootLoader.Module(new byte[40 << 20], "big")), E820Entry.defaultMap(RAM)))
                    .getMessage();
            assertEquals("module 0 (41943040 bytes) does not fit in usable RAM above 0x101000 (usable RAM below"
                    + " 4 GiB ends at 0x2000000)", m3);
        }
    }

    @Test
    void leavesTheModulesOutOfReservedRanges() {
        try (PhysicalMemory mem = PhysicalMemory.create(RAM)) {
            List<E820Entry> map = List.of(E820Entry.of(0, 0x9FC00, E820Entry.USABLE),
                    E820Entry.of(0x100000, 0x100000, E820Entry.USABLE),
                    E820Entry.of(0x200000, 0x10000, E820Entry.RESERVED),
                    E820Entry.of(0x210000, RAM - 0x210000, E820Entry.USABLE));
            MultibootLoader.Layout l = MultibootLoader.place(mem,
                    MultibootImage.parse(MultibootKernels.elf(0x3, 0x100000, 0x100000, 0)), "", List.of(
                            new MultibootLoader.Module(new byte[0x80000], "a"),
                            new MultibootLoader.Module(new byte[0x80000], "b")), map);
            assertEquals(0x101000, l.modules().get(0).start());
            assertEquals(0x210000, l.modules().get(1).start(), "skips the reserved hole");
            assertEquals(0x100000 >> 10, mem.read32(0x9000 + 8), "mem_upper stops at the hole");
            assertFalse(l.toString().isEmpty());
        }
    }

    static String cString(PhysicalMemory mem, long a) {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = mem.read8(a & 0xFFFF_FFFFL)) != 0; a++) {
            sb.append((char) c);
        }
        return sb.toString();
    }
}

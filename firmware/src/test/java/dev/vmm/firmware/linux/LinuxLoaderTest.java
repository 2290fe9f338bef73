package dev.vmm.firmware.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.PcBoard;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinuxLoaderTest {
    private static final long RAM = 64 << 20;
    private static final String CMDLINE = "console=ttyS0 root=/dev/vda rw quiet";

    @Test
    void bootsTheSyntheticKernelThroughThe32BitProtocol() {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (PcBoard board = BoardConfig.builder().memory(RAM).deterministic(true).debugConsole(console)
                .debugExit(true).build()) {
            byte[] initrd = pattern(300_000);
            LinuxLoader.Layout l = LinuxLoader.load(board.memory(), board.cpu(),
                    BzImage.parse(SyntheticKernel.image()), CMDLINE, initrd, E820Entry.defaultMap(RAM));
            Cpu cpu = board.cpu();
            assertEquals(0x100000, cpu.rip);
            assertEquals(32, cpu.codeSize());
            assertEquals(0x7000, cpu.r[Cpu.ESI]);
            assertEquals(0, cpu.r[Cpu.EBX] | cpu.r[Cpu.EBP] | cpu.r[Cpu.EDI]);
            assertEquals(0, cpu.eflags() & (1 << 9), "IF clear");
            assertEquals(0x10, cpu.seg[Cpu.CS].selector);
            for (int s : new int[] {Cpu.DS, Cpu.ES, Cpu.SS, Cpu.FS, Cpu.GS}) {
                assertEquals(0x18, cpu.seg[s].selector);
            }

            PcBoard.Exit exit = board.run(10_000);

            assertEquals(PcBoard.ExitKind.DEBUG_EXIT, exit.kind(), () -> "exit " + exit + "\n" + cpu);
            assertEquals((0xFF << 1) | 1, exit.status(), "the payload read type_of_loader through ESI");
            assertEquals("K" + CMDLINE, console.toString(StandardCharsets.US_ASCII));
            assertTrue(cpu.protectedMode());
            assertEquals(32, cpu.codeSize());
            assertEquals(0, cpu.cr0 & Cpu.CR0_PG);
            assertTrue(cpu.rip > 0x100000 && cpu.rip < 0x100000 + SyntheticKernel.PAYLOAD.length,
                    "ran at 0x100000: " + Long.toHexString(cpu.rip));
            assertEquals(0x100000, l.entry());
        }
    }

    @Test
    void fillsBootParamsAsTheProtocolSays() {
        try (PhysicalMemory mem = PhysicalMemory.create(RAM)) {
            Cpu cpu = new Cpu(mem, new PioBus());
            byte[] initrd = pattern(1 << 20);
            List<E820Entry> map = E820Entry.defaultMap(RAM);
            LinuxLoader.Layout l = LinuxLoader.load(mem, cpu, BzImage.parse(SyntheticKernel.image()), CMDLINE,
                    initrd, map);
            long bp = 0x7000;
            assertEquals(bp, l.bootParams());
            // The setup header was copied.
            assertEquals(0x53726448, mem.read32(bp + 0x202));
            assertEquals(0x020F, mem.read16(bp + 0x206));
            assertEquals(4, mem.read8(bp + 0x1F1));
            assertEquals(2047, mem.read32(bp + 0x238));
            assertEquals(0, mem.read8(bp + 0x1EF), "sentinel stays 0");
            // What the loader writes.
            assertEquals(0xFF, mem.read8(bp + 0x210));
            assertEquals(0x81, mem.read8(bp + 0x211), "LOADED_HIGH | CAN_USE_HEAP");
            assertEquals(0x100000, mem.read32(bp + 0x214));
            assertEquals(0xFE00, mem.read16(bp + 0x224));
            assertEquals(0x20000, mem.read32(bp + 0x228));
            assertEquals(CMDLINE, cString(mem, 0x20000));
            // The initrd: top of RAM, page aligned, contents intact.
            long image = mem.read32(bp + 0x218) & 0xFFFF_FFFFL;
            assertEquals(RAM - (1 << 20), image);
            assertEquals(1 << 20, mem.read32(bp + 0x21C));
            assertEquals(image, l.initrdBase());
            assertEquals(0x1020000, l.kernelEnd(), "pref_address 16 MiB + init_size");
            for (int i = 0; i < initrd.length; i += 4093) {
                assertEquals(initrd[i] & 0xFF, mem.read8(image + i));
            }
            // The e820 table.
            assertEquals(map.size(), mem.read8(bp + 0x1E8));
            for (int k = 0; k < map.size(); k++) {
                long e = bp + 0x2D0 + 20L * k;
                assertEquals(map.get(k).base(), mem.read64(e));
                assertEquals(map.get(k).length(), mem.read64(e + 8));
                assertEquals(map.get(k).type(), mem.read32(e + 16));
            }
            // screen_info: 80x25 VGA text.
            assertEquals(3, mem.read8(bp + 0x06));
            assertEquals(80, mem.read8(bp + 0x07));
            assertEquals(25, mem.read8(bp + 0x0E));
            assertEquals(1, mem.read8(bp + 0x0F));
            assertEquals(16, mem.read16(bp + 0x10));
            // The kernel at 1 MiB and the GDT.
            for (int i = 0; i < SyntheticKernel.PAYLOAD.length; i++) {
                assertEquals(SyntheticKernel.PAYLOAD[i] & 0xFF, mem.read8(0x100000 + i));
            }
            assertEquals(0x500, cpu.gdtBase);
            assertEquals(31, cpu.gdtLimit);
            assertEquals(0x00CF9B000000FFFFL, mem.read64(0x500 + 0x10));
            assertEquals(0x00CF93000000FFFFL, mem.read64(0x500 + 0x18));
        }
    }

    @Test
    void initrdSkipsReservedRangesAndHonoursInitrdAddrMax() {
        try (PhysicalMemory mem = PhysicalMemory.create(RAM)) {
            List<E820Entry> map = new ArrayList<>(E820Entry.defaultMap(RAM));
            // ACPI tables at the top 64 KiB, as firmware puts them.
            map.set(3, E820Entry.of(0x100000, RAM - 0x100000 - 0x10000, E820Entry.USABLE));
            map.add(E820Entry.of(RAM - 0x10000, 0x10000, E820Entry.ACPI));
            LinuxLoader.Layout l = LinuxLoader.place(mem, BzImage.parse(SyntheticKernel.image()), "", new byte[5000],
                    map);
            assertEquals((RAM - 0x10000 - 5000) & ~0xFFFL, l.initrdBase());

            byte[] f = SyntheticKernel.image();
            SyntheticKernel.put32(f, 0x22C, 0x01FFFFFF); // initrd must end below 32 MiB
            l = LinuxLoader.place(mem, BzImage.parse(f), "", new byte[5000], E820Entry.defaultMap(RAM));
            assertEquals((0x2000000 - 5000) & ~0xFFFL, l.initrdBase());
            assertTrue(l.initrdBase() + 5000 <= 0x2000000);
        }
    }

    @Test
    void readsTheInitrdFromAFile(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("initrd.img");
        byte[] initrd = pattern(12345);
        Files.write(p, initrd);
        try (PhysicalMemory mem = PhysicalMemory.create(RAM)) {
            Cpu cpu = new Cpu(mem, new PioBus());
            LinuxLoader.Layout l = LinuxLoader.load(mem, cpu, BzImage.parse(SyntheticKernel.image()), null, p,
                    E820Entry.defaultMap(RAM));
            assertEquals(12345, l.initrdSize());
            assertEquals(initrd[12344] & 0xFF, mem.read8(l.initrdBase() + 12344));
            assertEquals(0, mem.read8(0x20000), "empty command line");
        }
    }

    @Test
    void refusesAnInitrdThatDoesNotFit() {
        long ram = 32 << 20;
        try (PhysicalMemory mem = PhysicalMemory.create(ram)) {
            BzImage k = BzImage.parse(SyntheticKernel.image());
            String m = assertThrows(KernelLoadException.class, () -> LinuxLoader.place(mem, k, "", new byte[16 << 20],
                    E820Entry.defaultMap(ram))).getMessage();
            assertEquals("initrd of 16777216 bytes (16 MiB) does not fit: the largest usable RAM between the kernel's"
                    + " end 0x1020000 and the initrd limit 0x2000000 is 16646144 bytes", m);
        }
    }

    @Test
    void refusesAKernelThatDoesNotFitAndALongCommandLine() {
        long ram = 4 << 20;
        try (PhysicalMemory mem = PhysicalMemory.create(ram)) {
            byte[] f = SyntheticKernel.image();
            SyntheticKernel.put32(f, 0x260, 8 << 20); // init_size 8 MiB
            String m = assertThrows(KernelLoadException.class, () -> LinuxLoader.place(mem, BzImage.parse(f), "",
                    null, E820Entry.defaultMap(ram))).getMessage();
            assertEquals("kernel (32 bytes, init_size 8388608) at 0x100000-0x1800000 is not in usable RAM"
                    + " (usable RAM below 4 GiB ends at 0x400000)", m);
            byte[] old = SyntheticKernel.image(0x0205, 0x01, SyntheticKernel.PAYLOAD);
            String m2 = assertThrows(KernelLoadException.class, () -> LinuxLoader.place(mem, BzImage.parse(old),
                    "x".repeat(256), null, E820Entry.defaultMap(ram))).getMessage();
            assertEquals("command line is 256 bytes; this kernel accepts at most 255", m2);
        }
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 8));
        }
        return b;
    }

    static String cString(PhysicalMemory mem, long a) {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = mem.read8(a)) != 0; a++) {
            sb.append((char) c);
        }
        return sb.toString();
    }
}

package dev.vmm.firmware.multiboot;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.firmware.linux.E820Entry;
import dev.vmm.firmware.linux.KernelLoadException;
import dev.vmm.firmware.linux.ProtectedModeEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a {@link MultibootImage} and its modules into guest memory and starts it as a Multiboot
 * 0.6.96 boot loader does (section 3.2, "Machine state"), like QEMU's {@code -kernel} for a
 * Multiboot kernel.
 *
 * <p>Guest memory layout:
 * <pre>
 *   0x00500  GDT: null, null, 0x10 = flat 4 GiB code, 0x18 = flat data ({@link ProtectedModeEntry})
 *   0x08FF0  initial ESP (0x8000-0x8FFF is a scratch stack; the specification leaves ESP undefined)
 *   0x09000  the Multiboot information structure (116 bytes, all fields through the framebuffer ones)
 *   0x09080  boot_loader_name "vmm"
 *   0x09100  memory map: at most 128 entries of 24 bytes (size = 20, base_addr, length, type)
 *   0x0A000  module structures: at most 256 of 16 bytes (mod_start, mod_end, string, reserved)
 *   0x0B000  strings: the command line, then each module's string, NUL terminated
 *   kernel   each segment at its physical address, BSS zeroed
 *   above    modules, each page aligned (whether or not flags bit 0 asks), in order, from the page
 *            after max(kernel end, 1 MiB), each in the first usable RAM range it fits in
 * </pre>
 * The kernel must not overlap 0x500 up to the end of the strings.
 *
 * <p>Information structure flags set: bit 0 (mem_lower: KiB of usable RAM from 0, at most 640;
 * mem_upper: KiB of usable RAM contiguous from 1 MiB), bit 2 (cmdline, empty if none), bit 3
 * (modules, possibly 0), bit 6 (memory map: the E820 entries as given), bit 9
 * (boot_loader_name). Not set: bit 1 (boot_device: the kernel was not loaded from a BIOS drive),
 * bits 4/5 (symbols), 7 (drives), 8 (config table), 10 (APM), 11/12 (VBE, framebuffer: a video
 * mode request in the header is ignored).
 *
 * <p>CPU state at entry: EAX = 0x2BADB002, EBX = the information structure, CS = 0x10 flat
 * 32-bit code, DS = ES = FS = GS = SS = 0x18 flat data, A20 on, CR0.PE set, CR0.PG clear,
 * EFLAGS = 0x2 (IF and VM clear), IDTR limit 0, ESP = 0x8FF0, other registers 0, EIP = the
 * image's entry point.
 *
 * <p>Not implemented: a.out/ELF symbol tables, the drives and APM tables, VBE/framebuffer
 * information, Multiboot 2.
 */
public final class MultibootLoader {
    private static final Logger log = LoggerFactory.getLogger(MultibootLoader.class);

    public static final int BOOTLOADER_MAGIC = 0x2BADB002;
    public static final long GDT = 0x500;
    public static final long STACK_TOP = 0x8FF0;
    public static final long INFO = 0x9000;
    public static final long LOADER_NAME = 0x9080;
    public static final long MMAP = 0x9100;
    public static final long MODULES = 0xA000;
    public static final long STRINGS = 0xB000;
    public static final String LOADER_NAME_STRING = "vmm";
    public static final int MMAP_MAX = 128;
    public static final int MODULES_MAX = 256;
    /** The strings must end below this (conventional memory the EBDA cannot reach). */
    static final long STRINGS_LIMIT = 0x80000;

    /** Information structure flag bits and field offsets. */
    public static final int INFO_MEMORY = 1;
    public static final int INFO_BOOT_DEVICE = 1 << 1;
    public static final int INFO_CMDLINE = 1 << 2;
    public static final int INFO_MODS = 1 << 3;
    public static final int INFO_MMAP = 1 << 6;
    public static final int INFO_LOADER_NAME = 1 << 9;
    static final int INFO_SIZE = 116;
    static final int MI_FLAGS = 0;
    static final int MI_MEM_LOWER = 4;
    static final int MI_MEM_UPPER = 8;
    static final int MI_CMDLINE = 16;
    static final int MI_MODS_COUNT = 20;
    static final int MI_MODS_ADDR = 24;
    static final int MI_MMAP_LENGTH = 44;
    static final int MI_MMAP_ADDR = 48;
    static final int MI_LOADER_NAME = 64;
    static final int MMAP_ENTRY = 24;
    static final int MODULE_ENTRY = 16;

    private static final long PAGE = 0x1000;
    private static final long ONE_MIB = 0x100000;

    /** A boot module: its contents and the string the kernel sees with it (may be empty). */
    public record Module(byte[] data, String string) {
        public Module {
            if (data == null) {
                throw new IllegalArgumentException("module data is null");
            }
            string = string == null ? "" : string;
        }

        /** A module read from {@code file}. */
        public static Module read(Path file, String string) throws IOException {
            return new Module(Files.readAllBytes(file), string);
        }
    }

    /** Where a module went: {@code [start, end)} and its string's address. */
    public record ModuleLayout(long start, long end, long string) {
    }

    /** What went where. */
    public record Layout(long info, int infoFlags, long gdt, long cmdLine, int cmdLineLength, long kernelStart,
                         long kernelEnd, List<ModuleLayout> modules, long mmap, int mmapEntries, int memLowerKb,
                         long memUpperKb, long entry, long stack) {
        public Layout {
            modules = List.copyOf(modules);
        }

        @Override
        public String toString() {
            StringBuilder mods = new StringBuilder();
            for (ModuleLayout m : modules) {
                mods.append(String.format(" 0x%x-0x%x", m.start(), m.end()));
            }
            return String.format("info 0x%x (flags 0x%x), cmdline 0x%x (%d bytes), kernel 0x%x-0x%x, %d module(s)%s,"
                            + " %d mmap entries, mem_lower %d KiB, mem_upper %d KiB, entry 0x%x",
                    info, infoFlags, cmdLine, cmdLineLength, kernelStart, kernelEnd, modules.size(), mods,
                    mmapEntries, memLowerKb, memUpperKb, entry);
        }
    }

    private MultibootLoader() {
    }

    /**
     * Writes the kernel, modules, GDT and information structure into {@code mem} and sets
     * {@code cpu} up for the Multiboot entry. {@code cmdline} may be null.
     */
    public static Layout load(PhysicalMemory mem, Cpu cpu, MultibootImage image, String cmdline,
                              List<Module> modules, List<? extends E820Entry> e820) {
        Layout l = place(mem, image, cmdline, modules, e820);
        enter(cpu, l);
        return l;
    }

    /** Puts {@code cpu} in the Multiboot machine state for {@code l}, already in memory. */
    public static void enter(Cpu cpu, Layout l) {
        ProtectedModeEntry.enter(cpu, l.gdt(), l.entry(), l.stack());
        cpu.r[Cpu.EAX] = BOOTLOADER_MAGIC & 0xFFFF_FFFFL;
        cpu.r[Cpu.EBX] = l.info();
    }

    /** Writes everything into guest memory; does not touch a CPU. */
    public static Layout place(PhysicalMemory mem, MultibootImage image, String cmdline, List<Module> modules,
                               List<? extends E820Entry> e820) {
        if (e820.size() > MMAP_MAX) {
            throw new KernelLoadException("memory map has " + e820.size() + " entries; at most " + MMAP_MAX
                    + " are passed");
        }
        if (modules.size() > MODULES_MAX) {
            throw new KernelLoadException(modules.size() + " modules; at most " + MODULES_MAX + " are supported");
        }
        List<long[]> usable = E820Entry.usableRanges(e820, mem.ramSize());

        // The strings block: command line, then the module strings.
        byte[] cmd = ascii(cmdline == null ? "" : cmdline, "command line");
        List<byte[]> strings = new ArrayList<>();
        strings.add(cmd);
        for (int k = 0; k < modules.size(); k++) {
            strings.add(ascii(modules.get(k).string(), "module " + k + " string"));
        }
        long stringsSize = strings.stream().mapToLong(s -> s.length + 1L).sum();
        if (STRINGS + stringsSize > STRINGS_LIMIT) {
            throw new KernelLoadException(String.format(
                    "command line and module strings take %d bytes; at most %d fit", stringsSize,
                    STRINGS_LIMIT - STRINGS));
        }
        long lowEnd = STRINGS + stringsSize;
        E820Entry.requireUsable(mem, usable, GDT, lowEnd - GDT, "boot information area");

        // The kernel.
        for (MultibootImage.Segment s : image.segments()) {
            if (s.address() < lowEnd && GDT < s.end()) {
                throw new KernelLoadException(String.format(
                        "kernel segment %s overlaps the boot information area 0x%x-0x%x", s, GDT, lowEnd));
            }
            E820Entry.requireUsable(mem, usable, s.address(), s.memSize(), "kernel segment");
        }

        // The modules.
        long cursor = pageUp(Math.max(image.end(), ONE_MIB));
        long[] starts = new long[modules.size()];
        for (int k = 0; k < modules.size(); k++) {
            long size = modules.get(k).data().length;
            long base = fit(usable, cursor, size);
            if (base < 0) {
                throw new KernelLoadException(String.format(
                        "module %d (%d bytes) does not fit in usable RAM above 0x%x (usable RAM below 4 GiB ends at"
                                + " 0x%x)", k, size, cursor, usable.isEmpty() ? 0 : usable.getLast()[1]));
            }
            E820Entry.requireUsable(mem, usable, base, size, "module " + k);
            starts[k] = base;
            cursor = pageUp(base + size);
        }

        // Everything checked: write.
        for (MultibootImage.Segment s : image.segments()) {
            mem.load(s.address(), s.data());
            zero(mem, s.address() + s.data().length, s.memSize() - s.data().length);
        }
        List<ModuleLayout> placed = new ArrayList<>();
        long str = STRINGS;
        long[] stringAddr = new long[strings.size()];
        for (int k = 0; k < strings.size(); k++) {
            byte[] z = new byte[strings.get(k).length + 1];
            System.arraycopy(strings.get(k), 0, z, 0, z.length - 1);
            mem.load(str, z);
            stringAddr[k] = str;
            str += z.length;
        }
        for (int k = 0; k < modules.size(); k++) {
            byte[] data = modules.get(k).data();
            mem.load(starts[k], data);
            ModuleLayout m = new ModuleLayout(starts[k], starts[k] + data.length, stringAddr[k + 1]);
            placed.add(m);
            long e = MODULES + (long) MODULE_ENTRY * k;
            mem.write32(e, (int) m.start());
            mem.write32(e + 4, (int) m.end());
            mem.write32(e + 8, (int) m.string());
            mem.write32(e + 12, 0);
        }
        for (int k = 0; k < e820.size(); k++) {
            E820Entry x = e820.get(k);
            long e = MMAP + (long) MMAP_ENTRY * k;
            mem.write32(e, MMAP_ENTRY - 4);
            mem.write64(e + 4, x.base());
            mem.write64(e + 12, x.length());
            mem.write32(e + 20, x.type());
        }
        byte[] name = (LOADER_NAME_STRING + "\0").getBytes(StandardCharsets.US_ASCII);
        mem.load(LOADER_NAME, name);
        ProtectedModeEntry.writeGdt(mem, GDT);

        int memLower = (int) (usable.stream().filter(r -> r[0] == 0).mapToLong(r -> Math.min(r[1], 0xA0000))
                .findFirst().orElse(0) >> 10);
        long memUpper = usable.stream().filter(r -> r[0] <= ONE_MIB && ONE_MIB < r[1])
                .mapToLong(r -> (r[1] - ONE_MIB) >> 10).findFirst().orElse(0);
        int flags = INFO_MEMORY | INFO_CMDLINE | INFO_MODS | INFO_MMAP | INFO_LOADER_NAME;
        byte[] info = new byte[INFO_SIZE];
        put32(info, MI_FLAGS, flags);
        put32(info, MI_MEM_LOWER, memLower);
        put32(info, MI_MEM_UPPER, (int) memUpper);
        put32(info, MI_CMDLINE, (int) STRINGS);
        put32(info, MI_MODS_COUNT, modules.size());
        put32(info, MI_MODS_ADDR, (int) MODULES);
        put32(info, MI_MMAP_LENGTH, MMAP_ENTRY * e820.size());
        put32(info, MI_MMAP_ADDR, (int) MMAP);
        put32(info, MI_LOADER_NAME, (int) LOADER_NAME);
        mem.load(INFO, info);

        if (image.wantsVideoMode()) {
            log.info("multiboot kernel asks for a video mode (flags bit 2); ignored, the guest stays in text mode");
        }
        Layout l = new Layout(INFO, flags, GDT, STRINGS, cmd.length, image.start(), image.end(), placed, MMAP,
                e820.size(), memLower, memUpper, image.entry(), STACK_TOP);
        log.info("{}: {}", image, l);
        return l;
    }

    /** The first page-aligned base at or above {@code low} with {@code size} bytes of usable RAM, or -1. */
    private static long fit(List<long[]> usable, long low, long size) {
        for (long[] r : usable) {
            long base = pageUp(Math.max(low, r[0]));
            if (base + size <= r[1]) {
                return base;
            }
        }
        return -1;
    }

    private static byte[] ascii(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 0x7F) {
                throw new KernelLoadException(String.format("%s contains %s at index %d", what,
                        c == 0 ? "a NUL character" : String.format("the non-ASCII character U+%04X", (int) c), i));
            }
        }
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void zero(PhysicalMemory mem, long base, long size) {
        byte[] chunk = new byte[(int) Math.min(size, 1 << 16)];
        for (long done = 0; done < size; done += chunk.length) {
            long n = Math.min(chunk.length, size - done);
            mem.load(base + done, n == chunk.length ? chunk : new byte[(int) n]);
        }
    }

    private static long pageUp(long a) {
        return (a + PAGE - 1) & ~(PAGE - 1);
    }

    private static void put32(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
        b[o + 2] = (byte) (v >>> 16);
        b[o + 3] = (byte) (v >>> 24);
    }
}

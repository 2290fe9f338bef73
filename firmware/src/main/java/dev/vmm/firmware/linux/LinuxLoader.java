package dev.vmm.firmware.linux;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a bzImage directly into guest memory and starts it through the 32-bit boot protocol
 * (Documentation/arch/x86/boot.rst, "32-bit BOOT PROTOCOL"), as QEMU's {@code -kernel} and
 * Firecracker do: the kernel's real-mode setup code is not run; the loader fills boot_params
 * (the "zero page") itself.
 *
 * <p>Guest memory layout:
 * <pre>
 *   0x00500  GDT: null, null, 0x10 = __BOOT_CS (flat 4 GiB code), 0x18 = __BOOT_DS (flat data)
 *   0x07000  boot_params (4 KiB): screen_info, e820 table, the setup header copied from the file
 *   0x08FF0  initial ESP (0x8000-0x8FFF is scratch stack; the kernel sets up its own)
 *   0x20000  command line, NUL terminated (at most cmdline_size bytes)
 *   0x100000 protected-mode kernel; up to {@link #kernelAreaEnd} (e.g. pref_address 16 MiB +
 *            init_size for a relocatable kernel) is kept free for its decompressor
 *   high     initrd: page aligned, as high as possible in usable RAM below
 *            min(initrd_addr_max + 1, 4 GiB, RAM size), above the kernel's area
 * </pre>
 *
 * <p>CPU state at entry: CR0.PE set, paging off, GDTR at the GDT above, IDTR limit 0 (any
 * exception before the kernel loads its own IDT shuts the CPU down instead of vectoring through
 * garbage), CS = 0x10, DS = ES = SS = FS = GS = 0x18, EFLAGS = 0x2 (IF clear), ESI = boot_params,
 * EBX = EBP = EDI = 0, EIP = the load address (written back to code32_start); see
 * {@link ProtectedModeEntry}, which this loader shares with the Multiboot loader. The descriptor
 * caches are filled directly: base 0, limit 0xFFFFFFFF, attributes 0xC09B (code: present, DPL 0,
 * execute/read, accessed, D, G) and 0xC093 (data: read/write, accessed, B, G), matching the
 * descriptors written to the in-memory GDT so a later reload yields the same caches.
 *
 * <p>Not implemented: the 64-bit entry (startup_64 at load address + 0x200, needs long mode),
 * the EFI handover protocol, loading above 4 GiB, setup_data chains.
 */
public final class LinuxLoader {
    private static final Logger log = LoggerFactory.getLogger(LinuxLoader.class);

    public static final long GDT = 0x500;
    public static final long BOOT_PARAMS = 0x7000;
    public static final long STACK_TOP = 0x8FF0;
    public static final long CMDLINE = 0x20000;
    public static final long KERNEL_BASE = 0x100000;
    public static final int BOOT_CS = ProtectedModeEntry.BOOT_CS;
    public static final int BOOT_DS = ProtectedModeEntry.BOOT_DS;
    /** Flat 4 GiB code and data descriptors, as the kernel's own boot GDT defines them. */
    public static final long CODE_DESCRIPTOR = ProtectedModeEntry.CODE_DESCRIPTOR;
    public static final long DATA_DESCRIPTOR = ProtectedModeEntry.DATA_DESCRIPTOR;
    public static final int CODE_ATTR = ProtectedModeEntry.CODE_ATTR;
    public static final int DATA_ATTR = ProtectedModeEntry.DATA_ATTR;

    /** boot_params offsets (arch/x86/include/uapi/asm/bootparam.h). */
    static final int BP_SIZE = 0x1000;
    static final int BP_EXT_MEM_K = 0x002;
    static final int BP_VIDEO_MODE = 0x006;
    static final int BP_VIDEO_COLS = 0x007;
    static final int BP_VIDEO_EGA_BX = 0x00A;
    static final int BP_VIDEO_LINES = 0x00E;
    static final int BP_VIDEO_ISVGA = 0x00F;
    static final int BP_VIDEO_POINTS = 0x010;
    static final int BP_ALT_MEM_K = 0x1E0;
    static final int BP_E820_ENTRIES = 0x1E8;
    static final int BP_TYPE_OF_LOADER = 0x210;
    static final int BP_LOADFLAGS = 0x211;
    static final int BP_CODE32_START = 0x214;
    static final int BP_RAMDISK_IMAGE = 0x218;
    static final int BP_RAMDISK_SIZE = 0x21C;
    static final int BP_HEAP_END_PTR = 0x224;
    static final int BP_CMD_LINE_PTR = 0x228;
    static final int BP_E820_TABLE = 0x2D0;
    static final int E820_MAX = 128;
    /** "Undefined" boot loader ID. */
    static final int LOADER_ID = 0xFF;
    /** heap_end_ptr: the heap ends 0x200 short of 64 KiB above boot_params (informational: setup code is not run). */
    static final int HEAP_END = 0xFE00;

    private static final long FOUR_GIB = 1L << 32;
    private static final long PAGE = 0x1000;

    /** What went where. {@code initrdBase} and {@code initrdSize} are 0 without an initrd. */
    public record Layout(long bootParams, long gdt, long cmdLine, int cmdLineLength, long kernelBase,
                         long kernelSize, long kernelEnd, long initrdBase, long initrdSize, int e820Entries,
                         long entry, long stack) {
        @Override
        public String toString() {
            return String.format("boot_params 0x%x, cmdline 0x%x (%d bytes), kernel 0x%x-0x%x (area to 0x%x),"
                            + " initrd 0x%x (%d bytes), %d e820 entries, entry 0x%x",
                    bootParams, cmdLine, cmdLineLength, kernelBase, kernelBase + kernelSize, kernelEnd,
                    initrdBase, initrdSize, e820Entries, entry);
        }
    }

    private LinuxLoader() {
    }

    /**
     * Writes the kernel, command line, initrd, GDT and boot_params into {@code mem} and sets
     * {@code cpu} up for the 32-bit entry. {@code initrd} and {@code cmdline} may be null.
     */
    public static Layout load(PhysicalMemory mem, Cpu cpu, BzImage kernel, String cmdline, byte[] initrd,
                              List<? extends E820Entry> e820) {
        Layout l = place(mem, kernel, cmdline, initrd, e820);
        enter32(cpu, l);
        return l;
    }

    /** As {@link #load(PhysicalMemory, Cpu, BzImage, String, byte[], List)} with the initrd read from a file. */
    public static Layout load(PhysicalMemory mem, Cpu cpu, BzImage kernel, String cmdline, Path initrd,
                              List<? extends E820Entry> e820) throws IOException {
        return load(mem, cpu, kernel, cmdline, initrd == null ? null : Files.readAllBytes(initrd), e820);
    }

    /** Writes everything into guest memory; does not touch a CPU. */
    public static Layout place(PhysicalMemory mem, BzImage kernel, String cmdline, byte[] initrd,
                               List<? extends E820Entry> e820) {
        if (e820.size() > E820_MAX) {
            throw new KernelLoadException("memory map has " + e820.size() + " entries; boot_params holds " + E820_MAX);
        }
        List<long[]> usable = E820Entry.usableRanges(e820, mem.ramSize());

        byte[] cmd = (cmdline == null ? "" : cmdline).getBytes(StandardCharsets.US_ASCII);
        if (cmd.length > kernel.cmdlineSize()) {
            throw new KernelLoadException("command line is " + cmd.length + " bytes; this kernel accepts at most "
                    + kernel.cmdlineSize());
        }
        for (byte b : cmd) {
            if (b == 0) {
                throw new KernelLoadException("command line contains a NUL character");
            }
        }
        E820Entry.requireUsable(mem, usable, GDT, 32, "GDT");
        E820Entry.requireUsable(mem, usable, BOOT_PARAMS, BP_SIZE, "boot_params");
        E820Entry.requireUsable(mem, usable, STACK_TOP - 0xFF0, 0x1000, "boot stack");
        E820Entry.requireUsable(mem, usable, CMDLINE, cmd.length + 1L, "command line");

        long kernelSize = kernel.protectedModeSize();
        long kernelEnd = kernelAreaEnd(kernel, KERNEL_BASE);
        E820Entry.requireUsable(mem, usable, KERNEL_BASE, kernelEnd - KERNEL_BASE,
                "kernel (" + kernelSize + " bytes, init_size " + kernel.initSize() + ")");

        long initrdBase = 0;
        long initrdSize = initrd == null ? 0 : initrd.length;
        if (initrdSize > 0) {
            initrdBase = placeInitrd(usable, kernel, kernelEnd, initrdSize, mem.ramSize());
            E820Entry.requireUsable(mem, usable, initrdBase, initrdSize, "initrd");
        }

        // The kernel and initrd.
        mem.load(KERNEL_BASE, kernel.protectedModeKernel());
        if (initrdSize > 0) {
            mem.load(initrdBase, initrd);
        }
        // The command line.
        byte[] cmdz = new byte[cmd.length + 1];
        System.arraycopy(cmd, 0, cmdz, 0, cmd.length);
        mem.load(CMDLINE, cmdz);
        // The GDT.
        ProtectedModeEntry.writeGdt(mem, GDT);

        // boot_params, built in a buffer and copied.
        byte[] bp = new byte[BP_SIZE];
        long ramBelow4g = usable.stream().filter(r -> r[0] >= 0x100000).mapToLong(r -> r[1]).max().orElse(0x100000);
        long extKb = Math.max(0, (ramBelow4g - 0x100000) >> 10);
        put16(bp, BP_EXT_MEM_K, (int) Math.min(extKb, 0xFFFF));
        put32(bp, BP_ALT_MEM_K, (int) Math.min(extKb, 0xFFFF_FFFFL));
        // screen_info: 80x25 colour text (mode 3) on a VGA, cursor at 0,0, 8x16 font.
        bp[BP_VIDEO_MODE] = 3;
        bp[BP_VIDEO_COLS] = 80;
        put16(bp, BP_VIDEO_EGA_BX, 0x0003);
        bp[BP_VIDEO_LINES] = 25;
        bp[BP_VIDEO_ISVGA] = 1;
        put16(bp, BP_VIDEO_POINTS, 16);
        // The e820 table.
        bp[BP_E820_ENTRIES] = (byte) e820.size();
        for (int k = 0; k < e820.size(); k++) {
            E820Entry e = e820.get(k);
            int o = BP_E820_TABLE + 20 * k;
            put64(bp, o, e.base());
            put64(bp, o + 8, e.length());
            put32(bp, o + 16, e.type());
        }
        // The setup header, then what the boot loader writes into it.
        byte[] hdr = kernel.setupHeader();
        System.arraycopy(hdr, 0, bp, BzImage.HEADER_START, hdr.length);
        bp[BP_TYPE_OF_LOADER] = (byte) LOADER_ID;
        bp[BP_LOADFLAGS] = (byte) ((kernel.loadflags() & ~BzImage.KEEP_SEGMENTS) | BzImage.CAN_USE_HEAP
                | BzImage.LOADED_HIGH);
        put32(bp, BP_CODE32_START, (int) KERNEL_BASE);
        put32(bp, BP_RAMDISK_IMAGE, (int) initrdBase);
        put32(bp, BP_RAMDISK_SIZE, (int) initrdSize);
        put16(bp, BP_HEAP_END_PTR, HEAP_END);
        put32(bp, BP_CMD_LINE_PTR, (int) CMDLINE);
        mem.load(BOOT_PARAMS, bp);

        Layout l = new Layout(BOOT_PARAMS, GDT, CMDLINE, cmd.length, KERNEL_BASE, kernelSize, kernelEnd,
                initrdBase, initrdSize, e820.size(), KERNEL_BASE, STACK_TOP);
        log.info("Linux {}: {}", kernel, l);
        return l;
    }

    /**
     * Puts {@code cpu} in the state the 32-bit boot protocol requires, with the GDT and
     * boot_params of {@code l} already in memory.
     */
    public static void enter32(Cpu cpu, Layout l) {
        ProtectedModeEntry.enter(cpu, l.gdt(), l.entry(), l.stack());
        cpu.r[Cpu.ESI] = l.bootParams();
    }

    // ---- placement -----------------------------------------------------------------------------

    /**
     * The end of the memory a kernel loaded at {@code load} may use before it sets up its own
     * memory management: its image, and {@code init_size} bytes from where it decompresses to
     * (protocol 2.10+). A relocatable kernel decompresses at its load address aligned up to
     * kernel_alignment, but never below pref_address (LOAD_PHYSICAL_ADDR, typically 16 MiB); a
     * non-relocatable one at pref_address. Without KASLR; with it, the kernel itself avoids the
     * initrd and command line.
     */
    static long kernelAreaEnd(BzImage kernel, long load) {
        long end = load + Math.max(kernel.protectedModeSize(), kernel.initSize());
        long pref = kernel.prefAddress();
        if (pref != 0 && kernel.initSize() != 0) {
            long align = Math.max(kernel.kernelAlignment(), 1);
            long run = kernel.relocatable() ? Math.max((load + align - 1) / align * align, pref) : pref;
            end = Math.max(end, run + kernel.initSize());
        }
        return pageUp(end);
    }

    /** The highest page-aligned base for {@code size} bytes in usable RAM above {@code low}. */
    static long placeInitrd(List<long[]> usable, BzImage kernel, long low, long size, long ramSize) {
        long limit = Math.min(Math.min(kernel.initrdAddrMax() + 1, FOUR_GIB), ramSize);
        long best = -1;
        for (long[] r : usable) {
            long start = Math.max(r[0], low);
            long end = Math.min(r[1], limit);
            long base = (end - size) & ~(PAGE - 1);
            if (end - start >= size && base >= start && base > best) {
                best = base;
            }
        }
        if (best < 0) {
            long room = 0;
            for (long[] r : usable) {
                room = Math.max(room, Math.min(r[1], limit) - Math.max(r[0], low));
            }
            throw new KernelLoadException(String.format(
                    "initrd of %d bytes (%d MiB) does not fit: the largest usable RAM between the kernel's end 0x%x "
                            + "and the initrd limit 0x%x is %d bytes",
                    size, (size + (1 << 20) - 1) >> 20, low, limit, Math.max(0, room)));
        }
        return best;
    }

    private static long pageUp(long a) {
        return (a + PAGE - 1) & ~(PAGE - 1);
    }

    private static void put16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    private static void put32(byte[] b, int o, int v) {
        put16(b, o, v);
        put16(b, o + 2, v >>> 16);
    }

    private static void put64(byte[] b, int o, long v) {
        put32(b, o, (int) v);
        put32(b, o + 4, (int) (v >>> 32));
    }
}

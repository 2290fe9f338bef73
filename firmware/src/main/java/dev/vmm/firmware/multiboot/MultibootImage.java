package dev.vmm.firmware.multiboot;

import dev.vmm.firmware.linux.KernelFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A Multiboot (version 1, specification 0.6.96) kernel image: the Multiboot header and what to
 * load where.
 *
 * <p>The header is the first 4-byte-aligned {@link #HEADER_MAGIC} within the first
 * {@link #SEARCH_LIMIT} bytes whose {@code magic + flags + checksum} is 0 (mod 2^32). Its flags:
 * <ul>
 *   <li>bit 0, page-align modules: honoured (the loader always page-aligns modules);</li>
 *   <li>bit 1, memory information required: honoured (the loader always passes mem_lower,
 *       mem_upper and the memory map);</li>
 *   <li>bit 2, video mode table: accepted and ignored: the guest stays in the text mode the
 *       board comes up in and the information structure carries no VBE or framebuffer fields
 *       (flags bits 11 and 12 clear), which the specification allows (the mode fields are a
 *       preference, not a requirement);</li>
 *   <li>bits 3-15 (required features this loader does not know): refused;</li>
 *   <li>bit 16, the a.out kludge: the header's address fields say where to load the file
 *       (header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr) and take precedence
 *       over any ELF headers, as in GRUB;</li>
 *   <li>bits 17-31 (optional): ignored.</li>
 * </ul>
 *
 * <p>Without the a.out kludge the image must be an ELF32, little-endian, x86 ({@code EM_386})
 * executable: each {@code PT_LOAD} segment is loaded at its physical address ({@code p_paddr})
 * with {@code p_memsz - p_filesz} bytes of BSS zeroed after it. The entry point is
 * {@code e_entry}, translated from virtual to physical through the segment containing it when a
 * segment's {@code p_vaddr} differs from its {@code p_paddr} (a higher-half kernel), as GRUB 2 does.
 *
 * <p>Refusals are {@link KernelFormatException}s with a one-line message.
 */
public final class MultibootImage {
    public static final int HEADER_MAGIC = 0x1BADB002;
    public static final int SEARCH_LIMIT = 8192;

    public static final int FLAG_PAGE_ALIGN = 1;
    public static final int FLAG_MEMORY_INFO = 1 << 1;
    public static final int FLAG_VIDEO_MODE = 1 << 2;
    public static final int FLAG_AOUT_KLUDGE = 1 << 16;
    /** The required-feature bits (0-15) this loader handles. */
    public static final int SUPPORTED_REQUIRED = FLAG_PAGE_ALIGN | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;

    static final int ELF_HEADER_SIZE = 52;
    static final int PHDR_SIZE = 32;
    static final int PT_LOAD = 1;
    static final int ET_EXEC = 2;
    static final int EM_386 = 3;
    private static final long FOUR_GIB = 1L << 32;

    /**
     * One piece to load: {@code data} at physical {@code address}, followed by zeroes up to
     * {@code memSize} bytes.
     */
    public record Segment(long address, byte[] data, long memSize) {
        public long end() {
            return address + memSize;
        }

        @Override
        public String toString() {
            return String.format("0x%x-0x%x (%d bytes from the file)", address, end(), data.length);
        }
    }

    private final int headerOffset;
    private final int flags;
    private final boolean aout;
    private final List<Segment> segments;
    private final long entry;

    private MultibootImage(int headerOffset, int flags, boolean aout, List<Segment> segments, long entry) {
        this.headerOffset = headerOffset;
        this.flags = flags;
        this.aout = aout;
        this.segments = List.copyOf(segments);
        this.entry = entry;
    }

    /** Parses {@code file}; throws {@link KernelFormatException} if it is no usable Multiboot kernel. */
    public static MultibootImage parse(byte[] file) {
        int limit = Math.min(file.length, SEARCH_LIMIT) - 12;
        int header = -1;
        int badChecksum = -1;
        for (int o = 0; o <= limit; o += 4) {
            if (get32(file, o) == HEADER_MAGIC) {
                if (HEADER_MAGIC + get32(file, o + 4) + get32(file, o + 8) == 0) {
                    header = o;
                    break;
                }
                if (badChecksum < 0) {
                    badChecksum = o;
                }
            }
        }
        if (header < 0 && badChecksum >= 0) {
            int f = get32(file, badChecksum + 4);
            int c = get32(file, badChecksum + 8);
            throw new KernelFormatException(String.format(
                    "multiboot header at offset 0x%x has a bad checksum: magic + flags 0x%08x + checksum 0x%08x"
                            + " = 0x%08x, not 0", badChecksum, f, c, HEADER_MAGIC + f + c));
        }
        if (header < 0) {
            throw new KernelFormatException(String.format(
                    "no multiboot header (magic 0x%08X, 4-byte aligned) in the first %d bytes of the %d-byte file",
                    HEADER_MAGIC, SEARCH_LIMIT, file.length));
        }
        int flags = get32(file, header + 4);
        int unsupported = flags & 0xFFFF & ~SUPPORTED_REQUIRED;
        if (unsupported != 0) {
            throw new KernelFormatException(String.format(
                    "multiboot header flags 0x%08x require unsupported features (bits 0x%04x; this loader handles"
                            + " bits 0-2 and 16)", flags, unsupported));
        }
        if ((flags & FLAG_AOUT_KLUDGE) != 0) {
            return aout(file, header, flags);
        }
        return elf(file, header, flags);
    }

    private static MultibootImage aout(byte[] file, int header, int flags) {
        if (header + 32 > file.length) {
            throw new KernelFormatException(String.format(
                    "multiboot header at offset 0x%x sets the a.out kludge (flags bit 16) but the file ends before its"
                            + " address fields", header));
        }
        long headerAddr = u32(file, header + 12);
        long loadAddr = u32(file, header + 16);
        long loadEndAddr = u32(file, header + 20);
        long bssEndAddr = u32(file, header + 24);
        long entryAddr = u32(file, header + 28);
        if (loadAddr > headerAddr) {
            throw new KernelFormatException(String.format(
                    "a.out kludge: load_addr 0x%x is above header_addr 0x%x", loadAddr, headerAddr));
        }
        long offset = header - (headerAddr - loadAddr);
        if (offset < 0) {
            throw new KernelFormatException(String.format(
                    "a.out kludge: header_addr 0x%x - load_addr 0x%x puts the load start before the file's beginning"
                            + " (header at offset 0x%x)", headerAddr, loadAddr, header));
        }
        long size = loadEndAddr == 0 ? file.length - offset : loadEndAddr - loadAddr;
        if (loadEndAddr != 0 && loadEndAddr < loadAddr) {
            throw new KernelFormatException(String.format(
                    "a.out kludge: load_end_addr 0x%x is below load_addr 0x%x", loadEndAddr, loadAddr));
        }
        if (offset + size > file.length) {
            throw new KernelFormatException(String.format(
                    "a.out kludge: load_addr 0x%x-load_end_addr 0x%x needs %d bytes from offset 0x%x but the file has"
                            + " %d", loadAddr, loadEndAddr, size, offset, file.length));
        }
        long end = loadAddr + size;
        if (bssEndAddr != 0 && bssEndAddr < end) {
            throw new KernelFormatException(String.format(
                    "a.out kludge: bss_end_addr 0x%x is below the end of the loaded image 0x%x", bssEndAddr, end));
        }
        long memSize = (bssEndAddr == 0 ? end : bssEndAddr) - loadAddr;
        if (loadAddr + memSize > FOUR_GIB) {
            throw new KernelFormatException(String.format(
                    "a.out kludge: image 0x%x-0x%x extends beyond 4 GiB", loadAddr, loadAddr + memSize));
        }
        if (entryAddr < loadAddr || entryAddr >= loadAddr + Math.max(memSize, 1)) {
            throw new KernelFormatException(String.format(
                    "a.out kludge: entry_addr 0x%x is outside the image 0x%x-0x%x", entryAddr, loadAddr,
                    loadAddr + memSize));
        }
        Segment s = new Segment(loadAddr, Arrays.copyOfRange(file, (int) offset, (int) (offset + size)), memSize);
        return new MultibootImage(header, flags, true, List.of(s), entryAddr);
    }

    private static MultibootImage elf(byte[] file, int header, int flags) {
        String why = notElf32X86(file);
        if (why != null) {
            throw new KernelFormatException(String.format(
                    "%s and the multiboot header (flags 0x%08x) has no a.out kludge (bit 16)", why, flags));
        }
        long phoff = u32(file, 28);
        int phentsize = get16(file, 42);
        int phnum = get16(file, 44);
        if (phentsize < PHDR_SIZE || phoff + (long) phnum * phentsize > file.length) {
            throw new KernelFormatException(String.format(
                    "ELF program headers (%d of %d bytes at offset 0x%x) do not fit in the %d-byte file",
                    phnum, phentsize, phoff, file.length));
        }
        long eEntry = u32(file, 24);
        List<Segment> segs = new ArrayList<>();
        long entry = -1;
        for (int k = 0; k < phnum; k++) {
            int p = (int) (phoff + (long) k * phentsize);
            if (get32(file, p) != PT_LOAD) {
                continue;
            }
            long offset = u32(file, p + 4);
            long vaddr = u32(file, p + 8);
            long paddr = u32(file, p + 12);
            long filesz = u32(file, p + 16);
            long memsz = u32(file, p + 20);
            if (filesz > memsz) {
                throw new KernelFormatException(String.format(
                        "ELF segment %d has p_filesz 0x%x larger than p_memsz 0x%x", k, filesz, memsz));
            }
            if (offset + filesz > file.length) {
                throw new KernelFormatException(String.format(
                        "ELF segment %d (0x%x bytes at offset 0x%x) extends past the end of the %d-byte file",
                        k, filesz, offset, file.length));
            }
            if (paddr + memsz > FOUR_GIB) {
                throw new KernelFormatException(String.format(
                        "ELF segment %d at physical 0x%x-0x%x extends beyond 4 GiB", k, paddr, paddr + memsz));
            }
            if (memsz == 0) {
                continue;
            }
            segs.add(new Segment(paddr, Arrays.copyOfRange(file, (int) offset, (int) (offset + filesz)), memsz));
            if (entry < 0 && eEntry >= vaddr && eEntry < vaddr + memsz) {
                entry = paddr + (eEntry - vaddr);
            }
        }
        if (segs.isEmpty()) {
            throw new KernelFormatException("ELF executable has no loadable (PT_LOAD) segments");
        }
        if (entry < 0) {
            throw new KernelFormatException(String.format(
                    "ELF entry point 0x%x is not inside any loadable segment", eEntry));
        }
        for (int i = 0; i < segs.size(); i++) {
            for (int j = i + 1; j < segs.size(); j++) {
                Segment a = segs.get(i);
                Segment b = segs.get(j);
                if (a.address() < b.end() && b.address() < a.end()) {
                    throw new KernelFormatException(String.format(
                            "ELF segments at physical %s and %s overlap", a, b));
                }
            }
        }
        return new MultibootImage(header, flags, false, segs, entry);
    }

    /** Why {@code file} is not a little-endian ELF32 x86 executable, or null if it is one. */
    private static String notElf32X86(byte[] file) {
        if (file.length < ELF_HEADER_SIZE || file[0] != 0x7F || file[1] != 'E' || file[2] != 'L' || file[3] != 'F') {
            return "not an ELF file";
        }
        if (file[4] != 1) {
            return file[4] == 2 ? "ELF64 image (need ELF32)" : "ELF class " + file[4] + " (need ELF32)";
        }
        if (file[5] != 1) {
            return "big-endian ELF (need little-endian)";
        }
        if (get16(file, 18) != EM_386) {
            return "ELF machine " + get16(file, 18) + " (need 3, x86)";
        }
        if (get16(file, 16) != ET_EXEC) {
            return "ELF type " + get16(file, 16) + " (need 2, executable)";
        }
        return null;
    }

    /** Offset of the Multiboot header in the file. */
    public int headerOffset() {
        return headerOffset;
    }

    /** The header's flags word. */
    public int flags() {
        return flags;
    }

    /** Whether the header's address fields (the a.out kludge) said where to load the file. */
    public boolean aoutKludge() {
        return aout;
    }

    public boolean pageAlignModules() {
        return (flags & FLAG_PAGE_ALIGN) != 0;
    }

    public boolean wantsMemoryInfo() {
        return (flags & FLAG_MEMORY_INFO) != 0;
    }

    /** Bit 2: the kernel asked for a video mode; this loader ignores the request. */
    public boolean wantsVideoMode() {
        return (flags & FLAG_VIDEO_MODE) != 0;
    }

    /** What to load, in file order. */
    public List<Segment> segments() {
        return segments;
    }

    /** The physical entry point. */
    public long entry() {
        return entry;
    }

    /** The lowest physical address the image occupies. */
    public long start() {
        return segments.stream().mapToLong(Segment::address).min().orElseThrow();
    }

    /** The end of the highest segment, BSS included. */
    public long end() {
        return segments.stream().mapToLong(Segment::end).max().orElseThrow();
    }

    @Override
    public String toString() {
        return String.format("multiboot %s image, header at 0x%x, flags 0x%08x, %d segment(s) 0x%x-0x%x, entry 0x%x",
                aout ? "a.out-kludge" : "ELF32", headerOffset, flags, segments.size(), start(), end(), entry);
    }

    private static int get16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    private static int get32(byte[] b, int o) {
        return get16(b, o) | get16(b, o + 2) << 16;
    }

    private static long u32(byte[] b, int o) {
        return get32(b, o) & 0xFFFF_FFFFL;
    }
}

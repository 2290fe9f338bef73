package dev.vmm.firmware.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A Linux x86 bzImage and its real-mode setup header (Documentation/arch/x86/boot.rst).
 *
 * <p>The file is the real-mode setup ({@code setup_sects + 1} 512-byte sectors, the setup
 * header at 0x1F1) followed by the protected-mode kernel ({@code syssize} 16-byte paragraphs).
 * Only boot protocol 2.04 and later (kernel 2.6.14, 2005) with LOADED_HIGH are accepted; anything
 * else is refused with a {@link KernelFormatException}. Fields a protocol version does not define
 * read as 0 (or the protocol's documented default).
 */
public final class BzImage {
    /** The setup header starts here, in the file and in boot_params. */
    public static final int HEADER_START = 0x1F1;
    /** boot_params holds the setup header up to here (then edd_mbr_sig_buffer). */
    public static final int HEADER_LIMIT = 0x290;
    public static final int HDRS = 0x5372_6448; // "HdrS" little-endian
    public static final int MIN_PROTOCOL = 0x0204;

    // loadflags
    public static final int LOADED_HIGH = 0x01;
    public static final int KASLR_FLAG = 0x02;
    public static final int QUIET_FLAG = 0x20;
    public static final int KEEP_SEGMENTS = 0x40;
    public static final int CAN_USE_HEAP = 0x80;
    // xloadflags
    public static final int XLF_KERNEL_64 = 0x01;
    public static final int XLF_CAN_BE_LOADED_ABOVE_4G = 0x02;
    public static final int XLF_EFI_HANDOVER_32 = 0x04;
    public static final int XLF_EFI_HANDOVER_64 = 0x08;

    /** initrd_addr_max of kernels that do not state it. */
    public static final long DEFAULT_INITRD_ADDR_MAX = 0x37FF_FFFFL;
    /** cmdline_size of kernels before protocol 2.06. */
    public static final int DEFAULT_CMDLINE_SIZE = 255;

    private final byte[] file;
    private final int version;
    private final int setupSects;
    private final long syssize;
    private final int loadflags;
    private final int headerEnd;

    private BzImage(byte[] file) {
        this.file = file;
        int n = file.length;
        if (n < 0x206) {
            throw new KernelFormatException("not a Linux bzImage: only " + n
                    + " bytes, too short to hold a setup header (needs at least 0x206)");
        }
        if (le32(0x202) != HDRS) {
            throw new KernelFormatException("not a Linux bzImage: no HdrS signature");
        }
        if (n < 0x212) {
            throw new KernelFormatException("truncated bzImage: " + n + " bytes end inside the setup header");
        }
        this.version = le16(0x206);
        if (version < MIN_PROTOCOL) {
            throw new KernelFormatException("Linux boot protocol " + versionString(version)
                    + " is too old: need " + versionString(MIN_PROTOCOL) + " or later (kernel 2.6.14+)");
        }
        this.loadflags = u8(0x211);
        if ((loadflags & LOADED_HIGH) == 0) {
            throw new KernelFormatException(
                    "zImage (loadflags without LOADED_HIGH) is not supported: only bzImage kernels load at 1 MiB");
        }
        int sects = u8(0x1F1);
        this.setupSects = sects == 0 ? 4 : sects;
        this.headerEnd = Math.min(0x202 + u8(0x201), HEADER_LIMIT);
        int setupSize = (setupSects + 1) * 512;
        if (n < setupSize || n < headerEnd) {
            throw new KernelFormatException("truncated bzImage: " + n + " bytes, but the real-mode setup alone is "
                    + setupSize + " bytes (" + setupSects + " setup sectors + boot sector)");
        }
        this.syssize = le32(0x1F4) & 0xFFFF_FFFFL;
        long pmNeeded = syssize * 16;
        long pmHave = n - (long) setupSize;
        if (pmHave <= 0 || pmHave < pmNeeded) {
            throw new KernelFormatException("truncated bzImage: protected-mode kernel is " + pmHave
                    + " bytes, but syssize says " + pmNeeded);
        }
    }

    /** Parses {@code file} (the array is copied). */
    public static BzImage parse(byte[] file) {
        return new BzImage(file.clone());
    }

    /** Reads and parses the kernel file at {@code path}. */
    public static BzImage read(Path path) throws IOException {
        return new BzImage(Files.readAllBytes(path));
    }

    // ---- header fields -------------------------------------------------------------------------

    /** Boot protocol version, e.g. 0x020F for 2.15. */
    public int protocolVersion() {
        return version;
    }

    /** The protocol version as "major.minor". */
    public String protocolString() {
        return versionString(version);
    }

    /** Setup sectors after the boot sector (a stored 0 means 4). */
    public int setupSects() {
        return setupSects;
    }

    /** Protected-mode kernel size in 16-byte paragraphs. */
    public long syssize() {
        return syssize;
    }

    public int loadflags() {
        return loadflags;
    }

    /** The protected-mode entry point the kernel expects (0x100000 unless relocated). */
    public long code32Start() {
        return le32(0x214) & 0xFFFF_FFFFL;
    }

    /** Highest address the initrd may occupy (its last byte). */
    public long initrdAddrMax() {
        long v = version >= 0x0203 ? le32(0x22C) & 0xFFFF_FFFFL : 0;
        return v == 0 ? DEFAULT_INITRD_ADDR_MAX : v;
    }

    /** Physical alignment the kernel wants when relocated (2.05+; 0 before). */
    public long kernelAlignment() {
        return version >= 0x0205 ? le32(0x230) & 0xFFFF_FFFFL : 0;
    }

    /** True if the protected-mode kernel may be loaded at any suitably aligned address (2.05+). */
    public boolean relocatable() {
        return version >= 0x0205 && u8(0x234) != 0;
    }

    /** log2 of the minimum alignment for a relocated kernel (2.10+; 0 before). */
    public int minAlignment() {
        return version >= 0x020A ? u8(0x235) : 0;
    }

    /** Extended load flags (2.12+; 0 before). */
    public int xloadflags() {
        return version >= 0x020C ? le16(0x236) : 0;
    }

    /** Longest command line the kernel accepts, without the NUL (255 before 2.06). */
    public long cmdlineSize() {
        return version >= 0x0206 ? le32(0x238) & 0xFFFF_FFFFL : DEFAULT_CMDLINE_SIZE;
    }

    /** Preferred load address of a relocatable kernel (2.10+; 0 before). */
    public long prefAddress() {
        return version >= 0x020A ? le64(0x258) : 0;
    }

    /** Linear memory the kernel needs from its load address before it sets up its own (2.10+; 0 before). */
    public long initSize() {
        return version >= 0x020A ? le32(0x260) & 0xFFFF_FFFFL : 0;
    }

    /** Offset of the EFI handover entry (2.11+; 0 before). Not used by this loader. */
    public long handoverOffset() {
        return version >= 0x020B ? le32(0x264) & 0xFFFF_FFFFL : 0;
    }

    /** The kernel version string the header points at, or "" if there is none. */
    public String kernelVersion() {
        int p = le16(0x20E);
        if (p == 0) {
            return "";
        }
        int start = p + 0x200;
        int end = start;
        int limit = Math.min(file.length, (setupSects + 1) * 512);
        while (end < limit && file[end] != 0 && end - start < 256) {
            end++;
        }
        return start >= limit ? "" : new String(file, start, end - start, StandardCharsets.US_ASCII);
    }

    // ---- the two parts -------------------------------------------------------------------------

    /** Offset of the setup header's end (0x202 + the jump's displacement byte, capped at 0x290). */
    public int headerEnd() {
        return headerEnd;
    }

    /** The setup header, bytes {@code [0x1F1, headerEnd)} of the file, to copy into boot_params. */
    public byte[] setupHeader() {
        return Arrays.copyOfRange(file, HEADER_START, headerEnd);
    }

    /** File offset of the protected-mode kernel. */
    public int protectedModeOffset() {
        return (setupSects + 1) * 512;
    }

    /** Size of the protected-mode kernel ({@code syssize * 16}; anything appended after it is left out). */
    public long protectedModeSize() {
        return syssize == 0 ? file.length - protectedModeOffset() : syssize * 16;
    }

    /** A copy of the protected-mode kernel. */
    public byte[] protectedModeKernel() {
        int off = protectedModeOffset();
        return Arrays.copyOfRange(file, off, Math.toIntExact(off + protectedModeSize()));
    }

    @Override
    public String toString() {
        return String.format("bzImage protocol %s, %d setup sectors, %d KiB kernel, init_size 0x%x%s%s",
                protocolString(), setupSects, protectedModeSize() >> 10, initSize(),
                relocatable() ? ", relocatable" : "",
                (xloadflags() & XLF_KERNEL_64) != 0 ? ", 64-bit" : "");
    }

    static String versionString(int v) {
        return (v >>> 8) + "." + String.format("%02d", v & 0xFF);
    }

    private int u8(int off) {
        return file[off] & 0xFF;
    }

    private int le16(int off) {
        return u8(off) | u8(off + 1) << 8;
    }

    private int le32(int off) {
        return le16(off) | le16(off + 2) << 16;
    }

    private long le64(int off) {
        return (le32(off) & 0xFFFF_FFFFL) | (long) le32(off + 4) << 32;
    }
}

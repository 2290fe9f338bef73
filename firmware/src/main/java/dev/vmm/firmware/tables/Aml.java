package dev.vmm.firmware.tables;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A small AML (ACPI Machine Language, ACPI 6.x chapter 20) encoder: each method returns the bytes
 * of one term, and containers take their children's bytes. Enough for a static DSDT: names, scopes,
 * devices, methods, packages, integers, strings, EISA IDs, buffers and resource templates.
 *
 * <p>Names are ASL-style paths: {@code "_HID"}, {@code "\\_SB.PCI0"}, {@code "^ISA"}; segments
 * shorter than four characters are padded with '_'.
 */
public final class Aml {
    private Aml() {
    }

    // ---- opcodes (ACPI 6.x 20.3) ----
    static final int ZERO_OP = 0x00;
    static final int ONE_OP = 0x01;
    static final int NAME_OP = 0x08;
    static final int BYTE_PREFIX = 0x0A;
    static final int WORD_PREFIX = 0x0B;
    static final int DWORD_PREFIX = 0x0C;
    static final int STRING_PREFIX = 0x0D;
    static final int QWORD_PREFIX = 0x0E;
    static final int SCOPE_OP = 0x10;
    static final int BUFFER_OP = 0x11;
    static final int PACKAGE_OP = 0x12;
    static final int METHOD_OP = 0x14;
    static final int DUAL_NAME_PREFIX = 0x2E;
    static final int MULTI_NAME_PREFIX = 0x2F;
    static final int EXT_OP_PREFIX = 0x5B;
    static final int DEVICE_OP = 0x82;
    static final int ROOT_CHAR = 0x5C;
    static final int PARENT_PREFIX = 0x5E;
    static final int RETURN_OP = 0xA4;
    static final int ONES_OP = 0xFF;

    /** Concatenates terms. */
    public static byte[] seq(byte[]... terms) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] t : terms) {
            out.writeBytes(t);
        }
        return out.toByteArray();
    }

    /**
     * The PkgLength encoding of a package whose contents after the PkgLength are {@code bodyLength}
     * bytes: the encoded length counts the PkgLength bytes themselves.
     */
    public static byte[] pkgLength(int bodyLength) {
        if (bodyLength + 1 <= 0x3F) {
            return new byte[] {(byte) (bodyLength + 1)};
        }
        for (int n = 1; n <= 3; n++) {
            int total = bodyLength + 1 + n;
            if (total < 1 << (4 + 8 * n)) {
                byte[] b = new byte[n + 1];
                b[0] = (byte) (n << 6 | total & 0xF);
                for (int i = 1; i <= n; i++) {
                    b[i] = (byte) (total >>> (4 + 8 * (i - 1)));
                }
                return b;
            }
        }
        throw new IllegalArgumentException("package too long: " + bodyLength);
    }

    private static byte[] pkg(int[] opcode, byte[] body) {
        return seq(ops(opcode), pkgLength(body.length), body);
    }

    private static byte[] ops(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return b;
    }

    /** A NameSeg: one to four characters of [A-Z0-9_], padded with '_'. */
    static byte[] nameSeg(String seg) {
        if (seg.isEmpty() || seg.length() > 4 || !seg.matches("[A-Z_][A-Z0-9_]*")) {
            throw new IllegalArgumentException("bad AML name segment: '" + seg + "'");
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) (i < seg.length() ? seg.charAt(i) : '_');
        }
        return b;
    }

    /** A NameString: optional root ('\') or parent ('^') prefixes, then dot-separated segments. */
    public static byte[] nameString(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        if (path.startsWith("\\")) {
            out.write(ROOT_CHAR);
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == '^') {
                out.write(PARENT_PREFIX);
                i++;
            }
        }
        String rest = path.substring(i);
        String[] segs = rest.isEmpty() ? new String[0] : rest.split("\\.", -1);
        switch (segs.length) {
            case 0 -> out.write(0x00);
            case 1 -> { }
            case 2 -> out.write(DUAL_NAME_PREFIX);
            default -> {
                if (segs.length > 255) {
                    throw new IllegalArgumentException("path too deep: " + path);
                }
                out.write(MULTI_NAME_PREFIX);
                out.write(segs.length);
            }
        }
        for (String s : segs) {
            out.writeBytes(nameSeg(s));
        }
        return out.toByteArray();
    }

    // ---- named objects and scopes ----

    /** {@code Name(name, value)}. */
    public static byte[] name(String name, byte[] value) {
        return seq(ops(NAME_OP), nameString(name), value);
    }

    /** {@code Scope(name) { terms }}. */
    public static byte[] scope(String name, byte[]... terms) {
        return pkg(new int[] {SCOPE_OP}, seq(nameString(name), seq(terms)));
    }

    /** {@code Device(name) { terms }}. */
    public static byte[] device(String name, byte[]... terms) {
        return pkg(new int[] {EXT_OP_PREFIX, DEVICE_OP}, seq(nameString(name), seq(terms)));
    }

    /** {@code Method(name, argCount, Serialized/NotSerialized) { terms }}, sync level 0. */
    public static byte[] method(String name, int argCount, boolean serialized, byte[]... terms) {
        if (argCount < 0 || argCount > 7) {
            throw new IllegalArgumentException("argCount 0-7");
        }
        int flags = argCount | (serialized ? 1 << 3 : 0);
        return pkg(new int[] {METHOD_OP}, seq(nameString(name), ops(flags), seq(terms)));
    }

    /** {@code Return(value)}. */
    public static byte[] ret(byte[] value) {
        return seq(ops(RETURN_OP), value);
    }

    // ---- data ----

    /** {@code Package() { elements }}. */
    public static byte[] pkg(byte[]... elements) {
        if (elements.length > 255) {
            throw new IllegalArgumentException("Package() holds at most 255 elements; use VarPackage");
        }
        return pkg(new int[] {PACKAGE_OP}, seq(ops(elements.length), seq(elements)));
    }

    public static byte[] zero() {
        return ops(ZERO_OP);
    }

    public static byte[] one() {
        return ops(ONE_OP);
    }

    public static byte[] ones() {
        return ops(ONES_OP);
    }

    public static byte[] byteConst(int v) {
        return ops(BYTE_PREFIX, v & 0xFF);
    }

    public static byte[] wordConst(int v) {
        return ops(WORD_PREFIX, v & 0xFF, v >>> 8 & 0xFF);
    }

    public static byte[] dwordConst(long v) {
        return seq(ops(DWORD_PREFIX), new ByteSink().u32(v).toArray());
    }

    public static byte[] qwordConst(long v) {
        return seq(ops(QWORD_PREFIX), new ByteSink().u64(v).toArray());
    }

    /** An integer in its shortest encoding (Zero, One, Ones for all-ones, or the smallest prefix). */
    public static byte[] integer(long v) {
        if (v == 0) {
            return zero();
        } else if (v == 1) {
            return one();
        } else if (v == -1) {
            return ones();
        } else if ((v & ~0xFFL) == 0) {
            return byteConst((int) v);
        } else if ((v & ~0xFFFFL) == 0) {
            return wordConst((int) v);
        } else if ((v & ~0xFFFF_FFFFL) == 0) {
            return dwordConst(v);
        }
        return qwordConst(v);
    }

    /** A String constant (ASCII, no NUL inside). */
    public static byte[] string(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        for (byte c : b) {
            if (c == 0) {
                throw new IllegalArgumentException("NUL in AML string");
            }
        }
        return seq(ops(STRING_PREFIX), b, ops(0));
    }

    /** The 32-bit compressed EISA ID of a 7-character ID such as "PNP0A03". */
    public static long eisaIdValue(String id) {
        if (!id.matches("[A-Z@]{3}[0-9A-F]{4}")) {
            throw new IllegalArgumentException("bad EISA ID: " + id);
        }
        int c1 = id.charAt(0) & 0x1F;
        int c2 = id.charAt(1) & 0x1F;
        int c3 = id.charAt(2) & 0x1F;
        int hex = Integer.parseInt(id.substring(3), 16);
        int b0 = c1 << 2 | c2 >>> 3;
        int b1 = (c2 << 5 | c3) & 0xFF;
        int b2 = hex >>> 8;
        int b3 = hex & 0xFF;
        return (long) b3 << 24 | b2 << 16 | b1 << 8 | b0;
    }

    /** {@code EISAID("PNP0A03")}: a DWordConst. */
    public static byte[] eisaId(String id) {
        return dwordConst(eisaIdValue(id));
    }

    /** {@code Buffer() { bytes }}. */
    public static byte[] buffer(byte[] bytes) {
        return pkg(new int[] {BUFFER_OP}, seq(integer(bytes.length), bytes));
    }

    // ---- resource templates (ACPI 6.x 6.4) ----

    /** {@code ResourceTemplate() { descriptors }}: a buffer of the descriptors and an end tag. */
    public static byte[] resourceTemplate(byte[]... descriptors) {
        // End tag with checksum 0 ("treated as if the checksum operation succeeded").
        return buffer(seq(seq(descriptors), ops(0x79, 0x00)));
    }

    /** {@code IO(Decode16, min, max, align, length)}. */
    public static byte[] io(int min, int max, int align, int length) {
        return ops(0x47, 0x01, min & 0xFF, min >>> 8 & 0xFF, max & 0xFF, max >>> 8 & 0xFF, align, length);
    }

    /** {@code IRQNoFlags() { irqs }}: edge, active-high, exclusive ISA interrupts. */
    public static byte[] irqNoFlags(int... irqs) {
        int mask = 0;
        for (int irq : irqs) {
            if (irq < 0 || irq > 15) {
                throw new IllegalArgumentException("ISA IRQ 0-15: " + irq);
            }
            mask |= 1 << irq;
        }
        return ops(0x22, mask & 0xFF, mask >>> 8);
    }

    /** {@code Memory32Fixed(ReadWrite, base, length)}. */
    public static byte[] memory32Fixed(long base, long length) {
        return new ByteSink().u8(0x86).u16(9).u8(1).u32(base).u32(length).toArray();
    }

    // General flags of the address space descriptors: producer, positive decode, MinFixed, MaxFixed.
    private static final int ADDR_PRODUCER_FIXED = 0x0C;

    /** {@code WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, max-min+1)}. */
    public static byte[] wordBusNumber(int min, int max) {
        return new ByteSink().u8(0x88).u16(13).u8(2).u8(ADDR_PRODUCER_FIXED).u8(0)
                .u16(0).u16(min).u16(max).u16(0).u16(max - min + 1).toArray();
    }

    /** {@code DWordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, len)}. */
    public static byte[] dwordIo(long min, long max) {
        return dwordAddress(1, 0x03, min, max);
    }

    /** {@code DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite, ...)}. */
    public static byte[] dwordMemory(long min, long max) {
        return dwordAddress(0, 0x03, min, max);
    }

    private static byte[] dwordAddress(int type, int typeFlags, long min, long max) {
        return new ByteSink().u8(0x87).u16(23).u8(type).u8(ADDR_PRODUCER_FIXED).u8(typeFlags)
                .u32(0).u32(min).u32(max).u32(0).u32(max - min + 1).toArray();
    }

    /**
     * {@code Interrupt(ResourceConsumer, Level|Edge, ActiveHigh|ActiveLow, Shared|Exclusive) { gsis }}:
     * the extended interrupt descriptor.
     */
    public static byte[] interrupt(boolean level, boolean activeLow, boolean shared, long... gsis) {
        if (gsis.length == 0 || gsis.length > 255) {
            throw new IllegalArgumentException("1-255 interrupts");
        }
        int flags = 1 | (level ? 0 : 2) | (activeLow ? 4 : 0) | (shared ? 8 : 0);
        ByteSink s = new ByteSink().u8(0x89).u16(2 + 4 * gsis.length).u8(flags).u8(gsis.length);
        for (long g : gsis) {
            s.u32(g);
        }
        return s.toArray();
    }
}

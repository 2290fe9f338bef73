package dev.vmm.cli.monitor;

import dev.vmm.core.cpu.CodeSource;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Decoder;
import dev.vmm.core.cpu.Disassembler;
import dev.vmm.core.cpu.Insn;
import dev.vmm.core.memory.PhysicalMemory;
import java.util.HexFormat;
import java.util.Locale;

/**
 * QEMU's {@code x/FMT ADDR} and {@code xp/FMT ADDR}: guest memory as numbers or as instructions.
 * {@code FMT} is {@code [count][format][unit]}: format {@code x} hex, {@code d} signed, {@code u}
 * unsigned, {@code o} octal, {@code c} characters, {@code i} instructions; unit {@code b} byte,
 * {@code h} 2, {@code w} 4, {@code g} 8 bytes. {@code x} takes a linear address (translated
 * through the guest's page tables without side effects), {@code xp} a physical one. Device memory
 * (MMIO) is not read: a read could change the device's state.
 */
final class MemoryView {
    /** At most this many items per command, so a typo cannot flood the terminal. */
    static final int MAX_COUNT = 4096;

    /** A parsed {@code /FMT}. */
    record Format(int count, char format, int unit) {
    }

    /** Memory that cannot be shown. */
    static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(String message) {
            super(message);
        }
    }

    private MemoryView() {
    }

    /** Parses {@code /FMT} (without the slash; empty for the defaults: one hex word). */
    static Format parseFormat(String fmt) {
        int k = 0;
        while (k < fmt.length() && Character.isDigit(fmt.charAt(k))) {
            k++;
        }
        int count = 1;
        if (k > 0) {
            if (k > 6) {
                throw new IllegalArgumentException("count too large: " + fmt.substring(0, k));
            }
            count = Integer.parseInt(fmt.substring(0, k));
            if (count < 1 || count > MAX_COUNT) {
                throw new IllegalArgumentException("count must be 1.." + MAX_COUNT + ": " + count);
            }
        }
        char format = 'x';
        int unit = 0;
        for (char c : fmt.substring(k).toCharArray()) {
            switch (c) {
                case 'x', 'd', 'u', 'o', 'c', 'i' -> format = c;
                case 'b' -> unit = 1;
                case 'h' -> unit = 2;
                case 'w' -> unit = 4;
                case 'g' -> unit = 8;
                default -> throw new IllegalArgumentException("unknown format letter '" + c
                        + "' (formats x d u o c i, units b h w g)");
            }
        }
        if (unit == 0) {
            unit = format == 'c' ? 1 : 4;
        }
        return new Format(count, format, unit);
    }

    /** Reads guest bytes: through the page tables when {@code linear}, else physical. */
    static byte[] read(Cpu cpu, long addr, int length, boolean linear) throws Unreadable {
        PageWalker walker = new PageWalker(cpu);
        PhysicalMemory mem = cpu.memory();
        byte[] out = new byte[length];
        for (int k = 0; k < length; k++) {
            long a = addr + k;
            long pa = linear ? walker.translate(a) : a;
            if (pa < 0) {
                throw new Unreadable(String.format("cannot access memory at %08x: not mapped by the page tables", a));
            }
            if ((mem.kind(pa) & 0x0F) == PhysicalMemory.MMIO) {
                throw new Unreadable(String.format("%08x is device memory (MMIO): the monitor does not read it", a));
            }
            out[k] = (byte) mem.read8(pa);
        }
        return out;
    }

    /** The lines of {@code x}/{@code xp} for {@code f} at {@code addr}. */
    static String dump(Cpu cpu, Format f, long addr, boolean linear) throws Unreadable {
        if (f.format() == 'i') {
            return disassemble(cpu, f.count(), addr, linear);
        }
        byte[] data = read(cpu, addr, f.count() * f.unit(), linear);
        int perLine = switch (f.unit()) {
            case 1 -> f.format() == 'c' ? 16 : 8;
            case 2 -> 8;
            case 4 -> 4;
            default -> 2;
        };
        StringBuilder sb = new StringBuilder();
        for (int item = 0; item < f.count(); item++) {
            if (item % perLine == 0) {
                if (item > 0) {
                    sb.append('\n');
                }
                sb.append(String.format("%08x:", addr + (long) item * f.unit()));
            }
            long v = 0;
            for (int b = f.unit() - 1; b >= 0; b--) {
                v = (v << 8) | (data[item * f.unit() + b] & 0xFF);
            }
            sb.append(' ').append(item(v, f));
        }
        return sb.append('\n').toString();
    }

    private static String item(long v, Format f) {
        int bits = f.unit() * 8;
        return switch (f.format()) {
            case 'x' -> "0x" + String.format("%0" + f.unit() * 2 + "x", v);
            case 'u' -> Long.toUnsignedString(v);
            case 'o' -> "0" + Long.toOctalString(v);
            case 'd' -> Long.toString(bits == 64 ? v : (v << (64 - bits)) >> (64 - bits));
            case 'c' -> {
                int c = (int) (v & 0xFF);
                yield c >= 0x20 && c < 0x7F ? "'" + (char) c + "'" : String.format("'\\x%02x'", c);
            }
            default -> throw new IllegalStateException("format " + f.format());
        };
    }

    /**
     * {@code count} instructions from {@code addr}, decoded in the current code segment's mode
     * (16 or 32 bits); branch targets are shown as offsets in CS (linear address minus CS base).
     */
    static String disassemble(Cpu cpu, int count, long addr, boolean linear) throws Unreadable {
        int mode = cpu.codeSize();
        long csBase = cpu.seg[Cpu.CS].base;
        long ipMask = mode == 16 ? 0xFFFFL : 0xFFFF_FFFFL;
        StringBuilder sb = new StringBuilder();
        long at = addr;
        for (int n = 0; n < count; n++) {
            byte[] window = readUpTo(cpu, at, 15, linear);
            if (window.length == 0) {
                if (n == 0) {
                    read(cpu, at, 1, linear);   // throws with the reason
                }
                break;
            }
            Insn i = Decoder.decode(CodeSource.of(window, 0), mode);
            int len = i.entry == null ? 1 : Math.min(i.len, window.length);
            String text = i.entry == null ? "(bad)" : Disassembler.format(i, (at - csBase) & ipMask);
            sb.append(String.format(Locale.ROOT, "%08x:  %-24s %s%n", at,
                    HexFormat.ofDelimiter(" ").formatHex(window, 0, len), text));
            at += len;
        }
        return sb.toString();
    }

    /** As many of {@code max} bytes from {@code addr} as can be read (stops at the first unreadable one). */
    private static byte[] readUpTo(Cpu cpu, long addr, int max, boolean linear) {
        for (int n = max; n > 0; n--) {
            try {
                return read(cpu, addr, n, linear);
            } catch (Unreadable e) {
                // fewer
            }
        }
        return new byte[0];
    }
}

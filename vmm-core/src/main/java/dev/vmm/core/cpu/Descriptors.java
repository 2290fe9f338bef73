package dev.vmm.core.cpu;

/**
 * Reading and interpreting segment descriptors from the GDT and LDT (Intel SDM vol. 3, 3.4.5).
 * A descriptor is handled as the raw 64-bit value; the static helpers decode its fields.
 */
final class Descriptors {
    private Descriptors() {
    }

    /** Type values of system descriptors. */
    static final int TSS16_AVAIL = 1;
    static final int LDT = 2;
    static final int TSS16_BUSY = 3;
    static final int CALL_GATE16 = 4;
    static final int TASK_GATE = 5;
    static final int INT_GATE16 = 6;
    static final int TRAP_GATE16 = 7;
    static final int TSS32_AVAIL = 9;
    static final int TSS32_BUSY = 11;
    static final int CALL_GATE32 = 12;
    static final int INT_GATE32 = 14;
    static final int TRAP_GATE32 = 15;

    /**
     * Reads the descriptor for {@code selector}, or throws {@code vector}({@code selector & ~3 | ext})
     * when the selector points past its table's limit. Null selectors must be handled by the caller.
     */
    static long read(Cpu cpu, int selector, int vector, int ext) {
        long base;
        int limit;
        if ((selector & 4) != 0) {
            if (!cpu.ldtr.usable || (cpu.ldtr.attr & 0x80) == 0) {
                throw cpu.fault(vector, (selector & 0xFFFC) | ext);
            }
            base = cpu.ldtr.base;
            limit = (int) cpu.ldtr.limit;
        } else {
            base = cpu.gdtBase;
            limit = cpu.gdtLimit;
        }
        int off = selector & 0xFFF8;
        if (off + 7 > (limit & 0xFFFFFFFFL)) {
            throw cpu.fault(vector, (selector & 0xFFFC) | ext);
        }
        return cpu.readLinear64(base + off);
    }

    /** Linear address of the descriptor of {@code selector} (no limit check). */
    static long address(Cpu cpu, int selector) {
        long base = (selector & 4) != 0 ? cpu.ldtr.base : cpu.gdtBase;
        return (base + (selector & 0xFFF8)) & 0xFFFF_FFFFL;
    }

    /** Sets the accessed bit of a code/data descriptor in memory, if it is not set yet. */
    static void setAccessed(Cpu cpu, int selector, long desc) {
        if ((desc & (1L << 40)) == 0) {
            long a = address(cpu, selector) + 5;
            cpu.writeLinear8(a, cpu.readLinear8(a) | 1);
        }
    }

    static long base(long d) {
        return ((d >>> 16) & 0xFF_FFFFL) | ((d >>> 32) & 0xFF00_0000L);
    }

    /** The byte-granular limit. */
    static long limit(long d) {
        long l = (d & 0xFFFF) | ((d >>> 32) & 0xF_0000L);
        return (d & (1L << 55)) != 0 ? (l << 12) | 0xFFF : l;
    }

    /** Attribute bits in access-rights layout (see {@link Segment#attr}). */
    static int attr(long d) {
        return (int) ((d >>> 40) & 0xF0FF);
    }

    static int type(long d) {
        return (int) ((d >>> 40) & 0xF);
    }

    static boolean system(long d) {
        return (d & (1L << 44)) == 0;
    }

    static int dpl(long d) {
        return (int) ((d >>> 45) & 3);
    }

    static boolean present(long d) {
        return (d & (1L << 47)) != 0;
    }

    static boolean code(long d) {
        return !system(d) && (d & (1L << 43)) != 0;
    }

    static boolean conforming(long d) {
        return code(d) && (d & (1L << 42)) != 0;
    }

    static boolean readable(long d) {
        return !code(d) || (d & (1L << 41)) != 0;
    }

    static boolean writableData(long d) {
        return !system(d) && !code(d) && (d & (1L << 41)) != 0;
    }

    /** Gate target selector. */
    static int gateSelector(long d) {
        return (int) ((d >>> 16) & 0xFFFF);
    }

    /** Gate target offset (32-bit gates; the caller masks for 16-bit gates). */
    static long gateOffset(long d) {
        return (d & 0xFFFF) | ((d >>> 32) & 0xFFFF_0000L);
    }

    /** Loads a segment register cache from a descriptor. */
    static void load(Segment s, int selector, long d) {
        s.set(selector, base(d), limit(d), attr(d) | Segment.A_ACCESSED * (system(d) ? 0 : 1));
    }
}

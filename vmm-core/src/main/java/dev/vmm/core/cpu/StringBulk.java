package dev.vmm.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * REP STOS and REP MOVS over plain RAM a page at a time: the kernel's memset, clear_page and memcpy.
 *
 * <p>{@link StringOps} runs a repeated instruction element by element, each through the segment
 * checks and the MMU. Here, when the addresses are 32-bit, DF is clear, nothing traps per element
 * (TF, debug registers) and the segments are {@link Segment#flat} (no limit can stop an element
 * short of its page's end), the elements that lie wholly in pages the JIT's TLB maps for these
 * accesses at this privilege ({@link Mmu#jitWritable}: RAM without decoded code,
 * {@link Mmu#jitReadable}: RAM; what the element-wise accesses would hit) are stored or copied at
 * once; any other element (crossing a page, a TLB miss, a write to a page with code, MMIO) runs
 * the element-wise way, which fills the TLB, drops code or faults as before. The count, the
 * registers and the chunk ({@link StringOps#CHUNK} elements per execution, then rip rewinds) come
 * out exactly as element by element.
 *
 * <p>A copy whose destination starts inside its source ahead of it repeats the source's first
 * elements element by element on real hardware, unlike a memmove: such runs also go element-wise.
 */
final class StringBulk {
    private StringBulk() {
    }

    /** True if this execution of repeated STOS ({@code movs} false) or MOVS may run in bulk (see the class comment). */
    private static boolean eligible(Cpu c, Insn i, boolean movs) {
        return i.asize == 4 && (i.prefixes & (Insn.P_REP | Insn.P_REPNE)) != 0
                && (c.flags.bits & (Flags.DF | Flags.TF)) == 0 && !c.debugActive
                && c.seg[Cpu.ES].flat && (!movs || c.seg[i.seg].flat);
    }

    /** Runs a repeated STOS if it is {@link #eligible}, and returns true; else returns false having done nothing. */
    static boolean stos(Cpu c, Insn i) {
        if (!eligible(c, i, false)) {
            return false;
        }
        int size = i.w1;
        long value = c.reg(Cpu.EAX, size);
        boolean user = c.cpl == 3;
        StringOps.repeat(c, i, (count, left) -> {
            long di = c.reg(Cpu.EDI, 4);
            long pa = c.mmu.jitWritable(di, user);
            int n = (int) Math.min(Math.min(left, count), (0x1000 - (di & 0xFFF)) / size);
            if (pa < 0 || n == 0) {
                StringOps.stosOne(c, i);
                return 1;
            }
            fill(c.mmu.ram, pa, n, size, value);
            c.setReg(Cpu.EDI, 4, di + (long) n * size);
            return n;
        }, false, StringOps.CHUNK);
        return true;
    }

    /** Runs a repeated MOVS if it is {@link #eligible}, and returns true; else returns false having done nothing. */
    static boolean movs(Cpu c, Insn i) {
        if (!eligible(c, i, true)) {
            return false;
        }
        int size = i.w1;
        boolean user = c.cpl == 3;
        StringOps.repeat(c, i, (count, left) -> {
            long si = c.reg(Cpu.ESI, 4);
            long di = c.reg(Cpu.EDI, 4);
            long from = c.mmu.jitReadable(si, user);
            long to = c.mmu.jitWritable(di, user);
            long room = Math.min(0x1000 - (si & 0xFFF), 0x1000 - (di & 0xFFF)) / size;
            int n = (int) Math.min(Math.min(left, count), room);
            long bytes = (long) n * size;
            if (from < 0 || to < 0 || n == 0 || to > from && to < from + bytes) {
                StringOps.movsOne(c, i);
                return 1;
            }
            MemorySegment.copy(c.mmu.ram, from, c.mmu.ram, to, bytes);
            c.setReg(Cpu.ESI, 4, si + bytes);
            c.setReg(Cpu.EDI, 4, di + bytes);
            return n;
        }, false, StringOps.CHUNK);
        return true;
    }

    /** Stores {@code n} elements of {@code size} bytes of {@code value} at {@code pa}. */
    private static void fill(MemorySegment ram, long pa, int n, int size, long value) {
        long bytes = (long) n * size;
        if (size == 1 || value == 0 || value == Cpu.mask(-1L, size)) {
            ram.asSlice(pa, bytes).fill((byte) value);
            return;
        }
        for (long a = pa; a < pa + bytes; a += size) {
            switch (size) {
                case 2 -> ram.set(ValueLayout.JAVA_SHORT_UNALIGNED, a, (short) value);
                case 4 -> ram.set(ValueLayout.JAVA_INT_UNALIGNED, a, (int) value);
                default -> ram.set(ValueLayout.JAVA_LONG_UNALIGNED, a, value);
            }
        }
    }
}

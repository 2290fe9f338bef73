package dev.vmm.core.snapshot;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.CpuFixture;
import dev.vmm.core.cpu.CpuState;
import dev.vmm.core.cpu.Segment;
import java.lang.foreign.MemorySegment;

/**
 * A small guest for snapshot tests: flat 32-bit protected mode, it turns on PAE paging itself
 * (one 2 MiB identity page), then loops 256 times over arithmetic with lazy flags, stores through
 * DS and through an FS segment with base 0x60000, pushes and pops, RDTSC and PUSHFD, and halts.
 */
public final class TestGuest {
    public static final long CODE = 0x10000;
    static final long PDPT = 0x100000;
    static final long PD = 0x101000;
    static final long FS_BASE = 0x60000;

    private static final int[] PROGRAM = {
        0x0F, 0x20, 0xE0,                   // mov eax, cr4
        0x83, 0xC8, 0x20,                   // or eax, CR4.PAE
        0x0F, 0x22, 0xE0,                   // mov cr4, eax
        0xB8, 0x00, 0x00, 0x10, 0x00,       // mov eax, PDPT
        0x0F, 0x22, 0xD8,                   // mov cr3, eax
        0x0F, 0x20, 0xC0,                   // mov eax, cr0
        0x0D, 0x00, 0x00, 0x00, 0x80,       // or eax, CR0.PG
        0x0F, 0x22, 0xC0,                   // mov cr0, eax
        0x31, 0xC0,                         // xor eax, eax
        0xB9, 0x00, 0x01, 0x00, 0x00,       // mov ecx, 256
        0xBE, 0x00, 0x00, 0x05, 0x00,       // mov esi, 0x50000
        // loop:
        0x01, 0xC8,                         // add eax, ecx
        0x11, 0xC3,                         // adc ebx, eax
        0x89, 0x04, 0x8E,                   // mov [esi+ecx*4], eax
        0x64, 0x89, 0x01,                   // mov fs:[ecx], eax
        0x50,                               // push eax
        0x5A,                               // pop edx
        0x0F, 0x31,                         // rdtsc
        0x31, 0xC7,                         // xor edi, eax
        0x9C,                               // pushfd
        0x5D,                               // pop ebp
        0xE2, 0xEC,                         // loop loop
        0xF4,                               // hlt
    };

    private TestGuest() {
    }

    /** A fixture with the program loaded, the page tables in RAM, and FS based at 0x60000. */
    public static CpuFixture create() {
        CpuFixture f = new CpuFixture();
        f.flat32(CODE);
        f.load(CODE, PROGRAM);
        f.mem.write64(PDPT, PD | 1);
        f.mem.write64(PD, 0x83); // 2 MiB page at 0: present, writable, PS
        Segment fs = f.cpu.seg[Cpu.FS];
        fs.base = FS_BASE;
        fs.limit = 0xFFFF;
        fs.attr = Segment.A_P | Segment.A_S | Segment.A_RW | Segment.A_ACCESSED | Segment.A_DB;
        fs.refresh();
        return f;
    }

    /** A fresh fixture of the same RAM size with no program and no set-up. */
    public static CpuFixture blank() {
        return new CpuFixture();
    }

    /** Copies {@code from}'s RAM into {@code to}'s. */
    public static void copyRam(CpuFixture from, CpuFixture to) {
        MemorySegment.copy(from.mem.ram(), 0, to.mem.ram(), 0, from.mem.ramSize());
    }

    /**
     * Steps both CPUs one instruction at a time until both halt (or {@code max} steps), asserting
     * after every step that their states are equal; then that their RAM is equal. Returns the steps.
     */
    public static int lockstep(CpuFixture a, CpuFixture b, int max) {
        int steps = 0;
        while (!(a.cpu.halted && b.cpu.halted) && steps < max) {
            a.cpu.step();
            b.cpu.step();
            steps++;
            CpuState sa = a.cpu.save();
            CpuState sb = b.cpu.save();
            if (!sa.equals(sb)) {
                throw new AssertionError("states differ after " + steps + " steps:\n" + sa + "\n" + sb);
            }
        }
        if (a.mem.ram().mismatch(b.mem.ram()) != -1) {
            throw new AssertionError("RAM differs at " + Long.toHexString(a.mem.ram().mismatch(b.mem.ram())));
        }
        return steps;
    }
}

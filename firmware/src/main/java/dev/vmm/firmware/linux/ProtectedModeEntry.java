package dev.vmm.firmware.linux;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.core.memory.PhysicalMemory;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flat 32-bit protected-mode state boot loaders hand a kernel to (the Linux 32-bit boot
 * protocol, Multiboot): a four-entry GDT (null, null, 0x10 = flat 4 GiB code, 0x18 = flat data),
 * CR0.PE set, paging off, IDTR limit 0 (any exception before the kernel loads its own IDT shuts
 * the CPU down instead of vectoring through garbage), CPL 0, A20 on, EFLAGS = 0x2 (IF and VM
 * clear), all general registers 0 except ESP.
 *
 * <p>The descriptor caches are filled directly (the CPU's descriptor-loading helpers are
 * package-private to dev.vmm.core.cpu): base 0, limit 0xFFFFFFFF, attributes {@link #CODE_ATTR}
 * and {@link #DATA_ATTR}, matching the descriptors {@link #writeGdt} puts in memory so a later
 * reload yields the same caches.
 */
public final class ProtectedModeEntry {
    private static final Logger log = LoggerFactory.getLogger(ProtectedModeEntry.class);

    public static final int BOOT_CS = 0x10;
    public static final int BOOT_DS = 0x18;
    /** Bytes of the GDT {@link #writeGdt} writes. */
    public static final int GDT_SIZE = 4 * 8;
    /** Flat 4 GiB code and data descriptors, as the Linux kernel's own boot GDT defines them. */
    public static final long CODE_DESCRIPTOR = 0x00CF_9B00_0000_FFFFL;
    public static final long DATA_DESCRIPTOR = 0x00CF_9300_0000_FFFFL;
    /** Cached attributes: present, DPL 0, execute/read (read/write), accessed, D/B, G. */
    public static final int CODE_ATTR = 0xC09B;
    public static final int DATA_ATTR = 0xC093;

    private ProtectedModeEntry() {
    }

    /** Writes the four-entry GDT at {@code base}. */
    public static void writeGdt(PhysicalMemory mem, long base) {
        mem.write64(base, 0);
        mem.write64(base + 8, 0);
        mem.write64(base + BOOT_CS, CODE_DESCRIPTOR);
        mem.write64(base + BOOT_DS, DATA_DESCRIPTOR);
    }

    /**
     * Puts {@code cpu} in flat 32-bit protected mode with the GDT at {@code gdt} (already written
     * by {@link #writeGdt}), ESP = {@code stack}, EIP = {@code entry} and every other general
     * register 0; the caller sets the registers its protocol passes values in.
     */
    public static void enter(Cpu cpu, long gdt, long entry, long stack) {
        if (!cpu.a20()) {
            log.warn("A20 was disabled; enabling it for the 32-bit kernel entry");
            cpu.setA20(true);
        }
        cpu.gdtBase = gdt;
        cpu.gdtLimit = GDT_SIZE - 1;
        cpu.idtBase = 0;
        cpu.idtLimit = 0;
        cpu.cr0 = (cpu.cr0 | Cpu.CR0_PE) & ~Cpu.CR0_PG;
        cpu.cpl = 0;
        cpu.mmu().flushAll();
        for (int s = 0; s < cpu.seg.length; s++) {
            if (s == Cpu.CS) {
                flat(cpu.seg[s], BOOT_CS, CODE_ATTR);
            } else {
                flat(cpu.seg[s], BOOT_DS, DATA_ATTR);
            }
        }
        cpu.flags.set(0x2);
        Arrays.fill(cpu.r, 0);
        cpu.r[Cpu.ESP] = stack;
        cpu.rip = entry;
        cpu.halted = false;
    }

    private static void flat(Segment s, int selector, int attr) {
        s.selector = selector;
        s.base = 0;
        s.limit = 0xFFFF_FFFFL;
        s.attr = attr;
        s.usable = true;
        s.refresh();
    }
}

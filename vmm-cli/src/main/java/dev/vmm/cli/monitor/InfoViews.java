package dev.vmm.cli.monitor;

import dev.vmm.core.bus.MmioBus;
import dev.vmm.core.bus.PioBus;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.core.monitor.ResidentMemory;
import dev.vmm.core.monitor.Sizes;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.pci.PciBus;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The text of {@code info registers}, {@code info mem} and {@code info devices}; call with the vCPU held. */
final class InfoViews {
    /** {@code info mem} lists at most this many ranges. */
    static final int MAX_RANGES = 64;
    private static final String[] SEGMENTS = {"ES", "CS", "SS", "DS", "FS", "GS"};

    private InfoViews() {
    }

    /** The registers, laid out as QEMU's {@code info registers} lays them out for a 32-bit CPU. */
    static String registers(Cpu cpu) {
        StringBuilder sb = new StringBuilder();
        long[] r = cpu.r;
        sb.append(String.format("EAX=%08x EBX=%08x ECX=%08x EDX=%08x%n", r[Cpu.EAX], r[Cpu.EBX], r[Cpu.ECX], r[Cpu.EDX]));
        sb.append(String.format("ESI=%08x EDI=%08x EBP=%08x ESP=%08x%n", r[Cpu.ESI], r[Cpu.EDI], r[Cpu.EBP], r[Cpu.ESP]));
        int fl = cpu.eflags();
        sb.append(String.format("EIP=%08x EFL=%08x [%s] CPL=%d A20=%d HLT=%d%n", cpu.rip, fl, flagLetters(fl), cpu.cpl,
                cpu.a20() ? 1 : 0, cpu.halted ? 1 : 0));
        for (int s = 0; s < 6; s++) {
            sb.append(segment(String.format("%-3s", SEGMENTS[s]), cpu.seg[s]));
        }
        sb.append(segment("LDT", cpu.ldtr));
        sb.append(segment("TR ", cpu.tr));
        sb.append(String.format("GDT=     %08x %08x%n", cpu.gdtBase, cpu.gdtLimit));
        sb.append(String.format("IDT=     %08x %08x%n", cpu.idtBase, cpu.idtLimit));
        sb.append(String.format("CR0=%08x CR2=%08x CR3=%08x CR4=%08x%n", cpu.cr0, cpu.cr2, cpu.cr3, cpu.cr4));
        sb.append(String.format("DR0=%08x DR1=%08x DR2=%08x DR3=%08x%n", cpu.dr[0], cpu.dr[1], cpu.dr[2], cpu.dr[3]));
        sb.append(String.format("DR6=%08x DR7=%08x%n", cpu.dr[6], cpu.dr[7]));
        sb.append(String.format("EFER=%016x%n", cpu.efer));
        sb.append(String.format("instructions retired: %d%n", cpu.instructionCount()));
        return sb.toString();
    }

    /** EFLAGS as QEMU shows them: D O S Z A P C, or '-' for a clear flag. */
    static String flagLetters(int fl) {
        int[] bits = {10, 11, 7, 6, 4, 2, 0};
        String letters = "DOSZAPC";
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < bits.length; k++) {
            sb.append((fl & (1 << bits[k])) != 0 ? letters.charAt(k) : '-');
        }
        return sb.toString();
    }

    /** selector, base, limit and the descriptor's flags word (high dword bits 8-23), as QEMU prints them. */
    private static String segment(String name, Segment s) {
        return String.format("%s=%04x %08x %08x %08x%n", name, s.selector, s.base, s.limit, (s.attr << 8) & 0x00F0_FF00);
    }

    /** RAM size, what the host backs of it, and the guest's paging: mode and mapped ranges. */
    static String memory(PcBoard board) {
        Cpu cpu = board.cpu();
        StringBuilder sb = new StringBuilder();
        long ram = board.memory().ramSize();
        long resident = ResidentMemory.residentBytes(board.memory().ram());
        sb.append("RAM: ").append(Sizes.format(ram));
        if (resident >= 0) {
            sb.append(String.format(Locale.ROOT, ", touched %s (%.1f%%, host pages backed)", Sizes.format(resident),
                    100.0 * resident / ram));
        } else {
            sb.append(", touched: unknown on this host");
        }
        sb.append('\n');
        PageWalker w = new PageWalker(cpu);
        if (!w.paging()) {
            sb.append(cpu.protectedMode() ? "paging: off (protected mode, linear = physical)\n"
                    : "paging: off (real mode, linear = physical)\n");
            return sb.toString();
        }
        sb.append(String.format("paging: %s, CR3=%08x%s%s%s%n", w.pae() ? "PAE" : "2-level", cpu.cr3,
                (cpu.cr4 & Cpu.CR4_PSE) != 0 ? ", PSE" : "", (cpu.cr4 & Cpu.CR4_PGE) != 0 ? ", PGE" : "",
                (cpu.cr0 & Cpu.CR0_WP) != 0 ? ", WP" : ""));
        if ((cpu.efer & Cpu.EFER_LMA) != 0) {
            return sb.append("long mode: mappings are not listed\n").toString();
        }
        List<PageWalker.Range> ranges = w.ranges();
        long mapped = 0;
        for (PageWalker.Range r : ranges) {
            mapped += r.size();
        }
        sb.append(String.format("mapped: %s in %d ranges (linear-end size physical rights)%n", Sizes.format(mapped),
                ranges.size()));
        for (int k = 0; k < Math.min(ranges.size(), MAX_RANGES); k++) {
            PageWalker.Range r = ranges.get(k);
            sb.append(String.format("%08x-%08x %08x %09x %s%n", r.linear(), r.linear() + r.size(), r.size(),
                    r.physical(), r.rights()));
        }
        if (ranges.size() > MAX_RANGES) {
            sb.append("... ").append(ranges.size() - MAX_RANGES).append(" more\n");
        }
        return sb.toString();
    }

    /** The board's port ranges, memory-mapped regions, PCI functions and ISA interrupt lines. */
    static String devices(PcBoard board) {
        StringBuilder sb = new StringBuilder("I/O ports:\n");
        List<PioBus.Range> ports = new java.util.ArrayList<>(board.io().ranges());
        ports.sort(java.util.Comparator.comparingInt(PioBus.Range::base));
        for (PioBus.Range r : ports) {
            sb.append(String.format("  %04x-%04x  %s%n", r.base(), r.base() + r.length() - 1, r.name()));
        }
        sb.append("memory-mapped:\n");
        for (MmioBus.Region r : board.memory().mmio().regions()) {
            sb.append(String.format("  %08x-%08x  %s%n", r.base(), r.base() + r.length() - 1, r.name()));
        }
        sb.append("PCI (bus 0):\n");
        PciBus pci = board.pci();
        for (int d = 0; d < PciBus.DEVICES; d++) {
            for (int f = 0; f < PciBus.FUNCTIONS; f++) {
                if (pci.function(d, f) == null) {
                    continue;
                }
                int id = pci.configRead(d, f, 0, 4);
                int cls = pci.configRead(d, f, 8, 4) >>> 8;
                int pin = pci.configRead(d, f, 0x3D, 1);
                int line = pci.configRead(d, f, 0x3C, 1);
                sb.append(String.format("  00:%02x.%d  %04x:%04x  class %06x%s%n", d, f, id & 0xFFFF, id >>> 16, cls,
                        pin == 0 ? "" : String.format("  INT%c# line %d", 'A' + pin - 1, line)));
            }
        }
        sb.append("ISA IRQs (8259 pair and I/O APIC):\n");
        for (Map.Entry<Integer, String> e : board.isaIrqUsers().entrySet()) {
            sb.append(String.format("  IRQ %2d  %s%n", e.getKey(), e.getValue()));
        }
        return sb.toString();
    }
}

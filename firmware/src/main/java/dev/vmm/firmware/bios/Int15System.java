package dev.vmm.firmware.bios;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.clock.VirtualClock;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.firmware.tables.E820Map;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INT 15h: memory map (E820h, E801h, 88h), A20 (2400h-2403h), configuration table (C0h), wait
 * (86h) and the protected-mode block move (87h).
 *
 * <p>Sizes: AH=88h reports the KiB above 1 MiB, at most 63 MiB (FC00h) as real machines do
 * (Ralf Brown's list gives 15 MiB as the historical limit; SeaBIOS returns 63 MiB above 64 MiB).
 * AX=E801h reports the RAM above 1 MiB up to the ACPI table region (the E820 map's first
 * non-usable range above 1 MiB): AX = CX = KiB between 1 and 16 MiB, BX = DX = 64 KiB blocks
 * above 16 MiB.
 */
final class Int15System {
    private static final Logger log = LoggerFactory.getLogger(Int15System.class);
    static final long SMAP = 0x534D_4150L;
    static final int UNSUPPORTED = 0x86;
    /** AH=87h: "exception interrupt error" (a descriptor's limit is too small for the move). */
    static final int MOVE_EXCEPTION = 0x02;
    /** AH=88h never reports more than 63 MiB. */
    static final int EXT_KIB_MAX = 63 * 1024;

    private final PhysicalMemory mem;
    private final PioBus io;
    private final VirtualClock clock;
    private final Cpu cpu;
    private final List<E820Map.Entry> map;
    private final long ramBytes;
    /** End of the usable RAM that starts at 1 MiB (where the ACPI region begins). */
    private final long usableTop;
    /** Guest time at which a pending AH=86h wait ends, or -1. */
    private long waitUntil = -1;

    Int15System(Cpu cpu, PioBus io, VirtualClock clock, E820Map map, long ramBytes) {
        this.cpu = cpu;
        this.mem = cpu.memory();
        this.io = io;
        this.clock = clock;
        this.map = map.entries();
        this.ramBytes = ramBytes;
        this.usableTop = map.entries().stream()
                .filter(e -> e.type() == E820Map.RAM && e.base() == 0x10_0000)
                .mapToLong(E820Map.Entry::end).findFirst().orElse(Math.min(ramBytes, 0x10_0000));
    }

    /** Guest time at which a pending AH=86h wait ends, or -1 (a snapshot's state). */
    long waitUntil() {
        return waitUntil;
    }

    void setWaitUntil(long t) {
        this.waitUntil = t < 0 ? -1 : t;
    }

    void handle(CallFrame f) {
        int ax = f.ax();
        if (ax == 0xE820 && f.edx() == SMAP) {
            e820(f);
            return;
        }
        if (ax == 0xE801 || ax == 0xE881) {
            long below16 = Math.min(Math.max(0, usableTop - 0x10_0000), 0xF0_0000) / 1024;
            long above16 = Math.min(Math.max(0, usableTop - 0x100_0000) / 0x1_0000, 0xFFFF);
            f.setAx((int) below16);
            f.setBx((int) above16);
            f.setCx((int) below16);
            f.setDx((int) above16);
            f.setCf(false);
            return;
        }
        switch (f.ah()) {
            case 0x24 -> a20(f);
            case 0x4F -> f.setCf(true);                  // keyboard intercept: keep the scancode
            case 0x86 -> await(f);
            case 0x87 -> blockMove(f);
            case 0x88 -> {
                f.setAx((int) Math.min(Math.max(0, ramBytes - 0x10_0000) / 1024, EXT_KIB_MAX));
                f.setCf(false);
            }
            case 0x90, 0x91 -> f.status(0);
            case 0xC0 -> {
                f.setSegment(Cpu.ES, BiosRom.SEGMENT);
                f.setBx(BiosRom.CONFIG_TABLE);
                f.status(0);
            }
            default -> {
                log.debug("INT 15h AX={} not supported", Integer.toHexString(ax));
                f.status(UNSUPPORTED);
            }
        }
    }

    /**
     * AH=87h: copies CX words between the 32-bit bases of the source (ES:SI+10h) and destination
     * (ES:SI+18h) descriptors of the caller's GDT. The bases are physical addresses (the BIOS
     * moves with paging off and A20 on, whatever the A20 gate says for the caller). A move past a
     * descriptor's limit faults on real hardware: it is refused with AH = 02h, nothing copied.
     */
    private void blockMove(CallFrame f) {
        long gdt = f.linear(Cpu.ES, f.si());
        long bytes = 2L * f.cx();
        long src = base(gdt + 0x10);
        long dst = base(gdt + 0x18);
        if (bytes > 0 && (bytes - 1 > limit(gdt + 0x10) || bytes - 1 > limit(gdt + 0x18))) {
            f.status(MOVE_EXCEPTION);
            return;
        }
        byte[] buf = new byte[(int) bytes];
        for (int i = 0; i < buf.length; i++) {
            buf[i] = (byte) mem.read8(src + i);
        }
        for (int i = 0; i < buf.length; i++) {
            mem.write8(dst + i, buf[i]);
        }
        f.status(0);
    }

    /** The 32-bit base of the descriptor at {@code d} (bytes 2-4 and 7). */
    private long base(long d) {
        return (mem.read16(d + 2) | (long) mem.read8(d + 4) << 16 | (long) mem.read8(d + 7) << 24) & 0xFFFF_FFFFL;
    }

    /** The byte limit of the descriptor at {@code d} (with the granularity bit). */
    private long limit(long d) {
        long limit = mem.read16(d) | (long) (mem.read8(d + 6) & 0x0F) << 16;
        return (mem.read8(d + 6) & 0x80) != 0 ? limit << 12 | 0xFFF : limit;
    }

    private void e820(CallFrame f) {
        long index = f.ebx();
        if (index >= map.size() || f.ecx() < E820Map.ENTRY_SIZE) {
            f.status(UNSUPPORTED);
            return;
        }
        E820Map.Entry e = map.get((int) index);
        long buf = f.linear(Cpu.ES, f.di());
        mem.write64(buf, e.base());
        mem.write64(buf + 8, e.length());
        mem.write32(buf + 16, e.type());
        f.setEax(SMAP);
        f.setEcx(E820Map.ENTRY_SIZE);
        f.setEbx(index + 1 < map.size() ? index + 1 : 0);
        f.setCf(false);
    }

    private void a20(CallFrame f) {
        switch (f.al()) {
            case 0x00, 0x01 -> {
                int v = io.read(0x92, 1);
                io.write(0x92, 1, f.al() == 1 ? v | 2 : v & ~2 & 0xFF);
                f.status(0);
            }
            case 0x02 -> {
                f.setAl(cpu.a20() ? 1 : 0);
                f.status(0);
            }
            case 0x03 -> {
                f.setBx(0x0003);                        // keyboard controller and port 92h
                f.status(0);
            }
            default -> f.status(UNSUPPORTED);
        }
    }

    /** AH=86h: waits CX:DX microseconds of guest time, idling (sti; hlt) in the stub. */
    private void await(CallFrame f) {
        long now = clock.nanos();
        if (waitUntil < 0) {
            long micros = ((long) f.cx() << 16) | f.dx();
            waitUntil = now + micros * 1000;
        }
        if (now < waitUntil) {
            f.retryAfterInterrupt();
            return;
        }
        waitUntil = -1;
        f.status(0);
    }
}

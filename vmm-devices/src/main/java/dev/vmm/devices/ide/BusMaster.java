package dev.vmm.devices.ide;

import dev.vmm.core.memory.PhysicalMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One channel's bus-master IDE function (PIIX/SFF-8038i): the command register (start/stop,
 * direction), the status register (active, error, interrupt, drive 0/1 DMA capable) and the
 * physical region descriptor (PRD) table pointer, at offsets 0, 2 and 4-7 of its 8 ports.
 *
 * <p>A PRD is two dwords in guest memory: a 32-bit physical address, then a byte count in bits
 * 15-1 (0 means 64 KiB) with end-of-table in bit 31. The engine moves data when it is started and
 * the drive requests DMA, in whichever order they happen; it walks the table until the drive has
 * no data left or the table ends. Active is cleared when the last PRD is used up or the start bit
 * is cleared; interrupt is set on each rising edge of the channel's interrupt line; error is set
 * when the image fails on the host. A table that ends before the data does leaves the drive
 * without an interrupt, as PIIX does.
 */
public final class BusMaster {
    private static final Logger log = LoggerFactory.getLogger(BusMaster.class);

    public static final int CMD_START = 0x01;
    /** Direction: 1 = the drive's data go to memory (a read from the disk). */
    public static final int CMD_TO_MEMORY = 0x08;
    public static final int ST_ACTIVE = 0x01;
    public static final int ST_ERROR = 0x02;
    public static final int ST_INTERRUPT = 0x04;
    public static final int ST_DRIVE0_DMA = 0x20;
    public static final int ST_DRIVE1_DMA = 0x40;
    private static final int PAGE = 4096;

    /** The registers. */
    public record State(int command, int status, int prdTable) {
    }

    private final PhysicalMemory memory;
    private byte[] scratch;
    private int command;
    private int status;
    private int prdTable;
    private long directionMismatches;

    BusMaster(PhysicalMemory memory) {
        this.memory = memory;
    }

    /** Byte {@code reg} (0-7) of the channel's bus-master block. */
    int read(int reg) {
        return switch (reg) {
            case 0 -> command;
            case 2 -> status;
            case 4, 5, 6, 7 -> (prdTable >>> (8 * (reg - 4))) & 0xFF;
            default -> 0;
        };
    }

    /** Writes byte {@code reg}; returns true if the engine was just started. */
    boolean write(int reg, int v) {
        v &= 0xFF;
        switch (reg) {
            case 0 -> {
                boolean was = (command & CMD_START) != 0;
                if (was) {
                    v = (v & CMD_START) | (command & CMD_TO_MEMORY);   // direction is locked
                }
                command = v & (CMD_START | CMD_TO_MEMORY);
                boolean now = (command & CMD_START) != 0;
                if (!was && now) {
                    status |= ST_ACTIVE;
                    return true;
                }
                if (was && !now) {
                    status &= ~ST_ACTIVE;
                }
            }
            case 2 -> status = (status & ~(ST_DRIVE0_DMA | ST_DRIVE1_DMA) & ~(v & 0x06))
                    | (v & (ST_DRIVE0_DMA | ST_DRIVE1_DMA));
            case 4, 5, 6, 7 -> {
                int shift = 8 * (reg - 4);
                prdTable = (prdTable & ~(0xFF << shift) | v << shift) & ~3;
            }
            default -> { }
        }
        return false;
    }

    /** The channel's interrupt line went high. */
    void interruptEdge() {
        status |= ST_INTERRUPT;
    }

    int status() {
        return status;
    }

    /** Moves the drive's DMA data if the engine is active and the drive asks for it. */
    void run(IdeDrive d) {
        if ((status & ST_ACTIVE) == 0 || !d.dmaRequest) {
            return;
        }
        boolean toMemory = d.dmaToMemory;
        if (toMemory != ((command & CMD_TO_MEMORY) != 0) && directionMismatches++ == 0) {
            log.warn("IDE bus master: direction bit disagrees with the drive's command "
                    + "(the drive's direction is used; logged once)");
        }
        if (scratch == null) {
            scratch = new byte[0x10000];
        }
        long ptr = prdTable & 0xFFFF_FFFCL;
        while (true) {
            long base = memory.read32(ptr) & 0xFFFF_FFFEL;
            int ctl = memory.read32(ptr + 4);
            ptr = (ptr + 8) & 0xFFFF_FFFFL;
            int len = ctl & 0xFFFE;
            if (len == 0) {
                len = 0x10000;
            }
            boolean eot = ctl < 0;
            int n = (int) Math.min(len, d.dmaLeft);
            try {
                if (toMemory) {
                    d.dmaIn(scratch, n);
                    toGuest(base, n);
                } else {
                    fromGuest(base, n);
                    d.dmaOut(scratch, n);
                }
            } catch (IOException e) {
                status = (status & ~ST_ACTIVE) | ST_ERROR;
                d.dmaEnd(IdeDrive.DmaEnd.ERROR);
                return;
            }
            if (d.dmaLeft == 0) {
                if (eot && n == len) {
                    status &= ~ST_ACTIVE;
                }
                d.dmaEnd(IdeDrive.DmaEnd.COMPLETE);
                return;
            }
            if (eot) {
                status &= ~ST_ACTIVE;
                d.dmaEnd(IdeDrive.DmaEnd.SHORT_PRD);
                return;
            }
        }
    }

    private void toGuest(long pa, int n) {
        int off = 0;
        while (off < n) {
            int chunk = (int) Math.min(n - off, PAGE - (pa & (PAGE - 1)));
            if (memory.kind(pa) == PhysicalMemory.RAM) {
                MemorySegment.copy(scratch, off, memory.ram(), ValueLayout.JAVA_BYTE, pa, chunk);
            } else {
                for (int i = 0; i < chunk; i++) {
                    memory.write8(pa + i, scratch[off + i]);
                }
            }
            off += chunk;
            pa = (pa + chunk) & 0xFFFF_FFFFL;
        }
    }

    private void fromGuest(long pa, int n) {
        int off = 0;
        while (off < n) {
            int chunk = (int) Math.min(n - off, PAGE - (pa & (PAGE - 1)));
            if (memory.ramOffset(pa) >= 0) {
                MemorySegment.copy(memory.ram(), ValueLayout.JAVA_BYTE, pa, scratch, off, chunk);
            } else {
                for (int i = 0; i < chunk; i++) {
                    scratch[off + i] = (byte) memory.read8(pa + i);
                }
            }
            off += chunk;
            pa = (pa + chunk) & 0xFFFF_FFFFL;
        }
    }

    State save() {
        return new State(command, status, prdTable);
    }

    void restore(State s) {
        command = s.command() & (CMD_START | CMD_TO_MEMORY);
        status = s.status() & 0x67;
        prdTable = s.prdTable() & ~3;
    }
}

package dev.vmm.core.cpu;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.memory.PhysicalMemory;

/**
 * A bare CPU with RAM and a port bus, for unit tests: helpers to place code, enter real mode or a
 * flat 32-bit protected mode with a ready GDT, and run until HLT.
 *
 * <p>GDT layout of {@link #flat32()} (at {@link #GDT}): 0x08 ring-0 code32, 0x10 ring-0 data32,
 * 0x18 ring-0 code16, 0x20 ring-0 data16, 0x28 ring-3 code32 (use 0x2B), 0x30 ring-3 data32
 * (use 0x33), 0x38 a 32-bit TSS at {@link #TSS} (limit 0x67 + a full I/O bitmap area). The IDT is at
 * {@link #IDT} (256 entries, all not-present until {@link #setGate} fills one).
 */
public final class CpuFixture implements AutoCloseable {
    public static final long GDT = 0x800;
    public static final long IDT = 0x1000;
    public static final long TSS = 0x2000;
    public static final long STACK_TOP = 0x9000;

    public final PhysicalMemory mem;
    public final PioBus io = new PioBus();
    public final Cpu cpu;

    public CpuFixture() {
        this(16 << 20);
    }

    public CpuFixture(long ramBytes) {
        mem = PhysicalMemory.create(ramBytes);
        cpu = new Cpu(mem, io);
    }

    /** Writes bytes into physical memory. */
    public CpuFixture load(long pa, int... bytes) {
        for (int k = 0; k < bytes.length; k++) {
            mem.write8(pa + k, bytes[k]);
        }
        return this;
    }

    public CpuFixture load(long pa, byte[] bytes) {
        mem.load(pa, bytes);
        return this;
    }

    /** Real mode, CS:IP = cs:ip, SS:SP = 0:STACK_TOP, other segments 0. */
    public CpuFixture real(int cs, int ip) {
        cpu.reset();
        for (int s = 0; s < 6; s++) {
            cpu.seg[s].loadReal(s == Cpu.CS ? cs : 0);
            cpu.seg[s].refresh();
        }
        cpu.rip = ip;
        cpu.r[Cpu.ESP] = STACK_TOP;
        return this;
    }

    /** 8-byte descriptor value. */
    public static long descriptor(long base, long limit, int access, int flags) {
        boolean gran = limit > 0xFFFFF;
        long lim = gran ? limit >>> 12 : limit;
        return (lim & 0xFFFF) | (base & 0xFFFFFF) << 16 | (long) (access & 0xFF) << 40
                | ((lim >>> 16) & 0xF) << 48 | (long) ((flags | (gran ? 8 : 0)) & 0xF) << 52
                | ((base >>> 24) & 0xFF) << 56;
    }

    public void setGdt(int index, long desc) {
        mem.write64(GDT + index * 8L, desc);
    }

    /** Writes an IDT gate: {@code type} 0xE int32, 0xF trap32, 0x5 task, 6/7 for 16-bit. */
    public void setGate(int vector, int selector, long offset, int type, int dpl) {
        long d = (offset & 0xFFFF) | (long) (selector & 0xFFFF) << 16 | (long) (0x80 | dpl << 5 | type) << 40
                | ((offset >>> 16) & 0xFFFF) << 48;
        mem.write64(IDT + vector * 8L, d);
    }

    /** Flat 32-bit protected mode at ring 0, paging off, EIP = eip, ESP = STACK_TOP. */
    public CpuFixture flat32(long eip) {
        cpu.reset();
        setGdt(0, 0);
        setGdt(1, descriptor(0, 0xFFFF_FFFFL, 0x9B, 0x4));
        setGdt(2, descriptor(0, 0xFFFF_FFFFL, 0x93, 0x4));
        setGdt(3, descriptor(0, 0xFFFF, 0x9B, 0));
        setGdt(4, descriptor(0, 0xFFFF, 0x93, 0));
        setGdt(5, descriptor(0, 0xFFFF_FFFFL, 0xFB, 0x4));
        setGdt(6, descriptor(0, 0xFFFF_FFFFL, 0xF3, 0x4));
        setGdt(7, descriptor(TSS, 0x67 + 0x2001, 0x89, 0));
        // TSS: ring-0 stack, I/O bitmap right after the 0x68-byte TSS, all ports allowed.
        mem.write32(TSS + 4, (int) STACK_TOP);
        mem.write32(TSS + 8, 0x10);
        mem.write16(TSS + 0x66, 0x68);
        for (int k = 0; k < 0x2002; k++) {
            mem.write8(TSS + 0x68 + k, k == 0x2001 ? 0xFF : 0);
        }
        cpu.gdtBase = GDT;
        cpu.gdtLimit = 8 * 8 - 1;
        cpu.idtBase = IDT;
        cpu.idtLimit = 256 * 8 - 1;
        cpu.cr0 |= Cpu.CR0_PE;
        loadSeg(Cpu.CS, 0x08);
        for (int s : new int[] {Cpu.SS, Cpu.DS, Cpu.ES, Cpu.FS, Cpu.GS}) {
            loadSeg(s, 0x10);
        }
        cpu.tr.set(0x38, TSS, 0x67 + 0x2001, 0x8B);
        cpu.cpl = 0;
        cpu.rip = eip;
        cpu.r[Cpu.ESP] = STACK_TOP;
        return this;
    }

    /** Loads a segment register's cache straight from the fixture's GDT (no checks). */
    public void loadSeg(int sreg, int selector) {
        long d = mem.read64(GDT + (selector & ~7));
        Descriptors.load(cpu.seg[sreg], selector, d);
        if (sreg == Cpu.CS) {
            cpu.cpl = selector & 3;
        }
    }

    /** Runs until HLT (or shutdown / budget); returns why it stopped. */
    public Cpu.Exit run(long budget) {
        return cpu.run(budget);
    }

    @Override
    public void close() {
        mem.close();
    }
}

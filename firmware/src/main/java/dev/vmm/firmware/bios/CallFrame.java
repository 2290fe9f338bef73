package dev.vmm.firmware.bios;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Flags;
import dev.vmm.core.cpu.Segment;
import dev.vmm.core.memory.PhysicalMemory;

/**
 * The guest's registers as a BIOS service sees them while its stub executes {@code out dx, al}.
 * The stub (see {@link BiosRom}) has pushed DX and the service code, so the real-mode stack holds:
 * <pre>
 *   SS:SP+0  service code (interrupt vector, or {@link BiosRom#POST_CODE})
 *   SS:SP+2  the caller's DX
 *   SS:SP+4  IP  \
 *   SS:SP+6  CS   } the frame INT pushed; IRET pops it
 *   SS:SP+8  FLAGS/
 * </pre>
 * DX is read from and returned through its stack slot (the stub pops it); CF and ZF are returned
 * in the FLAGS image the stub's IRET restores. All other registers are the live CPU registers.
 */
final class CallFrame {
    private final Cpu cpu;
    private final PhysicalMemory mem;
    private final long sp;

    CallFrame(Cpu cpu) {
        this.cpu = cpu;
        this.mem = cpu.memory();
        this.sp = cpu.seg[Cpu.SS].base + (cpu.r[Cpu.ESP] & 0xFFFF);
    }

    Cpu cpu() {
        return cpu;
    }

    PhysicalMemory memory() {
        return mem;
    }

    int code() {
        return mem.read16(sp);
    }

    // ---- general registers -------------------------------------------------------------------

    int ax() {
        return (int) (cpu.r[Cpu.EAX] & 0xFFFF);
    }

    int ah() {
        return ax() >>> 8;
    }

    int al() {
        return ax() & 0xFF;
    }

    void setAx(int v) {
        cpu.setReg(Cpu.EAX, 2, v);
    }

    void setAh(int v) {
        cpu.setReg(Cpu.EAX, 2, (ax() & 0xFF) | (v & 0xFF) << 8);
    }

    void setAl(int v) {
        cpu.setReg(Cpu.EAX, 1, v);
    }

    long eax() {
        return cpu.r[Cpu.EAX] & 0xFFFF_FFFFL;
    }

    void setEax(long v) {
        cpu.setReg(Cpu.EAX, 4, v);
    }

    int bx() {
        return (int) (cpu.r[Cpu.EBX] & 0xFFFF);
    }

    int bh() {
        return bx() >>> 8;
    }

    int bl() {
        return bx() & 0xFF;
    }

    void setBx(int v) {
        cpu.setReg(Cpu.EBX, 2, v);
    }

    long ebx() {
        return cpu.r[Cpu.EBX] & 0xFFFF_FFFFL;
    }

    void setEbx(long v) {
        cpu.setReg(Cpu.EBX, 4, v);
    }

    int cx() {
        return (int) (cpu.r[Cpu.ECX] & 0xFFFF);
    }

    int ch() {
        return cx() >>> 8;
    }

    int cl() {
        return cx() & 0xFF;
    }

    void setCx(int v) {
        cpu.setReg(Cpu.ECX, 2, v);
    }

    long ecx() {
        return cpu.r[Cpu.ECX] & 0xFFFF_FFFFL;
    }

    void setEcx(long v) {
        cpu.setReg(Cpu.ECX, 4, v);
    }

    int dx() {
        return mem.read16(sp + 2);
    }

    int dh() {
        return dx() >>> 8;
    }

    int dl() {
        return dx() & 0xFF;
    }

    void setDx(int v) {
        mem.write16(sp + 2, v & 0xFFFF);
    }

    long edx() {
        return (cpu.r[Cpu.EDX] & 0xFFFF_0000L) | dx();
    }

    void setEdx(long v) {
        cpu.setReg(Cpu.EDX, 4, v & 0xFFFF_0000L);
        setDx((int) v);
    }

    int si() {
        return (int) (cpu.r[Cpu.ESI] & 0xFFFF);
    }

    int di() {
        return (int) (cpu.r[Cpu.EDI] & 0xFFFF);
    }

    void setDi(int v) {
        cpu.setReg(Cpu.EDI, 2, v);
    }

    int bp() {
        return (int) (cpu.r[Cpu.EBP] & 0xFFFF);
    }

    // ---- segments ----------------------------------------------------------------------------

    int segment(int s) {
        return cpu.seg[s].selector;
    }

    /** Linear address of {@code s:offset} (real mode). */
    long linear(int s, int offset) {
        return cpu.seg[s].base + (offset & 0xFFFF);
    }

    /** Loads a real-mode segment register (the way MOV Sreg does in real mode). */
    void setSegment(int s, int selector) {
        Segment g = cpu.seg[s];
        g.selector = selector & 0xFFFF;
        g.base = (long) g.selector << 4;
        g.refresh();
    }

    // ---- returned flags and frame ------------------------------------------------------------

    int flagsImage() {
        return mem.read16(sp + 8);
    }

    void setFlagsImage(int v) {
        mem.write16(sp + 8, v & 0xFFFF);
    }

    void setCf(boolean on) {
        setFlagsImage(on ? flagsImage() | Flags.CF : flagsImage() & ~Flags.CF);
    }

    void setZf(boolean on) {
        setFlagsImage(on ? flagsImage() | Flags.ZF : flagsImage() & ~Flags.ZF);
    }

    /** Sets AH = {@code status} and CF = status != 0 (the INT 13h/15h convention). */
    void status(int status) {
        setAh(status);
        setCf(status != 0);
    }

    /** Makes the stub's IRET go to {@code cs:ip} with {@code flags} instead of back to the caller. */
    void setReturn(int cs, int ip, int flags) {
        mem.write16(sp + 4, ip);
        mem.write16(sp + 6, cs);
        setFlagsImage(flags);
    }

    /**
     * Asks the stub to wait for an interrupt ({@code sti; hlt; cli}) and call the service again,
     * instead of returning: the live ZF is the stub's "wait" signal (its IRET restores the
     * caller's flags either way).
     */
    void retryAfterInterrupt() {
        cpu.flags.setBit(Flags.ZF, true);
    }
}

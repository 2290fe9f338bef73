package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Fpu;
import dev.vmm.core.cpu.Segment;
import org.junit.jupiter.api.Test;

/**
 * The DOS-compatible x87 error reporting of the PC (SDM vol. 1, appendix D): with CR0.NE clear, a waiting x87
 * instruction that finds an unmasked exception pending asserts FERR#, the board latches IRQ13 (slave 8259, input
 * 5), and the handler clears the latch with a write to port F0h and the exception with FNCLEX.
 */
class FpuErrorInterruptTest {
    /** Real mode at 0000:7C00: PICs at 08h/70h with only IRQ13 open, an invalid FSQRT, then a waiting FLD1. */
    static final int[] GUEST = {
        0xFA,                                    // 7C00 cli
        0x31, 0xC0,                              // 7C01 xor ax, ax
        0x8E, 0xD8,                              // 7C03 mov ds, ax
        0x8E, 0xD0,                              // 7C05 mov ss, ax
        0xBC, 0x00, 0x70,                        // 7C07 mov sp, 0x7000
        0xC7, 0x06, 0xD4, 0x01, 0x54, 0x7C,      // 7C0A mov word [0x1d4], handler (vector 75h: IRQ13)
        0xC7, 0x06, 0xD6, 0x01, 0x00, 0x00,      // 7C10 mov word [0x1d6], 0
        0xB0, 0x11, 0xE6, 0x20,                  // 7C16 master ICW1
        0xB0, 0x08, 0xE6, 0x21,                  // 7C1A ICW2: vectors 08h-0Fh
        0xB0, 0x04, 0xE6, 0x21,                  // 7C1E ICW3: slave on IRQ2
        0xB0, 0x01, 0xE6, 0x21,                  // 7C22 ICW4
        0xB0, 0x11, 0xE6, 0xA0,                  // 7C26 slave ICW1
        0xB0, 0x70, 0xE6, 0xA1,                  // 7C2A ICW2: vectors 70h-77h
        0xB0, 0x02, 0xE6, 0xA1,                  // 7C2E ICW3: cascade 2
        0xB0, 0x01, 0xE6, 0xA1,                  // 7C32 ICW4
        0xB0, 0xFB, 0xE6, 0x21,                  // 7C36 master: only IRQ2 (cascade)
        0xB0, 0xDF, 0xE6, 0xA1,                  // 7C3A slave: only IRQ13
        0xFB,                                    // 7C3E sti
        0xDB, 0xE3,                              // 7C3F fninit
        0xD9, 0x2E, 0x00, 0x05,                  // 7C41 fldcw [0x500] (037Eh: IE unmasked)
        0xD9, 0xE8,                              // 7C45 fld1
        0xD9, 0xE0,                              // 7C47 fchs
        0xD9, 0xFA,                              // 7C49 fsqrt: invalid, pending
        0xD9, 0xE8,                              // 7C4B fld1: waits, FERR# -> IRQ13
        0x90,                                    // 7C4D nop
        0xA0, 0x00, 0x06,                        // 7C4E mov al, [0x600]
        0xE6, 0xF4,                              // 7C51 out 0xf4, al (debug exit)
        0xF4,                                    // 7C53 hlt
        0x50,                                    // 7C54 handler: push ax
        0xE6, 0xF0,                              // 7C55 out 0xf0, al: clear the latch
        0xDB, 0xE2,                              // 7C57 fnclex: FERR# falls
        0xC6, 0x06, 0x00, 0x06, 0x2A,            // 7C59 mov byte [0x600], 0x2a
        0xB0, 0x20, 0xE6, 0xA0,                  // 7C5E EOI slave
        0xE6, 0x20,                              // 7C62 EOI master
        0x58,                                    // 7C64 pop ax
        0xCF,                                    // 7C65 iret
    };

    @Test
    void ferrReachesTheGuestAsIrq13AndPortF0ClearsIt() {
        try (PcBoard b = BoardConfig.builder().memory(16 << 20).deterministic(true).debugExit(true).build()) {
            for (int k = 0; k < GUEST.length; k++) {
                b.memory().write8(0x7C00 + k, GUEST[k]);
            }
            b.memory().write16(0x500, 0x037E);
            Cpu cpu = b.cpu();
            Segment cs = cpu.seg[Cpu.CS];
            cs.selector = 0;
            cs.base = 0;
            cs.refresh();
            cpu.rip = 0x7C00;
            PcBoard.Exit exit = b.run(10_000);
            assertEquals(new PcBoard.Exit(PcBoard.ExitKind.DEBUG_EXIT, 0x2A << 1 | 1), exit,
                    "the IRQ13 handler ran and set the marker");
            assertFalse(b.coprocessorError().latched(), "port F0h cleared the latch");
            Fpu fpu = cpu.fpu;
            assertEquals(6, fpu.top, "the FLD1 that found the pending error ran (IGNNE#)");
            assertEquals(0, fpu.fsw & 0x80FF, "the handler's FNCLEX cleared the exception");
        }
    }
}

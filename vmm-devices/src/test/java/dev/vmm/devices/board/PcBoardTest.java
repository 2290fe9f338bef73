package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.devices.serial.StreamBackend;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.junit.jupiter.api.Test;

/** Small real-mode guests on the whole board: timer interrupts, serial output, exits, determinism. */
class PcBoardTest {
    /**
     * Programs the 8259 (vector base 8, only IRQ0) and the PIT (mode 2, ~1 kHz), then idles in HLT.
     * Each timer interrupt prints 'A' + (TSC & 15) on COM1; the 50th writes 0x10 to the debug-exit
     * port. The output depends on guest time, so it only repeats when time is deterministic.
     */
    static final int[] TIMER_GUEST = {
        0xFA,                               // 7C00 cli
        0x31, 0xC0,                         //      xor ax, ax
        0x8E, 0xD8,                         //      mov ds, ax
        0x8E, 0xD0,                         //      mov ss, ax
        0xBC, 0x00, 0x70,                   //      mov sp, 0x7000
        0xC7, 0x06, 0x20, 0x00, 0x3A, 0x7C, //      mov word [0x20], handler
        0xC7, 0x06, 0x22, 0x00, 0x00, 0x00, //      mov word [0x22], 0
        0xB0, 0x11, 0xE6, 0x20,             //      ICW1
        0xB0, 0x08, 0xE6, 0x21,             //      ICW2: vectors 8..15
        0xB0, 0x04, 0xE6, 0x21,             //      ICW3
        0xB0, 0x01, 0xE6, 0x21,             //      ICW4
        0xB0, 0xFE, 0xE6, 0x21,             //      mask all but IRQ0
        0xB0, 0x34, 0xE6, 0x43,             //      PIT ch0, lo/hi, mode 2
        0xB0, 0xA9, 0xE6, 0x40,             //      count 1193 (0x04A9)
        0xB0, 0x04, 0xE6, 0x40,
        0xFB,                               //      sti
        0xF4,                               // 7C37 idle: hlt
        0xEB, 0xFD,                         //      jmp idle
        0x50,                               // 7C3A handler: push ax
        0x52,                               //      push dx
        0xFF, 0x06, 0x00, 0x06,             //      inc word [0x600]
        0x0F, 0x31,                         //      rdtsc
        0x24, 0x0F,                         //      and al, 15
        0x04, 0x41,                         //      add al, 'A'
        0xBA, 0xF8, 0x03,                   //      mov dx, 0x3f8
        0xEE,                               //      out dx, al
        0x83, 0x3E, 0x00, 0x06, 0x32,       //      cmp word [0x600], 50
        0x75, 0x04,                         //      jne done
        0xB0, 0x10,                         //      mov al, 0x10
        0xE6, 0xF4,                         //      out 0xf4, al (debug exit)
        0xB0, 0x20,                         // done: mov al, 0x20
        0xE6, 0x20,                         //      out 0x20, al (EOI)
        0x5A,                               //      pop dx
        0x58,                               //      pop ax
        0xCF,                               //      iret
    };

    private record Run(PcBoard.Exit exit, byte[] serial, byte[] ramHash, long instructions) {
    }

    private static PcBoard board(boolean deterministic, ByteArrayOutputStream com1) {
        return BoardConfig.builder()
                .memory(16 << 20)
                .deterministic(deterministic)
                .serial(0, new StreamBackend(InputStream.nullInputStream(), com1, "com1"))
                .debugExit(true)
                .build();
    }

    /** Places {@code code} at 0000:7C00 and points the CPU at it in real mode. */
    private static void boot(PcBoard b, int... code) {
        for (int k = 0; k < code.length; k++) {
            b.memory().write8(0x7C00 + k, code[k]);
        }
        Cpu cpu = b.cpu();
        Segment cs = cpu.seg[Cpu.CS];
        cs.selector = 0;
        cs.base = 0;
        cs.refresh();
        cpu.rip = 0x7C00;
    }

    private static Run runTimerGuest(boolean deterministic) throws NoSuchAlgorithmException {
        ByteArrayOutputStream com1 = new ByteArrayOutputStream();
        try (PcBoard b = board(deterministic, com1)) {
            boot(b, TIMER_GUEST);
            PcBoard.Exit exit = b.run(200_000_000L);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(b.memory().ram().toArray(ValueLayout.JAVA_BYTE));
            return new Run(exit, com1.toByteArray(), sha.digest(), b.cpu().instructionCount());
        }
    }

    @Test
    void deterministicRunsRepeatByteForByte() throws Exception {
        Run first = runTimerGuest(true);
        Run second = runTimerGuest(true);
        assertEquals(new PcBoard.Exit(PcBoard.ExitKind.DEBUG_EXIT, (0x10 << 1) | 1), first.exit());
        assertEquals(50, first.serial().length, "one character per timer interrupt");
        for (byte c : first.serial()) {
            assertTrue(c >= 'A' && c <= 'P', "character " + c);
        }
        assertTrue(first.serial().length > 0 && new String(first.serial()).chars().distinct().count() > 1,
                "the output follows the TSC, so it varies from tick to tick: " + new String(first.serial()));
        assertArrayEquals(first.serial(), second.serial(), "serial output");
        assertArrayEquals(first.ramHash(), second.ramHash(), "RAM");
        assertEquals(first.instructions(), second.instructions());
        assertEquals(first.exit(), second.exit());
    }

    @Test
    void realTimeGuestIdlesInHltUntilEachTick() throws Exception {
        Run run = runTimerGuest(false);
        assertEquals(PcBoard.ExitKind.DEBUG_EXIT, run.exit().kind());
        assertEquals(50, run.serial().length);
        // 50 ticks with HLT in between: a handful of instructions per tick, not a spin loop.
        assertTrue(run.instructions() < 50 * 100, "instructions: " + run.instructions());
    }

    @Test
    void acpiS5PowersOff() {
        try (PcBoard b = board(true, new ByteArrayOutputStream())) {
            // mov dx, PM_BASE+4 ; mov ax, SLP_EN | SLP_TYP(S5 = 0) ; out dx, ax ; hlt
            boot(b, 0xBA, (PcBoard.PM_BASE + 4) & 0xFF, (PcBoard.PM_BASE + 4) >> 8, 0xB8, 0x00, 0x20, 0xEF, 0xF4);
            assertEquals(new PcBoard.Exit(PcBoard.ExitKind.POWER_OFF, 0), b.run(1000));
        }
    }

    @Test
    void keyboardControllerAndPort92AndCf9Reset() {
        int[][] guests = {
            {0xB0, 0xFE, 0xE6, 0x64, 0xF4},                     // 8042 pulse reset
            {0xB0, 0x01, 0xE6, 0x92, 0xF4},                     // port 0x92 fast reset
            {0xBA, 0xF9, 0x0C, 0xB0, 0x06, 0xEE, 0xF4},         // 0xCF9 <- 6 (hard reset)
        };
        for (int[] g : guests) {
            try (PcBoard b = board(true, new ByteArrayOutputStream())) {
                boot(b, g);
                assertEquals(PcBoard.ExitKind.RESET, b.run(1000).kind());
            }
        }
    }

    @Test
    void tripleFaultShutsDownAndHaltWithInterruptsOffHalts() {
        try (PcBoard b = board(true, new ByteArrayOutputStream())) {
            boot(b, 0xCC);                   // int3 with an empty IVT limit: #GP, #DF, shutdown
            b.cpu().idtLimit = 0;
            assertEquals(PcBoard.ExitKind.SHUTDOWN, b.run(1000).kind());
        }
        try (PcBoard b = board(true, new ByteArrayOutputStream())) {
            boot(b, 0xFA, 0xF4);             // cli ; hlt
            assertEquals(PcBoard.ExitKind.HALTED, b.run(1000).kind());
        }
    }

    @Test
    void deterministicHltTakesAnInterruptRaisedWhileTheClockCaughtUp() {
        // The PIT's one-shot expires during the loop, but a deterministic clock hears of the retired
        // instructions only at the HLT: the interrupt it raises then must wake the CPU, although no
        // timer is armed any more.
        try (PcBoard b = board(true, new ByteArrayOutputStream())) {
            boot(b,
                    0x31, 0xC0, 0x8E, 0xD8,             // xor ax, ax ; mov ds, ax
                    0xC7, 0x06, 0x20, 0x00, 0x39, 0x7C, // mov word [0x20], handler
                    0xC7, 0x06, 0x22, 0x00, 0x00, 0x00, // mov word [0x22], 0
                    0xB0, 0x11, 0xE6, 0x20,             // ICW1
                    0xB0, 0x08, 0xE6, 0x21,             // ICW2: vectors 8..15
                    0xB0, 0x04, 0xE6, 0x21,             // ICW3
                    0xB0, 0x01, 0xE6, 0x21,             // ICW4
                    0xB0, 0xFE, 0xE6, 0x21,             // mask all but IRQ0
                    0xB0, 0x30, 0xE6, 0x43,             // PIT ch0, lo/hi, mode 0 (one-shot)
                    0xB0, 0x01, 0xE6, 0x40,             // count 1
                    0xB0, 0x00, 0xE6, 0x40,
                    0xB9, 0xF4, 0x01,                   // mov cx, 500
                    0xE2, 0xFE,                         // loop $ (interrupts still off)
                    0xFB,                               // sti
                    0xF4,                               // 7C36: hlt
                    0xEB, 0xFD,                         //       jmp 7C36
                    0xB0, 0x21, 0xE6, 0xF4);            // 7C39 handler: debug exit 0x21
            assertEquals(new PcBoard.Exit(PcBoard.ExitKind.DEBUG_EXIT, (0x21 << 1) | 1), b.run(100_000));
            // Taken at once, not when some later timer happens to end the idle skip.
            assertTrue(b.clock().nanos() < 10_000, "guest time at the exit: " + b.clock().nanos() + " ns");
        }
    }

    @Test
    void cpuSeesTheBoardsApicAndA20() {
        try (PcBoard b = board(true, new ByteArrayOutputStream())) {
            // cpuid leaf 1 ; hlt   (EAX = 1 set below)
            boot(b, 0x0F, 0xA2, 0xFA, 0xF4);
            b.cpu().setReg(Cpu.EAX, 4, 1);
            b.run(100);
            long edx = b.cpu().reg(Cpu.EDX, 4);
            assertNotEquals(0, edx & (1 << 9), "CPUID.1:EDX.APIC");
            assertTrue(b.cpu().a20(), "A20 is on at power-on (as the 8042 leaves it)");
        }
    }
}

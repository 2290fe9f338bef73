package dev.vmm.cli.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.devices.acpi.AcpiPm;
import dev.vmm.core.snapshot.Snapshot;
import dev.vmm.core.snapshot.SnapshotReader;
import dev.vmm.core.snapshot.SnapshotWriter;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.BoardSnapshot;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.serial.StreamBackend;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The monitor's commands against a real board whose guest runs on another thread. */
class MonitorCommandsTest {
    /** Each task on a thread of its own (the common pool may have a single thread here). */
    private static final java.util.concurrent.Executor NEW_THREAD = r -> Thread.ofPlatform().daemon(true).start(r);

    /**
     * Writes "Hi" in white on blue to the top left of the text screen, loads EBX and ECX, then
     * counts the dword at 0x500 up forever.
     */
    static final int[] GUEST = {
        0xB8, 0x00, 0xB8,                           // 7C00 mov ax, 0xb800
        0x8E, 0xC0,                                 // 7C03 mov es, ax
        0x26, 0xC7, 0x06, 0x00, 0x00, 0x48, 0x1F,   // 7C05 mov word es:[0], 0x1f48 ('H')
        0x26, 0xC7, 0x06, 0x02, 0x00, 0x69, 0x1F,   // 7C0C mov word es:[2], 0x1f69 ('i')
        0xBB, 0x34, 0x12,                           // 7C13 mov bx, 0x1234
        0x66, 0xB9, 0x78, 0x56, 0x34, 0x12,         // 7C16 mov ecx, 0x12345678
        0x66, 0xFF, 0x06, 0x00, 0x05,               // 7C1C loop: inc dword [0x500]
        0xEB, 0xF9,                                 // 7C21 jmp loop
    };
    /** sti; hlt; jmp: idles with interrupts on and no timer programmed. */
    static final int[] IDLE = {0xFB, 0xF4, 0xEB, 0xFD};

    @TempDir
    Path dir;

    private PcBoard board;
    private CompletableFuture<PcBoard.Exit> run;
    private MonitorCommands monitor;

    private void start(int... code) {
        board = BoardConfig.builder().memory(16 << 20)
                .serial(0, new StreamBackend(InputStream.nullInputStream(), new ByteArrayOutputStream(), "com1"))
                .build();
        for (int k = 0; k < code.length; k++) {
            board.memory().write8(0x7C00 + k, code[k]);
        }
        Cpu cpu = board.cpu();
        Segment cs = cpu.seg[Cpu.CS];
        cs.selector = 0;
        cs.base = 0;
        cs.refresh();
        cpu.rip = 0x7C00;
        monitor = new MonitorCommands(new RunTarget("test", () -> board, () -> board.requestStop()));
        run = CompletableFuture.supplyAsync(() -> board.run(Long.MAX_VALUE), NEW_THREAD);
    }

    @AfterEach
    void stopBoard() throws Exception {
        if (board != null) {
            board.requestStop();
            board.gate().resume();
            run.get(30, TimeUnit.SECONDS);
            board.close();
        }
    }

    private String exec(String line) {
        MonitorCommands.Reply r = monitor.execute(line);
        assertFalse(r.quit(), line);
        return r.text();
    }

    private long counter() {
        String out = exec("xp/1uw 0x500");
        return Long.parseLong(out.substring(out.indexOf(':') + 1).strip());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
    }

    @Test
    void savevmSavesTheRunningGuestAtAnInstructionBoundaryAndItGoesOn() throws Exception {
        start(GUEST);
        Path file = dir.resolve("m.vmmsnap");
        long[] savedCount = new long[1];
        monitor = new MonitorCommands(new RunTarget("test", () -> board, () -> board.requestStop(), (b, f) -> {
            savedCount[0] = b.memory().read32(0x500) & 0xFFFF_FFFFL;
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertEquals(savedCount[0], b.memory().read32(0x500) & 0xFFFF_FFFFL, "the vCPU is held while saving");
            SnapshotWriter w = new SnapshotWriter("monitor test");
            BoardSnapshot.addSections(w, b);
            w.writeTo(f);
            return "saved " + f;
        }));
        await(() -> counter() > 0, "the guest to count");
        assertEquals("saved " + file + "\n", exec("savevm " + file));
        assertEquals("VM status: running\n", exec("info status"), "the VM goes on");
        await(() -> counter() > savedCount[0] + 1000, "the guest to count on");

        Snapshot s = SnapshotReader.read(file, BoardSnapshot.sectionNames());
        try (PcBoard copy = BoardConfig.builder().memory(16 << 20)
                .serial(0, new StreamBackend(InputStream.nullInputStream(), new ByteArrayOutputStream(), "com1"))
                .build()) {
            BoardSnapshot.restore(copy, s);
            assertEquals(savedCount[0], copy.memory().read32(0x500) & 0xFFFF_FFFFL, "RAM as it was at the save");
            assertEquals(0x12345678L, copy.cpu().save().r()[1] & 0xFFFF_FFFFL, "ECX");
        }
        assertEquals("savevm: give one file name, e.g. savevm vm.vmmsnap\n", exec("savevm"));
    }

    @Test
    void savevmWithoutASaverIsRefused() {
        start(IDLE);
        assertEquals("savevm: this VM cannot be saved from here\n", exec("savevm " + dir.resolve("x")));
    }

    @Test
    void stopInspectStepAndContinue() throws Exception {
        start(GUEST);
        assertEquals("VM status: running\n", exec("info status"));
        await(() -> counter() > 0, "the guest to count");
        assertEquals("", exec("stop"));
        assertEquals("VM status: paused\n", exec("info status"));

        String regs = exec("info registers");
        assertTrue(regs.startsWith("EAX=0000b800 EBX=00001234 ECX=12345678 EDX="), regs);
        assertTrue(regs.contains("CS =0000 00000000 0000ffff"), regs);
        assertTrue(regs.contains("ES =b800 000b8000 0000ffff"), regs);
        long eip = Long.parseLong(regs.substring(regs.indexOf("EIP=") + 4, regs.indexOf("EIP=") + 12), 16);
        assertTrue(eip == 0x7C1C || eip == 0x7C21, "EIP in the loop: " + Long.toHexString(eip));

        long paused = counter();
        Thread.sleep(20);
        assertEquals(paused, counter(), "a stopped guest does not run");

        // step to the inc, then over it: the counter goes up by exactly one
        if (eip == 0x7C21) {
            assertTrue(exec("step").startsWith("00007c1c:  66 ff 06 00 05"), "after the jmp comes the inc");
        }
        long before = counter();
        String stepped = exec("step");
        assertTrue(stepped.startsWith("00007c21:  eb f9"), stepped);
        assertEquals(before + 1, counter());
        assertTrue(exec("info registers").contains("EIP=00007c21"));
        exec("step 2");
        assertEquals(before + 2, counter(), "step 2: jmp, inc");

        assertEquals("", exec("cont"));
        assertEquals("VM status: running\n", exec("info status"));
        await(() -> counter() > before + 1000, "the guest to count on after cont");
        assertEquals("the VM is running already\n", exec("cont"));
        assertEquals("step: the VM is running; stop it first\n", exec("step"));
    }

    @Test
    void examinesMemoryAndDisassembles() throws Exception {
        start(GUEST);
        assertEquals("00007c00: 0xb8 0x00 0xb8 0x8e 0xc0 0x26 0xc7 0x06\n", exec("x/8xb 0x7c00"));
        assertEquals("00007c00: 0x00b8 0x8eb8 0x26c0 0x06c7\n", exec("xp/4xh 0x7c00"));
        assertEquals("00007c13: 0x661234bb\n", exec("x 0x7c13"));
        assertEquals("00007c13: 187 52 18\n", exec("x/3ub 0x7c13"));
        assertEquals("00007c00: -72 0 -72\n", exec("x/3db 0x7c00"));
        String dis = exec("x/3i 0x7c00");
        String[] lines = dis.split("\n");
        assertEquals(3, lines.length, dis);
        assertTrue(lines[0].startsWith("00007c00:  b8 00 b8") && lines[0].contains("mov"), dis);
        assertTrue(lines[1].startsWith("00007c03:  8e c0"), dis);
        assertTrue(lines[2].startsWith("00007c05:  26 c7 06 00 00 48 1f"), dis);
    }

    @Test
    void refusesBadInputWithOneLine() {
        start(GUEST);
        assertEquals("unknown command: 'frobnicate' (help lists the commands)\n", exec("frobnicate"));
        assertEquals("x: give an address, e.g. x/8xb 0x7c00 or x/5i $pc\n", exec("x"));
        assertEquals("x: unknown format letter 'q' (formats x d u o c i, units b h w g)\n", exec("x/8q 0"));
        assertEquals("x: 'zz' is not a number (write hex as 0x7c00) or a $register\n", exec("x zz"));
        assertEquals("x: no register $foo\n", exec("x $foo"));
        assertEquals("xp: fee00000 is device memory (MMIO): the monitor does not read it\n", exec("xp 0xfee00000"));
        assertEquals("info: what? status, registers, mem, devices\n", exec("info nothing"));
        assertEquals("step: 'x' is not a number of instructions\n", exec("step x"));
        assertEquals("screendump: give one file name, e.g. screendump screen.png\n", exec("screendump"));
        assertTrue(exec("help").contains("x/FMT ADDR"));
        assertTrue(exec("help c").startsWith("cont | c"));
        assertEquals("", exec("   "));
    }

    @Test
    void screendumpShowsTheGuestsText() throws Exception {
        start(GUEST);
        await(() -> counter() > 0, "the guest to write its text");
        Path png = dir.resolve("screen.png");
        assertEquals("", exec("screendump " + png));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(720, img.getWidth(), "80 columns of 9 dots");
        assertEquals(400, img.getHeight(), "25 rows of 16 lines");
        // attribute 0x1F: white (DAC 3F,3F,3F) on blue (DAC 00,00,2A); the rest of the screen is black
        int blue = 0xAA;
        int[] cellH = colours(img, 0, 0);
        int[] cellI = colours(img, 1, 0);
        int[] empty = colours(img, 2, 0);
        assertTrue(cellH[0] > 0 && cellH[1] > 0 && cellH[2] == 0, "'H': blue background and white strokes");
        assertTrue(cellI[0] > 0 && cellI[1] > 0 && cellI[1] < cellH[1], "'i' has fewer lit dots than 'H'");
        assertEquals(9 * 16, empty[2], "an empty cell is black");
        assertEquals(0x0000AA, img.getRGB(0, 0) & 0xFFFFFF, "top-left dot: background " + blue);
        assertEquals("", exec("screenshot " + dir.resolve("again.png")), "the alias");
    }

    /** Counts the dots of text cell (col, row): [blue background, white, black]. */
    private static int[] colours(BufferedImage img, int col, int row) {
        int[] n = new int[3];
        for (int y = row * 16; y < row * 16 + 16; y++) {
            for (int x = col * 9; x < col * 9 + 9; x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                if (rgb == 0x0000AA) {
                    n[0]++;
                } else if (rgb == 0xFFFFFF) {
                    n[1]++;
                } else if (rgb == 0) {
                    n[2]++;
                }
            }
        }
        return n;
    }

    @Test
    void infoMemAndDevices() {
        start(GUEST);
        String mem = exec("info mem");
        assertTrue(mem.startsWith("RAM: 16 MiB"), mem);
        assertTrue(mem.contains("paging: off (real mode, linear = physical)"), mem);
        String dev = exec("info devices");
        assertTrue(dev.contains("  0020-0021  pic-master\n"), dev);
        assertTrue(dev.contains("  03f8-03ff  uart16550@0x3f8\n"), dev);
        assertTrue(dev.contains("  00:00.0  8086:1237  class 060000"), "i440FX host bridge: " + dev);
        assertTrue(dev.contains("  00:01.0  8086:7000  class 060100"), "PIIX3 ISA bridge: " + dev);
        assertTrue(dev.contains("  00:01.1  8086:7010  class 0101"), "PIIX3 IDE: " + dev);
        assertTrue(dev.contains("  IRQ  4  COM1\n"), dev);
        assertTrue(dev.contains("fee00000-"), "the local APIC's page: " + dev);
    }

    @Test
    void pagedGuestMemoryThroughThePageTables() {
        start(IDLE);
        exec("stop");
        board.gate().inspect(() -> {
            // page directory at 1 MiB: PDE 0 a 4 MiB PSE page (identity), PDE 0x300 -> table at 0x101000
            var m = board.memory();
            m.write32(0x100000, 0x0000_0083);               // P RW PS, base 0
            m.write32(0x100000 + 0x300 * 4, 0x0010_1007);   // P RW US, table at 0x101000
            m.write32(0x101000, 0x0020_0005);               // PTE 0: P US (read-only), page 0x200000
            m.write32(0x101004, 0x0020_1007);               // PTE 1: P RW US, page 0x201000
            m.write32(0x200000, 0xCAFEBABE);
            m.write32(0x201000, 0x12345678);
            Cpu cpu = board.cpu();
            cpu.cr3 = 0x100000;
            cpu.cr4 |= Cpu.CR4_PSE;
            cpu.cr0 |= Cpu.CR0_PE | Cpu.CR0_PG;
        });
        assertEquals("c0000000: 0xcafebabe 0x00000000\n", exec("x/2xw 0xc0000000"));
        assertEquals("c0001000: 0x12345678\n", exec("x 0xc0001000"));
        assertEquals("x: cannot access memory at c0002000: not mapped by the page tables\n", exec("x 0xc0002000"));
        assertEquals("00007c00: 0xfb\n", exec("x/xb 0x7c00"), "the identity-mapped 4 MiB page");
        String mem = exec("info mem");
        assertTrue(mem.contains("paging: 2-level, CR3=00100000, PSE\n"), mem);
        assertTrue(mem.contains("mapped: 4.0 MiB in 3 ranges"), mem);
        assertTrue(mem.contains("00000000-00400000 00400000 000000000 -rwx\n"), mem);
        assertTrue(mem.contains("c0000000-c0001000 00001000 000200000 ur-x\n"), mem);
        assertTrue(mem.contains("c0001000-c0002000 00001000 000201000 urwx\n"), mem);
        // the monitor's walk leaves the accessed bits alone
        assertEquals(0x0020_0005, board.memory().read32(0x101000));
    }

    @Test
    void stopWakesAnIdleGuestAndResetAndPowerdownReachTheBoard() throws Exception {
        start(IDLE);
        await(() -> board.cpu().halted, "the guest to halt");
        assertEquals("", exec("stop"), "stopping a CPU parked in HLT");
        assertTrue(exec("info registers").contains("HLT=1"));
        String step = exec("step");
        assertTrue(step.startsWith("the CPU is halted, waiting for an interrupt\n00007c02:  eb fd "), step);
        assertEquals("", exec("system_powerdown"));
        int sts = board.gate().call(() -> board.acpi().ioRead(PcBoard.PM_BASE, 2));
        assertNotEquals(0, sts & AcpiPm.PWRBTN_STS, "PM1 status: power button pressed");
        assertEquals("", exec("system_reset"));
        assertEquals(PcBoard.ExitKind.RESET, run.get(30, TimeUnit.SECONDS).kind(), "a paused board resets too");
    }

    @Test
    void quitEndsTheRun() throws Exception {
        start(GUEST);
        MonitorCommands.Reply r = monitor.execute("quit");
        assertTrue(r.quit());
        assertEquals(PcBoard.ExitKind.STOPPED, run.get(30, TimeUnit.SECONDS).kind());
    }

    @Test
    void quitEndsAPausedRun() throws Exception {
        start(GUEST);
        exec("stop");
        assertTrue(monitor.execute("q").quit());
        assertEquals(PcBoard.ExitKind.STOPPED, run.get(30, TimeUnit.SECONDS).kind());
    }
}

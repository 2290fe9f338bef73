package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.core.snapshot.Snapshot;
import dev.vmm.core.snapshot.SnapshotFormatException;
import dev.vmm.core.snapshot.SnapshotReader;
import dev.vmm.core.snapshot.SnapshotWriter;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.serial.StreamBackend;
import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.RawImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole board saved mid-run and restored into a new board goes on exactly as the uninterrupted
 * run: the guest (test resource snapshot/board-guest.s) takes PIT interrupts through the 8259, does
 * x87 arithmetic, prints on COM1 and reads and writes the ATA disk by PIO on every tick.
 */
class BoardSnapshotTest {
    private static final int SECTORS = 64;
    private static final long LIMIT = 500_000_000L;

    @TempDir
    Path dir;

    private record Result(PcBoard.Exit exit, String serial, String ram, String disk, long instructions) {
    }

    private Path diskFile() throws IOException {
        return diskFile(dir);
    }

    /** The board guest's disk in {@code dir}: 64 sectors, each filled with its letter. */
    static Path diskFile(Path dir) throws IOException {
        Path f = dir.resolve("disk.img");
        byte[] b = new byte[SECTORS * 512];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) ('a' + i / 512 % 26);
        }
        Files.write(f, b);
        return f;
    }

    /** The board guest's machine: 4 MiB, deterministic, COM1 into {@code com1}, {@code disk} on IDE 0:0. */
    static PcBoard board(ByteArrayOutputStream com1, BlockDevice disk) {
        return BoardConfig.builder().memory(4 << 20).deterministic(true)
                .serial(0, new StreamBackend(InputStream.nullInputStream(), com1, "com1"))
                .drive(0, 0, new AtaDisk(disk, "VMM HARDDISK", "VMM00000001"))
                .debugExit(true).build();
    }

    /** Offset of the idle loop's HLT in board-guest.bin. */
    private static final int IDLE_HLT = 0x3D;

    private static void boot(PcBoard b) throws IOException {
        boot(b, false);
    }

    /** {@code busy}: the idle loop spins (NOP instead of HLT), so timer interrupts arrive mid-quantum. */
    private static void boot(PcBoard b, boolean busy) throws IOException {
        byte[] code;
        try (InputStream in = BoardSnapshotTest.class.getResourceAsStream("/snapshot/board-guest.bin")) {
            code = in.readAllBytes();
        }
        assertEquals(0xF4, code[IDLE_HLT] & 0xFF);
        if (busy) {
            code[IDLE_HLT] = (byte) 0x90;
        }
        for (int k = 0; k < code.length; k++) {
            b.memory().write8(0x7C00 + k, code[k] & 0xFF);
        }
        Cpu cpu = b.cpu();
        Segment cs = cpu.seg[Cpu.CS];
        cs.selector = 0;
        cs.base = 0;
        cs.refresh();
        cpu.rip = 0x7C00;
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static byte[] contents(BlockDevice d) throws IOException {
        byte[] b = new byte[(int) d.sizeBytes()];
        d.read(0, b);
        return b;
    }

    private static Result result(PcBoard b, PcBoard.Exit exit, String serial, BlockDevice disk) throws Exception {
        return new Result(exit, serial, sha(b.memory().ram().toArray(ValueLayout.JAVA_BYTE)), sha(contents(disk)),
                b.cpu().instructionCount());
    }

    private Result uninterrupted(Path image, boolean busy) throws Exception {
        ByteArrayOutputStream com1 = new ByteArrayOutputStream();
        try (RawImage disk = RawImage.open(image, RawImage.Mode.COPY_ON_WRITE); PcBoard b = board(com1, disk)) {
            boot(b, busy);
            PcBoard.Exit exit = b.run(LIMIT);
            return result(b, exit, com1.toString(), disk);
        }
    }

    @Test
    void savedMidRunAndRestoredIntoANewBoardEndsLikeTheUninterruptedRun() throws Exception {
        roundTrips(false, 3);
    }

    /** The guest spins between ticks: interrupts arrive mid-quantum, where a save or stop may fall too. */
    @Test
    void aBusyGuestSavedAnywhereEndsLikeTheUninterruptedRun() throws Exception {
        roundTrips(true, 2);
    }

    private void roundTrips(boolean busy, int points) throws Exception {
        Path image = diskFile();
        Result expected = uninterrupted(image, busy);
        assertEquals(new PcBoard.Exit(PcBoard.ExitKind.DEBUG_EXIT, 0x21), expected.exit());
        assertEquals(120, expected.serial().length(), "a letter and a disk byte per tick: " + expected.serial());
        assertTrue(expected.serial().contains("1"), "a sector written earlier is read back: " + expected.serial());
        long total = expected.instructions();

        for (long at : java.util.Arrays.copyOf(new long[] {total / 3 + 11, total / 2 + 7, total - 5}, points)) {
            Path snap = dir.resolve("at-" + at + ".vmmsnap");
            Path frozen = dir.resolve("frozen-" + at + ".img");
            ByteArrayOutputStream first = new ByteArrayOutputStream();
            Result original;
            long savedAt;
            try (RawImage disk = RawImage.open(image, RawImage.Mode.COPY_ON_WRITE); PcBoard b = board(first, disk)) {
                boot(b, busy);
                assertEquals(PcBoard.ExitKind.LIMIT, b.run(at).kind());
                savedAt = b.cpu().instructionCount();
                SnapshotWriter w = new SnapshotWriter("board round trip at " + at);
                BoardSnapshot.addSections(w, b);
                w.writeTo(snap);
                Files.write(frozen, contents(disk));    // the disk as it was: what the CLI's overlay freezes
                // the saved VM goes on, unchanged by the save
                original = result(b, b.run(LIMIT), first.toString(), disk);
            }
            assertEquals(expected, original, "the saved VM went on as if nothing happened");

            ByteArrayOutputStream second = new ByteArrayOutputStream();
            Snapshot s = SnapshotReader.read(snap, BoardSnapshot.sectionNames());
            BoardSnapshot.Shape shape = BoardSnapshot.shape(s);
            assertEquals(4 << 20, shape.memoryBytes());
            try (RawImage disk = RawImage.open(frozen, RawImage.Mode.COPY_ON_WRITE); PcBoard b = board(second, disk)) {
                BoardSnapshot.restore(b, s);
                assertEquals(savedAt, b.cpu().instructionCount());
                PcBoard.Exit exit = b.run(LIMIT);
                String before = expected.serial().substring(0, expected.serial().length() - second.size());
                Result restored = result(b, exit, before + second, disk);
                assertEquals(expected, restored, "restored at instruction " + at);
            }
        }
    }

    @Test
    void aBoardOfAnotherShapeIsRefused() throws Exception {
        Path snap = dir.resolve("s.vmmsnap");
        try (RawImage disk = RawImage.open(diskFile(), RawImage.Mode.COPY_ON_WRITE);
             PcBoard b = board(new ByteArrayOutputStream(), disk)) {
            boot(b);
            b.run(10_000);
            SnapshotWriter w = new SnapshotWriter("shape");
            BoardSnapshot.addSections(w, b);
            w.writeTo(snap);
        }
        Snapshot s = SnapshotReader.read(snap, BoardSnapshot.sectionNames());
        try (PcBoard other = BoardConfig.builder().memory(8 << 20).deterministic(true).debugExit(true).build()) {
            String msg = assertThrows(SnapshotFormatException.class, () -> BoardSnapshot.restore(other, s)).getMessage();
            assertEquals("the snapshot's machine differs from the one built for it: memory 8388608 vs 4194304, "
                    + "serial ports 0x0 vs 0x1, drives [] vs [DriveSlot[channel=0, unit=0, cdrom=false]]", msg);
        }
    }

    @Test
    void everyDeviceStateSurvivesTheRecordEncoding() throws Exception {
        Path snap = dir.resolve("d.vmmsnap");
        try (RawImage disk = RawImage.open(diskFile(), RawImage.Mode.COPY_ON_WRITE);
             PcBoard b = board(new ByteArrayOutputStream(), disk)) {
            boot(b);
            b.run(3_500_000);
            SnapshotWriter w = new SnapshotWriter("devices");
            BoardSnapshot.addSections(w, b);
            w.writeTo(snap);
            Snapshot s = SnapshotReader.read(snap, BoardSnapshot.sectionNames());
            try (RawImage disk2 = RawImage.open(diskFile(), RawImage.Mode.COPY_ON_WRITE);
                 PcBoard c = board(new ByteArrayOutputStream(), disk2)) {
                BoardSnapshot.restore(c, s);
                assertEquals(b.cpu().save(), c.cpu().save());
                assertEquals(b.cpu().fpu.save(), c.cpu().fpu.save());
                assertEquals(b.clock().save(), c.clock().save());
                assertEquals(b.pic().save(), c.pic().save());
                assertEquals(b.pit().save(), c.pit().save());
                assertEquals(b.localApic().save(), c.localApic().save());
                assertEquals(b.ioApic().save(), c.ioApic().save());
                assertEquals(b.rtc().save(), c.rtc().save());
                assertEquals(b.hpet().save(), c.hpet().save());
                assertEquals(b.keyboardController().save(), c.keyboardController().save());
                assertEquals(b.serial(0).save(), c.serial(0).save());
                assertEquals(b.vga().save(), c.vga().save());
                assertEquals(b.pci().save(), c.pci().save());
                assertEquals(b.isaBridge().save(), c.isaBridge().save());
                assertEquals(b.ide().save(), c.ide().save());
                assertEquals(b.acpi().save(), c.acpi().save());
                assertEquals(b.coprocessorError().save(), c.coprocessorError().save());
                assertTrue(b.memory().read16(0x600) > 0, "the guest has ticked");
            }
        }
    }
}

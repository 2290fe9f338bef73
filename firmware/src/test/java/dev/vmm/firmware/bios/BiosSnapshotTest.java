package dev.vmm.firmware.bios;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.snapshot.Snapshot;
import dev.vmm.core.snapshot.SnapshotFormatException;
import dev.vmm.core.snapshot.SnapshotReader;
import dev.vmm.core.snapshot.SnapshotWriter;
import dev.vmm.devices.board.BoardConfig;
import dev.vmm.devices.board.BoardSnapshot;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.ide.AtaDisk;
import dev.vmm.devices.storage.RawImage;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The BIOS's own state (the {@code bios} section, {@link Bios.State}) goes into a board snapshot: a
 * guest saved while it waits in INT 15h AH=86h (the wait's end time lives in Java, not in guest
 * memory) resumes and ends exactly like the uninterrupted run; a file without the section (an older
 * vmm's) loads with the BIOS as built, and the wait then starts over.
 */
class BiosSnapshotTest {
    /** Idle time counts against a run's budget in deterministic mode (1 ns per instruction). */
    private static final long BUDGET = 2_000_000_000L;
    /** INT 15h AH=86h: CX:DX = 0007A120h us = 0.5 s. */
    private static final long WAIT_NS = 500_000_000L;

    @TempDir
    Path dir;
    private Bios bios;

    private record Result(PcBoard.Exit exit, long instructions, long nanos, int ticks, int flags, String ram) {
    }

    /** Waits 0.5 s with INT 15h AH=86h, stores the BDA tick count and FLAGS, exits through port 0xF4. */
    private static byte[] waitingGuest() {
        Asm16 a = new Asm16(0x7C00);
        a.b(0x31, 0xC0, 0x8E, 0xD8, 0x8E, 0xC0)   // xor ax,ax; mov ds,ax; mov es,ax
                .b(0x8E, 0xD0, 0xBC, 0x00, 0x7C)  // mov ss,ax; mov sp,7C00h
                .b(0xFB)                          // sti
                .b(0xB4, 0x86)                    // mov ah,86h
                .b(0xB9, 0x07, 0x00)              // mov cx,0007h
                .b(0xBA, 0x20, 0xA1)              // mov dx,0A120h
                .b(0xCD, 0x15)                    // int 15h
                .b(0x9C, 0x58, 0xA3, 0x02, 0x7E)  // pushf; pop ax; mov [7E02h],ax
                .b(0xA1, 0x6C, 0x04)              // mov ax,[046Ch]
                .b(0xA3, 0x00, 0x7E)              // mov [7E00h],ax
                .b(0xB0, 0x05, 0xE6, 0xF4)        // mov al,5; out 0F4h,al
                .label("hang").b(0xF4).j8(0xEB, "hang");
        return a.sector(true);
    }

    private PcBoard board() throws IOException {
        Path image = dir.resolve("disk.img");
        if (!Files.exists(image)) {
            byte[] disk = new byte[64 * 1024];
            System.arraycopy(waitingGuest(), 0, disk, 0, 512);
            Files.write(image, disk);
        }
        PcBoard board = BoardConfig.builder().memory(8L << 20).deterministic(true).debugExit(true)
                .drive(0, 0, new AtaDisk(RawImage.open(image, RawImage.Mode.READ_ONLY))).build();
        bios = Bios.attach(board);
        return board;
    }

    private static Result result(PcBoard b, PcBoard.Exit exit) throws Exception {
        byte[] ram = b.memory().ram().toArray(ValueLayout.JAVA_BYTE);
        return new Result(exit, b.cpu().instructionCount(), b.clock().nanos(), b.memory().read16(0x7E00),
                b.memory().read16(0x7E02), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ram)));
    }

    private static Set<String> known() {
        Set<String> s = new HashSet<>(BoardSnapshot.sectionNames());
        s.add(Bios.SECTION);
        return s;
    }

    /** The state of the board's BIOS, read through its registered snapshot part. */
    private static Bios.State biosState(PcBoard b) {
        return (Bios.State) b.snapshotParts().all().stream().filter(p -> p.name().equals(Bios.SECTION))
                .findFirst().orElseThrow().persist().save();
    }

    private void restoreBios(Bios.State state) {
        bios.restore(state);
    }

    @Test
    void aGuestSavedInsideTheInt15WaitEndsLikeTheUninterruptedRun() throws Exception {
        Result expected;
        try (PcBoard b = board()) {
            expected = result(b, b.run(BUDGET));
        }
        assertEquals(new PcBoard.Exit(PcBoard.ExitKind.DEBUG_EXIT, 0x0B), expected.exit());
        assertEquals(0, expected.flags() & 1, "CF clear: the wait succeeded");
        // IRQ0 ticks every 65536/1193182 s = 54.9 ms from time 0: the wait started a little after 0 and
        // ends at the first tick at or after its 0.5 s, the 10th (549 ms); the 9th is at 494 ms.
        assertEquals(10, expected.ticks(), "BDA ticks after the 0.5 s wait");
        assertTrue(expected.nanos() >= WAIT_NS, "guest time " + expected.nanos());

        Path snap = dir.resolve("wait.vmmsnap");
        long savedAt;
        try (PcBoard b = board()) {
            long n = 0;
            while (biosState(b).waitUntil() < 0) {
                assertEquals(PcBoard.ExitKind.LIMIT, b.runTo(n += 1000).kind());
            }
            long end = biosState(b).waitUntil();
            while (b.clock().nanos() < end - WAIT_NS / 2) {      // halfway through the wait, between ticks
                assertEquals(PcBoard.ExitKind.LIMIT, b.runTo(n += 1000).kind());
            }
            assertTrue(b.clock().nanos() < end, "still waiting");
            savedAt = b.cpu().instructionCount();
            SnapshotWriter w = new SnapshotWriter("inside INT 15h AH=86h");
            BoardSnapshot.addSections(w, b);
            w.writeTo(snap);
            assertEquals(expected, result(b, b.run(BUDGET)), "the saved VM goes on unchanged");
        }
        Snapshot s = SnapshotReader.read(snap, known());
        assertTrue(s.find(Bios.SECTION).isPresent());
        try (PcBoard b = board()) {
            BoardSnapshot.restore(b, s);
            assertEquals(savedAt, b.cpu().instructionCount());
            assertTrue(biosState(b).waitUntil() > 0, "the wait's end came back");
            assertEquals(expected, result(b, b.run(BUDGET)), "restored inside the wait");
        }

        // An older file (no 'bios' section) loads; the BIOS starts the interrupted wait over.
        Path old = dir.resolve("old.vmmsnap");
        SnapshotWriter w = new SnapshotWriter("without the bios section");
        for (Snapshot.Section sec : s.sections()) {
            if (!sec.name().equals(Bios.SECTION)) {
                w.section(sec.name(), sec.version(), false, out -> out.bytes(sec.payload()));
            }
        }
        w.writeTo(old);
        try (PcBoard b = board()) {
            BoardSnapshot.restore(b, SnapshotReader.read(old, known()));
            assertEquals(-1, biosState(b).waitUntil());
            Result restarted = result(b, b.run(BUDGET));
            assertEquals(expected.exit(), restarted.exit());
            assertNotEquals(expected.instructions(), restarted.instructions());
            assertTrue(restarted.nanos() > expected.nanos() + WAIT_NS / 4, "waited again: " + restarted.nanos());
        }
    }

    @Test
    void everyFieldOfTheStateRoundTripsAndABadOneIsRefused() throws Exception {
        Path snap = dir.resolve("s.vmmsnap");
        Bios.State state = new Bios.State(1234, 987_654_321L, true, null, 3);
        try (PcBoard b = board()) {
            assertTrue(b.snapshotParts().all().stream().anyMatch(p -> p.persist() == bios), "registered");
            restoreBios(state);
            assertEquals(state, biosState(b));
            SnapshotWriter w = new SnapshotWriter("state");
            BoardSnapshot.addSections(w, b);
            w.writeTo(snap);
        }
        Snapshot s = SnapshotReader.read(snap, known());
        try (PcBoard b = board()) {
            BoardSnapshot.restore(b, s);
            assertEquals(state, biosState(b));
        }
        try (PcBoard b = board()) {
            var cd = new Bios.State(0, -1, false, new ElTorito.BootImage(17, 0, 0x7C0, 4, 20), 0);
            assertThrows(IllegalArgumentException.class, () -> restoreBios(cd), "no CD on this board");
            assertEquals(new Bios.State(0, -1, false, null, 0), biosState(b), "a refused state changes nothing");
        }
        // A board without the BIOS refuses the file: its state would be dropped.
        try (PcBoard b = BoardConfig.builder().memory(8L << 20).deterministic(true).debugExit(true)
                .drive(0, 0, new AtaDisk(RawImage.open(dir.resolve("disk.img"), RawImage.Mode.READ_ONLY))).build()) {
            String msg = assertThrows(SnapshotFormatException.class, () -> BoardSnapshot.restore(b, s)).getMessage();
            assertEquals("the snapshot has a 'bios' section for a part this machine lacks", msg);
        }
    }
}

package dev.vmm.devices.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Segment;
import dev.vmm.core.snapshot.Snapshot;
import dev.vmm.core.snapshot.SnapshotReader;
import dev.vmm.core.snapshot.SnapshotWriter;
import dev.vmm.devices.storage.RawImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compatibility promise for whole-machine snapshots: {@code snapshots/golden-pc-1.vmmsnap}
 * (container format 1, SHA-256 trailer; board 1, ram 2, clock 1, cpu 1, fpu 1 and every device section
 * at version 1) and {@code snapshots/golden-pc-2.vmmsnap} (the same sections in container format 2,
 * CRC-32C trailer) load in this vmm, restore into a board of their shape, and the guest goes on to
 * print exactly what it printed when the files were written. The expected values are literals; a file
 * is never regenerated once committed (run with {@code -Dvmm.snapshot.regenerate=true} to create the
 * newest one the first time). The guest is snapshot/board-guest.s, saved in its 30th timer tick, just
 * after the tick count went up; both files hold the same machine state.
 */
class GoldenPcSnapshotTest {
    static final String RESOURCE = "/snapshots/golden-pc-1.vmmsnap";
    /** The newest golden file, the one {@link #regenerateGoldenPc} writes. */
    static final String RESOURCE_2 = "/snapshots/golden-pc-2.vmmsnap";
    /** Serial output of the guest after the save, up to its debug exit. */
    static final String REST = GoldenValues.REST;

    @TempDir
    Path dir;

    @Test
    void goldenPcSnapshotRestoresAndTheGuestGoesOnExactly() throws Exception {
        restoresExactly(RESOURCE, 1, GoldenValues.NANOS, REST);
    }

    @Test
    void goldenPcSnapshotOfFormat2RestoresAndTheGuestGoesOnExactly() throws Exception {
        restoresExactly(RESOURCE_2, 2, GoldenValues.NANOS_2, GoldenValues.REST_2);
    }

    private void restoresExactly(String resource, int format, long nanos, String rest) throws Exception {
        var url = GoldenPcSnapshotTest.class.getResource(resource);
        assertTrue(url != null, "missing test resource " + resource);
        Snapshot s = SnapshotReader.read(Path.of(url.toURI()), BoardSnapshot.sectionNames());
        assertEquals(format, s.formatVersion());
        assertEquals(List.of("board", "ram", "clock", "cpu", "fpu", "pic", "ioapic", "lapic", "pit", "rtc", "hpet",
                "i8042", "a20", "port92", "uart0", "vga", "pci", "piix3", "ide", "acpi-pm", "ferr", "isa-irq"),
                s.sections().stream().map(Snapshot.Section::name).toList());
        assertEquals(2, s.find("ram").orElseThrow().version());
        ByteArrayOutputStream com1 = new ByteArrayOutputStream();
        try (RawImage d = RawImage.open(BoardSnapshotTest.diskFile(dir), RawImage.Mode.COPY_ON_WRITE);
             PcBoard b = BoardSnapshotTest.board(com1, d)) {
            BoardSnapshot.restore(b, s);
            assertEquals(GoldenValues.ICOUNT, b.cpu().instructionCount());
            assertEquals(nanos, b.clock().nanos());
            assertEquals(GoldenValues.RIP, b.cpu().rip);
            assertEquals(30, b.memory().read16(0x600), "ticks so far");
            assertEquals(30, b.memory().read16(0x602), "the x87 sum stored by the last tick's FIST: 1 + 29");
            assertEquals(0x4003, b.cpu().fpu.stSe(0), "ST(0) = 30.0: exponent 16383 + 4");
            assertEquals(0xF000_0000_0000_0000L, b.cpu().fpu.stSig(0), "ST(0) = 30.0: significand 1.111b");
            assertEquals(0x037F, b.cpu().fpu.fcw, "FNINIT's control word");
            assertEquals(0xFE, b.pic().save().master().imr(), "only IRQ0 unmasked");
            assertEquals(GoldenValues.RAM_SHA256, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(b.memory().ram().toArray(ValueLayout.JAVA_BYTE))));
            assertEquals(new PcBoard.Exit(PcBoard.ExitKind.DEBUG_EXIT, 0x21), b.run(500_000_000L));
            assertEquals(rest, com1.toString());
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "vmm.snapshot.regenerate", matches = "true")
    void regenerateGoldenPc() throws Exception {
        Path target = Path.of("src/test/resources" + RESOURCE_2);
        if (Files.exists(target)) {
            throw new IllegalStateException(target + " exists: golden files are never regenerated");
        }
        Files.createDirectories(target.getParent());
        ByteArrayOutputStream com1 = new ByteArrayOutputStream();
        try (RawImage d = RawImage.open(BoardSnapshotTest.diskFile(dir), RawImage.Mode.COPY_ON_WRITE);
             PcBoard b = BoardSnapshotTest.board(com1, d)) {
            byte[] code;
            try (InputStream in = GoldenPcSnapshotTest.class.getResourceAsStream("/snapshot/board-guest.bin")) {
                code = in.readAllBytes();
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
            while (b.memory().read16(0x600) < 30) {
                b.run(1);
            }
            SnapshotWriter w = new SnapshotWriter("golden pc 2: vmm-devices whole-board compatibility fixture, format 2");
            BoardSnapshot.addSections(w, b);
            w.writeTo(target);
            System.err.printf("ICOUNT=%d NANOS=%d RIP=0x%x RAM=%s%n", b.cpu().instructionCount(), b.clock().nanos(),
                    b.cpu().rip, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(b.memory().ram().toArray(ValueLayout.JAVA_BYTE))));
            int before = com1.size();
            b.run(500_000_000L);
            System.err.println("REST=" + com1.toString().substring(before));
        }
    }
}

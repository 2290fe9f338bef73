package dev.vmm.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The self-describing record encoding of device sections (docs/snapshot-format.md, "Record encoding"). */
class RecordCodecTest {
    enum Mode { IDLE, BUSY }

    sealed interface Drive permits Disk, Cd {
    }

    record Disk(int heads) implements Drive {
    }

    record Cd(boolean tray) implements Drive {
    }

    record Inner(long deadline, short s, char c, byte b) {
    }

    record State(boolean on, int reg, long time, String name, byte[] ram, int[] words, long[] quads,
                 boolean[] bits, Mode mode, Inner inner, List<Inner> list, List<Long> longs, Drive master,
                 Drive slave) {
    }

    record V1(int reg) {
    }

    /** A later version of V1 with a field added. */
    record V2(int reg, long added, byte[] buf, List<Long> list) {
    }

    private static SectionInput input(SectionOutput out) {
        return new SectionInput("dev", 1, Arrays.copyOf(out.buffer(), out.size()));
    }

    private static SectionOutput encode(Record r) {
        SectionOutput out = new SectionOutput();
        RecordCodec.write(out, r);
        return out;
    }

    @Test
    void everySupportedTypeRoundTrips() throws Exception {
        State s = new State(true, -5, 1L << 40, "ü", new byte[] {1, 2}, new int[] {-1, 7}, new long[] {Long.MIN_VALUE},
                new boolean[] {true, false}, Mode.BUSY, new Inner(9, (short) -2, 'x', (byte) -128),
                List.of(new Inner(1, (short) 1, 'a', (byte) 1)), List.of(3L, 4L), new Disk(16), null);
        State back = RecordCodec.read(input(encode(s)), State.class);
        assertEquals(s.on(), back.on());
        assertEquals(s.reg(), back.reg());
        assertEquals(s.time(), back.time());
        assertEquals("ü", back.name());
        assertArrayEquals(s.ram(), back.ram());
        assertArrayEquals(s.words(), back.words());
        assertArrayEquals(s.quads(), back.quads());
        assertArrayEquals(s.bits(), back.bits());
        assertEquals(Mode.BUSY, back.mode());
        assertEquals(s.inner(), back.inner());
        assertEquals(s.list(), back.list());
        assertEquals(s.longs(), back.longs());
        assertEquals(new Disk(16), back.master());
        assertNull(back.slave());
    }

    @Test
    void theLayoutIsTaggedFieldsByName() {
        // RECORD, 1 field: name "reg", INT 0x01020304
        assertEquals("08" + "0100" + "03" + "726567" + "02" + "04030201",
                HexFormat.of().formatHex(Arrays.copyOf(encode(new V1(0x01020304)).buffer(), encode(new V1(0)).size())));
    }

    @Test
    void aFieldAnOlderWriterLackedReadsAsZeroOrEmpty() throws Exception {
        V2 v = RecordCodec.read(input(encode(new V1(7))), V2.class);
        assertEquals(7, v.reg());
        assertEquals(0, v.added());
        assertEquals(0, v.buf().length);
        assertEquals(List.of(), v.list());
    }

    @Test
    void anUnknownFieldAChangedTypeOrLeftoverBytesAreRefused() {
        String msg = assertThrows(SnapshotFormatException.class,
                () -> RecordCodec.read(input(encode(new V2(1, 2, new byte[0], List.of()))), V1.class)).getMessage();
        assertEquals("section 'dev' at payload offset 12: field 'added' is unknown to this vmm (V1)", msg);

        record Wide(long reg) {
        }
        msg = assertThrows(SnapshotFormatException.class,
                () -> RecordCodec.read(input(encode(new V1(1))), Wide.class)).getMessage();
        assertEquals("section 'dev' at payload offset 7: field 'reg' has type tag 2, this vmm expects 3 (long)", msg);

        SectionOutput out = encode(new V1(1)).u8(0);
        msg = assertThrows(SnapshotFormatException.class, () -> RecordCodec.read(input(out), V1.class)).getMessage();
        assertEquals("section 'dev' at payload offset 12: 1 unexpected trailing bytes", msg);

        record Small(byte reg) {
        }
        msg = assertThrows(SnapshotFormatException.class,
                () -> RecordCodec.read(input(encode(new V1(300))), Small.class)).getMessage();
        assertEquals("section 'dev' at payload offset 7: field 'reg' = 300 does not fit a byte", msg);
    }

    @Test
    void anUnknownEnumConstantOrVariantIsRefused() throws Exception {
        record E(Mode mode) {
        }
        SectionOutput out = new SectionOutput();
        out.u8(RecordCodec.RECORD).u16(1).u8(4).bytes("mode".getBytes()).u8(RecordCodec.ENUM).utf8("ASLEEP");
        assertEquals("section 'dev' at payload offset 8: field 'mode' = ASLEEP is not a Mode this vmm knows",
                assertThrows(SnapshotFormatException.class, () -> RecordCodec.read(input(out), E.class)).getMessage());

        record D(Drive d) {
        }
        SectionOutput v = new SectionOutput();
        v.u8(RecordCodec.RECORD).u16(1).u8(1).bytes("d".getBytes()).u8(RecordCodec.VARIANT).utf8("Floppy").u16(0);
        assertEquals("section 'dev' at payload offset 5: field 'd' holds a 'Floppy', which this vmm does not know "
                + "as a Drive", assertThrows(SnapshotFormatException.class,
                        () -> RecordCodec.read(input(v), D.class)).getMessage());
    }

    @Test
    void aHugeArrayCountIsRefusedBeforeAllocating() {
        record A(long[] q) {
        }
        SectionOutput out = new SectionOutput();
        out.u8(RecordCodec.RECORD).u16(1).u8(1).bytes("q".getBytes()).u8(RecordCodec.LONGS).u32(0xFFFF_FFFFL);
        String msg = assertThrows(SnapshotFormatException.class, () -> RecordCodec.read(input(out), A.class))
                .getMessage();
        assertEquals("section 'dev' at payload offset 10: an array of 4294967295 elements does not fit in the 0 "
                + "bytes left", msg);
    }
}

package dev.vmm.devices.vga;

import dev.vmm.core.bus.MmioDevice;
import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.clock.Clock;
import dev.vmm.core.memory.PhysicalMemory;
import dev.vmm.core.persist.Persist;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IBM VGA, as far as text mode needs it (and the memory and register logic of the graphics
 * modes): the host window 0xA0000-0xBFFFF over 256 KiB in four planes ({@link VgaMemory}), and
 * the registers at 0x3B4/0x3B5/0x3BA, 0x3C0-0x3CF and 0x3D4/0x3D5/0x3DA.
 *
 * <ul>
 *   <li>Miscellaneous Output (write 0x3C2, read 0x3CC): bit 0 moves the CRTC and Input Status
 *       1 between 0x3Bx and 0x3Dx; the inactive pair reads 0xFF and ignores writes.</li>
 *   <li>Sequencer (0x3C4/0x3C5, 5 registers), CRT Controller (0x3?4/0x3?5, 25 registers; bit 7
 *       of register 0x11 write-protects registers 0-7 except the line compare bit of 0x07),
 *       Graphics Controller (0x3CE/0x3CF, 9 registers): index registers read back; reserved
 *       bits read as zero.</li>
 *   <li>Attribute Controller at 0x3C0: a flip-flop alternates index and data writes; reading
 *       Input Status 1 resets it to index. Index bit 5 (Palette Address Source) clear blanks the
 *       screen. 0x3C1 reads the indexed register; a write there acts as one to 0x3C0 (as on
 *       many clones), so {@code out dx, ax} at 0x3C0 writes index and data.</li>
 *   <li>DAC (0x3C6-0x3C9, {@link VgaDac}), Input Status 0 (0x3C2 read: 0), Feature Control
 *       (write 0x3?A, read 0x3CA), Video Subsystem Enable (0x3C3).</li>
 *   <li>Input Status 1 (0x3?A read): display-disabled and vertical-retrace bits derived from
 *       guest time ({@link CrtTiming}).</li>
 * </ul>
 * 16- and 32-bit port accesses act as byte accesses to consecutive ports (index in AL, data in
 * AH, as BIOSes use {@code out dx, ax}).
 *
 * <p>Power-on state: mode 3 as a VGA BIOS leaves it ({@link #setMode3()}), so a guest booted
 * without a BIOS finds a usable text console. {@link #textScreen()} shows what the CRT would.
 *
 * <p>Not modelled: the vertical retrace interrupt (CRTC 0x11 bits 4-5; no BIOS or Linux driver
 * uses IRQ 2 for it), light pen registers, the odd/even page bit of the Miscellaneous Output,
 * graphics-mode scan-out (only the text view is rendered), and SVGA extensions.
 *
 * <p>Entry points are synchronized: the vCPU thread drives ports and memory, while a display
 * thread takes {@link #textScreen()} snapshots.
 */
public final class Vga implements PortIoDevice, MmioDevice, Persist<Vga.State> {
    private static final Logger log = LoggerFactory.getLogger(Vga.class);

    /** Physical base of the legacy memory window. */
    public static final long WINDOW_BASE = 0xA0000;
    /** Size of the legacy memory window (0xA0000-0xBFFFF). */
    public static final long WINDOW_SIZE = VgaMemory.WINDOW;

    static final int SEQ_REGS = 5;
    static final int CRTC_REGS = 25;
    static final int GC_REGS = 9;
    static final int AC_REGS = 21;
    private static final int[] SEQ_MASK = {0x03, 0x3D, 0x0F, 0x3F, 0x0E};
    private static final int[] GC_MASK = {0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF};
    private static final int[] AC_MASK = {0xEF, 0xFF, 0x3F, 0x0F, 0x0F};
    private static final int AC_PAS = 0x20;

    /**
     * The VGA's architectural state.
     *
     * @param misc Miscellaneous Output
     * @param featureControl Feature Control
     * @param videoEnable Video Subsystem Enable (0x3C3)
     * @param seqIndex the Sequencer index as last written
     * @param seq the 5 Sequencer registers
     * @param crtcIndex the CRT Controller index as last written
     * @param crtc the 25 CRT Controller registers
     * @param gcIndex the Graphics Controller index as last written
     * @param gc the 9 Graphics Controller registers
     * @param acIndex the Attribute Controller index, with the Palette Address Source in bit 5
     * @param acData the flip-flop: the next 0x3C0 write is data
     * @param ac the 21 Attribute Controller registers (16 palette, mode, overscan, colour plane
     *           enable, horizontal panning, colour select)
     * @param dac the DAC
     * @param latches the four memory latch bytes (plane 0 in bits 7-0)
     * @param memory the non-zero 4 KiB pages of the 256 KiB memory
     */
    public record State(int misc, int featureControl, int videoEnable, int seqIndex, byte[] seq,
                        int crtcIndex, byte[] crtc, int gcIndex, byte[] gc, int acIndex,
                        boolean acData, byte[] ac, DacState dac, int latches,
                        List<MemoryPage> memory) {
        public State {
            seq = sized(seq, SEQ_REGS, "sequencer");
            crtc = sized(crtc, CRTC_REGS, "CRTC");
            gc = sized(gc, GC_REGS, "graphics controller");
            ac = sized(ac, AC_REGS, "attribute controller");
            memory = List.copyOf(memory);
        }

        @Override
        public byte[] seq() {
            return seq.clone();
        }

        @Override
        public byte[] crtc() {
            return crtc.clone();
        }

        @Override
        public byte[] gc() {
            return gc.clone();
        }

        @Override
        public byte[] ac() {
            return ac.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && misc == s.misc && featureControl == s.featureControl
                    && videoEnable == s.videoEnable && seqIndex == s.seqIndex
                    && crtcIndex == s.crtcIndex && gcIndex == s.gcIndex && acIndex == s.acIndex
                    && acData == s.acData && latches == s.latches && Arrays.equals(seq, s.seq)
                    && Arrays.equals(crtc, s.crtc) && Arrays.equals(gc, s.gc)
                    && Arrays.equals(ac, s.ac) && dac.equals(s.dac) && memory.equals(s.memory);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(crtc) * 31 + memory.hashCode();
        }

        @Override
        public String toString() {
            return "Vga.State[misc=" + misc + ", crtc=" + java.util.HexFormat.of().formatHex(crtc)
                    + ", pages=" + memory.size() + "]";
        }
    }

    /**
     * The DAC's state.
     *
     * @param rgb 768 bytes: red, green, blue of entries 0-255 (6 bits each)
     * @param pixelMask the Pixel Mask register
     * @param readIndex the entry the next data read returns
     * @param writeIndex the entry the next complete write cycle stores
     * @param component 0-2: red, green or blue is the next data access
     * @param readMode the last index written was the read index (DAC state 3)
     * @param pending the red and green values of a write cycle in progress (bits 7-0, 15-8)
     */
    public record DacState(byte[] rgb, int pixelMask, int readIndex, int writeIndex, int component,
                           boolean readMode, int pending) {
        public DacState {
            rgb = sized(rgb, 768, "DAC");
        }

        @Override
        public byte[] rgb() {
            return rgb.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DacState s && Arrays.equals(rgb, s.rgb) && pixelMask == s.pixelMask
                    && readIndex == s.readIndex && writeIndex == s.writeIndex
                    && component == s.component && readMode == s.readMode && pending == s.pending;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(rgb) * 31 + writeIndex;
        }

        @Override
        public String toString() {
            return "Vga.DacState[mask=" + pixelMask + ", read=" + readIndex + ", write="
                    + writeIndex + ", component=" + component + "]";
        }
    }

    /** A 4 KiB piece of one plane holding a non-zero byte (the sparse form of the memory). */
    public record MemoryPage(int plane, int offset, byte[] data) {
        public MemoryPage {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof MemoryPage p && plane == p.plane && offset == p.offset
                    && Arrays.equals(data, p.data);
        }

        @Override
        public int hashCode() {
            return (plane * 31 + offset) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "MemoryPage[plane=" + plane + ", offset=0x" + Integer.toHexString(offset) + "]";
        }
    }

    private static byte[] sized(byte[] b, int n, String what) {
        if (b.length != n) {
            throw new IllegalArgumentException(what + " state needs " + n + " bytes, not " + b.length);
        }
        return b.clone();
    }

    private final Clock clock;
    private final byte[] seq = new byte[SEQ_REGS];
    private final byte[] crtc = new byte[CRTC_REGS];
    private final byte[] gc = new byte[GC_REGS];
    private final byte[] ac = new byte[AC_REGS];
    private final VgaMemory mem = new VgaMemory(seq, gc);
    private final VgaDac dac = new VgaDac();
    private int misc;
    private int featureControl;
    private int videoEnable;
    private int seqIndex;
    private int crtcIndex;
    private int gcIndex;
    private int acIndex;
    private boolean acData;
    private long ignoredAccesses;

    /** @param clock guest time, for the retrace and display-enable bits of Input Status 1 */
    public Vga(Clock clock) {
        this.clock = clock;
        setMode3();
    }

    /** Claims the VGA ports on {@code pio} and the window 0xA0000-0xBFFFF on {@code memory}. */
    public void attach(PioBus pio, PhysicalMemory memory) {
        pio.register(0x3B4, 2, "vga-crtc-mono", this);
        pio.register(0x3BA, 1, "vga-status-mono", this);
        pio.register(0x3C0, 16, "vga", this);
        pio.register(0x3D4, 2, "vga-crtc", this);
        pio.register(0x3DA, 1, "vga-status", this);
        memory.addMmio(WINDOW_BASE, WINDOW_SIZE, "vga-memory", this);
    }

    /**
     * Loads BIOS mode 3 (80x25 text, 9x16 cells, 16 colours, I/O at 0x3Dx): the standard
     * register set, the EGA-compatible 64-colour DAC palette, and a cleared screen (spaces, light
     * grey on black). Plane 2 (the font) is left as it is; with no font loaded there, renderers
     * use {@link BuiltinFont}.
     */
    public synchronized void setMode3() {
        misc = Mode3.MISC;
        copy(Mode3.SEQ, seq);
        copy(Mode3.CRTC, crtc);
        copy(Mode3.GC, gc);
        copy(Mode3.AC, ac);
        seqIndex = 0;
        crtcIndex = 0;
        gcIndex = 0;
        acIndex = AC_PAS;
        acData = false;
        for (int i = 0; i < 256; i++) {
            int v = i < 64 ? Mode3.egaDac(i) : 0;
            dac.set(i, v >> 16, (v >> 8) & 0xFF, v & 0xFF);
        }
        dac.setPixelMask(0xFF);
        dac.setWriteIndex(0);
        mem.fill(0, 0, 0x8000, 0x20);
        mem.fill(1, 0, 0x8000, 0x07);
    }

    private static void copy(int[] from, byte[] to) {
        for (int i = 0; i < to.length; i++) {
            to[i] = (byte) from[i];
        }
    }

    /** The text screen as the CRT shows it now. */
    public synchronized TextSnapshot textScreen() {
        return TextScanout.capture(seq, crtc, ac, (acIndex & AC_PAS) != 0, mem, dac);
    }

    /** Guest accesses that hit no register (counted, logged once). */
    public synchronized long ignoredAccesses() {
        return ignoredAccesses;
    }

    // ---- memory window ----------------------------------------------------------------------

    @Override
    public synchronized long mmioRead(long offset, int size) {
        long v = 0;
        for (int i = 0; i < size; i++) {
            long a = offset + i;
            long b = a < WINDOW_SIZE ? mem.read((int) a) : 0xFF;
            v |= b << (8 * i);
        }
        return v;
    }

    @Override
    public synchronized void mmioWrite(long offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            long a = offset + i;
            if (a < WINDOW_SIZE) {
                mem.write((int) a, (int) (value >>> (8 * i)) & 0xFF);
            }
        }
    }

    // ---- ports ------------------------------------------------------------------------------

    @Override
    public synchronized int ioRead(int port, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= readPort(port + i) << (8 * i);
        }
        return v;
    }

    @Override
    public synchronized void ioWrite(int port, int size, int value) {
        for (int i = 0; i < size; i++) {
            writePort(port + i, (value >>> (8 * i)) & 0xFF);
        }
    }

    /** The CRTC/Input Status 1 base in use: 0x3D0 (colour) or 0x3B0 (monochrome). */
    private int ioBase() {
        return (misc & 1) != 0 ? 0x3D0 : 0x3B0;
    }

    private int readPort(int port) {
        int base = ioBase();
        if (port == base + 4) {
            return crtcIndex;
        }
        if (port == base + 5) {
            return crtcIndex < CRTC_REGS ? crtc[crtcIndex] & 0xFF : ignored("CRTC read", crtcIndex);
        }
        if (port == base + 0xA) {
            acData = false;
            return CrtTiming.status(crtc, seq, misc, clock.nanos());
        }
        return switch (port) {
            case 0x3C0 -> acIndex;
            case 0x3C1 -> (acIndex & 0x1F) < AC_REGS ? ac[acIndex & 0x1F] & 0xFF : 0;
            case 0x3C2 -> 0;                    // Input Status 0: no switch sense, no interrupt
            case 0x3C3 -> videoEnable;
            case 0x3C4 -> seqIndex;
            case 0x3C5 -> seqIndex < SEQ_REGS ? seq[seqIndex] & 0xFF : ignored("SEQ read", seqIndex);
            case 0x3C6 -> dac.pixelMask();
            case 0x3C7 -> dac.state();
            case 0x3C8 -> dac.writeIndex();
            case 0x3C9 -> dac.readData();
            case 0x3CA -> featureControl;
            case 0x3CC -> misc;
            case 0x3CE -> gcIndex;
            case 0x3CF -> gcIndex < GC_REGS ? gc[gcIndex] & 0xFF : ignored("GC read", gcIndex);
            default -> 0xFF;                    // 0x3CB, 0x3CD, inactive 0x3Bx/0x3Dx, beyond
        };
    }

    private void writePort(int port, int v) {
        int base = ioBase();
        if (port == base + 4) {
            crtcIndex = v;
            return;
        }
        if (port == base + 5) {
            writeCrtc(v);
            return;
        }
        if (port == base + 0xA) {
            featureControl = v;
            return;
        }
        switch (port) {
            case 0x3C0, 0x3C1 -> writeAttribute(v);
            case 0x3C2 -> misc = v;
            case 0x3C3 -> videoEnable = v & 1;
            case 0x3C4 -> seqIndex = v;
            case 0x3C5 -> {
                if (seqIndex < SEQ_REGS) {
                    seq[seqIndex] = (byte) (v & SEQ_MASK[seqIndex]);
                } else {
                    ignored("SEQ write", seqIndex);
                }
            }
            case 0x3C6 -> dac.setPixelMask(v);
            case 0x3C7 -> dac.setReadIndex(v);
            case 0x3C8 -> dac.setWriteIndex(v);
            case 0x3C9 -> dac.writeData(v);
            case 0x3CE -> gcIndex = v;
            case 0x3CF -> {
                if (gcIndex < GC_REGS) {
                    gc[gcIndex] = (byte) (v & GC_MASK[gcIndex]);
                } else {
                    ignored("GC write", gcIndex);
                }
            }
            default -> ignored("write to port", port);  // read-only or inactive ports
        }
    }

    private void writeCrtc(int v) {
        if (crtcIndex >= CRTC_REGS) {
            ignored("CRTC write", crtcIndex);
            return;
        }
        if ((crtc[0x11] & 0x80) != 0 && crtcIndex <= 7) {
            if (crtcIndex == 7) {               // only the line compare bit 8 stays writable
                crtc[7] = (byte) ((crtc[7] & ~0x10) | (v & 0x10));
            }
            return;
        }
        crtc[crtcIndex] = (byte) v;
    }

    private void writeAttribute(int v) {
        if (!acData) {
            acIndex = v & 0x3F;
            acData = true;
            return;
        }
        acData = false;
        int i = acIndex & 0x1F;
        if (i < 16) {
            ac[i] = (byte) (v & 0x3F);
        } else if (i < AC_REGS) {
            ac[i] = (byte) (v & AC_MASK[i - 16]);
        } else {
            ignored("attribute controller write", i);
        }
    }

    private int ignored(String what, int index) {
        if (ignoredAccesses++ == 0) {
            log.warn("VGA: {} 0x{} ignored (further ones are counted only)", what,
                    Integer.toHexString(index));
        }
        return 0xFF;
    }

    // ---- persistence ------------------------------------------------------------------------

    @Override
    public synchronized State save() {
        return new State(misc, featureControl, videoEnable, seqIndex, seq, crtcIndex, crtc, gcIndex,
                gc, acIndex, acData, ac, dac.save(), mem.latches(), mem.pages());
    }

    @Override
    public synchronized void restore(State s) {
        misc = s.misc() & 0xFF;
        featureControl = s.featureControl() & 0xFF;
        videoEnable = s.videoEnable() & 1;
        seqIndex = s.seqIndex() & 0xFF;
        crtcIndex = s.crtcIndex() & 0xFF;
        gcIndex = s.gcIndex() & 0xFF;
        acIndex = s.acIndex() & 0x3F;
        acData = s.acData();
        System.arraycopy(s.seq(), 0, seq, 0, SEQ_REGS);
        System.arraycopy(s.crtc(), 0, crtc, 0, CRTC_REGS);
        System.arraycopy(s.gc(), 0, gc, 0, GC_REGS);
        System.arraycopy(s.ac(), 0, ac, 0, AC_REGS);
        dac.restore(s.dac());
        mem.restore(s.memory(), s.latches());
    }
}

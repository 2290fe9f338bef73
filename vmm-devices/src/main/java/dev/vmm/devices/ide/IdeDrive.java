package dev.vmm.devices.ide;

import java.io.IOException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an ATA disk and an ATAPI drive share: the task file, the status bits, the interrupt-pending
 * flag, and the PIO data buffer with its DRQ block protocol. A drive executes a command as soon as
 * it is written (no seek or rotation time); BSY is only seen during a soft reset.
 *
 * <p>PIO: the drive fills a block of its buffer and sets DRQ; the host moves it through the data
 * port; at the end of the block the drive goes on ({@link #endOfBlock()}). DMA: the drive sets
 * its DMA request and the channel's bus master moves the data ({@link #dmaIn}, {@link #dmaOut},
 * {@link #dmaEnd}).
 */
public abstract sealed class IdeDrive permits AtaDisk, AtapiCdrom {
    private static final Logger log = LoggerFactory.getLogger(IdeDrive.class);

    static final int BSY = 0x80;
    static final int DRDY = 0x40;
    static final int DF = 0x20;
    static final int DSC = 0x10;
    static final int DRQ = 0x08;
    static final int ERR = 0x01;
    static final int ERR_ABRT = 0x04;
    static final int ERR_IDNF = 0x10;
    static final int ERR_UNC = 0x40;
    /** The largest PIO block (an ATAPI byte count limit of 0xFFFE) plus slack for odd counts. */
    static final int BUFFER_SIZE = 0x10000 + 2;

    /** What the end of the current data block means. */
    public enum Phase {
        IDLE, DATA_IN, ATA_READ, ATA_WRITE, PACKET, ATAPI_READ, ATAPI_REPLY
    }

    /** How the DMA engine ended a transfer. */
    enum DmaEnd {
        /** All the drive's data moved. */
        COMPLETE,
        /** The PRD table ended before the drive's data did. */
        SHORT_PRD,
        /** The image failed on the host. */
        ERROR
    }

    /**
     * A transfer in progress.
     *
     * @param buffer the valid bytes of the drive's buffer
     * @param pos the next data-port byte of the current DRQ block
     * @param end the end of the current DRQ block
     * @param pioOut the host writes the data port (else reads it)
     * @param position where the transfer continues (an LBA for ATA, a byte offset for ATAPI)
     * @param remaining what is left after the current block (sectors for ATA, bytes for ATAPI)
     * @param block sectors per DRQ block (ATA) or the byte count limit (ATAPI)
     * @param mode the addressing mode of an ATA command, or the DMA flag of a PACKET command
     * @param dmaRequest the drive waits for the bus master
     * @param dmaOffset the image (or buffer) byte offset of the DMA transfer
     * @param dmaLeft the bytes the DMA transfer has still to move
     */
    public record Transfer(Phase phase, byte[] buffer, int pos, int end, boolean pioOut,
                           long position, long remaining, int block, int mode,
                           boolean dmaRequest, boolean dmaToMemory, long dmaOffset, long dmaLeft) {
        public Transfer {
            buffer = buffer.clone();
        }

        @Override
        public byte[] buffer() {
            return buffer.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Transfer t && phase == t.phase && Arrays.equals(buffer, t.buffer)
                    && pos == t.pos && end == t.end && pioOut == t.pioOut
                    && position == t.position && remaining == t.remaining && block == t.block
                    && mode == t.mode && dmaRequest == t.dmaRequest
                    && dmaToMemory == t.dmaToMemory && dmaOffset == t.dmaOffset
                    && dmaLeft == t.dmaLeft;
        }

        @Override
        public int hashCode() {
            return (phase.hashCode() * 31 + Arrays.hashCode(buffer)) * 31 + Long.hashCode(position);
        }

        @Override
        public String toString() {
            return "Transfer[" + phase + " pos=" + pos + " end=" + end + " position=" + position
                    + " remaining=" + remaining + " dma=" + dmaRequest + " left=" + dmaLeft + "]";
        }
    }

    /** The state every drive has. */
    public record Core(TaskFile.State registers, boolean intrq, Transfer transfer) {
    }

    /** A drive's saved state: {@link AtaDisk.State} or {@link AtapiCdrom.State}. */
    public sealed interface Snapshot permits AtaDisk.State, AtapiCdrom.State {
        Core core();
    }

    final TaskFile tf = new TaskFile();
    final byte[] buffer = new byte[BUFFER_SIZE];
    /** Valid bytes in {@link #buffer} (at least {@link #end}). */
    int length;
    int pos;
    int end;
    boolean pioOut;
    Phase phase = Phase.IDLE;
    long position;
    long remaining;
    int block;
    int mode;
    boolean intrq;
    boolean dmaRequest;
    boolean dmaToMemory;
    long dmaOffset;
    long dmaLeft;
    private IdeChannel channel;
    private long ignoredAccesses;

    /** True for a packet device. */
    public abstract boolean atapi();

    /** Executes command {@code cmd} written to the command register. */
    abstract void command(int cmd);

    /** The host moved the last byte of the current DRQ block. */
    abstract void endOfBlock();

    /** Puts the drive in its post-reset state with its signature in the task file. */
    abstract void reset();

    /** Device to memory: the next {@code n} bytes of the DMA transfer into {@code dst}. */
    abstract void dmaIn(byte[] dst, int n) throws IOException;

    /** Memory to device: the next {@code n} bytes of the DMA transfer from {@code src}. */
    abstract void dmaOut(byte[] src, int n) throws IOException;

    /** The bus master stopped moving data for the current command. */
    abstract void dmaEnd(DmaEnd how);

    abstract Snapshot snapshot();

    abstract void restoreSnapshot(Snapshot s);

    void connect(IdeChannel ch) {
        if (channel != null) {
            throw new IllegalStateException("drive is already connected to " + channel.name());
        }
        channel = ch;
    }

    /** The lock that guards the drive: its channel (host threads change media under it). */
    final Object lock() {
        return channel != null ? channel : this;
    }

    // ---- status and interrupts ------------------------------------------------------------

    /** Sets INTRQ pending; the channel drives the line if this drive is selected and nIEN is 0. */
    final void interrupt() {
        intrq = true;
        if (channel != null) {
            channel.updateIrq();
        }
    }

    /** Ends the command: no transfer, status {@code status}, interrupt if asked. */
    final void finish(int status, boolean irq) {
        phase = Phase.IDLE;
        pos = end = 0;
        pioOut = false;
        dmaRequest = false;
        tf.status = status;
        if (irq) {
            interrupt();
        }
    }

    /** Aborts the command: ERR with ABRT. */
    final void abort() {
        tf.error = ERR_ABRT;
        finish(DRDY | ERR, true);
    }

    /** Drops any transfer (reset, new command). */
    final void cancel() {
        phase = Phase.IDLE;
        pos = end = length = 0;
        pioOut = false;
        dmaRequest = false;
        dmaLeft = 0;
    }

    /** Starts a PIO block of {@code n} bytes already in the buffer from {@code start}. */
    final void pioBlock(Phase p, int start, int n, boolean out, boolean irq) {
        phase = p;
        pos = start;
        end = start + n;
        length = Math.max(length, end);
        pioOut = out;
        tf.status = DRDY | DSC | DRQ;
        if (irq) {
            interrupt();
        }
    }

    /** Raises the DMA request for {@code bytes} bytes starting at {@code offset}. */
    final void requestDma(boolean toMemory, long offset, long bytes) {
        dmaToMemory = toMemory;
        dmaOffset = offset;
        dmaLeft = bytes;
        dmaRequest = true;
        tf.status = DRDY | DSC | DRQ;
        if (channel != null) {
            channel.dmaRequested(this);
        }
    }

    // ---- the data port --------------------------------------------------------------------

    final int dataRead(int size) {
        int v = readWord();
        return size == 4 ? v | readWord() << 16 : v;
    }

    final void dataWrite(int size, int v) {
        writeWord(v);
        if (size == 4) {
            writeWord(v >>> 16);
        }
    }

    private int readWord() {
        if ((tf.status & DRQ) == 0 || pioOut || phase == Phase.IDLE || dmaRequest) {
            ignored("data port read without a PIO data-in block");
            return 0;
        }
        int v = (buffer[pos] & 0xFF) | (buffer[pos + 1] & 0xFF) << 8;
        pos += 2;
        if (pos >= end) {
            endOfBlock();
        }
        return v;
    }

    private void writeWord(int v) {
        if ((tf.status & DRQ) == 0 || !pioOut || phase == Phase.IDLE || dmaRequest) {
            ignored("data port write without a PIO data-out block");
            return;
        }
        buffer[pos] = (byte) v;
        buffer[pos + 1] = (byte) (v >>> 8);
        pos += 2;
        if (pos >= end) {
            endOfBlock();
        }
    }

    final void ignored(String what) {
        if (ignoredAccesses++ == 0) {
            log.warn("IDE {}: {} (logged once)", getClass().getSimpleName(), what);
        }
    }

    /** Guest accesses the drive ignored (data port without DRQ, bad commands). */
    public long ignoredAccesses() {
        return ignoredAccesses;
    }

    // ---- persist --------------------------------------------------------------------------

    final Core saveCore() {
        byte[] data = Arrays.copyOf(buffer, Math.max(length, end));
        return new Core(tf.save(), intrq, new Transfer(phase, data, pos, end, pioOut, position,
                remaining, block, mode, dmaRequest, dmaToMemory, dmaOffset, dmaLeft));
    }

    final void restoreCore(Core c) {
        Transfer t = c.transfer();
        byte[] data = t.buffer();
        if (data.length > BUFFER_SIZE || t.pos() < 0 || t.end() > data.length || t.pos() > t.end()) {
            throw new IllegalArgumentException("IDE drive state has a bad buffer window");
        }
        tf.restore(c.registers());
        intrq = c.intrq();
        Arrays.fill(buffer, (byte) 0);
        System.arraycopy(data, 0, buffer, 0, data.length);
        length = data.length;
        phase = t.phase();
        pos = t.pos();
        end = t.end();
        pioOut = t.pioOut();
        position = t.position();
        remaining = t.remaining();
        block = t.block();
        mode = t.mode();
        dmaRequest = t.dmaRequest();
        dmaToMemory = t.dmaToMemory();
        dmaOffset = t.dmaOffset();
        dmaLeft = t.dmaLeft();
    }
}

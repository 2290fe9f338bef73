package dev.vmm.core.cpu.fpdiff;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A 512-byte FXSAVE image (legacy format, SDM vol. 2 "FXSAVE"), used as the input and output of
 * floating-point differential cases: both the host and the emulator load it with FXRSTOR, run the
 * instruction under test, and store their state with FXSAVE.
 */
public final class FxImage {
    public static final int SIZE = 512;
    public static final int FCW = 0;
    public static final int FSW = 2;
    public static final int FTW = 4;
    public static final int FOP = 6;
    public static final int FIP = 8;
    public static final int FDP = 16;
    public static final int MXCSR = 24;
    public static final int MXCSR_MASK = 28;
    public static final int ST0 = 32;
    public static final int XMM0 = 160;

    private final ByteBuffer b;

    private FxImage(byte[] bytes) {
        b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The state after FNINIT with SSE defaults: FCW 037Fh, all registers empty, MXCSR 1F80h, registers zero. */
    public static FxImage fninit() {
        return new FxImage(new byte[SIZE]).fcw(0x037F).mxcsr(0x1F80);
    }

    /** Wraps (a copy of) {@code bytes}. */
    public static FxImage of(byte[] bytes) {
        if (bytes.length != SIZE) {
            throw new IllegalArgumentException("an FXSAVE image has 512 bytes, not " + bytes.length);
        }
        return new FxImage(bytes.clone());
    }

    public byte[] bytes() {
        return b.array().clone();
    }

    public FxImage fcw(int v) {
        b.putShort(FCW, (short) v);
        return this;
    }

    public int fcw() {
        return b.getShort(FCW) & 0xFFFF;
    }

    /** The status word, TOP (bits 13-11) included. */
    public FxImage fsw(int v) {
        b.putShort(FSW, (short) v);
        return this;
    }

    public int fsw() {
        return b.getShort(FSW) & 0xFFFF;
    }

    public int top() {
        return fsw() >>> 11 & 7;
    }

    /** The abridged tag byte: bit n set = physical register n is not empty. */
    public FxImage ftw(int v) {
        b.put(FTW, (byte) v);
        return this;
    }

    public int ftw() {
        return b.get(FTW) & 0xFF;
    }

    public FxImage mxcsr(int v) {
        b.putInt(MXCSR, v);
        return this;
    }

    public int mxcsr() {
        return b.getInt(MXCSR);
    }

    /** Sets ST(i) (stack order, as the image stores it) without touching the tags. */
    public FxImage st(int i, int se, long sig) {
        b.putLong(ST0 + 16 * i, sig);
        b.putShort(ST0 + 16 * i + 8, (short) se);
        return this;
    }

    public int stSe(int i) {
        return b.getShort(ST0 + 16 * i + 8) & 0xFFFF;
    }

    public long stSig(int i) {
        return b.getLong(ST0 + 16 * i);
    }

    /**
     * Pushes a value as FLD would: TOP decrements, the new ST(0) is written and tagged non-empty,
     * the older entries move down one slot in the image.
     */
    public FxImage push(int se, long sig) {
        for (int i = 7; i > 0; i--) {
            st(i, stSe(i - 1), stSig(i - 1));
        }
        int top = (top() - 1) & 7;
        fsw(fsw() & ~0x3800 | top << 11);
        ftw(ftw() | 1 << top);
        return st(0, se, sig);
    }

    /** MMX register n is the significand of physical register n; with TOP = 0 that is ST(n). */
    public FxImage mm(int n, long v) {
        if (top() != 0) {
            throw new IllegalStateException("mm() needs TOP = 0");
        }
        ftw(ftw() | 1 << n);
        return st(n, 0xFFFF, v);
    }

    public long mm(int n) {
        return stSig((n - top()) & 7);
    }

    public FxImage xmm(int n, long lo, long hi) {
        b.putLong(XMM0 + 16 * n, lo);
        b.putLong(XMM0 + 16 * n + 8, hi);
        return this;
    }

    public long xmmLo(int n) {
        return b.getLong(XMM0 + 16 * n);
    }

    public long xmmHi(int n) {
        return b.getLong(XMM0 + 16 * n + 8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FxImage f && Arrays.equals(b.array(), f.b.array());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(b.array());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(String.format("FCW=%04x FSW=%04x (TOP=%d) FTW=%02x MXCSR=%08x", fcw(), fsw(),
                top(), ftw(), mxcsr()));
        for (int i = 0; i < 8; i++) {
            sb.append(String.format("%n  ST(%d)=%04x:%016x  XMM%d=%016x:%016x", i, stSe(i), stSig(i), i, xmmHi(i),
                    xmmLo(i)));
        }
        return sb.toString();
    }
}

package dev.vmm.core.cpu;

/** Where the decoder fetches instruction bytes from: byte {@code offset} of the instruction. */
@FunctionalInterface
public interface CodeSource {
    /** The byte at {@code offset} (0..255), or -1 if there are no more bytes. */
    int byteAt(int offset);

    /** A source over a byte array, starting at {@code start}; bytes past the end read as -1. */
    static CodeSource of(byte[] code, int start) {
        return off -> start + off < code.length ? code[start + off] & 0xFF : -1;
    }
}

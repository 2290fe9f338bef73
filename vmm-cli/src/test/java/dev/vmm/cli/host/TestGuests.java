package dev.vmm.cli.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Tiny 32-bit kernels in bzImage form, booted by the Linux loader at 0x100000. */
final class TestGuests {
    /** jmp $ */
    static final byte[] SPIN = bytes(0xEB, 0xFE);
    /** ud2 with the loader's empty IDT: #UD, #DF, triple fault. */
    static final byte[] CRASH = bytes(0x0F, 0x0B);
    /** Prints "hi\n" on COM1, then echoes every byte it receives (polling the LSR). */
    static final byte[] ECHO = bytes(
            0x66, 0xBA, 0xF8, 0x03,             // 00 mov dx, 0x3f8
            0xB0, 'h', 0xEE,                    // 04 out 'h'
            0xB0, 'i', 0xEE,                    // 07 out 'i'
            0xB0, '\n', 0xEE,                   // 0A out '\n'
            0x66, 0xBA, 0xFD, 0x03,             // 0D loop: mov dx, 0x3fd
            0xEC,                               // 11 in al, dx
            0xA8, 0x01,                         // 12 test al, 1
            0x74, 0xF7,                         // 14 jz loop
            0x66, 0xBA, 0xF8, 0x03,             // 16 mov dx, 0x3f8
            0xEC,                               // 1A in al, dx
            0xEE,                               // 1B out dx, al
            0xEB, 0xEF);                        // 1C jmp loop

    private TestGuests() {
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    /** Writes a protocol-2.15 bzImage whose protected-mode kernel is {@code payload}. */
    static Path kernel(Path dir, String name, byte[] payload) throws IOException {
        byte[] f = dev.vmm.cli.RunCommandTest.bzImage(payload);
        Path p = dir.resolve(name);
        Files.write(p, f);
        return p;
    }
}

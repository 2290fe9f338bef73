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
        int setupSects = 4;
        int pmSize = (payload.length + 15) & ~15;
        byte[] f = new byte[(setupSects + 1) * 512 + pmSize];
        f[0x1F1] = (byte) setupSects;
        put32(f, 0x1F4, pmSize / 16);                 // syssize
        put16(f, 0x1FE, 0xAA55);                      // boot_flag
        f[0x200] = (byte) 0xEB;
        f[0x201] = 0x6A;
        put32(f, 0x202, 0x53726448);                  // "HdrS"
        put16(f, 0x206, 0x020F);                      // protocol 2.15
        f[0x211] = 0x01;                              // LOADED_HIGH
        put32(f, 0x214, 0x100000);                    // code32_start
        put32(f, 0x22C, 0x7FFFFFFF);                  // initrd_addr_max
        put32(f, 0x230, 0x200000);                    // kernel_alignment
        f[0x234] = 1;                                 // relocatable_kernel
        f[0x235] = 21;                                // min_alignment
        put32(f, 0x238, 2047);                        // cmdline_size
        put32(f, 0x258, 0x1000000);                   // pref_address
        put32(f, 0x260, 0x20000);                     // init_size
        System.arraycopy(payload, 0, f, (setupSects + 1) * 512, payload.length);
        Path p = dir.resolve(name);
        Files.write(p, f);
        return p;
    }

    private static void put16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    private static void put32(byte[] b, int o, int v) {
        put16(b, o, v);
        put16(b, o + 2, v >>> 16);
    }
}

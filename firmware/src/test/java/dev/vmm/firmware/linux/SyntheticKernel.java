package dev.vmm.firmware.linux;

/** Builds small bzImages per the boot protocol for tests. */
final class SyntheticKernel {
    static final int SETUP_SECTS = 4;

    /**
     * 32-bit code: writes 'K' and then the NUL-terminated command line found through
     * boot_params.cmd_line_ptr ([ESI + 0x228]) to the debug console (port 0xE9), then writes
     * boot_params.type_of_loader ([ESI + 0x210]) to the debug-exit port 0xF4.
     */
    static final byte[] PAYLOAD = bytes(
            0xB0, 'K',                              // mov al, 'K'
            0xE6, 0xE9,                             // out 0xE9, al
            0x8B, 0x9E, 0x28, 0x02, 0x00, 0x00,     // mov ebx, [esi + 0x228]
            // loop:
            0x8A, 0x03,                             // mov al, [ebx]
            0x84, 0xC0,                             // test al, al
            0x74, 0x05,                             // jz done
            0xE6, 0xE9,                             // out 0xE9, al
            0x43,                                   // inc ebx
            0xEB, 0xF5,                             // jmp loop
            // done:
            0x8A, 0x86, 0x10, 0x02, 0x00, 0x00,     // mov al, [esi + 0x210]
            0xE6, 0xF4,                             // out 0xF4, al
            0xF4);                                  // hlt

    private SyntheticKernel() {
    }

    /** A protocol-2.15 relocatable bzImage with {@link #PAYLOAD} as its protected-mode kernel. */
    static byte[] image() {
        return image(0x020F, 0x01, PAYLOAD);
    }

    static byte[] image(int version, int loadflags, byte[] payload) {
        int pmSize = (payload.length + 15) & ~15;
        byte[] f = new byte[(SETUP_SECTS + 1) * 512 + pmSize];
        f[0x1F1] = SETUP_SECTS;
        put32(f, 0x1F4, pmSize / 16);                 // syssize
        put16(f, 0x1FE, 0xAA55);                      // boot_flag
        f[0x200] = (byte) 0xEB;                       // jmp short past the header
        f[0x201] = 0x6A;                              // header ends at 0x26C (protocol 2.15)
        put32(f, 0x202, 0x53726448);                  // "HdrS"
        put16(f, 0x206, version);
        put16(f, 0x20E, 0x300);                       // kernel_version string at 0x500
        byte[] v = "6.1.0-synthetic (test@vmm)".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(v, 0, f, 0x500, v.length);
        f[0x211] = (byte) loadflags;
        put32(f, 0x214, 0x100000);                    // code32_start
        put32(f, 0x22C, 0x7FFFFFFF);                  // initrd_addr_max
        put32(f, 0x230, 0x200000);                    // kernel_alignment
        f[0x234] = 1;                                 // relocatable_kernel
        f[0x235] = 21;                                // min_alignment
        put16(f, 0x236, 0);                           // xloadflags
        put32(f, 0x238, 2047);                        // cmdline_size
        put32(f, 0x258, 0x1000000);                   // pref_address
        put32(f, 0x260, 0x20000);                     // init_size
        System.arraycopy(payload, 0, f, (SETUP_SECTS + 1) * 512, payload.length);
        return f;
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    static void put32(byte[] b, int o, int v) {
        put16(b, o, v);
        put16(b, o + 2, v >>> 16);
    }
}

package dev.vmm.firmware.bios;

import java.nio.charset.StandardCharsets;

/**
 * A bzImage (boot protocol 2.15) whose real-mode setup code, entered by a boot loader at
 * setup segment + 20h:0000 with DS = the setup segment, writes 'S' and the command line found
 * through cmd_line_ptr to the debug console (port 0xE9), then type_of_loader to the debug-exit port.
 */
final class RealModeProbeKernel {
    static final int SETUP_SECTS = 4;
    /** The setup code at 0x26C, where the jump at 0x200 lands. */
    static final int[] SETUP = {
        0xB0, 'S', 0xE6, 0xE9,                  // mov al,'S'; out 0E9h,al
        0x66, 0xA1, 0x28, 0x02,                 // mov eax,[228h] (cmd_line_ptr)
        0x89, 0xC3, 0x83, 0xE3, 0x0F,           // mov bx,ax; and bx,0Fh
        0x66, 0xC1, 0xE8, 0x04, 0x8E, 0xC0,     // shr eax,4; mov es,ax
        0x26, 0x8A, 0x07,                       // loop: mov al,es:[bx]
        0x84, 0xC0, 0x74, 0x05,                 // test al,al; jz done
        0xE6, 0xE9, 0x43, 0xEB, 0xF4,           // out 0E9h,al; inc bx; jmp loop
        0xA0, 0x10, 0x02,                       // done: mov al,[210h] (type_of_loader)
        0xE6, 0xF4, 0xF4,                       // out 0F4h,al; hlt
    };

    private RealModeProbeKernel() {
    }

    static byte[] image() {
        byte[] f = new byte[(SETUP_SECTS + 1) * 512 + 512];
        f[0x1F1] = SETUP_SECTS;
        put32(f, 0x1F4, 512 / 16);                    // syssize
        put16(f, 0x1FE, 0xAA55);                      // boot_flag
        f[0x200] = (byte) 0xEB;                       // jmp short 0x26C
        f[0x201] = 0x6A;
        put32(f, 0x202, 0x53726448);                  // "HdrS"
        put16(f, 0x206, 0x020F);
        put16(f, 0x20E, 0x300);                       // kernel_version string at 0x500
        byte[] v = "6.1.0-probe (test@vmm)".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(v, 0, f, 0x500, v.length);
        f[0x211] = 0x01;                              // LOADED_HIGH
        put32(f, 0x214, 0x100000);                    // code32_start
        put32(f, 0x22C, 0x7FFFFFFF);                  // initrd_addr_max
        put32(f, 0x230, 0x200000);                    // kernel_alignment
        put32(f, 0x238, 2047);                        // cmdline_size
        put32(f, 0x258, 0x1000000);                   // pref_address
        put32(f, 0x260, 0x20000);                     // init_size
        for (int i = 0; i < SETUP.length; i++) {
            f[0x26C + i] = (byte) SETUP[i];
        }
        f[(SETUP_SECTS + 1) * 512] = (byte) 0xF4;     // the protected-mode kernel: hlt
        return f;
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

package dev.vmm.firmware.multiboot;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds small Multiboot kernels (ELF32 and a.out-kludge) for tests. */
final class MultibootKernels {
    static final int MAGIC = 0x1BADB002;
    /** Bytes before the code in {@link #elf}: ELF header, one program header, the Multiboot header. */
    static final int ELF_CODE_OFFSET = 52 + 32 + 12;
    /** Bytes from the Multiboot header to the code in {@link #aout}. */
    static final int AOUT_HEADER_SIZE = 32;

    /**
     * Position-independent 32-bit code: checks EAX == 0x2BADB002 (else writes 0xEE to the
     * debug-exit port); prints the command line ([EBX + 16]), '|', the first module's string
     * ([[EBX + 24] + 8]), '|' and the module's first 4 bytes to the debug console (port 0xE9)
     * through a CALLed subroutine (so it needs the stack), then writes mods_count ([EBX + 20]) to
     * the debug-exit port 0xF4.
     */
    static final byte[] CODE = code();

    private MultibootKernels() {
    }

    private static byte[] code() {
        Asm a = new Asm();
        a.b(0x3D, 0x02, 0xB0, 0xAD, 0x2B);  // cmp eax, 0x2BADB002
        a.b(0x75).rel8("fail");             // jne fail
        a.b(0x8B, 0x73, 0x10);              // mov esi, [ebx + 16]
        a.b(0xE8).rel32("print");           // call print
        a.b(0xB0, '|', 0xE6, 0xE9);         // mov al, '|'; out 0xE9, al
        a.b(0x8B, 0x7B, 0x18);              // mov edi, [ebx + 24]
        a.b(0x8B, 0x77, 0x08);              // mov esi, [edi + 8]
        a.b(0xE8).rel32("print");           // call print
        a.b(0xB0, '|', 0xE6, 0xE9);         // mov al, '|'; out 0xE9, al
        a.b(0x8B, 0x37);                    // mov esi, [edi]
        a.b(0xB9, 4, 0, 0, 0);              // mov ecx, 4
        a.label("bytes");
        a.b(0x8A, 0x06);                    // mov al, [esi]
        a.b(0xE6, 0xE9);                    // out 0xE9, al
        a.b(0x46);                          // inc esi
        a.b(0xE2).rel8("bytes");            // loop bytes
        a.b(0x8A, 0x43, 0x14);              // mov al, [ebx + 20]
        a.b(0xE6, 0xF4, 0xF4);              // out 0xF4, al; hlt
        a.label("fail");
        a.b(0xB0, 0xEE, 0xE6, 0xF4, 0xF4);  // mov al, 0xEE; out 0xF4, al; hlt
        a.label("print");
        a.b(0x8A, 0x06);                    // mov al, [esi]
        a.b(0x84, 0xC0);                    // test al, al
        a.b(0x74).rel8("done");             // jz done
        a.b(0xE6, 0xE9);                    // out 0xE9, al
        a.b(0x46);                          // inc esi
        a.b(0xEB).rel8("print");            // jmp print
        a.label("done");
        a.b(0xC3);                          // ret
        return a.build();
    }

    /**
     * An ELF32 x86 executable: one PT_LOAD segment covering the whole file at {@code vaddr} /
     * physical {@code paddr} with {@code bss} bytes of BSS, the Multiboot header (no address
     * fields) after the program header, {@link #CODE} after that as the entry point.
     */
    static byte[] elf(int flags, long paddr, long vaddr, int bss) {
        byte[] f = new byte[ELF_CODE_OFFSET + CODE.length];
        f[0] = 0x7F;
        f[1] = 'E';
        f[2] = 'L';
        f[3] = 'F';
        f[4] = 1;                               // ELFCLASS32
        f[5] = 1;                               // ELFDATA2LSB
        f[6] = 1;                               // EV_CURRENT
        put16(f, 16, 2);                        // ET_EXEC
        put16(f, 18, 3);                        // EM_386
        put32(f, 20, 1);                        // e_version
        put32(f, 24, (int) (vaddr + ELF_CODE_OFFSET)); // e_entry
        put32(f, 28, 52);                       // e_phoff
        put16(f, 40, 52);                       // e_ehsize
        put16(f, 42, 32);                       // e_phentsize
        put16(f, 44, 1);                        // e_phnum
        put16(f, 46, 40);                       // e_shentsize
        put32(f, 52, 1);                        // p_type PT_LOAD
        put32(f, 56, 0);                        // p_offset
        put32(f, 60, (int) vaddr);
        put32(f, 64, (int) paddr);
        put32(f, 68, f.length);                 // p_filesz
        put32(f, 72, f.length + bss);           // p_memsz
        put32(f, 76, 7);                        // p_flags RWX
        put32(f, 80, 0x1000);                   // p_align
        header(f, 84, flags);
        System.arraycopy(CODE, 0, f, ELF_CODE_OFFSET, CODE.length);
        return f;
    }

    /**
     * A flat binary with {@code prefix} bytes of 0xCC, then a Multiboot header with the a.out
     * kludge loading the whole file at {@code load} with {@code bss} bytes of BSS, then
     * {@link #CODE} as the entry point.
     */
    static byte[] aout(int flags, long load, int prefix, int bss) {
        byte[] f = new byte[prefix + AOUT_HEADER_SIZE + CODE.length];
        for (int i = 0; i < prefix; i++) {
            f[i] = (byte) 0xCC;
        }
        header(f, prefix, flags | 0x10000);
        put32(f, prefix + 12, (int) (load + prefix));           // header_addr
        put32(f, prefix + 16, (int) load);                      // load_addr
        put32(f, prefix + 20, (int) (load + f.length));         // load_end_addr
        put32(f, prefix + 24, (int) (load + f.length + bss));   // bss_end_addr
        put32(f, prefix + 28, (int) (load + prefix + AOUT_HEADER_SIZE)); // entry_addr
        System.arraycopy(CODE, 0, f, prefix + AOUT_HEADER_SIZE, CODE.length);
        return f;
    }

    static void header(byte[] f, int o, int flags) {
        put32(f, o, MAGIC);
        put32(f, o + 4, flags);
        put32(f, o + 8, -(MAGIC + flags));
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    static void put32(byte[] b, int o, int v) {
        put16(b, o, v);
        put16(b, o + 2, v >>> 16);
    }

    /** Just enough of an assembler: bytes, labels, rel8/rel32 references resolved at the end. */
    private static final class Asm {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Map<String, Integer> labels = new HashMap<>();
        private final List<Object[]> fixups = new ArrayList<>();

        Asm b(int... v) {
            for (int x : v) {
                out.write(x);
            }
            return this;
        }

        void label(String name) {
            labels.put(name, out.size());
        }

        void rel8(String name) {
            fixups.add(new Object[] {out.size(), 1, name});
            out.write(0);
        }

        void rel32(String name) {
            fixups.add(new Object[] {out.size(), 4, name});
            b(0, 0, 0, 0);
        }

        byte[] build() {
            byte[] code = out.toByteArray();
            for (Object[] f : fixups) {
                int at = (Integer) f[0];
                int size = (Integer) f[1];
                int rel = labels.get((String) f[2]) - (at + size);
                if (size == 1) {
                    if (rel < -128 || rel > 127) {
                        throw new IllegalStateException("rel8 out of range: " + f[2]);
                    }
                    code[at] = (byte) rel;
                } else {
                    put32(code, at, rel);
                }
            }
            return code;
        }
    }
}

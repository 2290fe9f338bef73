package dev.vmm.firmware.bios;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A tiny 16-bit "assembler" for hand-written boot sectors: raw bytes plus label fixups. */
final class Asm16 {
    private enum Kind { REL8, REL16, ABS16 }

    private record Fixup(int at, String label, Kind kind) {
    }

    private final int org;
    private final byte[] buf = new byte[512];
    private final Map<String, Integer> labels = new HashMap<>();
    private final List<Fixup> fixups = new ArrayList<>();
    private int pos;

    Asm16(int org) {
        this.org = org;
    }

    Asm16 b(int... bytes) {
        for (int x : bytes) {
            buf[pos++] = (byte) x;
        }
        return this;
    }

    Asm16 label(String name) {
        labels.put(name, pos);
        return this;
    }

    /** A short conditional or unconditional jump: {@code opcode rel8}. */
    Asm16 j8(int opcode, String label) {
        b(opcode);
        fixups.add(new Fixup(pos, label, Kind.REL8));
        return b(0);
    }

    Asm16 call(String label) {
        b(0xE8);
        fixups.add(new Fixup(pos, label, Kind.REL16));
        return b(0, 0);
    }

    /** The absolute address of {@code label} as a 16-bit immediate. */
    Asm16 abs16(String label) {
        fixups.add(new Fixup(pos, label, Kind.ABS16));
        return b(0, 0);
    }

    Asm16 asciz(String s) {
        for (byte x : s.getBytes(StandardCharsets.US_ASCII)) {
            b(x);
        }
        return b(0);
    }

    /** The 512-byte sector, with the 55AA signature unless {@code signed} is false. */
    byte[] sector(boolean signed) {
        for (Fixup f : fixups) {
            Integer target = labels.get(f.label());
            if (target == null) {
                throw new IllegalStateException("undefined label " + f.label());
            }
            switch (f.kind()) {
                case REL8 -> {
                    int rel = target - (f.at() + 1);
                    if (rel < -128 || rel > 127) {
                        throw new IllegalStateException("jump out of range: " + f.label());
                    }
                    buf[f.at()] = (byte) rel;
                }
                case REL16 -> {
                    int rel = target - (f.at() + 2);
                    buf[f.at()] = (byte) rel;
                    buf[f.at() + 1] = (byte) (rel >> 8);
                }
                case ABS16 -> {
                    int a = org + target;
                    buf[f.at()] = (byte) a;
                    buf[f.at() + 1] = (byte) (a >> 8);
                }
            }
        }
        if (pos > 510) {
            throw new IllegalStateException("boot sector too long");
        }
        byte[] out = buf.clone();
        if (signed) {
            out[510] = 0x55;
            out[511] = (byte) 0xAA;
        }
        return out;
    }
}

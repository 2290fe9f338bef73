package dev.vmm.cli.monitor;

import dev.vmm.core.cpu.Cpu;
import java.util.Locale;

/**
 * Addresses as the monitor reads them: sums and differences of numbers ({@code 0x7c00}, {@code 512})
 * and registers ({@code $eax}, {@code $esp}, {@code $eip}; {@code $pc} is the linear address
 * CS.base + EIP, {@code $sp} is SS.base + ESP; {@code $cs}.. the selectors, {@code $cr0}..
 * {@code $cr4}), e.g. {@code $esi+0x10}.
 */
final class Expressions {
    private Expressions() {
    }

    /** Evaluates {@code text} (no spaces) against {@code cpu}'s registers; 32-bit result. */
    static long evaluate(String text, Cpu cpu) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        long sum = 0;
        int i = 0;
        int sign = 1;
        if (text.charAt(0) == '-' || text.charAt(0) == '+') {
            sign = text.charAt(0) == '-' ? -1 : 1;
            i = 1;
        }
        while (true) {
            int j = i;
            while (j < text.length() && text.charAt(j) != '+' && text.charAt(j) != '-') {
                j++;
            }
            sum += sign * term(text.substring(i, j), cpu);
            if (j == text.length()) {
                return sum & 0xFFFF_FFFFL;
            }
            sign = text.charAt(j) == '-' ? -1 : 1;
            i = j + 1;
        }
    }

    private static long term(String t, Cpu cpu) {
        if (t.isEmpty()) {
            throw new IllegalArgumentException("missing number in the address");
        }
        if (t.charAt(0) == '$') {
            return register(t.substring(1).toLowerCase(Locale.ROOT), cpu);
        }
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseLong(t.substring(2), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + t + "' is not a number (write hex as 0x7c00) or a $register");
        }
    }

    private static long register(String name, Cpu cpu) {
        String[] gprs = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        for (int n = 0; n < gprs.length; n++) {
            if (name.equals(gprs[n])) {
                return cpu.r[n] & 0xFFFF_FFFFL;
            }
        }
        String[] segs = {"es", "cs", "ss", "ds", "fs", "gs"};
        for (int n = 0; n < segs.length; n++) {
            if (name.equals(segs[n])) {
                return cpu.seg[n].selector;
            }
        }
        return switch (name) {
            case "eip", "ip" -> cpu.rip;
            case "pc" -> cpu.seg[Cpu.CS].base + cpu.rip;
            case "sp" -> cpu.seg[Cpu.SS].base + (cpu.r[Cpu.ESP] & (cpu.seg[Cpu.SS].big() ? 0xFFFF_FFFFL : 0xFFFF));
            case "cr0" -> cpu.cr0;
            case "cr2" -> cpu.cr2;
            case "cr3" -> cpu.cr3;
            case "cr4" -> cpu.cr4;
            default -> throw new IllegalArgumentException("no register $" + name);
        };
    }
}

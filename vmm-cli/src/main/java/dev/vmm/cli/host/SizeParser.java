package dev.vmm.cli.host;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes on the command line: {@code 256M}, {@code 8G}, {@code 65536K}; a bare number is MiB, as in QEMU. */
final class SizeParser {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,9})([KMGT]?)(I?B)?");

    private SizeParser() {
    }

    /** Parses {@code text} for {@code option}; IllegalArgumentException names the problem. */
    static long parse(String text, String option) {
        Matcher m = SIZE.matcher(text.strip().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(option + ": '" + text + "' is not a size such as 256M or 8G");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "K" -> n << 10;
            case "G" -> n << 30;
            case "T" -> n << 40;
            default -> n << 20;
        };
    }
}

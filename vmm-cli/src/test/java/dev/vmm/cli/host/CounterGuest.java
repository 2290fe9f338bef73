package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.formats.DiskImages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The counting guest (host/counter-guest.s, a boot sector): 100 times a second it checks that disk
 * sector 1 holds the count it last wrote there (else it prints 'X'), adds 1, writes the count there
 * and prints it on COM1, one number a line. Its output is 1, 2, 3, ... as long as its RAM and its
 * disk stay together: a VM that resumes goes on counting; one that boots afresh over a disk it
 * wrote starts with "X1".
 */
public final class CounterGuest {
    private CounterGuest() {
    }

    /** A 32 KiB raw disk image whose boot sector is the guest; sector 1 holds 0. */
    public static Path disk(Path file) throws IOException {
        byte[] guest;
        try (InputStream in = CounterGuest.class.getResourceAsStream("/host/counter-guest.bin")) {
            guest = in.readAllBytes();
        }
        byte[] img = new byte[64 * 512];
        System.arraycopy(guest, 0, img, 0, guest.length);
        img[510] = 0x55;
        img[511] = (byte) 0xAA;
        for (int i = 1024; i < img.length; i++) {
            img[i] = (byte) ('a' + i / 512 % 26);
        }
        Files.write(file, img);
        return file;
    }

    /** The count the guest last wrote to the disk {@code image} (any format, read through its chain). */
    public static int countOnDisk(Path image) throws IOException {
        try (BlockDevice d = DiskImages.openReadOnly(image)) {
            ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
            d.read(512, b);
            return b.getShort(0) & 0xFFFF;
        }
    }

    /** The guest's output in a console's text: up to the host's "[vmm: ...]" line. */
    public static String output(String console) {
        int end = console.indexOf("\r\n[vmm: ");
        return end < 0 ? console : console.substring(0, end);
    }

    /**
     * Asserts that {@code text} counts from {@code first}: "first\nfirst+1\n..." (its last line may be
     * partial) with no 'X'; returns the last complete number.
     */
    public static int assertCounts(String text, int first) {
        assertFalse(text.contains("X"), "the guest found its disk changed under it: " + text);
        String[] lines = text.split("\n", -1);
        int n = first;
        for (int i = 0; i < lines.length - 1; i++) {
            assertEquals(Integer.toString(n), lines[i], "line " + (i + 1) + " of the count: " + text);
            n++;
        }
        String last = lines[lines.length - 1];
        assertTrue(Integer.toString(n).startsWith(last), "partial last line '" + last + "' of " + text);
        return n - 1;
    }

    /** The last complete number of a count. */
    public static int last(String text) {
        String t = text.substring(0, text.lastIndexOf('\n'));
        return Integer.parseInt(t.substring(t.lastIndexOf('\n') + 1));
    }
}

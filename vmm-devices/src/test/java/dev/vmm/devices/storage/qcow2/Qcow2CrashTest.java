package dev.vmm.devices.storage.qcow2;

import static dev.vmm.devices.storage.qcow2.Qcow2ImageTest.readAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.QemuTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A crash after each step of {@link Qcow2Image#flush()} (the file dropped without another
 * write) leaves an image that qemu-img check finds free of errors (leaks allowed), holding either
 * the state of the previous flush (crash after steps A and B) or the new one (after C and D).
 */
class Qcow2CrashTest {
    @TempDir
    Path dir;

    @BeforeEach
    void needsQemu() {
        QemuTools.assumeInstalled();
    }

    private static final class Crash extends IOException {
        private static final long serialVersionUID = 1L;

        Crash(char step) {
            super("simulated crash after step " + step);
        }
    }

    /** qemu-img check: no errors; returns the number of leaked clusters it reports. */
    private static int checkNoErrors(Path img) throws IOException {
        QemuTools.Result r = QemuTools.exec(List.of("qemu-img", "check", img.toString()));
        assertFalse(r.output().contains("ERROR"), r.output());
        assertTrue(r.exit() == 0 || r.exit() == 3, "exit " + r.exit() + ":\n" + r.output());
        var m = java.util.regex.Pattern.compile("(\\d+) leaked clusters").matcher(r.output());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static byte[] contents(Path p) throws IOException {
        try (Qcow2Image img = Qcow2Image.open(p, false)) {
            return readAll(img);
        }
    }

    /** 512-byte clusters: the crashed flush places new refcount blocks and moves the table. */
    @ParameterizedTest
    @ValueSource(chars = {'A', 'B', 'C', 'D'})
    void crashDuringAGrowingFlush(char step) throws IOException {
        int size = 16 << 20;
        Path f = dir.resolve("g.qcow2");
        Qcow2Image.create(f, size, Qcow2Image.CreateOptions.defaults().withClusterBits(9));
        byte[] before = new byte[size];
        Arrays.fill(before, 0, 1 << 20, (byte) 0x42);
        byte[] after = before.clone();
        for (int i = 4 << 20; i < (14 << 20); i++) {
            after[i] = (byte) (i * 7 + (i >>> 12));
        }
        Qcow2Image img = Qcow2Image.open(f, true);
        img.write(0, Arrays.copyOf(before, 1 << 20));
        img.flush();
        long tableBefore = img.header().refcountTableOffset();
        img.write(4 << 20, Arrays.copyOfRange(after, 4 << 20, 14 << 20));
        img.flushHook(s -> {
            if (s == step) {
                throw new Crash(s);
            }
        });
        Crash c = assertThrows(Crash.class, img::flush);
        assertTrue(c.getMessage().endsWith(String.valueOf(step)));
        img.abandon();

        int leaked = checkNoErrors(f);
        byte[] now = contents(f);
        if (step == 'A' || step == 'B') {
            assertArrayEquals(before, now);
            assertTrue(leaked > 0 || step == 'A', "step B leaves the new blocks leaked");
        } else {
            assertArrayEquals(after, now);
            // after C only the old refcount table is still counted; after D nothing leaks
            assertEquals(step == 'C' ? 1 : 0, leaked);
        }
        try (Qcow2Image again = Qcow2Image.open(f, false)) {
            assertEquals(step == 'A', again.header().refcountTableOffset() == tableBefore);
        }
        // the survivor is writable and stays consistent
        try (Qcow2Image w = Qcow2Image.open(f, true)) {
            w.write(size - 512, new byte[] {1, 2, 3});
        }
        checkNoErrors(f);
    }

    /** Rewritten compressed clusters: their release is the last step. */
    @ParameterizedTest
    @ValueSource(chars = {'A', 'C', 'D'})
    void crashWhileReleasingCompressedClusters(char step) throws IOException {
        byte[] data = Qcow2InteropTest.pattern();
        Path src = dir.resolve("src.raw");
        Files.write(src, data);
        Path f = dir.resolve("c.qcow2");
        QemuTools.run("qemu-img", "convert", "-O", "qcow2", "-c", "-o", "cluster_size=4096",
                src.toString(), f.toString());
        byte[] after = data.clone();
        Arrays.fill(after, 2 << 20, (2 << 20) + 100_000, (byte) 0x66);
        Qcow2Image img = Qcow2Image.open(f, true);
        img.write(2 << 20, Arrays.copyOfRange(after, 2 << 20, (2 << 20) + 100_000));
        img.flushHook(s -> {
            if (s == step) {
                throw new Crash(s);
            }
        });
        assertThrows(Crash.class, img::flush);
        img.abandon();
        int leaked = checkNoErrors(f);
        assertArrayEquals(step == 'A' ? data : after, contents(f));
        if (step == 'C') {
            assertTrue(leaked > 0, "compressed clusters not yet released show as leaks");
        }
        if (step == 'D') {
            assertEquals(0, leaked);
        }
    }
}

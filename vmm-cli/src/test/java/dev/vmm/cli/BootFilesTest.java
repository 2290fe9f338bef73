package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host's VMs that boot the same kernel and initrd share one copy of each, read once. */
class BootFilesTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void theSameUnchangedFileIsReadOnceAndSharedAChangedOneIsReadAgain() throws Exception {
        Path p = write("initrd", new byte[] {1, 2, 3});
        BootFiles files = BootFiles.shared();
        byte[] a = files.load(p, "--initrd", "bytes", byte[].class, f -> f);
        byte[] b = files.load(p, "--initrd", "bytes", byte[].class, f -> f);
        assertSame(a, b);
        assertEquals(1, files.reads());
        String s = files.load(p, "--initrd", "string", String.class, f -> "len " + f.length);  // another parser
        assertEquals("len 3", s);
        assertEquals(2, files.reads());

        Files.write(p, new byte[] {4, 5, 6, 7});                 // rewritten: size and time change
        byte[] c = files.load(p, "--initrd", "bytes", byte[].class, f -> f);
        assertEquals(4, c.length);
        assertEquals(3, files.reads());
        Files.write(p, new byte[] {9, 9, 9, 9});                 // same size, another modification time
        Files.setLastModifiedTime(p, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        byte[] d = files.load(p, "--initrd", "bytes", byte[].class, f -> f);
        assertEquals(9, d[0]);
        assertEquals(4, files.reads());
        assertTrue(a[0] == 1 && c[0] == 4, "what a VM holds is never changed");
        Reference.reachabilityFence(b);
    }

    @Test
    void withoutACacheEveryLoadReads() throws Exception {
        Path p = write("initrd", new byte[] {1, 2, 3});
        BootFiles files = BootFiles.none();
        byte[] a = files.load(p, "--initrd", "bytes", byte[].class, f -> f);
        byte[] b = files.load(p, "--initrd", "bytes", byte[].class, f -> f);
        assertNotSame(a, b);
        assertEquals(2, files.reads());
    }

    @Test
    void aMissingFileIsTheSameOneLineErrorAsWithoutTheCache() {
        Path p = dir.resolve("nothing");
        var e = assertThrows(RunCommand.BadInput.class,
                () -> BootFiles.shared().load(p, "--initrd", "bytes", byte[].class, f -> f));
        assertEquals("--initrd " + p + ": no such file", e.getMessage());
        var d = assertThrows(RunCommand.BadInput.class,
                () -> BootFiles.shared().load(dir, "--kernel", "kernel", Object.class, f -> f));
        assertEquals("--kernel " + dir + ": not a regular file", d.getMessage());
    }

    @Test
    void twoBootsOfOneKernelAndInitrdReadEachFileOnce() throws Exception {
        Path k = write("bzImage", RunCommandTest.bzImage(new byte[] {(byte) 0xFA, (byte) 0xF4}));
        Path i = write("initrd.img", new byte[4096]);
        BootFiles files = BootFiles.shared();
        BootSetup first = BootSetup.kernel(64 << 20, k, i.toString(), "console=ttyS0", files);
        BootSetup second = BootSetup.kernel(64 << 20, k, i.toString(), "quiet", files);
        assertEquals(2, files.reads(), "the kernel and the initrd, once each");
        Reference.reachabilityFence(first);      // shared while a VM holds them
        Reference.reachabilityFence(second);
        BootFiles none = BootFiles.none();
        BootSetup.kernel(64 << 20, k, i.toString(), "console=ttyS0", none);
        BootSetup.kernel(64 << 20, k, i.toString(), "console=ttyS0", none);
        assertEquals(4, none.reads());
    }
}

package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vmm.images.GuestImages;
import picocli.CommandLine;

/**
 * {@code vmm images} and {@code vmm run} without a boot option, on a cache of fake images (no network): the default
 * guest's "kernel" is a tiny bzImage that prints its command line on the debug console.
 */
class ImagesCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private String saved;

    @BeforeEach
    void useTempCache() {
        saved = System.getProperty("vmm.images.dir");
        System.setProperty("vmm.images.dir", dir.resolve("cache").toString());
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty("vmm.images.dir");
        } else {
            System.setProperty("vmm.images.dir", saved);
        }
    }

    private int vmm(String... args) {
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    /** A fake, intact tiny-i386 as the recipe would leave it: files and a manifest with their SHA256. */
    private void fakeTiny(byte[] kernel) throws IOException {
        Path d = dir.resolve("cache/tiny-i386");
        Files.createDirectories(d);
        Files.write(d.resolve("vmlinuz"), kernel);
        Files.write(d.resolve("initrd.img"), new byte[4096]);
        StringBuilder m = new StringBuilder("format=1\nname=tiny-i386\nrecipe.sha256=" + GuestImages.scriptSha256()
                + "\nbuilt=2026-01-02T03:04:05Z\nkernel.version=6.1.0-99-686\nboot.kernel=vmlinuz\n"
                + "boot.initrd=initrd.img\nboot.append=console=ttyS0\n");
        for (String f : List.of("vmlinuz", "initrd.img")) {
            m.append("output.").append(f).append(".sha256=").append(GuestImages.sha256(d.resolve(f))).append('\n')
                    .append("output.").append(f).append(".size=").append(Files.size(d.resolve(f))).append('\n');
        }
        Files.writeString(d.resolve("manifest"), m);
    }

    @Test
    void listShowsEveryImageWithItsStatus() throws IOException {
        fakeTiny(RunCommandTest.bzImage(RunCommandTest.CMDLINE_PAYLOAD));
        assertEquals(0, vmm("images", "list"), err::toString);
        List<String> lines = out.toString().lines().toList();
        assertEquals(3, lines.size(), out::toString);
        assertTrue(lines.get(0).matches("NAME +STATUS +SIZE +KERNEL +BUILT +PATH"), lines.get(0));
        assertTrue(lines.get(1).matches("tiny-i386 +ok +6\\.\\d KiB +6\\.1\\.0-99-686 +2026-01-02T03:04:05Z +"
                + java.util.regex.Pattern.quote(dir.resolve("cache/tiny-i386").toString())), lines.get(1));
        assertTrue(lines.get(2).matches("disk-i386 +not built +- +- +- +.*"), lines.get(2));

        Files.write(dir.resolve("cache/tiny-i386/initrd.img"), new byte[1]);
        out.getBuffer().setLength(0);
        assertEquals(0, vmm("images", "list"));
        assertTrue(out.toString().lines().toList().get(1).matches("tiny-i386 +damaged +.*"), out::toString);
    }

    @Test
    void buildSkipsUpToDateImagesAndRefusesUnknownOnes() throws IOException {
        fakeTiny(new byte[] {1, 2, 3});
        assertEquals(0, vmm("images", "build", "tiny-i386"), err::toString);
        assertEquals("tiny-i386: up to date in " + dir.resolve("cache/tiny-i386") + "\n", out.toString());

        assertEquals(2, vmm("images", "build", "win95"));
        assertEquals("vmm images build: unknown image 'win95': the images are tiny-i386, disk-i386\n",
                err.toString());
    }

    @Test
    void runWithoutABootOptionBootsTheDefaultGuest() throws IOException {
        fakeTiny(RunCommandTest.bzImage(RunCommandTest.CMDLINE_PAYLOAD));
        Path con = dir.resolve("con.txt");
        int code = vmm("run", "--serial", "none", "--debugcon", con.toString(), "--debug-exit", "--deterministic");
        assertEquals((7 << 1) | 1, code, err::toString);
        assertEquals("Kconsole=ttyS0", Files.readString(con, StandardCharsets.US_ASCII),
                "the manifest's kernel and command line");

        code = vmm("run", "--append", "console=ttyS0 quiet", "--serial", "none", "--debugcon", con.toString(),
                "--debug-exit", "--deterministic");
        assertEquals((7 << 1) | 1, code, err::toString);
        assertEquals("Kconsole=ttyS0 quiet", Files.readString(con, StandardCharsets.US_ASCII), "--append wins");
        assertEquals("", err.toString());
    }

    @Test
    void sizesAreHumanReadable() {
        assertEquals("0.5 KiB", ImagesCommand.size(512));
        assertEquals("64.0 MiB", ImagesCommand.size(64L << 20));
    }
}

package dev.vmm.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache rules, in Java and in the recipe script, on fake images (no network). */
class GuestImagesTest {

    @TempDir
    Path dir;

    /** A fake, intact image: its files and a manifest naming their SHA256 and the shipped script. */
    static ImageManifest fakeImage(Path cache, String name, Map<String, byte[]> files, String... extra)
            throws IOException {
        Path d = cache.resolve(name);
        Files.createDirectories(d);
        StringBuilder m = new StringBuilder("format=1\nname=" + name + "\nrecipe.sha256=" + GuestImages.scriptSha256()
                + "\nbuilt=2026-01-02T03:04:05Z\nkernel.version=6.1.0-99-686\nkernel.package.version=6.1.999-1\n");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(d.resolve(f.getKey()), f.getValue());
            m.append("output.").append(f.getKey()).append(".sha256=").append(GuestImages.sha256(d.resolve(f.getKey())))
                    .append('\n').append("output.").append(f.getKey()).append(".size=").append(f.getValue().length)
                    .append('\n');
        }
        for (String e : extra) {
            m.append(e).append('\n');
        }
        Files.writeString(d.resolve(ImageManifest.FILE), m);
        return ImageManifest.read(d).orElseThrow();
    }

    static Map<String, byte[]> tinyFiles() {
        return Map.of("vmlinuz", "kernel".getBytes(StandardCharsets.US_ASCII),
                "initrd.img", "initrd".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void defaultDirFollowsTheEnvironment() {
        assertEquals(Path.of("/home/u/.cache/vmm/images"), GuestImages.defaultDir(Map.of(), "/home/u"));
        assertEquals(Path.of("/x/vmm/images"), GuestImages.defaultDir(Map.of("XDG_CACHE_HOME", "/x"), "/home/u"));
        assertEquals(Path.of("/y"), GuestImages.defaultDir(Map.of("XDG_CACHE_HOME", "/x", "VMM_IMAGES_DIR", "/y"),
                "/home/u"));
    }

    @Test
    void statusFollowsTheManifestAndTheOutputs() throws IOException {
        GuestImages images = new GuestImages(dir);
        assertEquals(GuestImages.Status.NOT_BUILT, images.status("tiny-i386"));

        ImageManifest tiny = fakeImage(dir, "tiny-i386", tinyFiles(), "boot.kernel=vmlinuz", "boot.initrd=initrd.img");
        assertEquals(GuestImages.Status.OK, images.status("tiny-i386"));
        assertEquals("6.1.0-99-686", tiny.kernelVersion().orElseThrow());
        assertEquals(12, tiny.size());
        assertEquals(dir.resolve("tiny-i386/vmlinuz"), tiny.file("boot.kernel").orElseThrow());

        String initrdSha = tiny.outputs().get("initrd.img");
        fakeImage(dir, "disk-i386", Map.of("disk.img", new byte[1024]),
                "input.tiny-i386.initrd.img.sha256=" + initrdSha);
        assertEquals(GuestImages.Status.OK, images.status("disk-i386"));

        Files.writeString(dir.resolve("tiny-i386/initrd.img"), "changed");
        assertEquals(GuestImages.Status.DAMAGED, images.status("tiny-i386"));
        Files.delete(dir.resolve("tiny-i386/initrd.img"));
        assertEquals(GuestImages.Status.DAMAGED, images.status("tiny-i386"));

        // tiny-i386 rebuilt with another initrd: the disk that holds the old one is stale.
        fakeImage(dir, "tiny-i386", Map.of("vmlinuz", "kernel".getBytes(StandardCharsets.US_ASCII),
                "initrd.img", "initrd 2".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(GuestImages.Status.OK, images.status("tiny-i386"));
        assertEquals(GuestImages.Status.STALE, images.status("disk-i386"));

        // Built by another version of the recipes.
        Path m = dir.resolve("tiny-i386/manifest");
        Files.writeString(m, Files.readString(m).replace(GuestImages.scriptSha256(), "0".repeat(64)));
        assertEquals(GuestImages.Status.STALE, images.status("tiny-i386"));
        assertTrue(images.ready("tiny-i386").isEmpty());
    }

    @Test
    void unknownNamesAreRefused() {
        GuestImages images = new GuestImages(dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> images.status("win95"));
        assertEquals("unknown image 'win95': the images are tiny-i386, disk-i386", e.getMessage());
    }

    // ---- the script agrees -------------------------------------------------------------------------

    private record Result(int code, String out) {
    }

    private Result script(Map<String, String> env, String... args) throws Exception {
        Path s = dir.resolve("vmm-images.sh");
        Files.write(s, GuestImages.script());
        List<String> cmd = new ArrayList<>(List.of("bash", s.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("VMM_IMAGES_DIR");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out);
    }

    @Test
    void scriptKnowsTheSameRecipesAndCache() throws Exception {
        assertEquals(String.join("\n", GuestImages.RECIPES) + "\n", script(Map.of(), "names").out());
        assertEquals(dir.resolve("c") + "\n", script(Map.of("VMM_IMAGES_DIR", dir.resolve("c").toString()), "dir")
                .out());
        assertEquals(GuestImages.defaultDir(Map.of("XDG_CACHE_HOME", "/x"), "/h") + "\n",
                script(Map.of("XDG_CACHE_HOME", "/x", "HOME", "/h"), "dir").out());
    }

    @Test
    void scriptSkipsUpToDateImagesAndRefusesUnknownOnes() throws Exception {
        Path cache = dir.resolve("cache");
        fakeImage(cache, "tiny-i386", tinyFiles());
        Result r = script(Map.of("VMM_IMAGES_DIR", cache.toString()), "build", "tiny-i386");
        assertEquals(0, r.code(), r.out());
        assertEquals("tiny-i386: up to date in " + cache.resolve("tiny-i386") + "\n", r.out());

        Result bad = script(Map.of("VMM_IMAGES_DIR", cache.toString()), "build", "win95");
        assertEquals(1, bad.code());
        assertEquals("images: unknown image 'win95': the recipes are tiny-i386 disk-i386\n", bad.out());
    }

    @Test
    void buildRunsTheScriptAndReportsItsLines() throws Exception {
        fakeImage(dir, "tiny-i386", tinyFiles());
        List<String> out = new ArrayList<>();
        List<String> err = new ArrayList<>();
        int code = new GuestImages(dir).build(List.of("tiny-i386"), false, out::add, err::add);
        assertEquals(0, code, err::toString);
        assertEquals(List.of("tiny-i386: up to date in " + dir.resolve("tiny-i386")), out);
        assertEquals(List.of(), err);
        try (var s = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("tiny-i386")), s.filter(p -> !p.getFileName().toString().equals(".lock"))
                    .toList(), "the script's temporary copy is gone");
        }
    }
}

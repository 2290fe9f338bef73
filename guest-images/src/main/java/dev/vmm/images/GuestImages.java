package dev.vmm.images;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The guest image cache: where the images live, what state each is in, and the recipe script that builds them.
 *
 * <p>The recipes are one bash script, {@code dev/vmm/images/vmm-images.sh}, shipped as a resource: it downloads
 * Debian bookworm i386 packages, checks them against the signed archive index and builds the images without root.
 * {@link #build} runs it; it skips images that are up to date itself. An image is up to date ({@link Status#OK})
 * when its manifest names the SHA256 of the script that is shipped now and every output still has its recorded
 * SHA256; the same rule is in the script.
 *
 * <p>The cache directory is {@code $VMM_IMAGES_DIR}, else {@code $XDG_CACHE_HOME/vmm/images}, else
 * {@code ~/.cache/vmm/images}; the system property {@code vmm.images.dir} overrides all of them.
 */
public final class GuestImages {

    /** The image {@code vmm run} boots without arguments. */
    public static final String DEFAULT_IMAGE = "tiny-i386";
    /** The recipes, in build order. */
    public static final List<String> RECIPES = List.of("tiny-i386", "disk-i386");
    /** The recipe script's resource name. */
    public static final String SCRIPT_RESOURCE = "vmm-images.sh";

    private static final byte[] SCRIPT = loadScript();
    private static final String SCRIPT_SHA256 = sha256(SCRIPT);

    /** What {@link #status} finds. */
    public enum Status {
        /** No manifest. */
        NOT_BUILT("not built"),
        /** Built by this version of the recipes and intact. */
        OK("ok"),
        /** Built by another version of the recipes, or from inputs that changed since. */
        STALE("stale"),
        /** An output is missing or does not match its SHA256. */
        DAMAGED("damaged");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Path dir;

    public GuestImages(Path dir) {
        this.dir = dir;
    }

    /** The cache at the default place for this process (see the class comment). */
    public static GuestImages fromEnvironment() {
        String prop = System.getProperty("vmm.images.dir");
        if (prop != null && !prop.isBlank()) {
            return new GuestImages(Path.of(prop));
        }
        return new GuestImages(defaultDir(System.getenv(), System.getProperty("user.home")));
    }

    /** The cache directory for an environment and home directory. */
    public static Path defaultDir(Map<String, String> env, String home) {
        String d = env.get("VMM_IMAGES_DIR");
        if (d != null && !d.isBlank()) {
            return Path.of(d);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(home, ".cache");
        return cache.resolve("vmm").resolve("images");
    }

    public Path dir() {
        return dir;
    }

    /** The directory of one image. */
    public Path imageDir(String name) {
        return dir.resolve(requireKnown(name));
    }

    /** The image's manifest, or empty when it was never built. */
    public Optional<ImageManifest> manifest(String name) {
        try {
            return ImageManifest.read(imageDir(name));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the manifest of " + name + ": " + e.getMessage(), e);
        }
    }

    /** The image's manifest if the image is {@link Status#OK}. */
    public Optional<ImageManifest> ready(String name) {
        return status(name) == Status.OK ? manifest(name) : Optional.empty();
    }

    /** Checks the manifest against the shipped recipes and every output against its SHA256. */
    public Status status(String name) {
        Optional<ImageManifest> m = manifest(name);
        if (m.isEmpty()) {
            return Status.NOT_BUILT;
        }
        ImageManifest man = m.get();
        if (!"1".equals(man.get("format").orElse("")) || !SCRIPT_SHA256.equals(man.get("recipe.sha256").orElse(""))) {
            return Status.STALE;
        }
        Map<String, String> outputs = man.outputs();
        if (outputs.isEmpty()) {
            return Status.DAMAGED;
        }
        for (Map.Entry<String, String> e : outputs.entrySet()) {
            Path f = man.dir().resolve(e.getKey());
            if (!Files.isRegularFile(f) || !e.getValue().equals(sha256(f))) {
                return Status.DAMAGED;
            }
        }
        // Inputs from other images (input.IMAGE.FILE.sha256) must still be those images' outputs.
        for (String other : RECIPES) {
            String prefix = "input." + other + ".";
            for (Map.Entry<String, String> e : man.fields().entrySet()) {
                if (!e.getKey().startsWith(prefix) || !e.getKey().endsWith(".sha256")) {
                    continue;
                }
                String file = e.getKey().substring(prefix.length(), e.getKey().length() - ".sha256".length());
                String now = manifest(other).flatMap(o -> o.get("output." + file + ".sha256")).orElse("");
                if (!now.equals(e.getValue())) {
                    return Status.STALE;
                }
            }
        }
        return Status.OK;
    }

    /**
     * Runs the recipe script: {@code vmm-images.sh build [--force] NAME...}. Its result lines (one per image)
     * go to {@code out}, its progress and errors to {@code err}.
     *
     * @return the script's exit status (0: every image built or up to date)
     */
    public int build(List<String> names, boolean force, Consumer<String> out, Consumer<String> err)
            throws IOException, InterruptedException {
        for (String n : names) {
            requireKnown(n);
        }
        Files.createDirectories(dir);
        Path script = Files.createTempFile(dir, ".vmm-images", ".sh",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Files.write(script, SCRIPT);
            List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), "build"));
            if (force) {
                cmd.add("--force");
            }
            cmd.addAll(names);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("VMM_IMAGES_DIR", dir.toString());
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            Thread errPump = Thread.ofVirtual().start(() -> pump(p.getErrorStream(), err));
            pump(p.getInputStream(), out);
            int code = p.waitFor();
            errPump.join();
            return code;
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static void pump(InputStream in, Consumer<String> sink) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                sink.accept(line);
            }
        } catch (IOException e) {
            sink.accept("images: reading the recipe's output: " + e.getMessage());
        }
    }

    /** The recipe script that this version ships. */
    public static byte[] script() {
        return SCRIPT.clone();
    }

    /** The SHA256 of {@link #script()}, which manifests of up-to-date images name. */
    public static String scriptSha256() {
        return SCRIPT_SHA256;
    }

    private static String requireKnown(String name) {
        if (!RECIPES.contains(name)) {
            throw new IllegalArgumentException("unknown image '" + name + "': the images are "
                    + String.join(", ", RECIPES));
        }
        return name;
    }

    private static byte[] loadScript() {
        try (InputStream in = GuestImages.class.getResourceAsStream(SCRIPT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the recipe script " + SCRIPT_RESOURCE + " is not on the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(digest().digest(data));
    }

    /** The SHA256 of a file, streamed. */
    public static String sha256(Path file) {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
